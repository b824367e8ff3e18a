"""A matrix that grows row block by row block without a second copy of itself.

Collecting blocks and concatenating them at the end needs twice the final memory at the peak.
Here one array is grown in place with ``ndarray.resize`` (``realloc``: for large blocks glibc
moves pages with ``mremap`` instead of copying) and shrunk to the rows actually filled at the
end, so the peak stays near the final size (the growth step, 1.25x, bounds the slack).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

_GROWTH = 1.25


class GrowingRows:
    """Rows of a ``(n, dim)`` matrix appended block by block.

    Args:
        dim: columns.
        dtype: the matrix dtype.
        capacity: rows to allocate up front (the header's count, or an estimate).
    """

    def __init__(self, dim: int, dtype: DTypeLike, capacity: int) -> None:
        self.dim = dim
        self.n = 0
        self._data = np.empty((max(int(capacity), 1), dim), dtype=dtype)

    def _reserve(self, rows: int) -> None:
        if rows > self._data.shape[0]:
            new = max(rows, int(self._data.shape[0] * _GROWTH) + 1)
            # No views of _data exist outside this class, so skipping the reference check
            # is safe; the new rows are zero-filled by NumPy.
            self._data.resize((new, self.dim), refcheck=False)

    def append(self, block: np.ndarray) -> None:
        """Copy ``block`` (``(k, dim)``, any float dtype) after the rows so far."""
        k = block.shape[0]
        self._reserve(self.n + k)
        self._data[self.n : self.n + k] = block
        self.n += k

    def spare(self, most: int) -> np.ndarray:
        """Up to ``most`` allocated rows after the filled ones (none when full), for a reader to
        write into in place; :meth:`commit` then counts them. The view must be dropped before
        the next :meth:`append`, which may move the matrix."""
        return self._data[self.n : self.n + most]

    def commit(self, k: int) -> None:
        """Count ``k`` rows written into :meth:`spare` as filled."""
        self.n += k

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (increasing indices), moved to the front in place, a block at a
        time (no full-size temporary): a row never moves backward past one not yet read."""
        step = 4096
        for start in range(0, len(rows), step):
            src = rows[start : start + step]
            self._data[start : start + len(src)] = self._data[src]
        self.n = len(rows)

    def finish(self) -> np.ndarray:
        """The ``(n, dim)`` matrix, trimmed in place to the rows filled."""
        if self._data.shape[0] != self.n:
            self._data.resize((self.n, self.dim), refcheck=False)
        out, self._data = self._data, np.empty((0, self.dim), self._data.dtype)
        return out
