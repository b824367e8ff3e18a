"""The compiled loops of the ``.bin`` reader: the dictionary's variable-length entries, and
every word's vector (the mean of its rows) for ``firstlayer.vectors``.

Each entry is ``UTF-8 bytes + NUL + int64 count + int8 type``; the count's bytes may be zero,
so where an entry ends is known only after the one before it: a loop, compiled (numba), that
reads 2M entries in a few milliseconds instead of seconds.
"""

from __future__ import annotations

import numba
import numpy as np

from ._read_kernels import JIT_OPTIONS


@numba.njit(**JIT_OPTIONS)
def parse_entries(
    buf: np.ndarray,
    first: int,
    starts: np.ndarray,
    ends: np.ndarray,
    counts: np.ndarray,
    types: np.ndarray,
) -> tuple:
    """Parse the complete entries at the start of ``buf`` (uint8) into slots ``first``, ...

    Entry ``i``'s bytes are ``buf[starts[i]:ends[i]]``, ``counts[i]`` its count (little-endian
    int64), ``types[i]`` its type. Stops at the last complete entry or when the slots are full.

    Returns ``(entries parsed, bytes used)``.
    """
    pos = 0
    i = first
    size = buf.shape[0]
    while i < starts.shape[0]:
        nul = pos
        while nul < size and buf[nul] != 0:
            nul += 1
        if nul + 9 >= size:
            break
        starts[i] = pos
        ends[i] = nul
        c = np.int64(0)
        for k in range(8):
            c |= np.int64(buf[nul + 1 + k]) << np.int64(8 * k)
        counts[i] = c
        types[i] = np.int8(buf[nul + 9])
        pos = nul + 10
        i += 1
    return i - first, pos


@numba.njit(**JIT_OPTIONS)
def mean_rows(
    matrix: np.ndarray, ptr: np.ndarray, rows: np.ndarray, lo: int, hi: int, out: np.ndarray
) -> None:
    """``out[i] = mean(matrix[rows[ptr[i]:ptr[i + 1]]])`` for ``lo <= i < hi`` (float32 sums,
    as fastText's ``getWordVector``; zeros where a word has no row)."""
    dim = matrix.shape[1]
    for i in range(lo, hi):
        for j in range(dim):
            out[i, j] = 0.0
        n = ptr[i + 1] - ptr[i]
        for r in range(ptr[i], ptr[i + 1]):
            row = rows[r]
            for j in range(dim):
                out[i, j] += matrix[row, j]
        if n > 0:
            scale = np.float32(1.0) / np.float32(n)
            for j in range(dim):
                out[i, j] *= scale
