"""Ordering along one dim: ``sort``, ``argsort`` and ``topk``.

All three are one stable NumPy argsort: equal elements keep their order (what torch's CPU sort
does, ``stable=True`` or not), NaN counts as larger than everything (last ascending, first
descending), as in torch. The gradients of ``sort`` and ``topk`` go back to the positions the
values were taken from.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import return_types
from .._errors import TypeRuntimeError, ValueRuntimeError
from ..tensor import Tensor
from ._dims import flat_0d, one_dim, tensor_arg


def _order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Indices that sort ``x`` along ``axis``, stably, in either direction."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # Descending and still stable (NaN first): sort the reversed array ascending, then reverse
    # the result; ties come out in their original order. (Sorting -x would break on NaN,
    # bool and the smallest int.)
    n = x.shape[axis]
    return np.flip(n - 1 - np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def _gather(input: Tensor, x: np.ndarray, idx: np.ndarray, axis: int, name: str) -> Tensor:  # noqa: A002
    """The values at ``idx`` along ``axis``; backward puts each gradient back where its value
    came from (the indices are distinct, so assigning is summing)."""
    values = np.take_along_axis(x, idx, axis)

    def backward(g: np.ndarray) -> tuple:
        grad = np.zeros_like(x)
        np.put_along_axis(grad, idx, g.reshape(idx.shape), axis)
        return (grad.reshape(input._data.shape),)

    shape = values.shape if input.dim() else ()
    return Tensor._make(values.reshape(shape), (input,), backward, name)


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool | None = None  # noqa: A002
) -> return_types.sort:
    """The elements sorted along ``dim`` and the int64 indices they came from. The sort is
    always stable; passing ``stable`` only changes the grad_fn's name, as in torch.

    Shape:
        ``values`` and ``indices`` have ``input``'s shape.

    >>> import firstlayer as torch
    >>> torch.sort(torch.tensor([3.0, 1.0, 2.0]), descending=True).indices
    tensor([0, 2, 1])
    """
    tensor_arg(input, "sort")
    axis = one_dim(input, dim, "sort")
    x = flat_0d(input._data)
    idx = _order(x, axis, descending)
    name = "SortBackward0" if stable is None else "SortBackward1"  # torch's two overloads
    values = _gather(input, x, idx, axis, name)
    return return_types.sort(values, Tensor._wrap(idx.astype(np.int64).reshape(values.shape)))


def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False  # noqa: A002
) -> Tensor:
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``).

    >>> import firstlayer as torch
    >>> torch.argsort(torch.tensor([3.0, 1.0, 2.0]))
    tensor([1, 2, 0])
    """
    tensor_arg(input, "argsort")
    axis = one_dim(input, dim, "argsort")
    idx = _order(flat_0d(input._data), axis, descending)
    return Tensor._wrap(idx.astype(np.int64).reshape(input._data.shape))


def topk(
    input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
) -> return_types.topk:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their int64
    indices, largest first. With ``sorted=False`` they come sorted too (torch leaves the order
    unspecified). Among equal elements the earlier ones are taken; torch's pick among ties
    may differ.

    Shape:
        ``input``'s shape with ``dim`` of size ``k``.

    >>> import firstlayer as torch
    >>> torch.topk(torch.tensor([1.0, 5.0, 3.0, 4.0]), 2)
    torch.return_types.topk(
    values=tensor([5., 4.]),
    indices=tensor([1, 3]))
    """
    tensor_arg(input, "topk")
    if isinstance(k, (bool, np.bool_)) or not hasattr(k, "__index__"):
        raise TypeError(f"topk(): argument 'k' (position 1) must be int, not {type(k).__name__}")
    k = operator.index(k)
    if input.dtype.name == "bool":
        raise TypeRuntimeError("topk does not support bool dtypes on CPU; call .int() first")
    axis = one_dim(input, dim, "topk")
    x = flat_0d(input._data)
    n = x.shape[axis]
    if not 0 <= k <= n:
        raise ValueRuntimeError(
            f"selected index k out of range: k={k}, but dim {dim} has {n} elements "
            f"(k must be in [0, {n}])"
        )
    if input.dim() == 0:
        k = 1  # torch returns the element of a 0-d tensor for k=0 as well
    idx = np.take(_order(x, axis, largest), np.arange(k), axis=axis)
    values = _gather(input, x, idx, axis, "TopkBackward0")
    return return_types.topk(values, Tensor._wrap(idx.astype(np.int64).reshape(values.shape)))
