"""Shape ops (reshape, transpose, permute, unsqueeze, squeeze, expand), indexing and casts.

Each forward returns a NumPy view where NumPy can (like torch's views); each backward reshapes
or scatters the gradient back to the input's layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor, _index_key


def reshape(a: Tensor, shape: tuple[int, ...], view: bool = False) -> Tensor:
    """``reshape`` (a view when the strides allow it, else a copy) or, with ``view=True``,
    ``view`` (a view or an error, as in torch)."""
    x = a._data
    try:
        out = x.reshape(shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {x.size} "
            f"(input shape {tuple(x.shape)})"
        ) from None
    copied = out.size > 0 and not np.may_share_memory(out, x)
    if view and copied:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )

    def backward(g: np.ndarray) -> tuple:
        return (g.reshape(x.shape),)

    # torch's names for the three ways reshape can go: a plain view of contiguous data, a
    # view with computed strides, or a contiguous copy.
    name = "ViewBackward0"
    if not view and copied:
        name = "UnsafeViewBackward0"
    elif not view and not x.flags.c_contiguous:
        name = "ReshapeAliasBackward0"
    return Tensor._make(out, (a,), backward, name)


def transpose(a: Tensor, dim0: int, dim1: int, name: str = "TransposeBackward0") -> Tensor:
    d0, d1 = a._dim_index(dim0), a._dim_index(dim1)
    if a.dim() == 0:
        return Tensor._make(a._data, (a,), lambda g: (g,), name)
    out = np.swapaxes(a._data, d0, d1)

    def backward(g: np.ndarray) -> tuple:
        return (np.swapaxes(g, d0, d1),)

    return Tensor._make(out, (a,), backward, name)


def permute(a: Tensor, dims: tuple[int, ...]) -> Tensor:
    if len(dims) != a.dim():
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {a.dim()} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    axes = tuple(a._dim_index(d) for d in dims)
    out = np.transpose(a._data, axes)
    inverse = tuple(np.argsort(axes))

    def backward(g: np.ndarray) -> tuple:
        return (np.transpose(g, inverse),)

    return Tensor._make(out, (a,), backward, "PermuteBackward0")


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    n = a.dim() + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    d = dim % n
    out = np.expand_dims(a._data, d)

    def backward(g: np.ndarray) -> tuple:
        return (g.reshape(a._data.shape),)

    return Tensor._make(out, (a,), backward, "UnsqueezeBackward0")


def squeeze(a: Tensor, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop size-1 dims: all of them, ``dim`` only, or those in a tuple of dims."""
    x = a._data
    if dim is None:
        out = x.reshape([s for s in x.shape if s != 1])
        name = "SqueezeBackward0"
    elif isinstance(dim, (tuple, list)):
        axes = [a._dim_index(d) for d in dim]
        for d in axes:
            if axes.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out = np.squeeze(x, tuple(d for d in axes if x.ndim and x.shape[d] == 1))
        name = "SqueezeBackward2"
    else:
        d = a._dim_index(dim)
        out = np.squeeze(x, d) if x.ndim and x.shape[d] == 1 else x
        name = "SqueezeBackward1"

    def backward(g: np.ndarray) -> tuple:
        return (g.reshape(x.shape),)

    return Tensor._make(out, (a,), backward, name)


def expand(a: Tensor, sizes: tuple[int, ...]) -> Tensor:
    x = a._data
    lead = len(sizes) - x.ndim
    target = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        out = np.broadcast_to(x, target)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor {list(sizes)} must match the existing size "
            f"{list(x.shape)} at each non-singleton dimension"
        ) from None
    from ._util import unbroadcast

    def backward(g: np.ndarray) -> tuple:
        return (unbroadcast(g, x.shape),)

    return Tensor._make(out, (a,), backward, "ExpandBackward0")


def repeat(a: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """Tile ``a`` ``sizes[i]`` times along each dim (leading sizes add new dims): NumPy's
    ``tile``. The backward folds the gradient back and sums the copies."""
    x = a._data
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"Number of dimensions of repeat dims can not be smaller than number of dimensions "
            f"of tensor: repeat{tuple(sizes)} for a tensor of shape {list(x.shape)}"
        )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: repeat{sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    out = np.tile(x.reshape(shape), sizes)

    def backward(g: np.ndarray) -> tuple:
        # (r0 * s0, r1 * s1, ...) -> (r0, s0, r1, s1, ...): sum over the repeat axes
        folded = g.reshape([n for pair in zip(sizes, shape) for n in pair])
        return (folded.sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(x.shape),)

    return Tensor._make(out, (a,), backward, "RepeatBackward0")


def flip(a: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Reverse the order along each of ``dims`` (a copy, as in torch)."""
    axes = tuple(a._dim_index(d) for d in dims)
    out = np.flip(a._data, axes).copy() if a.dim() else a._data.copy()

    def backward(g: np.ndarray) -> tuple:
        return (np.flip(g, axes) if axes else g,)

    return Tensor._make(out, (a,), backward, "FlipBackward0")


def roll(a: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` (the flattened tensor when None), wrapping around."""
    axes = None if dims is None else (
        a._dim_index(dims) if isinstance(dims, int) else tuple(a._dim_index(d) for d in dims))
    out = np.roll(a._data, shifts, axes)

    def backward(g: np.ndarray) -> tuple:
        back = -np.asarray(shifts)
        return (np.roll(g, back if back.ndim else int(back), axes),)

    return Tensor._make(out, (a,), backward, "RollBackward0")


def triangle(a: Tensor, diagonal: int, upper: bool) -> Tensor:
    """``tril``/``triu``: the last two dims' lower/upper triangle (from ``diagonal``), zeros
    elsewhere; the gradient passes through the kept part."""
    if a.dim() < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                           f"dimensions, got shape {list(a.shape)}")
    rows, cols = a._data.shape[-2:]
    keep = (np.triu if upper else np.tril)(np.ones((rows, cols), bool), diagonal)
    zero = np.zeros((), a._data.dtype)
    out = np.where(keep, a._data, zero)

    def backward(g: np.ndarray) -> tuple:
        return (np.where(keep, g, np.zeros((), g.dtype)),)

    return Tensor._make(out, (a,), backward, "TriuBackward0" if upper else "TrilBackward0")


def repeat_interleave(a: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``dim``
    (the flattened tensor when None): ``[1, 2] -> [1, 1, 2, 2]``."""
    x = a._data if dim is not None else a._data.reshape(-1)
    d = 0 if dim is None else a._dim_index(dim)
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.ndim and reps.shape[0] != x.shape[d]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {reps.shape[0]} and input.size({d}) = "
                           f"{x.shape[d]}")
    if (reps < 0).any():
        raise RuntimeError(f"repeats can not be negative, got {reps.tolist()}")
    index = np.repeat(np.arange(x.shape[d]), reps)
    out = np.take(x, index, axis=d)

    def backward(g: np.ndarray) -> tuple:
        full = np.zeros(x.shape, g.dtype)
        np.add.at(np.moveaxis(full, d, 0), index, np.moveaxis(g, d, 0))
        return (full.reshape(a._data.shape),)

    # torch: an int count is a view of an expanded copy; a tensor of counts an index_select
    name = "IndexSelectBackward0" if reps.ndim else "ViewBackward0"
    return Tensor._make(out, (a,), backward, name)


def clone(a: Tensor) -> Tensor:
    def backward(g: np.ndarray) -> tuple:
        return (g,)

    return Tensor._make(a._data.copy(), (a,), backward, "CloneBackward0")


def cast(a: Tensor, target: _dtype.dtype, copy: bool = False) -> Tensor:
    """A dtype conversion; the gradient is cast back to the input's dtype."""
    if a._data.dtype == target.np and not copy:
        return a
    src = a._data.dtype
    out = a._data.astype(target.np)

    def backward(g: np.ndarray) -> tuple:
        return (g.astype(src),)

    return Tensor._make(out, (a,), backward, "ToCopyBackward0")


def _is_int_index(k: Any) -> bool:
    """An int, or a 0-d integer tensor/array (which torch and NumPy read as an int)."""
    if isinstance(k, (bool, np.bool_)):
        return False
    if isinstance(k, (Tensor, np.ndarray)):
        arr = k._data if isinstance(k, Tensor) else k
        return arr.ndim == 0 and arr.dtype.kind in "iu"
    return isinstance(k, (int, np.integer))


def _index_name(key: Any, shape: tuple[int, ...]) -> str:
    """The grad_fn torch records for ``t[key]``: IndexBackward0 for advanced indexing; else the
    last view op that torch's indexing applies, one key at a time (select for an int, slice for
    a slice that isn't the whole dim, unsqueeze for None), or AliasBackward0 when none is."""
    if isinstance(key, slice):
        return "SliceBackward0"  # a lone slice is always applied, even ``t[:]``
    keys = key if isinstance(key, tuple) else (key,)
    if any(not _is_int_index(k) and isinstance(k, (Tensor, list, np.ndarray, bool, np.bool_))
           for k in keys):
        return "IndexBackward0"
    name, dim = "AliasBackward0", 0
    for k in keys:
        if k is Ellipsis:
            dim += len(shape) - sum(j is not None and j is not Ellipsis for j in keys)
        elif k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, slice):
            # torch skips a slice only when, as written, it starts at 0, ends at or past the
            # end, and has step 1 (``-5:`` on a dim of 2 is still recorded)
            start, step = k.start or 0, 1 if k.step is None else k.step
            if not (start == 0 and step == 1 and (k.stop is None or k.stop >= shape[dim])):
                name = "SliceBackward0"
            dim += 1
        else:
            name, dim = "SelectBackward0", dim + 1
    return name


def getitem(a: Tensor, key: Any) -> Tensor:
    """Basic and advanced indexing; the backward scatters the gradient back (duplicates add)."""
    k = _index_key(key)
    x = a._data
    try:
        out = x[k]
    except IndexError as exc:
        raise IndexError(f"{exc} (tensor of shape {tuple(x.shape)}, index {key!r})") from None
    name = _index_name(key, x.shape)
    advanced = name == "IndexBackward0"
    if isinstance(out, np.generic) or not advanced:
        out = np.asarray(out)

    def backward(g: np.ndarray) -> tuple:
        full = np.zeros_like(x)
        if advanced:
            np.add.at(full, k, g)  # duplicates possible; not on a hot path
        else:
            full[k] = g
        return (full,)

    return Tensor._make(out, (a,), backward, name)
