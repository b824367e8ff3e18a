"""The text writer's inner loop, compiled by numba: a block of rows (keys' bytes and float32
numbers) becomes its ``word x1 ... xdim`` lines in a preallocated byte buffer, every number
written exactly as NumPy's ``str(np.float32(v))`` writes it (what gensim's
``save_word2vec_format`` writes).

Python formats one number at a time (~450 ns each: 27 s for a 200k x 300 matrix); this loop
takes ~30 ns and releases the GIL, so blocks are formatted on worker threads.

**The digits** are NumPy's (Dragon4, "unique" mode): the fewest significant digits ``p`` such
that a ``p``-digit decimal lies in ``x``'s rounding interval (the numbers that read back as
``x``: halfway to each neighbour, the ends included when ``x``'s mantissa is even), and of
the two ``p``-digit decimals around ``x`` the nearer one (ties: the even last digit) when both
do. For ``p`` digits and ``e`` the decimal exponent of ``x``, the candidates are ``q / 10**k``
with ``k = p - 1 - e`` and ``q`` an integer; the nearer one is ``q = rint(|x| * 10**k)``.
Random float32 numbers need 7 or 8 digits (27% and 67%), a few 6 or 9 (9 always suffice), so
6, 7 and 8 digits are tried at once and only numbers that 6 digits already fit are searched
further (a bisection).

Every decision is exact, or the number is left to Python:

* ``e`` comes from the binary exponent and one comparison with ``10**(e+1)`` as a double (a
  float32 is never the double nearest a power of ten, so the comparison is exact).
* For ``0 <= k <= 12`` (all of 6..9 digits when ``1e-4 <= |x| < 1e6``, nearly every number of a
  word-vector file) everything is exact: ``|x| * 10**k`` (a 24-bit mantissa times ``5**k <
  2**28``), its distance to ``q`` (two doubles within 0.5 of each other) and the interval's
  half-width times ``10**k`` (a power of two times an exact double).
* Other ``k``: ``|x| * 10**k`` is found with integers (``k < 0``, ``|x| < 2**63``) or with at
  most three roundings, and a product within ``2**-48`` (relative) of a tie (``.5``) is
  "unsure"; whether ``q / 10**k`` is in the interval compares ``q`` with the interval's ends
  times ``10**k`` (three roundings at most), and an end within ``2**-44`` is unsure, unless
  ``-1 <= exp2 <= 35`` where it is settled in integers. (Only there can a decimal of at most
  9 digits *be* an end: an end is a 25-bit binary fraction, ``(2m + 1) * 2**(exp2 - 1)``, which
  needs more digits when ``exp2 < -1``.)
* An unsure number (a few per million random ones, none between 1e-4 and 1e6) is formatted by
  NumPy instead.

Checked once against NumPy for every positive float32 of 59 binades (subnormals, ``2**-15`` to
``2**38``, ``2**123`` and up: 495M numbers, no difference, 38 left to NumPy); the tests check
a sample of every exponent and the edge cases.

Near a power of two the interval below ``x`` is half as wide as above: when the nearer
candidate is below the interval, the one above may still be in it (Dragon4 then rounds up),
so that one is tried too. A candidate that rounds up to ``10**p`` (``0.0099999...`` to
``0.010``) is one digit, ``1``, at the next exponent.

**The layout** is NumPy's for float32 scalars: positional for ``1e-4 <= |x| < 1e6`` and zero
(``0.5``, ``-1.25``, ``100.0``, ``0.0001234``, ``-0.0``), scientific otherwise (``1e-05``,
``1.5e+10``, ``3.4028235e+38``: at least two exponent digits, no ``.0`` after a single
digit), and ``nan`` (any sign), ``inf``, ``-inf``. Positional numbers are written eight bytes
at a time (digits made with integer arithmetic on a uint64, "SWAR"); a store may run past the
number's end, into bytes that what follows overwrites.
"""

from __future__ import annotations

from fractions import Fraction

import numba
import numpy as np

# Longest number this writes, with the separator before it: "-0.000xxxxxxxxx" or
# "-x.xxxxxxxxe-45" (15 bytes) and one space.
MAX_NUMBER_BYTES = 16
# Bytes a number's eight-byte stores may write past its end: the buffer needs them at its end.
SLACK_BYTES = 16

_P10 = np.array([float(10**k) for k in range(32)])  # 10**0..10**31, exact up to 10**22
_P10_INT = np.array([10**k for k in range(19)], dtype=np.int64)
# The double nearest 10**e, for e = _DECADE_MIN .. 39 (float32 spans 1.4e-45 .. 3.4e38).
_DECADE_MIN = -46
_DECADES = np.array([float(Fraction(10) ** e) for e in range(_DECADE_MIN, 40)])
# 2**i for i = _POW2_MIN .. 105: the float32 value and its interval's ends, exactly.
_POW2_MIN = -152
_POW2 = np.array([2.0**i for i in range(_POW2_MIN, 106)])
_TWO_63 = float(2**63)


def _first_float32_from(bound: Fraction) -> int:
    """The bits of the smallest positive float32 that is >= ``bound``."""
    x = np.float32(bound)
    if Fraction(float(x)) < bound:
        x = np.nextafter(x, np.float32(np.inf))
    return int(np.array(x).view(np.uint32))


# NumPy writes float32 1e-4 <= |x| < 1e6 positionally, compared exactly (float32(1e-4) is just
# below 1e-4: it is written "1e-04"). For |x| a range of floats is a range of bit patterns.
_POSITIONAL_FROM = _first_float32_from(Fraction(1, 10**4))
_POSITIONAL_TO = _first_float32_from(Fraction(10**6))

# How a candidate decimal compares with x's rounding interval.
_IN, _BELOW, _ABOVE, _UNSURE = 0, 1, 2, 3

# The small functions on the common path are inlined by numba (inline="always"); the rare
# paths are left to LLVM: inlining them all makes the first compilation minutes long.


# ---- the digits ---------------------------------------------------------------------------------
@numba.njit(inline="always")
def _times_pow10(v: float, k: int) -> float:
    """``v * 10**k`` in doubles: one rounding for ``|k| <= 22`` (exact powers), at most three
    beyond."""
    if k >= 0:
        if k <= 22:
            return v * _P10[k]
        return v * _P10[22] * _P10[k - 22]
    if k >= -22:
        return v / _P10[-k]
    return v / _P10[22] / _P10[-k - 22]


@numba.njit
def _nearest_by_integer_division(a: float, k: int) -> int:
    """The integer nearest ``a / 10**-k`` (ties to even), exactly, for ``k < 0`` and
    ``10**-k <= a < 2**63``."""
    unit = _P10_INT[-k]
    whole = np.int64(a)
    fraction = a - whole  # exact
    q = whole // unit
    rest = whole - q * unit
    half = unit // 2
    if rest > half or (rest == half and (fraction > 0 or q % 2 == 1)):
        q += 1
    return q


@numba.njit(inline="always")
def _classify_gap(gap: float, half_width: float, power_of_two: bool, even: bool) -> int:
    """Where a candidate ``gap`` (scaled) above ``x`` lies against x's interval, whose
    half-width above is ``half_width`` (below: half that next to a power of two)."""
    if gap >= 0:
        return _IN if gap < half_width or (gap == half_width and even) else _ABOVE
    below = 0.5 * half_width if power_of_two else half_width
    return _IN if -gap < below or (-gap == below and even) else _BELOW


@numba.njit
def _classify_near(q: float, low: float, high: float, margin: float) -> int:
    """Where the integer ``q`` lies against ``(low, high)``, each end known to ``margin``."""
    if q < low - margin:
        return _BELOW
    if q > high + margin:
        return _ABOVE
    if q <= low + margin or q >= high - margin:
        return _UNSURE
    return _IN


@numba.njit
def _classify_in_integers(q: int, k: int, m: int, exp2: int, power_of_two: bool) -> int:
    """Where ``q / 10**k`` lies against x's interval, in integers (ends included when ``m``
    is even). For ``-1 <= exp2 <= 35`` and ``k <= 2``: all times 8 are integers < 2**63."""
    q8 = 8 * q * _P10_INT[max(0, -k)]
    tens = _P10_INT[max(0, k)]
    high8 = (2 * m + 1) * (1 << (exp2 + 2)) * tens
    if power_of_two:
        low8 = (4 * m - 1) * (1 << (exp2 + 1)) * tens
    else:
        low8 = (2 * m - 1) * (1 << (exp2 + 2)) * tens
    if low8 < q8 < high8 or (m % 2 == 0 and (q8 == low8 or q8 == high8)):
        return _IN
    return _BELOW if q8 <= low8 else _ABOVE


@numba.njit
def _try_digits(a: float, e: int, p: int, m: int, exp2: int, power_of_two: bool) -> tuple:
    """``(status, q)`` for ``p`` significant digits: ``_IN`` when a ``p``-digit decimal reads
    back as ``x = a = m * 2**exp2``; ``q / 10**(p - 1 - e)`` the one Dragon4 picks."""
    k = p - 1 - e
    half_step = _POW2[exp2 - 1 - _POW2_MIN]
    even = m % 2 == 0
    if 0 <= k <= 12:  # all exact (module docstring)
        scaled = a * _P10[k]
        half_width = half_step * _P10[k]
        q = np.rint(scaled)
        status = _classify_gap(q - scaled, half_width, power_of_two, even)
        if status == _BELOW and power_of_two:  # the narrow side: the candidate above may fit
            q += 1.0
            status = _classify_gap(q - scaled, half_width, power_of_two, even)
            if status == _ABOVE:
                status = _BELOW  # neither fits
        return status, np.int64(q)

    scaled = _times_pow10(a, k)
    q = np.rint(scaled)
    if k < 0 and a < _TWO_63:
        q = float(_nearest_by_integer_division(a, k))
    elif abs(abs(scaled - q) - 0.5) <= scaled * 2.0**-48:  # too near a tie to be sure
        return _UNSURE, 0
    # x's interval, scaled by 10**k (at most three roundings: < 2**-51 relative)
    high = _times_pow10((2 * m + 1) * half_step, k)
    if power_of_two:
        low = _times_pow10((4 * m - 1) * (0.5 * half_step), k)
    else:
        low = _times_pow10((2 * m - 1) * half_step, k)
    margin = scaled * 2.0**-44
    settle = -1 <= exp2 <= 35 and k <= 2  # where an end may be a short decimal
    status = _classify_near(q, low, high, margin)
    if status == _UNSURE and settle:
        status = _classify_in_integers(np.int64(q), k, m, exp2, power_of_two)
    if status == _BELOW and power_of_two:
        q += 1.0
        status = _classify_near(q, low, high, margin)
        if status == _UNSURE and settle:
            status = _classify_in_integers(np.int64(q), k, m, exp2, power_of_two)
        if status == _ABOVE:
            status = _BELOW
    return status, np.int64(q)


@numba.njit(inline="always")
def _fits_exactly(a: float, half_step: float, k: int, even: bool) -> tuple:
    """``(fits, q)``: ``_try_digits`` for ``0 <= k <= 12`` away from powers of two, without
    branches (their outcome is random: 6, 7 and 8 digits are tried together)."""
    scaled = a * _P10[k]
    half_width = half_step * _P10[k]
    q = np.rint(scaled)
    gap = abs(q - scaled)
    return (gap < half_width) | ((gap == half_width) & even), q


@numba.njit(inline="always")
def _shortest(m: int, exp2: int, lead2: int, power_of_two: bool) -> tuple:
    """``(q, k, count)``: NumPy's shortest digits of ``x = m * 2**exp2 > 0`` are
    ``q / 10**k``, ``count`` digits (``lead2 = floor(log2(x))``); ``count = 0``: unsure."""
    a = m * _POW2[exp2 - _POW2_MIN]
    # Decimal exponent: floor(lead2 * log10(2)) is e or e - 1.
    e = (lead2 * 78913) >> 18
    if a >= _DECADES[e + 1 - _DECADE_MIN]:
        e += 1

    if -4 <= e <= 5 and not power_of_two:  # 6..9 digits: 0 <= k <= 12
        half_step = _POW2[exp2 - 1 - _POW2_MIN]
        even = m % 2 == 0
        fits6, _ = _fits_exactly(a, half_step, 5 - e, even)
        fits7, q7 = _fits_exactly(a, half_step, 6 - e, even)
        fits8, q8 = _fits_exactly(a, half_step, 7 - e, even)
        if not fits6:  # 9 digits always fit: the nearer 9-digit decimal is inside
            count = 7 if fits7 else (8 if fits8 else 9)
            q = q7 if fits7 else (q8 if fits8 else np.rint(a * _P10[8 - e]))
            return np.int64(q), count - 1 - e, count

    # Elsewhere, and for 6 digits or fewer: 8, then 9 or 7, 6, then bisect in (0, 6].
    status, q = _try_digits(a, e, 8, m, exp2, power_of_two)
    if status == _UNSURE:
        return 0, 0, 0
    if status != _IN:
        status, q = _try_digits(a, e, 9, m, exp2, power_of_two)
        if status != _IN:
            return 0, 0, 0
        return q, 8 - e, 9
    best_q, best_p = q, 8
    p_fails, p_fits = 0, 8
    for p in (7, 6):
        status, q = _try_digits(a, e, p, m, exp2, power_of_two)
        if status == _UNSURE:
            return 0, 0, 0
        if status != _IN:
            p_fails = p
            break
        best_q, best_p, p_fits = q, p, p
    while p_fits - p_fails > 1:  # monotone: if p digits fit, p + 1 do
        p = (p_fails + p_fits) // 2
        status, q = _try_digits(a, e, p, m, exp2, power_of_two)
        if status == _UNSURE:
            return 0, 0, 0
        if status == _IN:
            best_q, best_p, p_fits = q, p, p
        else:
            p_fails = p
    k = best_p - 1 - e
    if best_q == _P10_INT[best_p]:  # rounded up to 10**p: one digit, 1, one exponent up
        return 1, k - best_p, 1
    return best_q, k, best_p


# ---- the bytes ----------------------------------------------------------------------------------
@numba.njit(inline="always")
def _store8(out: np.ndarray, pos: int, word: np.uint64) -> None:
    """``out[pos:pos + 8]`` = the bytes of ``word``, lowest first: one 8-byte store (with
    unsigned indices LLVM merges the eight)."""
    at = np.uint64(pos)
    for t in range(8):
        out[at + np.uint64(t)] = (word >> np.uint64(8 * t)) & np.uint64(0xFF)


@numba.njit(inline="always")
def _ascii8(v: np.uint64) -> np.uint64:
    """The eight digits of ``v < 10**8`` (leading zeros kept) as ASCII in a uint64, the
    first digit in the lowest byte: split into 4-digit, 2-digit, 1-digit lanes at once
    (``x * 10486 >> 20`` is ``x // 100`` below 10**4, ``x * 103 >> 10`` is ``x // 10`` below
    100; every constant is a uint64: numba types mixed signed/unsigned arithmetic as float)."""
    top = v // np.uint64(10_000)
    x = top | ((v - np.uint64(10_000) * top) << np.uint64(32))
    hundreds = ((x * np.uint64(10486)) >> np.uint64(20)) & np.uint64(0x0000_007F_0000_007F)
    x = hundreds | ((x - hundreds * np.uint64(100)) << np.uint64(16))
    tens = ((x * np.uint64(103)) >> np.uint64(10)) & np.uint64(0x000F_000F_000F_000F)
    x = tens | ((x - tens * np.uint64(10)) << np.uint64(8))
    return x + np.uint64(0x3030_3030_3030_3030)


@numba.njit(inline="always")
def _put_leading(out: np.ndarray, pos: int, v: np.uint64, count: int) -> None:
    """Write the last ``count`` (1..8) of ``v``'s eight digits at ``pos`` (8 bytes stored)."""
    _store8(out, pos, _ascii8(v) >> np.uint64(8 * (8 - count)))


@numba.njit(inline="always")
def _put_positional(out: np.ndarray, pos: int, q: int, k: int, exp10: int) -> int:
    """``q / 10**k`` (first digit at ``10**exp10``, below 1e6, ``k <= 12``) as ``0.00123``,
    ``1.5``, ``123000.0``; returns the end."""
    whole_digits = max(exp10 + 1, 1)  # "0." below 1
    if k <= 0:  # an integer: its digits, ".0"
        _put_leading(out, pos, np.uint64(q * _P10_INT[-k]), whole_digits)
        out[pos + whole_digits] = 46
        out[pos + whole_digits + 1] = 48
        return pos + whole_digits + 2
    # x * 10**12, 12 fraction digits (the last 12 - k are zeros). Unsigned: cheaper division.
    scaled = np.uint64(q * _P10_INT[12 - k])
    whole = scaled // np.uint64(10**12)
    fraction = scaled - np.uint64(10**12) * whole
    top = fraction // np.uint64(10**6)
    _put_leading(out, pos, whole, whole_digits)
    out[pos + whole_digits] = 46  # '.'
    _put_leading(out, pos + whole_digits + 1, top, 6)
    _put_leading(out, pos + whole_digits + 7, fraction - np.uint64(10**6) * top, 6)
    return pos + whole_digits + 1 + k


@numba.njit
def _put_scientific(out: np.ndarray, pos: int, q: int, count: int, exp10: int) -> int:
    """``d[.ddd]e+XX`` (rare in vector files: one byte at a time); returns the end."""
    end = pos + count + (1 if count > 1 else 0)
    j = end - 1
    for i in range(count - 1, -1, -1):  # digit i from the left, written from the right
        out[j] = 48 + q % 10
        q //= 10
        j -= 1
        if i == 1:
            out[j] = 46  # '.' after the first digit
            j -= 1
    out[end] = 101  # 'e'
    out[end + 1] = 45 if exp10 < 0 else 43
    exp10 = abs(exp10)  # float32: at most 45
    out[end + 2] = 48 + exp10 // 10
    out[end + 3] = 48 + exp10 % 10
    return end + 4


@numba.njit
def _put_special(out: np.ndarray, pos: int, bits: int) -> int:
    """nan, inf, -inf, 0.0, -0.0."""
    if bits & 0x7FFFFF and (bits >> 23) & 0xFF == 0xFF:  # NumPy prints any NaN as "nan"
        out[pos], out[pos + 1], out[pos + 2] = 110, 97, 110
        return pos + 3
    if bits >> 31:
        out[pos] = 45  # '-'
        pos += 1
    if bits & 0x7FFFFFFF:  # infinity
        out[pos], out[pos + 1], out[pos + 2] = 105, 110, 102
        return pos + 3
    out[pos], out[pos + 1], out[pos + 2] = 48, 46, 48  # "0.0"
    return pos + 3


@numba.njit(inline="always")
def _digits_of(bits: int) -> tuple:
    """``(q, k, count)``: the shortest digits of the finite, non-zero float32 with these bits
    (``count = 0``: unsure, leave it to Python)."""
    biased = (bits >> 23) & 0xFF
    fraction = bits & 0x7FFFFF
    if biased == 0:  # subnormal: x = fraction * 2**-149
        lead2 = -150
        top = fraction
        while top:
            top >>= 1
            lead2 += 1
        return _shortest(fraction, -149, lead2, False)
    return _shortest(fraction | 0x800000, biased - 150, biased - 127, fraction == 0 and biased > 1)


@numba.njit(inline="always")
def _is_special(bits: int) -> bool:
    """nan, inf, 0: no digits to find."""
    return (bits >> 23) & 0xFF == 0xFF or bits & 0x7FFFFFFF == 0


@numba.njit(inline="always")
def _put_number(out: np.ndarray, pos: int, bits: int, q: int, k: int, count: int) -> int:
    """Write the finite, non-zero float32 with these bits, shortest digits ``q / 10**k``
    (``count`` of them), at ``pos``; returns the end."""
    out[pos] = 45  # '-', kept only if negative (no branch: signs are random)
    pos += bits >> 31
    exp10 = count - 1 - k  # the decimal exponent of the first digit
    if _POSITIONAL_FROM <= bits & 0x7FFFFFFF < _POSITIONAL_TO:
        return _put_positional(out, pos, q, k, exp10)
    return _put_scientific(out, pos, q, count, exp10)


@numba.njit(nogil=True, cache=True)
def format_rows(
    keys: np.ndarray,
    key_ends: np.ndarray,
    bits: np.ndarray,
    out: np.ndarray,
    slow_index: np.ndarray,
    slow_at: np.ndarray,
) -> tuple:
    """Write the lines ``key x1 ... xdim\\n`` of a block of rows into ``out``.

    ``keys`` (uint8) holds the keys' bytes one after the other, key ``r`` ending at
    ``key_ends[r]``; ``bits`` is the ``(rows, dim)`` float32 block viewed as uint32. ``out``
    needs ``keys.size + rows * (1 + dim * MAX_NUMBER_BYTES) + SLACK_BYTES`` bytes. Returns
    ``(length, slow)``: the bytes written and how many numbers were left for Python: number
    ``slow_index[i]`` (flat index into ``bits``) goes at ``out[slow_at[i]]``, between its
    space and what follows. ``slow_index`` and ``slow_at`` need ``bits.size`` entries.
    """
    rows, dim = bits.shape
    # Per row, first all the digits, then all the bytes: the searches of different numbers
    # are independent and overlap in the CPU; writing makes each number wait for the last.
    digits = np.empty((dim, 3), dtype=np.int64)
    pos = 0
    start = 0
    slow = 0
    for r in range(rows):
        for j in range(dim):
            b = np.int64(bits[r, j])
            if not _is_special(b):
                q, k, count = _digits_of(b)
                digits[j, 0], digits[j, 1], digits[j, 2] = q, k, count
        for c in range(start, key_ends[r]):
            out[pos] = keys[c]
            pos += 1
        start = key_ends[r]
        for j in range(dim):
            out[pos] = 32  # ' '
            pos += 1
            b = np.int64(bits[r, j])
            if _is_special(b):
                pos = _put_special(out, pos, b)
            elif digits[j, 2] == 0:
                slow_index[slow] = r * dim + j
                slow_at[slow] = pos
                slow += 1
            else:
                pos = _put_number(out, pos, b, digits[j, 0], digits[j, 1], digits[j, 2])
        out[pos] = 10  # '\n'
        pos += 1
    return pos, slow
