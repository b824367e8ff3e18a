"""fastText's ``.bin`` as word vectors that answer unseen words: :class:`FastTextKeyedVectors`.

A fastText model (``cc.en.300.bin``, or any model fastText or firstlayer saved) holds, beside
its words' rows, ``bucket`` rows of hashed character n-grams. A word's vector is the mean of
its own row and its n-grams' rows; a word never seen gets the mean of its n-grams' rows
(fastText's ``getWordVector``, gensim's ``FastTextKeyedVectors``). ``firstlayer.vectors.load``
recognises such a file by its magic number (format ``"fasttext-bin"``) and returns one.

>>> kv = firstlayer.vectors.load("cc.en.300.bin")  # doctest: +SKIP
>>> kv.has_index_for("misspeling"), kv["misspeling"].shape  # doctest: +SKIP
(False, (300,))
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from .formats.errors import TruncatedVectorFileError, VectorFileError
from .formats.report import LoadReport
from .keyed import _KEY_TYPES, KeyedVectors

if TYPE_CHECKING:
    from .._random import Generator
    from ..nn import Embedding

__all__ = ["FastTextKeyedVectors", "load_fasttext_bin"]

_ROWS_PER_TASK = 1 << 15


class FastTextKeyedVectors(KeyedVectors):
    """Word vectors with fastText's subword fallback (gensim's ``FastTextKeyedVectors``).

    ``vectors`` ``(V, D)``: the dictionary words' vectors (own row + n-gram rows, averaged);
    ``vectors_vocab``: their own rows; ``vectors_ngrams`` ``(bucket, D)``: the n-gram rows;
    ``min_n``, ``max_n``, ``bucket``: fastText's ``minn``, ``maxn``, ``bucket``.

    ``kv[word]`` and ``most_similar(word)`` work for any word with at least one character
    n-gram; ``has_index_for(word)`` tells the dictionary's words apart; ``word in kv`` is true
    for every word that has a vector (gensim's rule).
    """

    vectors_vocab: np.ndarray
    vectors_ngrams: np.ndarray
    min_n: int
    max_n: int
    bucket: int

    def _ngram_rows(self, word: str) -> list[int]:
        from ..models.fasttext._hash import char_ngram_rows

        if self.max_n <= 0 or self.bucket <= 0:
            return []
        return char_ngram_rows(word, self.min_n, self.max_n, self.bucket, 0)

    def __contains__(self, key: Any) -> bool:
        return self.has_index_for(key) or (isinstance(key, str) and bool(self._ngram_rows(key)))

    def get_vector(self, key: Any, norm: bool = False) -> np.ndarray:
        """The vector of ``key``; for a word outside the dictionary, the mean of its character
        n-grams' rows (``KeyError`` if it has none). Shape ``(D,)``."""
        if self.has_index_for(key) or not isinstance(key, str):
            return super().get_vector(key, norm)
        rows = self._ngram_rows(key)
        if not rows:
            raise KeyError(f"cannot calculate a vector for {key!r}: it is not in the "
                           "dictionary and has no character n-grams (minn/maxn)")
        vec = self.vectors_ngrams[rows].mean(axis=0, dtype=np.float32).astype(self.vectors.dtype)
        if norm:
            length = np.linalg.norm(vec)
            return vec / length if length > 0 else vec
        return vec

    def __getitem__(self, key_or_keys: Any) -> np.ndarray:
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.stack([self.get_vector(k) for k in key_or_keys])

    def _as_vectors(self, terms: Any, norm: bool) -> Any:
        """Words outside the dictionary replaced by their (unit) subword vectors."""
        from .keyed import _ensure_list

        def one(t: Any) -> Any:
            if isinstance(t, tuple):
                return (one(t[0]), t[1])
            if isinstance(t, str) and not self.has_index_for(t) and self._ngram_rows(t):
                return self.get_vector(t, norm=norm)
            return t

        return [one(t) for t in _ensure_list(terms)]

    def get_mean_vector(self, keys: Any, weights: Any = None, pre_normalize: bool = True,
                        post_normalize: bool = False, ignore_missing: bool = True) -> np.ndarray:
        return super().get_mean_vector(self._as_vectors(keys, pre_normalize), weights,
                                       pre_normalize, post_normalize, ignore_missing)

    def _query(self, positive: Any, negative: Any) -> tuple[np.ndarray, list[int]]:
        return super()._query(self._as_vectors(positive, True), self._as_vectors(negative, True))

    def to_embedding(self, vocab: Any, freeze: bool = True, oov: Any = "subwords",
                     lower_case_backup: bool = False, padding_idx: int | None = None,
                     generator: Generator | None = None) -> Embedding:
        """An ``nn.Embedding`` whose row i is the vector of ``vocab``'s token i.

        ``oov="subwords"`` (the default here): a token outside the dictionary gets the mean of
        its character n-grams' rows, as fastText and gensim answer it (zeros if it has none);
        the other rules are :func:`firstlayer.vectors.embedding.to_embedding`'s.
        """
        if oov == "subwords":
            zeros = np.zeros(self.vector_size, self.vectors.dtype)

            def oov(token: str) -> np.ndarray:
                rows = self._ngram_rows(token) if isinstance(token, str) else []
                return self.get_vector(token) if rows else zeros

        return super().to_embedding(vocab, freeze=freeze, oov=oov,
                                    lower_case_backup=lower_case_backup,
                                    padding_idx=padding_idx, generator=generator)


def word_vectors(matrix: np.ndarray, entries: list[bytes], nwords: int, args: Any) -> np.ndarray:
    """Each dictionary word's vector: the mean of its row and its character n-grams' rows
    (fastText's ``getWordVector``), computed by a compiled loop on every core.

    Shape: ``matrix`` ``(nwords + bucket, D)`` -> ``(nwords, D)`` float32.
    """
    from ..models.fasttext import _bin_kernels as BK
    from ..models.fasttext import _read_kernels as RK
    from ..models.fasttext._dictionary import joined

    words = entries[:nwords]
    if args.maxn <= 0:
        return np.array(matrix[:nwords], np.float32)
    buf, starts = joined(words)
    no_ngrams = np.array([w == b"</s>" for w in words], bool)
    ptr, rows = RK.subword_rows(buf, starts, np.arange(nwords, dtype=np.int32),
                                np.zeros(nwords, bool), no_ngrams, args.minn, args.maxn,
                                args.bucket, nwords)
    out = np.empty((nwords, matrix.shape[1]), np.float32)
    spans = [(lo, min(nwords, lo + _ROWS_PER_TASK)) for lo in range(0, nwords, _ROWS_PER_TASK)]
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # the loop releases the GIL
        list(pool.map(lambda s: BK.mean_rows(matrix, ptr, rows, s[0], s[1], out), spans))
    return out


def load_fasttext_bin(
    path: str | os.PathLike,
    *,
    limit: int | None = None,
    vocab: Any = None,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    dtype: DTypeLike = "float32",
) -> FastTextKeyedVectors:
    """Read a fastText model file as :class:`FastTextKeyedVectors` (``vectors.load``'s
    ``"fasttext-bin"``). ``limit``/``vocab`` choose the dictionary words kept; every n-gram
    row is kept (unseen words need them)."""
    from ..models.fasttext._bin import ModelFileError, read_bin
    from .formats._select import vocab_words

    name = repr(str(path))
    try:
        with open(path, "rb") as f:
            parts = read_bin(f, name)
    except ModelFileError as exc:
        kind = TruncatedVectorFileError if "truncated" in str(exc) else VectorFileError
        raise kind(str(exc)) from None
    except NotImplementedError as exc:
        raise VectorFileError(str(exc)) from None
    d, args, matrix = parts.dictionary, parts.args, parts.input
    words = [w.decode(encoding, unicode_errors) for w in d.entries[: d.nwords]]
    vectors = word_vectors(matrix, d.entries, d.nwords, args)
    keep = np.arange(len(words))
    fields: dict[str, Any] = {}
    if vocab is not None:
        wanted = vocab_words(vocab)
        index = {w: i for i, w in enumerate(words)}
        keep = np.array(sorted({index[w] for w in wanted if w in index}), np.int64)
        missing = [w for w in wanted if w not in index]
        fields = dict(found_exact=len(wanted) - len(missing), found_lowercase=0,
                      missing=missing)
    if limit is not None:
        keep = keep[:limit]
    dt = np.dtype(dtype)
    if keep.size == len(words) and limit is None:  # every word, in order: no copy
        kept, own = vectors.astype(dt, copy=False), matrix[: d.nwords]
    else:
        kept, own = vectors[keep].astype(dt, copy=False), matrix[keep]
    kv = FastTextKeyedVectors.from_arrays([words[i] for i in keep.tolist()], kept)
    assert isinstance(kv, FastTextKeyedVectors)
    kv.vectors_vocab = own
    kv.vectors_ngrams = matrix[d.nwords :]
    kv.min_n, kv.max_n, kv.bucket = args.minn, args.maxn, args.bucket
    kv.load_report = LoadReport(  # type: ignore[attr-defined]
        "fasttext-bin", None, len(keep), args.dim, header_count=d.nwords, **fields)
    return kv
