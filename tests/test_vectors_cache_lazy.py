"""The cache format's lazy keys: ``KeyList``/``KeyIndex`` over ``keys.txt``, its offsets and its
hash table. A cache opens without work per key, answers every query exactly as the same
vectors held in a list and a dict (and so as gensim), turns into a list and a dict before it
grows, saves back by copying its files, and reports damaged or old files clearly."""

from __future__ import annotations

import json
import tracemalloc
import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer.vectors as fv
from firstlayer.text import build_vocab_from_iterator
from firstlayer.vectors import _lazykeys
from firstlayer.vectors._lazykeys import KeyIndex, KeyList, build_table, table_size
from firstlayer.vectors.formats import VectorFileError, load_vectors, save_vectors
from firstlayer.vectors.formats import cache as cache_format
from firstlayer.vectors.keyed import KeyedVectors

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

DIM = 16
# Case variants (case_insensitive, lower_case_backup), keys the escaping must carry (newline,
# carriage return, backslash, a backslash followed by "n"), CJK, a non-breaking space, an
# emoji, the empty key.
WORDS = (
    [f"w{i}" for i in range(280)]
    + ["King", "king", "KING", "Paris", "paris", "我", "你", "a\u00a0b", "🙂"]
    + ["a\nb", "cr\r", "back\\slash", "\\n literally", ""]
)
# fmt: off
PAIRS = ["w1\tw2\t3.5", "w3\tw4\t7.25", "W5\tw6\t1.0", "king\tparis\t6.0", "KING\tw7\t2.0",
         "w8\tw9\t9.5", "我\t你\t8.0", "w16\tunknownword\t3.0", "w200\tw201\t6.5",
         "Paris\tw21\t7.0", "w22\tw23\t4.5"]
ANALOGIES = [": s", "w1 w2 w3 w4", "w5 w6 w7 w8", "king paris w9 w10", "w1 w2 w3 unknownword",
             "W11 w12 w13 w14"]
# fmt: on


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def cache_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("lazy") / "words.cache"
    save_vectors(WORDS, _vectors(len(WORDS)), path, "cache")
    return path


@pytest.fixture
def lazy(cache_path) -> KeyedVectors:
    return fv.load(cache_path)


@pytest.fixture
def eager() -> KeyedVectors:
    return KeyedVectors.from_arrays(list(WORDS), _vectors(len(WORDS)))


# ---- opening ---------------------------------------------------------------------------------
def test_a_cache_opens_with_lazy_keys_and_decodes_nothing(lazy, cache_path):
    assert isinstance(lazy.index_to_key, KeyList) and isinstance(lazy.key_to_index, KeyIndex)
    assert isinstance(lazy.vectors, np.memmap) and not lazy.vectors.flags.writeable
    np.testing.assert_array_equal(lazy["w7"], _vectors(len(WORDS))[7])
    assert "a\nb" in lazy and "nope" not in lazy and len(lazy) == len(WORDS)
    assert lazy.index_to_key._list is None  # no list of every key was made for these
    meta = json.loads((cache_path / "meta.json").read_text())
    assert meta["version"] == 2 and meta["keys_escaped"] is True
    offsets = np.load(cache_path / "keys.offsets.npy")
    table = np.load(cache_path / "keys.hash.npy")
    assert offsets.dtype == np.int64 and offsets.shape == (len(WORDS) + 1,)
    assert offsets[-1] == (cache_path / "keys.txt").stat().st_size
    assert table.dtype == np.int32 and table.shape == (table_size(len(WORDS)),)
    assert sorted(table[table >= 0].tolist()) == list(range(len(WORDS)))  # each row once


def test_keys_file_is_unchanged_one_escaped_key_per_line(cache_path):
    lines = (cache_path / "keys.txt").read_bytes().decode("utf-8").split("\n")[:-1]
    assert lines == [cache_format.escape_key(w) for w in WORDS]
    assert "a\\nb" in lines and "back\\\\slash" in lines and "\\\\n literally" in lines


def test_every_key_round_trips_and_finds_its_row(lazy):
    assert lazy.index_to_key == WORDS and WORDS == lazy.index_to_key
    assert list(lazy) == WORDS
    for row, key in enumerate(WORDS):
        assert lazy.index_to_key[row] == key
        assert lazy.key_to_index[key] == row == lazy.get_index(key)
    # Near misses of escaped keys, a lone surrogate (no UTF-8 file holds one), non-strings.
    for missing in ["a\\nb", "back\\\\slash", "\n", "cr", "\ud800", "W7", " w7"]:
        assert missing not in lazy and lazy.key_to_index.get(missing, -1) == -1
    assert lazy.key_to_index.get(3) is None and 3.5 not in lazy.key_to_index
    assert lazy.get_index(3) == 3  # an int that is not a key is a row number (gensim)


def test_a_cache_without_backslashes_skips_unescaping(tmp_path):
    save_vectors(["我", "你", "plain"], _vectors(3), tmp_path / "c", "cache")
    meta = json.loads((tmp_path / "c" / "meta.json").read_text())
    assert meta["keys_escaped"] is False
    kv = fv.load(tmp_path / "c")
    assert kv.index_to_key == ["我", "你", "plain"] and kv.key_to_index["plain"] == 2


def test_a_cache_opens_without_work_per_key_whatever_its_size(tmp_path):
    # The time it takes (~1 ms at any size) is bench/bench_vectors.py's "cache-load"; here, what
    # makes it so: opening allocates the same few KB for 2k keys as for 200k (a list and a
    # dict of 200k keys would be ~20 MB), as memory maps are not Python allocations.
    peaks = []
    for n in (2_000, 200_000):
        keys = [f"word{i}" for i in range(n)]
        save_vectors(keys, np.zeros((n, 2), np.float32), tmp_path / f"c{n}", "cache")
        fv.load(tmp_path / f"c{n}")  # imports and first-call set-up out of the measure
        tracemalloc.start()
        try:
            kv = fv.load(tmp_path / f"c{n}")
            assert kv.key_to_index[f"word{n - 1}"] == n - 1 and f"word{n}" not in kv
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert kv.index_to_key._list is None and kv.index_to_key[n // 2] == f"word{n // 2}"
    assert peaks[1] < 1 << 20 and abs(peaks[1] - peaks[0]) < 64 << 10, peaks


def test_empty_cache(tmp_path):
    save_vectors([], np.zeros((0, 3), np.float32), tmp_path / "e", "cache")
    kv = fv.load(tmp_path / "e")
    assert len(kv) == 0 and kv.index_to_key == [] and dict(kv.key_to_index) == {}
    assert "a" not in kv and kv.index_to_key[:5] == [] and list(kv) == []
    with pytest.raises(KeyError, match="'a' not present"):
        kv["a"]
    kv.save(tmp_path / "e2", format="cache")
    assert fv.load(tmp_path / "e2").vectors.shape == (0, 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=60, unique=True), st.lists(st.text(max_size=8)))
def test_any_unique_keys_are_found_and_others_are_not(keys, others):
    index = KeyIndex(KeyList.from_keys(keys))
    assert list(index.keys_list) == keys and len(index) == len(keys)
    assert all(index[k] == i for i, k in enumerate(keys))
    for other in others:
        assert (other in index) == (other in keys)


def test_hash_table_with_many_collisions():
    # 5,000 keys in 16,384 slots: many share a home slot, some runs wrap around the end.
    keys = [f"k{i}" for i in range(5000)]
    table = build_table(_lazykeys.line_hashes([k.encode() for k in keys], len(keys)))
    assert table.shape == (16384,) and (table >= 0).sum() == 5000
    lazy = KeyList.from_keys(keys)
    assert [lazy.find(k) for k in keys] == list(range(5000))
    assert all(lazy.find(f"x{i}") == -1 for i in range(5000))


# ---- the same answers as a list and a dict (and so as gensim) -----------------------------------
def _same_neighbours(got, want):
    assert [k for k, _ in got] == [k for k, _ in want]
    np.testing.assert_array_equal([s for _, s in got], [s for _, s in want])


def test_every_query_gives_the_same_answer(lazy, eager):
    queries = [
        {"positive": "w3"},
        {"positive": ["king", "paris"], "negative": ["w9"], "topn": 5},
        {"positive": ["我", "a\nb"], "restrict_vocab": 100},
        {"positive": [lazy["w4"]], "topn": 3},
    ]
    for kw in queries:
        _same_neighbours(lazy.most_similar(**kw), eager.most_similar(**kw))
        _same_neighbours(lazy.most_similar_cosmul(**kw), eager.most_similar_cosmul(**kw))
    weighted = [("我", 2.0), ("a\nb", -0.5)]
    _same_neighbours(lazy.most_similar(weighted), eager.most_similar(weighted))
    np.testing.assert_array_equal(
        lazy.most_similar("w1", topn=None), eager.most_similar("w1", topn=None)
    )
    assert lazy.similarity("king", "🙂") == eager.similarity("king", "🙂")
    assert lazy.n_similarity(["w1", "w2"], ["cr\r"]) == eager.n_similarity(["w1", "w2"], ["cr\r"])
    assert lazy.distance("w1", "") == eager.distance("w1", "")
    np.testing.assert_array_equal(lazy.distances("w5"), eager.distances("w5"))
    np.testing.assert_array_equal(
        lazy.distances("w5", ["w6", "我"]), eager.distances("w5", ["w6", "我"])
    )
    assert lazy.closer_than("w1", "w2") == eager.closer_than("w1", "w2")
    assert lazy.rank("w1", "w2") == eager.rank("w1", "w2")
    words = ["w1", "w2", "king", "unknown"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert lazy.doesnt_match(words) == eager.doesnt_match(words)
        assert lazy.rank_by_centrality(words) == eager.rank_by_centrality(words)
    assert lazy.most_similar_to_given("w1", ["w2", "w3"]) == eager.most_similar_to_given(
        "w1", ["w2", "w3"]
    )
    for key in ["w0", "你", "back\\slash", 5]:
        assert lazy.get_index(key) == eager.get_index(key)
        np.testing.assert_array_equal(lazy[key], eager[key])
        np.testing.assert_array_equal(
            lazy.get_vector(key, norm=True), eager.get_vector(key, norm=True)
        )
    np.testing.assert_array_equal(lazy[["w3", "a\nb", "w3"]], eager[["w3", "a\nb", "w3"]])
    np.testing.assert_array_equal(
        lazy.get_mean_vector(["w1", "nope", "Paris"]),
        eager.get_mean_vector(["w1", "nope", "Paris"]),
    )


def test_most_similar_matches_gensim(lazy):
    theirs = GensimKV(DIM)
    theirs.add_vectors(list(WORDS), _vectors(len(WORDS)))
    got = lazy.most_similar(positive=["king", "w4"], negative=["w9"], topn=10)
    want = theirs.most_similar(positive=["king", "w4"], negative=["w9"], topn=10)
    assert [k for k, _ in got] == [k for k, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-6)


def test_missing_key_error_names_the_closest_keys(lazy, eager):
    for missing in ["Kingg", "PARIS", "w27x"]:
        with pytest.raises(KeyError) as got:
            lazy[missing]
        with pytest.raises(KeyError) as want:
            eager[missing]
        assert str(got.value) == str(want.value) and "closest keys" in str(got.value)


def test_embedding_coverage_and_evaluation_are_the_same(lazy, eager, tmp_path):
    tokens = ["<pad>", "w1", "KING", "Paris", "unseen", "我", "a\nb", "W3"]
    vocab = build_vocab_from_iterator([tokens], specials=["<pad>"])
    for lower in (False, True):
        got = lazy.to_embedding(vocab, oov="zeros", lower_case_backup=lower, padding_idx=0)
        want = eager.to_embedding(vocab, oov="zeros", lower_case_backup=lower, padding_idx=0)
        np.testing.assert_array_equal(got.weight.numpy(), want.weight.numpy())
        assert lazy.coverage(tokens, lower) == eager.coverage(tokens, lower)
        assert lazy.coverage(tokens, lower).missing == eager.coverage(tokens, lower).missing
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("\n".join(PAIRS) + "\n", encoding="utf8")
    analogies = tmp_path / "questions.txt"
    analogies.write_text("\n".join(ANALOGIES) + "\n", encoding="utf8")
    for kw in ({}, {"case_insensitive": False, "restrict_vocab": 150}):
        got_pairs = lazy.evaluate_word_pairs(pairs, **kw)
        want_pairs = eager.evaluate_word_pairs(pairs, **kw)
        assert [tuple(r) for r in got_pairs[:2]] == [tuple(r) for r in want_pairs[:2]]
        assert got_pairs[2] == want_pairs[2]
        assert lazy.evaluate_word_analogies(analogies, **kw) == eager.evaluate_word_analogies(
            analogies, **kw
        )


# ---- growing: a list and a dict again ----------------------------------------------------------
def test_adding_keys_turns_the_lazy_keys_into_a_list_and_a_dict(lazy, eager, cache_path):
    before = (cache_path / "keys.txt").read_bytes()
    for kv in (lazy, eager):
        kv.add_vectors(["new1", "w2"], np.ones((2, DIM), np.float32), replace=True)
        kv["new2"] = np.full(DIM, 2.0, np.float32)
        assert kv.add_vector("w3", np.zeros(DIM)) == 3  # known: nothing changes
        assert kv.add_vector("new3", np.zeros(DIM)) == len(WORDS) + 2
    assert type(lazy.index_to_key) is list and type(lazy.key_to_index) is dict
    assert lazy.index_to_key == eager.index_to_key and lazy.key_to_index == eager.key_to_index
    np.testing.assert_array_equal(lazy.vectors, eager.vectors)
    _same_neighbours(lazy.most_similar("new1"), eager.most_similar("new1"))
    # The cache on disk is untouched, and opens as it was.
    assert (cache_path / "keys.txt").read_bytes() == before
    assert fv.load(cache_path).index_to_key == WORDS


# ---- limit= and vocab= ---------------------------------------------------------------------------
def test_limit_keeps_lazy_keys_that_stop_at_the_limit(cache_path, tmp_path):
    kv = fv.load(cache_path, limit=283)
    assert isinstance(kv.index_to_key, KeyList) and len(kv) == 283 == len(kv.key_to_index)
    assert kv.index_to_key == WORDS[:283] and list(kv.key_to_index) == WORDS[:283]
    assert "King" in kv and "KING" in kv and "Paris" not in kv and "a\nb" not in kv
    with pytest.raises(IndexError):
        kv.index_to_key[283]
    kv.save(tmp_path / "head", format="cache")  # the table is rebuilt for the 283 keys
    back = fv.load(tmp_path / "head")
    assert back.index_to_key == WORDS[:283] and "Paris" not in back and back.get_index("w9") == 9
    assert np.load(tmp_path / "head" / "keys.hash.npy").shape == (table_size(283),)


def test_vocab_selects_from_a_cache_into_lists(cache_path):
    kv = fv.load(cache_path, vocab=["paris", "King", "a\nb", "nope"], lower_case_backup=True)
    assert kv.index_to_key == ["King", "paris", "a\nb"] and type(kv.index_to_key) is list
    assert kv.load_report.missing == ["nope"]


# ---- saving ----------------------------------------------------------------------------------
def test_saving_loaded_keys_copies_their_files(lazy, cache_path, tmp_path, monkeypatch):
    def no_escaping(key):
        raise AssertionError("keys of a loaded cache are copied, not escaped again")

    monkeypatch.setattr(cache_format, "escape_key", no_escaping)
    lazy.save(tmp_path / "copy", format="cache")
    for name in ("keys.txt", "keys.offsets.npy", "keys.hash.npy", "vectors.npy"):
        assert (tmp_path / "copy" / name).read_bytes() == (cache_path / name).read_bytes()
    assert fv.load(tmp_path / "copy").index_to_key == WORDS
    monkeypatch.undo()
    fv.load(cache_path, limit=280).save(tmp_path / "v.bin.gz", format="word2vec-binary")
    assert load_vectors(tmp_path / "v.bin.gz")[0] == WORDS[:280]
    with pytest.raises(ValueError, match="line break"):  # the text formats can't hold "a\nb"
        lazy.save(tmp_path / "v.txt", format="glove")
    with pytest.raises(ValueError, match="can't be compressed"):
        lazy.save(tmp_path / "c.gz", format="cache")


def test_saving_a_cache_over_itself_while_it_is_open(tmp_path):
    path = tmp_path / "c"
    save_vectors(WORDS, _vectors(len(WORDS)), path, "cache")
    kv = fv.load(path)
    kv.save(path, format="cache")  # its own files are moved aside while still mapped
    assert kv["w5"].tolist() == _vectors(len(WORDS))[5].tolist() and "paris" in kv
    assert fv.load(path).index_to_key == WORDS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


def test_a_failed_save_leaves_the_existing_cache(tmp_path, monkeypatch):
    path = tmp_path / "c"
    save_vectors(["old"], _vectors(1), path, "cache")
    real = cache_format._write_synced

    def fail_on_the_hash_table(target, write):
        if target.name.endswith("hash.npy"):  # keys.hash.npy, or keys.<token>.hash.npy
            raise OSError("disk full")
        real(target, write)

    files = sorted(p.name for p in path.iterdir())
    monkeypatch.setattr(cache_format, "_write_synced", fail_on_the_hash_table)
    with pytest.raises(OSError, match="disk full"):
        save_vectors(["new", "newer"], _vectors(2), path, "cache")
    assert fv.load(path).index_to_key == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # no temporary left
    assert sorted(p.name for p in path.iterdir()) == files  # no new file left in the cache
    with pytest.raises(OSError, match="disk full"):  # a new cache: nothing at all is left
        save_vectors(["new"], _vectors(1), tmp_path / "d", "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


# ---- replacing a cache while others read it -----------------------------------------------------
def _version(tag: str, n: int) -> tuple[list[str], np.ndarray]:
    """A cache's content that says which save it came from: keys tag0.., every value n."""
    return [f"{tag}{i}" for i in range(n)], np.full((n, DIM), float(n), np.float32)


def _whole(path) -> tuple[str, int]:
    """Open the cache and check it is one save's content, whole: (its tag, its size)."""
    kv = fv.load(path)
    n = len(kv)
    tag = kv.index_to_key[0].rstrip("0123456789")
    assert kv.index_to_key == _version(tag, n)[0]
    assert kv.key_to_index[f"{tag}{n - 1}"] == n - 1
    np.testing.assert_array_equal(kv.vectors, float(n))
    return tag, n


def test_a_new_cache_keeps_the_version_2_layout(tmp_path):
    path = tmp_path / "c"
    save_vectors(*_version("a", 3), path, "cache")
    assert sorted(p.name for p in path.iterdir()) == [
        "keys.hash.npy", "keys.offsets.npy", "keys.txt", "meta.json", "vectors.npy"
    ]
    assert json.loads((path / "meta.json").read_text())["version"] == 2


def test_replacing_a_cache_leaves_no_moment_without_it(tmp_path, monkeypatch):
    # At every step of the replacement that touches the file system, a reader opens the cache:
    # it must find the old content or the new, whole (the old way, renaming the old directory
    # aside and the new one in, had a moment with nothing at the path).
    path = tmp_path / "c"
    save_vectors(*_version("a", 3), path, "cache")
    seen = []

    def reading_after(real):
        def step(*args, **kwargs):
            result = real(*args, **kwargs)
            seen.append(_whole(path))
            return result

        return step

    import os

    for name in ("replace", "rename", "unlink", "rmdir", "link"):
        monkeypatch.setattr(os, name, reading_after(getattr(os, name)))
    monkeypatch.setattr(
        cache_format, "_write_synced", reading_after(cache_format._write_synced)
    )
    save_vectors(*_version("b", 5), path, "cache")  # over a version 2 cache
    save_vectors(*_version("c", 2), path, "cache")  # over a version 3 one
    monkeypatch.undo()
    assert seen[0] == ("a", 3) and seen[-1] == ("c", 2) and ("b", 5) in seen
    assert len(seen) >= 10  # four files, the pointer, the old files: each step was seen
    assert _whole(path) == ("c", 2)
    names = sorted(p.name for p in path.iterdir())
    assert len(names) == 5 and "meta.json" in names  # the old files are gone
    meta = json.loads((path / "meta.json").read_text())
    assert meta["version"] == 3 and sorted(meta["files"].values()) == sorted(
        n for n in names if n != "meta.json"
    )


def test_a_reader_whose_files_vanish_opens_the_new_ones(tmp_path, monkeypatch):
    # The reader read meta.json, then a writer replaced the cache and deleted the files that
    # meta.json named before the reader opened them: it reads meta.json again.
    path = tmp_path / "c"
    save_vectors(*_version("a", 3), path, "cache")
    real = cache_format._open_files
    calls = []

    def writer_in_between(root, meta):
        calls.append(meta["count"])
        if meta["count"] == 3:
            save_vectors(*_version("b", 4), path, "cache")
        return real(root, meta)

    monkeypatch.setattr(cache_format, "_open_files", writer_in_between)
    assert _whole(path) == ("b", 4)
    assert calls == [3, 4]
    # a damaged cache, whose meta.json stays as it is, still fails at once
    calls.clear()
    (path / json.loads((path / "meta.json").read_text())["files"]["hash"]).unlink()
    with pytest.raises(VectorFileError, match="hash.npy is missing"):
        fv.load(path)
    assert calls == [4]


_READER = """
import sys, pathlib
sys.path[:0] = {paths!r}
from test_vectors_cache_lazy import _whole
path, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
reads, seen = 0, {{_whole(path)}}
print("ready", flush=True)
while not stop.exists() or reads < 20:
    seen.add(_whole(path))
    reads += 1
print(reads, len(seen))
"""


def test_readers_in_another_process_never_fail_while_a_cache_is_replaced(tmp_path):
    import os
    import subprocess
    import sys

    path, stop = tmp_path / "c", tmp_path / "stop"
    save_vectors(*_version("a", 50), path, "cache")
    here = os.path.dirname(os.path.abspath(__file__))
    script = _READER.format(paths=[here] + sys.path)
    reader = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "ready\n"
        for i in range(40):
            save_vectors(*_version("ab"[i % 2], 50 + i), path, "cache")
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err[-2000:]
    reads, versions = map(int, out.split())
    assert reads >= 20 and versions >= 2, out
    assert len(list(path.iterdir())) == 5  # the replaced versions' files are gone


def test_duplicate_keys_never_reach_a_cache(tmp_path):
    with pytest.raises(ValueError, match="'a' appears more than once"):
        save_vectors(["a", "b", "a"], _vectors(3), tmp_path / "c", "cache")
    assert not (tmp_path / "c").exists()
    with pytest.raises(ValueError, match="2 keys but 3 vectors"):
        cache_format.write_cache(tmp_path / "c", ["a", "b"], _vectors(3))
    assert list(tmp_path.iterdir()) == []


# ---- old and damaged caches --------------------------------------------------------------------
def _version_1(path):
    """Turn a cache into what firstlayer wrote before the key tables existed."""
    (path / "keys.offsets.npy").unlink()
    (path / "keys.hash.npy").unlink()
    meta = json.loads((path / "meta.json").read_text())
    meta["version"] = 1
    del meta["keys_escaped"]
    (path / "meta.json").write_text(json.dumps(meta))


def test_version_1_caches_still_load(tmp_path, eager):
    path = tmp_path / "v1"
    save_vectors(WORDS, _vectors(len(WORDS)), path, "cache")
    _version_1(path)
    kv = fv.load(path)
    assert type(kv.index_to_key) is list and kv.index_to_key == WORDS
    assert load_vectors(path, limit=3)[0] == WORDS[:3]
    _same_neighbours(kv.most_similar("a\nb"), eager.most_similar("a\nb"))
    kv.save(path, format="cache")  # saving again upgrades it (3: replaced, its files named)
    assert json.loads((path / "meta.json").read_text())["version"] == 3
    assert isinstance(fv.load(path).index_to_key, KeyList)
    assert fv.load(path).index_to_key == WORDS


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "keys.offsets.npy").unlink(), "keys.offsets.npy is missing"),
        (lambda p: (p / "keys.hash.npy").unlink(), "keys.hash.npy is missing"),
        (lambda p: (p / "keys.txt").unlink(), "keys.txt is missing"),
        (lambda p: np.save(p / "keys.offsets.npy", np.arange(5)), "keys.offsets.npy holds"),
        (lambda p: np.save(p / "keys.hash.npy", np.full(7, -1, np.int32)), "keys.hash.npy holds"),
        (lambda p: np.save(p / "keys.hash.npy", np.full(512, -1.0)), "keys.hash.npy holds"),
        (lambda p: (p / "keys.hash.npy").write_bytes(b"\x93NUMPY junk"), "keys.hash.npy can't"),
        (lambda p: (p / "keys.txt").write_bytes(b"extra\n" * 300), "keys.txt has 1,800 bytes"),
    ],
)
def test_damaged_caches_say_which_file_and_how_to_fix_it(tmp_path, damage, message):
    path = tmp_path / "c"
    save_vectors(WORDS, _vectors(len(WORDS)), path, "cache")
    damage(path)
    with pytest.raises(VectorFileError, match=message) as err:
        fv.load(path)
    assert "save it again" in str(err.value) and str(path) in str(err.value)


# ---- KeyList and KeyIndex as a list and a dict ---------------------------------------------------
def test_keylist_behaves_as_a_read_only_list(monkeypatch):
    keys = [f"k{i}" for i in range(10)] + ["x\ny"]
    lazy = KeyList.from_keys(keys)
    assert lazy[-1] == "x\ny" and lazy[np.int64(3)] == "k3"
    assert lazy[2:5] == keys[2:5] and lazy[::3] == keys[::3] and lazy[::-2] == keys[::-2]
    assert lazy[-3:] == keys[-3:] and lazy[8:2] == [] and lazy[:100] == keys
    with pytest.raises(IndexError, match="11 keys"):
        lazy[11]
    assert lazy.index("k4") == 4 and lazy.index("k4", -8) == 4 and lazy.count("k4") == 1
    with pytest.raises(ValueError, match="'k4' is not in the keys"):
        lazy.index("k4", 5)
    with pytest.raises(ValueError):
        lazy.index("nope")
    assert lazy == keys and lazy != keys[:-1] and lazy != keys[::-1] and lazy != tuple(keys)
    assert lazy == KeyList.from_keys(keys) and list(reversed(lazy)) == keys[::-1]
    monkeypatch.setattr(_lazykeys, "_DECODE_BLOCK", 4)  # iterate block by block
    assert list(KeyList.from_keys(keys)) == keys
    copy = lazy.tolist()
    copy.append("more")
    assert len(lazy) == 11 and lazy.tolist() == keys  # tolist hands out copies
    assert repr(lazy) == "KeyList(['k0', 'k1', 'k2', ...], 11 keys)"
    with pytest.raises(TypeError):
        hash(lazy)


def test_keyindex_behaves_as_a_read_only_dict():
    keys = ["a", "b", "我"]
    index = KeyIndex(KeyList.from_keys(keys))
    assert index == {"a": 0, "b": 1, "我": 2} and dict(index) == {"a": 0, "b": 1, "我": 2}
    assert list(index) == keys and list(index.keys()) == keys and len(index) == 3
    assert list(index.values()) == [0, 1, 2]
    assert list(index.items()) == [("a", 0), ("b", 1), ("我", 2)]
    assert ("b", 1) in index.items() and ("b", 2) not in index.items()
    assert index.get("c") is None and index.get("c", -1) == -1 and index.get(None, 7) == 7
    with pytest.raises(KeyError):
        index["c"]
    assert index.to_dict() == {"a": 0, "b": 1, "我": 2} and repr(index) == "KeyIndex(3 keys)"
