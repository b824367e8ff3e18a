"""``layer_norm``: normalise each sample over its last dims to mean 0 and variance 1, then scale
and shift elementwise. One op with one backward for the input, weight and bias (torch's
``native_layer_norm``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..._errors import TypeRuntimeError, ValueRuntimeError
from ...tensor import Tensor
from .activation import _float_input


def _shape_tuple(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last ``len(normalized_shape)``
    dims, with the biased variance (divided by the count, not count - 1).

    Args:
        input: a floating point tensor whose trailing dims equal ``normalized_shape``.
        normalized_shape: the trailing shape to normalise over (an int for one dim).
        weight: an optional tensor of shape ``normalized_shape``.
        bias: an optional tensor of shape ``normalized_shape``.
        eps: added to the variance, so a constant sample doesn't divide by 0.

    Shape: input ``(*, *normalized_shape)`` -> output of the same shape.

    >>> import firstlayer as torch
    >>> layer_norm(torch.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = _shape_tuple(normalized_shape)
    if not shape:
        raise ValueRuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    x = _float_input(input, "LayerNormKernelImpl")
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        dims = ", ".join(str(s) for s in shape)
        raise ValueRuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {dims}], but "
            f"got input of size{list(x.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            continue
        if tuple(p.shape) != shape:
            raise ValueRuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(p.shape)} and normalized_shape = {list(shape)}"
            )
        if p._data.dtype != x.dtype:
            raise TypeRuntimeError(
                f"mixed dtype (CPU): all inputs must share same datatype: the input is "
                f"{input.dtype} and the {name} {p.dtype}"
            )
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    with np.errstate(invalid="ignore", divide="ignore"):  # a 0-size normalised shape: nan
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        rstd = 1 / np.sqrt(var + x.dtype.type(eps))
    xhat = xc * rstd
    w = None if weight is None else weight._data
    b = None if bias is None else bias._data
    out = xhat if w is None else xhat * w
    if b is not None:
        out = out + b

    def backward(g: np.ndarray) -> tuple:
        gxhat = g if w is None else g * w
        with np.errstate(invalid="ignore", divide="ignore"):
            gx = rstd * (
                gxhat
                - gxhat.mean(axis=axes, keepdims=True)
                - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)
            )
        gw = None if w is None else (g * xhat).sum(axis=lead)
        gb = None if b is None else g.sum(axis=lead)
        return gx, gw, gb

    return Tensor._make(out, (input, weight, bias), backward, "NativeLayerNormBackward0")
