"""Reading and writing vector files: every format x compression, gensim 4.4 as the oracle in
both directions, each kind of messy real file, every error message, ``vocab=``/``limit=``,
atomic saves and the memory bound."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import firstlayer.vectors as fv
from firstlayer.text import build_vocab_from_iterator
from firstlayer.vectors.formats import (
    LoadReport,
    TruncatedVectorFileError,
    VectorFileError,
    _format_kernels,
    _text_kernels,
    detect_format,
    load_vectors,
    save_vectors,
    text,
)
from firstlayer.vectors.formats.cache import escape_key, unescape_key

gensim_models = pytest.importorskip("gensim.models")
GensimKV = gensim_models.KeyedVectors

FORMATS = ["word2vec", "glove", "word2vec-binary", "cache"]
COMPRESSIONS = {None: "", "gzip": ".gz", "bz2": ".bz2", "xz": ".xz"}
OPENERS = {None: open, "gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
# Keys as real files have them: CJK, a non-breaking space and a full-width space inside a
# token, punctuation, a key that is a number.
KEYS = ["the", "我", "你好", "a\u00a0b", "東\u3000京", ",", "1990", "naïve", "ÉCOLE", "x" * 50]


def _vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    if dim >= 3:
        v[0, :3] = [0.0, -0.0, 1e-7]  # zeros and a number printed with an exponent
    if dim > 4:
        v[1, :2] = [12345.678, -3.5e-30]
    return v


def _write(path: Path, data: bytes, compression: str | None = None) -> Path:
    with OPENERS[compression](path, "wb") as f:
        f.write(data)
    return path


def _load(path: Path, **kw) -> fv.KeyedVectors:
    return fv.load(path, progress=False, **kw)


# ---- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("compression", list(COMPRESSIONS))
def test_round_trip_every_format_and_compression(tmp_path, fmt, compression):
    if fmt == "cache" and compression is not None:
        pytest.skip("a cache is a directory")
    vectors = _vectors(len(KEYS), 7)
    path = tmp_path / f"v.{fmt}{COMPRESSIONS[compression]}"
    save_vectors(KEYS, vectors, path, fmt)
    keys, loaded, report = load_vectors(path)
    assert keys == KEYS
    # Text holds the shortest digits that read back exactly: every format is exact.
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, vectors)
    assert (report.format, report.compression) == (fmt, compression)
    assert (report.count, report.dim, report.duplicates_dropped) == (len(KEYS), 7, 0)
    assert detect_format(path) == fmt


@pytest.mark.parametrize("fmt", ["word2vec", "glove", "word2vec-binary", "cache"])
def test_keyed_vectors_save_and_load(tmp_path, fmt):
    kv = fv.KeyedVectors.from_arrays(KEYS, _vectors(len(KEYS), 5))
    path = tmp_path / "v.out"
    kv.save(path, format=fmt)
    back = _load(path)
    assert back.index_to_key == KEYS
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert isinstance(back.load_report, LoadReport) and back.load_report.format == fmt


def test_float64_and_float16_vectors_round_trip(tmp_path):
    v64 = np.random.default_rng(1).standard_normal((4, 3))
    save_vectors(["a", "b", "c", "d"], v64, tmp_path / "v64.txt")
    _, back, _ = load_vectors(tmp_path / "v64.txt", dtype="float64")
    np.testing.assert_array_equal(back, v64)  # repr(float) is exact for doubles
    v16 = v64.astype(np.float16)
    save_vectors(["a", "b", "c", "d"], v16, tmp_path / "v16.txt")
    _, back, _ = load_vectors(tmp_path / "v16.txt", dtype="float16")
    np.testing.assert_array_equal(back, v16)


def test_empty_and_zero_rows(tmp_path):
    save_vectors([], np.zeros((0, 4), np.float32), tmp_path / "e.txt")
    keys, vectors, report = load_vectors(tmp_path / "e.txt")
    assert keys == [] and vectors.shape == (0, 4) and report.header_count == 0
    save_vectors([], np.zeros((0, 4), np.float32), tmp_path / "e.cache", "cache")
    assert load_vectors(tmp_path / "e.cache")[1].shape == (0, 4)


# ---- the number formatter and parser against Python ---------------------------------------------
finite_float32 = hnp.arrays(
    np.float32,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20),
    elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
)


def _text_of(block: np.ndarray) -> bytes:
    """Our lines ``k x1 ... xdim`` of a float32 block."""
    return bytes(text._lines([b"k"] * block.shape[0], block))


def _numpy_text_of(block: np.ndarray) -> bytes:
    """The same lines with NumPy's ``str(np.float32(v))``: what gensim writes."""
    return b"".join(b"k " + " ".join(str(v) for v in row).encode() + b"\n" for row in block)


def _float32_from_bits(bits) -> np.ndarray:
    return np.asarray(bits, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _every_exponent(per_exponent: int, seed: int = 0) -> np.ndarray:
    """Random mantissas and signs for every float32 exponent (subnormals to the largest),
    plus each exponent's smallest and largest mantissa: ``(255, per_exponent + 2)``."""
    rng = np.random.default_rng(seed)
    exponent = np.arange(255, dtype=np.uint64)[:, None]
    mantissa = rng.integers(0, 1 << 23, size=(255, per_exponent + 2), dtype=np.uint64)
    mantissa[:, 0], mantissa[:, 1] = 0, (1 << 23) - 1
    sign = rng.integers(0, 2, size=mantissa.shape, dtype=np.uint64)
    return _float32_from_bits((sign << 31) | (exponent << 23) | mantissa)


@settings(max_examples=60, deadline=None)
@given(finite_float32)
def test_float32_text_is_numpys_str(block):
    assert _text_of(block) == _numpy_text_of(block)


def test_float32_text_for_every_exponent():
    block = _every_exponent(60)  # 15,810 numbers, 1e-45 .. 3.4e38
    assert _text_of(block) == _numpy_text_of(block)


def test_float32_text_special_and_edge_values():
    block = np.array(
        [[np.inf, -np.inf, np.nan, 0.0, -0.0, 3.4028235e38, 1e-45, 9999.999, 1e4, 0.5, 100.0]],
        np.float32,
    )
    assert (
        _text_of(block)
        == b"k inf -inf nan 0.0 -0.0 3.4028235e+38 1e-45 9999.999 10000.0 0.5 100.0\n"
    )
    one_ulp = [np.float32(0), np.float32(np.inf)]
    powers_of_two = _float32_from_bits(np.arange(1, 255, dtype=np.uint64) << 23)
    powers_of_ten = np.array([10.0**e for e in range(-45, 39)], np.float32)
    edges = [
        # the positional range's ends: float32(1e-4) is just below 1e-4
        np.float32(1e-4),
        np.nextafter(np.float32(1e-4), one_ulp[1]),
        np.float32(999999.94),
        np.float32(1e6),
        np.float32(123000.0),
        np.float32(1234567.0),
        # interval ends that are short decimals: 3e10 is the midpoint between float32(3e10)
        # (even mantissa: written "3e+10") and its odd neighbour below
        np.float32(3e10),
        np.nextafter(np.float32(3e10), one_ulp[0]),
        np.float32(16777218.0),
        _float32_from_bits([0x7F7FFFFF, 0x00800000, 0x007FFFFF, 1, 0x7FC00001, 0xFFC00000]),
        powers_of_two,
        np.nextafter(powers_of_two, one_ulp[0]),
        np.nextafter(powers_of_two, one_ulp[1]),
        powers_of_ten,
        np.nextafter(powers_of_ten, one_ulp[0]),
        np.nextafter(powers_of_ten, one_ulp[1]),
        np.arange(-2000, 2000, dtype=np.float32) / 8,  # short decimals, integers
        np.arange(2**24 - 1000, 2**24 + 1000, dtype=np.float32) * 3,  # integers beyond 2**24
    ]
    values = np.concatenate([np.ravel(v) for v in edges]).astype(np.float32)
    values = np.concatenate([values, -values])
    block = np.resize(values, (values.size // 100 + 1, 100))
    assert _text_of(block) == _numpy_text_of(block)


def test_numbers_the_kernel_leaves_are_written_by_numpy():
    # The kernel hands back a number when a product lies too near a rounding boundary to be
    # sure (a few per million random float32, none between 1e-4 and 1e6); these two are such.
    block = _float32_from_bits([[0x3273EDE6, 0x7F7AEFB9, 0x3F000000], [0x3F800000] * 3])
    kernels = _format_kernels
    keys = np.frombuffer(b"kk", np.uint8)
    out = np.empty(2 + 2 * (1 + 3 * kernels.MAX_NUMBER_BYTES) + kernels.SLACK_BYTES, np.uint8)
    index, at = np.empty(6, np.int64), np.empty(6, np.int64)
    _, slow = kernels.format_rows(keys, np.array([1, 2]), block.view(np.uint32), out, index, at)
    assert index[:slow].tolist() == [0, 1]
    assert (
        _text_of(block)
        == _numpy_text_of(block)
        == (b"k 1.4198553e-08 3.335517e+38 0.5\nk 1.0 1.0 1.0\n")
    )


def test_format_kernel_tables_are_exact():
    from fractions import Fraction

    kernels = _format_kernels
    # floor(lead2 * log10(2)) as the kernel estimates it, for every float32 binary exponent
    for lead2 in range(-150, 128):
        e = (lead2 * 78913) >> 18
        assert Fraction(10) ** e <= Fraction(2) ** lead2 < Fraction(10) ** (e + 1)
    # "x >= 10**e" compared as doubles is exact: no float32 is a rounded power of ten
    for i, decade in enumerate(kernels._DECADES[:-1]):  # (10**39: beyond float32)
        exact = Fraction(10) ** (i + kernels._DECADE_MIN)
        assert Fraction(float(np.float32(decade))) != Fraction(decade) or decade == exact
    # eight digits at a time
    for v in [0, 1, 9, 10, 99, 100, 9999, 10000, 12345678, 99999999, 10**7, 40960000]:
        word = kernels._ascii8(np.uint64(v))
        assert np.array([word], np.uint64).view(np.uint8).tobytes() == b"%08d" % v


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(width=32, allow_nan=False, allow_infinity=False).map(
                lambda v: str(np.float32(v))
            ),
            st.integers(0, 18)
            .flatmap(lambda places: st.decimals(-100, 100, allow_nan=False, places=places))
            .map(str),
            st.sampled_from(["0.", "-0.0", "1e5", "5", "-.5", "12.25", "1.00000005960464477550"]),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_the_parser_matches_float(tokens):
    # Every number the compiled loop parses is float()'s double, bit for bit (the sign of -0.0
    # too); a token it leaves aside is marked SLOW (then float() parses it), never wrong.
    def parse(lines: list[bytes], dim: int) -> tuple[np.ndarray, np.ndarray]:
        buf = np.frombuffer(b"\n".join(lines) + b"\n", np.uint8)
        hi = np.flatnonzero(buf == 0x0A)
        lo = np.concatenate([[0], hi[:-1] + 1])
        out = np.empty((len(lines), dim))
        key_s, key_e = np.empty(len(lines), np.int64), np.empty(len(lines), np.int64)
        status = np.empty(len(lines), np.int8)
        _text_kernels.parse_lines(buf, lo, hi, dim, out, key_s, key_e, status)
        assert (buf[key_s] == ord("w")).all() and (key_e == key_s + 1).all()
        return out, status

    def same(got: np.ndarray, expected: list[float]) -> None:
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))

    encoded = [t.encode() for t in tokens]
    out, status = parse([b"w " + t for t in encoded], 1)  # one number per line
    for token, value, kind in zip(tokens, out[:, 0], status.tolist()):
        assert kind in (_text_kernels.OK, _text_kernels.SLOW), token
        if kind == _text_kernels.OK:
            same(np.array([value]), [float(token)])
    out, status = parse([b"w  " + b" \t".join(encoded) + b" \r"], len(tokens))  # one line
    assert status[0] in (_text_kernels.OK, _text_kernels.SLOW)
    if status[0] == _text_kernels.OK:
        same(out[0], [float(t) for t in tokens])


def test_what_vector_files_hold_takes_the_fast_path():
    # str(np.float32(v)) in every range (1e-05 forms included) and integers: never SLOW.
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [rng.standard_normal(3000) * scale for scale in (1e-6, 1e-3, 0.2, 1.0, 1e3, 1e7)]
    ).astype(np.float32)
    tokens = [str(v) for v in values] + ["0", "-0", "12", "-3.", ".5", "+1.5", "1E+3"]
    line = b"w " + " ".join(tokens).encode() + b"\n"
    buf = np.frombuffer(line, np.uint8)
    out = np.empty((1, len(tokens)))
    status = np.empty(1, np.int8)
    empty = np.empty(1, np.int64)
    _text_kernels.parse_lines(
        buf, np.array([0]), np.array([len(line) - 1]), len(tokens), out, empty, empty.copy(), status
    )
    assert status[0] == _text_kernels.OK
    np.testing.assert_array_equal(out[0], [float(t) for t in tokens])


# ---- gensim as the oracle ----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["word2vec", "glove", "word2vec-binary"])
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_gensim_reads_what_we_write(tmp_path, fmt, compression):
    keys = [k for k in KEYS if " " not in k]
    vectors = _vectors(len(keys), 6)
    path = tmp_path / f"ours{COMPRESSIONS[compression]}"
    save_vectors(keys, vectors, path, fmt)
    theirs = GensimKV.load_word2vec_format(
        str(path), binary=fmt == "word2vec-binary", no_header=fmt == "glove"
    )
    assert theirs.index_to_key == keys
    np.testing.assert_array_equal(theirs.vectors, vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_what_gensim_writes_byte_for_byte(tmp_path, binary):
    keys = [k for k in KEYS if " " not in k and "\u3000" not in k]
    vectors = _vectors(len(keys), 6, seed=3)
    theirs = GensimKV(6)
    theirs.add_vectors(keys, vectors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.save_word2vec_format(str(tmp_path / "gensim"), binary=binary)
    fmt = "word2vec-binary" if binary else "word2vec"
    back = _load(tmp_path / "gensim")
    assert back.index_to_key == keys and back.load_report.format == fmt
    np.testing.assert_array_equal(back.vectors, vectors)
    # Our writer produces the very same bytes.
    save_vectors(keys, vectors, tmp_path / "ours", fmt)
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "gensim").read_bytes()


def test_gensim_reads_back_every_float32_exponent(tmp_path):
    block = _every_exponent(30, seed=1)  # subnormals, 1e-45 .. 3.4e38, both signs, -0.0
    keys = [f"w{i}" for i in range(block.shape[0])]
    save_vectors(keys, block, tmp_path / "v.txt")
    theirs = GensimKV.load_word2vec_format(str(tmp_path / "v.txt"))
    np.testing.assert_array_equal(theirs.vectors.view(np.uint32), block.view(np.uint32))


def test_gensim_text_of_a_larger_matrix_is_identical(tmp_path):
    vectors = (np.random.default_rng(5).standard_normal((300, 50)) * 0.2).astype(np.float32)
    keys = [f"w{i}" for i in range(300)]
    theirs = GensimKV(50)
    theirs.add_vectors(keys, vectors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.save_word2vec_format(str(tmp_path / "g.txt"))
    save_vectors(keys, vectors, tmp_path / "o.txt")
    assert (tmp_path / "o.txt").read_bytes() == (tmp_path / "g.txt").read_bytes()
    gensim_loaded = GensimKV.load_word2vec_format(str(tmp_path / "g.txt"))
    np.testing.assert_array_equal(_load(tmp_path / "g.txt").vectors, gensim_loaded.vectors)


# ---- messy files -------------------------------------------------------------------------------
def test_glove_840b_keys_with_spaces(tmp_path):
    # The last dim fields are the vector; everything before is the word. dim from the lines.
    lines = [
        "the 0.1 0.2 0.3",
        "New York 1.0 2.0 3.0",
        ". . . -1 -2 -3",
        "1990 4 5 6",
        "a\tb  c 7 8 9",
    ]
    path = _write(tmp_path / "g.txt", ("\n".join(lines) + "\n").encode())
    kv = _load(path)
    assert kv.index_to_key == ["the", "New York", ". . .", "1990", "a\tb  c"]
    np.testing.assert_array_equal(kv["New York"], [1, 2, 3])
    np.testing.assert_array_equal(kv["1990"], [4, 5, 6])
    assert kv.load_report.format == "glove" and kv.vector_size == 3


def test_nbsp_and_full_width_spaces_stay_inside_tokens(tmp_path):
    data = "2 2\nNew\u00a0York 0.5 0.25\n東\u3000京 1 2\n".encode()
    kv = _load(_write(tmp_path / "v.vec", data))
    assert kv.index_to_key == ["New\u00a0York", "東\u3000京"]
    np.testing.assert_array_equal(kv.vectors, [[0.5, 0.25], [1, 2]])


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_crlf_trailing_spaces_tabs_bom_blank_lines(tmp_path, compression):
    data = (
        b"\xef\xbb\xbf3 2\r\n"  # a UTF-8 byte order mark
        b"a 1.5 2.5 \r\n"  # trailing space before CRLF (the C word2vec tool writes one)
        b"\r\n"  # a blank line
        b"b\t-1\t-2\r\n"
        b"c  0.125   0.5"  # double spaces, no final newline
    )
    kv = _load(_write(tmp_path / "v.txt", data, compression))
    assert kv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(kv.vectors, [[1.5, 2.5], [-1, -2], [0.125, 0.5]])


def test_control_bytes_that_are_not_whitespace_stay_in_the_key(tmp_path):
    kv = _load(_write(tmp_path / "v.txt", b"a\x01b 1 2\nc 3 4\n"))
    assert kv.index_to_key == ["a\x01b", "c"]


def test_numbers_in_every_notation(tmp_path):
    data = b"w 1 -2 3.25e-3 +4.5 .5 -0. 12.5 1E2 inf nan 0.1234567890123456789\n"
    kv = _load(_write(tmp_path / "v.txt", data), dtype="float64")
    expected = [1, -2, 3.25e-3, 4.5, 0.5, -0.0, 12.5, 100, np.inf, np.nan, 0.1234567890123456789]
    np.testing.assert_array_equal(kv.vectors[0], expected)


def test_duplicates_keep_the_first_and_warn_with_the_count(tmp_path):
    data = b"5 2\na 1 1\nb 2 2\na 3 3\nc 4 4\nb 5 5\n"
    with pytest.warns(UserWarning, match=r"2 duplicate key\(s\) ignored"):
        kv = _load(_write(tmp_path / "v.txt", data))
    assert kv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(kv.vectors, [[1, 1], [2, 2], [4, 4]])
    assert kv.load_report.duplicates_dropped == 2


def test_duplicates_in_binary_files(tmp_path):
    path = tmp_path / "v.bin"
    record = lambda k, v: k + b" " + np.array(v, "<f4").tobytes()  # noqa: E731
    _write(path, b"3 2\n" + record(b"a", [1, 2]) + record(b"a", [3, 4]) + record(b"b", [5, 6]))
    with pytest.warns(UserWarning, match="1 duplicate"):
        kv = _load(path)
    assert kv.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(kv["a"], [1, 2])


def test_c_word2vec_binary_with_newlines_after_vectors(tmp_path):
    vectors = _vectors(3, 4)
    body = b"".join(
        k.encode() + b" " + v.astype("<f4").tobytes() + b"\n"
        for k, v in zip(["x", "y", "z"], vectors)
    )
    kv = _load(_write(tmp_path / "c.bin", b"3 4\n" + body))
    assert kv.index_to_key == ["x", "y", "z"]
    np.testing.assert_array_equal(kv.vectors, vectors)


def test_format_comes_from_the_content_not_the_name(tmp_path):
    vectors = _vectors(3, 4)
    save_vectors(["a", "b", "c"], vectors, tmp_path / "really-binary.txt", "word2vec-binary")
    save_vectors(["a", "b", "c"], vectors, tmp_path / "really-glove.bin", "glove")
    save_vectors(["a", "b", "c"], vectors, tmp_path / "gz-without-extension", compression="gzip")
    assert _load(tmp_path / "really-binary.txt").load_report.format == "word2vec-binary"
    assert _load(tmp_path / "really-glove.bin").load_report.format == "glove"
    report = _load(tmp_path / "gz-without-extension").load_report
    assert (report.format, report.compression) == ("word2vec", "gzip")


def test_explicit_format_that_contradicts_the_content(tmp_path):
    save_vectors(["a"], _vectors(1, 2), tmp_path / "b", "word2vec-binary")
    with pytest.raises(VectorFileError, match="format='word2vec-binary'"):
        _load(tmp_path / "b", format="word2vec")
    save_vectors(["a"], _vectors(1, 2), tmp_path / "g", "glove")
    with pytest.raises(VectorFileError, match="format='glove'"):
        _load(tmp_path / "g", format="word2vec")
    with pytest.raises(VectorFileError, match="not word2vec-binary"):
        _load(tmp_path / "g", format="word2vec-binary")


def test_glove_format_skips_a_header(tmp_path):
    kv = _load(_write(tmp_path / "v.txt", b"99 5\na 1 2\nb 3 4\n"), format="glove")
    assert kv.index_to_key == ["a", "b"] and kv.vector_size == 2


def test_files_that_are_not_vector_files(tmp_path):
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(VectorFileError, match="pickle"):
        _load(tmp_path / "model.pkl")
    np.save(tmp_path / "m.npy", np.zeros(3))
    with pytest.raises(VectorFileError, match=r"\.npy"):
        _load(tmp_path / "m.npy")
    (tmp_path / "ft.bin").write_bytes((793712314).to_bytes(4, "little") + bytes(20))
    with pytest.raises(VectorFileError, match="fastText"):
        _load(tmp_path / "ft.bin")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(VectorFileError, match="empty"):
        _load(tmp_path / "empty.txt")
    (tmp_path / "prose.txt").write_bytes(b"hello world\n")
    with pytest.raises(VectorFileError, match="not a vector file"):
        _load(tmp_path / "prose.txt")
    with pytest.raises(FileNotFoundError, match="no such"):
        _load(tmp_path / "missing.txt")
    (tmp_path / "dir").mkdir()
    with pytest.raises(VectorFileError, match="not a firstlayer vector cache"):
        _load(tmp_path / "dir")


# ---- block boundaries: files read a block at a time -----------------------------------------
@pytest.mark.parametrize("block_bytes", [5, 37, 200])
@pytest.mark.parametrize("workers", [1, 2])
def test_text_blocks_of_any_size_give_the_same_vectors(tmp_path, monkeypatch, block_bytes, workers):
    monkeypatch.setattr(text, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(text, "_workers", lambda: workers)
    keys = [f"k{i}" for i in range(40)] + ["New York"]
    vectors = _vectors(41, 3)
    save_vectors(keys, vectors, tmp_path / "v.txt", "glove")
    kv = _load(tmp_path / "v.txt")
    assert kv.index_to_key == keys
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert _load(tmp_path / "v.txt", limit=17).index_to_key == keys[:17]
    assert _load(tmp_path / "v.txt", vocab=["k39", "k3"]).index_to_key == ["k3", "k39"]
    with (tmp_path / "v.txt").open("ab") as f:
        f.write(b"k5 1 2 3\n")  # a duplicate of line 6, in another block
    with pytest.warns(UserWarning, match="1 duplicate"):
        assert _load(tmp_path / "v.txt").index_to_key == keys
    with (tmp_path / "v.txt").open("ab") as f:
        f.write(b"last 4 5 x\n")  # a bad number on line 43
    with pytest.raises(VectorFileError, match=r"line 43: number 3 of 3, b'x'"):
        _load(tmp_path / "v.txt")


def test_the_first_error_in_the_file_is_reported(tmp_path, monkeypatch):
    # A bad number (found while parsing block 1) before a short row (found while reading
    # block 3): the threads must not report the later one.
    monkeypatch.setattr(text, "BLOCK_BYTES", 16)
    monkeypatch.setattr(text, "_workers", lambda: 2)
    data = b"a 1 2\nb 3 y\nc 5 6\nd 7 8\ne 9\nf 1 2\n"
    with pytest.raises(VectorFileError, match="line 2: number 2 of 2"):
        _load(_write(tmp_path / "v.txt", data))


@pytest.mark.parametrize("block_bytes", [10, 50, 333])
@pytest.mark.parametrize("compression", [None, "gzip"])  # memory-mapped, or streamed
def test_binary_blocks_of_any_size(tmp_path, monkeypatch, block_bytes, compression):
    from firstlayer.vectors.formats import binary

    monkeypatch.setattr(binary, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(binary, "_BATCH", 7)
    keys = [f"key{i}" for i in range(30)]
    vectors = _vectors(30, 5)
    path = tmp_path / f"v.bin{COMPRESSIONS[compression]}"
    save_vectors(keys, vectors, path, "word2vec-binary")
    kv = _load(path)
    assert kv.index_to_key == keys and kv.load_report.compression == compression
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert _load(path, limit=11).index_to_key == keys[:11]
    assert _load(path, vocab=["key29", "key3"]).index_to_key == ["key3", "key29"]


def test_cut_off_compressed_file(tmp_path):
    save_vectors([f"w{i}" for i in range(200)], _vectors(200, 8), tmp_path / "v.txt.gz")
    data = (tmp_path / "v.txt.gz").read_bytes()
    cut = _write(tmp_path / "cut.gz", data[: len(data) // 2])
    with pytest.raises(TruncatedVectorFileError, match="gzip data is damaged or cut off"):
        _load(cut)


# ---- errors that name the line and the way out -------------------------------------------------
def test_invalid_utf8_names_line_bytes_and_the_way_out(tmp_path):
    path = _write(tmp_path / "v.txt", b"3 2\ngood 1 2\nbad\xff\xfeword 3 4\nfine 5 6\n")
    with pytest.raises(VectorFileError) as err:
        _load(path)
    message = str(err.value)
    assert "line 3" in message and r"\xff\xfe" in message
    assert "unicode_errors='replace'" in message and "encoding=" in message
    kv = _load(path, unicode_errors="replace")
    assert kv.index_to_key == ["good", "bad\ufffd\ufffdword", "fine"]
    assert kv.load_report.lines_repaired == 1
    assert _load(path, unicode_errors="ignore").index_to_key[1] == "badword"
    assert _load(path, encoding="latin-1").index_to_key[1] == "bad\xff\xfeword"


def test_invalid_utf8_in_a_binary_file(tmp_path):
    path = _write(tmp_path / "v.bin", b"1 1\nk\xff " + np.float32(2).tobytes())
    with pytest.raises(VectorFileError, match=r"byte 4.*\\xff.*unicode_errors='replace'"):
        _load(path)
    kv = _load(path, unicode_errors="replace")
    assert kv.index_to_key == ["k\ufffd"] and kv.load_report.lines_repaired == 1


def test_short_row_names_line_and_word(tmp_path):
    path = _write(tmp_path / "v.txt", b"3 3\na 1 2 3\nb 4 5\nc 6 7 8\n")
    with pytest.raises(
        VectorFileError, match=r"line 3: the word b'b' is followed by 2 numbers; every vector has 3"
    ):
        _load(path)


def test_non_number_names_line_and_field(tmp_path):
    path = _write(tmp_path / "v.txt", b"a 1 2 3\nb 4 5x 6\n")
    with pytest.raises(VectorFileError, match=r"line 2: number 2 of 3, b'5x', is not a number"):
        _load(path)
    path = _write(tmp_path / "u.txt", b"a 1 2\nb 1_0 2\n")  # float() would accept 1_0
    with pytest.raises(VectorFileError, match="line 2: number 1 of 2"):
        _load(path)


def test_header_promising_more_vectors_than_the_file_holds(tmp_path):
    path = _write(tmp_path / "v.txt", b"5 2\na 1 2\nb 3 4\n")
    with pytest.raises(
        TruncatedVectorFileError, match="promises 5 vectors but the file holds 2"
    ) as err:
        _load(path)
    assert isinstance(err.value, EOFError)
    assert _load(path, limit=2).index_to_key == ["a", "b"]  # the way out the message names


def test_header_promising_more_dims_than_the_rows_hold(tmp_path):
    path = _write(tmp_path / "v.txt", b"2 300\na 1 2\nb 3 4\n")
    with pytest.raises(VectorFileError, match="says 2 vectors of 300 dims.*a word and 2 numbers"):
        _load(path)
    path = _write(tmp_path / "w.txt", b"2 1\na 1 2\nb 3 4\n")  # fewer dims: also an error
    with pytest.raises(VectorFileError, match="of 1 dims.*format='glove'"):
        _load(path)
    assert _load(path, format="glove").vector_size == 2  # the way out


def test_header_promising_fewer_vectors_loads_all_and_warns(tmp_path):
    path = _write(tmp_path / "v.txt", b"1 2\na 1 2\nb 3 4\n")
    with pytest.warns(UserWarning, match="says 1 vectors but the file holds 2"):
        kv = _load(path)
    assert kv.index_to_key == ["a", "b"]


def test_truncated_binary_file(tmp_path):
    vectors = _vectors(4, 8)
    save_vectors(["a", "b", "c", "d"], vectors, tmp_path / "v.bin", "word2vec-binary")
    data = (tmp_path / "v.bin").read_bytes()
    path = _write(tmp_path / "cut.bin", data[:-10])
    with pytest.raises(
        TruncatedVectorFileError, match="promises 4 vectors of 8 dims.*after 3"
    ) as err:
        _load(path)
    assert isinstance(err.value, EOFError)  # what gensim raises
    np.testing.assert_array_equal(_load(path, limit=3).vectors, vectors[:3])


def test_binary_with_a_wrong_dim_in_the_header(tmp_path):
    vectors = _vectors(3, 8)
    save_vectors(["a", "b", "c"], vectors, tmp_path / "v.bin", "word2vec-binary")
    data = (tmp_path / "v.bin").read_bytes().replace(b"3 8\n", b"3 6\n", 1)
    with pytest.raises(VectorFileError):
        _load(_write(tmp_path / "w.bin", data))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown vector format 'txt'"):
        load_vectors("x", "txt")
    with pytest.raises(TypeError, match="floating point"):
        load_vectors("x", dtype="int32")
    with pytest.raises(ValueError, match="unicode_errors"):
        load_vectors("x", unicode_errors="bogus")
    with pytest.raises(TypeError, match="not a single str"):
        load_vectors("x", vocab="hello")
    with pytest.raises(ValueError, match="limit"):
        load_vectors("x", limit=-1)


# ---- vocab=, lower_case_backup, limit ----------------------------------------------------------
@pytest.fixture()
def cased_file(tmp_path):
    data = (
        b"6 2\n"
        b"the 1 1\n"
        b"Apple 2 2\n"  # only the capitalised form...
        b"paris 3 3\n"  # ...only the lower-case form
        b"Paris 4 4\n"  # both forms of "paris"
        b"cat 5 5\n"
        b"Dog 6 6\n"
    )
    return _write(tmp_path / "cased.txt", data)


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "cache"])
def test_vocab_keeps_only_those_words_in_file_order(cased_file, tmp_path, fmt):
    path = cased_file
    if fmt != "word2vec":
        kv = _load(cased_file)
        path = tmp_path / f"cased.{fmt}"
        kv.save(path, format=fmt)
    kv = _load(path, vocab=["cat", "the", "zebra", "Apple"])
    assert kv.index_to_key == ["the", "Apple", "cat"]
    np.testing.assert_array_equal(kv.vectors, [[1, 1], [2, 2], [5, 5]])
    report = kv.load_report
    assert (report.found_exact, report.found_lowercase, report.missing) == (3, 0, ["zebra"])


def test_vocab_from_a_vocab_object(cased_file):
    vocab = build_vocab_from_iterator([["cat", "the", "cat"]], specials=["<unk>"])
    kv = _load(cased_file, vocab=vocab)
    assert kv.index_to_key == ["the", "cat"]
    assert kv.load_report.missing == ["<unk>"]


def test_lower_case_backup_exact_match_wins(cased_file):
    words = ["Paris", "PARIS", "The", "apple", "DOG"]
    kv = _load(cased_file, vocab=words, lower_case_backup=True)
    # "Paris" exact; "PARIS" -> "paris" and "The" -> "the" through lower case; "apple" and
    # "DOG" have no lower-case form in the file ("Apple", "Dog" are not lower case).
    assert kv.index_to_key == ["the", "paris", "Paris"]
    report = kv.load_report
    assert (report.found_exact, report.found_lowercase) == (1, 2)
    assert report.missing == ["apple", "DOG"]
    # The same rule as coverage() and to_embedding() with lower_case_backup=True.
    cov = kv.coverage(words, lower_case_backup=True)
    assert (len(cov.found), len(cov.found_lower), cov.missing) == (1, 2, ["apple", "DOG"])


def test_lower_case_row_dropped_when_every_word_was_found_exactly(cased_file):
    kv = _load(cased_file, vocab=["Paris"], lower_case_backup=True)
    assert kv.index_to_key == ["Paris"]  # "paris" was only a backup, and not needed
    assert (kv.load_report.found_exact, kv.load_report.found_lowercase) == (1, 0)
    kv = _load(cased_file, vocab=["Paris"])
    assert kv.load_report.found_lowercase == 0


@pytest.mark.parametrize("fmt", ["word2vec", "glove", "word2vec-binary", "cache"])
def test_limit_keeps_the_first_n(tmp_path, fmt):
    vectors = _vectors(50, 4)
    keys = [f"w{i}" for i in range(50)]
    save_vectors(keys, vectors, tmp_path / "v", fmt)
    kv = _load(tmp_path / "v", limit=7)
    assert kv.index_to_key == keys[:7]
    np.testing.assert_array_equal(kv.vectors, vectors[:7])
    assert len(_load(tmp_path / "v", limit=0)) == 0
    assert len(_load(tmp_path / "v", limit=500)) == 50
    kv = _load(tmp_path / "v", limit=10, vocab=["w3", "w20"])
    assert kv.index_to_key == ["w3"] and kv.load_report.missing == ["w20"]


def test_limit_counts_duplicates_like_gensim(tmp_path):
    path = _write(tmp_path / "v.txt", b"a 1\na 2\nb 3\nc 4\n")
    with pytest.warns(UserWarning, match="1 duplicate"):
        assert _load(path, limit=3).index_to_key == ["a", "b"]


# ---- saving --------------------------------------------------------------------------------------
def test_keys_a_format_cannot_hold(tmp_path):
    v = _vectors(1, 2)
    with pytest.raises(ValueError, match="format='cache'"):
        save_vectors(["two\nlines"], v, tmp_path / "v.txt")
    with pytest.raises(ValueError, match="format='cache'"):
        save_vectors([" padded"], v, tmp_path / "v.txt", "glove")
    with pytest.raises(ValueError, match="binary"):
        save_vectors(["New York"], v, tmp_path / "v.bin", "word2vec-binary")
    with pytest.raises(ValueError, match="unique"):
        save_vectors(["a", "a"], _vectors(2, 2), tmp_path / "v.txt")
    with pytest.raises(ValueError, match="2 keys but 1 vectors"):
        save_vectors(["a", "b"], v, tmp_path / "v.txt")
    with pytest.raises(ValueError, match="can't be compressed"):
        save_vectors(["a"], v, tmp_path / "v.cache.gz", "cache")
    assert not list(tmp_path.iterdir())  # nothing written


def test_cache_keys_with_newlines_and_backslashes(tmp_path):
    keys = ["a\nb", "back\\slash", "\\n literally", "cr\r", "plain"]
    for key in keys:
        assert unescape_key(escape_key(key)) == key and "\n" not in escape_key(key)
    vectors = _vectors(5, 3)
    save_vectors(keys, vectors, tmp_path / "c", "cache")
    back = _load(tmp_path / "c")
    assert back.index_to_key == keys
    np.testing.assert_array_equal(back.vectors, vectors)


def test_failed_text_save_leaves_the_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "v.txt.gz"
    save_vectors(["old"], _vectors(1, 3), path)
    before = path.read_bytes()
    calls = []

    def failing(names, block):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(names, block)

    real = text._lines
    monkeypatch.setattr(text, "_lines", failing)
    monkeypatch.setattr(text, "_ROWS_PER_WRITE", 8)  # several blocks: fail in the middle
    with pytest.raises(RuntimeError, match="disk full"):
        save_vectors([f"w{i}" for i in range(10)], _vectors(10, 3), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt.gz"]  # no temporary left


def test_failed_cache_save_leaves_the_existing_cache(tmp_path, monkeypatch):
    from firstlayer.vectors.formats import cache

    path = tmp_path / "c"
    save_vectors(["old"], _vectors(1, 3), path, "cache")
    monkeypatch.setattr(cache, "escape_key", lambda key: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        save_vectors(["new"], _vectors(1, 3), path, "cache")
    assert _load(path).index_to_key == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


def test_cache_replaces_a_cache_but_not_other_things(tmp_path):
    path = tmp_path / "c"
    save_vectors(["a"], _vectors(1, 2), path, "cache")
    save_vectors(["b"], _vectors(1, 2), path, "cache")
    assert _load(path).index_to_key == ["b"]
    (tmp_path / "file").write_text("precious")
    with pytest.raises(FileExistsError, match="not a firstlayer cache"):
        save_vectors(["a"], _vectors(1, 2), tmp_path / "file", "cache")
    assert (tmp_path / "file").read_text() == "precious"


# ---- memory and speed ------------------------------------------------------------------------
N_BIG, DIM_BIG = 50_000, 100
MB = 1 << 20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    vectors = (np.random.default_rng(7).standard_normal((N_BIG, DIM_BIG)) * 0.3).astype(np.float32)
    keys = [f"word{i}" for i in range(N_BIG)]
    path = tmp_path_factory.mktemp("big") / "big.txt"
    save_vectors(keys, vectors, path)
    return path, keys, vectors


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _keys_bytes(keys):
    return sys.getsizeof(keys) + sum(sys.getsizeof(k) for k in keys)


def test_full_load_peak_memory_is_within_1_5x_the_matrix(big_file):
    path, keys, vectors = big_file
    (k, matrix, _), peak = _peak(lambda: load_vectors(path, progress=False))
    np.testing.assert_array_equal(matrix, vectors)
    # No list of Python floats per line: the matrix (20 MB), its growth slack, the keys and a
    # few blocks in flight (a constant, whatever the file size).
    assert peak <= 1.5 * matrix.nbytes + _keys_bytes(k) + 12 * MB, peak / MB


def test_restricted_load_peak_memory_does_not_grow_with_the_file(big_file):
    path, keys, vectors = big_file
    words = keys[::50]  # 1,000 of 50,000 words
    (k, matrix, report), peak = _peak(lambda: load_vectors(path, vocab=words, progress=False))
    assert k == words and report.found_exact == len(words)
    np.testing.assert_array_equal(matrix, vectors[::50])
    # The full matrix would be 20 MB; the restricted load costs its own 0.4 MB + a constant.
    assert peak <= 1.5 * matrix.nbytes + 12 * MB, peak / MB


def test_cache_opens_memory_mapped(big_file, tmp_path):
    # How fast (~1 ms at any size) is bench/bench_vectors.py's "cache-load", not a test's.
    path, keys, vectors = big_file
    save_vectors(keys, vectors, tmp_path / "big.cache", "cache")
    kv = _load(tmp_path / "big.cache")
    assert isinstance(kv.vectors, np.memmap) and not kv.vectors.flags.writeable
    np.testing.assert_array_equal(kv.vectors[12345], vectors[12345])
    assert kv.index_to_key == keys


def test_progress_bar_on_request(tmp_path, capsys):
    save_vectors(["a", "b"], _vectors(2, 3), tmp_path / "v.txt")
    load_vectors(tmp_path / "v.txt", progress=True)
    assert "v.txt" in capsys.readouterr().err
    load_vectors(tmp_path / "v.txt")  # small file: no bar by default
    assert capsys.readouterr().err == ""


def test_single_threaded_reader_gives_the_same_result(big_file, monkeypatch):
    path, keys, vectors = big_file
    monkeypatch.setattr(text, "_workers", lambda: 1)
    k, matrix, _ = load_vectors(path, limit=2000, progress=False)
    assert k == keys[:2000]
    np.testing.assert_array_equal(matrix, vectors[:2000])


def test_worker_threads_are_gone_after_a_load(big_file):
    import threading

    load_vectors(big_file[0], limit=5000, progress=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("firstlayer-vectors")]
