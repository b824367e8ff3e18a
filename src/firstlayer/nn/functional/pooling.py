"""1-D pooling over the last dim of ``(N, C, L)`` or ``(C, L)``: max and average over sliding
windows (``max_pool1d``, ``avg_pool1d``) or over a fixed number of near-equal bins
(``adaptive_max_pool1d``, ``adaptive_avg_pool1d``; ``output_size=1`` is max/mean over time).

Windows are ``sliding_window_view`` views of the padded input (no copy); each backward adds the
gradient back one kernel position at a time (a strided slice each), or one bin at a time; max
pooling over windows that don't overlap (the default stride, and max over time) writes each
gradient straight to its maximum's position instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._errors import TypeNotImplementedError, ValueRuntimeError
from ...tensor import Tensor
from .conv import single

# torch pools through its 2-D kernels and squeezes the extra dim away: hence the name
_NAME = "SqueezeBackward1"


def _as_3d(input: Tensor, fn: str) -> tuple[np.ndarray, bool]:  # noqa: A002
    """The input as (N, C, L), and whether it was unbatched (C, L)."""
    x = input._data
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueRuntimeError(
            f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(x.shape)} (channels and length must be non-zero)"
        )
    return (x[None], True) if x.ndim == 2 else (x, False)


def _out_len(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or left
    padding."""
    span = d * (k - 1) + 1
    num = length + 2 * p - span
    n = (math.ceil(num / s) if ceil_mode else num // s) + 1
    if ceil_mode and (n - 1) * s >= length + p:
        n -= 1
    return n


def _windows(xp: np.ndarray, span: int, s: int, d: int, n_out: int) -> np.ndarray:
    """(N, C, n_out, k) windows of the padded input, a view."""
    return np.lib.stride_tricks.sliding_window_view(xp, span, axis=2)[:, :, ::s, ::d][:, :, :n_out]


def _scatter(gw: np.ndarray, shape: tuple, k: int, s: int, d: int) -> np.ndarray:
    """Add ``gw`` (N, C, n_out, k), the gradient of each window element, back into an array of
    the padded input's ``shape``."""
    n_out = gw.shape[2]
    gxp = np.zeros(shape, gw.dtype)
    for j in range(k):  # kernel position j of window i read position i * s + j * d
        gxp[:, :, j * d: j * d + s * (n_out - 1) + 1: s] += gw[..., j]
    return gxp


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The largest value of each window of ``kernel_size`` elements along the last dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, floating point.
        kernel_size: the window's size.
        stride: the step between windows (default: ``kernel_size``).
        padding: implicit ``-inf`` on both sides, at most ``kernel_size // 2``.
        dilation: the spacing between a window's elements.
        ceil_mode: round the output length up (a last, partial window).
        return_indices: also return the position in ``L`` of each maximum (int64).

    Shape: ``(N, C, L)`` -> ``(N, C, L_out)``,
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1``.

    >>> import firstlayer as torch
    >>> max_pool1d(torch.tensor([[[1., 3., 2., 5.]]]), 2)
    tensor([[[3., 5.]]])
    """
    k = single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else single(stride, "stride")
    p, d = single(padding, "padding"), single(dilation, "dilation")
    x, unbatched = _as_3d(input, "max_pool1d")
    if x.dtype.kind != "f":
        raise TypeNotImplementedError(
            f"\"max_pool1d_impl\" not implemented for '{input.dtype.scalar_name}': max_pool1d "
            "needs a floating point input; call .float() first"
        )
    for name, v, low in (("kernel_size", k, 1), ("stride", s, 1), ("dilation", d, 1)):
        if v < low:
            raise ValueRuntimeError(f"max_pool1d() {name} must be greater than zero, but got {v}")
    if p < 0 or p > k // 2:
        raise ValueRuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}"
        )
    length = x.shape[2]
    n_out = _out_len(length, k, s, p, d, ceil_mode)
    if n_out < 0 or (n_out == 0 and x.shape[0]):
        raise ValueRuntimeError(
            f"max_pool1d() Invalid computed output size: {n_out} (input length {length}, "
            f"kernel_size={k}, stride={s}, padding={p}, dilation={d})"
        )
    span = d * (k - 1) + 1
    right = max((n_out - 1) * s + span - length - p, 0) if n_out else 0
    xp = np.pad(x, ((0, 0), (0, 0), (p, right)), constant_values=-np.inf) if p or right else x
    win = _windows(xp, span, s, d, n_out)
    arg = win.argmax(axis=3)  # the first maximum, or the first nan (torch propagates nan)
    out = np.take_along_axis(win, arg[..., None], axis=3)[..., 0]

    def backward(g: np.ndarray) -> tuple:
        g3 = g[None] if unbatched else g
        if s >= span:  # windows don't overlap: each maximum's gradient is written in place
            gxp = np.zeros(xp.shape, g.dtype)
            np.put_along_axis(gxp, np.arange(n_out) * s + arg * d, g3, axis=2)
        else:  # overlapping windows: add back one kernel position at a time
            gw = np.zeros(win.shape, g.dtype)
            np.put_along_axis(gw, arg[..., None], g3[..., None], axis=3)
            gxp = _scatter(gw, xp.shape, k, s, d)
        gx = gxp[:, :, p: p + length]
        return (gx[0] if unbatched else gx,)

    result = Tensor._make(out[0] if unbatched else out, (input,), backward, _NAME)
    if not return_indices:
        return result
    indices = np.arange(n_out)[:, None] * s + np.arange(k) * d - p  # (n_out, k): input position
    pos = np.take_along_axis(np.broadcast_to(indices, arg.shape + (k,)), arg[..., None], 3)
    pos = pos[..., 0].astype(np.int64)
    return result, Tensor._wrap(pos[0] if unbatched else pos)


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window of ``kernel_size`` elements along the last dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: the window's size.
        stride: the step between windows (default: ``kernel_size``).
        padding: implicit zeros on both sides, at most ``kernel_size // 2``.
        ceil_mode: round the output length up (a last, partial window).
        count_include_pad: divide by the window's size including the padding zeros
            (``True``) or by the number of input elements in it.

    Shape: ``(N, C, L)`` -> ``(N, C, L_out)``, ``L_out = (L + 2 padding - kernel_size) //
    stride + 1``.

    >>> import firstlayer as torch
    >>> avg_pool1d(torch.tensor([[[1., 3., 2., 6.]]]), 2)
    tensor([[[2., 4.]]])
    """
    k = single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else single(stride, "stride")
    p = single(padding, "padding")
    x, unbatched = _as_3d(input, "avg_pool1d")
    if s == 0:
        raise ValueRuntimeError("stride should not be zero")
    if k <= 0 or s < 0 or p < 0:
        raise ValueRuntimeError(
            f"avg_pool1d: kernel_size and stride must be positive and padding >= 0, got "
            f"kernel_size={k}, stride={s}, padding={p}"
        )
    if p > k // 2:
        raise ValueRuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation=1"
        )
    length = x.shape[2]
    n_out = _out_len(length, k, s, p, 1, ceil_mode)
    if n_out < 1:
        n_, c_ = x.shape[1], 1
        raise ValueRuntimeError(
            f"Given input size: ({n_}x{c_}x{length}). Calculated output size: ({n_}x{c_}x"
            f"{n_out}). Output size is too small"
        )
    right = max((n_out - 1) * s + k - length - p, 0)
    xp = np.pad(x, ((0, 0), (0, 0), (p, right))) if p or right else x
    # torch's divisor: the window clipped to the padded input, or to the input itself
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, length + p)
    if count_include_pad:
        div = end - start
    else:
        div = np.minimum(end, length) - np.maximum(start, 0)
    win = _windows(xp, k, s, 1, n_out)
    if x.dtype.kind == "f":
        out = (win.sum(axis=3) / div.astype(x.dtype)).astype(x.dtype, copy=False)
    else:  # integers: C's division, truncating toward zero (as torch)
        total = win.sum(axis=3, dtype=np.int64)
        out = (np.sign(total) * (np.abs(total) // div)).astype(x.dtype)

    def backward(g: np.ndarray) -> tuple:
        g3 = g[None] if unbatched else g
        gw = np.broadcast_to((g3 / div.astype(g.dtype))[..., None], win.shape)
        gx = _scatter(gw, xp.shape, k, s, 1)[:, :, p: p + length]
        return (gx[0] if unbatched else gx,)

    return Tensor._make(out[0] if unbatched else out, (input,), backward, _NAME)


def _bins(length: int, output_size: Any, fn: str) -> list[tuple[int, int]]:
    """The [start, end) of each of the ``output_size`` bins: floor(i L / O), ceil((i+1) L / O)."""
    o = single(output_size, "output_size")
    if o < 0:
        raise ValueRuntimeError(f"{fn}: output_size must be non-negative, got {o}")
    return [((i * length) // o, -((-(i + 1) * length) // o)) for i in range(o)]


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean of each of ``output_size`` near-equal bins of the last dim (bins overlap when
    ``L`` doesn't divide evenly; ``output_size`` may exceed ``L``).

    Shape: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, output_size)`` or ``(C, output_size)``.

    >>> import firstlayer as torch
    >>> adaptive_avg_pool1d(torch.tensor([[[1., 3., 2., 6.]]]), 1)
    tensor([[[3.]]])
    """
    x, unbatched = _as_3d(input, "adaptive_avg_pool1d")
    if x.dtype.kind != "f":
        raise TypeNotImplementedError(
            f"\"adaptive_avg_pool1d\" not implemented for '{input.dtype.scalar_name}'; call "
            ".float() first"
        )
    bins = _bins(x.shape[2], output_size, "adaptive_avg_pool1d")
    out = np.empty(x.shape[:2] + (len(bins),), x.dtype)
    for i, (a, b) in enumerate(bins):
        out[:, :, i] = x[:, :, a:b].mean(axis=2)

    def backward(g: np.ndarray) -> tuple:
        g3 = g[None] if unbatched else g
        gx = np.zeros(x.shape, g.dtype)
        for i, (a, b) in enumerate(bins):
            gx[:, :, a:b] += g3[:, :, i: i + 1] / g.dtype.type(b - a)
        return (gx[0] if unbatched else gx,)

    return Tensor._make(out[0] if unbatched else out, (input,), backward, _NAME)


def adaptive_max_pool1d(
    input: Tensor, output_size: Any, return_indices: bool = False  # noqa: A002
) -> Any:
    """The largest value of each of ``output_size`` near-equal bins of the last dim;
    ``output_size=1`` is max-over-time pooling (TextCNN).

    Shape: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, output_size)`` or ``(C, output_size)``.

    >>> import firstlayer as torch
    >>> adaptive_max_pool1d(torch.tensor([[[1., 3., 2., 6.]]]), 2)
    tensor([[[3., 6.]]])
    """
    x, unbatched = _as_3d(input, "adaptive_max_pool1d")
    if x.dtype.kind != "f":
        raise TypeNotImplementedError(
            f"\"adaptive_max_pool1d\" not implemented for '{input.dtype.scalar_name}'; call "
            ".float() first"
        )
    bins = _bins(x.shape[2], output_size, "adaptive_max_pool1d")
    pos = np.empty(x.shape[:2] + (len(bins),), np.int64)
    for i, (a, b) in enumerate(bins):
        pos[:, :, i] = x[:, :, a:b].argmax(axis=2) + a if x.shape[0] else a
    out = np.take_along_axis(x, pos, axis=2)

    def backward(g: np.ndarray) -> tuple:
        g3 = g[None] if unbatched else g
        # bins may overlap, so one maximum can get several gradients: they add up
        rows = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2] + (1,)) * x.shape[2]
        flat = np.bincount((rows + pos).ravel(), weights=g3.ravel(), minlength=x.size)
        gx = flat.astype(g.dtype).reshape(x.shape)
        return (gx[0] if unbatched else gx,)

    result = Tensor._make(out[0] if unbatched else out, (input,), backward, _NAME)
    if not return_indices:
        return result
    return result, Tensor._wrap(pos[0] if unbatched else pos)
