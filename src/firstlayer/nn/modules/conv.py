"""``Conv1d``: a learned 1-D convolution over ``(N, C, L)`` (n-gram detectors over embedded
text, as in TextCNN)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _check as check
from ... import _dtype
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.conv import same_padding, single
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv1d(Module):
    """``out[n, o] = bias[o] + sum_c weight[o, c] (star) input[n, c]``: ``out_channels``
    filters of ``kernel_size`` taps slid along the last dim; see ``F.conv1d``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: the filter's length.
        stride: the step between windows.
        padding: an int added on both sides, ``"valid"`` (0) or ``"same"`` (output as long
            as the input; stride 1 only).
        dilation: the spacing between filter taps.
        groups: independent convolutions over ``groups`` slices of the channels (both
            channel counts must divide by it).
        bias: learn an additive bias per output channel.
        padding_mode: what the padding holds: ``"zeros"``, ``"reflect"``, ``"replicate"`` or
            ``"circular"`` (see ``F.pad``).
        dtype: the parameters' dtype (default float32).

    Shape: ``(N, C_in, L)`` or ``(C_in, L)`` -> ``(N, C_out, L_out)`` or ``(C_out, L_out)``,
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1``; ``weight`` is
    ``(out_channels, in_channels / groups, kernel_size)``.
    Init: ``weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (``kaiming_uniform_(a=sqrt(5))``)
    with ``fan_in = in_channels / groups * kernel_size``, likewise the bias.

    >>> import firstlayer as torch
    >>> Conv1d(4, 2, 3)(torch.zeros(5, 4, 10)).shape
    torch.Size([5, 2, 8])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] | str = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = check.non_negative_int("in_channels", in_channels)
        self.out_channels = check.non_negative_int("out_channels", out_channels)
        if groups <= 0:
            raise ValueError(f"groups must be a positive integer, got groups={groups}")
        if in_channels % groups != 0:
            raise ValueError(
                f"in_channels must be divisible by groups (in_channels={in_channels}, "
                f"groups={groups})"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"out_channels must be divisible by groups (out_channels={out_channels}, "
                f"groups={groups})"
            )
        self.kernel_size = (single(kernel_size, "kernel_size"),)
        self.stride = (single(stride, "stride"),)
        self.dilation = (single(dilation, "dilation"),)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and self.stride != (1,):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: tuple[int] | str = padding
        else:
            self.padding = (single(padding, "padding"),)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.padding_mode = padding_mode
        self.groups = groups
        self.transposed = False
        self.output_padding = (0,)
        # what F.pad adds for the non-zeros padding modes, (left, right) of the last dim: a list
        # for "same"/"valid", a tuple for an int, as torch keeps it
        self._reversed_padding_repeated_twice: list[int] | tuple[int, int]
        if isinstance(self.padding, str):
            same = same_padding(self.kernel_size[0], self.dilation[0])
            self._reversed_padding_repeated_twice = list(same if padding == "same" else (0, 0))
        else:
            self._reversed_padding_repeated_twice = (self.padding[0], self.padding[0])
        d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
        shape = (out_channels, in_channels // groups, self.kernel_size[0])
        self.weight = Parameter(Tensor._wrap(np.empty(shape, d.np)))
        if bias:
            self.bias = Parameter(Tensor._wrap(np.empty(out_channels, d.np)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.weight.shape[2]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,):  # "same" and "valid" are printed too, as torch does
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
