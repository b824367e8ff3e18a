"""The text formats: ``"word2vec"`` (a ``count dim`` header line, then ``word x1 ... xdim`` per
line; fastText's ``.vec``) and ``"glove"`` (the same lines, no header).

Reading works on blocks of ~0.5 MB of whole lines, never on one line at a time:

1. Find the block's newlines (one ``np.flatnonzero``).
2. Parse every line in one compiled loop (:mod:`._kernels`: C, or numba's
   :mod:`._text_kernels`): in each line the **last ``dim`` tokens are the vector** and
   everything before them is the word, so words may contain spaces (GloVe 840B has
   ``"New York"``-like keys) or non-breaking/full-width spaces (never split: only ASCII
   whitespace separates tokens). Numbers are parsed exactly as ``float()``
   parses them; the rare token the loop does not handle (``nan``, 20 digits) is left to
   ``float()`` here.
3. Decode the words of the block at once, keep only the rows wanted (``limit``, ``vocab``,
   duplicates) and copy them into the growing matrix.

Step 2 runs on worker threads, a few blocks ahead (the loop releases the GIL); steps 1 and 3
stay in file order on the calling thread, so errors are reported in file order.

Writing formats a block of rows in one compiled pass (:mod:`._kernels`: C, or numba's
:mod:`._format_kernels`): the same
digits gensim writes (``str(np.float32(v))``, the shortest that reads back exactly), byte for
byte.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

import numpy as np

from ._decode import decode_words
from ._rows import GrowingRows
from ._select import RowSelector
from .detect import UTF8_BOM, parse_header
from .errors import TruncatedVectorFileError, VectorDecodeError, VectorFileError

BLOCK_BYTES = 1 << 19  # read this much text at a time (then cut at the last newline)
_DIM_SAMPLE_LINES = 1000  # lines used to infer dim when there is no header
_ROWS_PER_WRITE = 1 << 15  # numbers formatted per block when writing
_MAX_WORKERS = 4


# ---- reading ------------------------------------------------------------------------------------
def _read_into(stream: IO[bytes], view: memoryview) -> int:
    """Fill ``view`` from ``stream`` as far as it goes; returns the bytes read."""
    got = 0
    while got < len(view):
        k = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not k:
            break
        got += k
    return got


def _last_newline(data: np.ndarray) -> int:
    """Index of the last b"\\n" in ``data`` (uint8), or -1."""
    end = data.size
    while end > 0:
        lo = max(0, end - (1 << 16))
        hits = np.flatnonzero(data[lo:end] == 0x0A)
        if hits.size:
            return lo + int(hits[-1])
        end = lo
    return -1


def _blocks(stream: IO[bytes], size: int) -> Iterator[np.ndarray]:
    """Blocks of whole lines, about ``size`` bytes each, read straight into uint8 buffers (the
    last line of each ends with b"\\n"). The bytes after a block's last newline start the next
    one; a line longer than ``size`` makes a longer block."""
    carry = b""
    while True:
        c = len(carry)
        buf = np.empty(c + size, dtype=np.uint8)
        buf[:c] = np.frombuffer(carry, dtype=np.uint8)
        got = _read_into(stream, memoryview(buf)[c:])  # type: ignore[arg-type]
        n = c + got
        if got == 0:  # end of the file: the last line may lack its newline
            if c:
                buf[c] = 0x0A
                yield buf[: c + 1]
            return
        cut = _last_newline(buf[:n])
        if cut < 0:  # a line longer than a block: keep reading
            carry = buf[:n].tobytes()
            continue
        carry = buf[cut + 1 : n].tobytes()
        yield buf[: cut + 1]


class _Block:
    """The lines of a block, and once :meth:`parse` ran, their words and numbers.

    Attributes:
        buf: the block's bytes (uint8), whole lines.
        lo, hi: each line is ``buf[lo[i]:hi[i]]`` (``hi`` is its newline), shape (lines,).
        values: ``(lines, dim)`` numbers; key_s, key_e: each line's word is
            ``buf[key_s[i]:key_e[i]]``; status: ``_kernels.OK``/``BLANK``/``SHORT``/
            ``SLOW`` per line.
    """

    def __init__(self, buf: np.ndarray) -> None:
        self.buf = buf
        self.hi = np.flatnonzero(buf == 0x0A)
        self.lo = np.empty_like(self.hi)
        self.lo[:1] = 0
        self.lo[1:] = self.hi[:-1] + 1

    @property
    def lines(self) -> int:
        return int(self.hi.size)

    def counts(self) -> np.ndarray:
        """Tokens per line (0 for a blank line), shape (lines,)."""
        from . import _kernels as kernels  # C (or numba): loaded on first use only

        return kernels.count_tokens(self.buf, self.lo, self.hi)

    def parse(self, dim: int, dtype: np.dtype) -> _Block:
        from . import _kernels as kernels

        n = self.lines
        # float16 (and any other) through float64: one rounding from float()'s double
        self.values = np.empty((n, dim), dtype=np.float32 if dtype == np.float32 else np.float64)
        self.key_s = np.empty(n, dtype=np.int64)
        self.key_e = np.empty(n, dtype=np.int64)
        self.status = np.empty(n, dtype=np.int8)
        kernels.parse_lines(
            self.buf, self.lo, self.hi, dim, self.values, self.key_s, self.key_e, self.status
        )
        return self

    def line(self, i: int) -> bytes:
        return self.buf[self.lo[i] : self.hi[i]].tobytes()


def _infer_dim(counts: np.ndarray) -> int | None:
    """The vector size from the token counts of the first lines: the most common count minus
    one (the word). Robust to the odd line whose word holds spaces."""
    sample = counts[counts > 0][:_DIM_SAMPLE_LINES]
    if sample.size == 0:
        return None
    return int(np.bincount(sample - 1).argmax())


_FIX = "correct or delete the line, or pass on_bad_lines='skip' to load the other lines"


class _BadLine(Exception):
    """A line that is not ``word x1 ... xdim``: its number and what is wrong with it."""

    def __init__(self, line: int, message: str, word: bytes | None = None) -> None:
        super().__init__(line, message)
        self.line, self.message = line, message
        self.word = word  # the key's bytes when they are not valid in the encoding


class _TextReader:
    def __init__(
        self,
        name: str,
        selector: RowSelector,
        dtype: np.dtype,
        encoding: str,
        unicode_errors: str,
        on_bad_lines: str = "error",
    ) -> None:
        self.name = name
        self.selector = selector
        self.dtype = dtype
        self.encoding = encoding
        self.unicode_errors = unicode_errors
        self.on_bad_lines = on_bad_lines
        self.bad_lines: list[int] = []  # skipped (on_bad_lines != "error"), in file order
        self.repaired = 0
        self.rows: GrowingRows | None = None
        self.dim = 0

    # -- errors ---------------------------------------------------------------------------------
    def _error(self, line: int, message: str) -> VectorFileError:
        return VectorFileError(f"{self.name}, line {line:,}: {message}")

    # -- keys -----------------------------------------------------------------------------------
    def _invalid_key(self, line: int, key: bytes, bad: bytes) -> _BadLine:
        return _BadLine(
            line,
            f"the bytes {bad!r} (in the word {key[:60]!r}) are not valid {self.encoding}. "
            "To load the file anyway pass unicode_errors='replace' (or 'ignore'); if "
            f"the file is not {self.encoding}, pass its encoding, e.g. encoding='latin-1'",
            word=key,
        )

    def _decode(self, raw: list[memoryview], line_numbers: np.ndarray) -> tuple[list[str], list]:
        """Decode a block's keys, all at once when they are valid: ``(keys, bad)``, ``bad``
        the :class:`_BadLine` of each key that is not valid in the encoding (only with
        ``unicode_errors="strict"``; its key is then ``""``)."""

        def invalid(i: int, key: bytes, bad: bytes) -> Exception:
            return self._invalid_key(int(line_numbers[i]), key, bad)

        try:
            keys, repaired = decode_words(
                b"\n".join(raw), len(raw), lambda: [view.tobytes() for view in raw],
                self.encoding, self.unicode_errors, invalid,
            )
        except _BadLine:  # strict: find every invalid key (rare), to skip or report the first
            keys, bad = [], []
            for i, view in enumerate(raw):
                word = view.tobytes()
                try:
                    keys.append(word.decode(self.encoding))
                except UnicodeDecodeError as err:
                    cut = word[max(err.start - 12, 0) : err.end + 12]
                    bad.append(self._invalid_key(int(line_numbers[i]), word, cut))
                    keys.append("")
            return keys, bad
        self.repaired += repaired
        return keys, []

    # -- lines the compiled loop left to Python -------------------------------------------------
    def _check_line(self, line: bytes, line_number: int, kind: int) -> list[float] | None:
        """A line the compiled loop did not finish: a short row (``SHORT``), a number not in
        its fast form (``SLOW``: ``nan``, ``inf``, 20 digits, or not a number) or a word with
        spaces (``SPACED``). Returns the ``dim`` numbers through ``float()`` (``None``: the
        loop's values stand), or raises :class:`_BadLine`."""
        from ._kernels import SHORT, SPACED

        tokens = line.split()
        dim = self.dim
        if kind == SHORT:
            raise _BadLine(
                line_number,
                f"the word {tokens[0][:40]!r} is followed by {len(tokens) - 1} numbers; every "
                f"vector has {dim} (a short or damaged row): {_FIX}",
            )
        if kind == SPACED:
            # A word may hold spaces (GloVe 840B: "New York"), but a token after its first one
            # that reads as a number means a row with more numbers than the vectors have.
            extra = [t for t in tokens[1:-dim] if _is_number(t)]
            if extra:
                numbers = sum(map(_is_number, tokens[1:]))
                raise _BadLine(
                    line_number,
                    f"the word {tokens[0][:40]!r} is followed by {numbers} numbers; every "
                    f"vector has {dim} (a long or damaged row; a word with spaces may not "
                    f"hold a number, like {extra[0][:40]!r}): {_FIX}",
                )
        values = []
        for col, token in enumerate(tokens[-dim:]):
            if not _is_number(token):
                raise _BadLine(
                    line_number,
                    f"number {col + 1} of {dim}, {token[:40]!r}, is not a number: {_FIX}",
                )
            values.append(float(token))
        return values

    # -- one block ------------------------------------------------------------------------------
    def select(self, block: _Block, first_line: int) -> np.ndarray | None:
        """Check the parsed lines of ``block`` (whose first line is ``first_line``), decode
        their words and pick the rows to keep: their ``(rows, dim)`` values, or ``None`` if no
        row is kept. A bad line raises (``on_bad_lines="error"``, the first in the file) or is
        left out and noted in ``bad_lines``."""
        from ._kernels import BLANK, OK

        status = block.status
        lines = np.arange(block.lines)
        if (status == BLANK).any():
            lines = lines[status != BLANK]
        room = self.selector.room()
        if room is not None and room < lines.size:
            lines = lines[:room]
        if lines.size == 0:
            return None
        bad: list[_BadLine] = []
        odd = np.flatnonzero(status[lines] != OK)
        for i in lines[odd].tolist():
            try:
                values = self._check_line(block.line(i), first_line + i, int(status[i]))
            except _BadLine as err:
                bad.append(err)
                if self.on_bad_lines == "error":
                    break  # the first bad line of the block; a bad key before it wins
                continue
            if values is not None:
                block.values[i] = values
        if bad and self.on_bad_lines != "error":
            lines = np.setdiff1d(lines, [b.line - first_line for b in bad], assume_unique=True)
        view = memoryview(block.buf)  # type: ignore[arg-type]
        starts, ends = block.key_s[lines].tolist(), block.key_e[lines].tolist()
        keys, bad_keys = self._decode([view[s:e] for s, e in zip(starts, ends)], first_line + lines)
        if bad_keys:
            bad = sorted(bad + bad_keys, key=lambda b: b.line)
            if self.on_bad_lines != "error":
                drop = {b.line - first_line for b in bad_keys}
                good = [j for j, i in enumerate(lines.tolist()) if i not in drop]
                keys = [keys[j] for j in good]
                lines = lines[good]
        if bad:
            if self.on_bad_lines == "error":
                if bad[0].word is not None:  # also a UnicodeDecodeError, as gensim raises
                    raise VectorDecodeError(
                        f"{self.name}, line {bad[0].line:,}: {bad[0].message}", bad[0].word,
                        self.encoding,
                    )
                raise self._error(bad[0].line, bad[0].message)
            self.bad_lines.extend(b.line for b in bad)
            if lines.size == 0:
                return None
        keep = self.selector.choose(keys)
        if keep is not None:
            if keep.size == 0:
                return None
            lines = lines[keep]
        if lines.size == block.lines:
            return block.values
        return block.values[lines]


def _is_number(token: bytes) -> bool:
    """Whether ``float()`` reads ``token`` as a number (``1_000`` excepted: no vector file
    writes that)."""
    if b"_" in token:
        return False
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_text(
    stream: IO[bytes],
    *,
    fmt: str,
    name: str,
    selector: RowSelector,
    dtype: np.dtype,
    encoding: str,
    unicode_errors: str,
    size_hint: int | None,
    on_block: Callable[[], None],
    on_bad_lines: str = "error",
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Read a ``"word2vec"`` or ``"glove"`` text stream.

    Args:
        stream: the decompressed bytes.
        fmt: ``"word2vec"`` requires the header; ``"glove"`` skips one if present and infers
            ``dim`` from the lines.
        size_hint: the decompressed size if known (estimates the row count without a header).
        on_block: called after each block (progress).
        on_bad_lines: ``"error"``: a bad line raises; ``"warn"``/``"skip"``: it is left out
            (``fields["bad_lines"]`` lists their numbers; ``"warn"`` also warns).

    Returns:
        ``(keys, matrix, report fields)``.
    """
    reader = _TextReader(name, selector, dtype, encoding, unicode_errors, on_bad_lines)
    blocks = _blocks(stream, BLOCK_BYTES)
    buf = next(blocks, None)
    head = buf[: 1 << 16].tobytes() if buf is not None else b""
    skip = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
    line = 1
    first_newline = head.find(b"\n", skip)
    header = parse_header(head[skip:first_newline]) if first_newline >= 0 else None
    if header is not None:
        skip = first_newline + 1
        line = 2
    elif fmt == "word2vec":
        first_line = head[skip : skip + 80].split(b"\n")[0]
        raise VectorFileError(
            f"{name}: the first line {first_line!r} is not a 'count dim' "
            "header; a file without one is format='glove'"
        )
    if buf is not None:
        buf = buf[skip:]  # the lines after the BOM and header
    block = _Block(buf) if buf is not None and buf.size else None
    del buf
    data_dim = _infer_dim(block.counts()) if block is not None else None
    if header is not None and fmt == "word2vec":
        count, dim = header
        if data_dim is not None and data_dim != dim:
            raise VectorFileError(
                f"{name}: the header (line 1) says {count:,} vectors of {dim} dims, but the "
                f"lines below hold a word and {data_dim} numbers; the header may belong to "
                "another file: load with format='glove' to ignore it"
            )
    elif data_dim is None:  # a glove file without a single vector
        dim = header[1] if header else 0
    else:
        dim = data_dim
    if data_dim is not None and dim < 1:
        raise VectorFileError(f"{name}, line {line}: a word with no numbers after it")
    reader.dim = dim

    # Rows to allocate: the header's promise, else an estimate from the first block.
    limit = selector.limit
    if selector.words is not None:
        capacity = 1024
    elif header is not None and fmt == "word2vec":
        capacity = header[0]
        if size_hint:  # a header from another file must not allocate terabytes
            capacity = min(capacity, size_hint // (2 * dim + 1) + 1)
    elif block is not None and size_hint and block.lines:
        per_line = max(block.buf.size / block.lines, 1.0)
        capacity = int(size_hint / per_line * 1.05) + 64
    else:
        capacity = 1024
    if limit is not None:
        capacity = min(capacity, limit)
    reader.rows = GrowingRows(dim, dtype, capacity)

    first = [block.parse(dim, dtype)] if block is not None else []
    del block  # the pipeline frees each block once used
    last_line = _pipeline(reader, first, line, blocks, on_block) - 1

    fields: dict[str, Any] = {"lines_repaired": reader.repaired}
    bad = reader.bad_lines
    if on_bad_lines != "error":
        fields["bad_lines"] = bad
        if bad and on_bad_lines == "warn":
            shown = ", ".join(f"{n:,}" for n in bad[:10]) + (", ..." if len(bad) > 10 else "")
            warnings.warn(
                f"{name}: {len(bad):,} bad line(s) skipped (lines {shown}); "
                "report.bad_lines lists them",
                stacklevel=3,
            )
    if header is not None:
        fields["header_count"] = header[0]
        rows_seen = selector.read + len(bad)  # the header counted the bad rows too
        if fmt == "word2vec" and not selector.done:
            if rows_seen < header[0]:
                raise TruncatedVectorFileError(
                    f"{name}: the header promises {header[0]:,} vectors but the file holds "
                    f"{rows_seen:,} (it ends at line {last_line:,}); it may be truncated. Pass "
                    f"limit={selector.read} to load those, or format='glove' to ignore the header"
                )
            if rows_seen > header[0]:
                warnings.warn(
                    f"{name}: the header says {header[0]:,} vectors but the file holds "
                    f"{rows_seen:,}; all of them were loaded",
                    stacklevel=3,
                )
    rows, more = selector.finish(name)
    fields.update(more)
    if rows is not None:
        reader.rows.keep(rows)
    return selector.keys, reader.rows.finish(), fields


def _workers() -> int:
    """Threads for tokenising and parsing (NumPy releases the GIL inside each operation)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return min(cores, _MAX_WORKERS)


def _pipeline(
    reader: _TextReader,
    first: list[_Block],
    line: int,
    blocks: Iterator[np.ndarray],
    on_block: Callable[[], None],
) -> int:
    """Read every block into ``reader.rows``, in file order; returns the number of the line
    after the last one read.

    Worker threads parse the next blocks (the compiled loop releases the GIL); the work that
    must be sequential (decoding words, choosing rows: duplicates, limit, vocab) runs here, on
    the blocks in file order, so errors surface in file order.
    """
    assert reader.rows is not None
    dim, dtype = reader.dim, reader.dtype

    def parsed(buf: np.ndarray) -> _Block:
        return _Block(buf).parse(dim, dtype)

    def use(block: _Block) -> None:
        nonlocal line
        assert reader.rows is not None
        chosen = reader.select(block, line)
        if chosen is not None:
            reader.rows.append(chosen)
        line += block.lines
        on_block()

    if first:
        use(first.pop())
    workers = _workers()
    if workers < 2:  # no threads: the same steps, one after the other
        while not reader.selector.done:
            buf = next(blocks, None)
            if buf is None:
                break
            use(parsed(buf))
        return line
    ahead = 2 * workers  # blocks in flight: bounds the extra memory
    with ThreadPoolExecutor(workers, thread_name_prefix="firstlayer-vectors") as pool:
        pending: deque[Future[_Block]] = deque()
        try:
            exhausted = False
            while not reader.selector.done:
                while not exhausted and len(pending) < ahead:
                    buf = next(blocks, None)
                    if buf is None:
                        exhausted = True
                    else:
                        pending.append(pool.submit(parsed, buf))
                        del buf
                if not pending:
                    break
                use(pending.popleft().result())
        finally:  # after an error or an early stop: drop the work not started yet
            for job in pending:
                job.cancel()
    return line


# ---- writing ------------------------------------------------------------------------------------
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


def check_text_keys(keys: Sequence[str]) -> None:
    """Keys a text file can hold: not empty, no line breaks, no leading/trailing whitespace
    (the reader could not tell them from separators)."""
    for key in keys:
        if not key or "\n" in key or "\r" in key or key.strip(_ASCII_WHITESPACE) != key:
            raise ValueError(
                f"the key {key!r} can't be written to a text vector file (empty, a line break, "
                "or whitespace at either end would not read back); use format='cache'"
            )


def _float32_lines(names: list[bytes], block: np.ndarray) -> bytes | memoryview:
    """The lines of a float32 block, every number as ``str(np.float32(v))`` (gensim's text):
    one compiled pass (:mod:`._kernels`: C, or numba's :mod:`._format_kernels`, loaded here on
    first use); the rare number it leaves (see there) is formatted by NumPy."""
    from . import _kernels as kernels

    block = np.ascontiguousarray(block, dtype=np.float32)
    rows, dim = block.shape
    keys = np.frombuffer(b"".join(names), dtype=np.uint8)
    key_ends = np.cumsum(np.fromiter(map(len, names), dtype=np.int64, count=rows))
    size = keys.size + rows * (1 + dim * kernels.MAX_NUMBER_BYTES) + kernels.SLACK_BYTES
    out = np.empty(size, dtype=np.uint8)
    slow_index = np.empty(block.size, dtype=np.int64)
    slow_at = np.empty(block.size, dtype=np.int64)
    length, slow = kernels.format_rows(
        keys, key_ends, block.view(np.uint32), out, slow_index, slow_at
    )
    if not slow:
        return out[:length].data  # no copy: the caller writes it out
    # Fill the gaps the kernel left, in order.
    flat = block.reshape(-1)
    pieces, done = [], 0
    for index, at in zip(slow_index[:slow].tolist(), slow_at[:slow].tolist()):
        pieces += [out[done:at].tobytes(), str(flat[index]).encode("ascii")]
        done = at
    pieces.append(out[done:length].tobytes())
    return b"".join(pieces)


def _lines(names: list[bytes], block: np.ndarray) -> bytes | memoryview:
    """The text lines of one block of rows."""
    if block.dtype in (np.float32, np.float16):
        return _float32_lines(names, block)
    # float64: Python's repr is the shortest round trip for a double
    return b"".join(
        [
            name + b" " + " ".join(map(repr, row)).encode("ascii") + b"\n"
            for name, row in zip(names, block.astype(np.float64).tolist())
        ]
    )


def write_text(
    out: IO[bytes],
    keys: Sequence[str],
    vectors: np.ndarray,
    *,
    header: bool,
    encoding: str,
) -> None:
    """Write ``word x1 ... xdim`` lines (after a ``count dim`` header if ``header``).

    float32 and float16 vectors are written with the shortest digits that read back exactly as
    float32 (what gensim writes); float64 with the shortest that read back as float64. Blocks
    of rows are formatted on worker threads and written in order.
    """
    count, dim = vectors.shape
    if header:
        out.write(f"{count} {dim}\n".encode())
    if count == 0:
        return
    if dim == 0:
        raise ValueError("can't write vectors of dimension 0 to a text file")
    step = max(1, _ROWS_PER_WRITE // dim)

    def job(lo: int) -> bytes | memoryview:
        names = [k.encode(encoding) for k in keys[lo : lo + step]]
        return _lines(names, vectors[lo : lo + step])

    starts = range(0, count, step)
    workers = _workers()
    if workers < 2 or len(starts) < 2:
        for lo in starts:
            out.write(job(lo))
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="firstlayer-vectors") as pool:
        pending: deque[Future[bytes | memoryview]] = deque()
        try:
            for lo in starts:
                pending.append(pool.submit(job, lo))
                if len(pending) > 2 * workers:
                    out.write(pending.popleft().result())
            while pending:
                out.write(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
