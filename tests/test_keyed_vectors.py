"""``KeyedVectors`` against gensim 4.4 on the same random vectors: every query and evaluation
number, the lookups, ``add_vectors``, ``to_embedding`` and ``coverage``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as torch
import firstlayer.nn as nn
from firstlayer.vectors import similarity as sim
from firstlayer.vectors.embedding import Coverage
from firstlayer.vectors.keyed import KeyedVectors

# gensim's most_similar_cosmul calls its own deprecated init_sims().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

TOL = 1e-6
DIM = 16
# Lower-case words, a few case variants (for case_insensitive), and non-ASCII keys.
WORDS = [f"w{i}" for i in range(280)] + ["King", "king", "KING", "Paris", "paris", "我", "你"]


def _random_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _pair(keys: list[str], vectors: np.ndarray) -> tuple[KeyedVectors, GensimKV]:
    ours = KeyedVectors.from_arrays(list(keys), vectors.copy())
    theirs = GensimKV(vectors.shape[1])
    theirs.add_vectors(list(keys), vectors.copy())
    return ours, theirs


@pytest.fixture(scope="module")
def kvs() -> tuple[KeyedVectors, GensimKV]:
    return _pair(WORDS, _random_vectors(len(WORDS)))


def assert_same_neighbours(
    ours: list, theirs: list, gensim_all: np.ndarray, kv, rtol: float = 0.0
) -> None:
    """Same scores in the same order; a key may differ only inside a near-tie of scores.

    Cosines agree to 1e-6; cosmul's ratios (up to ~1e6) to float32's relative precision.
    """
    assert len(ours) == len(theirs)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=TOL, rtol=rtol)
    for (key, score), (their_key, _) in zip(ours, theirs):
        assert isinstance(score, float)
        if key != their_key:
            assert gensim_all[kv.get_index(key)] == pytest.approx(score, abs=TOL, rel=rtol)


# ---- lookups ----------------------------------------------------------------------------------
def test_lookups_match_gensim(kvs) -> None:
    ours, theirs = kvs
    assert ours.index_to_key == theirs.index_to_key
    assert ours.key_to_index == theirs.key_to_index
    assert ours.vector_size == theirs.vector_size == DIM
    assert len(ours) == len(theirs) == len(WORDS)
    np.testing.assert_array_equal(ours["w3"], theirs["w3"])
    np.testing.assert_array_equal(ours[["w3", "我", "w0"]], theirs[["w3", "我", "w0"]])
    np.testing.assert_allclose(ours.get_vector("w5", norm=True), theirs.get_vector("w5", norm=True),
                               atol=TOL)
    assert ours.get_index(7) == theirs.get_index(7) == 7  # an int that is not a key: a row
    assert ours.get_index("nope", default=-1) == -1
    assert "King" in ours and "kinG" not in ours and ours.has_index_for("你")
    assert list(ours)[:2] == ["w0", "w1"]
    assert str(ours) == str(theirs) == f"KeyedVectors<vector_size={DIM}, {len(WORDS)} keys>"
    with pytest.raises(ValueError, match="read-only"):
        ours["w1"][0] = 5.0  # a view into the matrix: writing would stale the cached norms
    np.testing.assert_allclose(ours.get_normed_vectors(), theirs.get_normed_vectors(), atol=TOL)
    ours.fill_norms()
    np.testing.assert_allclose(ours.norms, np.linalg.norm(ours.vectors, axis=1), rtol=1e-6)
    for keys, w in [(["w1", "w2"], None), (["w1", ours["w4"], "w9"], [1.0, -2.0, 0.5])]:
        for pre, post in [(True, False), (False, True)]:
            np.testing.assert_allclose(
                ours.get_mean_vector(keys, w, pre_normalize=pre, post_normalize=post),
                theirs.get_mean_vector(keys, w, pre_normalize=pre, post_normalize=post), atol=TOL)


def test_unknown_key_error_names_the_key_and_the_closest_keys(kvs) -> None:
    ours, _ = kvs
    with pytest.raises(KeyError) as info:
        ours["w1x"]
    assert info.value.args[0] == "w1x"
    message = str(info.value)
    assert "'w1x'" in message and f"{len(WORDS)} keys" in message and "'w1'" in message
    with pytest.raises(KeyError, match="closest keys: 'king', 'KING', 'King'"):
        ours.most_similar("kIng")
    with pytest.raises(KeyError, match="'nope'"):
        ours.n_similarity(["w1", "nope"], ["w2"])  # gensim silently drops the unknown word
    with pytest.raises(KeyError, match="'nope'"):
        ours.most_similar(positive=["w1"], negative=["nope"])


def test_from_arrays_shares_the_matrix_and_checks_its_input(tmp_path) -> None:
    vectors = _random_vectors(5, 4)
    kv = KeyedVectors.from_arrays(["a", "b", "c", "d", "e"], vectors)
    assert kv.vectors is vectors
    with pytest.raises(ValueError, match="unique.*'b'"):
        KeyedVectors.from_arrays(["a", "b", "b", "c", "c"], vectors)
    with pytest.raises(ValueError, match="4 keys but 5 vectors"):
        KeyedVectors.from_arrays(["a", "b", "c", "d"], vectors)
    with pytest.raises(ValueError, match="2-D"):
        KeyedVectors.from_arrays(["a"], np.zeros(3))
    with pytest.raises(TypeError, match="floating"):
        KeyedVectors.from_arrays(["a"], np.zeros((1, 3), np.int64))
    # A read-only memory map (the cache format): queries work, growing never writes into it.
    path = tmp_path / "m.npy"
    np.save(path, vectors)
    mapped = np.load(path, mmap_mode="r")
    kv = KeyedVectors.from_arrays(["a", "b", "c", "d", "e"], mapped)
    assert kv.most_similar("a", topn=1)[0][0] in "bcde"
    kv.add_vectors(["a", "f"], np.ones((2, 4), np.float32), replace=True)
    np.testing.assert_array_equal(np.load(path), vectors)
    np.testing.assert_array_equal(kv["a"], np.ones(4))


# ---- queries, against gensim ------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    pos=st.lists(st.integers(0, len(WORDS) - 1), min_size=0, max_size=3, unique=True),
    neg=st.lists(st.integers(0, len(WORDS) - 1), min_size=0, max_size=2, unique=True),
    topn=st.sampled_from([1, 3, 10, len(WORDS) + 5]),
    restrict=st.sampled_from([None, 40, len(WORDS) + 100]),
    as_vector=st.booleans(),
)
def test_most_similar_matches_gensim(kvs, pos, neg, topn, restrict, as_vector) -> None:
    ours, theirs = kvs
    neg = [i for i in neg if i not in pos]  # +w -w cancel: gensim answers rounding noise
    if not pos and not neg:
        pos = [0]
    positive: list = [WORDS[i] for i in pos]
    negative: list = [WORDS[i] for i in neg]
    if as_vector and positive:  # a raw vector instead of the first key (used as given)
        positive[0] = theirs[positive[0]] * 3.0
    kw = {"topn": topn, "restrict_vocab": restrict}
    want = theirs.most_similar(positive=positive, negative=negative, **kw)
    got = ours.most_similar(positive=positive, negative=negative, **kw)
    every = theirs.most_similar(positive=positive, negative=negative, topn=None)
    assert_same_neighbours(got, want, every, ours)
    inputs = {k for k in positive + negative if isinstance(k, str)}
    assert not inputs & {k for k, _ in got}


def test_most_similar_forms_of_input(kvs) -> None:
    ours, theirs = kvs
    every = theirs.most_similar("w1", topn=None)
    cases = [
        ({"positive": "w1"}, {}),                                 # one key
        ({"positive": ["w1", "w2"], "negative": "w3"}, {}),       # lists and a single negative
        ({"positive": [("w1", 2.0), "w5"], "negative": [("w7", -0.5)]}, {}),  # weights
        ({"positive": theirs[["w1", "w2"]]}, {}),                 # a 2-D array: its rows
        ({"positive": [theirs["w4"]], "negative": ["w1"]}, {}),   # a vector and a key
    ]
    for args, _ in cases:
        assert_same_neighbours(ours.most_similar(**args), theirs.most_similar(**args), every, ours)
    assert_same_neighbours(ours.similar_by_word("w8", topn=4), theirs.similar_by_word("w8", topn=4),
                           theirs.most_similar("w8", topn=None), ours)
    vec = theirs["w9"] + 0.5
    assert_same_neighbours(ours.similar_by_vector(vec, topn=4),
                           theirs.similar_by_vector(vec, topn=4),
                           theirs.similar_by_vector(vec, topn=None), ours)
    # topn=None: every cosine (inputs included), like gensim; topn=0: nothing.
    np.testing.assert_allclose(ours.most_similar(["w1", "w2"], topn=None),
                               theirs.most_similar(["w1", "w2"], topn=None), atol=TOL)
    np.testing.assert_allclose(ours.most_similar("w1", topn=None, restrict_vocab=30),
                               theirs.most_similar("w1", topn=None, restrict_vocab=30), atol=TOL)
    assert ours.most_similar("w1", topn=0) == theirs.most_similar("w1", topn=0) == []
    with pytest.raises(ValueError, match="at least one"):
        ours.most_similar()
    with pytest.raises(ValueError, match=r"shape \(16,\), got \(3,\)"):
        ours.most_similar(np.ones(3))


@settings(max_examples=30, deadline=None)
@given(
    pos=st.lists(st.integers(0, len(WORDS) - 1), min_size=1, max_size=3, unique=True),
    neg=st.lists(st.integers(0, len(WORDS) - 1), min_size=0, max_size=2, unique=True),
    topn=st.sampled_from([1, 5, len(WORDS) + 5]),
)
def test_most_similar_cosmul_matches_gensim(kvs, pos, neg, topn) -> None:
    ours, theirs = kvs
    positive, negative = [WORDS[i] for i in pos], [WORDS[i] for i in neg]
    every = theirs.most_similar_cosmul(positive, negative, topn=None)
    got = ours.most_similar_cosmul(positive, negative, topn=topn)
    assert_same_neighbours(got, theirs.most_similar_cosmul(positive, negative, topn=topn),
                           every, ours, rtol=1e-5)
    np.testing.assert_allclose(ours.most_similar_cosmul(positive, negative, topn=None), every,
                               rtol=1e-5, atol=TOL)


def test_most_similar_cosmul_vectors_and_restrict_vocab(kvs) -> None:
    ours, theirs = kvs
    vec = theirs["w2"] * 2
    every = theirs.most_similar_cosmul([vec, "w3"], "w4", topn=None)
    assert_same_neighbours(ours.most_similar_cosmul([vec, "w3"], "w4", topn=5),
                           theirs.most_similar_cosmul([vec, "w3"], "w4", topn=5), every, ours,
                           rtol=1e-5)
    # gensim ignores restrict_vocab here; ours searches the first N rows, as most_similar does.
    got = ours.most_similar_cosmul(["w1"], ["w2"], topn=5, restrict_vocab=50)
    full = theirs.most_similar_cosmul(["w1"], ["w2"], topn=None)[:50]
    order = [i for i in np.argsort(-full, kind="stable") if i not in (1, 2)][:5]
    assert [k for k, _ in got] == [WORDS[i] for i in order]
    np.testing.assert_allclose([s for _, s in got], full[order], rtol=1e-5)
    with pytest.raises(ValueError, match="positive"):
        ours.most_similar_cosmul(negative=["w1"])


def test_pairwise_queries_match_gensim(kvs) -> None:
    ours, theirs = kvs
    for a, b in [("w1", "w2"), ("King", "king"), ("我", "你"), ("w5", "w5")]:
        assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=TOL)
        assert ours.distance(a, b) == pytest.approx(float(theirs.distance(a, b)), abs=TOL)
    for ws1, ws2 in [(["w1", "w2"], ["w3"]), (["w4"], ["w4", "w5", "w6"])]:
        assert ours.n_similarity(ws1, ws2) == pytest.approx(float(theirs.n_similarity(ws1, ws2)),
                                                            abs=TOL)
    with pytest.raises(ZeroDivisionError):
        ours.n_similarity([], ["w1"])
    np.testing.assert_allclose(ours.distances("w3"), theirs.distances("w3"), atol=TOL)
    np.testing.assert_allclose(ours.distances("w3", ["w1", "我"]),
                               theirs.distances("w3", ["w1", "我"]), atol=TOL)
    vec = theirs["w7"] - theirs["w8"]
    np.testing.assert_allclose(ours.distances(vec), theirs.distances(vec), atol=TOL)
    for a, b in [("w1", "w2"), ("w10", "w11"), ("w3", "w3"), ("King", "paris")]:
        assert ours.closer_than(a, b) == theirs.closer_than(a, b)
        assert ours.rank(a, b) == theirs.rank(a, b)
    words = ["w1", "w2", "w3", "w40", "King"]
    assert ours.doesnt_match(words) == theirs.doesnt_match(words)
    assert ours.most_similar_to_given("w1", words[1:]) == theirs.most_similar_to_given(
        "w1", words[1:])
    for use_norm in (True, False):
        got = ours.rank_by_centrality(words, use_norm=use_norm)
        want = theirs.rank_by_centrality(words, use_norm=use_norm)
        assert [w for _, w in got] == [w for _, w in want]
        np.testing.assert_allclose([s for s, _ in got], [s for s, _ in want], atol=TOL)
    with pytest.warns(UserWarning, match="'nope'"):
        words = ["w1", "w2", "w6", "nope"]
        assert ours.doesnt_match(words) == theirs.doesnt_match(words)
    with pytest.raises(ValueError, match="empty"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.doesnt_match(["nope"])


def test_zero_vector_has_similarity_zero_not_nan() -> None:
    kv = KeyedVectors.from_arrays(["a", "zero", "b"], np.array([[1, 0], [0, 0], [1, 1]], "f4"))
    assert kv.similarity("a", "zero") == 0.0
    got = kv.most_similar("a", topn=None)
    assert not np.isnan(got).any() and got[1] == 0.0
    assert [k for k, _ in kv.most_similar("a")] == ["b", "zero"]


# ---- the blocked top-k ------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    n_rows=st.integers(1, 60), n_queries=st.integers(0, 7), k=st.integers(1, 8),
    block_rows=st.integers(1, 9), seed=st.integers(0, 2**16),
)
def test_batch_top_k_matches_a_full_sort(n_rows, n_queries, k, block_rows, seed) -> None:
    rng = np.random.default_rng(seed)
    normed, _ = sim.unit_rows(rng.standard_normal((n_rows, 3)).astype(np.float32))
    queries = rng.standard_normal((n_queries, 3)).astype(np.float32)
    exclude = [set(rng.choice(n_rows, size=min(2, n_rows), replace=False)) for _ in queries]
    # Tiny blocks, so that the merge of block results across rows and queries is exercised.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim, "_ROWS_PER_BLOCK", block_rows)
        patch.setattr(sim, "_SCORE_BLOCK", 2 * block_rows)
        idx, val = sim.batch_top_k(normed, queries, k, exclude)
    assert idx.shape == val.shape == (n_queries, min(k, n_rows))
    for q in range(n_queries):
        scores = normed @ queries[q]
        want = sim.top_k(scores, k, exclude=exclude[q])
        got = idx[q][: len(want)]
        assert (got >= 0).all() and (idx[q][len(want):] == -1).all()
        assert len(set(got.tolist())) == len(got) and not set(got.tolist()) & exclude[q]
        # The same best scores in the same order (indices may differ only within a near-tie:
        # a block product rounds differently from a matrix-vector product).
        np.testing.assert_allclose(scores[got], scores[want], atol=1e-6)
        np.testing.assert_allclose(val[q][: len(want)], scores[want], atol=1e-6)


# ---- add_vectors -----------------------------------------------------------------------------
@pytest.mark.parametrize("replace", [False, True])
def test_add_vectors_then_queries_match_gensim(replace) -> None:
    ours, theirs = _pair(WORDS[:50], _random_vectors(50))
    before = ours.most_similar("w1", topn=3)  # fills the norm cache
    new_keys = ["w1", "new1", "w2", "new2"]
    weights = _random_vectors(4, seed=1) * 3
    ours.add_vectors(new_keys, weights, replace=replace)
    theirs.add_vectors(new_keys, weights, replace=replace)
    theirs.fill_norms(force=True)  # gensim keeps its stale norms otherwise
    assert ours.index_to_key == theirs.index_to_key
    assert ours.key_to_index == theirs.key_to_index
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert (ours["w1"] == weights[0]).all() == replace
    after = ours.most_similar("w1", topn=60)
    assert_same_neighbours(after, theirs.most_similar("w1", topn=60),
                           theirs.most_similar("w1", topn=None), ours)
    assert {"new1", "new2"} <= {k for k, _ in after}
    if replace:
        assert after[:3] != before
    # one key, kv[key] = vector, add_vector
    ours.add_vectors("new3", np.ones(DIM))
    ours["w0"] = np.full(DIM, 2.0)
    assert ours.add_vector("new4", np.full(DIM, 3.0)) == len(ours) - 1
    np.testing.assert_array_equal(ours[["new3", "w0", "new4"]], [[1.0] * DIM, [2.0] * DIM,
                                                                 [3.0] * DIM])
    assert ours.similarity("new3", "w0") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unique"):
        ours.add_vectors(["x", "x"], np.zeros((2, DIM)))
    with pytest.raises(ValueError, match="one 16-long vector per key"):
        ours.add_vectors(["x", "y"], np.zeros((2, DIM + 1)))


def test_preallocated_slots_are_filled_by_add_vector() -> None:
    ours, theirs = KeyedVectors(3, count=2), GensimKV(3, count=2)
    for kv in (ours, theirs):
        assert kv.add_vector("a", np.array([1.0, 0, 0])) == 0
        assert kv.add_vector("b", np.array([0, 1.0, 0])) == 1
    assert ours.index_to_key == theirs.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


# ---- evaluation -------------------------------------------------------------------------------
PAIRS = [
    "# a comment line",
    "w1\tw2\t3.5", "w3\tw4\t7.25", "W5\tw6\t1.0", "king\tparis\t6.0", "KING\tw7\t2.0",
    "w8\tw9\t9.5", "w10\tw11\t0.5", "w12\tw13\t4.0", "我\t你\t8.0", "w14\tw15\t5.5",
    "w16\tunknownword\t3.0",  # out of vocabulary
    "w200\tw201\t6.5",        # outside restrict_vocab=150
    "not a valid line",       # malformed: skipped
    "w17\tw18\tnot-a-number",
    "", "w19\tw20\t2.5", "Paris\tw21\t7.0", "w22\tw23\t4.5",
]


@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("dummy4unknown", [False, True])
@pytest.mark.parametrize("restrict_vocab", [300000, 150])
def test_evaluate_word_pairs_matches_gensim(
    kvs, tmp_path, case_insensitive, dummy4unknown, restrict_vocab
) -> None:
    ours, theirs = kvs
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf8")
    kw = {"case_insensitive": case_insensitive, "dummy4unknown": dummy4unknown,
          "restrict_vocab": restrict_vocab}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = theirs.evaluate_word_pairs(str(path), **kw)
    got = ours.evaluate_word_pairs(path, **kw)
    assert type(got[0]) is type(want[0]) and type(got[1]) is type(want[1])
    for mine, theirs_ in zip(got[:2], want[:2]):
        assert mine.statistic == pytest.approx(theirs_.statistic, abs=TOL)
        assert mine.pvalue == pytest.approx(theirs_.pvalue, abs=TOL, rel=1e-5)
    assert got[2] == pytest.approx(want[2], abs=TOL)
    assert got[2] > 0


def test_evaluate_word_pairs_other_delimiter_and_errors(kvs, tmp_path) -> None:
    ours, theirs = kvs
    path = tmp_path / "pairs.csv"
    path.write_text("w1,w2,1\nw3,w4,2\nw5,w6,3.5\nw7,w1,0\n", encoding="utf8")
    got, want = ours.evaluate_word_pairs(path, ","), theirs.evaluate_word_pairs(str(path), ",")
    assert got[0][0] == pytest.approx(want[0][0], abs=TOL)
    assert got[1][0] == pytest.approx(want[1][0], abs=TOL)
    path.write_text("x\ty\t1\n", encoding="utf8")
    with pytest.raises(ValueError, match="no usable word pairs"):
        ours.evaluate_word_pairs(path)
    with pytest.raises(FileNotFoundError):
        ours.evaluate_word_pairs(tmp_path / "missing.tsv")


@pytest.fixture(scope="module")
def analogy_kvs() -> tuple[KeyedVectors, GensimKV, list[str]]:
    """Vectors in which some analogies hold (d = b - a + c + noise) and some don't."""
    rng = np.random.default_rng(3)
    keys = [f"v{i}" for i in range(200)]
    vectors = list(rng.standard_normal((200, DIM)).astype(np.float32))
    lines: list[str] = []
    for section in range(3):
        lines.append(f": section-{section}")
        for q in range(12):
            a, b, c = (f"v{i}" for i in rng.choice(200, 3, replace=False))
            unit = {k: vectors[keys.index(k)] / np.linalg.norm(vectors[keys.index(k)])
                    for k in (a, b, c)}
            d = f"D{section}_{q}"  # upper case in the file; the key is lower case
            noise = 0.3 if q % 3 else 2.0  # a third of them too noisy to be right
            keys.append(d.lower())
            vectors.append((unit[b] - unit[a] + unit[c] + noise * rng.standard_normal(DIM))
                           .astype(np.float32))
            lines.append(f"{a} {b} {c} {d}")
        lines.append("v1 v2 v3 unknownword")  # OOV
        lines.append("v1 v2 too-short")        # invalid: skipped
    # A near-duplicate of an input word under another case: the first answer, to be skipped.
    keys.append("V5")
    vectors.append(vectors[5] + 0.01)
    lines.append("v9 v5 v12 v40")
    ours, theirs = _pair(keys, np.stack(vectors))
    return ours, theirs, lines


@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("dummy4unknown", [False, True])
@pytest.mark.parametrize("restrict_vocab", [300000, 210, None])
def test_evaluate_word_analogies_matches_gensim(
    analogy_kvs, tmp_path, case_insensitive, dummy4unknown, restrict_vocab
) -> None:
    ours, theirs, lines = analogy_kvs
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    kw = {"case_insensitive": case_insensitive, "dummy4unknown": dummy4unknown,
          "restrict_vocab": restrict_vocab}
    want_score, want_sections = theirs.evaluate_word_analogies(str(path), **kw)
    got_score, got_sections = ours.evaluate_word_analogies(path, **kw)
    assert got_score == pytest.approx(want_score, abs=TOL)
    assert got_sections == want_sections  # names, and every question in the same list
    if case_insensitive and restrict_vocab != 210:
        assert 0.4 < got_score < 0.9  # the test data really has right and wrong answers


def test_restricted_analogies_normalise_only_the_rows_they_search(analogy_kvs, tmp_path) -> None:
    ours, _, lines = analogy_kvs
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    fresh = KeyedVectors.from_arrays(list(ours.index_to_key), ours.vectors)
    got = fresh.evaluate_word_analogies(path, restrict_vocab=210)
    assert fresh.norms is None  # no (V, D) cache made for a one-off batch over 210 rows
    ours.fill_norms()
    assert got == ours.evaluate_word_analogies(path, restrict_vocab=210)


def test_evaluate_word_analogies_errors(kvs, tmp_path) -> None:
    ours, _ = kvs
    path = tmp_path / "q.txt"
    path.write_text("w1 w2 w3 w4\n: section\n", encoding="utf8")
    with pytest.raises(ValueError, match="line 1: a question before the first"):
        ours.evaluate_word_analogies(path)
    path.write_text(": section\n\n", encoding="utf8")
    with pytest.raises(ValueError, match="no analogy questions"):
        ours.evaluate_word_analogies(path)


# ---- into an Embedding ------------------------------------------------------------------------
class _ItosVocab:
    """Duck-typed like firstlayer.text.Vocab / torchtext's Vocab."""

    def __init__(self, itos: list[str]) -> None:
        self._itos = itos

    def get_itos(self) -> list[str]:
        return list(self._itos)


class _LookupVocab:
    def __init__(self, itos: list[str]) -> None:
        self._itos = itos

    def lookup_token(self, i: int) -> str:
        return self._itos[i]

    def __len__(self) -> int:
        return len(self._itos)


TOKENS = ["<pad>", "w1", "W2", "King", "Paris", "missing", "我", "w3"]


@pytest.mark.parametrize("vocab_type", [list, dict, _ItosVocab, _LookupVocab])
def test_to_embedding_rows_follow_the_vocab(kvs, vocab_type) -> None:
    ours, _ = kvs
    vocab = {t: i for i, t in enumerate(TOKENS)} if vocab_type is dict else vocab_type(TOKENS)
    emb = ours.to_embedding(vocab, oov="zeros", lower_case_backup=True, padding_idx=0)
    assert isinstance(emb, nn.Embedding)
    w = emb.weight.detach().numpy()
    assert w.shape == (len(TOKENS), DIM) and w.dtype == np.float32
    np.testing.assert_array_equal(w[0], 0)                   # padding row zeroed
    np.testing.assert_array_equal(w[1], ours["w1"])           # exact
    np.testing.assert_array_equal(w[2], ours["w2"])           # through lower case
    np.testing.assert_array_equal(w[3], ours["King"])         # exact wins over "king"
    np.testing.assert_array_equal(w[4], ours["Paris"])
    np.testing.assert_array_equal(w[5], 0)                    # missing, oov="zeros"
    np.testing.assert_array_equal(w[6], ours["我"])
    assert not np.shares_memory(w, ours.vectors)
    assert emb.padding_idx == 0 and emb.weight.requires_grad is False
    assert ours.to_embedding(vocab, freeze=False).weight.requires_grad is True
    out = emb(torch.tensor([1, 0, 6]))
    np.testing.assert_array_equal(out.numpy(), w[[1, 0, 6]])


def test_to_embedding_with_a_firstlayer_text_vocab(kvs) -> None:
    text = pytest.importorskip("firstlayer.text")
    ours, _ = kvs
    vocab = text.build_vocab_from_iterator([["w1", "W2", "w1", "unseen"]], specials=["<pad>"])
    emb = ours.to_embedding(vocab, oov="zeros", lower_case_backup=True, padding_idx=0)
    w = emb.weight.detach().numpy()
    for i, token in enumerate(vocab.get_itos()):
        want = ours.get_vector(token.lower()) if token.lower() in ours else np.zeros(DIM)
        np.testing.assert_array_equal(w[i], want)
    assert vocab.get_itos()[:2] == ["<pad>", "w1"]
    assert ours.coverage(vocab).missing == ["<pad>", "W2", "unseen"]


def test_to_embedding_forward_matches_torch(kvs) -> None:
    real_torch = pytest.importorskip("torch")
    ours, _ = kvs
    emb = ours.to_embedding(TOKENS, padding_idx=-8, generator=torch.Generator().manual_seed(0))
    weight = emb.weight.detach().numpy()
    ref = real_torch.nn.Embedding.from_pretrained(real_torch.from_numpy(weight.copy()),
                                                  padding_idx=0)
    ids = [[0, 3], [5, 7]]
    np.testing.assert_array_equal(emb(torch.tensor(ids)).numpy(),
                                  ref(real_torch.tensor(ids)).numpy())
    assert emb.padding_idx == 0 and repr(emb) == repr(ref).replace("torch.", "")


def test_to_embedding_oov_rules(kvs) -> None:
    ours, _ = kvs
    tokens = ["w1"] + [f"oov{i}" for i in range(3000)] + ["w2"]
    vectors = ours.vectors.astype(np.float64)
    mean = ours.to_embedding(tokens, oov="mean").weight.detach().numpy()
    np.testing.assert_allclose(mean[1:-1], np.broadcast_to(vectors.mean(0), (3000, DIM)),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(mean[[0, -1]], ours[["w1", "w2"]])
    # "random": N(0, std of all entries), drawn from the generator given.
    emb = ours.to_embedding(tokens, oov="random", generator=torch.Generator().manual_seed(7))
    rows = emb.weight.detach().numpy()[1:-1]
    draws = np.random.Generator(np.random.PCG64(7)).standard_normal((3000, DIM))
    np.testing.assert_allclose(rows, (draws * vectors.std()).astype(np.float32), rtol=1e-6)
    assert rows.std() == pytest.approx(vectors.std(), rel=0.03)
    torch.manual_seed(3)
    first = ours.to_embedding(tokens).weight.detach().numpy()
    torch.manual_seed(3)
    np.testing.assert_array_equal(first, ours.to_embedding(tokens).weight.detach().numpy())
    # a function of the token
    emb = ours.to_embedding(["w1", "abc", "de"], oov=lambda t: np.full(DIM, len(t)))
    np.testing.assert_array_equal(emb.weight.detach().numpy()[1:], [[3.0] * DIM, [2.0] * DIM])
    with pytest.raises(ValueError, match=r"oov\('abc'\) returned shape \(2,\)"):
        ours.to_embedding(["abc"], oov=lambda t: [1.0, 2.0])
    with pytest.raises(ValueError, match="'random', 'zeros', 'mean' or a function"):
        ours.to_embedding(["abc"], oov="ones")
    with pytest.raises(ValueError, match="padding_idx must be within"):
        ours.to_embedding(["abc"], padding_idx=1)
    with pytest.raises(ValueError, match="ids 0..1"):
        ours.to_embedding({"a": 0, "b": 2})
    with pytest.raises(TypeError, match="got a string"):
        ours.to_embedding("w1")


def test_from_pretrained_takes_a_numpy_array() -> None:
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    emb = nn.Embedding.from_pretrained(table, padding_idx=1)
    np.testing.assert_array_equal(emb(torch.tensor([2, 1])).numpy(), table[[2, 1]])
    assert emb.weight.requires_grad is False


def test_coverage(kvs) -> None:
    ours, _ = kvs
    words = ["w1", "W2", "King", "KING", "kinG", "missing", "w1", "我"]
    cov = ours.coverage(words)
    assert isinstance(cov, Coverage)
    assert cov.found == ["w1", "King", "KING", "我"]
    assert cov.found_lower == []
    assert cov.missing == ["W2", "kinG", "missing"]
    assert (cov.total, cov.covered) == (7, 4)
    cov = ours.coverage(_ItosVocab(words[:-2]), lower_case_backup=True)
    assert cov.found == ["w1", "King", "KING"]
    assert cov.found_lower == ["W2", "kinG"]
    assert cov.missing == ["missing"]
    assert cov.ratio == pytest.approx(5 / 6)
    assert repr(cov) == "Coverage(found=3, found_lower=2, missing=1, ratio=0.833)"
    assert str(cov) == ("6 words: 3 found (50.0%), 2 through lower case, 1 missing (16.7%): "
                        "'missing'")
    assert str(ours.coverage([])) == "0 words: 0 found (-), 0 through lower case, 0 missing (-)"


# ---- gensim 4 API: vector attributes, word2vec files with counts, the rest -----------------------
def _gensim_pair(n: int = 30, dim: int = 6, seed: int = 3) -> tuple[KeyedVectors, GensimKV]:
    """The same keys and vectors with the same, non-monotone counts."""
    keys = [f"k{i}" for i in range(n)] + ["我", "ß"]
    ours, theirs = _pair(keys, _random_vectors(len(keys), dim, seed))
    counts = np.random.default_rng(seed).integers(1, 9, len(keys))  # ties: order is stable
    for key, count in zip(keys, counts.tolist()):
        ours.set_vecattr(key, "count", count)
        theirs.set_vecattr(key, "count", count)
    return ours, theirs


def test_vecattrs_match_gensim() -> None:
    ours, theirs = _gensim_pair()
    assert ours.expandos["count"].dtype == theirs.expandos["count"].dtype == np.int64
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])
    assert ours.get_vecattr("我", "count") == theirs.get_vecattr("我", "count")
    for kv in (ours, theirs):
        kv.set_vecattr("k1", "tag", "x")  # str -> object, as gensim
        kv.set_vecattr("k2", "weight", 0.5)
        assert kv.expandos["tag"].dtype == object and kv.expandos["weight"].dtype == np.float64
        with pytest.raises(TypeError):  # a float into the int64 counts
            kv.set_vecattr("k1", "count", 1.5)
        with pytest.raises(KeyError):
            kv.get_vecattr("nope", "count")
        with pytest.raises(KeyError):
            kv.get_vecattr("k1", "no such attribute")
    assert ours.get_vecattr("k1", "tag") == theirs.get_vecattr("k1", "tag") == "x"
    with pytest.raises(KeyError, match="attributes: 'count', 'tag', 'weight'"):
        ours.get_vecattr("k1", "nope")
    # a failed set changes nothing
    before = {k: v.copy() for k, v in ours.expandos.items()}
    with pytest.raises(KeyError):
        ours.set_vecattr("nope", "new", 1)
    assert set(ours.expandos) == set(before)


def test_vecattrs_grow_with_the_keys() -> None:
    kv = KeyedVectors(2, count=3)  # preallocated: attributes are sized to index_to_key
    kv.add_vector("a", [1.0, 0.0])
    kv.set_vecattr("a", "count", 5)
    assert kv.expandos["count"].tolist() == [5, 0, 0]
    kv.add_vectors(["b", "c", "d"], np.ones((3, 2)))  # appended after the 3 slots
    assert len(kv.expandos["count"]) == len(kv) and kv.get_vecattr("d", "count") == 0
    kv.add_vectors(["e", "a"], np.ones((2, 2)), extras={"count": np.array([7, 9])}, replace=True)
    assert kv.get_vecattr("e", "count") == 7 and kv.get_vecattr("a", "count") == 9
    kv.add_vectors(["f", "a"], np.ones((2, 2)), extras={"count": np.array([1, 2])})
    assert kv.get_vecattr("f", "count") == 1 and kv.get_vecattr("a", "count") == 9
    with pytest.raises(ValueError, match="one value per key"):
        kv.add_vectors(["g"], np.ones((1, 2)), extras={"count": np.array([1, 2])})
    assert "g" not in kv
    kv.allocate_vecattrs(["new"], [int])
    assert kv.expandos["new"].dtype == np.int64 and len(kv.expandos["new"]) == len(kv)


def test_sort_by_descending_frequency_and_resize_match_gensim() -> None:
    ours, theirs = _gensim_pair()
    ours.sort_by_descending_frequency()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.sort_by_descending_frequency()
    assert ours.index_to_key == theirs.index_to_key
    assert ours.key_to_index == theirs.key_to_index
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])
    for kv in (ours, theirs):
        kv.index_to_key.extend(["new1", "new2"])
        kv.key_to_index.update({"new1": len(kv) - 2, "new2": len(kv) - 1})
        kv.resize_vectors(seed=5)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert len(ours.expandos["count"]) == len(ours)


@pytest.mark.parametrize("binary", [False, True])
def test_save_word2vec_format_bytes_match_gensim(tmp_path, binary) -> None:
    ours, theirs = _gensim_pair()
    calls = [
        {},
        {"prefix": "p_", "total_vec": 99},
        {"write_header": False},
        {"sort_attr": "nothing-has-this"},  # row order, with gensim's warning
    ]
    for i, kw in enumerate(calls):
        mine, gens = tmp_path / f"ours{i}", tmp_path / f"gensim{i}"
        ours.save_word2vec_format(mine, binary=binary, **kw)
        theirs.save_word2vec_format(str(gens), binary=binary, **kw)
        assert mine.read_bytes() == gens.read_bytes(), kw
    # with the vocabulary file, positionally as gensim's tests call it, then appended to
    for kv, name in ((ours, "o"), (theirs, "g")):
        kv.save_word2vec_format(str(tmp_path / f"{name}.vec"), str(tmp_path / f"{name}.voc"),
                                binary)
        kv.save_word2vec_format(str(tmp_path / f"{name}.vec"), str(tmp_path / f"{name}.voc"),
                                binary, append=True, prefix="x")
    for ext in ("vec", "voc"):
        assert (tmp_path / f"o.{ext}").read_bytes() == (tmp_path / f"g.{ext}").read_bytes()


def test_save_word2vec_format_int_keys_and_errors(tmp_path) -> None:
    kv = KeyedVectors.from_arrays([0, 1, "w"], np.eye(3, dtype=np.float32))
    for i, count in enumerate([1, 2, 3]):
        kv.set_vecattr(i, "count", count)
    kv.save_word2vec_format(tmp_path / "v.txt")
    # the leading int keys stay first, once each (gensim writes them twice)
    assert (tmp_path / "v.txt").read_text().split("\n")[1:4] == [
        "0 1.0 0.0 0.0", "1 0.0 1.0 0.0", "w 0.0 0.0 1.0"]
    with pytest.raises(TypeError, match="pass binary=True by keyword"):
        kv.save_word2vec_format(tmp_path / "v.bin", True)
    plain = KeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="no key has the attribute 'count'"):
        plain.save_word2vec_format(tmp_path / "a.txt", tmp_path / "a.vocab")
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "a.vocab").exists()
    kv.save_word2vec_format(tmp_path / "v.txt.gz")  # compressed by its name, as gensim
    assert KeyedVectors.load_word2vec_format(tmp_path / "v.txt.gz").index_to_key == [
        "0", "1", "w"]


@pytest.mark.parametrize("binary", [False, True])
def test_load_word2vec_format_counts_match_gensim(tmp_path, binary) -> None:
    _, theirs = _gensim_pair()
    path, vocab = str(tmp_path / "v"), str(tmp_path / "v.vocab")
    theirs.save_word2vec_format(path, vocab, binary=binary)
    for kw in ({}, {"fvocab": vocab}, {"limit": 5}, {"fvocab": vocab, "limit": 7},
               {"datatype": np.float64}, {"limit": 0}):
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, **kw)
        want = GensimKV.load_word2vec_format(path, binary=binary, **kw)
        assert ours.index_to_key == want.index_to_key, kw
        assert ours.vectors.dtype == want.vectors.dtype
        np.testing.assert_array_equal(ours.vectors, want.vectors)
        np.testing.assert_array_equal(ours.expandos["count"], want.expandos["count"])
    # positional, as gensim's own tests call it
    ours = KeyedVectors.load_word2vec_format(path, vocab, binary)
    assert ours.get_vecattr("我", "count") == theirs.get_vecattr("我", "count")
    with pytest.raises(TypeError, match="the second argument is fvocab"):
        KeyedVectors.load_word2vec_format(path, binary)


def test_load_word2vec_format_no_header_and_bad_input(tmp_path) -> None:
    _, theirs = _gensim_pair()
    path = str(tmp_path / "v.txt")
    theirs.save_word2vec_format(path, write_header=False)
    ours = KeyedVectors.load_word2vec_format(path, no_header=True)
    want = GensimKV.load_word2vec_format(path, no_header=True)
    assert ours.index_to_key == want.index_to_key
    np.testing.assert_array_equal(ours.vectors, want.vectors)
    np.testing.assert_array_equal(ours.expandos["count"], want.expandos["count"])
    with pytest.raises(NotImplementedError, match="text"):
        KeyedVectors.load_word2vec_format(path, binary=True, no_header=True)
    # a vocabulary file that misses a word: count 0 and a warning (gensim fails)
    (tmp_path / "part.vocab").write_text("k1 4\nk0 3\n")
    theirs.save_word2vec_format(str(tmp_path / "h.txt"))
    with pytest.warns(UserWarning, match="no count for 30 of the 32 words"):
        kv = KeyedVectors.load_word2vec_format(tmp_path / "h.txt", tmp_path / "part.vocab")
    assert kv.get_vecattr("k0", "count") == 3 and kv.get_vecattr("k5", "count") == 0
    (tmp_path / "bad.vocab").write_text("k1 4\nk0\n")
    with pytest.raises(ValueError, match=r"bad.vocab', line 2: expected 'word count'"):
        KeyedVectors.load_word2vec_format(tmp_path / "h.txt", tmp_path / "bad.vocab")


@pytest.mark.parametrize("binary", [False, True])
def test_strict_decoding_raises_a_unicode_decode_error(tmp_path, binary) -> None:
    from firstlayer.vectors.formats.errors import VectorDecodeError, VectorFileError

    vec = np.array([0.5, 1.0], np.float32)
    if binary:
        data = b"1 2\n" + b"ab\xe3\x83 " + vec.tobytes()
    else:
        data = b"1 2\nab\xe3\x83 0.5 1.0\n"
    path = tmp_path / "v"
    path.write_bytes(data)
    with pytest.raises(UnicodeDecodeError) as info:
        KeyedVectors.load_word2vec_format(path, binary=binary)
    err = info.value
    assert isinstance(err, VectorDecodeError) and isinstance(err, VectorFileError)
    assert "unicode_errors='replace'" in str(err) and err.encoding == "utf8"
    assert err.object == b"ab\xe3\x83" and (err.start, err.end) == (2, 4)
    with pytest.raises(UnicodeDecodeError):
        GensimKV.load_word2vec_format(str(path), binary=binary)
    kv = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="ignore")
    assert kv.index_to_key == ["ab"]


def test_distance_to_itself_is_exactly_zero() -> None:
    vectors = _random_vectors(500, 50, seed=9) * np.float32(3.7)
    kv = KeyedVectors.from_arrays([str(i) for i in range(500)], vectors)
    theirs = GensimKV(50)
    theirs.add_vectors([str(i) for i in range(500)], vectors)
    assert all(kv.distance(str(i), str(i)) == 0.0 for i in range(500))
    assert all(kv.similarity(str(i), str(i)) == 1.0 for i in range(500))
    for a, b in [("1", "2"), ("3", "400"), ("7", "8")]:
        assert kv.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=1e-6)
        assert -1.0 <= kv.similarity(a, b) <= 1.0
    np.testing.assert_allclose(kv.cosine_similarities(vectors[0], vectors[:20]),
                               GensimKV.cosine_similarities(vectors[0], vectors[:20]), atol=1e-6)


def test_relative_cosine_similarity_matches_gensim(kvs) -> None:
    ours, theirs = kvs
    for wa, wb, topn in [("w1", "w2", 10), ("King", "king", 3), ("我", "w5", 1)]:
        assert ours.relative_cosine_similarity(wa, wb, topn) == pytest.approx(
            theirs.relative_cosine_similarity(wa, wb, topn), rel=1e-5)
    with pytest.raises(ValueError, match="found none"):
        ours.relative_cosine_similarity("w1", "w2", topn=0)


@pytest.mark.parametrize("allow_inference", [True, False])
@pytest.mark.parametrize("copy_vecattrs", [True, False])
def test_vectors_for_all_matches_gensim(allow_inference, copy_vecattrs) -> None:
    ours, theirs = _gensim_pair()
    ours.set_vecattr("k3", "weight", 0.25)
    theirs.set_vecattr("k3", "weight", 0.25)
    words = ["k3", "missing", "我", "k3", "k0", "also missing"]
    got = ours.vectors_for_all(words, allow_inference, copy_vecattrs)
    want = theirs.vectors_for_all(words, allow_inference, copy_vecattrs)
    assert type(got) is KeyedVectors
    assert got.index_to_key == want.index_to_key == ["k3", "我", "k0"]
    np.testing.assert_array_equal(got.vectors, want.vectors)
    assert got.vectors.dtype == want.vectors.dtype
    assert set(got.expandos) == set(want.expandos)
    for attr in want.expandos:
        np.testing.assert_array_equal(got.expandos[attr], want.expandos[attr])
    assert len(ours.vectors_for_all([])) == 0


def test_unit_normalize_all_matches_gensim_and_writes_in_place() -> None:
    ours, theirs = _gensim_pair()
    shared = ours.vectors  # a model's wv.vectors is its input layer: it must change too
    ours.unit_normalize_all()
    theirs.unit_normalize_all()
    assert ours.vectors is shared
    np.testing.assert_allclose(ours.vectors, theirs.vectors, atol=1e-7)
    np.testing.assert_array_equal(ours.norms, theirs.norms)
    assert ours.most_similar("k1", topn=3)[0][0] == theirs.most_similar("k1", topn=3)[0][0]
    readonly = np.ones((2, 3), np.float32)
    readonly.setflags(write=False)
    kv = KeyedVectors.from_arrays(["a", "b"], readonly)
    kv.unit_normalize_all()
    np.testing.assert_allclose(kv.vectors, np.full((2, 3), 3 ** -0.5), rtol=1e-6)
    kv.init_sims(replace=True)  # gensim 3's name
    assert kv.norms is not None and kv.norms.tolist() == [1.0, 1.0]


def test_evaluate_word_analogies_takes_similarity_function(analogy_kvs, tmp_path) -> None:
    ours, theirs, lines = analogy_kvs
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    path = str(path)
    got = ours.evaluate_word_analogies(path, similarity_function="most_similar_cosmul")
    want = theirs.evaluate_word_analogies(path, similarity_function="most_similar_cosmul")
    assert got == ours.evaluate_word_analogies(path)
    assert got[0] == want[0]


def test_wmdistance_matches_gensim() -> None:
    pytest.importorskip("ot")  # gensim's wmdistance needs POT
    rng = np.random.default_rng(4)
    keys = [f"w{i}" for i in range(60)]
    ours, theirs = _pair(keys, _random_vectors(60, 8, seed=4))
    for _ in range(25):
        doc1 = list(rng.choice(keys, rng.integers(1, 12))) + ["unknown"]
        doc2 = list(rng.choice(keys, rng.integers(1, 12)))
        # norm=False: the same float64 problem, solved exactly by both; norm=True: float32 unit
        # vectors, rounded a little differently
        assert ours.wmdistance(doc1, doc2, norm=False) == pytest.approx(
            theirs.wmdistance(doc1, doc2, norm=False), rel=1e-12, abs=1e-12)
        assert ours.wmdistance(doc1, doc2) == pytest.approx(
            theirs.wmdistance(doc1, doc2), rel=1e-6)
    doc = ["w1", "w2", "w2", "w7"]
    assert ours.wmdistance(doc, list(reversed(doc))) == 0.0
    assert ours.wmdistance(["w1"], ["w1", "w1"]) == theirs.wmdistance(["w1"], ["w1", "w1"]) == 0
    assert ours.wmdistance(["unknown"], doc) == theirs.wmdistance(["unknown"], doc) == np.inf
    # a forced flow (one word on one side), and words with one and the same vector
    assert ours.wmdistance(["w3"], doc) == pytest.approx(theirs.wmdistance(["w3"], doc), 1e-6)
    same = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), np.float32))
    assert same.wmdistance(["a"], ["b"]) == 0.0
