"""``linear``: ``y = x Wᵀ + b``, the layer every later layer of a model is made of."""

from __future__ import annotations

import numpy as np

from ... import _backend
from ..._errors import ValueRuntimeError
from ...ops._util import operands
from ...tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """Apply ``y = x Wᵀ + b``.

    Shape: input ``(*, in)``, weight ``(out, in)``, bias ``(out,)`` -> output ``(*, out)``.

    >>> import firstlayer as torch
    >>> linear(torch.eye(2), torch.tensor([[1., 2.], [3., 4.]]))
    tensor([[1., 3.],
            [2., 4.]])
    """
    _, x, _, W = operands(input, weight)
    if W.ndim != 2 or x.ndim == 0 or x.shape[-1] != W.shape[1]:
        raise ValueRuntimeError(
            f"linear: the input's last dim must equal in_features={W.shape[-1]} (weight shape "
            f"{tuple(W.shape)} is (out_features, in_features)), but the input has shape "
            f"{tuple(x.shape)}, last dim {x.shape[-1] if x.ndim else '(a 0-d input)'}"
        )
    b = None if bias is None else bias._data.astype(W.dtype, copy=False)
    if b is not None and b.shape != (W.shape[0],):
        raise ValueRuntimeError(
            f"linear: bias must have shape ({W.shape[0]},) = (out_features,), got {tuple(b.shape)}"
        )
    # (rows, in) spelled out: with in_features or the batch 0, a -1 could not be inferred.
    rows = int(np.prod(x.shape[:-1]))
    x2 = x.reshape(rows, x.shape[-1])
    out2 = _backend.matmul(x2, W.T)
    if b is not None:
        out2 += b
    out = out2.reshape(x.shape[:-1] + (W.shape[0],))
    # Decided now, as torch's needs_input_grad is: a one-hot input (N, V) never needs its
    # gradient, which would be another (N, V) array and a matmul as costly as the forward.
    needs_gx = input.requires_grad

    def backward(g: np.ndarray) -> tuple:
        g2 = g.reshape(rows, W.shape[0])
        gx = _backend.matmul(g2, W).reshape(x.shape) if needs_gx else None
        gW = _backend.matmul(g2.T, x2)
        gb = g2.sum(axis=0) if b is not None else None
        return gx, gW, gb

    if x.ndim == 2:
        name = "AddmmBackward0" if b is not None else "MmBackward0"
    elif x.ndim == 1 and b is None:
        name = "SqueezeBackward4"
    else:
        name = "ViewBackward0" if b is not None or x.ndim == 1 else "UnsafeViewBackward0"
    return Tensor._make(out, (input, weight, bias), backward, name)
