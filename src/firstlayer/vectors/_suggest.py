"""``KeyNotFoundError``: the ``KeyError`` of a missing word, naming the closest existing keys.

The suggestions are computed only when the message is read (``str(error)``): code that probes
many missing words with ``try: kv[w] except KeyError`` pays nothing for them.

>>> import numpy as np
>>> err = KeyNotFoundError("Kingg", ["king", "queen", "kings"], {"king": 0, "queen": 1, "kings": 2})
>>> str(err)
"Key 'Kingg' not present in the vocabulary of 3 keys; closest keys: 'king', 'kings'"
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

# difflib's ratio is pure Python: compare with at most this many keys (the most frequent ones
# in a file sorted by frequency, which word-vector files are), ~0.1 s.
_FUZZY_SCAN = 20_000
# A prefix test is cheap: scan this many keys for ones that start with the missing word.
_PREFIX_SCAN = 200_000


def closest_keys(
    word: str, index_to_key: Sequence[Any], key_to_index: Mapping[Any, int], n: int = 3
) -> list[str]:
    """Up to ``n`` keys that look like ``word``: case variants, then near spellings (ignoring
    case), then keys that start with ``word``.

    >>> closest_keys("paris", ["Paris", "parish"], {"Paris": 0, "parish": 1})
    ['Paris', 'parish']
    """
    found: list[str] = []

    def add(candidates: Any) -> None:
        for key in candidates:
            if key not in found and key != word:
                found.append(key)

    variants = (word.lower(), word.upper(), word.title(), word.capitalize(), word.casefold())
    add(v for v in variants if v in key_to_index)
    # Spelling compared in lower case ("Kingg" is close to "king"); the first key of each
    # lower-cased spelling stands for it.
    lowered: dict[str, str] = {}
    for key in itertools.islice(index_to_key, _FUZZY_SCAN):
        if isinstance(key, str):
            lowered.setdefault(key.lower(), key)
    add(lowered[k] for k in difflib.get_close_matches(word.lower(), lowered, n=n, cutoff=0.75))
    if len(found) < n and len(word) >= 2:
        prefixed = (
            k for k in itertools.islice(index_to_key, _PREFIX_SCAN)
            if isinstance(k, str) and k.startswith(word)
        )
        add(itertools.islice(prefixed, n))
    return found[:n]


class KeyNotFoundError(KeyError):
    """A key that is not in the vocabulary; ``args[0]`` is the key, as for a plain KeyError."""

    def __init__(
        self, key: Any, index_to_key: Sequence[Any], key_to_index: Mapping[Any, int]
    ) -> None:
        super().__init__(key)
        self.key = key
        self._index_to_key = index_to_key
        self._key_to_index = key_to_index
        self._message: str | None = None

    def __str__(self) -> str:
        if self._message is None:
            n = len(self._index_to_key)
            message = f"Key {self.key!r} not present in the vocabulary of {n:,} keys"
            if isinstance(self.key, str):
                close = closest_keys(self.key, self._index_to_key, self._key_to_index)
                if close:
                    message += "; closest keys: " + ", ".join(repr(k) for k in close)
            self._message = message
        return self._message
