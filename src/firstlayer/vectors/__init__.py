"""Pretrained word vectors: load any common file fast, query them, put them in an Embedding.

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
) -> KeyedVectors:
    """Load word vectors from ``path`` into a :class:`KeyedVectors`.

    Args:
        path: a text (``"word2vec"``, ``"glove"``) or ``"word2vec-binary"`` file, plain or
            gzip/bz2/xz compressed, a ``"cache"`` directory, or a fastText model
            (``"fasttext-bin"``: a :class:`~firstlayer.vectors.fasttext.FastTextKeyedVectors`
            that answers unseen words through their character n-grams).
        format: ``"auto"`` (from the content, not the name) or one of the names above.
        limit: keep the first ``limit`` vectors of the file.
        vocab: keep only the vectors of these words (a ``Vocab`` or any iterable of words);
            the file is streamed, so a 3M-word file costs only the memory of the words kept.
        lower_case_backup: with ``vocab``: a word the file lacks is looked up as
            ``word.lower()``; the exact word wins when both exist.
        encoding, unicode_errors: how keys are decoded; ``unicode_errors="replace"`` or
            ``"ignore"`` loads a file with bad bytes (``kv.load_report.lines_repaired``).
        dtype: the matrix dtype.
        progress: a progress bar on stderr (``None``: for files over 50 MB).
        on_bad_lines: a line of a text file that is not ``word x1 ... xdim``: ``"error"``
            (raise, naming the line), ``"warn"`` or ``"skip"`` (load the other lines;
            ``kv.load_report.bad_lines`` lists the ones left out). The leniencies and the
            format detection are listed in :func:`.formats.load_vectors`.

    Returns:
        ``KeyedVectors`` with ``kv.load_report`` (a :class:`LoadReport`: format, counts,
        duplicates dropped, vocabulary coverage). A ``"cache"`` matrix is memory-mapped,
        read-only.

    Shape: ``kv.vectors`` is ``(count, dim)``.

    >>> kv = load("wiki.zh.vec", vocab=["我", "你"])  # doctest: +SKIP
    >>> kv.vectors.shape  # doctest: +SKIP
    (2, 300)
    """
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
