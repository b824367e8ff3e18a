"""Elementwise functions, each with its derivative right below it."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import ValueRuntimeError
from ..tensor import Tensor
from ._util import unbroadcast


def _float(a: Tensor) -> np.ndarray:
    x = a._data
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def exp(a: Tensor) -> Tensor:
    out = np.exp(_float(a))

    def backward(g: np.ndarray) -> tuple:
        return (g * out,)

    return Tensor._make(out, (a,), backward, "ExpBackward0")


def log(a: Tensor) -> Tensor:
    x = _float(a)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan, as torch
        out = np.log(x)

    def backward(g: np.ndarray) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / x,)

    return Tensor._make(out, (a,), backward, "LogBackward0")


def sqrt(a: Tensor) -> Tensor:
    with np.errstate(invalid="ignore"):
        out = np.sqrt(_float(a))

    def backward(g: np.ndarray) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * out),)

    return Tensor._make(out, (a,), backward, "SqrtBackward0")


def abs(a: Tensor) -> Tensor:  # noqa: A001
    x = a._data

    def backward(g: np.ndarray) -> tuple:
        return (g * np.sign(x),)

    return Tensor._make(np.abs(x), (a,), backward, "AbsBackward0")


def relu(a: Tensor) -> Tensor:
    x = a._data
    out = np.maximum(x, 0).astype(x.dtype, copy=False)

    def backward(g: np.ndarray) -> tuple:
        # torch's choice: gradient 0 at exactly 0 (np.where: g * bool would cast the mask)
        return (np.where(x > 0, g, np.zeros((), g.dtype)),)

    return Tensor._make(out, (a,), backward, "ReluBackward0")


def tanh(a: Tensor) -> Tensor:
    out = np.tanh(_float(a))

    def backward(g: np.ndarray) -> tuple:
        return (g * (1 - out * out),)

    return Tensor._make(out, (a,), backward, "TanhBackward0")


def sigmoid(a: Tensor) -> Tensor:
    x = _float(a)
    # Stable on both sides: exp of a non-positive number never overflows.
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(g: np.ndarray) -> tuple:
        return (g * out * (1 - out),)

    return Tensor._make(out, (a,), backward, "SigmoidBackward0")


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    """Limit every element to ``[min, max]`` (either may be None; numbers or tensors that
    broadcast). Where ``min > max`` the result is ``max``, as in torch.

    The gradient passes where the input was inside the bounds; with tensor bounds, the bound
    that was taken receives it.

    >>> clamp(tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise ValueRuntimeError(
            "torch.clamp: At least one of 'min' or 'max' must not be None"
        )
    tensor_bounds = isinstance(min, Tensor) or isinstance(max, Tensor)
    x = input._data
    lo, hi = _bound(input, min), _bound(input, max)
    target = np.result_type(*(b for b in (x, lo, hi) if b is not None)) if tensor_bounds else \
        _scalar_target(input, min, max)
    xt = x.astype(target, copy=False)
    out = xt
    if lo is not None:
        out = np.maximum(out, lo.astype(target, copy=False))
    if hi is not None:
        out = np.minimum(out, hi.astype(target, copy=False))
    out = np.asarray(out, target)

    def backward(g: np.ndarray) -> tuple:
        keep = np.ones(out.shape, bool)
        if lo is not None:
            keep &= xt >= lo
        if hi is not None:
            keep &= xt <= hi
        zero = np.zeros((), g.dtype)
        gx = unbroadcast(np.where(keep, g, zero), x.shape)
        glo = ghi = None
        # torch's clamp_backward_min_max: when min > max the result is max, so max gets it;
        # at min == max with x outside, neither bound does.
        if isinstance(min, Tensor):
            took_lo = xt < lo if hi is None else (xt < lo) & (lo < hi)
            glo = unbroadcast(np.where(took_lo, g, zero), min._data.shape)
        if isinstance(max, Tensor):
            took_hi = xt > hi if lo is None else (xt > hi) | (hi < lo)
            ghi = unbroadcast(np.where(took_hi, g, zero), max._data.shape)
        return gx, glo, ghi

    # torch's two overloads: tensor bounds (0) and number bounds (1)
    name = "ClampBackward0" if tensor_bounds else "ClampBackward1"
    bounds = (min if isinstance(min, Tensor) else None, max if isinstance(max, Tensor) else None)
    return Tensor._make(out, (input, *bounds), backward, name)


clip = clamp


def _bound(input: Tensor, b: Any) -> np.ndarray | None:
    if b is None:
        return None
    if isinstance(b, Tensor):
        return b._data
    if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, float, np.number)):
        raise TypeError(f"clamp(): min and max must be numbers or Tensors, got {b!r}")
    return np.asarray(b)


def _scalar_target(input: Tensor, lo: Any, hi: Any) -> np.dtype:
    """torch's result type for a tensor and number bounds: a float bound makes an integer
    tensor float32; otherwise the tensor keeps its dtype."""
    x = input._data
    if x.dtype.kind in "biu" and any(isinstance(b, (float, np.floating)) for b in (lo, hi)):
        return np.dtype(np.float32)
    if x.dtype.kind == "b":
        return np.dtype(np.int64)
    return x.dtype


def log1p(a: Tensor) -> Tensor:
    """``log(1 + x)``, exact for small x; d/dx = 1 / (1 + x)."""
    x = _float(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(x)

    def backward(g: np.ndarray) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (1 + x),)

    return Tensor._make(out, (a,), backward, "Log1PBackward0")


def reciprocal(a: Tensor) -> Tensor:
    """``1 / x``; d/dx = -1 / x²."""
    with np.errstate(divide="ignore"):
        out = np.reciprocal(_float(a))

    def backward(g: np.ndarray) -> tuple:
        return (-g * out * out,)

    return Tensor._make(out, (a,), backward, "ReciprocalBackward0")


def rsqrt(a: Tensor) -> Tensor:
    """``1 / sqrt(x)``; d/dx = -x^(-3/2) / 2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 / np.sqrt(_float(a))

    def backward(g: np.ndarray) -> tuple:
        return (g * -0.5 * out * out * out,)

    return Tensor._make(out, (a,), backward, "RsqrtBackward0")


def sin(a: Tensor) -> Tensor:
    x = _float(a)

    def backward(g: np.ndarray) -> tuple:
        return (g * np.cos(x),)

    return Tensor._make(np.sin(x), (a,), backward, "SinBackward0")


def cos(a: Tensor) -> Tensor:
    x = _float(a)

    def backward(g: np.ndarray) -> tuple:
        return (-g * np.sin(x),)

    return Tensor._make(np.cos(x), (a,), backward, "CosBackward0")


def _flat(fn: Any, name: str) -> Any:
    """A step function (sign, floor, ceil, round): its gradient is 0 wherever it exists."""

    def op(a: Tensor) -> Tensor:
        def backward(g: np.ndarray) -> tuple:
            return (np.zeros_like(g),)

        return Tensor._make(fn(a._data), (a,), backward, name)

    op.__name__ = name
    return op


sign = _flat(np.sign, "SignBackward0")
floor = _flat(np.floor, "FloorBackward0")
ceil = _flat(np.ceil, "CeilBackward0")


def round(a: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even (as torch and NumPy do), to ``decimals`` places; gradient 0."""
    op = _flat(lambda x: np.round(x, decimals),
               "RoundBackward0" if decimals == 0 else "RoundBackward1")
    return op(a)


def isnan(a: Tensor) -> Tensor:
    return Tensor._wrap(np.isnan(a._data))


def isinf(a: Tensor) -> Tensor:
    return Tensor._wrap(np.isinf(a._data))


def isfinite(a: Tensor) -> Tensor:
    return Tensor._wrap(np.isfinite(a._data))
