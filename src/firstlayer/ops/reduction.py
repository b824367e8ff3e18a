"""Reductions: sum, mean, norm (differentiable) and argmax/argmin (not)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor


def _axes(a: Tensor, dim: Any) -> tuple[int, ...] | None:
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None  # torch reads dim=() as "all dims" (NumPy's axis=() would reduce none)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(a._dim_index(d) for d in dims) if a.dim() else ()


def _expand_back(g: np.ndarray, a_shape: tuple, axes: tuple | None, keepdim: bool) -> np.ndarray:
    """Broadcast the reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, a_shape)


def sum(a: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all when None). Integer and bool tensors sum to int64, as in torch."""
    axes = _axes(a, dim)
    x = a._data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    out = np.asarray(x.sum(axis=axes, keepdims=keepdim))

    def backward(g: np.ndarray) -> tuple:
        return (_expand_back(g, a._data.shape, axes, keepdim),)

    return Tensor._make(out, (a,), backward, "SumBackward0" if dim is None else "SumBackward1")


def mean(a: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    x = a._data if dtype is None else a._data.astype(_dtype.to_dtype(dtype).np)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {a.dtype.name.capitalize()}; call .float() first"
        )
    axes = _axes(a, dim)
    # The mean of nothing is nan, as in torch, and silent: NumPy also warns "Mean of empty slice".
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.asarray(x.mean(axis=axes, keepdims=keepdim), dtype=x.dtype)
    count = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))

    def backward(g: np.ndarray) -> tuple:
        return (_expand_back(g / max(count, 1), a._data.shape, axes, keepdim),)

    return Tensor._make(out, (a,), backward, "MeanBackward0" if dim is None else "MeanBackward1")


def norm(a: Tensor, p: float = 2.0, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all when None)."""
    x = a._data
    axes = _axes(a, dim)
    ax = np.abs(x)
    if p == float("inf"):
        out = np.asarray(ax.max(axis=axes, keepdims=keepdim) if x.size else 0.0, dtype=x.dtype)
    else:
        out = np.asarray((ax**p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p), dtype=x.dtype)

    def backward(g: np.ndarray) -> tuple:
        o = out if keepdim or axes is None else np.expand_dims(out, axes)
        gg = g if keepdim or axes is None else np.expand_dims(g, axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == float("inf"):
                grad = np.sign(x) * (ax == o) * gg
            else:
                grad = np.sign(x) * ax ** (p - 1) * gg / o ** (p - 1)
        return (np.nan_to_num(grad, nan=0.0).astype(x.dtype, copy=False),)

    return Tensor._make(out, (a,), backward, "LinalgVectorNormBackward0")  # torch's Tensor.norm


def argext(fn: Any, a: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    """argmax / argmin: int64 indices, no gradient."""
    if a.numel() == 0:
        raise RuntimeError(f"{fn.__name__}(): Expected reduction dim to be specified for "
                           "input.numel() == 0.")
    if dim is None:
        return Tensor._wrap(np.asarray(fn(a._data), dtype=np.int64))
    out = fn(a._data, axis=a._dim_index(dim), keepdims=keepdim)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))
