"""``LayerNorm``: normalise each sample over its last dims, then a learned elementwise affine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _dtype
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.normalization import _shape_tuple
from ..parameter import Parameter
from .module import Module


class LayerNorm(Module):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last dims
    (``normalized_shape``), each sample on its own (Ba et al., 2016).

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0) of shape
            ``normalized_shape``.
        bias: learn the bias too (with ``elementwise_affine``).
        dtype: the parameters' dtype (default float32).

    Shape: input ``(*, *normalized_shape)`` -> output of the same shape.

    >>> import firstlayer as torch
    >>> LayerNorm(2)(torch.tensor([[1.0, 3.0]]))
    tensor([[-1.0000,  1.0000]], grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
        if elementwise_affine:
            self.weight = Parameter(Tensor._wrap(np.empty(self.normalized_shape, d.np)))
            if bias:
                self.bias = Parameter(Tensor._wrap(np.empty(self.normalized_shape, d.np)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
