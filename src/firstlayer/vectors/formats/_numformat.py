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
    # digits. (Off by one next to a power of ten is harmless: see the carry below.)
    zero = a == 0
    with np.errstate(divide="ignore"):
        e = np.floor(np.log10(a))
    e[zero] = 0
    e = e.astype(np.int64)
    # Most float32 values need 7 or 8 digits (about 27% and 67% of random ones), a few 6 or 9:
    # test 6, 7 and 8 digits on every number (cheaper than gathering subsets), then search
    # below 6 only for the rare numbers that 6 digits already fit. 9 digits always round-trip.
    # p = 6 means k = 5 - e >= 2 fraction digits: |x| < 1e4 has e <= 3.
    q6, ok6 = _round_trips(x, a, 5 - e)
    q7, ok7 = _round_trips(x, a, 6 - e)
    q8, ok8 = _round_trips(x, a, 7 - e)
    p = np.where(ok7, np.where(ok6, 6, 7), np.where(ok8, 8, 9))
    q = np.where(ok7, np.where(ok6, q6, q7), q8)
    nine = ~(ok7 | ok8)
    if nine.any():
        q[nine] = _round_trips(x[nine], a[nine], 8 - e[nine])[0]
    short = np.flatnonzero(ok6)
    if short.size:  # fewer than 6 digits? bisect p in (lo, 6]: a number < 1e4 keeps its
        # integer digits (float32 spacing there is under 0.001).
        lo = np.maximum(e[short], 0)
        hi = np.full(short.size, 6, dtype=np.int64)
        open_ = np.flatnonzero(hi - lo > 1)
        while open_.size:
            idx = short[open_]
            mid = (lo[open_] + hi[open_]) >> 1
            q_mid, ok = _round_trips(x[idx], a[idx], mid - 1 - e[idx])
            hi[open_] = np.where(ok, mid, hi[open_])
            lo[open_] = np.where(ok, lo[open_], mid)
            q[idx[ok]] = q_mid[ok]
            open_ = open_[hi[open_] - lo[open_] > 1]
        p[short] = hi
    k = p - 1 - e
    k[zero] = 0
    q[zero] = 0
    # An exponent one too small (0.00999... rounds up to 0.010) shows as a carry to p + 1
    # digits; drop the trailing zero.
    carry = np.flatnonzero(q >= _P10F[np.minimum(p, 22)])
    while carry.size:
        q[carry] /= 10
        k[carry] -= 1
        carry = carry[(q[carry] % 10 == 0) & (k[carry] > 0) & (q[carry] > 0)]
    ok = (q / _P10F[k]).astype(np.float32) == x
    return q.astype(np.int64), k, ok


# The two record layouts (bytes per number): "narrow" when every number of the block is below
# 10 (one integer digit: nearly always), "wide" otherwise (up to four integer digits).
#   narrow, 16 bytes: [sign][digit][.][12 fraction digits][separator]
#   wide,   24 bytes: [sign][4 integer digits][.][12 fraction digits][separator][5 unused]
_NARROW, _WIDE = 16, 24
_SEP_BYTE = {_NARROW: 15, _WIDE: 18}
_FRAC_BYTE = {_NARROW: 3, _WIDE: 6}


def _keep_masks(width: int) -> np.ndarray:
    """Per number of fraction digits kept (1..12): the record bytes to keep, as lanes."""
    keep = np.zeros((13, width // 8), dtype=np.uint64)
    for digits in range(1, 13):
        mask = np.zeros(width, dtype=np.uint8)
        mask[: _FRAC_BYTE[width] + digits] = 0xFF
        mask[_SEP_BYTE[width]] = 0xFF
        keep[digits] = mask.view(np.uint64)
    return keep


_KEEP = {width: _keep_masks(width) for width in (_NARROW, _WIDE)}
_SPACE = {width: _U(0x20) << _U(8 * (_SEP_BYTE[width] % 8)) for width in (_NARROW, _WIDE)}
_NEWLINE_FLIP = {width: _U(0x20 ^ 0x0A) << _U(8 * (_SEP_BYTE[width] % 8)) for width in _SPACE}


def _records(
    x: np.ndarray, q: np.ndarray, k: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(records, lengths)``: ``(n, width // 8)`` uint64 lanes per number in the ``width``
    layout, NUL where a byte is unused, the separator a space; ``lengths`` counts the non-NUL
    bytes."""
    p10k = _P10I[k]
    ip = q // p10k  # integer part, < 10**4
    frac12 = (q - ip * p10k) * _P10I[12 - k]  # fraction digits, left-aligned to 12
    g0 = frac12 // 100_000_000
    rest = frac12 - g0 * 100_000_000
    g1 = rest // 10_000
    c0, c1, c2 = _LUT4[g0], _LUT4[g1], _LUT4[rest - g1 * 10_000]  # 4 characters each
    neg = np.signbit(x)
    digits = np.maximum(k, 1)  # "1.0": an integer keeps one zero
    recs = np.empty((x.size, width // 8), dtype=np.uint64)
    if width == _NARROW:
        # lane 0: sign, digit, '.', fraction 0..4; lane 1: fraction 5..11, separator
        lane0 = neg.astype(np.uint64) * _U(0x2D) | ((ip.astype(np.uint64) + _U(0x30)) << _U(8))
        recs[:, 0] = lane0 | _U(0x2E << 16) | (c0 << _U(24)) | (c1 << _U(56))
        recs[:, 1] = (c1 >> _U(8)) | (c2 << _U(24)) | _SPACE[_NARROW]
        recs &= _KEEP[_NARROW][digits]
        return recs, neg + 3 + digits  # sign, digit, '.', fraction, separator
    # wide: lane 0 = [sign][4 integer digits, leading zeros cleared]['.'][fraction 0, 1]
    nint = 1 + (ip >= 10).astype(np.int64) + (ip >= 100) + (ip >= 1000)
    drop = ((5 - nint) * 8).astype(np.uint64)
    lane0 = ((_LUT4[ip] << _U(8)) >> drop) << drop
    lane0 |= neg.astype(np.uint64) * (_U(0x2D) << ((4 - nint) * 8).astype(np.uint64))
    recs[:, 0] = lane0 | _U(0x2E << 40) | (c0 << _U(48))
    recs[:, 1] = (c0 >> _U(16)) | (c1 << _U(16)) | (c2 << _U(48))
    recs[:, 2] = (c2 >> _U(16)) | _SPACE[_WIDE]
    recs &= _KEEP[_WIDE][digits]
    return recs, neg + nint + 2 + digits  # sign, integer digits, '.', fraction, separator


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
        width = _NARROW if a.max(initial=0) < 10 else _WIDE
        q, k, ok = _shortest_digits(ax, a)
        recs, lengths = _records(x, q, k, width)
        slow = np.flatnonzero(~ok)
    else:
        idx = np.flatnonzero(fast)
        width = _NARROW if a[idx].max(initial=0) < 10 else _WIDE
        recs = np.empty((x.size, width // 8), dtype=np.uint64)
        lengths = np.empty(x.size, dtype=np.int64)
        slow = np.flatnonzero(~fast)
        if idx.size:
            q, k, ok = _shortest_digits(ax[idx], a[idx])
            recs[idx], lengths[idx] = _records(x[idx], q, k, width)
            slow = np.concatenate([slow, idx[~ok]])
    if slow.size:
        # NumPy's own repr (at most 14 characters), NUL-padded into the record, then a space.
        sep = _SEP_BYTE[width]
        text = [str(np.float32(v)).encode("ascii") for v in x[slow]]
        raw = np.zeros((slow.size, width), dtype=np.uint8)
        raw[:, :sep] = np.array(text, dtype=f"S{sep}").view(np.uint8).reshape(-1, sep)
        raw[:, sep] = 0x20
        recs[slow] = raw.view(np.uint64)
        lengths[slow] = [len(t) + 1 for t in text]
    # The last number of each row ends with a newline instead of the space.
    recs.reshape(rows, dim, -1)[:, -1, -1] ^= _NEWLINE_FLIP[width]
    raw_bytes = recs.view(np.uint8)
    ends = np.cumsum(lengths.reshape(rows, dim).sum(axis=1))
    return raw_bytes[raw_bytes != 0].tobytes(), ends
