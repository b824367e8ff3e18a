"""The compiled loops of ``predict`` (numba): a line's bytes -> fastText's ``k`` best labels.

One pass per line does all of fastText's ``predictLine``: read the tokens (``readWord``), look
each up in the dictionary (open addressing on its FNV-1a hash), add its rows to the hidden
vector as they come (the word's, its character n-grams', then the word n-grams', pruned as a
quantized dictionary prunes them: ``pushHash``), divide by their number, score the labels and
pick the ``k`` best with fastText's heap (``Loss::findKBest``; ``loss="hs"``: its depth-first
search of the Huffman tree), ties included. The float32 sums run in fastText's order (no
fastmath), so scores, probabilities and the order of equal ones are fastText's.

The model is passed as a few flat arrays (``_predict.PredictState`` builds them), so that a
call costs little more than numba's dispatch:

* ``ints`` (int64): a header of sizes and offsets (``H_*``), then the dictionary's key
  offsets, hashes and hash table, the pruned buckets (sorted) and their rows, the tree;
* ``u8`` (uint8): the dictionary's entries back to back, the label prefix, ``</s>``; the
  codes of quantized matrices (row after row) and their norm codes;
* ``qf`` (float32): fastText's sigmoid table (513 entries, ``_topk``), then the centroids and
  norm centroids of quantized matrices;
* ``win``/``wout``: the dense input/output matrices (a ``(1, dim)`` dummy when quantized).
"""

from __future__ import annotations

import numba
import numpy as np

from ._hash_kernels import FNV_OFFSET, char_ngram_rows, fnv_step, word_ngram_rows
from ._read_kernels import _is_space
from ._topk_kernels import (  # the layout of the arrays, and the scoring
    H_BUCKET,
    H_CENT,
    H_DIM,
    H_DSUB,
    H_EOS,
    H_EOSHASH,
    H_EOSID,
    H_EOSLEN,
    H_EOSWORD,
    H_HASH,
    H_MAXN,
    H_MINN,
    H_NCENT,
    H_NGRAMS,
    H_NINTS,
    H_NLABELS,
    H_NPRUNE,
    H_NSUBQ,
    H_NWORDS,
    H_PKEYS,
    H_PREFIX,
    H_PREFIXLEN,
    H_PRUNED,
    H_PTR,
    H_PVALS,
    H_QCODES,
    H_QFAT,
    H_QFLEN,
    H_QIN,
    H_QN,
    H_QNORM,
    H_TABLE,
    H_TSIZE,
    H_U8AT,
    HEADER,
    JIT,
    KSUB,
    _top_k,
)


@numba.njit(**JIT)
def entry_hashes(buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """fastText's ``hash`` (FNV-1a) of each entry ``buf[starts[i]:starts[i + 1]]``, uint32."""
    n = starts.shape[0] - 1
    out = np.empty(n, np.uint32)
    for i in range(n):
        h = FNV_OFFSET
        for q in range(starts[i], starts[i + 1]):
            h = fnv_step(h, buf[q])
        out[i] = h
    return out


# ---- the dictionary --------------------------------------------------------------------------
@numba.njit(inline="always")
def _find(src, a: int, b: int, h: np.uint32, ints: np.ndarray, keys: np.ndarray) -> int:
    """The entry id of the token ``src[a:b]`` (hash ``h``), -1 if the dictionary lacks it."""
    size = ints[H_TSIZE]
    table = ints[H_TABLE]
    ptr = ints[H_PTR]
    hashes = ints[H_HASH]
    i = np.int64(h) & (size - 1)
    while True:
        e = ints[table + i]
        if e == -1:
            return -1
        if ints[hashes + e] == np.int64(h):
            lo = ints[ptr + e]
            if ints[ptr + e + 1] - lo == b - a:
                same = True
                for q in range(b - a):
                    if keys[lo + q] != src[a + q]:
                        same = False
                        break
                if same:
                    return e
        i = (i + 1) & (size - 1)


@numba.njit(inline="always")
def _same(src, a: int, b: int, keys: np.ndarray, at: int, size: int, prefix: bool) -> bool:
    """Whether ``src[a:b]`` equals ``keys[at:at + size]`` (or, ``prefix``, starts with it)."""
    if (b - a < size) if prefix else (b - a != size):
        return False
    for q in range(size):
        if src[a + q] != keys[at + q]:
            return False
    return True


@numba.njit(inline="always")
def _hashed_row(bucket_id: int, ints: np.ndarray) -> int:
    """fastText's ``pushHash``: the row of hash bucket ``bucket_id``; -1 where a quantized
    dictionary dropped it."""
    if ints[H_PRUNED] == 0:
        return ints[H_NWORDS] + bucket_id
    lo, hi = 0, ints[H_NPRUNE]
    keys, vals = ints[H_PKEYS], ints[H_PVALS]
    while lo < hi:  # the sorted kept buckets
        mid = (lo + hi) >> 1
        if ints[keys + mid] < bucket_id:
            lo = mid + 1
        else:
            hi = mid
    if lo < ints[H_NPRUNE] and ints[keys + lo] == bucket_id:
        return ints[H_NWORDS] + ints[vals + lo]
    return -1


# ---- a line -> its rows ----------------------------------------------------------------------
@numba.njit(inline="always")
def _push_hashed(bucket_id: int, rows: np.ndarray, n: int, ints: np.ndarray) -> int:
    r = _hashed_row(bucket_id, ints)
    if r >= 0:
        rows[n] = r
        n += 1
    return n


@numba.njit(**JIT)  # not inlined: its code in the token loop slows every token
def _char_ngrams(src, a: int, b: int, word: np.ndarray, rows: np.ndarray, n: int,
                 ints: np.ndarray) -> int:
    """Append the rows of the character n-grams of ``"<" + src[a:b] + ">"`` (fastText's
    ``computeSubwords``); returns the new count."""
    end = char_ngram_rows(src, a, b, word, ints[H_MINN], ints[H_MAXN], ints[H_BUCKET], 0, rows,
                          n, True)
    for p in range(n, end):  # the buckets -> their rows, in place (n <= p)
        n = _push_hashed(rows[p], rows, n, ints)
    return n


@numba.njit(inline="always")
def _line_rows(src, a: int, b: int, rows: np.ndarray, hashes: np.ndarray, word: np.ndarray,
               ints: np.ndarray, keys: np.ndarray) -> int:
    """fastText's ``getLine`` on ``src[a:b]`` (``</s>`` added at its end; newlines inside read
    as spaces; a literal ``</s>`` ends it, as in fastText): its input rows, in fastText's
    order, into ``rows``; returns how many.

    Each token: its hash and entry; labels are left out (known ones, and unknown ones with
    the label prefix); a word gives its id (if known), its character n-grams (``maxn > 0``)
    and its hash for the word n-grams, which come last."""
    eos, eoslen = ints[H_EOS], ints[H_EOSLEN]
    n, nh, i = 0, 0, a
    ended = False
    while i < b:
        if _is_space(src[i]):
            i += 1
            continue
        start = i
        while i < b and not _is_space(src[i]):
            i += 1
        ended = _same(src, start, i, keys, eos, eoslen, False)
        h = FNV_OFFSET
        for q in range(start, i):
            h = fnv_step(h, src[q])
        wid = _find(src, start, i, h, ints, keys)
        if wid >= 0:
            is_word = wid < ints[H_NWORDS]
        else:
            is_word = not _same(src, start, i, keys, ints[H_PREFIX], ints[H_PREFIXLEN], True)
        if is_word:
            hashes[nh] = np.int32(np.uint32(h))  # fastText keeps int32
            nh += 1
            if wid >= 0:
                rows[n] = wid
                n += 1
            if ints[H_MAXN] > 0 and ints[H_BUCKET] > 0 and not ended:
                n = _char_ngrams(src, start, i, word, rows, n, ints)
        if ended:
            break
    if not ended and ints[H_EOSWORD] != 0:  # the line's </s>, looked up once per model
        hashes[nh] = np.int32(ints[H_EOSHASH])
        nh += 1
        if ints[H_EOSID] >= 0:
            rows[n] = ints[H_EOSID]
            n += 1
    if ints[H_NGRAMS] > 1 and ints[H_BUCKET] > 0:  # fastText's addWordNgrams
        end = word_ngram_rows(hashes, nh, ints[H_NGRAMS], ints[H_BUCKET], 0, rows, n)
        for p in range(n, end):  # the buckets -> their rows, in place (n <= p)
            n = _push_hashed(rows[p], rows, n, ints)
    return n


@numba.njit(inline="always")
def _add_qrow(r: int, hidden: np.ndarray, u8: np.ndarray, qf: np.ndarray,
              ints: np.ndarray) -> None:
    """``hidden += row r`` of the quantized input matrix (fastText's ``addcode``, times the
    row's norm with ``qnorm``)."""
    dim = hidden.shape[0]
    dsub = ints[H_DSUB]
    alpha = np.float32(1.0) if ints[H_QNORM] == 0 else qf[ints[H_NCENT] + u8[ints[H_QN] + r]]
    cent, nsubq = ints[H_CENT], ints[H_NSUBQ]
    codes = ints[H_QCODES] + r * nsubq
    full = dim // dsub  # sub-vectors of dsub columns; a narrower last one if dsub does not divide
    if dsub == 2:  # fastText's default: two columns per byte
        for m in range(full):
            base = cent + (m * KSUB + np.int64(u8[codes + m])) * 2
            hidden[2 * m] += alpha * qf[base]
            hidden[2 * m + 1] += alpha * qf[base + 1]
    else:
        for m in range(full):
            base = cent + (m * KSUB + np.int64(u8[codes + m])) * dsub
            for t in range(dsub):
                hidden[m * dsub + t] += alpha * qf[base + t]
    if full < nsubq:
        last = dim - full * dsub
        base = cent + full * KSUB * dsub + np.int64(u8[codes + full]) * last
        for t in range(last):
            hidden[full * dsub + t] += alpha * qf[base + t]


@numba.njit(inline="always")
def _mean(rows: np.ndarray, lo: int, hi: int, hidden: np.ndarray, win: np.ndarray,
          u8: np.ndarray, qf: np.ndarray, ints: np.ndarray) -> None:
    """``hidden`` = the mean of rows ``rows[lo:hi]`` (fastText's ``averageRowsToVector``)."""
    hidden[:] = 0
    if ints[H_QIN] == 0:
        for p in range(lo, hi):
            r = rows[p]
            for j in range(hidden.shape[0]):
                hidden[j] += win[r, j]
    else:
        for p in range(lo, hi):
            _add_qrow(rows[p], hidden, u8, qf, ints)
    inv = np.float32(1.0 / (hi - lo))
    for j in range(hidden.shape[0]):
        hidden[j] *= inv


@numba.njit(inline="always")
def _unpack(blob: np.ndarray) -> tuple:
    """The three tables of the model's ``blob``: ``ints``, ``u8``, ``qf`` (views)."""
    head = blob[: 8 * HEADER].view(np.int64)
    at = head[H_QFAT]
    return (blob[: 8 * head[H_NINTS]].view(np.int64), blob[head[H_U8AT] :],
            blob[at : at + 4 * head[H_QFLEN]].view(np.float32))


@numba.njit(inline="always")
def _scratch(ints: np.ndarray, k: int, longest: int) -> tuple:
    """The work arrays of a line of at most ``longest`` bytes, cut from four allocations."""
    nl, dim = ints[H_NLABELS], ints[H_DIM]
    tokens = longest // 2 + 2  # a token and a separator each, and </s>
    # rows: a word's own, <= maxn n-grams per byte of "<word>", the word n-grams
    most = tokens * max(1, ints[H_NGRAMS]) + max(0, ints[H_MAXN]) * (longest + 2 * tokens)
    stack = 2 * nl + 2
    f32 = np.empty(dim + nl + k + 1 + stack, np.float32)
    f64 = np.empty(nl + stack, np.float64)
    i64 = np.empty(k + 1 + stack + most + tokens, np.int64)
    word = np.empty(longest + 2 if ints[H_MAXN] > 0 else 1, np.uint8)
    hk, ss = f32[dim + nl : dim + nl + k + 1], f32[dim + nl + k + 1 :]
    hi, sn = i64[: k + 1], i64[k + 1 : k + 1 + stack]
    rows, hashes = i64[k + 1 + stack : k + 1 + stack + most], i64[k + 1 + stack + most :]
    return (f32[:dim], f32[dim : dim + nl], f64[:nl], hk, hi, sn, ss, f64[nl:], hashes, word,
            rows)


@numba.njit(**JIT)
def predict_one(text: bytes, blob: np.ndarray, win: np.ndarray, wout: np.ndarray, k: int,
                threshold: float, ids: np.ndarray, probs: np.ndarray) -> tuple:
    """One line (``text``, UTF-8 bytes): its ``k`` best labels into ``ids``/``probs``, best
    first. Returns how many (0 when no row of the line is known) and the first (-1: none)."""
    ints, u8, qf = _unpack(blob)
    hidden, out, prob, hk, hi, sn, ss, sp, hashes, word, rows = _scratch(ints, k, len(text))
    n = _line_rows(text, 0, len(text), rows, hashes, word, ints, u8)
    if n == 0:
        return 0, -1
    _mean(rows, 0, n, hidden, win, u8, qf, ints)
    n = _top_k(hidden, wout, u8, qf, ints, k, np.float32(threshold), out, prob, hk, hi, sn, ss,
               sp, ids, probs)
    return n, ids[0] if n > 0 else -1


@numba.njit(**JIT)
def predict_lines(buf: np.ndarray, bounds: np.ndarray, blob: np.ndarray, win: np.ndarray,
                  wout: np.ndarray, k: int, threshold: float, ids: np.ndarray,
                  probs: np.ndarray, counts: np.ndarray) -> None:
    """``predict_one`` on each line ``buf[bounds[i]:bounds[i + 1]]``: row ``i`` of
    ``ids``/``probs`` ``(lines, k)`` and ``counts[i]``."""
    ints, u8, qf = _unpack(blob)
    longest = 0
    for i in range(bounds.shape[0] - 1):
        longest = max(longest, bounds[i + 1] - bounds[i])
    hidden, out, prob, hk, hi, sn, ss, sp, hashes, word, rows = _scratch(ints, k, longest)
    thr = np.float32(threshold)
    for i in range(bounds.shape[0] - 1):
        counts[i] = 0
        n = _line_rows(buf, bounds[i], bounds[i + 1], rows, hashes, word, ints, u8)
        if n > 0:
            _mean(rows, 0, n, hidden, win, u8, qf, ints)
            counts[i] = _top_k(hidden, wout, u8, qf, ints, k, thr, out, prob, hk, hi, sn, ss,
                               sp, ids[i], probs[i])


@numba.njit(**JIT)
def predict_rows(row_ptr: np.ndarray, rows: np.ndarray, blob: np.ndarray, win: np.ndarray,
                 wout: np.ndarray, k: int, threshold: float, ids: np.ndarray,
                 probs: np.ndarray, counts: np.ndarray) -> None:
    """The same from lines already encoded (``_dictionary.Lines``: line ``i``'s input rows
    ``rows[row_ptr[i]:row_ptr[i + 1]]``), for ``test``."""
    ints, u8, qf = _unpack(blob)
    hidden, out, prob, hk, hi, sn, ss, sp, _, _, _ = _scratch(ints, k, 0)
    thr = np.float32(threshold)
    for i in range(row_ptr.shape[0] - 1):
        counts[i] = 0
        if row_ptr[i + 1] > row_ptr[i]:
            _mean(rows, row_ptr[i], row_ptr[i + 1], hidden, win, u8, qf, ints)
            counts[i] = _top_k(hidden, wout, u8, qf, ints, k, thr, out, prob, hk, hi, sn, ss,
                               sp, ids[i], probs[i])
