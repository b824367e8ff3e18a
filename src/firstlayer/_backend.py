"""The few array primitives the ops rely on, in one place.

Ops call these instead of NumPy/SciPy directly for the hot paths, so another array backend
(CuPy, say) can be slotted in here without touching the ops. Measured on 2-core machines
(figures in ``BENCHMARKS.md``, script in ``bench/bench_core.py``):

* ``np.take`` into a fresh buffer is a little faster than torch's embedding forward on one
  thread, and twice as fast with the ids split between two threads (NumPy releases the GIL
  while it copies).
* The scatter-add written as a sparse one-hot matrix product (the seed's "Embedding is a Linear
  on one-hot vectors", made literal) matches torch's backward, where ``np.add.at`` is 6-10x
  slower.
* Coalescing ids of a table by marking them in a ``(num_rows,)`` array is ~15x faster than
  sorting them with ``np.unique``.
* ``p -= lr * g`` allocates a temporary as large as ``p``; doing it in cache-sized pieces does not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

xp = np  # the array module; a GPU backend would swap this


# --- threads ---------------------------------------------------------------------------------
# NumPy's copies (take, ufuncs) release the GIL, so splitting a large one into contiguous pieces
# run by a few threads uses more than one core. Gathers and updates are bound by memory
# bandwidth, so a few threads get all there is to get.

def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_num_threads = min(_available_cores(), 8)
_pool: ThreadPoolExecutor | None = None

# Below this many elements a piece of work stays in one thread: handing a piece to a thread
# costs ~10-40 us, what copying ~1M floats saves.
_PARALLEL_MIN_ELEMENTS = 1 << 20


def get_num_threads() -> int:
    """How many threads the hot paths split large copies over (default: the cores, at most 8)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (>= 1) for large gathers and updates; ``1`` turns threading off."""
    global _num_threads, _pool
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    _num_threads = int(n)
    if _pool is not None:
        _pool.shutdown(wait=False)
        _pool = None


def _forget_pool() -> None:
    # A forked child has none of the parent's threads: it makes its own pool on first use.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _parallel_ranges(fn: Callable[[int, int], None], n: int, work: int) -> None:
    """Call ``fn(start, stop)`` on contiguous pieces covering ``range(n)``, one per thread.

    ``work`` is the number of elements the whole job touches; small jobs run in the caller's
    thread alone. ``fn`` must write disjoint memory for disjoint pieces.
    """
    threads = min(_num_threads, n, max(1, work // _PARALLEL_MIN_ELEMENTS))
    if threads <= 1:
        fn(0, n)
        return
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_num_threads - 1, thread_name_prefix="firstlayer")
    bounds = [n * i // threads for i in range(threads + 1)]
    futures = [_pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    fn(bounds[0], bounds[1])  # the caller's thread does the first piece
    for f in futures:
        f.result()  # waits, and re-raises an error from the worker


# --- gather and scatter ----------------------------------------------------------------------

def gather_rows(weight: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``weight[ids]`` for ids already checked to be in range: shape ``ids.shape + (D,)``.

    A fresh array each call (the caller hands it to the user, who may keep it).
    """
    out = np.empty(ids.shape + weight.shape[1:], dtype=weight.dtype)
    flat_ids = ids.reshape(-1)
    flat_out = out.reshape(flat_ids.shape + weight.shape[1:])  # a view: out is contiguous

    def take(start: int, stop: int) -> None:
        # mode="clip" skips NumPy's own bounds check (the caller has done it, once).
        np.take(weight, flat_ids[start:stop], axis=0, out=flat_out[start:stop], mode="clip")

    _parallel_ranges(take, flat_ids.shape[0], out.size)
    return out


def _one_hot_t(rows: np.ndarray, num_rows: int, scale: np.ndarray | None, dtype: np.dtype):
    """The transposed one-hot matrix ``(num_rows, N)`` of ``rows`` (CSC), entries ``scale``."""
    n = rows.shape[0]
    data = np.ones(n, dtype=dtype) if scale is None else scale.astype(dtype, copy=False)
    # The one-hot matrix (N, num_rows) has one entry per row, so its transpose, in CSC form, has
    # one entry per column j, at row rows[j]: indptr is 0, 1, ..., N. Times the gradient (N, D)
    # it sums the gradient rows of each id. Index arrays are made int32 where they fit: SciPy
    # would otherwise scan and convert int64 ones itself (2 ms of the 2.3 ms build at N=400k).
    index = np.int32 if max(n, num_rows) < np.iinfo(np.int32).max else np.int64
    indptr = np.arange(n + 1, dtype=index)
    return _sparse().csc_matrix((data, rows.astype(index, copy=False), indptr),
                                shape=(num_rows, n))


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


def unique_rows(rows: np.ndarray, num_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, return_inverse=True)`` for 1-D int ``rows``: ``(uniq, inverse)``.

    When every row is in ``[0, num_rows)`` and ``num_rows`` is not much larger than the number
    of rows, marks them in a ``(num_rows,)`` array instead of sorting them: O(N + num_rows)
    rather than O(N log N), ~1 ms instead of ~14 ms for 400k ids of a 100k-row table.
    """
    n = rows.shape[0]
    if num_rows is None or n == 0 or num_rows > 16 * n or rows.min() < 0 or rows.max() >= num_rows:
        uniq, inverse = np.unique(rows, return_inverse=True)
        return uniq, inverse.reshape(-1)
    seen = np.zeros(num_rows, dtype=bool)
    seen[rows] = True
    uniq = np.flatnonzero(seen)  # sorted, as np.unique's
    position = np.cumsum(seen, dtype=np.intp) - 1  # row r is the position[r]-th unique row
    return uniq.astype(rows.dtype, copy=False), position[rows]


def segment_sum(
    rows: np.ndarray,
    values: np.ndarray,
    scale: np.ndarray | None = None,
    num_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Coalesce row-sparse data: the sorted unique ``rows`` and the summed values of each.

    ``rows`` ``(N,)``, ``values`` ``(N, D)`` -> ``(U,)`` and ``(U, D)``. ``num_rows``, the size
    of the table the rows index (if known), lets ``unique_rows`` skip sorting.
    """
    uniq, inverse = unique_rows(rows, num_rows)
    return uniq, scatter_add_rows(inverse, values, uniq.shape[0], scale)


def add_scaled_(out: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """``out += alpha * x`` in place; returns ``out``. Same rounding as that expression.

    Works through the arrays in cache-sized pieces (threads share the pieces of large arrays),
    so no temporary as large as ``out`` is made: that allocation cost more than the arithmetic.
    """
    if not out.flags.c_contiguous or x.shape != out.shape:
        out += alpha * x  # a strided view or a broadcast: the plain expression
        return out
    flat_out = out.reshape(-1)  # a view: out is contiguous
    flat_x = np.ascontiguousarray(x).reshape(-1)
    piece = 1 << 16  # elements: 256 KiB of float32, two of them fit in L2

    def update(start: int, stop: int) -> None:
        # the dtype of ``alpha * x``, so that the rounding is that of the expression
        tmp = np.empty(min(piece, stop - start), dtype=np.result_type(x, alpha))
        for i in range(start, stop, piece):
            j = min(i + piece, stop)
            scaled = np.multiply(flat_x[i:j], alpha, out=tmp[: j - i])
            np.add(flat_out[i:j], scaled, out=flat_out[i:j], casting="same_kind")

    _parallel_ranges(update, flat_out.shape[0], flat_out.shape[0])
    return out


def add_rows_(
    out: np.ndarray, rows: np.ndarray, values: np.ndarray, alpha: float = 1.0
) -> np.ndarray:
    """``out[rows] += alpha * values`` in place, for distinct ``rows``; returns ``out``.

    ``rows`` ``(U,)``, ``values`` ``(U, *row_shape)``, ``out`` ``(num_rows, *row_shape)``. Same
    rounding as the expression, but done a few hundred rows at a time: the expression makes
    two temporaries as large as ``values`` (``alpha * values`` and ``out[rows]``), and their
    fresh pages cost more than the arithmetic (a sparse SGD step of 41k rows x 128: 18 ms -> 7 ms).
    """
    n = rows.shape[0]
    if n == 0:
        return out
    piece = max(1, (1 << 16) // max(1, values[0].size))  # rows: ~256 KiB of float32 a piece
    scaled = np.empty((min(piece, n),) + values.shape[1:], np.result_type(values, alpha))
    gathered = np.empty((min(piece, n),) + out.shape[1:], out.dtype)
    for i in range(0, n, piece):
        j = min(i + piece, n)
        part = values[i:j]
        if alpha != 1.0:
            part = np.multiply(part, alpha, out=scaled[: j - i])
        got = np.take(out, rows[i:j], axis=0, out=gathered[: j - i])
        np.add(got, part, out=got, casting="same_kind")
        out[rows[i:j]] = got
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """BLAS matrix product (NumPy's ``@``; broadcasting batch dims)."""
    return np.matmul(a, b)


# --- sparse matrix products: EmbeddingBag's bags as rows of a sparse (bags x table) matrix ----

# Ops that split their own NumPy work between the threads (EmbeddingBag's max) call this.
parallel_ranges = _parallel_ranges

def _sparse() -> Any:
    """``scipy.sparse``, imported on first use: it is ~0.1 s that ``import firstlayer`` (and a
    script that never builds a sparse product) would otherwise pay."""
    import scipy.sparse

    return scipy.sparse


def _matvecs() -> Any:
    """SciPy's C++ kernel behind ``csr_matrix @ dense``, called directly so that each thread runs
    it on its own range of rows, writing into its own rows of one output array (it releases the
    GIL). ``y += A @ x`` with A in CSR form; x and y flat and C-ordered. None where a SciPy moved
    it: then the public product runs, on one thread."""
    try:
        from scipy.sparse._sparsetools import csr_matvecs
    except ImportError:  # pragma: no cover
        return None
    return csr_matvecs


def csr_matmul(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dense: np.ndarray
) -> np.ndarray:
    """``A @ dense`` for the sparse ``(R, K)`` matrix ``A`` given in CSR form: ``(R, D)``.

    Row ``r`` of ``A`` has the entries ``data[indptr[r]:indptr[r + 1]]`` in the columns
    ``indices[indptr[r]:indptr[r + 1]]`` (a column may repeat: its entries add up); ``dense`` is
    ``(K, D)``. Each output row is summed in entry order, by one thread, so the result is the
    same on any number of threads; the rows are split so that each thread gets about as many
    entries. Float16 is computed in float32.
    """
    n_rows = indptr.shape[0] - 1
    dtype = dense.dtype
    compute = dtype if dtype != np.float16 else np.dtype(np.float32)
    dense = np.ascontiguousarray(dense, dtype=compute)
    n_cols, width = dense.shape
    nnz = int(indptr[-1])
    if n_rows == 0 or width == 0 or nnz == 0:
        return np.zeros((n_rows, width), dtype=dtype)
    # SciPy wants one index dtype: keep that of ``indices`` (converting nnz ids costs ~1 ms per
    # million), unless int32 can't hold the sizes
    fits32 = max(nnz, n_cols, n_rows) < np.iinfo(np.int32).max
    index = np.int32 if indices.dtype == np.int32 and fits32 else np.int64
    indptr = indptr.astype(index, copy=False)
    indices = indices.astype(index, copy=False)
    data = data.astype(compute, copy=False)
    matvecs = _matvecs()
    if matvecs is None:  # pragma: no cover
        product = _sparse().csr_matrix((data, indices, indptr), shape=(n_rows, n_cols)) @ dense
        return np.asarray(product, dtype=dtype)
    # The kernel adds into ``out``, so it starts at zero. A fresh array's pages are only mapped
    # (and zeroed by the OS) when first written: writing the zeros in pieces, one per thread,
    # shares that cost (np.zeros would leave it all to whichever thread touches a page first;
    # for a 100k x 128 gradient that was 7 of the 23 ms of Aᵀ @ g).
    out = np.empty((n_rows, width), dtype=compute)

    def zero(start: int, stop: int) -> None:
        out[start:stop] = 0

    _parallel_ranges(zero, n_rows, out.size)
    flat_dense = dense.reshape(-1)
    pieces = max(1, _num_threads)
    # row boundaries giving each piece about nnz / pieces entries (bags and ids are skewed)
    bounds = np.searchsorted(indptr, nnz * np.arange(pieces + 1) // pieces)
    bounds[0], bounds[-1] = 0, n_rows

    def rows(first: int, last: int) -> None:
        for p in range(first, last):
            start, stop = int(bounds[p]), int(bounds[p + 1])
            if stop > start:
                matvecs(stop - start, n_cols, width, indptr[start : stop + 1], indices,
                             data, flat_dense, out[start:stop].reshape(-1))

    _parallel_ranges(rows, pieces, nnz * width)
    return out.astype(dtype, copy=False)


def csr_t_matmul(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_cols: int, dense: np.ndarray
) -> np.ndarray:
    """``Aᵀ @ dense`` for the same CSR matrix ``A`` ``(R, n_cols)`` and ``dense`` ``(R, D)``:
    shape ``(n_cols, D)``.

    ``Aᵀ`` is built first in CSR form (SciPy's counting sort, O(nnz + n_cols), a few ms for 400k
    entries) so that the product writes each output row once, from one thread, instead of
    scattering into rows that several threads could share.
    """
    n_rows = indptr.shape[0] - 1
    index = np.int32 if max(int(indptr[-1]), n_cols, n_rows) < np.iinfo(np.int32).max else np.int64
    if data.dtype == np.float16:
        data = data.astype(np.float32)  # SciPy's sparse matrices have no float16
    a = _sparse().csr_matrix(
        (data, indices.astype(index, copy=False), indptr.astype(index, copy=False)),
        shape=(n_rows, n_cols),
    )
    at = a.tocsc()  # the CSC form of A is the CSR form of Aᵀ: same three arrays
    return csr_matmul(at.indptr, at.indices, at.data, dense)
