"""Shape ops (reshape, transpose, permute, unsqueeze, squeeze, expand), indexing and casts.

Each forward returns a NumPy view where NumPy can (like torch's views); each backward reshapes
or scatters the gradient back to the input's layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor, _index_key


def reshape(a: Tensor, shape: tuple[int, ...]) -> Tensor:
    x = a._data
    try:
        out = x.reshape(shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {x.size} "
            f"(input shape {tuple(x.shape)})"
        ) from None

    def backward(g: np.ndarray) -> tuple:
        return (g.reshape(x.shape),)

    return Tensor._make(out, (a,), backward, "ViewBackward0")


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


def squeeze(a: Tensor, dim: int | None = None) -> Tensor:
    x = a._data
    if dim is None:
        out = x.reshape([s for s in x.shape if s != 1])
        name = "SqueezeBackward0"
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


def _index_name(key: Any) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, (Tensor, list, np.ndarray)) for k in keys):
        return "IndexBackward0"
    if all(isinstance(k, (int, np.integer)) for k in keys):
        return "SelectBackward0"
    return "SliceBackward0"


def getitem(a: Tensor, key: Any) -> Tensor:
    """Basic and advanced indexing; the backward scatters the gradient back (duplicates add)."""
    k = _index_key(key)
    x = a._data
    try:
        out = x[k]
    except IndexError as exc:
        raise IndexError(f"{exc} (tensor of shape {tuple(x.shape)}, index {key!r})") from None
    advanced = _index_name(key) == "IndexBackward0"
    if isinstance(out, np.generic) or not advanced:
        out = np.asarray(out)

    def backward(g: np.ndarray) -> tuple:
        full = np.zeros_like(x)
        if advanced:
            np.add.at(full, k, g)  # duplicates possible; not on a hot path
        else:
            full[k] = g
        return (full,)

    return Tensor._make(out, (a,), backward, _index_name(key))
