"""The compiled scoring of ``predict`` (numba): a hidden vector -> fastText's ``k`` best labels.

fastText's ``Loss::predict`` step by step, in its float32 arithmetic and order: the scores
(``dotRow`` of each output row, dense or product-quantized), softmax or its sigmoid table
(``ns``, ``ova``), then ``findKBest`` with libstdc++'s heap (``std::push_heap``/``pop_heap``
on ``(log(p + 1e-5), label)``, then ``std::sort_heap``), or, for ``loss="hs"``, its depth-first
search of the Huffman tree (``HierarchicalSoftmaxLoss::dfs``): so equally likely labels come
out as fastText's. ``_topk`` is the readable reference of the heap.

It also defines the layout of the model's arrays that ``_predict_kernels`` reads (``H_*``:
the header of ``ints``).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

# no fastmath: float32 arithmetic in fastText's order
JIT: dict[str, Any] = dict(nogil=True, cache=True)

SOFTMAX, SIGMOID, HS = 0, 1, 2  # how scores become probabilities (ns and ova: SIGMOID)
KSUB = 256
# the header of ``ints``: sizes, flags, and where each table starts (in ints, u8 or qf)
(H_NWORDS, H_NLABELS, H_DIM, H_MINN, H_MAXN, H_BUCKET, H_NGRAMS, H_LOSS, H_PRUNED, H_NPRUNE,
 H_PTR, H_HASH, H_TABLE, H_TSIZE, H_PKEYS, H_PVALS, H_LEFT, H_RIGHT, H_PREFIX, H_PREFIXLEN,
 H_EOS, H_EOSLEN, H_QIN, H_DSUB, H_QNORM, H_CENT, H_NCENT, H_QOUT, H_ODSUB, H_OQNORM, H_OCENT,
 H_ONCENT, H_QON, H_EOSWORD, H_EOSHASH, H_EOSID, H_QCODES, H_NSUBQ, H_QOCODES, H_ONSUBQ,
 H_QN, H_NINTS, H_QFAT, H_QFLEN, H_U8AT) = range(45)
HEADER = 48



# ---- scores and the k best -------------------------------------------------------------------
@numba.njit(inline="always")
def _dot(i: int, hidden, wout, u8, qf, ints) -> np.float32:
    """fastText's ``dotRow``: ``<output row i, hidden>``, summed in order, float32."""
    d = np.float32(0.0)
    if ints[H_QOUT] == 0:
        for j in range(hidden.shape[0]):
            d += wout[i, j] * hidden[j]
        return d
    dsub, dim = ints[H_ODSUB], hidden.shape[0]
    cent, nsubq = ints[H_OCENT], ints[H_ONSUBQ]
    codes = ints[H_QOCODES] + i * nsubq
    for m in range(nsubq):
        col = m * dsub
        w = min(dsub, dim - col)
        base = cent + m * KSUB * dsub + np.int64(u8[codes + m]) * w
        for t in range(w):
            d += hidden[col + t] * qf[base + t]
    if ints[H_OQNORM] != 0:
        d *= qf[ints[H_ONCENT] + u8[ints[H_QON] + i]]
    return d


@numba.njit(inline="always")
def _dots(hidden, wout, u8, qf, ints, out) -> None:
    """``out[i] = _dot(i, ...)`` for every label; dense rows four at a time (four sums in
    flight, each still in fastText's order: the same floats, sooner)."""
    nl, dim = ints[H_NLABELS], hidden.shape[0]
    if ints[H_QOUT] != 0:
        for i in range(nl):
            out[i] = _dot(i, hidden, wout, u8, qf, ints)
        return
    i = 0
    while i + 4 <= nl:
        d0 = d1 = d2 = d3 = np.float32(0.0)
        for j in range(dim):
            x = hidden[j]
            d0 += wout[i, j] * x
            d1 += wout[i + 1, j] * x
            d2 += wout[i + 2, j] * x
            d3 += wout[i + 3, j] * x
        out[i], out[i + 1], out[i + 2], out[i + 3] = d0, d1, d2, d3
        i += 4
    for r in range(i, nl):
        out[r] = _dot(r, hidden, wout, u8, qf, ints)


@numba.njit(inline="always")
def _std_log(x: np.float32) -> np.float32:
    return np.float32(math.log(np.float64(x) + 1e-5))


@numba.njit(inline="always")
def _push(hk, hi, hole: int, top: int, key, idx) -> None:
    """libstdc++'s ``__push_heap`` with fastText's ``comparePairs`` (a min-heap on the key)."""
    parent = (hole - 1) // 2
    while hole > top and hk[parent] > key:
        hk[hole], hi[hole] = hk[parent], hi[parent]
        hole = parent
        parent = (hole - 1) // 2
    hk[hole], hi[hole] = key, idx


@numba.njit(inline="always")
def _pop(hk, hi, last: int) -> None:
    """``std::pop_heap(heap, heap + last + 1)``: the front moves to ``last`` (libstdc++'s
    ``__adjust_heap``, then ``__push_heap``)."""
    key, idx = hk[last], hi[last]
    hk[last], hi[last] = hk[0], hi[0]
    hole, child, length = 0, 0, last
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if hk[child] > hk[child - 1]:
            child -= 1
        hk[hole], hi[hole] = hk[child], hi[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        hk[hole], hi[hole] = hk[child - 1], hi[child - 1]
        hole = child - 1
    _push(hk, hi, hole, 0, key, idx)


@numba.njit(inline="always")
def _offer(hk, hi, size: int, k: int, key, idx) -> int:
    """One ``findKBest`` step for a candidate the caller let through; returns the new size."""
    hk[size], hi[size] = key, idx
    _push(hk, hi, size, 0, key, idx)
    size += 1
    if size > k:
        _pop(hk, hi, size - 1)
        size -= 1
    return size


@numba.njit(inline="always")
def _top_k(hidden, wout, u8, qf, ints, k: int, threshold: np.float32, out, prob,
           hk, hi, stack_n, stack_s, stack_p, ids_row, probs_row) -> int:
    """The k best labels of ``hidden`` as fastText's ``Loss::predict`` finds and orders them;
    writes their ids and probabilities (the model's: without fastText's ``+ 1e-5``) and
    returns how many."""
    nl = ints[H_NLABELS]
    size = 0
    if ints[H_LOSS] == HS:  # HierarchicalSoftmaxLoss::dfs, depth first, left child first
        least = _std_log(threshold)
        sp = 1
        stack_n[0], stack_s[0], stack_p[0] = 2 * nl - 2, np.float32(0.0), 1.0
        left, right = ints[H_LEFT], ints[H_RIGHT]
        while sp > 0:
            sp -= 1
            node, score, p = stack_n[sp], stack_s[sp], stack_p[sp]
            if score < least or (size == k and score < hk[0]):
                continue
            if ints[left + node] == -1 and ints[right + node] == -1:
                prob[node] = p
                size = _offer(hk, hi, size, k, score, node)
                continue
            f = _dot(node - nl, hidden, wout, u8, qf, ints)
            f = np.float32(1.0 / np.float64(np.float32(1) + np.exp(-f)))
            g = np.float32(1.0 - np.float64(f))
            stack_n[sp], stack_s[sp], stack_p[sp] = ints[right + node], score + _std_log(f), p * f
            stack_n[sp + 1], stack_s[sp + 1] = ints[left + node], score + _std_log(g)
            stack_p[sp + 1] = p * g
            sp += 2
    else:
        _dots(hidden, wout, u8, qf, ints, out)
        if ints[H_LOSS] == SOFTMAX:
            top = out[0]
            for i in range(nl):
                top = max(out[i], top)
            z = np.float32(0.0)
            for i in range(nl):
                out[i] = np.float32(math.exp(np.float64(out[i] - top)))
                z += out[i]
            for i in range(nl):
                out[i] /= z
        else:  # fastText's sigmoid table: 512 steps over [-8, 8]
            for i in range(nl):
                x = out[i]
                if x < -8:
                    out[i] = 0.0
                elif x > 8:
                    out[i] = 1.0
                else:
                    out[i] = qf[np.int64((x + np.float32(8)) * np.float32(512) / np.float32(8)
                                         / np.float32(2))]
        least_p = -1.0
        for i in range(nl):  # Loss::findKBest
            if out[i] < threshold:
                continue
            # far below the heap's least (by 0.1%, above 1e-3): its key is lower, no log needed
            if size == k and out[i] < least_p:
                continue
            key = _std_log(out[i])
            if size == k and key < hk[0]:
                continue
            prob[i] = out[i]
            size = _offer(hk, hi, size, k, key, i)
            if size == k:
                front = prob[hi[0]]
                least_p = front * 0.999 if front > 1e-3 else -1.0
    for last in range(size - 1, 0, -1):  # std::sort_heap
        _pop(hk, hi, last)
    for j in range(size):
        ids_row[j] = hi[j]
        probs_row[j] = prob[hi[j]]
    return size
