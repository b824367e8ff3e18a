"""Activations: relu, tanh, sigmoid (pointwise ops), gelu, silu, leaky_relu, and a numerically
stable softmax pair."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ... import _backend, _dtype
from ..._errors import TypeNotImplementedError, ValueRuntimeError
from ...autograd import is_grad_enabled
from ...ops import pointwise
from ...tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(x, 0)``; gradient 1 where x > 0, else 0. ``inplace=True`` is ``input.relu_()``."""
    return input.relu_() if inplace else pointwise.relu(input)


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


def _float_input(input: Tensor, kernel: str) -> np.ndarray:
    """The input's array; torch has no integer kernel for these activations."""
    x = input._data
    if x.dtype.kind != "f":
        raise TypeNotImplementedError(
            f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}': a floating point "
            f"input is needed, got {input.dtype}; call .float() first"
        )
    return x


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, with scipy's erf split between the threads (it
    releases the GIL, and it is most of GELU's time: 27 of 84 ms of a transformer-like block)."""
    from scipy import special  # here: importing it costs ~0.1 s that `import firstlayer` skips

    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    scale = flat.dtype.type(math.sqrt(0.5))

    def part(start: int, stop: int) -> None:
        piece = out[start:stop]
        np.multiply(flat[start:stop], scale, out=piece)
        special.erf(piece, out=piece)
        piece += 1
        piece *= 0.5

    _backend.parallel_ranges(part, flat.size, flat.size)
    return out.reshape(x.shape)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """The Gaussian Error Linear Unit ``x * Phi(x)``, with ``Phi`` the standard normal CDF.

    Args:
        input: a floating point tensor of any shape.
        approximate: ``"none"`` for ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``; ``"tanh"`` for
            ``Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2``.

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> gelu(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise ValueRuntimeError(
            f"approximate argument must be either none or tanh, got {approximate!r}."
        )
    x = _float_input(input, "GeluKernelImpl")
    t = x.dtype.type
    if approximate == "none":
        cdf = _normal_cdf(x)
        out = x * cdf

        def backward(g: np.ndarray) -> tuple:
            pdf = np.exp(t(-0.5) * x * x) * t(_INV_SQRT_2PI)
            return (g * (cdf + x * pdf),)
    else:
        inner = t(_SQRT_2_OVER_PI) * (x + t(0.044715) * x * x * x)
        th = np.tanh(inner)
        out = t(0.5) * x * (t(1) + th)

        def backward(g: np.ndarray) -> tuple:
            d_inner = t(_SQRT_2_OVER_PI) * (t(1) + t(3 * 0.044715) * x * x)
            return (g * (t(0.5) * (t(1) + th) + t(0.5) * x * (t(1) - th * th) * d_inner),)

    return Tensor._make(out.astype(x.dtype, copy=False), (input,), backward, "GeluBackward0")


def _silu(input: Tensor) -> Tensor:  # noqa: A002
    x = _float_input(input, "silu_cpu")
    e = np.exp(-np.abs(x))  # a sigmoid that overflows on neither side
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    out = x * s

    def backward(g: np.ndarray) -> tuple:
        return (g * s * (1 + x * (1 - s)),)

    return Tensor._make(out, (input,), backward, "SiluBackward0")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """The Sigmoid Linear Unit (swish) ``x * sigmoid(x)``; gradient ``s (1 + x (1 - s))``.

    Args:
        input: a floating point tensor of any shape.
        inplace: write the result into ``input`` and return it.

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> silu(torch.tensor([0.0, 2.0]))
    tensor([0.0000, 1.7616])
    """
    return input._inplace("silu_", _silu) if inplace else _silu(input)


def _leaky_relu(input: Tensor, negative_slope: float, name: str) -> Tensor:  # noqa: A002
    x = _float_input(input, "leaky_relu_cpu")
    positive = x > 0
    out = np.where(positive, x, x * x.dtype.type(negative_slope)).astype(x.dtype, copy=False)

    def backward(g: np.ndarray) -> tuple:
        return (np.where(positive, g, g * g.dtype.type(negative_slope)),)

    return Tensor._make(out, (input,), backward, name)


def leaky_relu(
    input: Tensor, negative_slope: float = 0.01, inplace: bool = False  # noqa: A002
) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``; the gradient is 1 or the slope.

    Args:
        input: a floating point tensor of any shape.
        negative_slope: the slope for negative inputs.
        inplace: write the result into ``input`` and return it. With autograd recording this
            needs ``negative_slope >= 0`` (as in torch: the sign of x is read from the result).

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> leaky_relu(torch.tensor([-2.0, 3.0]), 0.5)
    tensor([-1.,  3.])
    """
    if not inplace:
        return _leaky_relu(input, negative_slope, "LeakyReluBackward0")
    if negative_slope < 0 and is_grad_enabled() and input.requires_grad:
        raise ValueRuntimeError(
            f"In-place leakyReLu backward calculation is triggered with a negative slope "
            f"({negative_slope}) which is not supported: use the out-of-place version "
            "(inplace=False)"
        )
    return input._inplace("leaky_relu_",
                          lambda t: _leaky_relu(t, negative_slope, "LeakyReluBackward1"))
