"""Running totals along one dim: ``cumsum`` and ``cumprod``.

As in torch, integer and bool inputs are summed (multiplied) as int64 unless ``dtype`` says
otherwise, and float16 accumulates in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor
from ._dims import flat_0d, one_dim, tensor_arg


def _prepare(input: Tensor, dim: Any, dtype: Any, fn: str) -> tuple[np.ndarray, int, Any]:  # noqa: A002
    """The values to scan (cast to the result dtype), the axis, and the accumulation dtype."""
    tensor_arg(input, fn)
    if dim is None:
        raise TypeError(f'{fn}() missing 1 required positional argument: "dim"')
    axis = one_dim(input, dim, fn)
    x = flat_0d(input._data)
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np, copy=False)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    acc = np.float32 if x.dtype == np.float16 else x.dtype
    return x, axis, acc


def _reverse_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    """``out_j`` depends on every ``x_i`` with ``i <= j``: sum the gradients from the end."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """``out_j = x_0 + ... + x_j`` along ``dim``.

    Shape:
        ``input``'s shape.

    >>> import firstlayer as torch
    >>> torch.cumsum(torch.tensor([1, 2, 3]), dim=0)
    tensor([1, 3, 6])
    """
    x, axis, acc = _prepare(input, dim, dtype, "cumsum")
    out = np.cumsum(x, axis=axis, dtype=acc).astype(x.dtype, copy=False)

    def backward(g: np.ndarray) -> tuple:
        grad = _reverse_cumsum(flat_0d(g), axis)
        return (grad.reshape(input._data.shape).astype(input._data.dtype, copy=False),)

    return Tensor._make(out.reshape(input._data.shape), (input,), backward, "CumsumBackward0")


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """``out_j = x_0 * ... * x_j`` along ``dim``; the gradient is exact with zeros.

    Shape:
        ``input``'s shape.

    >>> import firstlayer as torch
    >>> torch.cumprod(torch.tensor([1.0, 2.0, 3.0]), dim=0)
    tensor([1., 2., 6.])
    """
    x, axis, acc = _prepare(input, dim, dtype, "cumprod")
    out = np.cumprod(x, axis=axis, dtype=acc).astype(x.dtype, copy=False)

    def backward(g: np.ndarray) -> tuple:
        g = flat_0d(g)
        if np.all(x != 0):
            # d out_j / d x_i = out_j / x_i for i <= j
            grad = _reverse_cumsum(g * out, axis) / x
        else:
            grad = _cumprod_grad_with_zeros(x, out, g, axis)
        return (grad.reshape(input._data.shape).astype(input._data.dtype, copy=False),)

    return Tensor._make(out.reshape(input._data.shape), (input,), backward, "CumprodBackward0")


def _cumprod_grad_with_zeros(x: np.ndarray, out: np.ndarray, g: np.ndarray,
                             axis: int) -> np.ndarray:
    """grad_i = (x_0 ... x_{i-1}) * S_i with S_i = sum_{j >= i} g_j x_{i+1} ... x_j, from the
    recurrence S_i = g_i + x_{i+1} S_{i+1}: no division, so zeros are no trouble."""
    xm, om, gm = (np.moveaxis(a, axis, -1) for a in (x, out, g))
    n = xm.shape[-1]
    s = np.empty_like(gm)
    if n:
        s[..., -1] = gm[..., -1]
    for i in range(n - 2, -1, -1):
        s[..., i] = gm[..., i] + xm[..., i + 1] * s[..., i + 1]
    before = np.ones_like(om)  # the product of the elements before i
    before[..., 1:] = om[..., :-1]
    return np.moveaxis(before * s, -1, axis)
