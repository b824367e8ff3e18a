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

import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

import numpy as np

from ._rows import GrowingRows
from ._select import RowSelector
from .detect import UTF8_BOM, parse_header
from .errors import TruncatedVectorFileError, VectorFileError

BLOCK_BYTES = 1 << 21
_COPY_BYTES = 1 << 18
_MAX_WORD_BYTES = 1 << 12  # no real word is longer; more means the header's dim is wrong
_ROWS_PER_WRITE = 1 << 12


def _records(
    buf: bytes, pos: int, record: int, room: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Word start/end offsets of the complete records in ``buf`` from ``pos`` (at most
    ``room``), and the offset after the last one."""
    spaces: list[int] = []
    end = len(buf)
    find, add = buf.find, spaces.append
    first = pos
    for _ in range(end if room is None else room):
        space = find(b" ", pos, pos + _MAX_WORD_BYTES)
        if space < 0 or space + 1 + record > end:
            break
        add(space)
        pos = space + 1 + record
    ends = np.asarray(spaces, dtype=np.int64)
    starts = np.empty_like(ends)
    if ends.size:
        starts[0] = first
        starts[1:] = ends[:-1] + 1 + record
        # The C tool writes a newline after each vector; a word never starts with one.
        starts += np.frombuffer(buf, dtype=np.uint8)[starts] == 0x0A
    return starts, ends, pos


def read_binary(
    stream: IO[bytes],
    *,
    name: str,
    selector: RowSelector,
    dtype: np.dtype,
    encoding: str,
    unicode_errors: str,
    on_block: Callable[[], None],
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Read a ``"word2vec-binary"`` stream; returns ``(keys, matrix, report fields)``."""
    buf = stream.read(BLOCK_BYTES).removeprefix(UTF8_BOM)
    newline = buf.find(b"\n")
    header = parse_header(buf[:newline]) if newline >= 0 else None
    if header is None:
        raise VectorFileError(
            f"{name}: a word2vec binary file starts with a 'count dim' line; this one starts "
            f"with {buf[:40]!r}"
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
    consumed = 0  # bytes of the file before buf
    at_eof = False
    while True:
        starts, ends, pos = _records(buf, pos, record, selector.room())
        if starts.size:
            raw = [buf[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
            joined = b"\n".join(raw)
            if joined.startswith(b"\n") or b"\n\n" in joined:  # more newlines than C writes
                raw = [word.lstrip(b"\n") for word in raw]
                joined = b"\n".join(raw)
            keys, fixed = _decode(
                raw, joined, name, consumed, starts.tolist(), encoding, unicode_errors
            )
            repaired += fixed
            keep = selector.choose(keys)
            offsets = ends + 1
            if keep is not None:
                offsets = offsets[keep]
            if offsets.size:
                view = np.ndarray(
                    shape=(len(buf) - record + 1,), dtype=f"V{record}", buffer=buf, strides=(1,)
                )
                # A few hundred KB at a time: copies that stay in cache are several times
                # faster than one big copy.
                step = max(1, _COPY_BYTES // record)
                for lo in range(0, offsets.size, step):
                    rows.gather(view, offsets[lo : lo + step])
        if selector.done or at_eof:
            break
        if len(buf) - pos >= _MAX_WORD_BYTES + record and not starts.size:
            raise VectorFileError(
                f"{name}: no word found at byte {consumed + pos:,} ({buf[pos : pos + 40]!r}); the "
                f"header's dim ({dim}) may be wrong, or this is not a word2vec binary file"
            )
        more = stream.read(BLOCK_BYTES)
        on_block()
        at_eof = not more
        consumed += pos
        buf = buf[pos:] + more
        pos = 0

    tail = buf[pos:].strip()
    fields: dict[str, Any] = {"lines_repaired": repaired, "header_count": count}
    if not selector.done:
        if selector.read < count:
            raise TruncatedVectorFileError(
                f"{name}: the header promises {count:,} vectors of {dim} dims but the file ends "
                f"after {selector.read:,} complete ones (byte {consumed + pos:,}); it is "
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
    raw: list[bytes],
    joined: bytes,
    name: str,
    consumed: int,
    starts: list[int],
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
    for word, start in zip(raw, starts):
        try:
            keys.append(word.decode(encoding))
        except UnicodeDecodeError as err:
            if unicode_errors == "strict":
                bad = word[max(err.start - 12, 0) : err.end + 12]
                raise VectorFileError(
                    f"{name}, byte {consumed + start:,}: the bytes {bad!r} (in the word "
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
