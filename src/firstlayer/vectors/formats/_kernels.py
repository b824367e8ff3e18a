"""The compiled loops of the readers and the text writer, from C when pip built the extension
(``_cformats.c``), else from numba (``_text_kernels.py``, ``_binary_kernels.py``,
``_format_kernels.py``: the same functions).

The C module is what makes loading cheap from the first call: it imports in ~1 ms, where numba
and LLVM take ~0.5 s and ~130 MB of memory in every new process (and compile the loops once
after installing). The numba kernels stay as the fallback where no compiler was there to build
the extension (it is optional in ``setup.py``), and as a second implementation the tests
compare the C one with. ``FIRSTLAYER_KERNELS=numba`` in the environment chooses numba.

Only the line status codes are defined here, in Python: they are needed without either.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

# A line's status after parsing (the values of _text_kernels.OK ... and _cformats.OK ...).
OK = 0  # a word and dim numbers, all parsed
BLANK = 1  # nothing but whitespace
SHORT = 2  # fewer than dim numbers, or no word before them
SLOW = 3  # a word and dim tokens, but some token is not in the fast form
SPACED = 4  # a word of several tokens before dim tokens

# The text writer's buffer: bytes per number at most (with its space), and the bytes its
# eight-byte stores may write past the end (as in _format_kernels.py).
MAX_NUMBER_BYTES = 16
SLACK_BYTES = 16

_native: ModuleType | None = None
if os.environ.get("FIRSTLAYER_KERNELS", "").lower() != "numba":
    try:
        from . import _cformats as _native  # type: ignore[attr-defined, no-redef]
    except ImportError:  # not built (no compiler at install time): numba instead
        _native = None


def native() -> bool:
    """Whether the C loops are in use (else numba's)."""
    return _native is not None


def _numba_text() -> Any:
    from . import _text_kernels

    return _text_kernels


def _numba_binary() -> Any:
    from . import _binary_kernels

    return _binary_kernels


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
    """:func:`._text_kernels.parse_lines`."""
    impl = _native if _native is not None else _numba_text()
    impl.parse_lines(buf, line_lo, line_hi, dim, out, key_s, key_e, status)


def count_tokens(buf: np.ndarray, line_lo: np.ndarray, line_hi: np.ndarray) -> np.ndarray:
    """:func:`._text_kernels.count_tokens`: tokens per line, ``(lines,)`` int64."""
    if _native is None:
        return _numba_text().count_tokens(buf, line_lo, line_hi)  # type: ignore[no-any-return]
    counts = np.empty(line_lo.size, dtype=np.int64)
    _native.count_tokens_into(buf, line_lo, line_hi, counts)
    return counts


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
    """:func:`._binary_kernels.read_records`."""
    impl = _native if _native is not None else _numba_binary()
    return impl.read_records(  # type: ignore[no-any-return]
        buf, pos, record, most, max_word, starts, spaces, words, out
    )


def copy_vectors(buf: np.ndarray, spaces: np.ndarray, record: int, out: np.ndarray) -> None:
    """:func:`._binary_kernels.copy_vectors`."""
    impl = _native if _native is not None else _numba_binary()
    impl.copy_vectors(buf, spaces, record, out)


def format_rows(
    keys: np.ndarray,
    key_ends: np.ndarray,
    bits: np.ndarray,
    out: np.ndarray,
    slow_index: np.ndarray,
    slow_at: np.ndarray,
) -> tuple[int, int]:
    """:func:`._format_kernels.format_rows`: ``(length, slow)``."""
    if _native is None:
        from . import _format_kernels

        return _format_kernels.format_rows(  # type: ignore[no-any-return]
            keys, key_ends, bits, out, slow_index, slow_at
        )
    length, slow = _native.format_rows(
        keys, key_ends, bits.reshape(-1), out, slow_index, slow_at, bits.shape[1]
    )
    return length, slow
