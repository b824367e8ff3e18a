"""Open a vector file for reading or writing, plain or gzip/bz2/xz compressed.

Reading sniffs the compression from the first bytes (the magic numbers), never from the name:
files get renamed, and ``.gz`` files are sometimes not compressed. Writing picks it from the
file name's extension (``.gz``, ``.bz2``, ``.xz``) unless told.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from collections.abc import Iterator
from typing import IO

from .errors import TruncatedVectorFileError

MAGIC: dict[str, bytes] = {
    "gzip": b"\x1f\x8b",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
}
EXTENSIONS: dict[str, str] = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz"}
COMPRESSIONS = ("gzip", "bz2", "xz")
# gzip's own default (the command line tool's); Python's default 9 is several times slower
# for a few percent smaller files.
_GZIP_LEVEL = 6


def sniff_compression(head: bytes) -> str | None:
    """``"gzip"``, ``"bz2"``, ``"xz"`` or ``None`` from a file's first bytes.

    >>> sniff_compression(b"\\x1f\\x8b\\x08\\x00"), sniff_compression(b"3 300\\n")
    ('gzip', None)
    """
    for name, magic in MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def compression_from_name(path: str | os.PathLike) -> str | None:
    """The compression a file name asks for by its extension (``None``: plain).

    >>> compression_from_name("vectors.txt.gz"), compression_from_name("vectors.vec")
    ('gzip', None)
    """
    return EXTENSIONS.get(os.path.splitext(os.fspath(path))[1].lower())


def _decompressing(raw: IO[bytes], compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if compression == "xz":
        return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]
    return raw


class _Decompressed:
    """A decompressing stream whose damage (a cut-off or corrupt gzip/bz2/xz file) surfaces as
    :class:`TruncatedVectorFileError` naming the file, not as a bare ``EOFError``/``OSError``."""

    def __init__(self, stream: IO[bytes], name: str, compression: str) -> None:
        self.stream, self.name, self.compression = stream, name, compression

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as err:
            raise TruncatedVectorFileError(
                f"{self.name}: the {self.compression} data is damaged or cut off ({err})"
            ) from err

    def readinto(self, buffer: memoryview) -> int:
        try:
            return self.stream.readinto(buffer)  # type: ignore[attr-defined,no-any-return]
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as err:
            raise TruncatedVectorFileError(
                f"{self.name}: the {self.compression} data is damaged or cut off ({err})"
            ) from err

    def close(self) -> None:
        self.stream.close()


@contextlib.contextmanager
def open_read(path: str | os.PathLike) -> Iterator[tuple[IO[bytes], IO[bytes], str | None]]:
    """``(stream, raw, compression)``: ``stream`` yields the decompressed bytes, ``raw`` is the
    file on disk (its ``tell()`` drives progress bars)."""
    with open(path, "rb") as raw:
        compression = sniff_compression(raw.read(8))
        raw.seek(0)
        if compression is None:
            yield raw, raw, None
            return
        stream = _Decompressed(_decompressing(raw, compression), repr(os.fspath(path)), compression)
        try:
            yield stream, raw, compression  # type: ignore[misc]
        finally:
            stream.close()


def read_head(path: str | os.PathLike, size: int = 1 << 16) -> tuple[bytes, str | None]:
    """The first ``size`` decompressed bytes of a file and its compression."""
    with open_read(path) as (stream, _, compression):
        return stream.read(size), compression


@contextlib.contextmanager
def compressing(raw: IO[bytes], compression: str | None) -> Iterator[IO[bytes]]:
    """Wrap the (temporary) file ``raw`` opened for writing so that bytes written are
    compressed; closing the wrapper flushes the compressor but leaves ``raw`` open."""
    if compression is None:
        yield raw
        return
    if compression == "gzip":
        out: IO[bytes] = gzip.GzipFile(  # type: ignore[assignment]
            # No file name (the temporary's) and no time stamp in the header: the same
            # vectors give the same bytes.
            filename="",
            fileobj=raw,
            mode="wb",
            compresslevel=_GZIP_LEVEL,
            mtime=0,
        )
    elif compression == "bz2":
        out = bz2.BZ2File(raw, mode="wb")  # type: ignore[assignment]
    elif compression == "xz":
        out = lzma.LZMAFile(raw, mode="wb")  # type: ignore[assignment]
    else:
        raise ValueError(f"compression must be one of {COMPRESSIONS} or None, got {compression!r}")
    try:
        yield out
    finally:
        out.close()
