"""The ``dim`` arguments of reductions, scans and sorts: checked and normalised as torch does,
and the reduced dims put back for the backward pass."""

from __future__ import annotations

import operator
import sys
import warnings
from typing import Any

import numpy as np

from .._errors import ValueRuntimeError
from ..tensor import Tensor


def tensor_arg(input: Any, fn: str) -> Tensor:  # noqa: A002
    """``input`` itself, or torch's TypeError for a list, array or number."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return input


def _int_dim(d: Any, fn: str) -> int:
    if isinstance(d, (bool, np.bool_)):
        raise TypeError(f"{fn}(): dim must be an int or a tuple of ints, got {d!r}")
    try:
        return operator.index(d)
    except TypeError:
        raise TypeError(
            f"{fn}(): dim must be an int or a tuple of ints, got {type(d).__name__} {d!r}"
        ) from None


def reduce_axes(a: Tensor, dim: Any, fn: str) -> tuple[int, ...] | None:
    """The NumPy axes that ``dim`` names (None: all). torch reads ``dim=()`` and ``dim=None``
    as "every dim" (NumPy's ``axis=()`` would reduce none); a 0-d tensor accepts dim 0 and -1
    and has no axes to reduce."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    dims = [_int_dim(d, fn) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    axes = tuple(a._dim_index(d) for d in dims)
    for i, ax in enumerate(axes):
        if ax in axes[:i]:
            raise ValueRuntimeError(
                f"dim {ax} appears multiple times in the list of dims {tuple(dims)}"
            )
    return axes if a.dim() else ()


def one_dim(a: Tensor, dim: Any, fn: str) -> int:
    """A single dim as a NumPy axis of ``flat_0d(a)`` (a 0-d tensor is seen as shape (1,))."""
    return a._dim_index(_int_dim(dim, fn))


def flat_0d(x: np.ndarray) -> np.ndarray:
    """Ops along one dim treat a 0-d tensor as a 1-element vector (then reshape back)."""
    return x.reshape(1) if x.ndim == 0 else x


def count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    """How many elements each output element reduces over."""
    return int(np.prod(shape if axes is None else [shape[i] for i in axes], dtype=np.int64))


def keep_dims(g: np.ndarray, ndim: int, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
    """A reduced result (or its gradient) with the reduced dims back as size 1, so that it
    broadcasts against the input."""
    if keepdim:
        return g
    if axes is None:
        return g.reshape((1,) * ndim)
    return np.expand_dims(g, axes)


def expand_back(g: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...] | None,
                keepdim: bool) -> np.ndarray:
    """The reduced gradient broadcast over the reduced dims (a read-only view)."""
    return np.broadcast_to(keep_dims(g, len(shape), axes, keepdim), shape)


def warn_user(message: str) -> None:
    """A UserWarning reported at the caller's line outside firstlayer (torch's C++ warnings
    point at the Python line that called the op, whichever wrapper it went through)."""
    level, frame = 2, sys._getframe(1)  # 2: warn_user's caller
    while frame is not None and frame.f_globals.get("__name__", "").startswith("firstlayer"):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    warnings.warn(message, UserWarning, stacklevel=level)
