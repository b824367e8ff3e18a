"""Activations: relu, tanh, sigmoid (pointwise ops) and a numerically stable softmax pair."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype
from ...ops import pointwise
from ...tensor import Tensor


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """``max(x, 0)``; gradient 1 where x > 0, else 0."""
    return pointwise.relu(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return pointwise.sigmoid(input)


def _softmax_dim(input: Tensor, dim: int | None, name: str) -> int:
    if dim is None:
        # torch's legacy rule for a missing dim, with its warning.
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. "
            "Change the call to include dim=X as an argument.",
            stacklevel=3,
        )
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return input._dim_index(dim)


def _prepare(input: Tensor, dim: int | None, dtype: Any, name: str) -> tuple[np.ndarray, int]:
    x = input._data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
    elif x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point tensor, got {input.dtype}")
    return x, _softmax_dim(input, dim, name)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``; the max is subtracted first so large
    logits don't overflow."""
    x, d = _prepare(input, dim, dtype, "softmax")
    e = np.exp(x - x.max(axis=d, keepdims=True)) if x.size else x.copy()
    out = e / e.sum(axis=d, keepdims=True)

    def backward(g: np.ndarray) -> tuple:
        return (out * (g - (g * out).sum(axis=d, keepdims=True)),)

    return Tensor._make(out, (input,), backward, "SoftmaxBackward0")


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """``x_i - log sum_j exp(x_j)`` along ``dim``, computed as ``(x - m) - log sum exp(x - m)``
    with ``m`` the max, so it is finite for any finite logits."""
    x, d = _prepare(input, dim, dtype, "log_softmax")
    if x.size:
        shifted = x - x.max(axis=d, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))
    else:
        out = x.copy()

    def backward(g: np.ndarray) -> tuple:
        return (g - np.exp(out) * g.sum(axis=d, keepdims=True),)

    return Tensor._make(out, (input,), backward, "LogSoftmaxBackward0")
