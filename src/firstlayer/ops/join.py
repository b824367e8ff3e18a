"""Joining and splitting: ``cat``, ``stack``, ``split``, ``chunk``, ``unbind``.

``cat`` and ``stack`` are one node with many inputs: the backward cuts the gradient back into
the inputs' pieces. ``split``, ``chunk`` and ``unbind`` return views (as torch does), each piece
a node of its own whose backward places its gradient into a zero array of the input's shape.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._errors import TypeRuntimeError, ValueRuntimeError
from ..tensor import Tensor


def _tensor_list(tensors: Any, fn: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{fn}(): argument 'tensors' must be a tuple or list of Tensors, not "
            f"{type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{fn}(): expected Tensor as element {i} in argument 'tensors', but got "
                f"{type(t).__name__}"
            )
    if not tensors:
        raise ValueError(f"{fn}(): expected a non-empty list of Tensors")
    return list(tensors)


def _common_dtype(tensors: list[Tensor]) -> np.dtype:
    d = tensors[0].dtype
    for t in tensors[1:]:
        d = _dtype.promote(d, t.dtype)
    return d.np


def _dim(dim: int, ndim: int, fn: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{fn}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; they must match in every other dimension.

    Dtypes are promoted as in ``a + b``. A 1-D tensor with no elements is skipped whatever its
    partner's shape (torch's legacy rule, so ``cat([torch.zeros(0), x])`` is ``x``).

    Shape: ``(..., n_i, ...)`` for each input -> ``(..., sum n_i, ...)``.

    >>> cat([tensor([[1, 2]]), tensor([[3, 4]])]).tolist()
    [[1, 2], [3, 4]]
    """
    ts = _tensor_list(tensors, "torch.cat")
    for i, t in enumerate(ts):
        if t.dim() == 0:
            raise ValueRuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated; "
                "unsqueeze it first (t.unsqueeze(0)) or use stack"
            )
    used = [i for i, t in enumerate(ts) if t.shape != (0,)]
    if not used:
        used = [0]
    ref = ts[used[0]]
    d = _dim(dim, ref.dim(), "torch.cat")
    for i in used:
        s = ts[i].shape
        if len(s) != ref.dim():
            raise ValueRuntimeError(
                f"Tensors must have same number of dimensions: got {ref.dim()} (tensor number "
                f"{used[0]}, shape {list(ref.shape)}) and {len(s)} (tensor number {i}, shape "
                f"{list(s)})"
            )
        for k in range(len(s)):
            if k != d and s[k] != ref.shape[k]:
                raise ValueRuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {s[k]} for tensor number {i} in the list "
                    f"(shapes {list(ref.shape)} and {list(s)}, mismatch in dimension {k})."
                )
    target = _common_dtype(ts)
    parts = [ts[i]._data.astype(target, copy=False) for i in used]
    out = np.concatenate(parts, axis=d)
    bounds = np.cumsum([0] + [p.shape[d] for p in parts])

    def backward(g: np.ndarray) -> tuple:
        grads: list[np.ndarray | None] = [None] * len(ts)
        for j, i in enumerate(used):
            piece = g[(slice(None),) * d + (slice(bounds[j], bounds[j + 1]),)]  # a view
            grads[i] = piece.astype(ts[i]._data.dtype, copy=False)
        for i, t in enumerate(ts):
            if grads[i] is None:
                grads[i] = np.zeros(t._data.shape, t._data.dtype)
        return tuple(grads)

    return Tensor._make(out, tuple(ts), backward, "CatBackward0")


def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """An alias of ``cat``."""
    return cat(tensors, dim)


concatenate = concat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``.

    Shape: ``k`` inputs of ``S`` -> ``S`` with ``k`` inserted at ``dim``.

    >>> stack([tensor([1, 2]), tensor([3, 4])], dim=1).tolist()
    [[1, 3], [2, 4]]
    """
    ts = _tensor_list(tensors, "stack")
    ref = ts[0].shape
    for i, t in enumerate(ts[1:], 1):
        if t.shape != ref:
            raise ValueRuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    n = len(ref) + 1
    if not -n <= dim < n:
        raise IndexError(
            f"stack(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    d = dim % n
    target = _common_dtype(ts)
    out = np.stack([t._data.astype(target, copy=False) for t in ts], axis=d)

    def backward(g: np.ndarray) -> tuple:
        return tuple(np.take(g, i, axis=d).astype(t._data.dtype, copy=False)
                     for i, t in enumerate(ts))

    return Tensor._make(out, tuple(ts), backward, "StackBackward0")


def _pieces(a: Tensor, d: int, bounds: list[int], name: str) -> tuple[Tensor, ...]:
    """Views of ``a`` between consecutive ``bounds`` along ``d``, each with its own node."""
    x = a._data

    def piece(lo: int, hi: int) -> Tensor:
        key = (slice(None),) * d + (slice(lo, hi),)

        def backward(g: np.ndarray) -> tuple:
            full = np.zeros(x.shape, g.dtype)
            full[key] = g
            return (full,)

        return Tensor._make(x[key], (a,), backward, name)

    return tuple(piece(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]))


def split(
    tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Cut ``tensor`` along ``dim`` into pieces of ``split_size`` (the last may be smaller) or
    of the listed sizes (which must add up to the dimension's size). The pieces are views.

    >>> [t.tolist() for t in split(arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    >>> [t.tolist() for t in split(arange(5), [1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    if tensor.dim() == 0:
        raise ValueRuntimeError("split(): expected a tensor with at least one dimension, got 0-d")
    d = _dim(dim, tensor.dim(), "split")
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, (builtins.int, np.integer)) and not isinstance(
        split_size_or_sections, (bool, np.bool_)
    ):
        step = builtins.int(split_size_or_sections)
        if step < 0:
            raise ValueRuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}"
            )
        if step == 0 and size != 0:
            raise ValueRuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of "
                f"{size}"
            )
        bounds = list(range(0, size, step)) + [size] if size else [0, 0]
        return _pieces(tensor, d, bounds, "SplitBackward0")
    assert not isinstance(split_size_or_sections, (builtins.int, np.integer))
    sizes = [builtins.int(s) for s in split_size_or_sections]
    if any(s < 0 for s in sizes) or sum(sizes) != size:
        raise ValueRuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
            f"size at dimension {d}), but got split_sizes={sizes}"
        )
    return _pieces(tensor, d, [0, *np.cumsum(sizes).tolist()], "SplitWithSizesBackward0")


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Cut into ``chunks`` views of ``ceil(size / chunks)`` (fewer when they run out, as torch).

    >>> [t.tolist() for t in chunk(arange(5), 3)]
    [[0, 1], [2, 3], [4]]
    """
    if isinstance(chunks, (bool, np.bool_)) or not isinstance(chunks, (builtins.int, np.integer)):
        raise TypeRuntimeError(f"chunk(): chunks must be an int, got {chunks!r}")
    if chunks <= 0:
        raise ValueRuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.dim() == 0:
        raise ValueRuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _dim(dim, input.dim(), "chunk")
    size = input.shape[d]
    step = -(-size // builtins.int(chunks))
    if size == 0:  # torch: `chunks` empty pieces
        return _pieces(input, d, [0] * (builtins.int(chunks) + 1), "SplitWithSizesBackward0")
    return split(input, step, d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along ``dim``, that dimension removed: ``unbind(x)[i]`` is ``x[i]``."""
    if input.dim() == 0:
        raise IndexError("unbind(): Dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, input.dim(), "unbind")
    x = input._data

    def select(i: int) -> Tensor:
        key = (slice(None),) * d + (i,)

        def backward(g: np.ndarray) -> tuple:
            full = np.zeros(x.shape, g.dtype)
            full[key] = g
            return (full,)

        return Tensor._make(x[key], (input,), backward, "UnbindBackward0")

    return tuple(select(i) for i in range(x.shape[d]))
