"""Tell vector file formats apart from their content, not their names.

* ``"cache"``: a directory holding ``meta.json`` (our own format, see :mod:`.cache`).
* ``"word2vec"``: text whose first line is a header of two integers, ``"count dim"``
  (fastText's ``.vec`` files are this), then one ``word x1 ... xdim`` line per vector.
* ``"glove"``: the same lines without the header.
* ``"word2vec-binary"``: the same header, then per vector the word, a space and ``dim``
  little-endian float32 values as raw bytes.
* ``"fasttext-bin"``: a fastText model (``.bin``), told by its magic number 793712314; read
  by :mod:`firstlayer.vectors.fasttext` (words and the character n-grams of unseen words).
* ``"gensim"``: a file gensim's ``save()`` wrote (a pickle naming a gensim class, arrays
  maybe beside it), read without unpickling by :mod:`.gensim_pickle`; other pickles are refused.

Compression (gzip/bz2/xz) is detected first, from the magic bytes, and the rest is read from
the decompressed bytes. Files that are something else entirely (a pickle, a ``.npy``, UTF-16
text) get an error that says what they look like.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._open import read_head
from .errors import VectorFileError
from .gensim_pickle import is_pickle, looks_like_gensim

FORMATS = ("word2vec", "glove", "word2vec-binary", "cache")  # the formats written
# fastText's model file and gensim's save(): read, not written
READ_FORMATS = (*FORMATS, "fasttext-bin", "gensim")
CACHE_MARKER = "firstlayer-vectors-cache"
CACHE_META = "meta.json"
UTF8_BOM = b"\xef\xbb\xbf"
_NUMBER_BYTES = frozenset(b"0123456789.-+eE \t\r\n")
# The bytes of a number in text (whitespace left out: float32 bytes may be 0x20 or 0x0A).
_DIGIT_BYTES = [bytes([b]) for b in b"0123456789.-+eE"]
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
    if is_pickle(head) or head[:1] == b"\x80":
        return (
            "a Python pickle that is not a gensim model or KeyedVectors; firstlayer never "
            "unpickles files (that can run code), and reads only gensim's save() files (their "
            "word vectors, without running the pickle)"
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
    if head.startswith(_FASTTEXT_MAGIC):
        return "fasttext-bin"
    if looks_like_gensim(head):
        return "gensim"
    bom = head.startswith(UTF8_BOM)
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
        # GloVe: the first lines are "word x1 x2 ..." (a damaged one among them is the text
        # reader's error to report, naming the line)
        lines = [line for line in head.split(b"\n")[:5] if line.strip()]
        if any(_text_line(line) for line in lines) and not _looks_binary(head):
            return "glove"
        raise VectorFileError(
            f"{name} is not a vector file this reader knows: its first line "
            f"{first[:80]!r} is neither a 'count dim' header nor 'word x1 x2 ...'"
        )
    count, dim = header
    rest = head[newline + 1 :] if newline >= 0 else b""
    if count == 0 or not rest.strip():
        return "word2vec"  # nothing after the header: text and binary are the same
    # Binary only on evidence that holds for binary: the records line up as the header says
    # and their vectors are not text. Anything else that reads as text is text: a damaged line
    # is the text reader's error to report, naming the line (a header that disagrees with the
    # lines too, with both counts).
    base = len(head) - len(rest) + (len(UTF8_BOM) if bom else 0)  # file offset of rest[0]
    if _binary_records(rest, count, dim, name, base):
        return "word2vec-binary"
    if not _looks_binary(rest):
        return "word2vec"
    raise VectorFileError(
        f"{name}: the header says {count:,} vectors of {dim} dims, but what follows is "
        f"neither text lines 'word x1 ... x{dim}' nor binary 'word <{dim} float32>' "
        f"records (if it is a word2vec binary file, its header's dim is wrong: the records "
        f"don't line up): {rest[:60]!r}"
    )


def _binary_records(rest: bytes, count: int, dim: int, name: str = "", base: int = 0) -> bool:
    r"""Whether ``rest`` (the first bytes after the header, at file offset ``base``) holds
    word2vec binary records of ``dim`` float32: a word, a space and ``4 * dim`` bytes each
    (newlines before a word are the C tool's, skipped), whose vector bytes are not text.

    A text line read this way gives "vectors" of digits, signs and dots (over 80% of the
    bytes, whatever line is damaged); float32 values hold such bytes about one time in 15.
    The evidence is that share across the records read, below one half, and most records
    holding bytes no text line holds (control bytes, invalid UTF-8).
    Records that have that evidence but then stop lining up (no space within 4 KB, words of
    control bytes) are a damaged binary file or a wrong dim: an error saying where.

    >>> _binary_records(b"a " + bytes(8) + b"b " + bytes(8), 2, 2)
    True
    >>> _binary_records(b"a 0.5 1.5\nb 0.\x00 2\n", 2, 2)
    False
    """
    record = 4 * dim
    pos = records = text_bytes = seen = odd_words = text_like = 0
    broken = None
    while records < count and pos < len(rest):
        space = rest.find(b" ", pos, pos + _MAX_KEY_BYTES)
        if space < 0:
            # no word ends here: the layout fails, unless the head (or a truncated file: the
            # reader says so) just ends within a word
            if len(rest) - pos >= _MAX_KEY_BYTES:
                broken = f"no word found at byte {base + pos:,} ({rest[pos:pos + 40]!r})"
            break
        word = rest[pos:space].lstrip(b"\n")
        odd_words += not word or bool(set(word) & _CONTROL_BYTES)
        vector = rest[space + 1 : space + 1 + record]
        if len(vector) < record and (len(vector) < 4 or not vector.strip()):
            break  # too little of a last record (cut by the head's end) to tell either way
        seen += len(vector)
        digits = sum(vector.count(b) for b in _DIGIT_BYTES)
        text_bytes += digits
        text_like += _is_text(vector)
        if len(vector) < record:
            break  # cut off by the end of the head (or a truncated file: the reader says so)
        records += 1
        pos = space + 1 + record
    partial = seen > records * record
    if not seen or text_bytes >= seen / 2 or 2 * text_like >= records + partial:
        return False
    if broken is None and odd_words > max(1, records // 2):
        broken = f"{odd_words} of the first {records} words hold control bytes"
    if broken is not None:
        raise VectorFileError(
            f"{name}: a word2vec binary file whose records stop lining up: {broken}; the "
            f"header's dim ({dim}) may be wrong, or this is not a word2vec binary file"
        )
    return True


def _is_text(chunk: bytes) -> bool:
    r"""Whether ``chunk``, cut from the middle of a file, may be text: not only whitespace, no
    control bytes, valid UTF-8 once a character cut at either end is dropped.

    >>> _is_text("0.5 你".encode()[:-1]), _is_text(b"\xbd\xf2#?"), _is_text(b" \n")
    (True, False, False)
    """
    if not chunk.strip() or set(chunk) & _CONTROL_BYTES:
        return False
    start, end = 0, len(chunk)
    while start < min(3, end) and 0x80 <= chunk[start] < 0xC0:  # the tail of a character
        start += 1
    for k in range(1, min(4, end - start + 1)):  # the head of a character
        lead = chunk[end - k]
        if lead >= 0xC0:
            if (2 if lead < 0xE0 else 3 if lead < 0xF0 else 4) > k:
                end -= k
            break
        if lead < 0x80:
            break
    try:
        chunk[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_binary(data: bytes) -> bool:
    """Whether ``data`` (the first bytes after a header) is binary rather than text, damaged
    or not: control bytes other than ``\\t \\r \\n`` in more than 1% of it (a damaged text
    line holds one or two; float32 data about one byte in eight)."""
    sample = data[:4096]
    control = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    return control > max(4, len(sample) // 100)


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
    ``"word2vec"``, ``"glove"``, ``"word2vec-binary"``, ``"fasttext-bin"``, ``"gensim"``,
    ``"cache"``; from the content.

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
