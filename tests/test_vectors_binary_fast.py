"""The compiled word2vec binary reader (``formats/_binary_kernels.py``): record boundaries
wherever the blocks of a compressed stream end, the C tool's newlines, keys with non-ASCII bytes,
vector bytes that look like spaces and newlines, every way rows are copied (straight into the
matrix during the walk, or gathered after ``vocab=`` chose them, or converted to another
dtype), cut-off files at every byte. gensim 4.4 is the oracle for the numbers, on files that
either library writes."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import firstlayer.vectors as fv
from firstlayer.vectors.formats import (
    TruncatedVectorFileError,
    VectorFileError,
    binary,
    load_vectors,
    save_vectors,
)

gensim_models = pytest.importorskip("gensim.models")
GensimKV = gensim_models.KeyedVectors

# Short and long keys, CJK, a 4-byte emoji, accents, a key that is a number, a one-byte key.
KEYS = ["the", "我", "你好世界", "🙂ok", "naïve", "ÉCOLE", "1990", "x", "y" * 40, "東京"]


def _vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _keys(n: int) -> list[str]:
    return [f"{KEYS[i % len(KEYS)]}{i}" for i in range(n)]


def _record(key: bytes, vector: np.ndarray) -> bytes:
    return key + b" " + np.asarray(vector, dtype="<f4").tobytes()


def _write(path: Path, data: bytes) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(data)
    return path


def _gensim_write(path: Path, keys: list[str], vectors: np.ndarray) -> Path:
    kv = GensimKV(vectors.shape[1])
    kv.add_vectors(keys, vectors)
    kv.save_word2vec_format(str(path), binary=True)  # .gz: gensim compresses it
    return path


def _gensim_read(path: Path, **kw) -> tuple[list[str], np.ndarray]:
    kv = GensimKV.load_word2vec_format(str(path), binary=True, **kw)
    return list(kv.index_to_key), kv.vectors


def _load(path: Path, **kw) -> tuple[list[str], np.ndarray]:
    keys, vectors, _ = load_vectors(path, progress=False, **kw)
    return keys, vectors


def _same(ours: tuple[list[str], np.ndarray], theirs: tuple[list[str], np.ndarray]) -> None:
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Set the compressed stream's block size and the records per batch."""

    def set_sizes(block_bytes: int, batch: int) -> None:
        monkeypatch.setattr(binary, "BLOCK_BYTES", block_bytes)
        monkeypatch.setattr(binary, "_BATCH", batch)

    return set_sizes


# ---- record boundaries --------------------------------------------------------------------------
@pytest.mark.parametrize("block_bytes", [1, 2, 3, 5, 11, 12, 13, 31, 64])
@pytest.mark.parametrize("batch", [1, 4, 1 << 14])
def test_blocks_ending_anywhere_in_a_record(tmp_path, tiny_blocks, block_bytes, batch):
    # dim 3: a record is the word, a space and 12 bytes, so the blocks end at every place in it.
    tiny_blocks(block_bytes, batch)
    keys, vectors = _keys(23), _vectors(23, 3)
    ours = tmp_path / "ours.bin.gz"
    save_vectors(keys, vectors, ours, "word2vec-binary")
    theirs = _gensim_write(tmp_path / "gensim.bin.gz", keys, vectors)
    for path in (ours, theirs):
        _same(_load(path), _gensim_read(path))
        _same(_load(path), (keys, vectors))
        _same(_load(path, limit=9), _gensim_read(path, limit=9))
    chosen = [keys[20], keys[3], "missing", keys[4]]
    _same(_load(ours, vocab=chosen), ([keys[3], keys[4], keys[20]], vectors[[3, 4, 20]]))


@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])  # memory-mapped, or streamed
def test_batches_that_stop_when_the_word_buffer_is_full(tmp_path, monkeypatch, suffix):
    # Words of up to 15 bytes in a 40-byte buffer: a batch stops after two or three words.
    monkeypatch.setattr(binary, "_MAX_WORD_BYTES", 16)
    monkeypatch.setattr(binary, "_WORD_BYTES", 40)
    monkeypatch.setattr(binary, "BLOCK_BYTES", 50)
    keys = [f"w{i}" + "z" * (i % 13) for i in range(60)]
    vectors = _vectors(60, 4)
    path = tmp_path / f"v{suffix}"
    save_vectors(keys, vectors, path, "word2vec-binary")
    _same(_load(path), (keys, vectors))
    _same(_load(path, vocab=keys[::7]), (keys[::7], vectors[::7]))
    _same(_load(path, limit=31, dtype="float64"), (keys[:31], vectors[:31].astype(np.float64)))


def test_no_space_within_the_longest_word_is_an_error(tmp_path, tiny_blocks):
    tiny_blocks(64, 1 << 14)
    garbage = b"x" * (binary._MAX_WORD_BYTES + 100)
    data = b"3 2\n" + _record(b"a", [1, 2]) + garbage + _record(b"b", [3, 4])
    path = _write(tmp_path / "v.bin.gz", data)
    with pytest.raises(VectorFileError, match=r"no word found at byte 14 .*header's dim \(2\)"):
        _load(path)


# ---- what the walk must not be fooled by --------------------------------------------------------
def _tricky_vectors() -> np.ndarray:
    """Vectors whose float32 bytes are spaces (0x20) and newlines (0x0A): the first byte after
    the word's space is a space, the last byte before the next word a newline."""
    raw = [
        b"\x20\x20\x20\x20" + b"\x0a\x20\x0a\x20" + b"\x20\x0a\x0a\x0a",
        b"\x20\x0a\x20\x0a" + b"\x0a\x0a\x0a\x0a" + b"\x00\x00\x80\x0a",
        b"\x0a\x0a\x20\x20" + b"\x20\x20\x20\x20" + b"\x0a\x20\x20\x0a",
    ]
    return np.frombuffer(b"".join(raw), dtype="<f4").reshape(3, 3).astype(np.float32)


@pytest.mark.parametrize("c_newlines", [False, True])
@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])
def test_vector_bytes_that_look_like_spaces_and_newlines(tmp_path, tiny_blocks, c_newlines, suffix):
    tiny_blocks(5, 2)
    vectors = _tricky_vectors()
    keys = ["a", "ü", "c"]
    end = b"\n" if c_newlines else b""
    body = b"".join(_record(k.encode(), v) + end for k, v in zip(keys, vectors))
    path = _write(tmp_path / f"v{suffix}", b"3 3\n" + body)
    _same(_load(path), (keys, vectors))
    _same(_load(path), _gensim_read(path))


def test_the_c_tools_newlines_before_words(tmp_path, tiny_blocks):
    tiny_blocks(7, 3)
    keys, vectors = _keys(12), _vectors(12, 2)
    newlines = [b"", b"\n", b"\n\n", b"\n"] * 3  # the C tool writes one; two are skipped too
    body = b"".join(nl + _record(k.encode(), v) for nl, k, v in zip(newlines, keys, vectors))
    for suffix in (".bin", ".bin.gz"):
        path = _write(tmp_path / f"c{suffix}", b"12 2\n" + body + b"\n")
        _same(_load(path), (keys, vectors))
        _same(_load(path), _gensim_read(path))


def test_keys_with_newlines_inside_or_at_the_end(tmp_path):
    # A leading newline can't be written (it is skipped); inside or at the end it stays.
    keys, vectors = ["a\nb", "c\n", "d"], _vectors(3, 2)
    path = tmp_path / "v.bin"
    save_vectors(keys, vectors, path, "word2vec-binary")
    _same(_load(path), (keys, vectors))
    _same(_load(path), _gensim_read(path))


def test_keys_in_another_encoding(tmp_path):
    keys, vectors = ["café", "Ærø", "plain"], _vectors(3, 4)
    body = b"".join(_record(k.encode("latin-1"), v) for k, v in zip(keys, vectors))
    path = _write(tmp_path / "v.bin", b"3 4\n" + body)
    _same(_load(path, encoding="latin-1"), (keys, vectors))
    _same(_load(path, encoding="latin-1"), _gensim_read(path, encoding="latin-1"))
    with pytest.raises(VectorFileError, match=r"byte 4: .*\\xe9.*encoding='latin-1'"):
        _load(path)


def test_invalid_bytes_in_a_later_block_name_their_file_offset(tmp_path, tiny_blocks):
    tiny_blocks(9, 4)
    keys, vectors = _keys(30), _vectors(30, 2)
    raw_keys = [k.encode() for k in keys]
    raw_keys[17] = b"bad\xffkey"
    raw_keys[25] = b"\xfe"
    records = [_record(k, v) for k, v in zip(raw_keys, vectors)]
    data = b"30 2\n" + b"".join(records)
    offset = len(b"30 2\n") + sum(len(r) for r in records[:17])
    path = _write(tmp_path / "v.bin.gz", data)
    with pytest.raises(VectorFileError, match=rf"byte {offset:,}: the bytes b'bad\\xffkey'"):
        _load(path)
    got_keys, got = _load(path, unicode_errors="replace")
    theirs_keys, theirs = _gensim_read(path, unicode_errors="replace")
    assert got_keys == theirs_keys and got_keys[17] == "bad\ufffdkey"
    np.testing.assert_array_equal(got, theirs)
    report = fv.load(path, unicode_errors="ignore", progress=False).load_report
    assert report.lines_repaired == 2


# ---- every way the rows are copied --------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])
def test_every_copy_path_gives_gensims_numbers(tmp_path, tiny_blocks, suffix):
    tiny_blocks(100, 6)
    keys, vectors = _keys(40), _vectors(40, 5)
    path = _gensim_write(tmp_path / f"g{suffix}", keys, vectors)
    theirs_keys, theirs = _gensim_read(path)
    _same(_load(path), (theirs_keys, theirs))  # float32: copied during the walk
    for dtype in ("float64", "float16"):  # through a float32 scratch block, then converted
        got_keys, got = _load(path, dtype=dtype)
        assert got_keys == theirs_keys and got.dtype == dtype
        np.testing.assert_array_equal(got, theirs.astype(dtype))
    chosen = theirs_keys[::3]  # vocab=: gathered once the keys are chosen
    _same(_load(path, vocab=chosen), (chosen, theirs[::3]))
    _same(_load(path, limit=13), _gensim_read(path, limit=13))


@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])
def test_more_vectors_than_the_header_says(tmp_path, tiny_blocks, suffix):
    # The matrix is allocated for 3 rows: the rest make it grow.
    tiny_blocks(64, 7)
    keys, vectors = _keys(40), _vectors(40, 3)
    body = b"".join(_record(k.encode(), v) for k, v in zip(keys, vectors))
    path = _write(tmp_path / f"v{suffix}", b"3 3\n" + body)
    with pytest.warns(UserWarning, match="says 3 vectors but the file holds 40"):
        got = _load(path)
    _same(got, (keys, vectors))


def test_duplicates_across_batches_keep_the_first(tmp_path, tiny_blocks):
    tiny_blocks(1 << 20, 4)
    keys = ["a", "b", "c", "d", "e", "b", "f", "a", "g", "a"]
    vectors = _vectors(10, 2)
    body = b"".join(_record(k.encode(), v) for k, v in zip(keys, vectors))
    path = _write(tmp_path / "v.bin", b"10 2\n" + body)
    with pytest.warns(UserWarning, match=r"3 duplicate key\(s\) ignored"):
        got = _load(path)
    _same(got, (["a", "b", "c", "d", "e", "f", "g"], vectors[[0, 1, 2, 3, 4, 6, 8]]))


def test_bytes_after_the_last_vector_are_reported(tmp_path):
    vectors = _vectors(2, 2)
    data = b"2 2\n" + _record(b"a", vectors[0]) + _record(b"b", vectors[1]) + b"\njunk"
    with pytest.warns(UserWarning, match="4 bytes after the last complete vector"):
        got = _load(_write(tmp_path / "v.bin", data))
    _same(got, (["a", "b"], vectors))


@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])
def test_cut_off_at_every_byte(tmp_path, tiny_blocks, suffix):
    tiny_blocks(3, 2)
    keys, vectors = ["ab", "ü", "c"], _vectors(3, 2)
    records = [_record(k.encode(), v) for k, v in zip(keys, vectors)]
    data = b"3 2\n" + b"".join(records)
    ends = np.cumsum([len(b"3 2\n")] + [len(r) for r in records])  # where each record ends
    # Less than one float after "3 2\nab ": too few bytes to tell binary from a text file
    # whose line 2 is short; an error either way.
    first = len(b"3 2\nab ") + 4
    for cut in range(len(b"3 2\nab "), first):
        with pytest.raises(VectorFileError):
            _load(_write(tmp_path / f"short{cut}{suffix}", data[:cut]))
    for cut in range(first, len(data)):
        path = _write(tmp_path / f"cut{cut}{suffix}", data[:cut])
        complete = int(np.searchsorted(ends, cut, side="right")) - 1
        with pytest.raises(TruncatedVectorFileError, match=f"promises 3 vectors.*after {complete}"):
            _load(path)
        _same(_load(path, limit=complete), (keys[:complete], vectors[:complete]))
    _same(_load(_write(tmp_path / f"whole{suffix}", data)), (keys, vectors))


@pytest.mark.parametrize("suffix", [".bin", ".bin.gz"])
def test_progress_bar_on_request(tmp_path, tiny_blocks, capsys, suffix):
    tiny_blocks(16, 2)
    path = tmp_path / f"v{suffix}"
    save_vectors(_keys(9), _vectors(9, 3), path, "word2vec-binary")
    load_vectors(path, progress=True)
    assert path.name in capsys.readouterr().err


# ---- the kernel itself --------------------------------------------------------------------------
def test_read_records_stops_and_says_why():
    from firstlayer.vectors.formats._binary_kernels import read_records

    one = lambda key: _record(key, [1.5])  # noqa: E731
    buf = np.frombuffer(one(b"ab") + one(b"\ncd") + one(b"e") + b"f \x00", dtype=np.uint8)
    starts, spaces = np.empty(8, np.int64), np.empty(8, np.int64)
    words, out = np.empty(64, np.uint8), np.empty((8, 4), np.uint8)

    # Two records asked for: two read, "full" (there may be more).
    n, pos, used, full = read_records(buf, 0, 4, 2, 16, starts, spaces, words, out)
    assert (n, pos, full) == (2, 15, True) and bytes(words[:used]) == b"ab\ncd"
    assert starts[:2].tolist() == [0, 8] and spaces[:2].tolist() == [2, 10]  # "\n" skipped
    np.testing.assert_array_equal(out[:2].view("<f4"), [[1.5], [1.5]])

    # From there: one complete record, then an incomplete one (not "full": read more).
    n, pos, used, full = read_records(buf, 15, 4, 8, 16, starts, spaces, words, out)
    assert (n, pos, full, bytes(words[:used])) == (1, 21, False, b"e")

    # No copy asked for: out is left alone.
    out[:] = 0
    empty = np.empty((0, 4), np.uint8)
    n, pos, _, _ = read_records(buf, 0, 4, 8, 16, starts, spaces, words, empty)
    assert (n, pos) == (3, 21) and not out.any()

    # No space within max_word bytes: nothing read.
    assert read_records(buf, 0, 4, 8, 2, starts, spaces, words, out)[:2] == (0, 0)

    # A words buffer too small for another word: a "full" stop after one record.
    small = np.empty(18, np.uint8)
    assert read_records(buf, 0, 4, 8, 16, starts, spaces, small, out) == (1, 7, 2, True)


def test_importing_the_vectors_package_does_not_import_numba():
    code = "import sys, firstlayer.vectors; assert 'numba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
