"""Reading and writing word-vector files: every common format, fast and robust.

=====================  ================================================  ======================
format                 layout                                            written by
=====================  ================================================  ======================
``"word2vec"``         text: ``count dim`` header, ``word x1 .. xdim``   gensim, fastText .vec
``"glove"``            text without the header                           GloVe
``"word2vec-binary"``  header, then ``word`` + space + dim raw float32   word2vec, gensim
``"cache"``            a directory: ``vectors.npy`` + ``keys.txt``       firstlayer
``"gensim"``           gensim's ``save()``: a pickle (+ ``.npy`` beside)  gensim (read only)
=====================  ================================================  ======================

Text and binary files may be gzip/bz2/xz compressed: detected from the bytes when loading,
chosen from the file name's extension when saving. ``format="auto"`` tells the formats apart
from the content (:mod:`.detect`). Every save is atomic: a failure leaves an existing file as
it was.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..._atomic import atomic_write
from ._open import COMPRESSIONS, compressing, compression_from_name, open_read, read_head
from ._select import RowSelector
from .binary import check_binary_keys, read_binary, write_binary
from .cache import read_cache, write_cache
from .detect import FORMATS, READ_FORMATS, detect_format, is_cache, sniff_format
from .errors import TruncatedVectorFileError, VectorFileError
from .report import LoadReport
from .text import check_text_keys, read_text, write_text

__all__ = [
    "FORMATS",
    "LoadReport",
    "TruncatedVectorFileError",
    "VectorFileError",
    "detect_format",
    "load_vectors",
    "save_vectors",
]

PROGRESS_BYTES = 50 * 1024 * 1024  # show a progress bar for files larger than this
_UNICODE_ERRORS = ("strict", "replace", "ignore", "backslashreplace", "surrogateescape")
_ON_BAD_LINES = ("error", "warn", "skip")


def _check_format(format: str, allow_auto: bool) -> str:  # noqa: A002
    valid = ("auto", *READ_FORMATS) if allow_auto else FORMATS
    if format not in valid:
        raise ValueError(f"unknown vector format {format!r}; valid formats: {', '.join(valid)}")
    return format


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"dtype must be a floating point type (e.g. 'float32'), got {dt}")
    return dt


class _Progress:
    """A tqdm bar over the bytes of the file on disk (compressed bytes for compressed files)."""

    def __init__(self, raw: Any, size: int, name: str, show: bool | None) -> None:
        self.raw = raw
        self.bar = None
        if show is None:
            show = size > PROGRESS_BYTES
        if show:
            from tqdm import tqdm

            self.bar = tqdm(
                total=size, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False
            )

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(self.raw.tell() - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def load_vectors(
    path: str | os.PathLike,
    format: str = "auto",  # noqa: A002
    *,
    limit: int | None = None,
    vocab: Any = None,
    lower_case_backup: bool = False,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    dtype: DTypeLike = "float32",
    progress: bool | None = None,
    on_bad_lines: str = "error",
) -> tuple[Sequence[str], np.ndarray, LoadReport]:
    """Read a vector file: ``(keys, vectors, report)``.

    Args:
        path: a file (plain, gzip, bz2, xz) or a cache directory.
        format: ``"auto"`` (detected from the content) or one of :data:`FORMATS`.
        limit: keep the first ``limit`` vectors of the file.
        vocab: keep only the vectors of these words: a ``Vocab`` (``get_itos()``) or any
            iterable of strings. The file is streamed; rows of other words are never parsed.
        lower_case_backup: with ``vocab``: a word the file lacks is found as ``word.lower()``
            (torchtext's rule; an exact match wins). The file's keys are kept as they are.
        encoding: of the keys (the numbers are ASCII).
        unicode_errors: ``"strict"`` (an error naming the line and the bytes), ``"replace"``
            or ``"ignore"`` (load; ``report.lines_repaired`` counts the keys repaired).
        dtype: the matrix dtype (values are parsed as float64, then rounded once).
        progress: tqdm bar on stderr; ``None``: for files over 50 MB.
        on_bad_lines: what a line of a text file that is not ``word x1 ... xdim`` does:
            ``"error"`` (raise, naming the line), ``"warn"`` (leave it out, warn with the
            line numbers) or ``"skip"`` (leave it out quietly); ``report.bad_lines`` lists
            the lines left out. To salvage a damaged file. Binary and cache files have no
            lines to skip: damage there is always an error.

    A text file is read as gensim's ``load_word2vec_format`` reads it, with these documented
    leniencies (gensim raises on the first three, and reads only ``count`` rows on the fourth):

    * blank lines are skipped; ``\\r\\n`` line ends, tabs, runs of spaces and a UTF-8 byte
      order mark are accepted;
    * a word may hold spaces (GloVe 840B: ``New York``): the last ``dim`` tokens are the vector
      and the tokens before them the word, as long as none of them after the first reads as a
      number (a row with more numbers than ``dim`` is an error naming the line);
    * ``dim`` is inferred from the lines when there is no header (``"glove"``);
    * a header that counts fewer vectors than the file holds: all of them are loaded, with a
      warning (more than the file holds: :class:`TruncatedVectorFileError`).

    ``format="auto"`` reads a file as word2vec binary only when its records line up as the
    header's count and dim say, across the records in the first 64 KB, and their bytes are not
    text; a damaged text file stays a text file, and its error names the line.

    Returns:
        ``keys`` (list of V str; for a cache a lazy ``KeyList`` that compares equal to one),
        ``vectors`` (``(V, dim)`` array; a read-only memory map for a cache), ``report``
        (:class:`LoadReport`). Duplicate keys: the first is kept, a warning gives the count.

    Raises:
        VectorFileError: a short row, a non-number, invalid bytes, a header that disagrees
            with the rows (each message names the line and the way out).
        TruncatedVectorFileError: (also an ``EOFError``) fewer vectors than the header
            promises.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
    >>> _ = open(path, "w").write("我 0.5 1.0\\n你 -1.5 2.0\\n")
    >>> keys, vectors, report = load_vectors(path)
    >>> keys, vectors.tolist(), report.format
    (['我', '你'], [[0.5, 1.0], [-1.5, 2.0]], 'glove')
    """
    _check_format(format, allow_auto=True)
    if unicode_errors not in _UNICODE_ERRORS:
        raise ValueError(f"unicode_errors must be one of {_UNICODE_ERRORS}, got {unicode_errors!r}")
    if on_bad_lines not in _ON_BAD_LINES:
        raise ValueError(f"on_bad_lines must be one of {_ON_BAD_LINES}, got {on_bad_lines!r}")
    "".encode(encoding)  # an unknown encoding fails here, before any work (LookupError)
    dt = _float_dtype(dtype)
    selector = RowSelector(limit, vocab, lower_case_backup)
    p = Path(path)
    name = repr(str(p))
    if not p.exists():
        raise FileNotFoundError(2, f"no such vector file or cache: {str(p)!r}", str(p))

    if p.is_dir() or format == "cache":
        if not is_cache(p):
            raise VectorFileError(f"{name} is not a firstlayer vector cache (no meta.json)")
        keys, vectors, fields = read_cache(p, selector=selector, dtype=dt)
        report = LoadReport("cache", None, len(keys), vectors.shape[1], **fields)
        return keys, vectors, report

    head, compression = read_head(p)
    found = sniff_format(head, name)
    if found == "gensim" or format == "gensim":
        if found != format and format != "auto":
            raise VectorFileError(f"{name} is a {found} file, not {format}: use format='auto'")
        from .gensim_pickle import load_gensim_vectors

        keys, vectors, report, _ = load_gensim_vectors(
            p, limit=limit, vocab=vocab, lower_case_backup=lower_case_backup, dtype=dt)
        return keys, vectors, report
    if found == "fasttext-bin" or format == "fasttext-bin":
        if found != format and format != "auto":
            raise VectorFileError(f"{name} is a {found} file, not {format}: use format='auto'")
        if compression is not None:
            raise VectorFileError(f"{name} is a {compression}-compressed fastText model: "
                                  "decompress it first")
        from ..fasttext import load_fasttext_bin

        kv = load_fasttext_bin(p, limit=limit, vocab=vocab, encoding=encoding,
                               unicode_errors=unicode_errors, dtype=dt)
        return kv.index_to_key, kv.vectors, kv.load_report  # type: ignore[attr-defined]
    if format == "auto":
        format = found
    elif format == "word2vec-binary" and found != "word2vec-binary":
        raise VectorFileError(f"{name} is a text vector file ({found}), not word2vec-binary")
    elif format in ("word2vec", "glove") and found == "word2vec-binary":
        raise VectorFileError(
            f"{name} is a word2vec binary file; load it with format='word2vec-binary' (or 'auto')"
        )
    size = p.stat().st_size
    with open_read(p) as (stream, raw, _):
        progress_bar = _Progress(raw, size, p.name, progress)
        try:
            if format == "word2vec-binary":
                keys, vectors, fields = read_binary(
                    stream,
                    raw if compression is None else None,
                    name=name,
                    selector=selector,
                    dtype=dt,
                    encoding=encoding,
                    unicode_errors=unicode_errors,
                    on_block=progress_bar.update,
                )
            else:
                keys, vectors, fields = read_text(
                    stream,
                    fmt=format,
                    name=name,
                    selector=selector,
                    dtype=dt,
                    encoding=encoding,
                    unicode_errors=unicode_errors,
                    size_hint=size if compression is None else None,
                    on_block=progress_bar.update,
                    on_bad_lines=on_bad_lines,
                )
        finally:
            progress_bar.close()
    report = LoadReport(format, compression, len(keys), vectors.shape[1], **fields)
    return keys, vectors, report


def save_vectors(
    keys: Sequence[Any],
    vectors: np.ndarray,
    path: str | os.PathLike,
    format: str = "word2vec",  # noqa: A002
    *,
    compression: str | None = None,
    encoding: str = "utf-8",
) -> None:
    """Write ``keys`` and their ``vectors`` to ``path`` atomically.

    Args:
        keys: V keys (non-strings are written as ``str(key)``, as gensim does).
        vectors: ``(V, dim)`` floating point.
        format: ``"word2vec"``, ``"glove"``, ``"word2vec-binary"`` or ``"cache"``.
        compression: ``"gzip"``, ``"bz2"``, ``"xz"``; ``None``: from the extension of
            ``path`` (``.gz``, ``.bz2``, ``.xz``), plain otherwise.
        encoding: of the keys.

    Text files hold the shortest decimal digits that read back exactly (the digits gensim
    writes, ``str(np.float32(x))``); binary and cache files hold the exact values.

    Raises:
        ValueError: a key the format can't hold (a space in a binary file, a line break in a
            text file: use ``"cache"``), duplicate keys, mismatched lengths.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.txt.gz")
    >>> save_vectors(["我", "你"], np.array([[0.5, 1.0], [-1.5, 2.0]], np.float32), path)
    >>> load_vectors(path)[2].compression
    'gzip'
    """
    _check_format(format, allow_auto=False)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D (keys, dim) array, got shape {vectors.shape}")
    if not np.issubdtype(vectors.dtype, np.floating):
        raise TypeError(f"vectors must be floating point, got dtype {vectors.dtype}")
    keys = [k if isinstance(k, str) else str(k) for k in keys]
    if len(keys) != vectors.shape[0]:
        raise ValueError(
            f"got {len(keys):,} keys but {vectors.shape[0]:,} vectors; they must match"
        )
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        dup = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"keys must be unique; {dup!r} appears more than once")
    if compression is None:
        compression = compression_from_name(path)
    elif compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS} or None, got {compression!r}")

    if format == "cache":
        if compression is not None:
            raise ValueError("a cache is a directory of .npy + keys; it can't be compressed")
        write_cache(path, keys, vectors)
        return

    "".encode(encoding)  # an unknown encoding fails before the file is touched
    write: Callable[[Any], None]
    if format == "word2vec-binary":
        check_binary_keys(keys)

        def write(out: Any) -> None:
            write_binary(out, keys, vectors, encoding=encoding)

    else:
        check_text_keys(keys)

        def write(out: Any) -> None:
            write_text(out, keys, vectors, header=format == "word2vec", encoding=encoding)

    with atomic_write(path, "wb") as raw, compressing(raw, compression) as out:
        write(out)
