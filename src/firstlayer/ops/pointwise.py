"""Elementwise functions, each with its derivative right below it."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


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
        return (g * (x > 0),)  # torch's choice: gradient 0 at exactly 0

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
