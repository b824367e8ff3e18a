"""``train_unsupervised`` (fastText's skip-gram and CBOW) and the word-vector API.

Checked here: the training step against a step-by-step float64 reference of fastText's
``skipgram``/``cbow`` updates (softmax and hs: no random draws), the parts fastText's
algorithm is made of (lines as ``getLine`` reads them, subsampling, the negative table, each
word's rows), learning on a generated corpus as well as fastText itself (``fasttext-numpy2``,
the oracle), and every answer of the API (``get_nearest_neighbors``, ``get_analogies``,
``get_subwords``, ``get_subword_id``, ``get_input_vector``, ``get_line``, word and sentence
vectors) against fastText's on a model fastText trained, plus the errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from firstlayer.models import load_model, train_unsupervised
from firstlayer.models.fasttext import SupervisedFileError, UnsupervisedArgs
from firstlayer.models.fasttext import _unsup as U
from firstlayer.models.fasttext._dictionary import Dictionary
from firstlayer.models.fasttext._hash import char_ngram_rows, char_ngrams, fnv1a
from firstlayer.models.fasttext._network import huffman_paths
from firstlayer.models.fasttext._reading import tokenize
from firstlayer.models.fasttext._train import _uniform_init

try:
    import fasttext as real_fasttext
except ImportError:  # pragma: no cover  (in the test extra on Linux x86-64)
    real_fasttext = None

needs_fasttext = pytest.mark.skipif(real_fasttext is None, reason="fasttext-numpy2 not installed")

QUIET = dict(verbose=0, thread=1)


# ---- a corpus whose structure is known ----------------------------------------------------------
def topic_corpus(path, lines: int = 2500, topics: int = 6, per_topic: int = 12, seed: int = 0):
    """Each line: 8 words of one topic (made-up words, no shared spelling); returns the topics."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab: set[str] = set()
    groups = []
    for _ in range(topics):
        group = []
        while len(group) < per_topic:
            w = "".join(rng.choice(letters, rng.integers(5, 9)))
            if w not in vocab:
                vocab.add(w)
                group.append(w)
        groups.append(group)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(lines):
            g = groups[rng.integers(topics)]
            f.write(" ".join(rng.choice(g, 8)) + "\n")
    return groups


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("unsup") / "topics.txt"
    return str(path), topic_corpus(path)


def topic_precision(model, groups, k: int = 5) -> float:
    topic_of = {w: i for i, g in enumerate(groups) for w in g}
    hits = total = 0
    for w, t in topic_of.items():
        for _, n in model.get_nearest_neighbors(w, k=k):
            hits += topic_of.get(n) == t
            total += 1
    return hits / total


# ---- the training step, exactly ------------------------------------------------------------------
def table_sigmoid(x: float) -> float:
    """fastText's ``Loss::sigmoid``: 0 below -8, 1 above 8, else a 512-step table."""
    if x < -8 or x > 8:
        return float(x > 8)
    i = int((np.float32(x) + np.float32(8)) * np.float32(32))
    return float(np.float32(1 / (1 + np.exp(-(i * 16 / 512 - 8)))))


def reference(w_in, w_out, lines, sub, model, loss, lr0, ntokens, paths=None):
    """fastText's updates one (rows, target) step at a time, hidden read from the rows each
    time (``Model::update``), in float64 (its sigmoid table for hs); ws=1, nothing discarded,
    lrUpdateRate=1."""
    w_in, w_out = w_in.astype(np.float64), w_out.astype(np.float64)
    done = 0

    def step(rows, target, lr):
        hidden = w_in[rows].mean(axis=0)
        if loss == "softmax":
            s = w_out @ hidden
            p = np.exp(s - s.max())
            p /= p.sum()
            alpha = lr * ((np.arange(len(p)) == target) - p)
            grad = alpha @ w_out
            w_out[:] += np.outer(alpha, hidden)
        else:  # hs: the target's path, node by node
            ptr, nodes, codes = paths
            grad = np.zeros_like(hidden)
            for q in range(ptr[target], ptr[target + 1]):
                node = nodes[q]
                f = table_sigmoid(w_out[node] @ hidden)
                alpha = lr * (codes[q] - f)
                grad += alpha * w_out[node]
                w_out[node] += alpha * hidden
        np.add.at(w_in, rows, grad)  # not divided by len(rows): unsupervised

    for words in lines:
        lr = lr0 * (1 - done / ntokens)
        n = len(words)
        for i in range(n):
            ctx = [j for j in (i - 1, i + 1) if 0 <= j < n]
            if model == "skipgram":
                for j in ctx:
                    step(sub[words[i]], words[j], lr)
            elif ctx:
                step(np.concatenate([sub[words[j]] for j in ctx]), words[i], lr)
        done += n
    return w_in, w_out


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("loss", ["softmax", "hs"])
def test_step_matches_fasttexts_updates(tmp_path, model, loss):
    path = tmp_path / "two.txt"
    path.write_text("aaaa bcd cé\nbcd aaaa\n", encoding="utf-8")  # "aaaa": a repeated n-gram
    kw = dict(model=model, loss=loss, dim=6, ws=1, epoch=1, minCount=1, minn=2, maxn=3,
              bucket=50, t=1.0, lrUpdateRate=1, lr=0.5, seed=3, **QUIET)
    got = train_unsupervised(str(path), **kw)
    d = got._dict
    sub = [np.array([i, *char_ngram_rows(w, 2, 3, 50, d.nwords)] if w != b"</s>" else [i])
           for i, w in enumerate(d.entries[: d.nwords])]
    w0 = np.empty((d.nwords + 50, 6), np.float32)
    _uniform_init(w0, 1 / 6, 3, 1)
    ids = [[d.index[w] for w in line.split()] + [d.index[b"</s>"]]
           for line in (b"aaaa bcd c\xc3\xa9", b"bcd aaaa")]
    paths = huffman_paths(d.counts[: d.nwords]) if loss == "hs" else None
    want_in, want_out = reference(w0, np.zeros((d.nwords, 6)), ids, sub, model, loss, 0.5,
                                  d.ntokens, paths)
    np.testing.assert_allclose(got.get_input_matrix(), want_in, atol=2e-6)
    np.testing.assert_allclose(got.get_output_matrix(), want_out, atol=2e-6)
    assert got.args.model == model and got.get_input_matrix().shape == (d.nwords + 50, 6)


# ---- the parts of fastText's algorithm --------------------------------------------------------
def test_lines_as_getline_reads_them():
    text = b"a b zz __label__x\n" + b"a " * 1100 + b"\nb\n"
    tokens = tokenize([text])
    d = Dictionary.build(tokens, UnsupervisedArgs(minCount=2))  # "zz" is left out
    seq, ptr = U.encode_stream(tokens, d, "__label__")
    a, b, eos = d.index[b"a"], d.index[b"b"], d.index[b"</s>"]
    lines = [seq[lo:hi].tolist() for lo, hi in zip(ptr[:-1], ptr[1:])]
    # labels count (-1) but are not words; a long line is cut after 1025 tokens
    assert lines[0] == [a, b, -1, eos]
    assert lines[1] == [a] * 1025 and lines[2] == [a] * 75 + [eos]
    assert lines[3] == [b, eos] and len(lines) == 4


def test_negative_table_and_subsampling_are_fastTexts():
    counts = np.array([900, 100, 16, 1])
    table = U.negative_table(counts)
    share = np.sqrt(counts) / np.sqrt(counts).sum()
    assert abs(table.size - U.NEGATIVE_TABLE_SIZE) <= counts.size
    np.testing.assert_allclose(np.bincount(table) / table.size, share, atol=1e-6)
    # the rows of each word: its own id, then its n-grams (none for </s>)
    d = Dictionary([b"</s>", b"ab"], np.array([3, 2]), 2, 5)
    ptr, rows = U.word_subwords(d, UnsupervisedArgs(minn=1, maxn=2, bucket=10))
    assert rows[ptr[0]:ptr[1]].tolist() == [0]
    assert rows[ptr[1]:ptr[2]].tolist() == [1, *char_ngram_rows("ab", 1, 2, 10, 2)]
    gain = U._gain(np.array([0, 3, 5]), np.array([4, 4, 7, 1, 2]))
    np.testing.assert_allclose(gain, [(4 + 1) / 3, 1.0])


def test_subsampling_drops_frequent_words(tmp_path):
    """t = 1e-4 keeps each word with probability sqrt(t/f) + t/f: on a file where one word is
    90% of the tokens it is rarely trained, so its output row moves much less than with t=1."""
    path = tmp_path / "freq.txt"
    rng = np.random.default_rng(0)
    words = np.where(rng.random((400, 10)) < 0.9, "the", rng.choice(["x1", "y2", "z3"], (400, 10)))
    path.write_text("\n".join(" ".join(r) for r in words) + "\n")
    kw = dict(dim=8, epoch=1, minCount=1, maxn=0, **QUIET)
    low = train_unsupervised(str(path), t=1e-4, **kw)
    high = train_unsupervised(str(path), t=1.0, **kw)
    i = low.get_word_id("the")
    moved_low = np.abs(low.get_output_matrix()[i]).sum()
    assert moved_low < 0.2 * np.abs(high.get_output_matrix()[i]).sum()


# ---- learning, and fastText's defaults --------------------------------------------------------
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_learns_topics_as_well_as_fasttext(corpus, model):
    path, groups = corpus
    kw = dict(model=model, dim=20, epoch=5, minn=3, maxn=5, bucket=20000, t=1e-2)
    ours = train_unsupervised(path, **kw, **QUIET)
    p_ours = topic_precision(ours, groups)
    assert p_ours > 0.9
    if real_fasttext is not None:
        theirs = real_fasttext.train_unsupervised(path, verbose=0, thread=12, **kw)
        assert p_ours >= topic_precision(theirs, groups) - 0.05


@pytest.mark.parametrize("model, loss", [("skipgram", "hs"), ("cbow", "softmax")])
def test_hs_and_softmax_learn(corpus, model, loss):
    path, groups = corpus
    ours = train_unsupervised(path, model=model, loss=loss, dim=20, epoch=5, minn=3, maxn=5,
                              bucket=20000, t=1e-2, **QUIET)
    assert topic_precision(ours, groups) > 0.9


def test_defaults_threads_seed(corpus):
    path, _ = corpus
    args = UnsupervisedArgs(thread=1)
    assert (args.model, args.lr, args.minCount, args.minn, args.maxn, args.loss, args.t,
            args.bucket, args.dim, args.ws, args.neg) == (
        "skipgram", 0.05, 5, 3, 6, "ns", 1e-4, 2000000, 100, 5, 5)
    kw = dict(dim=8, epoch=1, bucket=1000, verbose=0)
    a = train_unsupervised(path, thread=1, seed=1, **kw)
    b = train_unsupervised(path, thread=1, seed=1, **kw)
    c = train_unsupervised(path, thread=1, seed=2, **kw)
    np.testing.assert_array_equal(a.get_input_matrix(), b.get_input_matrix())
    assert not np.array_equal(a.get_input_matrix(), c.get_input_matrix())
    par = train_unsupervised(path, thread=3, seed=1, **kw)  # Hogwild: finite, same shapes
    assert np.isfinite(par.get_input_matrix()).all()
    assert par.get_input_matrix().shape == a.get_input_matrix().shape
    # maxn=0: no n-grams, so no hash rows (fastText's Python module sets bucket=0)
    plain = train_unsupervised(path, maxn=0, min_count=1, **{**kw, "bucket": 500}, thread=1)
    assert plain.args.bucket == 0 and plain.args.minCount == 1
    assert plain.get_input_matrix().shape == (len(plain.words), 8)


@needs_fasttext
def test_dictionary_and_shapes_as_fasttext(corpus):
    path, _ = corpus
    kw = dict(model="cbow", dim=10, epoch=1, bucket=3000, minCount=3, thread=1)
    ours = train_unsupervised(path, verbose=0, **kw)
    theirs = real_fasttext.train_unsupervised(path, verbose=0, **{**kw, "thread": 12})
    w1, c1 = ours.get_words(include_freq=True)
    w2, c2 = theirs.get_words(include_freq=True)
    assert dict(zip(w1, c1.tolist())) == dict(zip(w2, c2.tolist()))
    assert ours.get_input_matrix().shape == theirs.get_input_matrix().shape
    assert ours.get_output_matrix().shape == theirs.get_output_matrix().shape


def test_pretrained_vectors_start_their_rows(corpus, tmp_path):
    vec = tmp_path / "pre.vec"
    vec.write_text("1 4\nnewword 0.5 0.5 0.5 0.5\n")
    m = train_unsupervised(corpus[0], dim=4, epoch=1, bucket=100, pretrainedVectors=str(vec),
                           **QUIET)
    assert "newword" in m.words  # joins the vocabulary; never in the text, so never trained
    np.testing.assert_array_equal(m.get_input_vector(m.get_word_id("newword")), [0.5] * 4)


def test_verbose_reports(corpus, capsys):
    train_unsupervised(corpus[0], dim=4, epoch=1, bucket=100, verbose=1, thread=1)
    err = capsys.readouterr().err
    assert "Number of words:" in err and "avg.loss" in err and "Trained in" in err


def test_bad_arguments(tmp_path, corpus):
    path = corpus[0]
    for kw, match in [(dict(model="supervised"), "skipgram"), (dict(loss="ova"), "loss"),
                      (dict(dim=0), "dim"), (dict(minn=5, maxn=3), "minn")]:
        with pytest.raises(ValueError, match=match):
            train_unsupervised(path, **kw, **QUIET)
    with pytest.raises(TypeError, match="autotune"):
        train_unsupervised(path, autotuneDuration=3, **QUIET)
    with pytest.raises(FileNotFoundError):
        train_unsupervised(str(tmp_path / "missing.txt"), **QUIET)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(SupervisedFileError, match="minCount"):
        train_unsupervised(str(empty), **QUIET)
    with pytest.raises(SupervisedFileError, match="minCount"):
        train_unsupervised(path, minCount=10**9, **QUIET)


# ---- the API against fastText's, on a model fastText trained ---------------------------------
@pytest.fixture(scope="module", params=[dict(minn=2, maxn=4), dict(maxn=0)],
                ids=["ngrams", "words"])
def both(request, corpus, tmp_path_factory):
    if real_fasttext is None:
        pytest.skip("fasttext-numpy2 not installed")
    path, groups = corpus
    ft = real_fasttext.train_unsupervised(path, dim=12, epoch=3, bucket=5000, minCount=2,
                                          verbose=0, thread=12, **request.param)
    file = tmp_path_factory.mktemp("ft") / "model.bin"
    ft.save_model(str(file))
    return ft, load_model(str(file)), groups


def _same_ranking(a, b):
    assert [w for _, w in a] == [w for _, w in b]
    np.testing.assert_allclose([s for s, _ in a], [s for s, _ in b], atol=1e-5)


def test_neighbours_and_analogies_as_fasttext(both):
    ft, ours, groups = both
    probes = [*groups[0][:4], *groups[3][:2], "unseenword", "</s>"]
    for w in probes:
        _same_ranking(ours.get_nearest_neighbors(w, k=4), ft.get_nearest_neighbors(w, k=4))
        assert isinstance(ours.get_nearest_neighbors(w)[0], tuple)
    everything = ours.get_nearest_neighbors(groups[0][0], k=10**6)
    assert len(everything) == len(ft.words) - 1 == len(ft.get_nearest_neighbors(groups[0][0],
                                                                                  k=10**6))
    assert ours.get_nearest_neighbors(groups[0][0], k=0) == []  # fastText crashes here
    for a, b, c in [groups[0][:3], groups[1][:3], [groups[2][0], "unseen", groups[4][1]]]:
        _same_ranking(ours.get_analogies(a, b, c, k=3), ft.get_analogies(a, b, c, k=3))


def test_subwords_lines_and_vectors_as_fasttext(both):
    ft, ours, groups = both
    words = [groups[0][0], "unseen", "é漢字x", "</s>", "__label__a", "a", ""]
    for w in words:
        s1, i1 = ours.get_subwords(w)
        s2, i2 = ft.get_subwords(w)
        assert s1 == s2 and i1.tolist() == i2.tolist()
        np.testing.assert_allclose(ours.get_word_vector(w), ft.get_word_vector(w), atol=1e-6)
        if w and ours.args.bucket:
            assert ours.get_subword_id(w) == ft.get_subword_id(w)
    sentence = " ".join(groups[1][:3]) + " unseen\t" + groups[2][0]
    np.testing.assert_allclose(ours.get_sentence_vector(sentence),
                               ft.get_sentence_vector(sentence), atol=1e-6)
    for line in ["", f"{groups[0][1]} new __label__x  é", "a </s> b", "  "]:
        assert ours.get_line(line) == ft.get_line(line)
    assert ours.get_line(["a b", "c"]) == ft.get_line(["a b", "c"])
    rows = ft.get_input_matrix().shape[0]
    for i in [0, 3, rows - 1]:
        np.testing.assert_array_equal(ours.get_input_vector(i), ft.get_input_vector(i))
        assert ours.get_input_vector(i).dtype == np.float32


def test_api_errors(both):
    _, ours, _ = both
    rows = ours.get_input_matrix().shape[0]
    for bad in [rows, -1]:
        with pytest.raises(IndexError, match=f"ind {bad} is out of range"):
            ours.get_input_vector(bad)
    with pytest.raises(TypeError):
        ours.get_input_vector(1.5)
    with pytest.raises(ValueError, match="one line at a time"):
        ours.get_line("a\nb")
    with pytest.raises(ValueError, match="on_unicode_error"):
        ours.get_nearest_neighbors("a", on_unicode_error="bad")
    if ours.args.bucket == 0:
        with pytest.raises(ValueError, match="bucket=0"):
            ours.get_subword_id("<ab")


def test_char_ngrams_reference():
    assert char_ngrams("ab", 1, 2) == [b"<a", b"a", b"ab", b"b", b"b>"]
    assert char_ngrams("é", 1, 1) == ["é".encode()]  # a character is never split
    assert char_ngrams("</s>", 1, 3) == [] and char_ngrams("ab", 1, 0) == []
    assert char_ngram_rows("ab", 2, 2, 7, 3) == [3 + fnv1a(g) % 7 for g in (b"<a", b"ab", b"b>")]
