"""Cold start (issue 11): vector files load and save without numba, through the C loops pip
builds (``vectors/formats/_cformats.c``), and those loops answer exactly as the numba kernels
they stand in for (``_text_kernels``, ``_binary_kernels``, ``_format_kernels``: the fallback
where no compiler was there, and the oracle here).

No timing: the invariant that keeps a fresh process fast and small is that loading and saving
a vector file never imports numba or llvmlite (~0.5 s and ~130 MB in every process); and the
build step that compiles the models' numba kernels ahead of the first call
(``firstlayer._precompile``, run by ``pip install -e .``) must run through. The numbers are in
BENCHMARKS.md ("Cold start"; ``bench/bench_cold.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstlayer.vectors.formats import _kernels

_CC = (sysconfig.get_config_var("CC") or "cc").split()[0]
_COMPILER = shutil.which(_CC) is not None

if not _kernels.native():
    if _COMPILER and os.environ.get("FIRSTLAYER_KERNELS", "") != "numba":
        pytest.fail(
            "the C extension firstlayer.vectors.formats._cformats is not built although a C "
            "compiler is here: run `pip install -e .` (it builds it)",
            pytrace=False,
        )
    pytest.skip("no C extension (no compiler at install time): numba serves the readers",
                allow_module_level=True)

from firstlayer.vectors.formats import (  # noqa: E402  (numba: only once the C module is there)
    _binary_kernels,
    _cformats,
    _format_kernels,
    _text_kernels,
)


# ---- the invariant: no numba in a process that loads and saves vector files ------------------
def test_loading_and_saving_vectors_imports_no_numba(tmp_path):
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(50)] + ["我", "New York"]
    vectors = rng.standard_normal((52, 7)).astype(np.float32)
    code = f"""
import json, sys
import numpy as np
import firstlayer.vectors as fv
from firstlayer.vectors.formats import load_vectors, save_vectors
keys = {keys!r}
vectors = np.array({vectors.tolist()!r}, dtype=np.float32)
folder = {str(tmp_path)!r}
save_vectors(keys, vectors, folder + "/v.txt", "glove")
save_vectors(keys[:-1], vectors[:-1], folder + "/v.vec.gz")
save_vectors(keys[:-1], vectors[:-1], folder + "/v.bin", "word2vec-binary")
save_vectors(keys, vectors, folder + "/v.cache", "cache")
got = {{}}
for name in ("v.txt", "v.vec.gz", "v.bin", "v.cache"):
    kv = fv.load(folder + "/" + name)
    got[name] = [list(kv.index_to_key), kv.vectors.tolist()]
kv.save(folder + "/again.txt")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite"))
print(json.dumps({{"heavy": heavy, "got": got}}))
"""
    env = {k: v for k, v in os.environ.items() if k != "FIRSTLAYER_KERNELS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["heavy"] == [], f"numba was imported: {result['heavy'][:5]}"
    for name, (got_keys, got_vectors) in result["got"].items():
        n = 52 if name in ("v.txt", "v.cache") else 51
        assert got_keys == keys[:n], name
        np.testing.assert_array_equal(np.array(got_vectors, np.float32), vectors[:n])


# ---- the text parser: C == numba ---------------------------------------------------------------
def _parse(module, data: bytes, dim: int, dtype) -> tuple:
    buf = np.frombuffer(data, np.uint8)
    hi = np.flatnonzero(buf == 0x0A)
    lo = np.concatenate([[0], hi[:-1] + 1]).astype(np.int64)
    n = hi.size
    out = np.zeros((n, dim), dtype)
    key_s, key_e = np.zeros(n, np.int64), np.zeros(n, np.int64)
    status = np.zeros(n, np.int8)
    module.parse_lines(buf, lo, hi, dim, out, key_s, key_e, status)
    if module is _cformats:
        counts = np.empty(n, np.int64)
        _cformats.count_tokens_into(buf, lo, hi, counts)
    else:
        counts = module.count_tokens(buf, lo, hi)
    # values are garbage (whatever was parsed so far) unless the line is OK or SLOW
    good = (status == _text_kernels.OK) | (status == _text_kernels.SLOW)
    bits = out[good].view(np.uint32 if dtype == np.float32 else np.uint64)
    return bits, key_s, key_e, status, counts


_TOKENS = st.one_of(
    st.floats(width=32).map(lambda v: str(np.float32(v))),
    st.floats().map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(
        ["0.", "-0.0", "1e5", "5", "-.5", "+1.5", "1E+3", "1e", "1.5.3", "abc", "nan", "-inf",
         "1_000", "0x10", "1.00000005960464477550", "123456789012345678", "9" * 25, "1e-400",
         "1e400", "4.9e-324", "2.2250738585072014e-308", "--1", "+-1", ".", "e5", "1e+",
         "我", "0.1234567890123456789", "12345678.12345678", "١"]
    ),
)
_SPACES = st.sampled_from([" ", "  ", "\t", " \r", "\x0b", "\x0c", "\u00a0", " \u3000 "])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["w", "New York", "我", "", " ", "a\u00a0b", "1.5"]),
            st.lists(st.tuples(_SPACES, _TOKENS), max_size=6),
            st.sampled_from(["", " ", "\r", " \t"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 5),
    st.sampled_from([np.float32, np.float64]),
)
def test_the_c_parser_answers_as_numba(lines, dim, dtype):
    data = "".join(
        word + "".join(space + token for space, token in numbers) + end + "\n"
        for word, numbers, end in lines
    ).encode("utf-8", "surrogatepass")
    c = _parse(_cformats, data, dim, dtype)
    n = _parse(_text_kernels, data, dim, dtype)
    for got, expected in zip(c, n):
        np.testing.assert_array_equal(got, expected)


def test_the_c_parser_reads_vector_files_bit_for_bit():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [rng.standard_normal(3000) * scale for scale in (1e-6, 1e-3, 0.2, 1.0, 1e3, 1e7)]
    )
    rows = values.astype(np.float32).reshape(-1, 100)
    data = "".join(f"k{i} " + " ".join(map(str, row)) + "\n" for i, row in enumerate(rows))
    for dtype in (np.float32, np.float64):
        c = _parse(_cformats, data.encode(), 100, dtype)
        assert (c[3] == _text_kernels.OK).all()
        expected = np.array([[float(str(v)) for v in row] for row in rows]).astype(dtype)
        np.testing.assert_array_equal(c[0].view(dtype).reshape(rows.shape), expected)


def test_the_status_codes_agree():
    for name in ("OK", "BLANK", "SHORT", "SLOW", "SPACED"):
        assert getattr(_kernels, name) == getattr(_cformats, name) == getattr(_text_kernels, name)
    assert _kernels.MAX_NUMBER_BYTES == _format_kernels.MAX_NUMBER_BYTES
    assert _kernels.SLACK_BYTES == _format_kernels.SLACK_BYTES


# ---- the binary walk: C == numba ---------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=400), st.integers(1, 12), st.integers(0, 40),
       st.integers(1, 9), st.integers(1, 40), st.booleans())
def test_the_c_binary_walk_answers_as_numba(data, record, pos, most, max_word, copy):
    buf = np.frombuffer(data, np.uint8)
    results = []
    for module in (_cformats, _binary_kernels):
        starts, spaces = np.zeros(most, np.int64), np.zeros(most, np.int64)
        words = np.zeros(max_word + 1 + 3 * (max_word + 1), np.uint8)
        out = np.zeros((most if copy else 0, record), np.uint8)
        n, end, used, full = module.read_records(buf, pos, record, most, max_word, starts,
                                                 spaces, words, out)
        into = np.zeros((n, record), np.uint8)  # the other way: copy after the walk
        module.copy_vectors(buf, spaces[:n].copy(), record, into)
        results.append((n, end, used, bool(full), starts[:n].tolist(), spaces[:n].tolist(),
                        words[:used].tobytes(), out[:n].tobytes(), into.tobytes()))
    assert results[0] == results[1]
    if copy:
        assert results[0][-1] == results[0][-2]


def test_the_c_loops_refuse_arrays_that_do_not_fit():
    buf = np.frombuffer(b"ab \x00\x00\x80?", np.uint8)
    spaces = np.array([2, 50], np.int64)
    with pytest.raises(ValueError):
        _cformats.copy_vectors(buf, spaces, 4, np.zeros((2, 4), np.uint8))
    with pytest.raises(TypeError):  # int32 line offsets
        _cformats.parse_lines(buf, np.array([0], np.int32), np.array([6], np.int32), 1,
                              np.zeros((1, 1)), np.zeros(1, np.int64), np.zeros(1, np.int64),
                              np.zeros(1, np.int8))
    with pytest.raises(ValueError):  # a line beyond the buffer
        _cformats.parse_lines(buf, np.array([0]), np.array([60]), 1, np.zeros((1, 1)),
                              np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int8))


# ---- the text writer: C == numba, byte for byte ------------------------------------------------
def _format(module, bits: np.ndarray) -> tuple:
    rows, dim = bits.shape
    names = [b"k%d" % i for i in range(rows)]
    keys = np.frombuffer(b"".join(names), np.uint8)
    ends = np.cumsum([len(k) for k in names]).astype(np.int64)
    out = np.zeros(keys.size + rows * (1 + dim * 16) + 16, np.uint8)
    index, at = np.zeros(bits.size, np.int64), np.zeros(bits.size, np.int64)
    if module is _cformats:
        length, slow = _cformats.format_rows(keys, ends, bits.reshape(-1), out, index, at, dim)
    else:
        length, slow = module.format_rows(keys, ends, bits, out, index, at)
    return out[:length].tobytes(), index[:slow].tolist(), at[:slow].tolist()


def test_the_c_writer_writes_what_numba_writes():
    rng = np.random.default_rng(1)
    exponents = rng.integers(0, 256, 20_000).astype(np.uint32)
    fractions = rng.integers(0, 1 << 23, 20_000).astype(np.uint32)
    signs = rng.integers(0, 2, 20_000).astype(np.uint32)
    special = np.array(  # powers of two and their neighbours, 1e-4 and 1e6 at the edges
        [0, 1, 2, 0x7FFFFF, 0x800000, 0x800001, 0x3F800000, 0x3F7FFFFF, 0x7F7FFFFF, 0x7F800000,
         0x7FC00000, 0x38D1B717, 0x38D1B718, 0x38D1B719, 0x497423FF, 0x49742400, 0x49742401,
         0x3273EDE6, 0x7F7AEFB9, 0x3F000000], np.uint32)
    powers = (np.arange(1, 255, dtype=np.uint32) << 23)
    bits = np.concatenate([
        (signs << 31) | (exponents << 23) | fractions,
        special, special | 0x80000000, powers, powers + 1, powers - 1,
        (rng.standard_normal(6_000) * 0.2).astype(np.float32).view(np.uint32),
    ])
    bits = np.resize(bits, (bits.size // 50, 50))
    assert _format(_cformats, bits) == _format(_format_kernels, bits)


# ---- the build step that compiles the numba kernels ahead of the first call --------------------
def test_the_precompile_step_runs_every_group():
    # `pip install -e .` runs it (setup.py); a group that fails there only warns, so this is
    # where an API change that breaks it shows. Compiles what the rest of the suite compiles
    # anyway (numba's cache is shared); with the cache filled by the install it takes seconds.
    done = subprocess.run([sys.executable, "-m", "firstlayer._precompile"], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "failed" not in done.stderr, done.stderr
    assert done.stderr.count("compiled") == 4, done.stderr  # three groups and the total
