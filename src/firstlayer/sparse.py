"""Row-sparse tensors: the gradient of an ``Embedding(sparse=True)``.

A batch touches a few rows of a large table, so its gradient is stored as the ids of the rows
(``(nnz,)``) and one value row per id (``(nnz, D)``), like torch's sparse COO gradient with one
sparse dimension. Like torch, it is not coalesced when made (an id may repeat; the rows add up);
``coalesce()`` sums the duplicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _backend
from ._dtype import dtype, from_numpy_dtype


class RowSparseTensor:
    """A ``(num_rows, *row_shape)`` tensor whose non-zero rows are ``values`` at ``rows``.

    Shape: ``rows`` ``(nnz,)`` int64, ``values`` ``(nnz, *row_shape)``.

    >>> g = RowSparseTensor(np.array([2, 0, 2]), np.ones((3, 2), np.float32), (4, 2))
    >>> g.coalesce().to_dense().tolist()
    [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]
    """

    is_sparse = True
    layout = "torch.sparse_coo"

    def __init__(
        self, rows: np.ndarray, values: np.ndarray, shape: tuple[int, ...], coalesced: bool = False
    ) -> None:
        self.rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        self._values_arr = np.asarray(values)
        self._shape = tuple(shape)
        self._coalesced = coalesced

    # --- what torch's sparse tensors offer -------------------------------------------------
    @property
    def shape(self) -> Any:
        from .tensor import Size

        return Size(self._shape)

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self._shape[dim]

    def dim(self) -> int:
        return len(self._shape)

    @property
    def dtype(self) -> dtype:
        return from_numpy_dtype(self._values_arr.dtype)

    @property
    def requires_grad(self) -> bool:
        return False

    def _nnz(self) -> int:
        return int(self.rows.shape[0])

    def is_coalesced(self) -> bool:
        return self._coalesced

    def coalesce(self) -> RowSparseTensor:
        """Sorted unique rows, duplicates summed."""
        if self._coalesced:
            return self
        # (nnz, row size) spelled out: with nnz = 0 a -1 could not be inferred.
        flat = self._values_arr.reshape(self.rows.shape[0], int(np.prod(self._shape[1:])))
        # the table's row count lets segment_sum mark the rows instead of sorting them
        rows, vals = _backend.segment_sum(self.rows, flat, num_rows=self._shape[0])
        return RowSparseTensor(rows, vals.reshape((-1,) + self._shape[1:]), self._shape, True)

    def _indices(self) -> Any:
        from .tensor import Tensor

        return Tensor._wrap(self.rows.reshape(1, -1))

    def _values(self) -> Any:
        from .tensor import Tensor

        return Tensor._wrap(self._values_arr)

    def indices(self) -> Any:
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get indices on an uncoalesced tensor, please call .coalesce() first"
            )
        return self._indices()

    def values(self) -> Any:
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get values on an uncoalesced tensor, please call .coalesce() first"
            )
        return self._values()

    def to_dense(self) -> Any:
        from .tensor import Tensor

        return Tensor._wrap(self.add_to_dense(np.zeros(self._shape, self._values_arr.dtype)))

    # --- used by autograd and the optimizers ------------------------------------------------
    def add_to_dense(self, dense: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        """``dense += alpha * self`` in place (duplicates add up); returns ``dense``."""
        c = self.coalesce()  # distinct rows: out[rows] += values is then the sum
        return _backend.add_rows_(dense, c.rows, c._values_arr, alpha)

    def concat(self, other: RowSparseTensor) -> RowSparseTensor:
        """``self + other`` without coalescing (torch's sparse + sparse)."""
        if other._shape != self._shape:
            raise RuntimeError(f"sparse gradients of shapes {self._shape} and {other._shape}")
        return RowSparseTensor(
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self._values_arr, other._values_arr.astype(self._values_arr.dtype)]),
            self._shape,
        )

    def zero_(self) -> RowSparseTensor:
        """Drop every row, in place, as torch's sparse ``zero_()`` (no entries left; the next
        backward adds its rows to this empty gradient)."""
        self.rows = self.rows[:0]
        self._values_arr = self._values_arr[:0]
        self._coalesced = True
        return self

    def astype(self, np_dtype: Any) -> RowSparseTensor:
        return RowSparseTensor(
            self.rows, self._values_arr.astype(np_dtype, copy=False), self._shape, self._coalesced
        )

    def __add__(self, other: Any) -> Any:
        from .tensor import Tensor

        if isinstance(other, RowSparseTensor):
            return self.concat(other)
        if isinstance(other, Tensor):
            return Tensor._wrap(self.add_to_dense(other._data.copy()))
        return NotImplemented

    __radd__ = __add__

    def __mul__(self, scalar: float) -> RowSparseTensor:
        return RowSparseTensor(self.rows, self._values_arr * scalar, self._shape, self._coalesced)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        from ._printing import sparse_coo_repr

        return sparse_coo_repr(self.rows.reshape(1, -1), self._values_arr, self._shape)
