"""Which rows of a file to keep: the first ``limit``, only the words of a vocabulary, never a
key twice. Shared by every format: readers hand over each batch of keys in file order and get
back the positions to keep.

``vocab=`` with ``lower_case_backup=True`` follows torchtext (``Vectors.get_vecs_by_tokens``)
and :meth:`KeyedVectors.coverage`: a vocabulary word ``w`` that the file lacks exactly is found
through the file key ``w.lower()``. An exact match always wins: the row of ``"apple"`` is kept
for the word ``"Apple"`` only if the file has no ``"Apple"``. The loaded vectors keep the
file's keys (``"apple"``), so pass ``lower_case_backup=True`` again to ``to_embedding`` or
``coverage``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np


def vocab_words(vocab: Any) -> list[str]:
    """The words of ``vocab``: a firstlayer/torchtext ``Vocab`` (``get_itos()``), a dict
    (its keys) or any iterable of strings."""
    if isinstance(vocab, (str, bytes)):
        raise TypeError(
            "vocab= takes a Vocab or an iterable of words, not a single "
            f"{type(vocab).__name__} ({vocab[:20]!r}); wrap one word in a list"
        )
    if hasattr(vocab, "get_itos"):
        words = list(vocab.get_itos())
    elif isinstance(vocab, Iterable):
        words = list(vocab)
    else:
        raise TypeError(f"vocab= takes a Vocab or an iterable of words, got {type(vocab)!r}")
    bad = next((w for w in words if not isinstance(w, str)), None)
    if bad is not None:
        raise TypeError(f"vocab= words must be strings, got {bad!r} ({type(bad).__name__})")
    return words


class RowSelector:
    """Decides, batch by batch, which rows of a file to keep.

    Args:
        limit: read at most this many vectors from the top of the file (``None``: all).
            Duplicates among them count toward the limit (as in gensim) and are dropped.
        vocab: keep only the vectors of these words (see :func:`vocab_words`).
        lower_case_backup: also keep ``w.lower()`` for a vocabulary word ``w`` (module doc).
    """

    def __init__(self, limit: int | None, vocab: Any, lower_case_backup: bool) -> None:
        if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        self.limit = None if limit is None else int(limit)
        self.read = 0  # vectors offered so far (the limit counts these)
        self.keys: list[str] = []  # kept keys in file order = rows of the matrix
        self._seen: set[str] = set()
        self.duplicates = 0
        self.words: list[str] | None = None
        self.lower_case_backup = bool(lower_case_backup)
        self._exact: set[str] = set()
        self._lower: dict[str, list[str]] = {}  # w.lower() -> the vocab words w it may stand for
        self._lower_only_rows: dict[str, int] = {}  # kept only as someone's lower case
        if vocab is not None:
            self.words = vocab_words(vocab)
            self._exact = set(self.words)
            if lower_case_backup:
                for w in self.words:
                    low = w.lower()
                    if low != w:
                        self._lower.setdefault(low, []).append(w)

    @property
    def done(self) -> bool:
        """True once ``limit`` vectors were read: the reader may stop."""
        return self.limit is not None and self.read >= self.limit

    def room(self) -> int | None:
        """How many more vectors may be read (``None``: no limit)."""
        return None if self.limit is None else max(self.limit - self.read, 0)

    def choose(self, batch: list[str]) -> np.ndarray | None:
        """Offer the next keys of the file (at most :meth:`room`); returns the positions in
        ``batch`` to keep, in order, or ``None`` for "all of them" (without ``vocab``: the
        later copies of a key are dropped at the end, by :meth:`finish`)."""
        self.read += len(batch)
        if self.words is None:  # keep all; duplicates (rare) are dropped once, in finish()
            self.keys.extend(batch)
            return None
        seen = self._seen
        keep: list[int] = []
        exact, lower = self._exact, self._lower
        for i, key in enumerate(batch):
            if key in seen:
                self.duplicates += 1
                continue
            if self.words is not None and key not in exact:
                if key not in lower:
                    continue
                self._lower_only_rows[key] = len(self.keys)
            seen.add(key)
            keep.append(i)
            self.keys.append(key)
        return np.asarray(keep, dtype=np.int64)

    def finish(self, path_name: str) -> tuple[np.ndarray | None, dict[str, Any]]:
        """After the last batch: rows to keep of those kept so far (``None``: all; dropped
        are the later copies of a key and rows kept only as a lower-case backup when every word
        they stood for was found exactly) and the report fields. Warns about duplicates."""
        rows = None
        if self.words is None and len(set(self.keys)) != len(self.keys):
            first: dict[str, int] = {}
            for i, key in enumerate(self.keys):
                first.setdefault(key, i)
            rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
            self.duplicates = len(self.keys) - len(first)
            self.keys = list(first)
        if self.duplicates:
            warnings.warn(
                f"{path_name}: {self.duplicates:,} duplicate key(s) ignored; the first vector of "
                "each key was kept",
                stacklevel=4,
            )
        fields: dict[str, Any] = {"duplicates_dropped": self.duplicates}
        if self.words is None:
            return rows, fields
        found = self._seen
        drop = [
            row
            for low, row in self._lower_only_rows.items()
            if all(w in found for w in self._lower[low])
        ]
        if drop:
            keep_mask = np.ones(len(self.keys), dtype=bool)
            keep_mask[drop] = False
            rows = np.flatnonzero(keep_mask)
            self.keys = [self.keys[i] for i in rows]
        kept = set(self.keys)
        exact = lowercase = 0
        missing: list[str] = []
        for w in dict.fromkeys(self.words):  # distinct words, in vocabulary order
            if w in kept:
                exact += 1
            elif self.lower_case_backup and w.lower() in kept:
                lowercase += 1
            else:
                missing.append(w)
        fields.update(found_exact=exact, found_lowercase=lowercase, missing=missing)
        return rows, fields
