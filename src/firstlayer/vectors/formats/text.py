"""The text formats: ``"word2vec"`` (a ``count dim`` header line, then ``word x1 ... xdim`` per
line; fastText's ``.vec``) and ``"glove"`` (the same lines, no header).

Reading works on blocks of ~0.5 MB of whole lines, never on one line at a time:

1. Find every whitespace byte of the block at once (``np.flatnonzero``); the tokens are what
   lies between. Lines end at the newlines; empty tokens (``\\r``, double or trailing spaces)
   are dropped.
2. In each line, the **last ``dim`` tokens are the vector** and everything before them is the
   word, so words may contain spaces (GloVe 840B has ``"New York"``-like keys) or
   non-breaking/full-width spaces (never split: only ASCII whitespace separates tokens).
3. Keep only the rows wanted (``limit``, ``vocab``, duplicates), then parse their numbers with
   the vectorised parser (:mod:`._numparse`) and copy them into the preallocated matrix.

Tokenising the next blocks and parsing run on worker threads (NumPy releases the GIL in each
operation); decoding words and choosing rows stay in file order on the calling thread.

Writing formats a block of rows at once (:mod:`._numformat`): the same digits gensim writes
(``str(np.float32(v))``, the shortest that reads back exactly), byte for byte.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

import numpy as np

from ._numformat import format_rows
from ._numparse import PAD, parse_simple, windows
from ._rows import GrowingRows
from ._select import RowSelector
from .detect import UTF8_BOM, parse_header
from .errors import TruncatedVectorFileError, VectorFileError

BLOCK_BYTES = 1 << 19  # read this much text at a time (then cut at the last newline)
_PARSE_TOKENS = 1 << 14  # parse this many numbers at a time (arrays that stay in cache)
_DIM_SAMPLE_LINES = 1000  # lines used to infer dim when there is no header
_ROWS_PER_WRITE = 1 << 15  # numbers formatted per block when writing
_MAX_WORKERS = 4

# ASCII whitespace as bytes.split() knows it: these separate tokens. Other control bytes stay
# inside tokens.
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True


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


def _blocks(stream: IO[bytes], size: int) -> Iterator[tuple[np.ndarray, int]]:
    """Blocks of whole lines, about ``size`` bytes each, read straight into padded buffers:
    ``(buf, n)`` with the lines in ``buf[PAD : PAD + n]`` (the last ends with b"\\n"), ``PAD``
    spaces before them and at least ``2 * PAD`` zero bytes after (so the parser may read 16
    bytes around any token). The bytes after a block's last newline start the next one."""
    carry = b""
    while True:
        c = len(carry)
        buf = np.empty(PAD + c + size + 2 * PAD, dtype=np.uint8)
        buf[:PAD] = 0x20
        buf[PAD : PAD + c] = np.frombuffer(carry, dtype=np.uint8)
        got = _read_into(stream, memoryview(buf)[PAD + c : PAD + c + size])  # type: ignore[arg-type]
        n = c + got
        if got == 0:  # end of the file: the last line may lack its newline
            if c:
                buf[PAD + c] = 0x0A
                buf[PAD + c + 1 :] = 0
                yield buf, c + 1
            return
        cut = _last_newline(buf[PAD : PAD + n])
        if cut < 0:  # a line longer than a block: keep reading
            carry = buf[PAD : PAD + n].tobytes()
            continue
        carry = buf[PAD + cut + 1 : PAD + n].tobytes()
        buf[PAD + cut + 1 :] = 0
        yield buf, cut + 1


def _padded(data: bytes) -> tuple[np.ndarray, int]:
    """``data`` (whole lines) in a padded buffer, as :func:`_blocks` makes them."""
    buf = np.zeros(PAD + len(data) + 2 * PAD, dtype=np.uint8)
    buf[:PAD] = 0x20
    buf[PAD : PAD + len(data)] = np.frombuffer(data, dtype=np.uint8)
    return buf, len(data)


class _Block:
    """The tokens of a block of whole lines.

    Attributes:
        buf: the padded buffer from :func:`_blocks` (lines in ``buf[PAD : PAD + n]``).
        starts, ends: token boundaries in ``buf`` (non-empty tokens only), shape (t,).
        line_end: per line, one past the index of its last token, shape (lines,).
        counts: tokens per line (0 for a blank line), shape (lines,).
    """

    def __init__(self, buf: np.ndarray, n: int) -> None:
        self.buf = buf
        self.n = n
        # int32 positions (a block is far below 2 GB): half the memory of int64 indices.
        seps = np.flatnonzero(buf[PAD : PAD + n] <= 0x20).astype(np.int32)
        seps += PAD
        chars = buf[seps]
        is_ws = _WHITESPACE[chars]
        if not is_ws.all():  # control bytes that are not whitespace belong to tokens
            seps, chars = seps[is_ws], chars[is_ws]
        starts = np.empty_like(seps)
        starts[0] = PAD
        starts[1:] = seps[:-1] + 1
        valid = seps > starts
        newlines = np.flatnonzero(chars == 0x0A)
        self.starts: np.ndarray
        self.ends: np.ndarray
        self.line_end: np.ndarray
        if valid.all():
            self.starts, self.ends = starts, seps
            self.line_end = newlines + 1
        else:
            self.starts, self.ends = starts[valid], seps[valid]
            self.line_end = np.cumsum(valid)[newlines]
        self.counts = np.diff(self.line_end, prepend=0)

    def token(self, i: int) -> bytes:
        return self.buf[self.starts[i] : self.ends[i]].tobytes()


# What parsing a block's chosen rows needs: its padded buffer, the number tokens' starts and
# ends (rows, dim) and the rows' line numbers (rows,).
_Work = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _infer_dim(counts: np.ndarray) -> int | None:
    """The vector size from the token counts of the first lines: the most common count minus
    one (the word). Robust to the odd line whose word holds spaces."""
    sample = counts[counts > 0][:_DIM_SAMPLE_LINES]
    if sample.size == 0:
        return None
    return int(np.bincount(sample - 1).argmax())


class _TextReader:
    def __init__(
        self,
        name: str,
        selector: RowSelector,
        dtype: np.dtype,
        encoding: str,
        unicode_errors: str,
    ) -> None:
        self.name = name
        self.selector = selector
        self.dtype = dtype
        self.encoding = encoding
        self.unicode_errors = unicode_errors
        self.repaired = 0
        self.rows: GrowingRows | None = None
        self.dim = 0

    # -- errors ---------------------------------------------------------------------------------
    def _error(self, line: int, message: str) -> VectorFileError:
        return VectorFileError(f"{self.name}, line {line:,}: {message}")

    # -- keys -----------------------------------------------------------------------------------
    def _decode(self, raw: list[memoryview], line_numbers: np.ndarray) -> list[str]:
        """Decode a block's keys, all at once when they are valid."""
        try:
            keys = b"\n".join(raw).decode(self.encoding).split("\n")
            if len(keys) == len(raw):
                return keys
        except UnicodeDecodeError:
            pass
        keys = []
        for i, view in enumerate(raw):
            key = view.tobytes()
            try:
                keys.append(key.decode(self.encoding))
            except UnicodeDecodeError as err:
                if self.unicode_errors == "strict":
                    bad = key[max(err.start - 12, 0) : err.end + 12]
                    raise self._error(
                        int(line_numbers[i]),
                        f"the bytes {bad!r} (in the word {key!r}) are not valid {self.encoding}. "
                        "To load the file anyway pass unicode_errors='replace' (or 'ignore'); if "
                        f"the file is not {self.encoding}, pass its encoding, e.g. "
                        "encoding='latin-1'",
                    ) from None
                keys.append(key.decode(self.encoding, self.unicode_errors))
                self.repaired += 1
        return keys

    # -- numbers --------------------------------------------------------------------------------
    def _parse(self, work: _Work) -> np.ndarray:
        """The ``(rows, dim)`` values (in the matrix dtype) of the number tokens :meth:`select`
        chose."""
        buf, starts, ends, line_numbers = work
        shape = starts.shape
        starts, ends = starts.reshape(-1), ends.reshape(-1)
        values = np.empty(starts.size, dtype=self.dtype)
        win = windows(buf)
        for lo in range(0, starts.size, _PARSE_TOKENS):
            hi = lo + _PARSE_TOKENS
            part, ok = parse_simple(buf, win, starts[lo:hi], ends[lo:hi])
            if not ok.all():
                for j in np.flatnonzero(~ok):
                    part[j] = self._parse_one(
                        buf, starts[lo + j], ends[lo + j], lo + j, line_numbers
                    )
            values[lo:hi] = part
        return values.reshape(shape)

    def _parse_one(
        self, buf: np.ndarray, start: int, end: int, j: int, line_numbers: np.ndarray
    ) -> float:
        """A token in a form the fast parser skips (``1e-05``, ``12.5``, ``nan``)."""
        token = buf[start:end].tobytes()
        try:
            if b"_" in token:  # float() accepts "1_000"; a vector file does not
                raise ValueError
            return float(token)
        except ValueError:
            row, col = divmod(int(j), self.dim)
            raise self._error(
                int(line_numbers[row]),
                f"number {col + 1} of {self.dim}, {token[:40]!r}, is not a number",
            ) from None

    # -- one block ------------------------------------------------------------------------------
    def select(self, block: _Block, first_line: int) -> _Work | None:
        """Check the lines of ``block`` (whose first line is ``first_line``), decode their words
        and pick the rows to keep: what :meth:`parse` needs to parse their numbers (the block's
        bytes and the number tokens' ``starts``, ``ends`` ``(rows, dim)`` and line numbers
        ``(rows,)``); ``None`` if no row is kept."""
        dim, counts = self.dim, block.counts
        line_numbers = first_line + np.arange(counts.size)
        if not (counts > 0).all():  # blank lines
            filled = np.flatnonzero(counts > 0)
            counts, line_end = counts[filled], block.line_end[filled]
            line_numbers = line_numbers[filled]
        else:
            line_end = block.line_end
        room = self.selector.room()
        if room is not None and room < counts.size:
            counts, line_end, line_numbers = counts[:room], line_end[:room], line_numbers[:room]
        if counts.size == 0:
            return None
        short = np.flatnonzero(counts < dim + 1)
        if short.size:
            i = int(short[0])
            first = int(line_end[i] - counts[i])
            word = block.token(first)
            raise self._error(
                int(line_numbers[i]),
                f"the word {word[:40]!r} is followed by {counts[i] - 1} numbers; every vector "
                f"has {dim} (a short or damaged row)",
            )
        # Token indices: the last `dim` tokens of each line are the vector, the rest the word.
        if (counts == dim + 1).all() and block.starts.size == counts.size * (dim + 1):
            grid_s = block.starts.reshape(-1, dim + 1)  # every line: word + dim numbers
            grid_e = block.ends.reshape(-1, dim + 1)
            key_s, key_e = grid_s[:, 0], grid_e[:, 0]
            num_s, num_e = grid_s[:, 1:], grid_e[:, 1:]
        else:
            key_s = block.starts[line_end - counts]
            key_e = block.ends[line_end - dim - 1]
            idx = (line_end - dim)[:, None] + np.arange(dim)
            num_s, num_e = block.starts[idx], block.ends[idx]
        view = memoryview(block.buf)  # type: ignore[arg-type]
        raw = [view[s:e] for s, e in zip(key_s.tolist(), key_e.tolist())]
        keys = self._decode(raw, line_numbers)
        keep = self.selector.choose(keys)
        if keep is not None:
            if keep.size == 0:
                return None
            num_s, num_e, line_numbers = num_s[keep], num_e[keep], line_numbers[keep]
        return block.buf, num_s, num_e, line_numbers

    def parse(self, work: _Work) -> np.ndarray:
        """The ``(rows, dim)`` values of the rows :meth:`select` chose."""
        return self._parse(work)


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
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Read a ``"word2vec"`` or ``"glove"`` text stream.

    Args:
        stream: the decompressed bytes.
        fmt: ``"word2vec"`` requires the header; ``"glove"`` skips one if present and infers
            ``dim`` from the lines.
        size_hint: the decompressed size if known (estimates the row count without a header).
        on_block: called after each block (progress).

    Returns:
        ``(keys, matrix, report fields)``.
    """
    reader = _TextReader(name, selector, dtype, encoding, unicode_errors)
    blocks = _blocks(stream, BLOCK_BYTES)
    buf, n = next(blocks, (None, 0))
    head = buf[PAD : PAD + min(n, 1 << 16)].tobytes() if buf is not None else b""
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
    if buf is not None and skip:  # the lines after the BOM and header, in a new buffer
        buf, n = _padded(buf[PAD + skip : PAD + n].tobytes())
    block = _Block(buf, n) if buf is not None and n else None
    del buf
    data_dim = _infer_dim(block.counts) if block is not None else None
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
    elif block is not None and size_hint and block.counts.size:
        per_line = max(block.n / block.counts.size, 1.0)
        capacity = int(size_hint / per_line * 1.05) + 64
    else:
        capacity = 1024
    if limit is not None:
        capacity = min(capacity, limit)
    reader.rows = GrowingRows(dim, dtype, capacity)

    first = [block] if block is not None else []
    del block  # the pipeline frees each block once parsed
    _pipeline(reader, first, line, blocks, on_block)

    fields: dict[str, Any] = {"lines_repaired": reader.repaired}
    if header is not None:
        fields["header_count"] = header[0]
        if fmt == "word2vec" and not selector.done:
            if selector.read < header[0]:
                raise TruncatedVectorFileError(
                    f"{name}: the header promises {header[0]:,} vectors but the file holds "
                    f"{selector.read:,}; it may be truncated. Pass limit={selector.read} to "
                    "load those, or format='glove' to ignore the header"
                )
            if selector.read > header[0]:
                warnings.warn(
                    f"{name}: the header says {header[0]:,} vectors but the file holds "
                    f"{selector.read:,}; all of them were loaded",
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
    blocks: Iterator[tuple[np.ndarray, int]],
    on_block: Callable[[], None],
) -> None:
    """Read every block into ``reader.rows``, in file order.

    The work that must be sequential (decoding words, choosing rows: duplicates, limit, vocab)
    runs here; tokenising the next blocks and parsing the chosen numbers run on worker threads,
    a few blocks ahead. Results are consumed in file order, so errors surface in file order.
    """
    assert reader.rows is not None
    workers = _workers()
    block: _Block | None = first.pop() if first else None
    if workers < 2:  # no threads: the same steps, one after the other
        while block is not None:
            chosen = reader.select(block, line)
            if chosen is not None:
                reader.rows.append(reader.parse(chosen))
            line += block.counts.size
            on_block()
            item = None if reader.selector.done else next(blocks, None)
            block = None if item is None else _Block(*item)
        return
    ahead = 2  # blocks in flight (read ahead, and parsing): bounds the extra memory
    with ThreadPoolExecutor(workers, thread_name_prefix="firstlayer-vectors") as pool:
        tokenised: deque[Future[_Block]] = deque()
        parsed: deque[Future[np.ndarray] | None] = deque()
        if block is not None:
            done: Future[_Block] = Future()
            done.set_result(block)
            tokenised.append(done)
            del block
        exhausted = False
        try:
            while tokenised or not exhausted:
                while not exhausted and len(tokenised) < ahead:
                    item = next(blocks, None)
                    if item is None:
                        exhausted = True
                    else:
                        tokenised.append(pool.submit(_Block, *item))
                        del item
                if not tokenised:
                    break
                block = tokenised.popleft().result()
                try:
                    chosen = reader.select(block, line)
                except VectorFileError:  # an error further up the file is reported first
                    while parsed:
                        _append(reader.rows, parsed.popleft())
                    raise
                line += block.counts.size
                on_block()
                parsed.append(None if chosen is None else pool.submit(reader.parse, chosen))
                del block, chosen  # the parse job keeps only what it needs
                while len(parsed) > ahead:
                    _append(reader.rows, parsed.popleft())
                if reader.selector.done:
                    break
            while parsed:
                _append(reader.rows, parsed.popleft())
        finally:  # after an error or an early stop: drop the work not started yet
            for pending in tokenised:
                pending.cancel()
            for job in parsed:
                if job is not None:
                    job.cancel()


def _append(rows: GrowingRows, future: Future[np.ndarray] | None) -> None:
    if future is not None:
        rows.append(future.result())


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


def _lines(names: list[bytes], block: np.ndarray) -> bytes:
    """The text lines of one block of rows."""
    if block.dtype in (np.float32, np.float16):
        numbers, ends = format_rows(np.asarray(block, dtype=np.float32))
        starts = [0, *ends[:-1].tolist()]
        return b"".join(
            [b"%s %s" % (name, numbers[s:e]) for name, s, e in zip(names, starts, ends.tolist())]
        )
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

    def job(lo: int) -> bytes:
        names = [k.encode(encoding) for k in keys[lo : lo + step]]
        return _lines(names, vectors[lo : lo + step])

    starts = range(0, count, step)
    workers = _workers()
    if workers < 2 or len(starts) < 2:
        for lo in starts:
            out.write(job(lo))
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="firstlayer-vectors") as pool:
        pending: deque[Future[bytes]] = deque()
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
