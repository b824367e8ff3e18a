"""``"word2vec-binary"``: the original word2vec tool's binary format, as gensim reads and
writes it.

A text header ``"count dim\\n"``, then per vector the word's bytes, one space and ``dim``
little-endian float32 values (``4 * dim`` raw bytes). The C tool also writes a newline after each
vector; gensim does not; both are read (a newline before a word is skipped).

Words have no length prefix, so records can only be found one after the other. A compiled loop
(:mod:`._kernels`: C, or numba's :mod:`._binary_kernels`, loaded on the first read) walks a
batch of records: it notes each word's span, gathers the words into one ``"\\n"``-joined
buffer (decoded with a single ``bytes.decode``) and, when every row is kept as float32, copies
each vector straight into the output matrix in the same pass. Otherwise (``vocab=``, another
``dtype``) the kept rows are copied once the batch's keys have been chosen.
"""

from __future__ import annotations

import contextlib
import mmap
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

import numpy as np

from ._decode import decode_words
from ._rows import GrowingRows
from ._select import RowSelector
from .detect import UTF8_BOM, parse_header
from .errors import TruncatedVectorFileError, VectorDecodeError, VectorFileError

BLOCK_BYTES = 1 << 21  # bytes read at a time from a compressed file
_HEAD_BYTES = 1 << 12  # the header line is found in the first bytes
_BATCH = 1 << 14  # records handled at a time
_WORD_BYTES = 1 << 20  # the buffer a batch's words are joined in (a batch stops when it is full)
_COPY_ROWS_BYTES = 1 << 18  # rows gathered at a time after the walk (they stay in cache)
_MAX_WORD_BYTES = 1 << 12  # no real word is longer; more means the header's dim is wrong
_ROWS_PER_WRITE = 1 << 12
_FILE_F32 = np.dtype("<f4")  # the file's numbers
# A memory-mapped file's pages count in the process's resident memory once read; the pages
# already walked are handed back every this many bytes (the file would double the peak).
_RELEASE_BYTES = 1 << 23


class _Source:
    """The file's bytes as ``buf`` (and ``data``, the same bytes as a uint8 array), a window at
    a time: all of it, memory-mapped, for a plain file (nothing is copied but the vectors
    kept); read a block at a time from a decompressing stream otherwise. ``start`` is the file
    offset of ``buf[0]``."""

    def __init__(self, stream: IO[bytes], raw: IO[bytes] | None) -> None:
        self.stream, self.raw = stream, raw
        self.map: mmap.mmap | None = None
        self.start = 0
        self.released = 0  # bytes of the map before this were handed back
        self.eof = False
        if raw is not None:
            try:
                self.map = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError, AttributeError):  # not a regular file: stream it
                self.map = None
        if self.map is not None:
            self.buf: Any = self.map
            self.eof = True
        else:
            self.buf = stream.read(max(BLOCK_BYTES, _HEAD_BYTES))  # the header in one piece
            self.eof = not self.buf
        self.data: np.ndarray = np.frombuffer(self.buf, dtype=np.uint8)

    def refill(self, pos: int) -> int:
        """Drop ``buf[:pos]``, read more; returns the new offset of what was at ``pos``."""
        more = self.stream.read(BLOCK_BYTES)
        self.eof = not more
        self.start += pos
        self.buf = self.buf[pos:] + more
        self.data = np.frombuffer(self.buf, dtype=np.uint8)
        return 0

    def progress(self, pos: int) -> None:
        """The walk got to ``pos``: move the progress bar, and drop the pages of the map
        before it from the process's memory (they stay in the page cache; read again, they
        come back)."""
        if self.map is not None and self.raw is not None:
            self.raw.seek(pos)  # progress bars follow the file position
            done = pos - pos % mmap.PAGESIZE
            if done - self.released >= _RELEASE_BYTES and hasattr(mmap, "MADV_DONTNEED"):
                self.map.madvise(mmap.MADV_DONTNEED, self.released, done - self.released)
                self.released = done

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.buf = b""
        self.data = np.empty(0, dtype=np.uint8)  # the map can't close while a view is alive
        if self.map is not None:
            with contextlib.suppress(BufferError):  # a view still alive: the GC closes it
                self.map.close()


def _append_vectors(rows: GrowingRows, data: np.ndarray, spaces: np.ndarray, record: int) -> None:
    """Append the vectors after ``spaces`` (``(k,)`` offsets into ``data``) to ``rows``, a few
    hundred KB at a time through a float32 scratch block (copies that stay in cache are several
    times faster than one big one; ``rows`` converts to its dtype)."""
    from . import _kernels as kernels

    step = max(1, _COPY_ROWS_BYTES // record)
    scratch = np.empty((min(step, spaces.size), record // 4), dtype=_FILE_F32)
    for lo in range(0, spaces.size, step):
        part = spaces[lo : lo + step]
        kernels.copy_vectors(data, part, record, scratch.view(np.uint8))
        rows.append(scratch[: part.size])


def read_binary(
    stream: IO[bytes],
    raw: IO[bytes] | None,
    *,
    name: str,
    selector: RowSelector,
    dtype: np.dtype,
    encoding: str,
    unicode_errors: str,
    on_block: Callable[[], None],
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Read a ``"word2vec-binary"`` file: ``stream`` its (decompressed) bytes, ``raw`` the
    plain file itself if it is not compressed (then it is memory-mapped). Returns ``(keys,
    matrix, report fields)``."""
    with _Source(stream, raw) as source:
        from . import _kernels as kernels  # C (or numba): loaded on first use only

        head = bytes(source.buf[:_HEAD_BYTES])
        bom = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
        newline = head.find(b"\n")
        header = parse_header(head[bom:newline]) if newline >= 0 else None
        if header is None:
            raise VectorFileError(
                f"{name}: a word2vec binary file starts with a 'count dim' line; this one starts "
                f"with {head[:40]!r}"
            )
        count, dim = header
        if dim < 1:
            raise VectorFileError(f"{name}: the header says the vectors have {dim} dimensions")
        record = 4 * dim
        capacity = count if selector.words is None else 1024
        if source.map is not None:  # a header from another file must not allocate terabytes
            capacity = min(capacity, len(source.buf) // (record + 1) + 1)
        if selector.limit is not None:
            capacity = min(capacity, selector.limit)
        rows = GrowingRows(dim, dtype, capacity)
        # Every row kept, as float32: the walk copies the vectors straight into the matrix (while
        # there is room in it; rows beyond the header's count take the other way, which grows it).
        direct = selector.words is None and dtype == _FILE_F32
        starts = np.empty(_BATCH, dtype=np.int64)
        spaces = np.empty(_BATCH, dtype=np.int64)
        words = np.empty(max(_WORD_BYTES, 2 * _MAX_WORD_BYTES + 2), dtype=np.uint8)
        no_rows = np.empty((0, record), dtype=np.uint8)
        repaired = 0
        pos = newline + 1
        while True:
            room = selector.room()
            most = _BATCH if room is None else min(room, _BATCH)
            out = rows.spare(most).view(np.uint8) if direct else no_rows
            copied = out.shape[0] > 0
            if copied:
                most = out.shape[0]
            n, pos, used, full = kernels.read_records(
                source.data, pos, record, most, _MAX_WORD_BYTES, starts, spaces, words, out
            )
            del out  # no view of the matrix may outlive the call: it is resized in place
            if copied:
                rows.commit(n)
            if n:
                keys, fixed = _decode(
                    words[:used],
                    source.data,
                    starts[:n],
                    spaces[:n],
                    source.start,
                    name,
                    encoding,
                    unicode_errors,
                )
                repaired += fixed
                keep = selector.choose(keys)
                if not copied:
                    kept = spaces[:n] if keep is None else spaces[:n][keep]
                    if kept.size:
                        _append_vectors(rows, source.data, kept, record)
                source.progress(pos)
                on_block()
            if selector.done:
                break
            if full:  # a full batch: there may be more in buf
                continue
            if source.eof:
                break
            if len(source.buf) - pos >= _MAX_WORD_BYTES + record and not n:
                raise VectorFileError(
                    f"{name}: no word found at byte {source.start + pos:,} "
                    f"({bytes(source.buf[pos : pos + 40])!r}); the header's dim ({dim}) may be "
                    "wrong, or this is not a word2vec binary file"
                )
            pos = source.refill(pos)

        tail = bytes(source.buf[pos:]).strip()
        at = source.start + pos
        fields: dict[str, Any] = {"lines_repaired": repaired, "header_count": count}
        if not selector.done:
            if selector.read < count:
                raise TruncatedVectorFileError(
                    f"{name}: the header promises {count:,} vectors of {dim} dims but the file "
                    f"ends after {selector.read:,} complete ones (byte {at:,}); it is "
                    f"truncated. Pass limit={selector.read} to load those"
                )
            if selector.read > count:
                warnings.warn(
                    f"{name}: the header says {count:,} vectors but the file holds "
                    f"{selector.read:,}; all of them were loaded",
                    stacklevel=3,
                )
            if tail:
                warnings.warn(
                    f"{name}: {len(tail):,} bytes after the last complete vector were ignored",
                    stacklevel=3,
                )
        keep_rows, more_fields = selector.finish(name)
        fields.update(more_fields)
        if keep_rows is not None:
            rows.keep(keep_rows)
        return selector.keys, rows.finish(), fields


def _decode(
    joined: np.ndarray,
    data: np.ndarray,
    starts: np.ndarray,
    spaces: np.ndarray,
    start: int,
    name: str,
    encoding: str,
    unicode_errors: str,
) -> tuple[list[str], int]:
    """Decode a batch's words: all at once from ``joined`` (the words separated by newlines)
    when they are valid, else word by word (``data[starts[i]:spaces[i]]``; ``start`` is the
    file offset of ``data[0]``, for the error message). Returns the keys and how many were
    repaired."""

    def invalid(i: int, word: bytes, bad: bytes) -> Exception:
        return VectorDecodeError(  # also a UnicodeDecodeError, as gensim raises
            f"{name}, byte {start + int(starts[i]):,}: the bytes {bad!r} (in the word "
            f"{word[:60]!r}) are not valid {encoding}. To load the file anyway pass "
            "unicode_errors='replace' (or 'ignore'); if the words are in another "
            "encoding, pass it, e.g. encoding='latin-1'. (Garbage words can also mean "
            "the header's dim is wrong.)",
            word, encoding,
        )

    def words() -> list[bytes]:
        return [data[lo:hi].tobytes() for lo, hi in zip(starts.tolist(), spaces.tolist())]

    return decode_words(joined.tobytes(), starts.size, words, encoding, unicode_errors, invalid)


def check_binary_keys(keys: Sequence[str]) -> None:
    """Keys a binary file can hold: no space (it ends the word), no leading newline."""
    for key in keys:
        if " " in key or key.startswith("\n"):
            raise ValueError(
                f"the key {key!r} can't be written to a word2vec binary file (a space ends a "
                "word there, a leading newline is skipped); use format='cache' or a text format"
            )


def write_binary(
    out: IO[bytes], keys: Sequence[str], vectors: np.ndarray, *, encoding: str,
    header: bool = True,
) -> None:
    """Write the header (if ``header``) and one ``word<space><float32 bytes>`` record per
    vector (gensim's layout: no newline after the vector)."""
    count, dim = vectors.shape
    if header:
        out.write(f"{count} {dim}\n".encode())
    record = 4 * dim
    for lo in range(0, count, _ROWS_PER_WRITE):
        data = np.ascontiguousarray(vectors[lo : lo + _ROWS_PER_WRITE], dtype="<f4").tobytes()
        names = keys[lo : lo + _ROWS_PER_WRITE]
        out.write(
            b"".join(
                name.encode(encoding) + b" " + data[i * record : (i + 1) * record]
                for i, name in enumerate(names)
            )
        )
