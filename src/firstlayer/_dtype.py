"""Dtypes with PyTorch's names, defaults and type promotion.

A ``dtype`` wraps a NumPy dtype. Its repr is ``torch.float32`` on purpose: code written for
PyTorch (``import firstlayer as torch``) prints exactly what PyTorch prints.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np


class dtype:  # noqa: N801  (torch's spelling)
    """A tensor element type, e.g. ``firstlayer.float32``."""

    def __init__(self, name: str, np_dtype: type, category: builtins.int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool < 1 integer < 2 floating, for promotion
        self.itemsize = self.np.itemsize
        self.scalar_name = name  # torch's C++ name ("Float"), set below

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


bool_ = dtype("bool", np.bool_, 0)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
# torch's C++ names (ScalarType), which its messages and legacy type strings use
for _d, _name in ((bool_, "Bool"), (int32, "Int"), (int64, "Long"), (float16, "Half"),
                  (float32, "Float"), (float64, "Double")):
    _d.scalar_name = _name
# torch's aliases
long = int64
int = int32  # noqa: A001
float = float32  # noqa: A001
double = float64
half = float16

ALL = (bool_, int32, int64, float16, float32, float64)
_BY_NP = {d.np: d for d in ALL}
# NumPy types we accept on input and the dtype they become (torch has int8/16, uint8 too; we map
# them to the nearest type we support instead of failing).
_NP_FALLBACK = {
    np.dtype(np.int8): int32, np.dtype(np.int16): int32, np.dtype(np.uint8): int32,
    np.dtype(np.uint16): int32, np.dtype(np.uint32): int64, np.dtype(np.uint64): int64,
}

default_float = float32


def from_numpy_dtype(npd: Any) -> dtype:
    """The firstlayer dtype for a NumPy dtype; a TypeError for types we do not support."""
    npd = np.dtype(npd)
    if npd in _BY_NP:
        return _BY_NP[npd]
    if npd in _NP_FALLBACK:
        return _NP_FALLBACK[npd]
    raise TypeError(
        f"can't convert NumPy dtype {npd} to a firstlayer dtype; supported: "
        + ", ".join(d.name for d in ALL)
    )


def to_dtype(d: Any) -> dtype:
    """Accept a firstlayer dtype, a NumPy dtype, a Python type (``float`` -> float32 as in torch)
    or a torch dtype (so ``dtype=torch.float64`` works in code that imports both)."""
    if isinstance(d, dtype):
        return d
    if d is builtins.bool:
        return bool_
    if d is builtins.int:
        return int64
    if d is builtins.float:
        return float32
    text = repr(d)
    if text.startswith("torch."):
        for cand in ALL:
            if cand.name == text[6:]:
                return cand
        raise TypeError(f"unsupported dtype {text}; supported: " + ", ".join(x.name for x in ALL))
    try:
        npd = np.dtype(d)
    except TypeError as exc:
        raise TypeError(
            f"dtype must be a firstlayer dtype such as firstlayer.float32, got {d!r}"
        ) from exc
    return from_numpy_dtype(npd)


def promote(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the higher category wins, then the wider type."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


def result_type(a: dtype, a_rank: builtins.int, b: dtype, b_rank: builtins.int) -> dtype:
    """torch.result_type for two operands ranked 2 (a tensor with dims), 1 (a zero-dim tensor)
    or 0 (a Python scalar, passed as int64/float32/bool). The lower-ranked operand only moves the
    result to a higher category, never to a wider type within one: ``int32 + 5 -> int32``,
    ``float16 + 1.5 -> float16``, ``int64 tensor + 1.5 -> float32``, and a zero-dim int32
    tensor + 5 stays int32 (torch's combine_categories)."""
    if a_rank == b_rank:
        return promote(a, b)
    high, low = (a, b) if a_rank > b_rank else (b, a)
    if high.is_floating_point:
        return high
    if high is bool_ or low.is_floating_point:
        return promote(high, low)
    return high
