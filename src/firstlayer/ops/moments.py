"""Spread: ``var``, ``std`` and the pairs ``var_mean``, ``std_mean``.

``var = sum((x - mean)^2) / (N - correction)`` over the reduced elements (``correction=1``,
Bessel's, by default). torch's calls are all accepted: ``var(dim, correction=0)``, the older
``var(dim, unbiased, keepdim)`` and ``var(unbiased)`` (a bool where ``dim`` would be). When
``N - correction <= 0`` the result is inf or nan and a UserWarning says so, as in torch, and the
gradient follows torch's formulas there too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import TypeRuntimeError
from ..tensor import Tensor
from ._dims import count, keep_dims, reduce_axes, tensor_arg, warn_user
from .reduction import mean_node


def _correction(dim: Any, unbiased: Any, correction: Any, fn: str) -> tuple[Any, Any]:
    """torch's overloads, (dim, correction) from any of them."""
    if isinstance(dim, (bool, np.bool_)):  # var(True): the legacy flag where dim would be
        if unbiased is not None:
            raise TypeError(f"{fn}(): got unbiased twice ({dim!r} and unbiased={unbiased!r})")
        dim, unbiased = None, dim
    if unbiased is None:
        return dim, 1 if correction is None else correction
    if correction is not None:
        raise TypeError(f"{fn}(): pass unbiased= or correction=, not both")
    if not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(
            f"{fn}(): unbiased must be a bool, got {unbiased!r}; to subtract a number from N "
            f"use correction={unbiased!r}"
        )
    return dim, 1 if unbiased else 0


def _var_node(input: Tensor, dim: Any, correction: Any, keepdim: bool, fn: str,  # noqa: A002
              name: str, caller: str = "") -> tuple[Tensor, tuple[int, ...] | None]:
    """``var`` (or ``std`` when ``fn == "std"``) recorded as ``name``, and the reduced axes
    (for the mean of ``*_mean``). ``caller`` names the op in messages (``std_mean``)."""
    caller = caller or fn
    tensor_arg(input, caller)
    x = input._data
    if x.dtype.kind != "f":
        raise TypeRuntimeError(
            f"{'std and var' if caller == fn else caller} only support floating point and "
            f"complex dtypes, got {input.dtype}; "
            "call .float() first"
        )
    axes = reduce_axes(input, dim, fn)
    n = count(x.shape, axes)
    dof = n - correction
    # torch compares the correction with "input numel divided by output numel", taken as 0
    # when there is no output: an empty result warns too.
    kept = tuple(i for i in range(x.ndim) if axes is not None and i not in axes)
    if (n if count(x.shape, kept) else 0) - correction <= 0:
        warn_user(
            f"{caller}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel)."
        )
    xd = x.astype(np.float64)  # accumulate in double, as torch does on the CPU
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = xd.sum(axis=axes, keepdims=True) / n
        dev = xd - mean
        var = (dev * dev).sum(axis=axes, keepdims=keepdim) / np.float64(max(0, dof))
    out = np.sqrt(var) if fn == "std" else var
    full = axes is None or x.ndim == 0

    def backward(g: np.ndarray) -> tuple:
        gg = keep_dims(g, x.ndim, axes, keepdim).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if fn == "std":  # through var: d std = d var / (2 std), 0 where std is 0
                o = keep_dims(out, x.ndim, axes, keepdim)
                gg = np.where(o == 0, 0.0, gg / (2 * o))
            if full and dof <= 0:  # torch: inf, or nan where x equals the mean (inf * 0)
                grad = gg * np.where(xd == mean, np.nan, np.inf)
            else:  # torch's 2 / (N - correction), even when that is inf or negative
                grad = np.float64(2.0) / np.float64(dof) * gg * dev
        return (grad.astype(x.dtype),)

    result = Tensor._make(np.asarray(out.astype(x.dtype)), (input,), backward, name)
    return result, axes


def var(
    input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
    *, correction: Any = None,
) -> Tensor:
    """The variance over ``dim`` (all dims when None), ``sum((x - mean)^2) / (N - correction)``.

    Shape:
        ``input``'s shape without the reduced dims (size 1 with ``keepdim=True``).

    >>> import firstlayer as torch
    >>> torch.var(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.6667)
    """
    dim, correction = _correction(dim, unbiased, correction, "var")
    return _var_node(input, dim, correction, keepdim, "var", "VarBackward0")[0]


def std(
    input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
    *, correction: Any = None,
) -> Tensor:
    """The standard deviation over ``dim``: the square root of ``var``.

    >>> import firstlayer as torch
    >>> torch.std(torch.tensor([[1.0, 3.0], [2.0, 2.0]]), dim=1, unbiased=False)
    tensor([1., 0.])
    """
    dim, correction = _correction(dim, unbiased, correction, "std")
    return _var_node(input, dim, correction, keepdim, "std", "StdBackward0")[0]


def var_mean(
    input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
    *, correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call, as ``torch.var_mean``.

    >>> import firstlayer as torch
    >>> torch.var_mean(torch.tensor([1.0, 3.0]))
    (tensor(2.), tensor(2.))
    """
    return _with_mean(input, dim, unbiased, keepdim, correction, "var", "VarMeanBackward0")


def std_mean(
    input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
    *, correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call, as ``torch.std_mean``.

    >>> import firstlayer as torch
    >>> torch.std_mean(torch.tensor([1.0, 3.0]))
    (tensor(1.4142), tensor(2.))
    """
    return _with_mean(input, dim, unbiased, keepdim, correction, "std", "StdMeanBackward0")


def _with_mean(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,  # noqa: A002
               fn: str, name: str) -> tuple[Tensor, Tensor]:
    dim, correction = _correction(dim, unbiased, correction, f"{fn}_mean")
    spread, axes = _var_node(input, dim, correction, keepdim, fn, name, f"{fn}_mean")
    # torch records one node with two outputs; two nodes of the same name add up the same.
    return spread, mean_node(input, input._data, axes, keepdim, name)
