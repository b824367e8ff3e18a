"""The few array primitives the ops rely on, in one place.

Ops call these instead of NumPy/SciPy directly for the hot paths, so another array backend
(CuPy, say) can be slotted in here without touching the ops. Measured on 2-core machines:
``np.take`` into a buffer beats torch's embedding forward, and the scatter-add written as a
sparse one-hot matrix product (the seed's "Embedding is a Linear on one-hot vectors", made
literal) matches torch's backward, where ``np.add.at`` is 6-10x slower.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

xp = np  # the array module; a GPU backend would swap this


def gather_rows(weight: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``weight[ids]`` for ids already checked to be in range: shape ``ids.shape + (D,)``."""
    out = np.empty(ids.shape + weight.shape[1:], dtype=weight.dtype)
    # mode="clip" skips NumPy's own bounds check (the caller has done it, once).
    np.take(weight, ids, axis=0, out=out, mode="clip")
    return out


def _one_hot_t(rows: np.ndarray, num_rows: int, scale: np.ndarray | None, dtype: np.dtype):
    """The transposed one-hot matrix ``(num_rows, N)`` of ``rows`` as CSC/CSR, entries ``scale``."""
    n = rows.shape[0]
    data = np.ones(n, dtype=dtype) if scale is None else scale.astype(dtype, copy=False)
    # CSR of shape (N, num_rows) with one entry per row is the one-hot matrix; its transpose
    # (a free CSC view) times the gradient sums the gradient rows of each id.
    onehot = sp.csr_matrix((data, rows, np.arange(n + 1)), shape=(n, num_rows))
    return onehot.T


def scatter_add_rows(
    rows: np.ndarray, values: np.ndarray, num_rows: int, scale: np.ndarray | None = None
) -> np.ndarray:
    """Dense ``out[num_rows, D]`` with ``out[rows[i]] += scale[i] * values[i]`` (duplicates add).

    ``rows`` is 1-D int, ``values`` is ``(N, D)``; ``scale`` (optional, ``(N,)``) weights each row.
    """
    values = np.ascontiguousarray(values)
    compute = values.dtype if values.dtype != np.float16 else np.dtype(np.float32)
    if rows.shape[0] == 0 or values.shape[1] == 0:
        return np.zeros((num_rows,) + values.shape[1:], dtype=values.dtype)
    out = _one_hot_t(rows, num_rows, scale, compute) @ values.astype(compute, copy=False)
    return np.asarray(out, dtype=values.dtype)


def segment_sum(
    rows: np.ndarray, values: np.ndarray, scale: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Coalesce row-sparse data: the sorted unique ``rows`` and the summed values of each."""
    uniq, inverse = np.unique(rows, return_inverse=True)
    return uniq, scatter_add_rows(inverse.reshape(-1), values, uniq.shape[0], scale)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """BLAS matrix product (NumPy's ``@``; broadcasting batch dims)."""
    return np.matmul(a, b)
