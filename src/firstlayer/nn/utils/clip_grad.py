"""Gradient clipping: rescale gradients whose total norm is too large, or clamp their values.

Both take dense gradients and the row-sparse ones of ``Embedding(sparse=True)``. A row-sparse
gradient counts as its dense equivalent: its norm is the norm of its coalesced values (duplicate
ids summed first, as the dense gradient would hold them), and clamping applies to those sums.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any, Union

import numpy as np

from ...autograd import no_grad
from ...sparse import RowSparseTensor
from ...tensor import Tensor

TensorOrTensors = Union[Tensor, Iterable[Tensor]]  # noqa: UP007 (runtime alias on Python 3.10)


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """torch.linalg.vector_norm of ``x`` (any shape) as a 0-d array of ``x``'s dtype."""
    x = x.reshape(-1)
    if x.size == 0:
        return np.zeros((), x.dtype)
    if p == 2.0:
        return np.sqrt(np.dot(x, x)).astype(x.dtype)  # BLAS dot: no |x|^2 temporary
    a = np.abs(x)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0.0:
        return np.asarray(np.count_nonzero(x), x.dtype)
    if p == 1.0:
        return a.sum()
    return (a**p).sum() ** (1.0 / p)


def _grad_values(grad: Any) -> np.ndarray:
    """The numbers a gradient holds: a dense one's array, a row-sparse one's summed rows."""
    if isinstance(grad, RowSparseTensor):
        return grad.coalesce()._values_arr
    return grad._data


def _as_list(parameters: TensorOrTensors) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    params = list(parameters)
    if is_generator and not params:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3
        )
    return params


@no_grad()
def get_total_norm(
    tensors: Any,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` (gradients) together, as if concatenated.

    Args:
        tensors: a tensor, a row-sparse gradient, or an iterable of them.
        norm_type: p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite: raise if the total norm is nan or inf.
        foreach: accepted for torch compatibility; NumPy has no fused multi-tensor kernels.

    Shape: returns a 0-d tensor (of the gradients' dtype).

    >>> import firstlayer as torch
    >>> get_total_norm([torch.tensor([3.0]), torch.tensor([4.0])])
    tensor(5.)
    """
    items = [tensors] if isinstance(tensors, (Tensor, RowSparseTensor)) else list(tensors)
    p = float(norm_type)
    if not items:
        return Tensor._wrap(np.array(0.0, np.float32))
    norms = [_vector_norm(_grad_values(t), p) for t in items]
    dtype = np.result_type(*[n.dtype for n in norms])
    total = _vector_norm(np.array(norms, dtype=dtype), p)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._wrap(np.asarray(total, dtype))


@no_grad()
def clip_grads_with_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, in place (a
    row-sparse gradient is replaced by its coalesced, scaled copy).

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.zeros(2)); w.grad = torch.tensor([3.0, 4.0])
    >>> clip_grads_with_norm_([w], 1.0, torch.tensor(5.0)); w.grad
    tensor([0.6000, 0.8000])
    """
    max_norm = _check_limit("max_norm", max_norm)
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    # torch's arithmetic: in the norm's dtype, coefficient clamped at 1 (never scales up)
    coef = np.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    for p in params:
        grad = p.grad
        if isinstance(grad, RowSparseTensor):
            # A new values array: the old one may be shared with the output gradient.
            c = grad.coalesce()
            p.grad = RowSparseTensor(c.rows, c._values_arr * coef.astype(c._values_arr.dtype),
                                     tuple(c.shape), coalesced=True)
        else:
            grad._data *= coef


@no_grad()
def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their total norm is at most
    ``max_norm``; returns the total norm before clipping.

    ``total = ||(||g_1||, ..., ||g_n||)||_p``; each gradient is multiplied by
    ``min(1, max_norm / (total + 1e-6))``. A row-sparse gradient's norm is the norm of its
    coalesced values.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` to clip (those without
            a gradient are skipped).
        max_norm: the largest total norm allowed (>= 0).
        norm_type: p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite: raise (and change nothing) if the total norm is nan or inf.
        foreach: accepted for torch compatibility, ignored.

    Shape: returns a 0-d tensor.

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.zeros(2)); w.grad = torch.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    params = _as_list(parameters)
    max_norm = _check_limit("max_norm", max_norm)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


@no_grad()
def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place (a row-sparse
    gradient is coalesced first, then its summed values are clamped).

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.zeros(2)); w.grad = torch.tensor([-3.0, 0.5])
    >>> clip_grad_value_([w], 1.0); w.grad
    tensor([-1.0000,  0.5000])
    """
    clip_value = _check_limit("clip_value", clip_value)
    for p in _as_list(parameters):
        grad = p.grad
        if grad is None:
            continue
        if isinstance(grad, RowSparseTensor):
            c = grad.coalesce()
            values = np.clip(c._values_arr, -clip_value, clip_value)
            p.grad = RowSparseTensor(c.rows, values, tuple(c.shape), coalesced=True)
        else:
            np.clip(grad._data, -clip_value, clip_value, out=grad._data)


def _check_limit(name: str, value: Any) -> float:
    """A clipping limit must be a number >= 0 (torch would flip the gradients' signs)."""
    try:
        limit = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not limit >= 0:
        raise ValueError(
            f"{name} must be >= 0, got {value}: a negative limit would flip the gradients' signs"
        )
    return limit
