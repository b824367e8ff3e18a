"""Selecting and writing by index or mask: ``where``, ``masked_fill``, ``gather``,
``index_select``, ``scatter``, ``scatter_add``, ``nonzero``.

``gather`` and ``scatter_add`` are each other's backward: what one reads by index the other
adds back by the same index (``np.add.at``, so duplicate indices sum, as they must).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .._errors import IndexRuntimeError, TypeRuntimeError, ValueRuntimeError
from ..tensor import Tensor
from ._util import operands, unbroadcast


def _broadcast_shape(*shapes: tuple[int, ...], names: tuple[str, ...]) -> tuple[int, ...]:
    """np.broadcast_shapes with torch's message, naming the operands and their shapes."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = ", ".join(f"{n} {list(s)}" for n, s in zip(names, shapes))
        raise ValueRuntimeError(
            f"shapes cannot be broadcast together: {listed} (each dimension, counted from the "
            "right, must be equal or 1)"
        ) from None


def _bool_mask(mask: Any, fn: str, what: str) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fn}(): argument '{what}' must be a bool Tensor, not "
                        f"{type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        # torch's own wording for each op, then the fix
        said = (f"{fn} only supports boolean masks, but got mask with dtype {mask.dtype.name}"
                if fn == "masked_fill_" else
                f"{fn} expected {what} to be a boolean tensor, but got a tensor with dtype "
                f"{mask.dtype.scalar_name}")
        raise TypeRuntimeError(f"{said}; compare first (e.g. x > 0) or call .bool()")
    return mask._data


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``, broadcasting all three.

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.

    Shape: the broadcast of the three shapes.

    >>> x = tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0)
    tensor([0., 2.])
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition and both input and other (or the condition "
                        "alone)")
    c = _bool_mask(condition, "where", "condition")
    ta, x, tb, y = operands(input, other)
    _broadcast_shape(c.shape, x.shape, y.shape, names=("condition", "input", "other"))
    out = np.where(c, x, y)

    def backward(g: np.ndarray) -> tuple:
        zero = np.zeros((), g.dtype)
        return (None, unbroadcast(np.where(c, g, zero), x.shape),
                unbroadcast(np.where(c, zero, g), y.shape))

    return Tensor._make(out, (None, ta, tb), backward, "WhereBackward0")


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dimension (what ``x[...]`` indexing takes)."""
    idx = np.nonzero(np.atleast_1d(input._data))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    if input._data.ndim == 0:
        return Tensor._wrap(np.zeros((idx[0].size, 0), np.int64))
    return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64))


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``input`` with ``value`` wherever ``mask`` is True (mask and input broadcast).

    ``value`` is a number or a 0-d tensor (which then receives the sum of the gradient over the
    filled places). It takes ``input``'s dtype.

    >>> masked_fill(tensor([1.0, 2.0, 3.0]), tensor([True, False, True]), -1.0)
    tensor([-1.,  2., -1.])
    """
    m = _bool_mask(mask, "masked_fill_", "mask")
    tv = value if isinstance(value, Tensor) else None
    if tv is not None and tv.dim() != 0:
        raise ValueRuntimeError(
            f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{tv.dim()} dimension(s) (shape {list(tv.shape)})"
        )
    x = input._data
    v = np.asarray(tv._data if tv is not None else value).astype(x.dtype)
    _broadcast_shape(x.shape, m.shape, names=("input", "mask"))
    out = np.where(m, v, x)

    def backward(g: np.ndarray) -> tuple:
        zero = np.zeros((), g.dtype)
        gv = np.where(m, g, zero).sum() if tv is not None else None
        return unbroadcast(np.where(m, zero, g), x.shape), gv

    name = "MaskedFillBackward1" if tv is not None else "MaskedFillBackward0"
    return Tensor._make(out, (input, tv), backward, name)


def _int_index(index: Any, fn: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' must be a Tensor, not {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise TypeRuntimeError(
            f"{fn}(): Expected dtype int64 for index, got {index.dtype}; use .long()"
        )
    return index._data.astype(np.int64, copy=False)


def _check_range(idx: np.ndarray, size: int, dim: int, fn: str) -> np.ndarray:
    """Negative indices are refused as torch does for gather/scatter (index_select wraps)."""
    if idx.size:
        bad = (idx < 0) | (idx >= size)
        if bad.any():
            pos = tuple(builtins.int(p) for p in np.argwhere(bad)[0])
            raise IndexRuntimeError(
                f"{fn}(): index {builtins.int(idx[pos])} is out of bounds for dimension {dim} "
                f"with size {size} (at position {pos} of the index; valid: 0 to {size - 1})"
            )
    return idx


def _along(idx: np.ndarray, d: int) -> tuple:
    """The fancy-index tuple that reads ``x[..., idx[i, j, k], ...]`` at dim ``d``, every other
    dim at the index's own position (the addressing of gather and scatter)."""
    grids: list[np.ndarray] = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


def _check_gather_shapes(x: np.ndarray, idx: np.ndarray, d: int, fn: str, other: str) -> None:
    if idx.ndim != max(x.ndim, 1) and not (x.ndim == 0 and idx.ndim <= 1):
        raise ValueRuntimeError(
            f"Index tensor must have the same number of dimensions as {other} tensor "
            f"({fn}: index has shape {list(idx.shape)}, {other} {list(x.shape)})"
        )
    for k in range(idx.ndim):
        if k != d and x.ndim and idx.shape[k] > x.shape[k]:
            raise ValueRuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to be "
                f"smaller than self {list(x.shape)} apart from dimension {d}"
            )


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for ``dim=0`` (and so on for others).

    Shape: ``index``'s shape; ``index.size(d) <= input.size(d)`` for every ``d != dim``.

    >>> gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]])).tolist()
    [[1, 1], [4, 3]]
    """
    x = input._data
    d = input._dim_index(dim)
    idx = _int_index(index, "gather")
    _check_gather_shapes(x, idx, d, "gather", "input")
    if x.ndim == 0:
        _check_range(idx, 1, d, "gather")
        out = np.broadcast_to(x, idx.shape).copy()
    else:
        out = x[_along(_check_range(idx, x.shape[d], d, "gather"), d)]

    def backward(g: np.ndarray) -> tuple:
        full = np.zeros(x.shape, g.dtype)
        if x.ndim == 0:
            return (np.asarray(g.sum(), g.dtype),)
        np.add.at(full, _along(idx, d), g)
        return (full,)

    return Tensor._make(out, (input,), backward, "GatherBackward0")


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The entries of ``input`` at the ids in ``index`` (1-D) along ``dim``.

    Shape: ``input``'s with dimension ``dim`` replaced by ``len(index)``.

    >>> index_select(tensor([[1, 2], [3, 4]]), 0, tensor([1, 1])).tolist()
    [[3, 4], [3, 4]]
    """
    x = input._data
    d = input._dim_index(dim)
    idx = _int_index(index, "index_select")
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape "
                         f"{list(idx.shape)}")
    idx = idx.reshape(-1)
    size = x.shape[d] if x.ndim else 1
    if idx.size and ((idx < -size) | (idx >= size)).any():
        bad = builtins.int(idx[(idx < -size) | (idx >= size)][0])
        raise IndexError(
            f"index out of range in self: index_select got index {bad} for dimension {d} of "
            f"size {size} (valid: {-size} to {size - 1})"
        )
    out = np.take(x, idx, axis=d) if x.ndim else x.reshape(1)[idx].reshape(index._data.shape)

    def backward(g: np.ndarray) -> tuple:
        if x.ndim == 0:
            return (np.asarray(g.sum(), g.dtype),)
        full = np.zeros(x.shape, g.dtype)
        np.add.at(np.moveaxis(full, d, 0), idx, np.moveaxis(g, d, 0))
        return (full,)

    return Tensor._make(out, (input,), backward, "IndexSelectBackward0")


def _scatter_checks(input: Tensor, dim: int, index: Tensor, src_shape: tuple | None,
                    fn: str) -> tuple[int, np.ndarray]:
    x = input._data
    d = input._dim_index(dim)
    idx = _int_index(index, fn)
    _check_gather_shapes(x, idx, d, fn, "self")
    if src_shape is not None:
        for k in range(idx.ndim):
            if k < len(src_shape) and idx.shape[k] > src_shape[k]:
                raise ValueRuntimeError(
                    f"Expected index {list(idx.shape)} to be smaller than self {list(x.shape)} "
                    f"apart from dimension {d} and to be smaller size than src "
                    f"{list(src_shape)}"
                )
    _check_range(idx, x.shape[d] if x.ndim else 1, d, fn)
    return d, idx


def _same_dtype(input: Tensor, src: Tensor, fn: str) -> None:
    if src.dtype is not input.dtype:
        raise TypeRuntimeError(
            f"{fn}(): Expected self.dtype to be equal to src.dtype (got {input.dtype} and "
            f"{src.dtype}); convert src with .to({input.dtype})"
        )


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src[i][j][k]`` added at ``[index[i][j][k]][j][k]`` (dim 0);
    duplicate indices add up. Only the first ``index.shape`` block of ``src`` is read.

    >>> scatter_add(zeros(3), 0, tensor([0, 2, 0]), tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    _same_dtype(input, src, "scatter_add")
    d, idx = _scatter_checks(input, dim, index, tuple(src.shape), "scatter_add")
    x, s = input._data, src._data
    block = tuple(slice(0, n) for n in idx.shape)
    out = x.copy()
    if x.ndim:
        np.add.at(out, _along(idx, d), s[block])
    else:
        out += s.reshape(-1)[: idx.size].sum()

    def backward(g: np.ndarray) -> tuple:
        gs = np.zeros(s.shape, g.dtype)
        gs[block] = g[_along(idx, d)] if x.ndim else g
        return g, gs

    return Tensor._make(out, (input, src), backward, "ScatterAddBackward0")


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *,  # noqa: A002
            value: Any = None, reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src[i][j][k]`` (or the number ``value``) written at
    ``[index[i][j][k]][j][k]`` (dim 0). With duplicate indices one of the writes wins, as in
    torch (which leaves it unspecified).

    >>> scatter(zeros(3), 0, tensor([2]), 1.0)
    tensor([0., 0., 1.])
    """
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is deprecated in torch; use scatter_add "
                                  "or scatter_reduce")
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() needs src (a Tensor) or value (a number)")
    ts = src if isinstance(src, Tensor) else None
    if ts is not None:
        _same_dtype(input, ts, "scatter")
    src_shape = tuple(ts.shape) if ts is not None else None
    d, idx = _scatter_checks(input, dim, index, src_shape, "scatter")
    x = input._data
    block = tuple(slice(0, n) for n in idx.shape)
    out = x.copy()
    where_ = _along(idx, d) if x.ndim else ()
    if ts is not None:
        s = ts._data
        out[where_] = s[block] if x.ndim else s.reshape(-1)[: idx.size][-1:]
    else:
        out[where_] = np.asarray(src).astype(x.dtype)

    def backward(g: np.ndarray) -> tuple:
        gx = g.copy()
        gx[where_] = 0
        if ts is None:
            return gx, None
        gs = np.zeros(ts._data.shape, g.dtype)
        gs[block] = g[where_] if x.ndim else g
        return gx, gs

    return Tensor._make(out, (input, ts), backward,
                        "ScatterBackward0" if ts is not None else "ScatterBackward1")


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    m = _bool_mask(mask, "masked_select", "mask")
    shape = _broadcast_shape(input._data.shape, m.shape, names=("input", "mask"))
    x, mb = np.broadcast_to(input._data, shape), np.broadcast_to(m, shape)
    out = x[mb]

    def backward(g: np.ndarray) -> tuple:
        full = np.zeros(shape, g.dtype)
        full[mb] = g
        return (unbroadcast(full, input._data.shape),)

    return Tensor._make(out, (input,), backward, "MaskedSelectBackward0")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (sorted), and optionally where each element went and how often each
    value occurs. No gradient flows (as in torch, where ``Unique`` is not differentiable)."""
    x = input._data
    axis = None if dim is None else input._dim_index(dim)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
    out: list[Tensor] = [Tensor._wrap(values)]
    if return_inverse:
        shape = x.shape if axis is None else (x.shape[axis],)
        out.append(Tensor._wrap(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
