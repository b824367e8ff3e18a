"""Pretrained vectors into the first layer: ``to_embedding`` and ``coverage``.

The seed's first line of code is a vocabulary and its last is ``from_pretrained``; between them
each token of the vocabulary must find its vector, and the tokens without one (out of
vocabulary, "OOV") need a row too. ``coverage`` says which tokens have a vector; ``to_embedding``
builds the ``(len(vocab), D)`` table and hands it to ``nn.Embedding.from_pretrained``.

>>> import numpy as np
>>> from firstlayer.vectors.keyed import KeyedVectors
>>> kv = KeyedVectors.from_arrays(["我", "你"], np.array([[1, 2], [3, 4]], np.float32))
>>> emb = kv.to_embedding(["<pad>", "你", "我"], oov="zeros", padding_idx=0)
>>> emb.weight.tolist()
[[0.0, 0.0], [3.0, 4.0], [1.0, 2.0]]
>>> print(kv.coverage(["你", "他"]))
2 words: 1 found (50.0%), 0 through lower case, 1 missing (50.0%): '他'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .._random import Generator
    from ..nn import Embedding
    from .keyed import KeyedVectors

OOV_RULES = ("random", "zeros", "mean")
# Rows per step when summing over the whole matrix (std, mean): bounds float64 temporaries.
_STAT_BLOCK_ROWS = 1 << 16


@dataclass(frozen=True)
class Coverage:
    """Which words have a vector: ``found`` exactly, ``found_lower`` only as ``word.lower()``
    (with ``lower_case_backup``), and ``missing``; each a list in the order given.

    ``total``, ``covered`` (found + found_lower) and ``ratio`` (covered / total) summarise.
    """

    found: list[str]
    found_lower: list[str]
    missing: list[str]

    @property
    def total(self) -> int:
        return len(self.found) + len(self.found_lower) + len(self.missing)

    @property
    def covered(self) -> int:
        return len(self.found) + len(self.found_lower)

    @property
    def ratio(self) -> float:
        return self.covered / self.total if self.total else 0.0

    def __str__(self) -> str:
        def share(n: int) -> str:
            return f"{100 * n / self.total:.1f}%" if self.total else "-"

        text = (
            f"{self.total:,} words: {len(self.found):,} found ({share(len(self.found))}), "
            f"{len(self.found_lower):,} through lower case, "
            f"{len(self.missing):,} missing ({share(len(self.missing))})"
        )
        if self.missing:
            shown = ", ".join(repr(w) for w in self.missing[:8])
            text += f": {shown}" + (", ..." if len(self.missing) > 8 else "")
        return text

    def __repr__(self) -> str:
        return (
            f"Coverage(found={len(self.found)}, found_lower={len(self.found_lower)}, "
            f"missing={len(self.missing)}, ratio={self.ratio:.3f})"
        )


def vocab_tokens(vocab: Any) -> list[str]:
    """The tokens of ``vocab`` in id order: a firstlayer.text ``Vocab`` (anything with
    ``get_itos()``, or ``lookup_token`` and ``len``), a dict token -> id whose ids are
    0..n-1, or a sequence of tokens.

    >>> vocab_tokens({"我": 0, "你": 1})
    ['我', '你']
    """
    if hasattr(vocab, "get_itos"):
        return list(vocab.get_itos())
    if hasattr(vocab, "lookup_token") and hasattr(vocab, "__len__"):
        return [vocab.lookup_token(i) for i in range(len(vocab))]
    if isinstance(vocab, Mapping):
        tokens: list[Any] = [None] * len(vocab)
        for token, index in vocab.items():
            if not isinstance(index, (int, np.integer)) or not 0 <= index < len(vocab):
                raise ValueError(
                    f"a dict vocabulary maps tokens to ids 0..{len(vocab) - 1}; "
                    f"{token!r} maps to {index!r}"
                )
            if tokens[index] is not None:
                raise ValueError(
                    f"a dict vocabulary maps each id to one token; id {index} has "
                    f"{tokens[index]!r} and {token!r}"
                )
            tokens[index] = token
        return tokens
    if isinstance(vocab, (str, bytes)):
        raise TypeError(
            f"vocab must be a Vocab, a list of tokens or a dict token -> id, got a string "
            f"({vocab[:20]!r}); for one token write [{vocab[:20]!r}]"
        )
    try:
        return list(vocab)
    except TypeError:
        raise TypeError(
            f"vocab must be a Vocab, a list of tokens or a dict token -> id, got "
            f"{type(vocab).__name__}"
        ) from None


def _match(
    kv: KeyedVectors, tokens: list[str], lower_case_backup: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Row of each token in ``kv`` (-1: none), and whether it came from the lower-case form."""
    key_to_index = kv.key_to_index
    rows = np.fromiter((key_to_index.get(t, -1) for t in tokens), np.int64, len(tokens))
    lowered = np.zeros(len(tokens), bool)
    if lower_case_backup:
        for i in np.flatnonzero(rows < 0):
            token = tokens[i]
            row = key_to_index.get(token.lower(), -1) if isinstance(token, str) else -1
            if row >= 0:
                rows[i], lowered[i] = row, True
    return rows, lowered


def coverage(kv: KeyedVectors, words: Any, lower_case_backup: bool = False) -> Coverage:
    """Which ``words`` have a vector in ``kv``: exactly, as lower case, or not at all.

    ``words``: a Vocab, a dict token -> id, or any iterable of words; a word given twice
    counts once.

    >>> from firstlayer.vectors.keyed import KeyedVectors
    >>> kv = KeyedVectors.from_arrays(["paris"], np.ones((1, 2), np.float32))
    >>> kv.coverage(["Paris", "Lyon"], lower_case_backup=True)
    Coverage(found=0, found_lower=1, missing=1, ratio=0.500)
    """
    tokens = list(dict.fromkeys(vocab_tokens(words)))
    rows, lowered = _match(kv, tokens, lower_case_backup)
    found = [t for t, r, low in zip(tokens, rows, lowered) if r >= 0 and not low]
    found_lower = [t for t, low in zip(tokens, lowered) if low]
    missing = [t for t, r in zip(tokens, rows) if r < 0]
    return Coverage(found, found_lower, missing)


def _moments(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """The mean vector and the standard deviation of all entries, in float64, block by block
    (a memory-mapped 3M x 300 matrix is never copied whole)."""
    n = vectors.shape[0]
    total = np.zeros(vectors.shape[1])
    for start in range(0, n, _STAT_BLOCK_ROWS):
        total += vectors[start : start + _STAT_BLOCK_ROWS].sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    grand_mean = float(mean.mean()) if n else 0.0
    squares = 0.0
    for start in range(0, n, _STAT_BLOCK_ROWS):
        block = vectors[start : start + _STAT_BLOCK_ROWS].astype(np.float64)
        squares += float(np.square(block - grand_mean).sum())
    std = (squares / max(n * vectors.shape[1], 1)) ** 0.5
    return mean, std


def to_embedding(
    kv: KeyedVectors,
    vocab: Any,
    freeze: bool = True,
    oov: str | Callable[[str], Any] = "random",
    lower_case_backup: bool = False,
    padding_idx: int | None = None,
    generator: Generator | None = None,
) -> Embedding:
    """An ``nn.Embedding`` whose row i is the vector of ``vocab``'s token i.

    Args:
        kv: the pretrained vectors.
        vocab: a firstlayer.text ``Vocab`` (row i for ``vocab.lookup_token(i)``), a dict
            token -> id with ids 0..n-1, or a sequence of tokens.
        freeze: don't train the table (``from_pretrained``'s default); ``False`` fine-tunes it.
        oov: the row of a token without a vector:

            - ``"random"``: drawn from N(0, σ²), where σ is the standard deviation of all the
              entries of ``kv.vectors``. Pretrained vectors are small (σ ≈ 0.1 to 0.4 for
              word2vec, GloVe, fastText); ``nn.Embedding``'s default N(0, 1) rows would be 3 to
              10 times longer than every real word's, and would dominate sums and means. With
              σ they look like the other rows to the next layer while staying distinct from
              each other. Drawn from ``generator`` (default: firstlayer's global generator, so
              ``firstlayer.manual_seed`` makes it reproducible).
            - ``"zeros"``: a zero row (it adds nothing to a sum, but a mean over it shrinks).
            - ``"mean"``: the mean of all the vectors (the "average word").
            - a callable ``f(token) -> vector`` of length D (e.g. a subword model).
        lower_case_backup: look ``token.lower()`` up when ``token`` itself is missing.
        padding_idx: this row is zeroed and gets no gradient (a negative value counts from the
            end).
        generator: the random source for ``oov="random"``.

    Returns:
        ``nn.Embedding(len(vocab), D, padding_idx=padding_idx)`` holding a new table (``kv``'s
        matrix is never shared or written into).

    Shape: ``(len(vocab), D)`` weight, dtype of ``kv.vectors``.

    Use ``kv.coverage(vocab, lower_case_backup=...)`` to see which tokens got a vector.
    """
    from .. import _random
    from ..nn import Embedding
    from ..nn.functional.embedding import normalize_padding_idx

    tokens = vocab_tokens(vocab)
    dim = kv.vector_size
    dtype = np.float64 if kv.vectors.dtype == np.float64 else np.float32
    rows, _ = _match(kv, tokens, lower_case_backup)
    found = rows >= 0
    weight = np.empty((len(tokens), dim), dtype)
    weight[found] = kv.vectors[rows[found]]
    missing = np.flatnonzero(~found)
    if callable(oov):
        for i in missing:
            vector = np.asarray(oov(tokens[i]), dtype=dtype)
            if vector.shape != (dim,):
                raise ValueError(
                    f"oov({tokens[i]!r}) returned shape {vector.shape}; each row needs ({dim},)"
                )
            weight[i] = vector
    elif oov == "zeros":
        weight[missing] = 0
    elif oov == "mean":
        if len(missing):
            weight[missing] = _moments(kv.vectors)[0]
    elif oov == "random":
        if len(missing):
            std = _moments(kv.vectors)[1]
            draws = _random.rng(generator).standard_normal((len(missing), dim))
            weight[missing] = draws * std
    else:
        raise ValueError(
            f"oov must be one of {', '.join(repr(r) for r in OOV_RULES)} or a function "
            f"token -> vector, got {oov!r}"
        )
    if padding_idx is not None:
        padding_idx = normalize_padding_idx(padding_idx, len(tokens))
        weight[padding_idx] = 0
    return Embedding.from_pretrained(weight, freeze=freeze, padding_idx=padding_idx)
