"""Format a float32 matrix as text, fast: the shortest round-trip digits, laid out as NumPy's
``str(np.float32(v))`` writes them (gensim's ``save_word2vec_format`` writes exactly that).

Python formats one number at a time (~450 ns each: 27 s for a 200k x 300 matrix). Here every
step runs on whole arrays of numbers:

1. **Shortest digits.** For ``p`` significant digits the candidate is ``q = rint(|x| * 10**k)``
   with ``k = p - 1 - e`` fraction digits (``e`` the decimal exponent of ``x``). It round-trips
   when ``float32(q / 10**k) == x``: ``q < 10**10`` and ``10**k <= 10**12`` are exact doubles,
   so the division is correctly rounded, which is what every reader (gensim, NumPy, us) does
   with the text: decimal -> nearest double -> float32. A binary search over ``p`` in 1..9
   finds the smallest such ``p`` (9 digits always round-trip a float32).
2. **Bytes.** Each number becomes a fixed 24-byte record ``[sign][4 int digits][.][12 fraction
   digits][separator][padding]``, built with 4-digit lookup tables in three uint64 lanes. Bytes
   the number does not use (sign of a positive number, leading zeros, unused fraction digits)
   are NUL; one boolean compaction drops all NULs of a whole block of rows at once.

Numbers outside ``1e-4 <= |x| < 1e4`` (and not 0), infinities and NaN take the slow path
(``str(np.float32(v))``); word vectors have almost none.
"""

from __future__ import annotations

import numpy as np

_U = np.uint64
_FAST_MIN, _FAST_MAX = 1e-4, 1e4
_WIDTH = 24  # bytes per number record
_SEP_SHIFT = _U(16)  # the separator sits at byte 18 = lane 2, byte 2

# "0000".."9999" as little-endian uint32: the first character in the lowest byte.
_LUT4 = np.frombuffer(
    "".join(f"{i:04d}" for i in range(10_000)).encode("ascii"), dtype="<u4"
).astype(np.uint64)
# 10**k for k = 0..22: exact doubles.
_P10F = 10.0 ** np.arange(23)
_P10I = np.array([10**k for k in range(19)], dtype=np.int64)


def _round_trips(x: np.ndarray, a: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``q = rint(a * 10**k)`` and whether ``q / 10**k`` reads back as ``x``."""
    scale = _P10F[k]
    q = np.rint(a * scale)
    return q, (q / scale).astype(np.float32) == x


def _shortest_digits(x: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For float32 ``x >= 0`` (1-D, in the fast range) and ``a = x`` as float64: ``(q, k, ok)``
    with ``q / 10**k`` the shortest decimal that reads back as ``x``; ``ok`` False where even 9
    digits failed (never seen; such numbers take the slow path)."""
    # Decimal exponent of the leading digit: k = p - 1 - e fraction digits give p significant
    # digits. (Off by one next to a power of ten only shifts the search range; the final
    # trailing-zero strip below gives the same digits.)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log10(a))
    e[a == 0] = 0
    e = e.astype(np.int64)
    # p in (lo, hi]: 9 digits always round-trip a float32; fewer digits than the integer part
    # has would change the integer part (float32 spacing below 1e4 is under 0.001).
    lo = np.maximum(e, 0)
    hi = np.full(x.shape, 9, dtype=np.int64)
    # Most float32 values need 8 or 9 digits: try 7 first, then bisect only the numbers whose
    # range is still open (a shrinking subset).
    mid = np.maximum(lo + 1, 7)
    first = mid < hi
    _, ok = _round_trips(x, a, mid - 1 - e)
    ok &= first
    hi = np.where(ok, mid, hi)
    lo = np.where(ok | ~first, lo, mid)
    active = np.flatnonzero(hi - lo > 1)
    while active.size:
        lo_a, hi_a, e_a = lo[active], hi[active], e[active]
        mid = (lo_a + hi_a) >> 1
        _, ok = _round_trips(x[active], a[active], mid - 1 - e_a)
        hi[active] = np.where(ok, mid, hi_a)
        lo[active] = np.where(ok, lo_a, mid)
        active = active[hi[active] - lo[active] > 1]
    k = hi - 1 - e
    k[a == 0] = 0
    q, ok = _round_trips(x, a, k)
    # A carry can leave a trailing zero (0.00999... -> "0.010"): drop it.
    while True:
        strip = np.flatnonzero((k > 0) & (q % 10 == 0) & (q > 0))
        if not strip.size:
            break
        q[strip] /= 10
        k[strip] -= 1
    return q.astype(np.int64), k, ok


# Per number of kept fraction digits (1..12): which record bytes to keep. Bytes 0..5 (sign,
# integer digits, '.') always, fraction bytes 6 .. 6 + digits - 1, the separator (byte 18).
_KEEP = np.zeros((13, 3), dtype=np.uint64)
for _digits in range(1, 13):
    _mask = np.zeros(_WIDTH, dtype=np.uint8)
    _mask[: 6 + _digits] = 0xFF
    _mask[18] = 0xFF
    _KEEP[_digits] = _mask.view(np.uint64)
# The '.' (byte 5) and a space separator (byte 18).
_CONST = np.zeros(_WIDTH, dtype=np.uint8)
_CONST[5], _CONST[18] = 0x2E, 0x20
_CONST_LANES = _CONST.view(np.uint64).copy()


def _records(x: np.ndarray, q: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(records, lengths)``: (n, 3) uint64 lanes = 24 bytes per number: sign, integer digits,
    '.', fraction digits, space; NUL where a byte is unused. ``lengths`` counts the non-NUL
    bytes."""
    p10k = _P10I[k]
    ip = q // p10k  # integer part, < 10**4
    frac12 = (q - ip * p10k) * _P10I[12 - k]  # fraction digits, left-aligned to 12
    g0 = frac12 // 100_000_000
    rest = frac12 - g0 * 100_000_000
    g1 = rest // 10_000
    c0, c1, c2 = _LUT4[g0], _LUT4[g1], _LUT4[rest - g1 * 10_000]
    neg = np.signbit(x)
    recs = np.empty((x.size, 3), dtype=np.uint64)
    # lane 0: bytes 0..4 = [sign][4 integer digits] with leading zeros cleared, 6..7 = fraction
    if ip.max() < 10:  # the usual case: one integer digit, the sign (if any) in byte 3
        nint: np.ndarray | int = 1
        lane0 = (_LUT4[ip] << _U(8)) & _U(0xFF_0000_0000)
        lane0 |= neg.astype(np.uint64) * _U(0x2D00_0000)
    else:
        nint = 1 + (ip >= 10).astype(np.int64) + (ip >= 100) + (ip >= 1000)
        drop = ((5 - nint) * 8).astype(np.uint64)
        lane0 = ((_LUT4[ip] << _U(8)) >> drop) << drop
        lane0 |= neg.astype(np.uint64) * (_U(0x2D) << ((4 - nint) * 8).astype(np.uint64))
    recs[:, 0] = lane0 | (c0 << _U(48))
    recs[:, 1] = (c0 >> _U(16)) | (c1 << _U(16)) | (c2 << _U(48))
    recs[:, 2] = c2 >> _U(16)
    digits = np.maximum(k, 1)  # "1.0": an integer keeps one zero
    recs &= _KEEP[digits]
    recs |= _CONST_LANES
    lengths = neg + nint + 2 + digits  # sign, integer digits, '.', fraction, separator
    return recs, lengths


def format_rows(block: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Text of a ``(rows, dim)`` float32 block: numbers separated by one space, each row ended
    by a newline. Returns ``(text, ends)`` with ``ends[i]`` the byte offset just past row i's
    newline. Fastest with blocks of ~10-50 thousand numbers (arrays that stay in cache).

    >>> text, ends = format_rows(np.array([[0.5, -1.25], [100.0, 1e-5]], np.float32))
    >>> text, ends.tolist()
    (b'0.5 -1.25\\n100.0 1e-05\\n', [10, 22])
    """
    rows, dim = block.shape
    x = np.ascontiguousarray(block, dtype=np.float32).reshape(-1)
    ax = np.abs(x)
    a = ax.astype(np.float64)
    fast = ((a >= _FAST_MIN) & (a < _FAST_MAX)) | (a == 0)
    if fast.all():
        q, k, ok = _shortest_digits(ax, a)
        recs, lengths = _records(x, q, k)
        slow = np.flatnonzero(~ok)
    else:
        idx = np.flatnonzero(fast)
        recs = np.empty((x.size, 3), dtype=np.uint64)
        lengths = np.empty(x.size, dtype=np.int64)
        q, k, ok = _shortest_digits(ax[idx], a[idx])
        recs[idx], lengths[idx] = _records(x[idx], q, k)
        slow = np.concatenate([np.flatnonzero(~fast), idx[~ok]])
    if slow.size:
        # NumPy's own repr (at most 14 characters), NUL-padded into the record, then a space.
        text = [str(np.float32(v)).encode("ascii") for v in x[slow]]
        raw = np.zeros((slow.size, _WIDTH), dtype=np.uint8)
        raw[:, :18] = np.array(text, dtype="S18").view(np.uint8).reshape(-1, 18)
        raw[:, 18] = 0x20
        recs[slow] = raw.view(np.uint64)
        lengths[slow] = [len(t) + 1 for t in text]
    # The last number of each row ends with a newline instead of the space.
    recs.reshape(rows, dim, 3)[:, -1, 2] ^= _U((0x20 ^ 0x0A) << 16)
    raw_bytes = recs.view(np.uint8)
    ends = np.cumsum(lengths.reshape(rows, dim).sum(axis=1))
    return raw_bytes[raw_bytes != 0].tobytes(), ends
