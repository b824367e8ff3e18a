"""``Linear``: ``y = x Wᵀ + b``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _check as check
from ... import _dtype
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class Linear(Module):
    """An affine map from ``in_features`` to ``out_features``.

    Args:
        in_features: size of each input vector.
        out_features: size of each output vector.
        bias: learn an additive bias.

    Shape: input ``(*, in_features)`` -> output ``(*, out_features)``; ``weight`` is
    ``(out_features, in_features)``.
    Init: ``weight ~ U(-1/sqrt(in), 1/sqrt(in))`` (``kaiming_uniform_(a=sqrt(5))``), likewise
    the bias (0 if ``in_features`` is 0).

    >>> import firstlayer as torch
    >>> Linear(2, 3)(torch.eye(2)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = check.non_negative_int("in_features", in_features)
        self.out_features = check.non_negative_int("out_features", out_features)
        d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
        self.weight = Parameter(Tensor._wrap(np.empty((self.out_features, self.in_features), d.np)))
        if bias:
            self.bias = Parameter(Tensor._wrap(np.empty(self.out_features, d.np)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
