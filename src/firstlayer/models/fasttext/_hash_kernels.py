"""fastText's hashing, compiled (numba): ``_hash``'s arithmetic for the loops that read text
(``_read_kernels``) and predict (``_predict_kernels``), written once for both.

``_hash`` is the readable reference (its docstring gives the three formulas) and the tests
compare these with it:

* ``fnv_step``: one byte of a token's FNV-1a hash;
* ``char_ngram_rows``: the rows of a word's character n-grams, into the caller's buffer;
* ``word_ngram_rows``: the rows of a line's word n-grams, into the caller's buffer.

All are ``inline="always"``: numba copies them into the callers' loops, which are the ones
compiled (and cached, ``cache=True``); nothing here is compiled on its own. (Measured on
``subword_rows``: a compiled call per token instead costs 17%, LLVM's ``forceinline`` 12%.)
"""

from __future__ import annotations

import numba
import numpy as np

FNV_OFFSET = np.uint32(2166136261)
FNV_PRIME = np.uint32(16777619)
NGRAM_MUL = np.uint64(116049371)


@numba.njit(inline="always")
def fnv_step(h: np.uint32, byte: np.uint8) -> np.uint32:
    """One byte of FNV-1a: XOR in the byte as a signed char widened to 32 bits, multiply.

    numba widens uint32 arithmetic to 64 bits, so the product is cut back to 32 explicitly.
    """
    return np.uint32((h ^ np.uint32(np.int32(np.int8(byte)))) * FNV_PRIME)


@numba.njit(inline="always")
def char_ngram_rows(src: np.ndarray, a: int, b: int, word: np.ndarray, minn: int, maxn: int,
                    bucket: int, offset: int, out: np.ndarray, at: int, write: bool) -> int:
    """fastText's ``computeSubwords`` on the token ``src[a:b]``: ``out[at:]`` = the rows
    ``offset + fnv1a(g) % bucket`` of the character n-grams ``g`` of ``"<" + token + ">"``, in
    fastText's order; returns where they end.

    An n-gram is ``minn`` to ``maxn`` UTF-8 characters: a continuation byte (``10xxxxxx``)
    never starts one and is never cut from its character; the one-character n-grams ``"<"``
    and ``">"`` are left out. ``word`` is scratch of at least ``b - a + 2`` bytes; ``out``
    needs room for ``maxn`` rows per byte of ``"<" + token + ">"``; ``bucket`` > 0.

    ``write=False`` only counts them (``out`` untouched): ``subword_rows`` sizes its output
    first, and counting skips ``% bucket``, a division per n-gram. When writing, the division
    runs beside the next hash: the rows cost little more than the hashes.
    """
    size = b - a + 2
    word[0] = 60  # "<"
    for q in range(b - a):
        word[q + 1] = src[a + q]
    word[size - 1] = 62  # ">"
    ub = np.uint32(bucket)
    pos = at
    for i in range(size):
        if word[i] & 0xC0 == 0x80:
            continue
        h = FNV_OFFSET
        j = i
        m = 1
        while j < size and m <= maxn:
            h = fnv_step(h, word[j])
            j += 1
            while j < size and word[j] & 0xC0 == 0x80:
                h = fnv_step(h, word[j])
                j += 1
            if m >= minn and not (m == 1 and (i == 0 or j == size)):
                if write:
                    out[pos] = offset + np.int64(h % ub)
                pos += 1
            m += 1
    return pos


@numba.njit(inline="always")
def word_ngram_rows(hashes: np.ndarray, count: int, n: int, bucket: int, offset: int,
                    out: np.ndarray, at: int) -> int:
    """fastText's ``addWordNgrams``: ``out[at:]`` = the rows ``offset + h % bucket`` of the
    2..n-grams of the line's token hashes ``hashes[:count]`` (int32 values), in fastText's
    order; returns where they end."""
    ub = np.uint64(bucket)
    pos = at
    for i in range(count):
        # the int32 hash, sign-extended to 64 bits, as fastText's ``uint64_t h = hashes[i]``
        h = np.uint64(np.int64(hashes[i]))
        for j in range(i + 1, min(count, i + n)):
            h = h * NGRAM_MUL + np.uint64(np.int64(hashes[j]))
            out[pos] = offset + np.int64(h % ub)
            pos += 1
    return pos
