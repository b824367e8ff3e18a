"""Reductions over one, several or all dims: ``sum``, ``mean``, ``prod``, ``logsumexp``,
``norm`` (differentiable) and ``any``, ``all`` (bool, no gradient). ``std``/``var`` live in
``moments``, ``max``/``min`` in ``extrema``.

``dim`` is an int, a tuple of ints, or None / ``()`` for all dims; ``keepdim=True`` keeps the
reduced dims as size 1. Each backward broadcasts the output gradient back over the reduced dims.
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from .. import _dtype
from .._errors import TypeRuntimeError
from ..tensor import Tensor
from ._dims import count, expand_back, flat_0d, keep_dims, one_dim, reduce_axes, tensor_arg


def _as_dtype(input: Tensor, dtype: Any, promote_ints: bool) -> np.ndarray:  # noqa: A002
    """The values in ``dtype`` if given; else integer and bool inputs as int64 (torch's rule
    for sum and prod, which would overflow in narrower types)."""
    x = input._data
    if dtype is not None:
        return x.astype(_dtype.to_dtype(dtype).np, copy=False)
    return x.astype(np.int64) if promote_ints and x.dtype.kind in "biu" else x


def sum(  # noqa: A001
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None  # noqa: A002
) -> Tensor:
    """The sum over ``dim`` (all dims when None). Integer and bool tensors sum to int64.

    Shape:
        ``input``'s shape without the reduced dims (size 1 with ``keepdim=True``).

    >>> import firstlayer as torch
    >>> torch.sum(torch.tensor([[1, 2], [3, 4]]), dim=0)
    tensor([4, 6])
    """
    tensor_arg(input, "sum")
    axes = reduce_axes(input, dim, "sum")
    x = _as_dtype(input, dtype, promote_ints=True)
    out = np.asarray(x.sum(axis=axes, keepdims=keepdim))

    def backward(g: np.ndarray) -> tuple:
        grad = expand_back(g, x.shape, axes, keepdim)
        return (grad.astype(input._data.dtype, copy=False),)

    return Tensor._make(out, (input,), backward, "SumBackward0" if dim is None else "SumBackward1")


def mean(
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None  # noqa: A002
) -> Tensor:
    """The mean over ``dim`` (all dims when None); nan over nothing. Floating inputs only
    (or pass ``dtype``).

    >>> import firstlayer as torch
    >>> torch.mean(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)
    tensor([1.5000, 3.5000])
    """
    tensor_arg(input, "mean")
    x = _as_dtype(input, dtype, promote_ints=False)
    if x.dtype.kind != "f":
        raise TypeRuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.scalar_name}; call .float() first"
        )
    axes = reduce_axes(input, dim, "mean")
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    return mean_node(input, x, axes, keepdim, name)


def mean_node(input: Tensor, x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool,  # noqa: A002
              name: str) -> Tensor:
    """The mean of ``x`` (``input``'s values, maybe cast) recorded as ``name`` (also the mean
    half of ``std_mean``/``var_mean``)."""
    # The mean of nothing is nan, as in torch, and silent: NumPy also warns "Mean of empty slice".
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.asarray(x.mean(axis=axes, keepdims=keepdim), dtype=x.dtype)
    n = count(x.shape, axes)

    def backward(g: np.ndarray) -> tuple:
        grad = expand_back(g / builtins.max(n, 1), x.shape, axes, keepdim)
        return (grad.astype(input._data.dtype, copy=False),)

    return Tensor._make(out, (input,), backward, name)


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None  # noqa: A002
) -> Tensor:
    """The product of all elements, or along one ``dim``. Integer and bool tensors multiply as
    int64. The gradient (the product of the other elements) is exact with zeros.

    >>> import firstlayer as torch
    >>> torch.prod(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    tensor([ 2., 12.])
    """
    tensor_arg(input, "prod")
    x = _as_dtype(input, dtype, promote_ints=True)
    if dim is None:
        out = np.asarray(np.prod(x)).reshape((1,) * x.ndim if keepdim else ())

        def backward_all(g: np.ndarray) -> tuple:
            if x.ndim == 0:
                return (g.astype(input._data.dtype, copy=False),)  # torch: g itself, not g x/x
            others = _prod_of_others(x.reshape(-1), 0, out).reshape(x.shape)
            return ((others * g).astype(input._data.dtype, copy=False),)

        return Tensor._make(out, (input,), backward_all, "ProdBackward0")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): dim must be one int (prod reduces one dim or all), got {dim}")
    axis = one_dim(input, dim, "prod")
    xf = flat_0d(x)
    out = np.prod(xf, axis=axis, keepdims=keepdim)
    kept = tuple(1 if i == axis else s for i, s in enumerate(xf.shape))

    def backward(g: np.ndarray) -> tuple:
        if x.ndim == 0:
            return (g.astype(input._data.dtype, copy=False),)
        grad = _prod_of_others(xf, axis, out.reshape(kept)) * g.reshape(kept)
        return (grad.reshape(x.shape).astype(input._data.dtype, copy=False),)

    return Tensor._make(out if x.ndim else out.reshape(()), (input,), backward, "ProdBackward1")


def _prod_of_others(x: np.ndarray, axis: int, out: np.ndarray) -> np.ndarray:
    """For each element, the product of the others along ``axis``. As torch: ``out / x`` when
    no element is zero; with zeros, the product of those before times the product of those
    after, which needs no division."""
    if x.size and not np.any(x == 0):
        with np.errstate(invalid="ignore", divide="ignore"):
            return out / x
    xm = np.moveaxis(x, axis, -1)
    before, after = np.ones_like(xm), np.ones_like(xm)
    before[..., 1:] = np.cumprod(xm[..., :-1], axis=-1)
    after[..., :-1] = np.cumprod(xm[..., :0:-1], axis=-1)[..., ::-1]
    return np.moveaxis(before * after, -1, axis)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """``log(sum(exp(x)))`` over ``dim``, computed as ``m + log(sum(exp(x - m)))`` with ``m``
    the max so large inputs don't overflow; -inf over nothing. Integer inputs give float32.

    >>> import firstlayer as torch
    >>> torch.logsumexp(torch.tensor([1000.0, 1000.0]), dim=0)
    tensor(1000.6932)
    """
    tensor_arg(input, "logsumexp")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(_dtype.default_float.np)
    axes = reduce_axes(input, dim, "logsumexp")
    m = np.array(np.max(x, axis=axes, keepdims=True, initial=-np.inf))
    m[~np.isfinite(m)] = 0  # all -inf (or an inf): shifting would make nan; torch shifts by 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        summed = np.exp(x - m).sum(axis=axes, keepdims=True)
        full = np.log(summed) + m
    out = full if keepdim else np.squeeze(full, axis=axes)

    def backward(g: np.ndarray) -> tuple:
        with np.errstate(invalid="ignore", over="ignore"):
            grad = np.exp(x - full) * keep_dims(g, x.ndim, axes, keepdim)
        return (grad.astype(input._data.dtype, copy=False),)

    return Tensor._make(np.asarray(out), (input,), backward, "LogsumexpBackward0")


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether any element over ``dim`` is nonzero (NaN counts); a bool tensor.

    >>> import firstlayer as torch
    >>> torch.any(torch.tensor([[0, 1], [0, 0]]), dim=1)
    tensor([ True, False])
    """
    tensor_arg(input, "any")
    axes = reduce_axes(input, dim, "any")
    return Tensor._wrap(np.asarray(np.any(input._data, axis=axes, keepdims=keepdim)))


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    """Whether every element over ``dim`` is nonzero; True over nothing. A bool tensor.

    >>> import firstlayer as torch
    >>> torch.all(torch.tensor([[1.0, 2.0], [0.0, 3.0]]), dim=1)
    tensor([ True, False])
    """
    tensor_arg(input, "all")
    axes = reduce_axes(input, dim, "all")
    return Tensor._wrap(np.asarray(np.all(input._data, axis=axes, keepdims=keepdim)))


def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,  # noqa: A002
    *, dtype: Any = None,
) -> Tensor:
    """The vector p-norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all when None); ``p="fro"`` is 2,
    ``inf``/``-inf`` the largest/smallest ``|x|``, 0 the count of nonzeros.

    >>> import firstlayer as torch
    >>> torch.norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
    """
    tensor_arg(input, "norm")
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm(): p={p!r} is not supported; use 'fro' or a number")
        p = 2.0
    x = _as_dtype(input, dtype, promote_ints=False)
    if x.dtype.kind != "f":
        raise TypeRuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {input.dtype.scalar_name}"
        )
    axes = reduce_axes(input, dim, "norm")
    ax = np.abs(x)
    inf = p in (np.inf, -np.inf)
    if inf:
        pick = np.max if p > 0 else np.min
        out = np.asarray(pick(ax, axis=axes, keepdims=keepdim) if x.size else 0.0, x.dtype)
    elif p == 0:
        out = np.asarray(np.count_nonzero(x, axis=axes, keepdims=keepdim), x.dtype)
    else:
        out = np.asarray((ax**p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p), dtype=x.dtype)

    def backward(g: np.ndarray) -> tuple:
        if p == 0:
            return (None,)  # a count: torch passes no gradient at all
        o = keep_dims(out, x.ndim, axes, keepdim)
        gg = keep_dims(g, x.ndim, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if inf:  # shared evenly among ties, as in torch
                hit = ax == o
                grad = np.sign(x) * hit * gg / hit.sum(axis=axes, keepdims=True)
            else:
                grad = np.sign(x) * ax ** (p - 1) * gg / o ** (p - 1)
        grad = np.nan_to_num(grad, nan=0.0)
        return (grad.astype(input._data.dtype, copy=False),)

    return Tensor._make(out, (input,), backward, "LinalgVectorNormBackward0")  # torch's too
