"""The text reader's inner loop, compiled by numba: one pass over a block of lines turns every
line into its word's byte span and its ``dim`` numbers.

Python converts one number at a time (gensim: ~550 ns each); this loop does it in a few
nanoseconds per byte, and releases the GIL so blocks are parsed on worker threads.

The last ``dim`` tokens of a line are the vector, whatever comes before them is the word (so
words may hold spaces, as in GloVe 840B). A line is first read left to right as the common
case, one word then ``dim`` numbers; any other line (a word with spaces, a short row, an odd
number) is read again from its end. Tokens are separated by ASCII whitespace only
(``\\t \\n \\v \\f \\r`` and space, what ``bytes.split()`` splits on), so non-breaking or
full-width spaces stay inside words.

A number is parsed the way ``float()`` does it, bit for bit, when it fits Clinger's fast path:
``[+-]digits[.digits][(e|E)[+-]digits]`` whose digits, read as one integer ``M``, are below
``2**53`` and whose decimal exponent ``p`` is within ``[-22, 22]``. Then ``M`` and ``10**|p|``
are exact doubles and one IEEE multiplication or division rounds correctly. Vector files
(``-0.12345678``, ``1.5e-05``) are nearly always in this form; anything else (``nan``, ``inf``,
20 digits, a typo) marks the line ``SLOW`` and the caller parses it with ``float()`` (and
reports the bad token if ``float()`` refuses it too).
"""

from __future__ import annotations

import numba
import numpy as np

# A line's status after parsing.
OK = 0  # a word and dim numbers, all parsed here
BLANK = 1  # nothing but whitespace
SHORT = 2  # fewer than dim numbers, or no word before them
SLOW = 3  # a word and dim tokens, but some token is not in the fast form
SPACED = 4  # a word of several tokens before dim tokens: the caller checks that none of the
#           word's later tokens is a number (a row with too many numbers is an error)

_TWO_53 = 1 << 53
_POW10 = np.array([10.0**k for k in range(23)])  # 10**0 .. 10**22: all exact doubles


@numba.njit(inline="always")
def _is_space(c: int) -> bool:
    return c == 32 or (9 <= c <= 13)


# ---- numbers: eight digits at a time ------------------------------------------------------------
# "SWAR" (SIMD within a register): eight ASCII bytes are loaded as one uint64 (the first byte
# in the lowest 8 bits) and handled with a few integer operations (Lemire, "Fast float
# parsing", 2020). numba types mixed signed/unsigned arithmetic as float, so every constant
# here is a uint64.
_ZEROS = np.uint64(0x3030_3030_3030_3030)  # eight '0' bytes
_HIGH_BITS = np.uint64(0x8080_8080_8080_8080)
_ABOVE_NINE = np.uint64(0x4646_4646_4646_4646)  # 0x46 + a byte >= 0x3A ('9' + 1) sets bit 7
_BYTE_INDEX = np.uint64(0x0001_0203_0405_0607)
_P10_INT = np.array([10**k for k in range(9)], dtype=np.int64)


@numba.njit(inline="always")
def _load8(buf: np.ndarray, j: int) -> np.uint64:
    """``buf[j:j+8]`` as a little-endian uint64 (LLVM turns this into one load)."""
    x = np.uint64(0)
    for t in range(8):
        x |= np.uint64(buf[j + t]) << np.uint64(8 * t)
    return x


@numba.njit(inline="always")
def _leading_digits(x: np.uint64) -> int:
    """How many of the eight bytes, from the first, are '0'..'9' (0..8)."""
    # Bit 7 of each byte is set where the byte is above '9', below '0' (the borrow) or not
    # ASCII. Carries and borrows only spill into bytes after a non-digit, which don't count.
    not_digit = ((x + _ABOVE_NINE) | (x - _ZEROS) | x) & _HIGH_BITS
    if not_digit == np.uint64(0):
        return 8
    lowest = not_digit & (~not_digit + np.uint64(1))  # bit 8*n+7 of the first non-digit n
    # (1 << 8n) * _BYTE_INDEX puts byte 7-n of _BYTE_INDEX, which is n, in the top byte.
    return np.int64(((lowest >> np.uint64(7)) * _BYTE_INDEX) >> np.uint64(56))


@numba.njit(inline="always")
def _digits_value(x: np.uint64, n: int) -> int:
    """The value of the first ``n`` (1..8) bytes of ``x``, all digits."""
    if n < 8:  # move them to the top, fill the bottom with '0': leading zeros change nothing
        x = (x << np.uint64(8 * (8 - n))) | (_ZEROS >> np.uint64(8 * n))
    x = x - _ZEROS
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF_00FF_00FF_00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000_FFFF_0000_FFFF)
    x = (x * np.uint64(10_000) + (x >> np.uint64(32))) & np.uint64(0xFFFF_FFFF)
    return np.int64(x)


@numba.njit(inline="always")
def _parse_number(buf: np.ndarray, j: int, hi: int) -> tuple[float, int]:
    """``float()`` of the token starting at ``buf[j]`` (not a space) and ending at the next
    space or ``hi``, when it is ``[-+]digits[.digits][(e|E)[-+]digits]`` with at most 17
    digits, a value below ``2**53`` and an exponent within Clinger's range: ``(value, end)``;
    else ``(0.0, -1)``."""
    size = buf.size
    neg = buf[j] == 45  # '-'
    if neg or buf[j] == 43:  # '+'
        j += 1
    # The three digit loops below are written out: one shared helper returning a tuple made
    # the whole parse ~1.7x slower (measured), numba's inlining notwithstanding.
    m = 0
    digits = 0
    while j < hi:  # the integer part: one digit, nearly always
        d = buf[j] - 48
        if d < 0 or d > 9:
            break
        m = m * 10 + d
        digits += 1
        j += 1
    frac = 0
    if j < hi and buf[j] == 46:  # '.'
        j += 1
        while digits <= 9 and j + 8 <= size:  # the fraction, eight digits at a time
            x = _load8(buf, j)
            n = _leading_digits(x)
            if n > 0:
                m = m * _P10_INT[n] + _digits_value(x, n)
                digits += n
                frac += n
                j += n
            if n < 8:
                break
        while j < hi:  # the last bytes of the buffer, or digits beyond the 17th
            d = buf[j] - 48
            if d < 0 or d > 9:
                break
            m = m * 10 + d
            digits += 1
            frac += 1
            j += 1
    p = -frac
    if j < hi and (buf[j] == 101 or buf[j] == 69):  # 'e', 'E'
        j += 1
        exp_neg = False
        if j < hi and (buf[j] == 45 or buf[j] == 43):
            exp_neg = buf[j] == 45
            j += 1
        exp = 0
        exp_digits = 0
        while j < hi and exp_digits < 4:
            d = buf[j] - 48
            if d < 0 or d > 9:
                break
            exp = exp * 10 + d
            exp_digits += 1
            j += 1
        if exp_digits == 0:
            return 0.0, -1
        p += -exp if exp_neg else exp
    if (j < hi and not _is_space(buf[j])) or digits == 0 or digits > 17 or m >= _TWO_53:
        return 0.0, -1
    if m == 0:
        v = 0.0
    elif 0 <= p <= 22:
        v = float(m) * _POW10[p]
    elif -22 <= p < 0:
        v = float(m) / _POW10[-p]
    else:
        return 0.0, -1
    return (-v if neg else v), j


@numba.njit(inline="always")
def _parse_line_forward(
    buf: np.ndarray, lo: int, hi: int, dim: int, row: np.ndarray
) -> tuple[int, int, int]:
    """The common line, in one pass left to right: a one-token word, then ``dim`` numbers in
    :func:`_parse_number`'s form. Fills ``row`` and returns ``(OK, word start, word end)``, or
    ``(-1, 0, 0)`` for any other line (then :func:`_parse_line` reads it from its end)."""
    j = lo
    while j < hi and _is_space(buf[j]):
        j += 1
    word_s = j
    while j < hi and not _is_space(buf[j]):
        j += 1
    word_e = j
    if word_e == word_s:
        return -1, 0, 0
    for k in range(dim):
        while j < hi and _is_space(buf[j]):
            j += 1
        if j == hi:
            return -1, 0, 0
        v, j = _parse_number(buf, j, hi)
        if j < 0:
            return -1, 0, 0
        row[k] = v
    while j < hi and _is_space(buf[j]):
        j += 1
    if j != hi:  # more tokens: a word with spaces in it
        return -1, 0, 0
    return OK, word_s, word_e


# ---- any line ---------------------------------------------------------------------------------
@numba.njit(inline="always")
def _parse_line(
    buf: np.ndarray, lo: int, hi: int, dim: int, row: np.ndarray
) -> tuple[int, int, int]:
    """Any line, read from its end: the last ``dim`` tokens are the numbers, what comes before
    them the word. Returns ``(status, word start, word end)``."""
    e = hi
    k = dim - 1
    slow = False
    while k >= 0:
        while e > lo and _is_space(buf[e - 1]):
            e -= 1
        if e == lo:
            break
        s = e - 1
        while s > lo and not _is_space(buf[s - 1]):
            s -= 1
        v, end = _parse_number(buf, s, e)
        if end != e:
            slow = True
        row[k] = v
        k -= 1
        e = s
    while e > lo and _is_space(buf[e - 1]):
        e -= 1
    s = lo
    while s < e and _is_space(buf[s]):
        s += 1
    if k == dim - 1 and s == e:
        return BLANK, s, e
    if k >= 0 or s == e:
        return SHORT, s, e
    for j in range(s, e):
        if _is_space(buf[j]):
            return SPACED, s, e
    return (SLOW if slow else OK), s, e


@numba.njit(nogil=True, cache=True)
def parse_lines(
    buf: np.ndarray,
    line_lo: np.ndarray,
    line_hi: np.ndarray,
    dim: int,
    out: np.ndarray,
    key_s: np.ndarray,
    key_e: np.ndarray,
    status: np.ndarray,
) -> None:
    """Parse the lines ``buf[line_lo[i]:line_hi[i]]`` (``buf[line_hi[i]]`` is their newline).

    Fills, per line ``i``: ``out[i]`` the ``dim`` numbers (garbage unless ``status[i]`` is OK),
    ``buf[key_s[i]:key_e[i]]`` the word (whitespace around it stripped) and ``status[i]``.

    Shapes: ``line_lo``, ``line_hi``, ``key_s``, ``key_e``, ``status`` ``(lines,)``; ``out``
    ``(lines, dim)`` float32 or float64 (each value is rounded once more from the double
    ``float()`` would give, as NumPy's ``float32(float(token))`` does).
    """
    for i in range(line_lo.size):
        kind, s, e = _parse_line_forward(buf, line_lo[i], line_hi[i], dim, out[i])
        if kind < 0:
            kind, s, e = _parse_line(buf, line_lo[i], line_hi[i], dim, out[i])
        status[i] = kind
        key_s[i] = s
        key_e[i] = e


@numba.njit(nogil=True, cache=True)
def count_tokens(buf: np.ndarray, line_lo: np.ndarray, line_hi: np.ndarray) -> np.ndarray:
    """Tokens on each line ``buf[line_lo[i]:line_hi[i]]``: ``(lines,)`` int64 (0: blank)."""
    counts = np.zeros(line_lo.size, dtype=np.int64)
    for i in range(line_lo.size):
        inside = False
        n = 0
        for j in range(line_lo[i], line_hi[i]):
            space = _is_space(buf[j])
            if not space and not inside:
                n += 1
            inside = not space
        counts[i] = n
    return counts
