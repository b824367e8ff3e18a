r"""Keys that cost nothing to open: ``KeyList`` (row -> key) and ``KeyIndex`` (key -> row) read
straight from a vector cache's files, whatever the number of keys.

Why: a cache's matrix is memory-mapped, so it opens in a millisecond at any size, but the keys
used to be read into a ``list`` of ``str`` (~55 ms for 1M keys) and a ``dict`` key -> row
(~250 ms for 1M keys, ~0.8 s for GoogleNews' 3M). Most programs then look up a few thousand
words. Here nothing is done per key when the cache opens; each lookup does its own small work
(~1 us), and the whole list is decoded only if someone asks for all of it.

The three files (written by :mod:`firstlayer.vectors.formats.cache`)::

    keys.txt          one key per line, UTF-8, escaped (escape_key): "the\nof\nand\n..."
    keys.offsets.npy  (count + 1,) int64: the byte where line i starts; the last is the size
    keys.hash.npy     (size,) int32: the hash table below (int64 for 2**31 keys or more)

Row -> key: line ``i`` is ``keys.txt[offsets[i] : offsets[i + 1] - 1]`` (the ``- 1`` drops the
newline). Decoding one line is one small slice of the memory-mapped file.

Key -> row, an open-addressing hash table with linear probing (Knuth, TAOCP vol. 3, 6.4):

* ``size`` is a power of two at least ``2 * count``, so at least half the slots are empty;
  empty slots hold -1, the others a row number.
* a key's *home slot* is ``crc32(its escaped UTF-8 bytes) & (size - 1)`` (the low bits of the
  hash: ``& (size - 1)`` is ``% size`` for a power of two). CRC-32 is in the standard library
  (``zlib``), runs in C and gives the same number in every process (Python's ``hash`` of a
  ``str`` changes from run to run, so it can't be stored in a file).
* saving puts each row in its home slot, or if that is taken, in the next free slot after it
  (wrapping around at the end);
* finding a key: start at its home slot; an empty slot means "not a key"; a row whose line has
  the same bytes is the answer; any other row is a different key that landed there first, so
  try the next slot. With at most half the slots full, a lookup reads ~1.5 slots on average.

Every row between a key's home slot and its own slot is occupied (a row only moves on past
taken slots), which is why stopping at the first empty slot is right.

>>> keys = KeyList.from_keys(["我", "你", "a\nb"])
>>> keys[1], len(keys), keys[:2], "a\nb" in keys
('你', 3, ['我', '你'], True)
>>> index = KeyIndex(keys)
>>> index["a\nb"], index.get("她", -1), dict(index)
(2, -1, {'我': 0, '你': 1, 'a\nb': 2})
"""

from __future__ import annotations

import itertools
import mmap
import operator
import zlib
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Any, SupportsIndex, overload

import numpy as np

_DECODE_BLOCK = 1 << 16  # keys decoded at a time when iterating (one bytes.decode + split each)
_INT32_ROWS = 2**31  # from this many keys on, the hash table holds int64 rows


# ---- one key <-> one line of keys.txt ----------------------------------------------------------
def escape_key(key: str) -> str:
    r"""One key as one line of ``keys.txt``: a backslash becomes ``\\``, a newline ``\n``, a
    carriage return ``\r`` (the three characters that would break "one key per line").

    >>> escape_key("a\nb\\c")
    'a\\nb\\\\c'
    """
    return key.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def unescape_key(line: str) -> str:
    r"""The key a ``keys.txt`` line stands for (the inverse of :func:`escape_key`).

    >>> unescape_key('a\\nb\\\\c') == "a\nb\\c"
    True
    """
    if "\\" not in line:
        return line
    out, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(line[i + 1], "\\" + line[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ---- the hash table ------------------------------------------------------------------------------
def table_size(count: int) -> int:
    """The number of slots for ``count`` keys: the smallest power of two >= ``2 * count``.

    >>> table_size(0), table_size(3), table_size(4)
    (2, 8, 8)
    """
    return 1 << max(0, (2 * count - 1).bit_length())


def line_hashes(lines: Iterable[bytes | memoryview], count: int) -> np.ndarray:
    """CRC-32 of each escaped, UTF-8 encoded key. Shape: ``(count,)`` uint32."""
    return np.fromiter(map(zlib.crc32, lines), np.uint32, count)


def build_table(hashes: np.ndarray) -> np.ndarray:
    """The open-addressing table of the module docstring for keys with these CRC-32 hashes.

    Every key is placed at once, round by round, instead of one after the other: in a round
    each key not yet placed tries its current slot; of the keys that try the same free slot one
    wins (NumPy keeps one of the writes), and every key that lost or found the slot taken moves
    on to the next slot. A key only ever moves past taken slots, so lookups (which stop at the
    first empty slot) find it. The rounds are as many as the longest probe, a few dozen.

    Shape: ``hashes`` ``(count,)`` -> ``(table_size(count),)`` int32 (int64 for 2**31 keys
    or more), -1 in empty slots.

    >>> # 8 slots; rows 0 and 1 both start at slot 5: one gets it, the other slot 6
    >>> build_table(np.array([5, 5, 2], np.uint32)).tolist()
    [-1, -1, 2, -1, -1, 1, 0, -1]
    """
    count = len(hashes)
    size = table_size(count)
    table = np.full(size, -1, np.int32 if count < _INT32_ROWS else np.int64)
    rows = np.arange(count, dtype=np.int64)
    slots = hashes.astype(np.int64) & (size - 1)
    while rows.size:
        free = table[slots] == -1
        table[slots[free]] = rows[free]
        lost = table[slots] != rows  # the slot was taken, or another key got it this round
        rows, slots = rows[lost], (slots[lost] + 1) & (size - 1)
    return table


# ---- row -> key ------------------------------------------------------------------------------
class KeyList(Sequence[str]):
    """The keys of a cache, row by row, decoded from ``keys.txt`` only when asked for.

    Behaves as the ``list`` gensim's ``index_to_key`` is, except that it can't be changed
    (``KeyedVectors`` turns it into a list before adding keys):

    * ``keys[i]`` decodes one line; ``keys[a:b]`` returns a ``list`` (one decode for the lot);
    * ``key in keys`` and ``keys.index(key)`` use the hash table (~1 us, not a scan);
    * iterating decodes blocks of 65,536 keys as it goes; ``tolist()`` decodes all of them once
      and keeps the list for later calls;
    * ``keys == some_list`` compares the keys.

    Args:
        data: the bytes of ``keys.txt`` (a read-only ``mmap`` of the file, or ``bytes``).
        offsets: ``(count + 1,)`` int64, where each line starts; the last is ``len(data)``.
        table: the hash table (module docstring).
        escaped: whether some line holds a backslash (else no line needs unescaping).
        count: use only the first ``count`` keys (``load(limit=...)``); default all.
        source: the file's name, for ``repr``.
    """

    def __init__(
        self,
        data: bytes | mmap.mmap,
        offsets: np.ndarray,
        table: np.ndarray,
        *,
        escaped: bool,
        count: int | None = None,
        source: str = "",
    ) -> None:
        total = len(offsets) - 1
        self._count = total if count is None else min(int(count), total)
        self._data = data
        self._offsets = offsets
        self._table = table
        # memoryviews: indexing one gives a Python int about twice as fast as a NumPy array does.
        self._starts = offsets.data
        self._slots = table.data
        self._mask = len(table) - 1
        self._escaped = bool(escaped)
        self._source = source
        self._list: list[str] | None = None  # every key, once tolist() has run

    @classmethod
    def from_keys(cls, keys: Sequence[str]) -> KeyList:
        """A KeyList over ``keys`` held in memory (what a cache's files would hold).

        >>> KeyList.from_keys(["a", "b"]).index("b")
        1
        """
        lines = [escape_key(k).encode("utf-8") for k in keys]
        data = b"\n".join(lines) + b"\n" if lines else b""
        offsets = line_offsets(lines)
        table = build_table(line_hashes(lines, len(lines)))
        return cls(data, offsets, table, escaped=b"\\" in data)

    def head(self, count: int) -> KeyList:
        """The first ``count`` keys, still lazy (``load(limit=...)``): the same files, and
        lookups that ignore rows from ``count`` on."""
        return KeyList(
            self._data,
            self._offsets,
            self._table,
            escaped=self._escaped,
            count=min(count, self._count),
            source=self._source,
        )

    # ---- what a cache writes back ----------------------------------------------------------
    @property
    def escaped(self) -> bool:
        """Whether a line of ``keys.txt`` may hold an escape (a backslash)."""
        return self._escaped

    def file_parts(self) -> tuple[bytes, np.ndarray, np.ndarray]:
        """The ``keys.txt`` bytes, offsets and hash table of these keys, as a cache stores them:
        the stored bytes are copied, nothing is escaped or hashed again (except the table of a
        ``count``-shortened list, rebuilt from its lines)."""
        offsets = self._offsets[: self._count + 1]
        data = self._data[: int(offsets[-1])]
        if self._count == len(self._offsets) - 1:
            return data, offsets, self._table
        view = memoryview(data)
        lines = (view[a : b - 1] for a, b in itertools.pairwise(offsets.tolist()))
        return data, offsets, build_table(line_hashes(lines, self._count))

    # ---- the Sequence ----------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: SupportsIndex) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: SupportsIndex | slice) -> str | list[str]:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._count)
            if step == 1:
                return self._decode(start, max(start, stop))
            if self._list is not None:
                return self._list[i]
            return [self[j] for j in range(start, stop, step)]
        n = operator.index(i)
        if n < 0:
            n += self._count
        if not 0 <= n < self._count:
            raise IndexError(f"key index {operator.index(i)} out of range for {self._count} keys")
        if self._list is not None:
            return self._list[n]
        start = self._starts[n]
        key = self._data[start : self._starts[n + 1] - 1].decode("utf-8")
        return unescape_key(key) if self._escaped else key

    def _decode(self, lo: int, hi: int) -> list[str]:
        """Keys ``lo`` to ``hi - 1``: one slice of the file, one decode, one split."""
        if lo >= hi:
            return []
        if self._list is not None:
            return self._list[lo:hi]
        text = self._data[self._starts[lo] : self._starts[hi] - 1].decode("utf-8")
        keys = text.split("\n")
        if self._escaped:
            keys = [unescape_key(k) for k in keys]
        return keys

    def __iter__(self) -> Iterator[str]:
        if self._list is not None:
            yield from self._list
            return
        # Block by block: islice(keys, 20_000) (the KeyError's suggestions) decodes one block.
        for lo in range(0, self._count, _DECODE_BLOCK):
            yield from self._decode(lo, min(lo + _DECODE_BLOCK, self._count))

    def tolist(self) -> list[str]:
        """Every key, as a new list (decoded once; later calls copy the kept list)."""
        if self._list is None:
            self._list = self._decode(0, self._count)
        return list(self._list)

    def find(self, key: object) -> int:
        """The row of ``key``, or -1: a walk along the hash table (module docstring)."""
        if not isinstance(key, str):
            return -1
        try:
            probe = escape_key(key).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no line of a UTF-8 file holds it
            return -1
        starts, slots, data = self._starts, self._slots, self._data
        mask, size = self._mask, len(probe)
        slot = zlib.crc32(probe) & mask
        for _ in range(mask + 1):  # at most every slot (a damaged table must not hang)
            row = slots[slot]
            if row < 0:
                return -1  # an empty slot: the key would have been placed here or before
            start = starts[row]
            if starts[row + 1] - 1 - start == size and data[start : start + size] == probe:
                return row if row < self._count else -1
            slot = (slot + 1) & mask
        return -1

    def __contains__(self, key: object) -> bool:
        return self.find(key) >= 0

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """The row of ``value`` (a key is in one row only); ``ValueError`` if it is not there."""
        row = self.find(value)
        lo, hi, _ = slice(start, stop).indices(self._count)  # negative bounds as list.index
        if row < 0 or not lo <= row < hi:
            raise ValueError(f"{value!r} is not in the keys")
        return row

    def count(self, value: Any) -> int:
        """1 if ``value`` is a key, else 0 (keys are unique)."""
        return int(value in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeyList):
            return other is self or (len(other) == len(self) and self._all() == other._all())
        if isinstance(other, list):
            return len(other) == self._count and self._all() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like a list

    def _all(self) -> list[str]:
        """Every key, the kept list itself (not a copy: callers must not change it)."""
        if self._list is None:
            self._list = self._decode(0, self._count)
        return self._list

    def __repr__(self) -> str:
        head = ", ".join(repr(k) for k in self[:3])
        more = ", ..." if self._count > 3 else ""
        source = f" from {self._source!r}" if self._source else ""
        return f"KeyList([{head}{more}], {self._count:,} keys{source})"


def line_offsets(lines: Sequence[bytes]) -> np.ndarray:
    """Where each line starts in ``b"".join(line + b"\\n" for line in lines)``, and its length
    at the end. Shape: ``(len(lines) + 1,)`` int64.

    >>> line_offsets([b"ab", b"", b"c"]).tolist()
    [0, 3, 4, 6]
    """
    offsets = np.zeros(len(lines) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, lines), np.int64, len(lines)) + 1, out=offsets[1:])
    return offsets


# ---- key -> row ------------------------------------------------------------------------------
class KeyIndex(Mapping[str, int]):
    """``key -> row`` over a :class:`KeyList`, without building a dict: what gensim's
    ``key_to_index`` dict does, answered by the cache's hash table.

    ``index[key]``, ``index.get(key, default)`` and ``key in index`` cost ~1 us each; iterating
    gives the keys in row order; ``items()``/``values()`` pair them with ``0, 1, 2, ...``
    without a lookup each. ``to_dict()`` builds the real dict (what ``KeyedVectors`` does before
    adding keys).

    >>> index = KeyIndex(KeyList.from_keys(["a", "b"]))
    >>> index["b"], "c" in index, list(index.items())
    (1, False, [('a', 0), ('b', 1)])
    """

    def __init__(self, keys: KeyList) -> None:
        self.keys_list = keys

    def __getitem__(self, key: str) -> int:
        row = self.keys_list.find(key)
        if row < 0:
            raise KeyError(key)
        return row

    def get(self, key: Any, default: Any = None) -> Any:
        row = self.keys_list.find(key)
        return row if row >= 0 else default

    def __contains__(self, key: object) -> bool:
        return self.keys_list.find(key) >= 0

    def __len__(self) -> int:
        return len(self.keys_list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_list)

    def items(self) -> ItemsView[str, int]:
        return _Items(self)

    def values(self) -> ValuesView[int]:
        return _Values(self)

    def to_dict(self) -> dict[str, int]:
        """The dict ``{key: row}`` (decodes every key once)."""
        keys = self.keys_list.tolist()
        return dict(zip(keys, range(len(keys))))

    def __repr__(self) -> str:
        return f"KeyIndex({len(self):,} keys)"


class _Items(ItemsView[str, int]):
    """``(key, row)`` pairs in row order: the rows are 0, 1, 2, ... (no lookup per key)."""

    _mapping: KeyIndex

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return zip(self._mapping.keys_list, itertools.count())


class _Values(ValuesView[int]):
    """The rows, 0 to count - 1."""

    _mapping: KeyIndex

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._mapping)))
