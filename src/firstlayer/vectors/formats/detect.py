"""Tell vector file formats apart from their content, not their names.

* ``"cache"``: a directory holding ``meta.json`` (our own format, see :mod:`.cache`).
* ``"word2vec"``: text whose first line is a header of two integers, ``"count dim"``
  (fastText's ``.vec`` files are this), then one ``word x1 ... xdim`` line per vector.
* ``"glove"``: the same lines without the header.
* ``"word2vec-binary"``: the same header, then per vector the word, a space and ``dim``
  little-endian float32 values as raw bytes.

Compression (gzip/bz2/xz) is detected first, from the magic bytes, and the rest is read from
the decompressed bytes. Files that are something else entirely (a pickle, a ``.npy``, a fastText
``.bin`` model, UTF-16 text) get an error that says what they look like.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._open import read_head
from .errors import VectorFileError

FORMATS = ("word2vec", "glove", "word2vec-binary", "cache")
CACHE_MARKER = "firstlayer-vectors-cache"
CACHE_META = "meta.json"
UTF8_BOM = b"\xef\xbb\xbf"
_NUMBER_BYTES = frozenset(b"0123456789.-+eE \t\r\n")
# Bytes a text line never holds (raw float32 bytes nearly always do).
_CONTROL_BYTES = frozenset(range(32)) - frozenset(b"\t\r\n")
_MAX_KEY_BYTES = 1 << 12  # a binary file's first word is shorter than this
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")


def parse_header(line: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` if ``line`` is a word2vec header (two non-negative integers).

    >>> parse_header(b"400000 300\\r\\n"), parse_header(b"the 0.1 0.2")
    ((400000, 300), None)
    """
    fields = line.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        return int(fields[0]), int(fields[1])
    return None


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _foreign(head: bytes) -> str | None:
    """What the file is if it is not a vector file we read, else None."""
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array (save vectors with their keys: format='cache')"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive (.zip/.npz): unzip it first"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (
            "a Python pickle (gensim's KeyedVectors.save() / model.save()); firstlayer never "
            "unpickles files (that can run code): in gensim, call "
            "kv.save_word2vec_format(path) and load that"
        )
    if head.startswith(_FASTTEXT_MAGIC):
        return (
            "a fastText .bin model, not word2vec binary vectors: load the .vec file fastText "
            "ships next to it (format 'word2vec')"
        )
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: convert it to UTF-8 first (e.g. iconv -f UTF-16 -t UTF-8)"
    return None


def sniff_format(head: bytes, name: str = "the file") -> str:
    """The format of a vector file from its first (decompressed) bytes.

    >>> sniff_format(b"2 3\\nthe 0.1 0.2 0.3\\n"), sniff_format(b"the 0.1 0.2 0.3\\n")
    ('word2vec', 'glove')
    >>> sniff_format(b"1 2\\nthe " + bytes(8))
    'word2vec-binary'
    """
    head = head.removeprefix(UTF8_BOM)
    if not head.strip():
        raise VectorFileError(f"{name} is empty")
    foreign = _foreign(head)
    if foreign:
        raise VectorFileError(f"{name} is not a vector file: it looks like {foreign}")
    newline = head.find(b"\n")
    first = head if newline < 0 else head[:newline]
    header = parse_header(first)
    if header is None:
        fields = first.split()
        if len(fields) >= 2 and _is_number(fields[-1]):
            return "glove"
        raise VectorFileError(
            f"{name} is not a vector file this reader knows: its first line "
            f"{first[:80]!r} is neither a 'count dim' header nor 'word x1 x2 ...'"
        )
    count, dim = header
    rest = head[newline + 1 :] if newline >= 0 else b""
    if count == 0 or not rest.strip():
        return "word2vec"  # nothing after the header: text and binary are the same
    # Text if the first lines look like "word x1 x2 ..." (however many numbers: a header that
    # disagrees with the lines is the text reader's error to report, with both counts).
    lines = rest.split(b"\n")
    if len(head) >= (1 << 16):
        lines = lines[:-1]  # the last one may be cut off
    sample = [line for line in lines[:5] if line.strip()]
    if sample and all(_text_line(line) for line in sample):
        return "word2vec"
    if not sample:  # a line longer than the sample: are the bytes after the word numbers?
        space = rest.find(b" ")
        if space >= 0 and set(rest[space + 1 : space + 1 + 4 * max(dim, 1)]) <= _NUMBER_BYTES:
            return "word2vec"
    space = rest.find(b" ")
    if 0 <= space < _MAX_KEY_BYTES and not set(rest[:space]) & _CONTROL_BYTES:
        return "word2vec-binary"
    raise VectorFileError(
        f"{name}: the header says {count:,} vectors of {dim} dims, but what follows is "
        f"neither text lines 'word x1 ... x{dim}' nor binary 'word <{dim} float32>' "
        f"records: {rest[:60]!r}"
    )


def _text_line(line: bytes) -> bool:
    """Whether ``line`` looks like ``word x1 x2 ...``: no control bytes, a number at the end."""
    if set(line) & _CONTROL_BYTES:
        return False
    fields = line.split()
    return len(fields) >= 2 and _is_number(fields[-1])


def is_cache(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory in firstlayer's cache format."""
    return (Path(path) / CACHE_META).is_file()


def detect_format(path: str | os.PathLike) -> str:
    """The format of the vector file (or cache directory) at ``path``: one of
    ``"word2vec"``, ``"glove"``, ``"word2vec-binary"``, ``"cache"``; from the content.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
    >>> _ = open(path, "w").write("the 0.1 0.2\\n")
    >>> detect_format(path)
    'glove'
    """
    p = Path(path)
    if p.is_dir():
        if is_cache(p):
            return "cache"
        raise VectorFileError(
            f"{str(p)!r} is a directory without {CACHE_META}: not a firstlayer vector cache"
        )
    if not p.exists():
        raise FileNotFoundError(f"no such vector file: {str(p)!r}")
    head, _ = read_head(p)
    return sniff_format(head, repr(str(p)))
