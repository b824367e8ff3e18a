"""``pad``: grow (or, with negative amounts, crop) the last dims of a tensor.

``pad`` lists (left, right) amounts starting from the last dim: ``(1, 2)`` pads the last dim
by 1 before and 2 after, ``(1, 2, 0, 3)`` also the second-to-last by 0 and 3. Constant mode
works on any number of dims. The other modes (reflect, replicate, circular) read each output
position from an input position, one index array per padded dim; their backward adds the
gradient back through the same index arrays (positions read twice sum).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..._errors import ValueRuntimeError
from ...tensor import Tensor

_MODES = ("constant", "reflect", "replicate", "circular")


def pad(
    input: Tensor,  # noqa: A002
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims of ``input``.

    Args:
        input: a tensor of any shape (constant mode) or of 2-5 dims (the other modes).
        pad: ``(left_last, right_last, left_second_last, right_second_last, ...)``; negative
            amounts remove elements.
        mode: ``"constant"`` (fill with ``value``), ``"reflect"`` (mirror without repeating
            the edge), ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap around).
            The last three pad the last 1, 2 or 3 dims of an input with one or two more dims.
        value: the fill value for constant mode (default 0).

    Shape: ``(*, d_k, ..., d_1)`` -> ``(*, d_k + l_k + r_k, ..., d_1 + l_1 + r_1)``.

    >>> import firstlayer as torch
    >>> pad(torch.tensor([[1, 2]]), (1, 0), value=9)
    tensor([[9, 1, 2]])
    >>> pad(torch.tensor([[1., 2., 3.]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    amounts = [int(a) for a in pad]
    x = input._data
    if len(amounts) % 2:
        raise ValueRuntimeError(f"Padding length must be divisible by 2, got pad={tuple(pad)}")
    k = len(amounts) // 2
    if k > x.ndim:
        raise ValueRuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(amounts)} and input of dimension {x.ndim}"
        )
    if mode not in _MODES:
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}: use one of {', '.join(_MODES)}"
        )
    # (dim, before, after) for the padded dims, the last dim first
    spec = [(x.ndim - 1 - i, amounts[2 * i], amounts[2 * i + 1]) for i in range(k)]
    for d, lo, hi in spec:
        if x.shape[d] + lo + hi < 0:
            raise ValueRuntimeError(
                f"pad: the padding ({lo}, {hi}) would leave dimension {d} of size "
                f"{x.shape[d]} with a negative size {x.shape[d] + lo + hi}"
            )
    if mode == "constant":
        return _pad_constant(input, spec, 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueRuntimeError(
            f"Padding mode \"{mode}\" doesn't take in value argument (got value={value})"
        )
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(amounts)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    return _pad_indexed(input, spec, mode, k)


def _pad_constant(input: Tensor, spec: list[tuple[int, int, int]], value: float) -> Tensor:  # noqa: A002
    x = input._data
    shape = list(x.shape)
    src: list[slice] = [slice(None)] * x.ndim  # the part of the input that is kept
    dst: list[slice] = [slice(None)] * x.ndim  # where it lands in the output
    for d, lo, hi in spec:
        n = x.shape[d]
        shape[d] = n + lo + hi
        start, stop = max(-lo, 0), n - max(-hi, 0)
        length = max(stop - start, 0)
        src[d] = slice(start, start + length)
        dst[d] = slice(max(lo, 0), max(lo, 0) + length)
    out = np.full(shape, value, dtype=x.dtype)  # an int value for int tensors: truncated, as torch
    out[tuple(dst)] = x[tuple(src)]

    def backward(g: np.ndarray) -> tuple:
        gx = np.zeros_like(x)
        gx[tuple(src)] = g[tuple(dst)]
        return (gx,)

    return Tensor._make(out, (input,), backward, "ConstantPadNdBackward0")


def _source_index(n: int, lo: int, hi: int, mode: str, d: int, shape: tuple) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    if mode == "reflect" and (lo >= n or hi >= n):
        raise ValueRuntimeError(
            f"Argument #4: Padding size should be less than the corresponding input dimension, "
            f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(shape)}"
        )
    if mode == "replicate" and n == 0:
        raise ValueRuntimeError(
            f"replicate padding needs a non-empty dimension {d} to repeat, but got input of "
            f"shape {list(shape)}"
        )
    if mode == "circular" and (lo > n or hi > n):
        raise ValueRuntimeError(
            f"Padding value causes wrapping around more than once: padding ({lo}, {hi}) at "
            f"dimension {d} of input {list(shape)}"
        )
    if mode == "circular":  # torch crops first (negative amounts), then wraps what is left
        kept = np.arange(max(-lo, 0), n - max(-hi, 0))
        before, after = max(lo, 0), max(hi, 0)
        if not kept.size and before + after:
            raise ValueRuntimeError(
                f"circular padding ({lo}, {hi}) has nothing to wrap around: dimension {d} of "
                f"input {list(shape)} is empty after cropping"
            )
        return kept[(np.arange(kept.size + before + after) - before) % kept.size]
    pos = np.arange(n + lo + hi) - lo
    if mode == "reflect":
        pos = np.abs(pos)  # -1 -> 1
        return np.where(pos >= n, 2 * (n - 1) - pos, pos)
    return np.clip(pos, 0, n - 1)  # replicate


_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
          "circular": "CopySlices"}


def _pad_indexed(
    input: Tensor, spec: list[tuple[int, int, int]], mode: str, k: int  # noqa: A002
) -> Tensor:
    x = input._data
    index = [(d, _source_index(x.shape[d], lo, hi, mode, d, x.shape)) for d, lo, hi in spec]
    out = x
    for d, idx in index:
        out = np.take(out, idx, axis=d)

    def backward(g: np.ndarray) -> tuple:
        for d, idx in reversed(index):
            n = x.shape[d]
            moved = np.moveaxis(g, d, 0)
            acc = np.zeros((n,) + moved.shape[1:], g.dtype)
            np.add.at(acc, idx, moved)  # a source position read twice gets both gradients
            g = np.moveaxis(acc, 0, d)
        return (g,)

    return Tensor._make(out, (input,), backward, _NAMES[mode].format(k))
