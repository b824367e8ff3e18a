"""Per-key attributes of ``KeyedVectors`` (gensim's "expandos"): word counts and the like.

gensim 4 keeps, beside the vectors, one NumPy array per attribute name with one value per key
(``expandos["count"][i]`` is the count of ``index_to_key[i]``), set and read through
``set_vecattr`` / ``get_vecattr``. Word counts travel with the vectors: ``load_word2vec_format``
fills ``"count"`` (from a vocabulary file, or made-up descending counts), ``save_word2vec_format``
writes the keys most frequent first and, with ``fvocab``, the counts.

>>> import numpy as np
>>> from firstlayer.vectors import KeyedVectors
>>> kv = KeyedVectors.from_arrays(["a", "b"], np.zeros((2, 3), np.float32))
>>> kv.set_vecattr("b", "count", 7)
>>> int(kv.get_vecattr("b", "count")), kv.expandos["count"].tolist()
(7, [0, 7])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np


def _storage_type(t: Any) -> Any:
    """gensim's storage rules: ``int`` -> int64 (on every platform), ``str`` and ``None`` ->
    object (a fixed-width string dtype would take the longest value's size for every key)."""
    if t is int:
        return np.int64
    if t is str or t is type(None):
        return object
    return t


class VecAttrs:
    """``expandos`` and the methods that keep it: mixed into ``KeyedVectors``.

    The length of ``index_to_key`` is the intended size of every attribute array; methods that
    add keys call :meth:`allocate_vecattrs` to grow them (new keys get zeros).
    """

    expandos: dict[str, np.ndarray]
    index_to_key: Any
    key_to_index: Any

    if TYPE_CHECKING:  # provided by KeyedVectors

        def get_index(self, key: Any, default: int | None = None) -> int: ...

        @property
        def vectors(self) -> np.ndarray: ...

        @vectors.setter
        def vectors(self, value: np.ndarray) -> None: ...

    def allocate_vecattrs(
        self, attrs: Iterable[str] | None = None, types: Iterable[Any] | None = None
    ) -> None:
        """Make sure an array exists for each attribute in ``attrs`` (of the matching type in
        ``types``), with one value per key; with no arguments, resize every existing array to
        ``len(index_to_key)`` (values kept, new keys get zeros).

        Raises:
            TypeError: an existing attribute's dtype cannot hold the requested type.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[attr].dtype for attr in attrs]
        attrs, types = list(attrs), list(types or [])
        if len(attrs) != len(types):
            raise ValueError(f"got {len(attrs)} attribute names but {len(types)} types")
        size = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            t = _storage_type(t)
            old = self.expandos.get(attr)
            if old is None:
                self.expandos[attr] = np.zeros(size, dtype=t)
                continue
            if not np.issubdtype(t, old.dtype):
                raise TypeError(
                    f"can't store {np.dtype(t)} values in vector attribute {attr!r}: it holds "
                    f"{old.dtype} (the type of its first value)"
                )
            if len(old) != size:
                grown = np.zeros(size, dtype=old.dtype)
                keep = min(len(old), size)
                grown[:keep] = old[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key: Any, attr: str, val: Any) -> None:
        """Set attribute ``attr`` of ``key`` to ``val``; the first value set for ``attr`` fixes
        its type (``int`` -> int64, ``float`` -> float64, ``str`` -> object).

        Raises:
            KeyError: ``key`` is not in the vocabulary.
            TypeError: ``val``'s type does not fit the attribute's existing type.
        """
        index = self.get_index(key)  # a missing key fails before anything is allocated
        self.allocate_vecattrs(attrs=[attr], types=[type(val)])
        self.expandos[attr][index] = val

    def get_vecattr(self, key: Any, attr: str) -> Any:
        """The value of attribute ``attr`` (e.g. ``"count"``) for ``key``.

        Raises:
            KeyError: ``key`` is not in the vocabulary, or no key has attribute ``attr``.
        """
        index = self.get_index(key)
        values = self.expandos.get(attr)
        if values is None:
            have = ", ".join(map(repr, self.expandos)) or "none"
            raise KeyError(f"no vector attribute {attr!r} (attributes: {have})")
        return values[index]

    def sort_by_descending_frequency(self) -> None:
        """Reorder the keys (and vectors, and every attribute) by descending ``"count"``; equal
        counts in reverse row order (gensim's rule)."""
        if not len(self.index_to_key):
            return
        if "count" not in self.expandos:
            raise KeyError("sort_by_descending_frequency needs the vector attribute 'count'")
        self.allocate_vecattrs()
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((-np.arange(len(counts)), -counts))
        self._reorder(order)

    def _reorder(self, order: np.ndarray) -> None:
        """Put row ``order[i]`` at row ``i`` everywhere: keys, vectors, attributes."""
        keys = [self.index_to_key[i] for i in order.tolist()]
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self.vectors):
            self.vectors = self.vectors[order]  # the setter clears the cached norms
        self.index_to_key = keys
        self.key_to_index = dict(zip(keys, range(len(keys))))


def descending_counts(size: int) -> np.ndarray:
    """The counts gensim makes up for keys read without a vocabulary file: ``size - i`` for
    row ``i`` (descending, so that "most frequent first" is the file's order)."""
    return np.arange(size, 0, -1, dtype=np.int64)


def copy_vecattrs_to(target: VecAttrs, source: VecAttrs, keys: Sequence[Any]) -> None:
    """Copy ``source``'s attributes of ``keys`` (``target``'s rows, in order) into ``target``;
    keys ``source`` has no row for (fastText's inferred words) keep ``target``'s values."""
    source.allocate_vecattrs()
    rows = [source.get_index(k, -1) for k in keys]
    have = [i for i, row in enumerate(rows) if row >= 0]
    index = np.asarray([rows[i] for i in have], dtype=np.int64)
    for attr, values in source.expandos.items():
        target.allocate_vecattrs([attr], [values.dtype])
        target.expandos[attr][have] = values[index]


def grown_vectors(old: np.ndarray, shape: tuple[int, int], seed: int) -> np.ndarray:
    """gensim's ``prep_vectors``: a float32 ``shape`` matrix drawn uniformly from
    ``[-1/D, 1/D)`` by ``np.random.default_rng(seed)``, with ``old``'s values where they fit."""
    rng = np.random.default_rng(seed=seed)
    new = rng.random(shape, dtype=np.float32)
    new *= 2.0
    new -= 1.0
    new /= shape[1]
    new[: old.shape[0], : old.shape[1]] = old[: shape[0], : shape[1]]
    return new
