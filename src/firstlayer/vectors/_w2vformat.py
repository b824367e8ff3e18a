"""gensim's ``load_word2vec_format`` / ``save_word2vec_format``, with its arguments and the
vocabulary-count file (``fvocab``: one ``word count`` line per key, word2vec's ``-save-vocab``).

The vectors are read and written by :mod:`.formats` (the fast readers); this module adds what
gensim's two methods do around them: word counts (``expandos["count"]``) read from ``fvocab`` or
made up as descending numbers, keys written most frequent first (``sort_attr``), ``prefix``,
``append``, ``total_vec`` and ``write_header``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from ._vecattr import descending_counts

if TYPE_CHECKING:
    from .keyed import KeyedVectors

logger = logging.getLogger(__name__)


def _check_fvocab(fvocab: Any, method: str) -> None:
    """gensim's second argument is ``fvocab`` (a path); ``binary`` is the third. A bool here is
    a call written for the older ``(fname, binary)`` order: refuse it rather than open a file
    named ``True``."""
    if isinstance(fvocab, (bool, np.bool_)):
        raise TypeError(
            f"{method}(fname, fvocab, binary, ...): the second argument is fvocab, the path of a "
            f"vocabulary-count file, got {fvocab!r}; pass binary={fvocab!r} by keyword"
        )


def read_counts(fvocab: str | os.PathLike, encoding: str, unicode_errors: str) -> dict[str, int]:
    """``word -> count`` from a vocabulary file of ``word count`` lines (gzip/bz2/xz too).

    Raises:
        ValueError: a line that is not two fields, the second an integer (naming the line).
    """
    from .formats._open import open_read

    counts: dict[str, int] = {}
    with open_read(fvocab) as (stream, _, _):
        for line_no, raw in enumerate(stream, 1):
            fields = raw.decode(encoding, unicode_errors).split()
            if not fields:
                continue
            try:
                word, count = fields
                counts[word] = int(count)
            except ValueError:
                raise ValueError(
                    f"{os.fspath(fvocab)!r}, line {line_no}: expected 'word count', got "
                    f"{raw[:80]!r}"
                ) from None
    return counts


def load_word2vec_format(
    cls: type[KeyedVectors],
    fname: str | os.PathLike,
    fvocab: str | os.PathLike | None = None,
    binary: bool = False,
    encoding: str = "utf8",
    unicode_errors: str = "strict",
    limit: int | None = None,
    datatype: DTypeLike = np.float32,
    no_header: bool = False,
    **kw: Any,
) -> KeyedVectors:
    """See :meth:`KeyedVectors.load_word2vec_format`."""
    from .formats import load_vectors

    _check_fvocab(fvocab, "load_word2vec_format")
    if no_header and binary:
        raise NotImplementedError(
            "no_header=True works only with text files (binary=False): a binary file needs its "
            "'count dim' header to find the records"
        )
    if "dtype" in kw:  # firstlayer.vectors.load's name for datatype
        datatype = kw.pop("dtype")
    counts = None if fvocab is None else read_counts(fvocab, encoding, unicode_errors)
    fmt = "word2vec-binary" if binary else ("glove" if no_header else "word2vec")
    keys, vectors, report = load_vectors(
        fname, fmt, limit=limit or None,  # gensim: limit=0 reads everything
        encoding=encoding, unicode_errors=unicode_errors, dtype=datatype, **kw,
    )
    kv = cls.from_arrays(keys, vectors)
    kv.load_report = report  # type: ignore[attr-defined]
    if counts is None:
        kv.expandos["count"] = descending_counts(len(keys))
    else:
        kv.expandos["count"] = _counts_of(keys, counts, fvocab)
    return kv


def _counts_of(keys: Any, counts: dict[str, int], fvocab: Any) -> np.ndarray:
    values = np.fromiter((counts.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    missing = np.flatnonzero(values < 0)
    if missing.size:
        shown = ", ".join(repr(keys[int(i)]) for i in missing[:5])
        warnings.warn(
            f"vocabulary file {os.fspath(fvocab)!r} has no count for {missing.size} of the "
            f"{len(keys)} words ({shown}{', ...' if missing.size > 5 else ''}); their count is 0",
            stacklevel=3,
        )
        values[missing] = 0
    return values


def _write_order(kv: KeyedVectors, sort_attr: str, fvocab: Any) -> np.ndarray:
    """The rows in the order gensim writes them: a leading run of int keys equal to their row
    (Doc2Vec's plain tags) stays first; the rest by descending ``sort_attr`` (stable)."""
    n = len(kv)
    lead = 0
    for i, key in enumerate(kv.index_to_key):
        if isinstance(key, str) or key != i:
            break
        lead += 1
    if sort_attr in kv.expandos:
        kv.allocate_vecattrs()
        values = kv.expandos[sort_attr][lead:]
        rest = lead + np.argsort(-values, kind="stable")
    else:
        if fvocab is not None:
            raise ValueError(
                f"can't write the vocabulary file: no key has the attribute {sort_attr!r} "
                f"(set it with set_vecattr, or load the vectors with load_word2vec_format)"
            )
        logger.warning(
            "attribute %s not present in %s; will store in internal index_to_key order",
            sort_attr, kv,
        )
        rest = np.arange(lead, n)
    return np.concatenate([np.arange(lead), rest]).astype(np.int64)


@contextlib.contextmanager
def _output(path: str | os.PathLike, append: bool) -> Iterator[IO[bytes]]:
    """A file to write (compressed by its extension, as gensim's ``utils.open``): replaced
    atomically, or appended to (a compressed file gets one more compressed member)."""
    from .._atomic import atomic_write
    from .formats._open import compressing, compression_from_name

    compression = compression_from_name(path)
    opener = open(path, "ab") if append else atomic_write(path, "wb")  # noqa: SIM115
    with opener as raw, compressing(raw, compression) as out:
        yield out


def save_word2vec_format(
    kv: KeyedVectors,
    fname: str | os.PathLike,
    fvocab: str | os.PathLike | None = None,
    binary: bool = False,
    total_vec: int | None = None,
    write_header: bool = True,
    prefix: str = "",
    append: bool = False,
    sort_attr: str = "count",
) -> None:
    """See :meth:`KeyedVectors.save_word2vec_format`."""
    from .formats.binary import check_binary_keys, write_binary
    from .formats.text import check_text_keys, write_text

    _check_fvocab(fvocab, "save_word2vec_format")
    if total_vec is None:
        total_vec = len(kv)
    order = _write_order(kv, sort_attr, fvocab)
    index_to_key = kv.index_to_key
    keys = [f"{prefix}{index_to_key[i]}" for i in order.tolist()]
    if binary:
        check_binary_keys(keys)
    else:
        check_text_keys(keys)
    vectors = kv.vectors
    assert vectors.shape == (len(kv), kv.vector_size), "every key needs its vector"
    rows = vectors if np.array_equal(order, np.arange(len(order))) else vectors[order]

    if fvocab is not None:
        values = kv.expandos[sort_attr][order]
        logger.info("storing vocabulary in %s", fvocab)
        with _output(fvocab, append) as out:
            out.write("".join(f"{k} {v}\n" for k, v in zip(keys, values.tolist()))
                      .encode("utf8"))
    logger.info("storing %sx%s projection weights into %s", total_vec, kv.vector_size, fname)
    with _output(fname, append) as out:
        if write_header:
            out.write(f"{total_vec} {kv.vector_size}\n".encode())
        if binary:
            write_binary(out, keys, rows, encoding="utf8", header=False)
        else:
            write_text(out, keys, rows, header=False, encoding="utf8")
