"""Raw ids -> table rows, given out in order of first appearance: ``IdMap``.

Recommendation and ads models see ids from a huge space (hashed 64-bit features, user and item
numbers up to 10^9 and more) of which a run uses a small, skewed part. Using the raw id as the
row needs a table as large as the id space, and puts the rows a batch touches far apart:
hashed ids scatter the few hot rows over the whole table, one per page. On a table larger than
memory (``from_file(..., shared=True)``) every row written then dirties its own 4 KiB page,
which the OS must write back to disk: the disk, not the arithmetic, sets the pace.

An ``IdMap`` gives each new raw id the next free row (0, 1, 2, ... in order of first
appearance), as TorchRec's managed-collision modules and the "dynamic embedding" tables of
TFRA and DeepRec do. The rows in use are then packed at the start of the table, 16 rows of 64
float32 to a page: the hot ids (Zipf-distributed ids appear early) share a few pages that stay
in memory, and new ids fill new pages one after another. See ``BENCHMARKS.md`` (tables on
disk) for what this changes on a 34 GB table.

The map itself is the ids by row plus an open-addressing hash table of rows (linear probing,
a quarter to half full), two NumPy arrays searched a whole batch at a time: 16-32 bytes of
memory per id in use, against the row's own 256 bytes (64 float32) that live in the file.

>>> m = IdMap(capacity=1000)
>>> m(tensor([900913, 7, 900913, 2**40]))
tensor([0, 1, 0, 2])
>>> m.lookup(tensor([7, 5]), default=-1)
tensor([ 1, -1])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._atomic import atomic_write
from ._errors import ValueRuntimeError
from .tensor import Tensor, tensor

__all__ = ["IdMap"]

_EMPTY = -1  # a free slot of the hash table (rows are >= 0)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads nearby ids over the table
_MIN_BITS = 10


class IdMapFullError(ValueRuntimeError):
    """More distinct ids than the map's capacity (the table's rows)."""


def _as_ids(ids: Any) -> np.ndarray:
    """int64 array of the ids given (a Tensor, an array, a sequence or one int)."""
    arr = ids.numpy() if isinstance(ids, Tensor) else np.asarray(ids)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and arr.size == 0):
        raise TypeError(
            f"IdMap: ids must be integers, got {arr.dtype} (e.g. {arr.ravel()[:1].tolist()});"
            f" use a Vocab for strings"
        )
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        # uint64 hashes: keep their 64 bits, as int64 (the map only compares them)
        return arr.astype(np.uint64).view(np.int64)
    return arr.astype(np.int64, copy=False)


class IdMap:
    """Gives each new raw id the next free row; the same id always gets the same row.

    Args:
        capacity: the number of rows of the table the rows index (``num_embeddings``). A call
            that would need more rows raises ``IdMapFullError`` and changes nothing.

    Calling the map with ids inserts the new ones; ``lookup`` only reads. Both keep the ids'
    shape and return int64 rows, ready for ``Embedding``/``EmbeddingBag``. Rows for special
    ids (padding, unknown) are reserved by mapping those first: ``m([PAD])`` gives ``PAD`` row
    0, to pass as ``padding_idx=0``. ``save``/``load`` keep the map beside its table.

    Shape:
        - ids: any shape, any integer dtype (uint64 hashes keep their 64 bits).
        - output: the same shape, int64 in ``[0, capacity)``.

    >>> m = IdMap(capacity=4)
    >>> m([[10, 20], [20, 30]])
    tensor([[0, 1],
            [1, 2]])
    >>> len(m), m.keys()
    (3, tensor([10, 20, 30]))
    """

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)):
            raise TypeError(f"IdMap: capacity must be an int, got {type(capacity).__name__}")
        if capacity < 0:
            raise ValueError(f"IdMap: capacity must be >= 0, got {capacity}")
        self.capacity = int(capacity)
        self._keys = np.empty(1, np.int64)  # row -> raw id: the map's content (grown)
        self._n = 0
        self._rebuild(_MIN_BITS)

    # -- the hash table ------------------------------------------------------------------------

    def _rebuild(self, bits: int) -> None:
        """A table of 2^bits slots holding every id so far (grown at half full)."""
        self._bits = bits
        self._slot_row = np.full(1 << bits, _EMPTY, np.int32 if self.capacity < 2**31 else np.int64)
        if self._n:  # distinct ids, none in the new table yet: place them all
            _, pos = self._probe(self._keys[: self._n])
            self._place(np.arange(self._n, dtype=np.int64), pos)

    def _home(self, ids: np.ndarray) -> np.ndarray:
        return (ids.view(np.uint64) * _GOLDEN >> np.uint64(64 - self._bits)).astype(np.int64)

    def _probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each id: whether it is in the table, and its slot (or the first free slot).

        Linear probing for a whole batch at once: each round looks at one more slot for every
        id still searching (most ids stop in the first round, taken whole), and drops those
        that found their id or a free slot.
        """
        mask = (1 << self._bits) - 1
        pos = self._home(ids)
        row = self._slot_row[pos]  # a slot holds a row; the row's id is in _keys
        occupied = row != _EMPTY
        found = occupied & (self._keys[row] == ids)
        todo = np.flatnonzero(occupied & ~found)
        while todo.size:
            p = (pos[todo] + 1) & mask
            pos[todo] = p
            row = self._slot_row[p]
            occupied = row != _EMPTY
            hit = occupied & (self._keys[row] == ids[todo])
            found[todo[hit]] = True
            todo = todo[occupied & ~hit]
        return found, pos

    def _place(self, rows: np.ndarray, pos: np.ndarray) -> None:
        """Put the rows of distinct new ids (already in ``_keys``) into free slots, ``pos``
        being where each id's probe stopped.

        Two new ids may have stopped at the same free slot: one of them takes it (the row
        written last, read back) and the others probe on from there, round after round.
        """
        mask = (1 << self._bits) - 1
        while rows.size:
            free = self._slot_row[pos] == _EMPTY
            self._slot_row[pos[free]] = rows[free]
            take = free & (self._slot_row[pos] == rows)
            rows, pos = rows[~take], (pos[~take] + 1) & mask

    # -- public ---------------------------------------------------------------------------------

    def __call__(self, ids: Any) -> Tensor:
        """Rows of ``ids``, giving new ids the next free rows in order of first appearance."""
        arr = _as_ids(ids)
        flat = arr.ravel()
        found, pos = self._probe(flat)
        rows = self._slot_row[pos].astype(np.int64)
        if not found.all():
            miss = np.flatnonzero(~found)
            rows[miss] = self._insert(flat, miss, pos)
        return tensor(rows.reshape(arr.shape))

    def _insert(self, flat: np.ndarray, miss: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Give the ids at ``miss`` (not in the map) new rows; return those rows."""
        new, first, inverse = np.unique(flat[miss], return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # rows in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        new, first = new[order], miss[first[order]]
        n = self._n + new.size
        if n > self.capacity:
            raise IdMapFullError(
                f"IdMap is full: {new.size} new ids (the first, {int(flat[first[0]])}, at "
                f"position {int(first[0])}) would need {n} rows, capacity {self.capacity}. Make "
                f"the table and the map larger, or map unknown ids with lookup(ids, default=...)"
            )
        if n > self._keys.size:  # grow the list of ids by doubling, as a list does
            keys = np.empty(min(max(2 * self._keys.size, n, 1024), self.capacity), np.int64)
            keys[: self._n] = self._keys[: self._n]
            self._keys = keys
        self._keys[self._n : n] = new
        rows = np.arange(self._n, n, dtype=np.int64)
        self._n = n
        if 2 * n > self._slot_row.size:
            self._rebuild(max(_MIN_BITS, (2 * n - 1).bit_length()))
        else:
            self._place(rows, pos[first])
        return rows[rank[inverse.ravel()]]

    def lookup(self, ids: Any, default: int | None = None) -> Tensor:
        """Rows of ``ids`` without adding any: unknown ids get ``default``, or raise KeyError.

        >>> m = IdMap(10); _ = m([5, 6])
        >>> m.lookup([6, 5])
        tensor([1, 0])
        """
        arr = _as_ids(ids)
        flat = arr.ravel()
        found, pos = self._probe(flat)
        rows = self._slot_row[pos].astype(np.int64)
        if not found.all():
            if default is None:
                i = int(np.flatnonzero(~found)[0])
                where = np.unravel_index(i, arr.shape) if arr.ndim > 1 else (i,)
                raise KeyError(
                    f"IdMap.lookup: id {int(flat[i])} (at position {tuple(map(int, where))}) was "
                    f"never mapped; {(~found).sum()} of {flat.size} ids are unknown. Pass "
                    f"default= (e.g. a row kept for unknown ids) or call the map to add them"
                )
            rows[~found] = default
        return tensor(rows.reshape(arr.shape))

    def __len__(self) -> int:
        return self._n

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, (int, np.integer)) or isinstance(id, bool):
            return False
        return bool(self._probe(_as_ids([id]))[0][0])

    def keys(self) -> Tensor:
        """The raw ids by row: ``keys()[r]`` is the id that row ``r`` belongs to."""
        return tensor(self._keys[: self._n].copy())

    def __repr__(self) -> str:
        return f"IdMap({self._n} ids, capacity={self.capacity})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdMap):
            return NotImplemented
        return self.capacity == other.capacity and np.array_equal(
            self._keys[: self._n], other._keys[: other._n]
        )

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the ids by row and the capacity to ``path`` (a ``.npz``), atomically."""
        with atomic_write(path, "wb") as f:
            np.savez(f, keys=self._keys[: self._n], capacity=np.int64(self.capacity))

    @classmethod
    def load(cls, path: str | os.PathLike) -> IdMap:
        """Read a map written by ``save`` (nothing in the file is executed: no pickle)."""
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != {"keys", "capacity"}:
                raise ValueError(
                    f"{os.fspath(path)!r} is not an IdMap file: it holds {sorted(z.files)}, "
                    f"expected ['capacity', 'keys']"
                )
            keys, capacity = z["keys"], int(z["capacity"])
        return cls.from_keys(keys, capacity)

    @classmethod
    def from_keys(cls, keys: Sequence[int] | np.ndarray | Tensor, capacity: int) -> IdMap:
        """A map whose row ``r`` is ``keys[r]`` (the inverse of ``keys()``)."""
        arr = _as_ids(keys).ravel()
        uniq, first = np.unique(arr, return_index=True)
        if uniq.size != arr.size:
            dup = np.setdiff1d(np.arange(arr.size), first)[0]
            raise ValueError(
                f"IdMap.from_keys: id {int(arr[dup])} appears twice (again at row {int(dup)});"
                f" each id has one row"
            )
        if arr.size > capacity:
            raise IdMapFullError(
                f"IdMap.from_keys: {arr.size} ids for capacity {capacity}"
            )
        m = cls(capacity)
        if arr.size:
            m(arr)
        return m
