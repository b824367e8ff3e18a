"""Pretrained word vectors: load any common file fast, query them, put them in an Embedding.

Files gensim saved (``kv.save()``, ``model.save()``) load too, without unpickling them
(:mod:`.formats.gensim_pickle`).

>>> import firstlayer.vectors as fv
>>> kv = fv.load("glove.6B.300d.txt", vocab=my_vocab)  # doctest: +SKIP
>>> kv.load_report  # doctest: +SKIP
LoadReport(format='glove', compression=None, count=18211, dim=300, ...)
"""

from __future__ import annotations

import os
from typing import Any

from numpy.typing import DTypeLike

from .fasttext import FastTextKeyedVectors
from .formats import LoadReport, detect_format, load_vectors
from .formats.errors import TruncatedVectorFileError, VectorFileError
from .keyed import KeyedVectors

__all__ = [
    "FastTextKeyedVectors",
    "KeyedVectors",
    "LoadReport",
    "TruncatedVectorFileError",
    "VectorFileError",
    "detect_format",
    "load",
]


def load(
    path: str | os.PathLike,
    format: str = "auto",  # noqa: A002  (the name users know from gensim/torchtext)
    *,
    limit: int | None = None,
    vocab: Any = None,
    lower_case_backup: bool = False,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    dtype: DTypeLike = "float32",
    progress: bool | None = None,
    on_bad_lines: str = "error",
    mmap: str | None = None,
) -> KeyedVectors:
    """Load word vectors from ``path`` into a :class:`KeyedVectors`.

    Args:
        path: a text (``"word2vec"``, ``"glove"``) or ``"word2vec-binary"`` file, plain or
            gzip/bz2/xz compressed, a ``"cache"`` directory, or a fastText model
            (``"fasttext-bin"``: a :class:`~firstlayer.vectors.fasttext.FastTextKeyedVectors`
            that answers unseen words through their character n-grams), or a file gensim's
            ``save()`` wrote (``"gensim"``: ``KeyedVectors``, ``Word2Vec``, ``FastText``,
            ``Doc2Vec``, gensim 0.12 to 4.x; its word vectors, with the word counts in
            ``kv.expandos``; read as data, the pickle never run: any class outside gensim's
            word-vector classes and NumPy arrays is refused, named).
        format: ``"auto"`` (from the content, not the name) or one of the names above.
        limit: keep the first ``limit`` vectors of the file.
        vocab: keep only the vectors of these words (a ``Vocab`` or any iterable of words);
            the file is streamed, so a 3M-word file costs only the memory of the words kept.
        lower_case_backup: with ``vocab``: a word the file lacks is looked up as
            ``word.lower()``; the exact word wins when both exist.
        encoding: how keys are decoded.
        unicode_errors: what a bad byte in a key does; ``"replace"`` or ``"ignore"`` loads a
            file with bad bytes (``kv.load_report.lines_repaired``).
        dtype: the matrix dtype.
        progress: a progress bar on stderr (``None``: for files over 50 MB).
        on_bad_lines: a line of a text file that is not ``word x1 ... xdim``: ``"error"``
            (raise, naming the line), ``"warn"`` or ``"skip"`` (load the other lines;
            ``kv.load_report.bad_lines`` lists the ones left out). The leniencies and the
            format detection are listed in :func:`.formats.load_vectors`.
        mmap: for a ``"gensim"`` file: ``"r"`` memory-maps the arrays gensim saved beside
            it (``<path>.vectors.npy``), as gensim's ``load(path, mmap="r")``.

    Returns:
        ``KeyedVectors`` with ``kv.load_report`` (a :class:`LoadReport`: format, counts,
        duplicates dropped, vocabulary coverage). A ``"cache"`` matrix is memory-mapped,
        read-only.

    Shape: ``kv.vectors`` is ``(count, dim)``.

    >>> kv = load("wiki.zh.vec", vocab=["我", "你"])  # doctest: +SKIP
    >>> kv.vectors.shape  # doctest: +SKIP
    (2, 300)
    """
    if format in ("auto", "gensim") and _is_gensim(path):
        from .formats.gensim_pickle import load_gensim_keyedvectors

        return load_gensim_keyedvectors(path, limit=limit, vocab=vocab, mmap=mmap, dtype=dtype,
                                        lower_case_backup=lower_case_backup)
    if format in ("auto", "fasttext-bin") and _is_fasttext_bin(path):
        from .fasttext import load_fasttext_bin

        return load_fasttext_bin(path, limit=limit, vocab=vocab, encoding=encoding,
                                 unicode_errors=unicode_errors, dtype=dtype)
    keys, vectors, report = load_vectors(
        path,
        format,
        limit=limit,
        vocab=vocab,
        lower_case_backup=lower_case_backup,
        encoding=encoding,
        unicode_errors=unicode_errors,
        dtype=dtype,
        progress=progress,
        on_bad_lines=on_bad_lines,
    )
    kv = KeyedVectors.from_arrays(keys, vectors)
    kv.load_report = report  # type: ignore[attr-defined]
    return kv


def _is_fasttext_bin(path: str | os.PathLike) -> bool:
    from .formats.detect import _FASTTEXT_MAGIC

    try:
        with open(path, "rb") as f:
            return f.read(4) == _FASTTEXT_MAGIC
    except OSError:  # a directory (cache) or a missing file: load_vectors says which
        return False


def _is_gensim(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file gensim's ``save()`` wrote (compressed too)."""
    from .formats._open import read_head
    from .formats.gensim_pickle import looks_like_gensim

    try:
        return looks_like_gensim(read_head(path, 512)[0])
    except (OSError, ValueError, EOFError):  # a directory, a missing or damaged file:
        return False  # load_vectors says which
