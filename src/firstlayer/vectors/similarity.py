"""The cosine-similarity maths behind ``KeyedVectors``' queries, as small NumPy functions.

Every query is a dot product with *unit* rows: cos(u, v) = (u / |u|) · (v / |v|). The matrix of
unit rows (``normed``, shape ``(V, D)``) is computed once by :func:`unit_rows` and cached by
``KeyedVectors``; a query is then one matrix-vector product and a partial sort.

>>> import numpy as np
>>> normed, norms = unit_rows(np.array([[3.0, 4.0], [0.0, 2.0]], np.float32))
>>> normed.tolist(), norms.tolist()
([[0.6000000238418579, 0.800000011920929], [0.0, 1.0]], [5.0, 2.0])
>>> top_k(np.array([0.1, 0.9, 0.5]), 2, exclude=[1]).tolist()
[2, 0]
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

# Rows normalised per step in unit_rows: bounds the float temporaries to ~16 MB whatever V is.
_NORM_BLOCK_ROWS = 1 << 14
# batch_top_k scores blocks of this many rows (at least k) against as many queries as keep a
# block of scores under _SCORE_BLOCK entries (64 MB of float32).
_ROWS_PER_BLOCK = 1 << 16
_SCORE_BLOCK = 1 << 24


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype queries are computed in: float64 stays float64, everything else float32."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def unit_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row divided by its L2 norm, and the norms; zero rows stay zero (not NaN).

    Works block by block, so a memory-mapped matrix is read once and the only large array
    allocated is the result (gensim's ``vectors / norms`` makes a full-size temporary).

    Shape: ``(V, D)`` -> ``(V, D)`` unit rows (float32, or float64 for float64 input), ``(V,)``.
    """
    dtype = float_dtype(vectors.dtype)
    normed = np.empty(vectors.shape, dtype)
    norms = np.empty(vectors.shape[0], dtype)
    for start in range(0, vectors.shape[0], _NORM_BLOCK_ROWS):
        stop = start + _NORM_BLOCK_ROWS
        block = np.asarray(vectors[start:stop], dtype=dtype)
        # sqrt of each row's dot with itself: 4x faster than np.linalg.norm(axis=1), which
        # squares the block into a temporary first; the same precision (~2e-7 relative).
        block_norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        norms[start:stop] = block_norms
        # A zero row has no direction: leave it zero so that its similarity to anything is 0.
        safe = np.where(block_norms > 0, block_norms, 1).astype(dtype)
        np.divide(block, safe[:, None], out=normed[start:stop])
    normed.setflags(write=False)  # shared by every query: nobody may write into it
    norms.setflags(write=False)
    return normed, norms


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector / |vector|`` in the vector's float dtype; a zero vector stays zero.

    Shape: ``(D,)`` -> ``(D,)``.
    """
    vector = np.asarray(vector, dtype=float_dtype(np.asarray(vector).dtype))
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector.copy()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine of the angle between two vectors (0 when either is zero), in [-1, 1].

    Computed in float64 as ``a·b / sqrt((a·a)(b·b))``: for ``b == a`` that is ``x / sqrt(x*x)``
    with ``x = a·a``, exactly 1 (a correctly rounded square root of a rounded square gives the
    number back), so a key's distance to itself is exactly 0. Normalising each vector first
    (gensim's way, in float32) leaves ``|u|²`` a few ulps off 1 (distance 6e-8).

    >>> cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    0.7071067811865475
    >>> v = np.array([0.1, 0.7, -0.3], np.float32)
    >>> cosine(v, v)
    1.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if not denominator > 0:  # a zero vector (or a NaN) has no direction
        return 0.0
    return float(np.clip(np.dot(a, b) / denominator, -1.0, 1.0))


def weighted_mean(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i w_i * row_i / sum_i |w_i|`` (gensim's mean of positive and negative terms).

    Shape: rows ``(n, D)``, weights ``(n,)`` -> ``(D,)``, in float64.
    """
    weights = np.asarray(weights, dtype=np.float64)
    total = float(np.abs(weights).sum())
    mean = weights @ np.asarray(rows, dtype=np.float64)
    return mean / total if total > 0 else mean


def top_k(scores: np.ndarray, k: int, exclude: Collection[int] = ()) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first, leaving out the indices in ``exclude``.

    ``np.argpartition`` finds the top ``k + len(exclude)`` in O(V); only those are sorted. Ties
    go to the lower index (gensim's order among equal scores is arbitrary).

    Shape: ``(V,)`` -> ``(min(k, V - excluded),)`` int64.
    """
    n = scores.shape[0]
    want = min(k + len(exclude), n)
    if want <= 0:
        return np.empty(0, np.int64)
    if want < n:
        candidates = np.argpartition(-scores, want - 1)[:want]
    else:
        candidates = np.arange(n)
    # lexsort's last key is the primary one: score descending, then index ascending.
    order = candidates[np.lexsort((candidates, -scores[candidates]))]
    if exclude:
        order = order[~np.isin(order, np.fromiter(exclude, np.int64))]
    return order[:k]


def batch_top_k(
    normed: np.ndarray, queries: np.ndarray, k: int, exclude: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``normed`` most similar to each query, for many queries at once.

    The score matrix ``queries @ normed.T`` would not fit in memory for large inputs (20k
    analogy questions x 300k words = 24 GB), so it is computed in blocks of rows and queries;
    each block's best ``k`` are merged into a running best ``k`` per query. ``exclude[q]`` lists
    rows that may not be returned for query ``q`` (its input words).

    Shape: normed ``(V, D)`` unit rows, queries ``(Q, D)`` -> indices and scores, each
    ``(Q, min(k, V))``, best first; a row with fewer than ``k`` allowed answers is padded with
    index -1 and score -inf.
    """
    n_rows = normed.shape[0]
    n_queries = queries.shape[0]
    k = min(k, n_rows)
    best_idx = np.full((n_queries, k), -1, np.int64)
    best_val = np.full((n_queries, k), -np.inf, normed.dtype)
    if k == 0 or n_queries == 0:
        return best_idx, best_val
    queries = np.asarray(queries, dtype=normed.dtype)
    # Excluded rows as a padded (Q, E) array, -1 for padding, so a block masks them at once.
    width = max((len(e) for e in exclude), default=0)
    excl = np.full((n_queries, max(width, 1)), -1, np.int64)
    for q, rows in enumerate(exclude):
        excl[q, : len(rows)] = list(rows)

    rows_per_block = min(n_rows, max(k, _ROWS_PER_BLOCK))
    queries_per_block = max(1, _SCORE_BLOCK // rows_per_block)
    for q0 in range(0, n_queries, queries_per_block):
        q1 = min(q0 + queries_per_block, n_queries)
        for r0 in range(0, n_rows, rows_per_block):
            r1 = min(r0 + rows_per_block, n_rows)
            scores = queries[q0:q1] @ normed[r0:r1].T  # (q, r)
            hit_q, hit_e = np.nonzero((excl[q0:q1] >= r0) & (excl[q0:q1] < r1))
            scores[hit_q, excl[q0 + hit_q, hit_e] - r0] = -np.inf
            # This block's best k per query, then merged with the best k so far.
            if scores.shape[1] > k:
                part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
                block_val = np.take_along_axis(scores, part, axis=1)
                block_idx = part + r0
            else:
                block_val = scores
                block_idx = np.broadcast_to(np.arange(r0, r1), scores.shape)
            cand_val = np.concatenate([best_val[q0:q1], block_val], axis=1)
            cand_idx = np.concatenate([best_idx[q0:q1], block_idx], axis=1)
            part = np.argpartition(-cand_val, k - 1, axis=1)[:, :k]
            cand_idx = np.take_along_axis(cand_idx, part, axis=1)
            cand_val = np.take_along_axis(cand_val, part, axis=1)
            best_idx[q0:q1], best_val[q0:q1] = cand_idx, cand_val
    # Sort each query's k: score descending, then index ascending (as top_k).
    order = np.lexsort((best_idx, -best_val), axis=-1)
    best_idx = np.take_along_axis(best_idx, order, axis=1)
    best_val = np.take_along_axis(best_val, order, axis=1)
    best_idx[np.isneginf(best_val)] = -1
    return best_idx, best_val
