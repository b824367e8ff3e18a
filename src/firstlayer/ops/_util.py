"""Helpers the ops share: operands with torch's type promotion, and un-broadcasting grads."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor


def operands(a: Any, b: Any) -> tuple[Tensor | None, np.ndarray, Tensor | None, np.ndarray]:
    """Both operands as arrays cast to torch's result dtype, plus the Tensors (None for scalars).

    Python scalars and zero-dim tensors take part with a lower priority: ``int32 + 5`` stays
    int32, ``float16 * 2.5`` stays float16, ``int64 + 1.5`` becomes float32.
    """
    ta, da, ra = _operand(a)
    tb, db, rb = _operand(b)
    target = _dtype.result_type(da[1], ra, db[1], rb).np
    return ta, da[0].astype(target, copy=False), tb, db[0].astype(target, copy=False)


def _operand(x: Any) -> tuple[Tensor | None, tuple[np.ndarray, _dtype.dtype], int]:
    """The operand's Tensor (None for a number), array and dtype, and its promotion rank: 2 for
    a tensor with dims, 1 for a zero-dim tensor, 0 for a Python scalar."""
    if isinstance(x, Tensor):
        return x, (x._data, x.dtype), 2 if x._data.ndim else 1
    if isinstance(x, (bool, np.bool_)):
        return None, (np.asarray(x), _dtype.bool_), 0
    if isinstance(x, (int, np.integer)):
        return None, (np.asarray(x), _dtype.int64), 0
    if isinstance(x, (float, np.floating)):
        return None, (np.asarray(x), _dtype.float32 if isinstance(x, float) else
                      _dtype.from_numpy_dtype(np.asarray(x).dtype)), 0
    if isinstance(x, np.ndarray):
        return None, (x, _dtype.from_numpy_dtype(x.dtype)), 2 if x.ndim else 1
    raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a number")


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: the gradient of an input that broadcasting enlarged."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra > 0 else g
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)
