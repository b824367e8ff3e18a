"""Largest and smallest elements: ``max``/``min`` (all elements, or values and indices along a
dim), ``amax``/``amin`` (over several dims), ``argmax``/``argmin``, and the elementwise
``maximum``/``minimum`` of two tensors.

Gradients at ties follow torch: the full ``max()``, ``amax`` and ``amin`` share the gradient
evenly among the tied elements; ``max(dim)`` gives it to the one index it returns (the first);
``maximum(a, b)`` gives half to each side where ``a == b``. NaN wins every comparison, as in
torch: it is the max and the min, and its index is returned.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import return_types
from .._errors import ValueRuntimeError
from ..tensor import Tensor
from ._dims import flat_0d, keep_dims, one_dim, reduce_axes, tensor_arg
from ._util import operands, unbroadcast


def max(  # noqa: A001
    input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None  # noqa: A002
) -> Any:
    """The largest element (``max(t)``), the largest along ``dim`` with its index
    (``max(t, dim, keepdim=False)`` -> ``(values, indices)``), or ``maximum(t, other)``.

    Shape:
        ``max(t)``: ``()``. ``max(t, dim)``: ``t``'s shape without ``dim`` (kept as size 1
        with ``keepdim=True``), for both ``values`` and the int64 ``indices``.

    >>> import firstlayer as torch
    >>> torch.max(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), 1).indices
    tensor([1, 0])
    """
    return _max_or_min(input, dim, keepdim, other, "max")


def min(  # noqa: A001
    input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None  # noqa: A002
) -> Any:
    """The smallest element, the smallest along ``dim`` with its index, or
    ``minimum(t, other)``: ``max``'s counterpart.

    >>> import firstlayer as torch
    >>> torch.min(torch.tensor([3.0, -1.0, 2.0]))
    tensor(-1.)
    """
    return _max_or_min(input, dim, keepdim, other, "min")


def _max_or_min(input: Tensor, dim: Any, keepdim: bool, other: Any, fn: str) -> Any:  # noqa: A002
    tensor_arg(input, fn)
    if isinstance(dim, Tensor) or other is not None:  # torch.max(a, b): the binary form
        return (maximum if fn == "max" else minimum)(input, dim if other is None else other)
    if dim is None:
        if keepdim:
            raise TypeError(
                f"{fn}(): keepdim=True needs a dim; for all dims use a{fn}(keepdim=True)"
            )
        return _extreme_all(input, fn)
    return _extreme_dim(input, dim, keepdim, fn)


def _extreme_all(input: Tensor, fn: str) -> Tensor:  # noqa: A002
    x = input._data
    if x.size == 0:
        raise ValueRuntimeError(
            f"{fn}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    out = np.asarray(x.max() if fn == "max" else x.min())

    def backward(g: np.ndarray) -> tuple:
        # torch spreads the gradient evenly over the elements equal to the result (the NaNs,
        # when the result is NaN).
        hit = (x == out) | (np.isnan(x) & np.isnan(out))
        return ((hit * (g / np.count_nonzero(hit))).astype(x.dtype, copy=False),)

    return Tensor._make(out, (input,), backward, "MaxBackward1" if fn == "max" else "MinBackward1")


def _first_index(fn: str) -> Callable[..., np.ndarray]:
    return np.argmax if fn == "max" else np.argmin  # both return the first NaN, as torch


def _nonempty_dim(x: np.ndarray, axis: int, shown: int, fn: str) -> None:
    if x.shape[axis] == 0:
        raise IndexError(f"{fn}(): Expected reduction dim {shown} to have non-zero size.")


def _extreme_dim(input: Tensor, dim: Any, keepdim: bool, fn: str) -> Any:  # noqa: A002
    axis = one_dim(input, dim, fn)
    x = flat_0d(input._data)
    _nonempty_dim(x, axis, axis, fn)
    idx = np.expand_dims(_first_index(fn)(x, axis=axis), axis)  # (..., 1, ...)
    values = np.take_along_axis(x, idx, axis)
    out_shape = values.shape if keepdim and input.dim() else np.squeeze(values, axis).shape
    if not input.dim():
        out_shape = ()

    def backward(g: np.ndarray) -> tuple:
        grad = np.zeros_like(x)  # the gradient reaches the returned index only
        np.put_along_axis(grad, idx, g.reshape(idx.shape), axis)
        return (grad.reshape(input._data.shape),)

    name = "MaxBackward0" if fn == "max" else "MinBackward0"
    out = Tensor._make(values.reshape(out_shape), (input,), backward, name)
    pair = return_types.max if fn == "max" else return_types.min
    return pair(out, Tensor._wrap(idx.astype(np.int64, copy=False).reshape(out_shape)))


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The largest elements over ``dim`` (an int, a tuple of ints, or ``()`` for all);
    the gradient is shared evenly among ties.

    >>> import firstlayer as torch
    >>> torch.amax(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)
    tensor([7., 5.])
    """
    return _amax_or_amin(input, dim, keepdim, "amax")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The smallest elements over ``dim``; ``amax``'s counterpart.

    >>> import firstlayer as torch
    >>> torch.amin(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
    tensor([1., 2.])
    """
    return _amax_or_amin(input, dim, keepdim, "amin")


def _amax_or_amin(input: Tensor, dim: Any, keepdim: bool, fn: str) -> Tensor:  # noqa: A002
    tensor_arg(input, fn)
    x = input._data
    axes = reduce_axes(input, dim, fn)
    if axes is None and x.size == 0:
        raise ValueRuntimeError(
            f"{fn}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    for ax, shown in zip(axes or (), dims):
        _nonempty_dim(x, ax, shown, fn)  # torch names the dim as it was passed
    reduce = np.max if fn == "amax" else np.min
    out = np.asarray(reduce(x, axis=axes, keepdims=keepdim))

    def backward(g: np.ndarray) -> tuple:
        # Evenly among the elements equal to the result; a NaN result equals nothing, so its
        # gradient is 0/0 = NaN everywhere, as in torch.
        hit = x == keep_dims(out, x.ndim, axes, keepdim)
        ties = hit.sum(axis=axes, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = hit * (keep_dims(g, x.ndim, axes, keepdim) / ties)
        return (grad.astype(x.dtype, copy=False),)

    return Tensor._make(out, (input,), backward, "AmaxBackward0" if fn == "amax" else
                        "AminBackward0")


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The int64 index of the largest element (of the flattened tensor when ``dim`` is None);
    the first one at ties or NaN. No gradient.

    >>> import firstlayer as torch
    >>> torch.argmax(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
    tensor([1, 0])
    """
    return _arg_extreme(input, dim, keepdim, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The int64 index of the smallest element; ``argmax``'s counterpart.

    >>> import firstlayer as torch
    >>> torch.argmin(torch.tensor([3.0, -1.0, 2.0]))
    tensor(1)
    """
    return _arg_extreme(input, dim, keepdim, "argmin")


def _arg_extreme(input: Tensor, dim: Any, keepdim: bool, fn: str) -> Tensor:  # noqa: A002
    tensor_arg(input, fn)
    x = input._data
    if x.dtype == np.bool_:
        raise ValueRuntimeError(f"{fn}(): does not support bool input; call .int() first")
    find = _first_index(fn[3:])
    if dim is None:
        if x.size == 0:
            raise IndexError(
                f"{fn}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        flat = np.asarray(find(x), dtype=np.int64)
        return Tensor._wrap(flat.reshape((1,) * x.ndim) if keepdim else flat)
    axis = one_dim(input, dim, fn)
    x = flat_0d(x)
    _nonempty_dim(x, axis, axis, fn)
    out = np.asarray(find(x, axis=axis, keepdims=keepdim), dtype=np.int64)
    return Tensor._wrap(out.reshape(()) if input.dim() == 0 else out)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The elementwise larger of two tensors (broadcast, promoted to a common dtype); NaN if
    either is NaN. At ties each side gets half the gradient.

    Shape:
        the broadcast shape of ``input`` and ``other``.

    >>> import firstlayer as torch
    >>> torch.maximum(torch.tensor([1.0, 4.0]), torch.tensor([3.0, 2.0]))
    tensor([3., 4.])
    """
    return _binary_extreme(input, other, "maximum")


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The elementwise smaller of two tensors; ``maximum``'s counterpart.

    >>> import firstlayer as torch
    >>> torch.minimum(torch.tensor([1.0, 4.0]), torch.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    return _binary_extreme(input, other, "minimum")


def _binary_extreme(input: Tensor, other: Any, fn: str) -> Tensor:  # noqa: A002
    tensor_arg(input, fn)
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{fn}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    _, a, _, b = operands(input, other)
    try:
        out = np.maximum(a, b) if fn == "maximum" else np.minimum(a, b)
    except ValueError:
        raise ValueRuntimeError(_broadcast_message(a.shape, b.shape, fn)) from None

    def backward(g: np.ndarray) -> tuple:
        # torch: half to each side at ties, all of it to the side that wins (to both if NaN).
        share = np.where(a == b, g / 2, g)
        a_loses, b_loses = (a < b, a > b) if fn == "maximum" else (a > b, a < b)
        ga = np.where(a_loses, 0, share)
        gb = np.where(b_loses, 0, share)
        return (unbroadcast(ga, input._data.shape).astype(input._data.dtype, copy=False),
                unbroadcast(gb, other._data.shape).astype(other._data.dtype, copy=False))

    name = "MaximumBackward0" if fn == "maximum" else "MinimumBackward0"
    return Tensor._make(out, (input, other), backward, name)


def _broadcast_message(sa: tuple[int, ...], sb: tuple[int, ...], fn: str) -> str:
    """torch's words for the first (rightmost) pair of sizes that don't broadcast."""
    for i in range(1, builtins.min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and 1 not in (sa[-i], sb[-i]):
            break
    return (
        f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at "
        f"non-singleton dimension {builtins.max(len(sa), len(sb)) - i} ({fn}: shapes "
        f"{tuple(sa)} and {tuple(sb)})"
    )
