"""Parse decimal numbers out of a byte buffer, many at a time, exactly as ``float()`` would.

Python (gensim) converts one token at a time (~500 ns each); ``np.fromstring`` ~70 ns. This
parser handles the form nearly every vector file uses, ``[-]d.ddd`` with one integer digit and
up to 16 fraction digits, in a few dozen whole-array operations (~25-40 ns per number):

* the 16 bytes that end at each token's end are gathered as two uint64 lanes (one ``'V16'``
  gather from a 1-byte-strided view of the buffer), so the fraction digits sit right-aligned;
* bytes before the fraction are replaced by ``'0'``; eight ASCII digits become their value with
  three multiplications (the "SWAR" trick: Lemire, "Fast float parsing", 2020);
* the mantissa ``M`` (integer part and fraction, < 2**53) divided by ``10**f`` (exact) is
  correctly rounded, the same double that ``float(token)`` returns; casting that to float32
  gives what gensim and NumPy give.

Tokens in any other form (exponents, several integer digits, ``nan``) are reported back to the
caller, which parses them one by one with ``float()``.
"""

from __future__ import annotations

import numpy as np

_U = np.uint64
_ZEROS = _U(0x3030_3030_3030_3030)  # eight '0' characters
_HIGH_NIBBLES = _U(0xF0F0_F0F0_F0F0_F0F0)
_SIXES = _U(0x0606_0606_0606_0606)
_ALL = _U(0xFFFF_FFFF_FFFF_FFFF)
_P10 = np.array([10**k for k in range(17)], dtype=np.uint64)
# Divisors with the sign folded in: index f for positive numbers, f + 17 for negative ones.
_SIGNED_P10F = np.concatenate([10.0 ** np.arange(17), -(10.0 ** np.arange(17))])
# How many bytes in front of the buffer's first token / after its last one must be readable.
PAD = 16


def _eight_digits(v: np.ndarray) -> np.ndarray:
    """Eight ASCII digits per uint64 (first character in the lowest byte) -> their value."""
    v = v - _ZEROS
    v = ((v * _U(10)) + (v >> _U(8))) & _U(0x00FF_00FF_00FF_00FF)
    v = ((v * _U(100)) + (v >> _U(16))) & _U(0x0000_FFFF_0000_FFFF)
    return ((v * _U(10_000)) + (v >> _U(32))) & _U(0xFFFF_FFFF)


def _all_digits(v: np.ndarray) -> np.ndarray:
    """True where all eight bytes are '0'..'9'."""
    return ((v & _HIGH_NIBBLES) == _ZEROS) & (((v + _SIXES) & _HIGH_NIBBLES) == _ZEROS)


def _keep_top(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Keep the top ``n`` bytes (0..8) of each lane, '0' in the others."""
    mask = _ALL << ((_U(8) - n) * _U(8))
    return (v & mask) | (_ZEROS & ~mask)


def windows(buf: np.ndarray) -> np.ndarray:
    """A ``'V16'`` view of ``buf`` with stride 1: element ``i`` is ``buf[i:i+16]``."""
    return np.ndarray(shape=(buf.size - 15,), dtype="V16", buffer=buf, offset=0, strides=(1,))


def parse_simple(
    buf: np.ndarray, win: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values of the tokens ``buf[starts[i]:ends[i]]`` of the form ``[-]d.ddd``.

    Args:
        buf: uint8 buffer; ``PAD`` bytes before the first token and after the last readable.
        win: ``windows(buf)``.
        starts, ends: int64 token boundaries, shape (n,).

    Returns:
        ``(values, ok)``: float64 values, shape (n,), and where the token had the simple form
        (values elsewhere are garbage).
    """
    neg = buf[starts] == 0x2D  # '-'
    at = starts + neg
    int_digit = buf[at] - np.uint8(0x30)
    ok = (int_digit < 10) & (buf[at + 1] == 0x2E)  # one integer digit, then '.'
    frac_len = (ends - at - 2).astype(np.uint64)  # a negative count wraps: rejected
    ok &= frac_len <= _U(16)
    frac_len *= ok  # 0 where rejected: keeps the table lookups below in range
    lanes = win[ends - 16].view(np.uint64).reshape(-1, 2)  # the 16 bytes that end the token
    n_hi = np.minimum(frac_len, _U(8))
    hi = _keep_top(lanes[:, 1], n_hi)
    ok &= _all_digits(hi)
    frac = _eight_digits(hi)
    if (frac_len > _U(8)).any():
        lo = _keep_top(lanes[:, 0], frac_len - n_hi)
        ok &= _all_digits(lo)
        frac += _eight_digits(lo) * _U(100_000_000)
    mantissa = int_digit.astype(np.uint64) * _P10[frac_len] + frac
    ok &= mantissa < _U(1 << 53)  # exact as a double
    values = mantissa.astype(np.float64) / _SIGNED_P10F[frac_len + neg * _U(17)]
    return values, ok
