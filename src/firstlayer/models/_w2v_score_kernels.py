"""The compiled part of ``Word2Vec.score``: gensim's log-sigmoid table and the path sums.

Apart from :mod:`._w2v_score` so that importing the models (and so ``firstlayer --help``)
does not import numba; the kernel loads on the first ``score`` call.
"""

from __future__ import annotations

import numba
import numpy as np

_MAX_EXP = 6
_TABLE_SIZE = 1000
_MAX_SENTENCE_LEN = 10000


def _log_sigmoid_table() -> np.ndarray:
    """gensim's ``LOG_TABLE`` (word2vec_inner.pyx), computed in the same float32 steps."""
    i = np.arange(_TABLE_SIZE, dtype=np.float32)
    x = (i / np.float32(_TABLE_SIZE) * np.float32(2) - np.float32(1)) * np.float32(_MAX_EXP)
    e = np.exp(x.astype(np.float64)).astype(np.float32)
    e = (e / (e + np.float32(1))).astype(np.float32)
    return np.log(e.astype(np.float64)).astype(np.float32)


LOG_TABLE = _log_sigmoid_table()


@numba.njit(inline="always")
def _path_log_likelihood(
    h: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray, word: int,
    length: int, table: np.ndarray, total: np.float32,
) -> np.float32:
    """``total`` plus the path's terms, added one by one in float32 as gensim adds them."""
    dim = h.shape[0]
    for b in range(length):
        row = syn1[points[word, b]]
        f = np.float32(0.0)
        for d in range(dim):
            f += h[d] * row[d]
        if codes[word, b]:
            f = -f
        if f <= -_MAX_EXP or f >= _MAX_EXP:
            continue
        # gensim's index: (f + 6) * 83 in float32 (1000 / 6 / 2 is integer division there)
        total += table[int((f + np.float32(_MAX_EXP)) * np.float32(_TABLE_SIZE // _MAX_EXP // 2))]
    return total


@numba.njit(nogil=True, cache=True)
def score_sentences(
    syn0: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray,
    codelens: np.ndarray, ids: np.ndarray, starts: np.ndarray, window: int, sg: bool,
    cbow_mean: bool, table: np.ndarray,
) -> np.ndarray:
    """Each sentence's score (see the module): ``ids`` the in-vocabulary word ids of the
    sentences back to back, ``starts`` their ``(n + 1,)`` offsets. Returns ``(n,)`` float32."""
    n = starts.shape[0] - 1
    out = np.zeros(n, np.float32)
    neu1 = np.empty(syn0.shape[1], np.float32)
    for s in range(n):
        lo = starts[s]
        hi = min(starts[s + 1], lo + _MAX_SENTENCE_LEN)
        work = np.float32(0.0)
        for i in range(lo, hi):
            word = ids[i]
            length = codelens[word]
            if length == 0:
                continue
            j0 = max(lo, i - window)
            j1 = min(hi, i + window + 1)
            if sg:
                for j in range(j0, j1):
                    if j == i or codelens[ids[j]] == 0:
                        continue
                    work = _path_log_likelihood(syn0[ids[j]], syn1, points, codes, word,
                                                length, table, work)
            else:
                neu1[:] = 0.0
                count = 0
                for m in range(j0, j1):
                    if m == i or codelens[ids[m]] == 0:
                        continue
                    count += 1
                    row = syn0[ids[m]]
                    for d in range(neu1.shape[0]):
                        neu1[d] += row[d]
                if cbow_mean and count > 0:
                    inv = np.float32(1.0) / np.float32(count)
                    for d in range(neu1.shape[0]):
                        neu1[d] *= inv
                work = _path_log_likelihood(neu1, syn1, points, codes, word, length, table,
                                            work)
        out[s] = work
    return out
