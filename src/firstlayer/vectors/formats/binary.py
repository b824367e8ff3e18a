"""``"word2vec-binary"``: the original word2vec tool's binary format, as gensim reads and
writes it.

A text header ``"count dim\\n"``, then per vector the word's bytes, one space and ``dim``
little-endian float32 values (``4 * dim`` raw bytes). The C tool also writes a newline after each
vector; gensim does not; both are read (a newline before a word is skipped).

Words have no length prefix, so records can only be found one after the other: a short Python
loop (``bytes.find`` for the space) walks a block of records, and one gather copies all their
vectors out at once (a ``'V{4*dim}'`` view of the block with a 1-byte stride: element ``i`` is
the ``4*dim`` bytes starting at byte ``i``).
"""

from __future__ import annotations

import contextlib
import mmap
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

import numpy as np

from ._rows import GrowingRows
from ._select import RowSelector
from .detect import UTF8_BOM, parse_header
from .errors import TruncatedVectorFileError, VectorFileError

BLOCK_BYTES = 1 << 21  # bytes read at a time from a compressed file
_BATCH = 1 << 14  # records handled at a time
_COPY_BYTES = 1 << 18
_MAX_WORD_BYTES = 1 << 12  # no real word is longer; more means the header's dim is wrong
_ROWS_PER_WRITE = 1 << 12


def _records(buf: Any, pos: int, record: int, most: int) -> tuple[list[bytes], list[int], int]:
    """The words (raw bytes) and space offsets of up to ``most`` complete records in ``buf``
    from ``pos``, and the offset after the last one."""
    words: list[bytes] = []
    spaces: list[int] = []
    end = len(buf)
    find, add_word, add_space = buf.find, words.append, spaces.append
    for _ in range(most):
        space = find(b" ", pos, pos + _MAX_WORD_BYTES)
        if space < 0 or space + 1 + record > end:
            break
        add_word(buf[pos:space])
        add_space(space)
        pos = space + 1 + record
    return words, spaces, pos


class _Source:
    """The file's bytes as ``buf``, a window at a time: all of it, memory-mapped, for a plain
    file (nothing is copied but the vectors kept); read a block at a time from a decompressing
    stream otherwise. ``start`` is the file offset of ``buf[0]``."""

    def __init__(self, stream: IO[bytes], raw: IO[bytes] | None) -> None:
        self.stream, self.raw = stream, raw
        self.map: mmap.mmap | None = None
        self.start = 0
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
            self.buf = stream.read(BLOCK_BYTES)
            self.eof = not self.buf

    def refill(self, pos: int) -> int:
        """Drop ``buf[:pos]``, read more; returns the new offset of what was at ``pos``."""
        more = self.stream.read(BLOCK_BYTES)
        self.eof = not more
        self.start += pos
        self.buf = self.buf[pos:] + more
        return 0

    def progress(self, pos: int) -> None:
        if self.map is not None and self.raw is not None:
            self.raw.seek(pos)  # progress bars follow the file position

    def close(self) -> None:
        self.buf = b""
        if self.map is not None:
            with contextlib.suppress(BufferError):  # a view still alive: the GC closes it
                self.map.close()


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
    source = _Source(stream, raw)
    try:
        return _read(source, name, selector, dtype, encoding, unicode_errors, on_block)
    finally:
        source.close()


def _read(
    source: _Source,
    name: str,
    selector: RowSelector,
    dtype: np.dtype,
    encoding: str,
    unicode_errors: str,
    on_block: Callable[[], None],
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    head = bytes(source.buf[:4096])
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
    if selector.limit is not None:
        capacity = min(capacity, selector.limit)
    rows = GrowingRows(dim, dtype, capacity)
    repaired = 0
    pos = newline + 1
    view: np.ndarray | None = None  # 'V{record}' elements starting at every byte of buf
    while True:
        room = selector.room()
        most = _BATCH if room is None else min(room, _BATCH)
        words, spaces, pos = _records(source.buf, pos, record, most)
        if words:
            joined = b"\n".join(words)
            if joined.startswith(b"\n") or b"\n\n" in joined:  # the C tool's newlines
                words = [word.lstrip(b"\n") for word in words]
                joined = b"\n".join(words)
            offsets = np.asarray(spaces, dtype=np.int64)
            keys, fixed = _decode(
                words, joined, name, source.start, offsets, encoding, unicode_errors
            )
            repaired += fixed
            keep = selector.choose(keys)
            offsets += 1
            if keep is not None:
                offsets = offsets[keep]
            if offsets.size:
                if view is None:
                    view = np.ndarray(
                        shape=(len(source.buf) - record + 1,),
                        dtype=f"V{record}",
                        buffer=source.buf,
                        strides=(1,),
                    )
                # A few hundred KB at a time: copies that stay in cache are several times
                # faster than one big copy.
                step = max(1, _COPY_BYTES // record)
                for lo in range(0, offsets.size, step):
                    part = view[offsets[lo : lo + step]]
                    rows.append(part.view("<f4").reshape(-1, dim))
            source.progress(pos)
            on_block()
        if selector.done:
            break
        if len(words) == most:  # a full batch: there may be more in buf
            continue
        if source.eof:
            break
        if len(source.buf) - pos >= _MAX_WORD_BYTES + record and not words:
            raise VectorFileError(
                f"{name}: no word found at byte {source.start + pos:,} "
                f"({bytes(source.buf[pos : pos + 40])!r}); the header's dim ({dim}) may be "
                "wrong, or this is not a word2vec binary file"
            )
        view = None
        pos = source.refill(pos)

    tail = bytes(source.buf[pos:]).strip()
    at = source.start + pos
    view = None
    fields: dict[str, Any] = {"lines_repaired": repaired, "header_count": count}
    if not selector.done:
        if selector.read < count:
            raise TruncatedVectorFileError(
                f"{name}: the header promises {count:,} vectors of {dim} dims but the file ends "
                f"after {selector.read:,} complete ones (byte {at:,}); it is "
                f"truncated. Pass limit={selector.read} to load those"
            )
        if selector.read > count:
            warnings.warn(
                f"{name}: the header says {count:,} vectors but the file holds "
                f"{selector.read:,}; all of them were loaded",
                stacklevel=4,
            )
        if tail:
            warnings.warn(
                f"{name}: {len(tail):,} bytes after the last complete vector were ignored",
                stacklevel=4,
            )
    keep_rows, more_fields = selector.finish(name)
    fields.update(more_fields)
    if keep_rows is not None:
        rows.keep(keep_rows)
    return selector.keys, rows.finish(), fields


def _decode(
    raw: list[bytes],
    joined: bytes,
    name: str,
    start: int,
    spaces: np.ndarray,
    encoding: str,
    unicode_errors: str,
) -> tuple[list[str], int]:
    """Decode a block's words (all at once when valid); returns them and how many were
    repaired."""
    try:
        keys = joined.decode(encoding).split("\n")
        if len(keys) == len(raw):
            return keys, 0
    except UnicodeDecodeError:
        pass
    keys, repaired = [], 0
    for word, space in zip(raw, spaces.tolist()):
        try:
            keys.append(word.decode(encoding))
        except UnicodeDecodeError as err:
            if unicode_errors == "strict":
                bad = word[max(err.start - 12, 0) : err.end + 12]
                raise VectorFileError(
                    f"{name}, byte {start + space - len(word):,}: the bytes {bad!r} (in the word "
                    f"{word[:60]!r}) are not valid {encoding}. To load the file anyway pass "
                    "unicode_errors='replace' (or 'ignore'); if the words are in another "
                    "encoding, pass it, e.g. encoding='latin-1'. (Garbage words can also mean "
                    "the header's dim is wrong.)"
                ) from None
            keys.append(word.decode(encoding, unicode_errors))
            repaired += 1
    return keys, repaired


def check_binary_keys(keys: Sequence[str]) -> None:
    """Keys a binary file can hold: no space (it ends the word), no leading newline."""
    for key in keys:
        if " " in key or key.startswith("\n"):
            raise ValueError(
                f"the key {key!r} can't be written to a word2vec binary file (a space ends a "
                "word there, a leading newline is skipped); use format='cache' or a text format"
            )


def write_binary(
    out: IO[bytes], keys: Sequence[str], vectors: np.ndarray, *, encoding: str
) -> None:
    """Write the header and one ``word<space><float32 bytes>`` record per vector (gensim's
    layout: no newline after the vector)."""
    count, dim = vectors.shape
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
