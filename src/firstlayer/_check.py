"""Checks of hyper-parameters: one function per kind of value, one wording for every message.

Each returns the value as a plain Python ``int``/``float`` (NumPy scalars included) or raises:
``TypeError`` when the value is not of the right kind (``bool`` is never a number here: ``True``
as a size is a mistake), ``ValueError`` when it is out of range. The message names the
parameter, the value received and what is valid::

    vector_size must be an int, got 1.5 (float)
    vector_size must be >= 1, got 0
    alpha must be > 0, got 0.0
    sample must be a finite number, got nan
    sg must be 0 or 1, got 2
    loss must be one of 'softmax', 'ns', got 'hinge'

Checks that relate two parameters (``minn <= maxn``) stay with their owner: the message there
says how the two must relate.

>>> positive_int("dim", 100)
100
>>> number("lr", 0.1, low=0, low_open=True)
0.1
>>> one_of("loss", "ova", ("softmax", "ns", "ova", "hs"))
'ova'
"""

from __future__ import annotations

import math
import operator
from collections.abc import Collection
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np

__all__ = ["flag", "integer", "non_negative_int", "number", "one_of", "positive_int"]

T = TypeVar("T")


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _range(low: Any, high: Any, low_open: bool, high_open: bool) -> str:
    """``>= 1``, ``> 0``, ``<= 1.0`` or ``in [0.0, 1.0)``: the valid values, for a message."""
    if high is None:
        return f"> {low}" if low_open else f">= {low}"
    if low is None:
        return f"< {high}" if high_open else f"<= {high}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def _check_range(
    name: str, value: Any, low: Any, high: Any, low_open: bool, high_open: bool
) -> None:
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        raise ValueError(f"{name} must be {_range(low, high, low_open, high_open)}, got {value}")


def integer(
    name: str,
    value: Any,
    low: int | None = None,
    high: int | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> int:
    """``value`` as an ``int`` in the range given (bounds included unless ``*_open``).

    Python and NumPy integers pass, as does anything with ``__index__`` (a torch integer);
    ``bool``, floats (even ``2.0``) and strings raise ``TypeError``.

    >>> integer("window", 5, low=1)
    5
    >>> integer("window", 0, low=1)
    Traceback (most recent call last):
    ...
    ValueError: window must be >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {_kind(value)}")
    if not isinstance(value, Integral):
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be an int, got {_kind(value)}") from None
    value = int(value)
    _check_range(name, value, low, high, low_open, high_open)
    return value


def positive_int(name: str, value: Any) -> int:
    """An ``int >= 1`` (a size, a count of epochs or threads)."""
    return integer(name, value, low=1)


def non_negative_int(name: str, value: Any) -> int:
    """An ``int >= 0`` (a size that may be empty, a count that may be zero)."""
    return integer(name, value, low=0)


def number(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a ``float`` in the range given (bounds included unless ``*_open``).

    ints and floats (NumPy's too) pass; ``bool`` and strings raise ``TypeError``; NaN and the
    infinities raise ``ValueError`` unless ``finite=False``.

    >>> number("alpha", 0.0, low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be > 0, got 0.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {_kind(value)}")
    value = float(value)
    if finite and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    _check_range(name, value, low, high, low_open, high_open)
    return value


def flag(name: str, value: Any) -> int:
    """``0`` or ``1`` (``False``/``True`` too) as an ``int``: gensim's switches (``sg``, ``hs``).

    Anything else raises ``ValueError`` (a switch has two values, whatever the type).
    """
    if value not in (0, 1) or not isinstance(value, (Integral, np.bool_)):
        raise ValueError(f"{name} must be 0 or 1, got {value!r}")
    return int(value)


def one_of(name: str, value: T, choices: Collection[Any]) -> T:
    """``value`` if it is one of ``choices`` (compared with ``==``), else ``ValueError``
    listing them.

    >>> one_of("backend", "gpu", ("fast", "reference"))
    Traceback (most recent call last):
    ...
    ValueError: backend must be one of 'fast', 'reference', got 'gpu'
    """
    try:
        ok = value in choices
    except TypeError:  # an unhashable value and a set or dict of choices
        ok = False
    if not ok:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value
