"""The word2vec binary reader's inner loops, compiled by numba.

A record is ``word<space><4*dim bytes of float32>``, with no length prefix: the only way to
find record ``i + 1`` is to find the space that ends word ``i``. :func:`read_records` walks the
records of a block one after the other in a single pass, and for each one

* notes where its word starts and where its space is (the vector starts right after it),
* appends the word's bytes to a ``"\\n"``-separated buffer (Python then decodes all the words
  of the block with one ``bytes.decode`` and one ``str.split``),
* and, when asked, copies the vector's bytes straight into the output matrix, while they are
  in the CPU cache (reading the block twice costs a second trip to memory).

Only the word is searched for a space: the vector's bytes are skipped by length, so a float
whose bytes are ``0x20`` (space) or ``0x0A`` (newline) is just data. The C tool writes a
newline after each vector; it shows up as leading newlines of the next word, which are skipped.

Copies are byte loops over two 1-D slices: numba knows the loop index is never negative, so
LLVM turns the loop into a ``memcpy``-speed copy (indexing the whole buffer with a computed
offset instead is 5-10x slower: every access checks for a negative index).
"""

from __future__ import annotations

import numba
import numpy as np

_SPACE = 32
_NEWLINE = 10


@numba.njit(nogil=True, cache=True)
def read_records(
    buf: np.ndarray,
    pos: int,
    record: int,
    most: int,
    max_word: int,
    starts: np.ndarray,
    spaces: np.ndarray,
    words: np.ndarray,
    out: np.ndarray,
) -> tuple[int, int, int, bool]:
    """Walk up to ``most`` complete records of ``buf`` from byte ``pos``.

    Args:
        buf: ``(B,)`` uint8, the bytes of the file (or of a block of it).
        pos: where the next record starts (a newline before the word is skipped).
        record: bytes of a vector, ``4 * dim``.
        most: records to read at most (``<= starts.size``, and ``<= out.shape[0]`` when
            copying).
        max_word: the space must come within this many bytes of ``pos``.
        starts, spaces: ``(>= most,)`` int64, filled with each record's word start and the
            offset of the space after the word (the vector is ``buf[space + 1:][:record]``).
        words: ``(W,)`` uint8, filled with the words joined by ``"\\n"``; ``W > max_word``.
        out: ``(>= most, record)`` uint8 (the bytes of float32 rows) to copy the vectors into,
            or ``(0, record)``: don't copy.

    Returns:
        ``(n, pos, used, full)``: records read, the offset after the last one, bytes of
        ``words`` used, and whether the walk stopped because ``most`` records were read or
        ``words`` was full (so ``buf`` may hold more) rather than at an incomplete record, or at
        ``max_word`` bytes without a space.

    >>> buf = np.frombuffer(b"ab \\x00\\x00\\x80?\\nc \\x00\\x00\\x00@", np.uint8)
    >>> starts, spaces = np.empty(4, np.int64), np.empty(4, np.int64)
    >>> words, out = np.empty(64, np.uint8), np.empty((4, 4), np.uint8)
    >>> n, pos, used, full = read_records(buf, 0, 4, 4, 16, starts, spaces, words, out)
    >>> n, pos, bytes(words[:used]), out[:n].view("<f4").ravel().tolist()
    (2, 14, b'ab\\nc', [1.0, 2.0])
    """
    end = buf.size
    copy = out.shape[0] > 0
    n = 0
    used = 0
    while True:
        if n == most or used + max_word + 1 > words.size:
            return n, pos, used, True
        # The word: up to the first space within max_word bytes.
        window = buf[pos : min(pos + max_word, end)]
        space = -1
        for j in range(window.size):
            if window[j] == _SPACE:
                space = pos + j
                break
        if space < 0 or space + 1 + record > end:
            return n, pos, used, False
        start = pos
        while start < space and buf[start] == _NEWLINE:  # the C tool's newline
            start += 1
        starts[n] = start
        spaces[n] = space

        if n > 0:
            words[used] = _NEWLINE
            used += 1
        word = buf[start:space]
        dst = words[used : used + word.size]
        for j in range(word.size):
            dst[j] = word[j]
        used += word.size

        if copy:
            src = buf[space + 1 : space + 1 + record]
            row = out[n]
            for j in range(record):
                row[j] = src[j]
        n += 1
        pos = space + 1 + record


@numba.njit(nogil=True, cache=True)
def copy_vectors(buf: np.ndarray, spaces: np.ndarray, record: int, out: np.ndarray) -> None:
    """Copy the vectors after ``spaces`` (``(k,)`` int64 offsets into ``buf``) into the rows of
    ``out`` (``(>= k, record)`` uint8): row ``i`` gets ``buf[spaces[i] + 1:][:record]``.

    >>> buf = np.frombuffer(b"a \\x00\\x00\\x80?b \\x00\\x00\\x00@", np.uint8)
    >>> out = np.empty((1, 4), np.uint8)
    >>> copy_vectors(buf, np.array([7]), 4, out)
    >>> out.view("<f4").tolist()
    [[2.0]]
    """
    for i in range(spaces.size):
        src = buf[spaces[i] + 1 : spaces[i] + 1 + record]
        row = out[i]
        for j in range(record):
            row[j] = src[j]
