"""The compiled loops of product quantization (numba, ``nogil``): k-means and code assignment.

fastText's ``ProductQuantizer`` runs, for each ``dsub``-wide slice of the columns, k-means with
256 centroids: start from 256 distinct rows drawn by a shuffle, then ``niter`` rounds of

    E: each point's code = its nearest centroid (squared L2, float32; the first on ties)
    M: each centroid = the mean of its points; an empty centroid takes a copy of a centroid
       drawn with a probability that grows with its size, both pushed ``eps`` apart (one
       +eps, one -eps, alternating by column), and the drawn one's points are split in two.

The random numbers come from ``minstd_rand`` (fastText's engine, ``x = x * 48271 mod 2**31 -
1``, seed 1234, one engine for all the slices in turn) drawn as libstdc++ draws them: integers
by rejection then division, doubles from two draws, ``std::shuffle`` two swaps per draw. With
float32 arithmetic in fastText's order, the centroids and codes are fastText's, bit for bit.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

# exact float32 arithmetic in fastText's order (no reassociation, no fused multiply-add)
JIT_OPTIONS: dict[str, Any] = dict(nogil=True, cache=True)

KSUB = 256  # centroids per slice (8 bits)
_M = 2147483647  # minstd_rand's modulus
_RANGE = _M - 2  # max - min of its values (1 .. 2**31 - 2)


@numba.njit(**JIT_OPTIONS)
def _next(state: np.ndarray) -> np.int64:
    state[0] = state[0] * 48271 % _M
    return state[0]


@numba.njit(**JIT_OPTIONS)
def _randint(state: np.ndarray, high: np.int64) -> np.int64:
    """Uniform in ``0 .. high`` (libstdc++'s ``uniform_int_distribution`` on a small engine)."""
    span = high + 1
    scaling = _RANGE // span
    past = span * scaling
    while True:
        r = _next(state) - 1
        if r < past:
            return r // scaling


@numba.njit(**JIT_OPTIONS)
def _uniform(state: np.ndarray) -> float:
    """Uniform in [0, 1) from two draws (``generate_canonical<double, 53>``)."""
    r = float(_RANGE) + 1.0
    lo = float(_next(state) - 1)
    hi = float(_next(state) - 1)
    u = (lo + hi * r) / (r * r)
    return u if u < 1.0 else 1.0 - 2.0**-53


@numba.njit(**JIT_OPTIONS)
def assign(x: np.ndarray, c: np.ndarray, codes: np.ndarray) -> None:
    """E-step, and the codes of a matrix: ``codes[i]`` = the nearest centroid of ``x[i]``
    (the first of equals)."""
    n, d = x.shape
    k = c.shape[0]
    for i in range(n):
        best = np.float32(np.inf)
        code = 0
        for j in range(k):
            dist = np.float32(0.0)
            for t in range(d):
                diff = x[i, t] - c[j, t]
                dist += diff * diff
            if dist < best:
                best = dist
                code = j
        codes[i] = code


@numba.njit(**JIT_OPTIONS)
def _update(x: np.ndarray, c: np.ndarray, codes: np.ndarray, state: np.ndarray,
            eps: np.float32) -> None:
    """M-step: centroids = means of their points; empty ones split a drawn centroid."""
    n, d = x.shape
    k = c.shape[0]
    counts = np.zeros(k, np.int64)
    c[:] = 0
    for i in range(n):
        code = codes[i]
        for t in range(d):
            c[code, t] += x[i, t]
        counts[code] += 1
    for j in range(k):
        if counts[j] != 0:
            for t in range(d):
                c[j, t] /= np.float32(counts[j])
    for j in range(k):
        if counts[j] == 0:
            m = 0
            while _uniform(state) * (n - k) >= counts[m] - 1:
                m = (m + 1) % k
            for t in range(d):
                sign = np.float32((t % 2) * 2 - 1)
                c[j, t] = c[m, t] + sign * eps
                c[m, t] -= sign * eps
            counts[j] = counts[m] // 2
            counts[m] -= counts[j]


@numba.njit(**JIT_OPTIONS)
def shuffle(perm: np.ndarray, state: np.ndarray, pairs: bool) -> None:
    """``std::shuffle`` as libstdc++ does it with a small engine: where ``n * n`` fits its
    range, two swaps from one draw (of ``0 .. (i + 1) * (i + 2) - 1``), else one per draw."""
    n = perm.size
    if n < 2:
        return
    i = 1
    if pairs and _RANGE // n >= n:
        if n % 2 == 0:
            j = _randint(state, 1)
            perm[1], perm[j] = perm[j], perm[1]
            i = 2
        while i < n:
            span = i + 1
            x = _randint(state, span * (span + 1) - 1)
            j1, j2 = x // (span + 1), x % (span + 1)
            perm[i], perm[j1] = perm[j1], perm[i]
            perm[i + 1], perm[j2] = perm[j2], perm[i + 1]
            i += 2
        return
    for i in range(1, n):
        j = _randint(state, i)
        perm[i], perm[j] = perm[j], perm[i]


@numba.njit(**JIT_OPTIONS)
def kmeans(x: np.ndarray, c: np.ndarray, niter: int, state: np.ndarray, eps: float,
           pairs: bool) -> None:
    """k-means of the points ``x`` ``(n, d)`` float32 into the centroids ``c`` ``(k, d)``,
    ``n >= k``: start from ``k`` rows of a shuffle, then ``niter`` E and M steps; ``state``
    is the engine, drawn from in place."""
    n = x.shape[0]
    perm = np.arange(n)
    shuffle(perm, state, pairs)
    for j in range(c.shape[0]):
        c[j] = x[perm[j]]
    codes = np.zeros(n, np.int64)
    for _ in range(niter):
        assign(x, c, codes)
        _update(x, c, codes, state, np.float32(eps))


@numba.njit(**JIT_OPTIONS)
def bag_mean(codes: np.ndarray, centroids: np.ndarray, dsub: int, norms: np.ndarray,
             norm_codes: np.ndarray, rows: np.ndarray, offsets: np.ndarray,
             out: np.ndarray) -> None:
    """``out[b]`` = the mean of the decoded rows ``rows[offsets[b]:offsets[b + 1]]`` (zeros
    for an empty bag), each row decoded from its codes (times its norm when ``norms`` is not
    empty), as fastText's ``QuantMatrix::averageRowsToVector``."""
    nbags, dim = out.shape
    nsubq = codes.shape[1]
    for b in range(nbags):
        lo, hi = offsets[b], offsets[b + 1]
        for t in range(dim):
            out[b, t] = 0
        for p in range(lo, hi):
            r = rows[p]
            scale = np.float32(1.0) if norms.size == 0 else norms[norm_codes[r]]
            for m in range(nsubq):
                col = m * dsub
                d = min(dsub, dim - col)
                base = m * KSUB * dsub + np.int64(codes[r, m]) * d
                for t in range(d):
                    out[b, col + t] += scale * centroids[base + t]
        if hi > lo:
            inv = np.float32(1.0) / np.float32(hi - lo)
            for t in range(dim):
                out[b, t] *= inv
