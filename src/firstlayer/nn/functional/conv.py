"""``conv1d``: a 1-D convolution (cross-correlation, as in torch) over ``(N, C, L)`` inputs.

Forward: one matrix product per kernel position ``j``, summed: the weight's column ``j``
``(C_out, C_in/groups)`` times the input's slice for ``j`` (every window's element ``j``),
copied channels first into one ``(C_in/groups, N * L_out)`` buffer reused for every ``j``.
Backward: per ``j`` again, the weight's gradient is the output gradient times that slice, and
the input's gets the weight's column times the output gradient added back at the slice's
positions. No im2col matrix of all windows (``k`` times the input) is made or kept for the
backward: its fresh memory cost more than the products (see BENCHMARKS.md, Small models)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._errors import TypeRuntimeError, ValueRuntimeError
from ...tensor import Tensor


def single(value: Any, name: str) -> int:
    """An int, or a 1-element tuple/list of one (torch's ``_single``)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueRuntimeError(
                f"expected {name} to be a single integer value or a list of 1 values to match "
                f"the convolution dimensions, but got {name}={list(value)}"
            )
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int or a 1-tuple of ints, got {value!r}")
    return int(value)


def same_padding(kernel_size: int, dilation: int) -> tuple[int, int]:
    """The (left, right) zeros that keep the length at stride 1; the odd one goes right."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """Slide ``weight`` along the last dim of ``input``: ``out[n, o, i] = bias[o] +
    sum_{c, j} weight[o, c, j] * x_padded[n, g(o) * C/groups + c, i * stride + j * dilation]``.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, k)``.
        bias: optional ``(C_out,)``.
        stride: the step between windows (an int or a 1-tuple).
        padding: zeros added on both sides (an int or a 1-tuple), ``"valid"`` (none) or
            ``"same"`` (the output as long as the input; stride 1 only).
        dilation: the spacing between kernel elements.
        groups: split the channels into this many independent convolutions.

    Shape: ``(N, C_in, L)`` -> ``(N, C_out, L_out)`` with
    ``L_out = (L + 2 padding - dilation (k - 1) - 1) // stride + 1``.

    >>> import firstlayer as torch
    >>> conv1d(torch.tensor([[[1., 2., 3.]]]), torch.tensor([[[1., 1.]]]))
    tensor([[[3., 5.]]])
    """
    x, w = input._data, weight._data
    s, d = single(stride, "stride"), single(dilation, "dilation")
    if w.ndim != 3 or x.ndim not in (2, 3):
        if w.ndim != 3:
            raise ValueRuntimeError(
                f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                f"{list(w.shape)}, but got {x.ndim}-dimensional input of size {list(x.shape)} "
                "instead (conv1d's weight is (out_channels, in_channels / groups, k))"
            )
        raise ValueRuntimeError(
            f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
            f"{list(x.shape)}"
        )
    k = w.shape[2]
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueRuntimeError(
                f"Invalid padding string: {padding!r} (use 'valid', 'same' or an int)"
            )
        if padding == "same" and s != 1:
            raise ValueRuntimeError("padding='same' is not supported for strided convolutions")
        left, right = same_padding(k, d) if padding == "same" else (0, 0)
    else:
        left = right = single(padding, "padding")
    _check_args(x, w, bias, s, left, d, groups, input, weight)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    n, c, length = x.shape
    o = w.shape[0]
    span = d * (k - 1) + 1
    if length + left + right < span:
        raise ValueRuntimeError(
            f"Calculated padded input size per channel: ({length + left + right}). Kernel size: "
            f"({span}). Kernel size can't be greater than actual input size"
        )
    if length == 0 and n and c:
        raise ValueRuntimeError(
            f"Only zero batch or zero channel inputs are supported, but got input shape: "
            f"{list(x.shape)}"
        )
    # C order (np.pad's output is): the copies below then read rows of time. An input
    # with channels last (an embedding's output transposed) is transposed once here.
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (left, right))) if left or right else x)
    l_out = (xp.shape[2] - span) // s + 1
    g_, cg, og = groups, c // groups, o // groups
    nl = n * l_out
    # One matrix product per kernel position j, summed: out[:, o, i] += W[o, :, j] @
    # x_padded[:, :, i s + j d]. The input's slice for j is copied once, channels first,
    # ``(G, C/G, N * L_out)``, into one buffer reused for every j (rows of time stay contiguous).
    # An im2col matrix of all positions at once would be k times larger, fresh memory at every
    # call (page faults cost more than the copy) and kept alive for the backward.
    w_j = np.ascontiguousarray(w.transpose(2, 0, 1)).reshape(k, g_, og, cg)

    def window(j: int, buf: np.ndarray) -> np.ndarray:
        """x_padded[n, c, i s + j d] into ``buf`` as (G, C/G, N * L_out)."""
        part = xp[:, :, j * d: j * d + s * (l_out - 1) + 1: s]
        buf.reshape(c, n, l_out)[...] = part.transpose(1, 0, 2)
        return buf

    buf = np.empty((g_, cg, nl), x.dtype)
    acc = np.empty((g_, og, nl), x.dtype)
    tmp = np.empty_like(acc) if k > 1 else acc
    for j in range(k):
        np.matmul(w_j[j], window(j, buf), out=acc if j == 0 else tmp)
        if j:
            acc += tmp
    del buf, tmp
    out = np.empty((n, o, l_out), x.dtype)  # contiguous, as torch's
    view = acc.reshape(o, n, l_out).transpose(1, 0, 2)
    b = None if bias is None else bias._data
    if b is not None:
        np.add(view, b[:, None], out=out)
    else:
        out[...] = view
    del acc, view
    needs_gx = input.requires_grad

    def backward(grad: np.ndarray) -> tuple:
        g3 = grad[None] if unbatched else grad
        # (G, O/G, N * L_out): the output gradient laid out as the forward's products
        gm = np.ascontiguousarray(g3.transpose(1, 0, 2)).reshape(g_, og, nl)
        gb = None if b is None else gm.reshape(o, nl).sum(axis=1)
        gw = np.empty((k, g_, og, cg), w.dtype)
        gxp = np.zeros(xp.shape, x.dtype) if needs_gx else None
        buf = np.empty((g_, cg, nl), x.dtype)
        for j in range(k):
            np.matmul(gm, window(j, buf).transpose(0, 2, 1), out=gw[j])
            if gxp is not None:  # kernel position j read x_padded[i * s + j * d]
                np.matmul(w_j[j].transpose(0, 2, 1), gm, out=buf)
                part = buf.reshape(c, n, l_out).transpose(1, 0, 2)
                gxp[:, :, j * d: j * d + s * (l_out - 1) + 1: s] += part
        gw = gw.reshape(k, o, cg).transpose(1, 2, 0).copy()
        gx = None
        if gxp is not None:
            gx = gxp[:, :, left: left + length] if left or right else gxp
            if unbatched:
                gx = gx[0]
        return gx, gw, gb

    name = "SqueezeBackward1" if unbatched else "ConvolutionBackward0"
    return Tensor._make(out[0] if unbatched else out, (input, weight, bias), backward, name)


def _check_args(
    x: np.ndarray, w: np.ndarray, bias: Tensor | None, s: int, p: int, d: int, groups: int,
    input: Tensor, weight: Tensor,  # noqa: A002
) -> None:
    """torch's checks of a convolution's arguments, in torch's order and words."""
    if s <= 0:
        raise ValueRuntimeError(f"non-positive stride is not supported, got stride={s}")
    if p < 0:
        raise ValueRuntimeError(f"negative padding is not supported, got padding={p}")
    if d <= 0:
        raise ValueRuntimeError(f"non-positive dilation is not supported, got dilation={d}")
    if groups <= 0:
        raise ValueRuntimeError(f"non-positive groups is not supported, got groups={groups}")
    if x.dtype.kind != "f" or x.dtype != w.dtype:
        raise TypeRuntimeError(
            f"Input type ({input.type()}) and weight type ({weight.type()}) should be the same "
            "floating point type"
        )
    if bias is not None and bias._data.dtype != x.dtype:
        raise TypeRuntimeError(
            f"Input type ({input.dtype.scalar_name.lower()}) and bias type "
            f"({bias.dtype.scalar_name.lower()}) should be the same"
        )
    if w.shape[0] % groups:
        raise ValueRuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(w.shape)}] instead"
        )
    channels = x.shape[-2]
    if channels != w.shape[1] * groups:
        batched = list(x.shape) if x.ndim == 3 else [1] + list(x.shape)
        raise ValueRuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input{batched} to "
            f"have {w.shape[1] * groups} channels, but got {channels} channels instead"
        )
    if bias is not None and tuple(bias.shape) != (w.shape[0],):
        raise ValueRuntimeError(
            f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
            f"{w.shape[0]} elements, but got bias of size {list(bias.shape)} instead"
        )
