"""Vector lengths and angles along a dim: ``normalize``, ``cosine_similarity``,
``pairwise_distance``. Each is one op whose backward includes the path through the norm,
following torch's ``norm_backward`` (p = 0, 1, 2, inf and the general p)."""

from __future__ import annotations

import numpy as np

from ..._errors import TypeRuntimeError, ValueRuntimeError
from ...ops._util import operands, unbroadcast
from ...tensor import Tensor


def _axis(ndim: int, dim: int) -> int | None:
    """``dim`` as a NumPy axis (None for a 0-d array, which torch lets ``dim`` 0 or -1 name)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n if ndim else None


def vector_norm(x: np.ndarray, p: float, axis: int | None) -> np.ndarray:
    """``(sum |x|^p)^(1/p)`` along ``axis``, kept as a size-1 dim; p = 0 counts non-zeros,
    p = +-inf is the largest / smallest ``|x|``."""
    ax = np.abs(x)
    if p == 0:
        return (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
    if p == float("inf"):
        return ax.max(axis=axis, keepdims=True, initial=0)
    if p == float("-inf"):
        return ax.min(axis=axis, keepdims=True, initial=np.inf)
    if p == 1:
        return ax.sum(axis=axis, keepdims=True)
    if p == 2:
        return np.sqrt((x * x).sum(axis=axis, keepdims=True))
    t = x.dtype.type
    return ((ax ** t(p)).sum(axis=axis, keepdims=True) ** t(1.0 / p)).astype(x.dtype)


def norm_backward(
    x: np.ndarray, norm: np.ndarray, g: np.ndarray, p: float, axis: int | None
) -> np.ndarray:
    """The gradient of ``vector_norm(x, p, axis)`` times ``g`` (both with the kept dim), with
    torch's choices where the norm is not differentiable (0 at a zero norm; ties of the max
    share the gradient)."""
    t = x.dtype.type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return np.sign(x) * g
        if p == 2:
            return g * np.where(norm == 0, t(0), x / norm)
        if np.isinf(p):
            ax = np.abs(x)
            mask = (ax == norm) | np.isnan(ax)
            return np.sign(x) * (g / mask.sum(axis=axis, keepdims=True).astype(x.dtype)) * mask
        if p < 1:
            scaled = np.where(x == 0, t(0), np.sign(x) * np.abs(x) ** t(p - 1))
            return scaled * g * norm ** t(1 - p)
        scale = np.where(norm == 0, t(0), g / norm ** t(p - 1))
        if p < 2:
            return np.sign(x) * np.abs(x) ** t(p - 1) * scale
        return x * np.abs(x) ** t(p - 2) * scale


def _float_array(input: Tensor, fn: str) -> np.ndarray:
    x = input._data
    if x.dtype.kind != "f":
        raise TypeRuntimeError(
            f"{fn}: Expected a floating point or complex tensor as input. Got "
            f"{input.dtype.scalar_name}; call .float() first"
        )
    return x


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: None = None  # noqa: A002
) -> Tensor:
    """Divide each vector along ``dim`` by its p-norm: ``x / max(||x||_p, eps)``.

    Args:
        input: a floating point tensor of any shape.
        p: the norm's exponent (2: Euclidean length; 1, inf and any other p work too).
        dim: the dim that holds the vectors.
        eps: the smallest divisor, so a zero vector stays zero instead of dividing by 0.

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> normalize(torch.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = _float_array(input, "linalg.vector_norm")
    axis = _axis(x.ndim, dim)
    norm = vector_norm(x, p, axis)
    denom = np.maximum(norm, x.dtype.type(eps))
    result = x / denom

    def backward(g: np.ndarray) -> tuple:
        # out = x / denom: directly, and through denom = clamp_min(norm, eps), whose gradient
        # passes only where the norm is at least eps.
        g_denom = -(g * x / (denom * denom)).sum(axis=axis, keepdims=True)
        g_norm = np.where(norm >= eps, g_denom, 0).astype(x.dtype)
        return (g / denom + norm_backward(x, norm, g_norm, p, axis),)

    return Tensor._make(result, (input,), backward, "DivBackward0")


def _broadcast_pair(x1: Tensor, x2: Tensor, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs in their common float dtype, broadcast to one shape (torch's message)."""
    _, a, _, b = operands(x1, x2)
    if a.dtype.kind != "f":
        raise TypeRuntimeError(
            f"{fn}: expected common dtype to be floating point, yet common dtype is "
            f"{x1.dtype.scalar_name if x1.dtype.np == a.dtype else x2.dtype.scalar_name}; "
            "call .float() first"
        )
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        ra, rb = a.shape[::-1], b.shape[::-1]
        i = next(i for i in range(min(len(ra), len(rb))) if 1 != ra[i] != rb[i] != 1)
        raise ValueRuntimeError(
            f"The size of tensor a ({ra[i]}) must match the size of tensor b ({rb[i]}) at "
            f"non-singleton dimension {max(a.ndim, b.ndim) - 1 - i} ({fn}: shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)} don't broadcast)"
        ) from None
    return np.broadcast_to(a, shape), np.broadcast_to(b, shape)


def cosine_similarity(
    x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8
) -> Tensor:
    """The cosine of the angle between the vectors along ``dim`` (inputs broadcast).

    As torch 2.x computes it: each input is divided by its norm clamped to ``eps`` first, then
    the products are summed, ``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))``; the clamp
    is not differentiated (the gradient goes through the norm as if unclamped).

    Args:
        x1: a floating point tensor.
        x2: a floating point tensor that broadcasts with ``x1``.
        dim: the dim that holds the vectors (of the broadcast shape).
        eps: the smallest norm divided by.

    Shape: ``x1`` ``(*, D, *)`` and ``x2`` broadcastable to it -> output ``(*, *)``.

    >>> import firstlayer as torch
    >>> cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    a, b = _broadcast_pair(x1, x2, "cosine_similarity")
    axis = _axis(a.ndim, dim)
    t = a.dtype.type
    n1, n2 = vector_norm(a, 2, axis), vector_norm(b, 2, axis)
    c1, c2 = np.maximum(n1, t(eps)), np.maximum(n2, t(eps))
    u1, u2 = a / c1, b / c2
    prod = u1 * u2
    result = prod.sum(axis=axis)

    def backward(g: np.ndarray) -> tuple:
        gk = g if axis is None else np.expand_dims(g, axis)
        dot = prod.sum(axis=axis, keepdims=True)  # = a.b / (c1 c2)
        # out = (a / c1).(b / c2): the direct term, then the one through c1 (c1 = n1 for the
        # gradient, whose derivative is a / n1, 0 where n1 == 0).
        ga = gk * (u2 / c1) - norm_backward(a, n1, gk * dot / c1, 2, axis)
        gb = gk * (u1 / c2) - norm_backward(b, n2, gk * dot / c2, 2, axis)
        return (unbroadcast(ga, tuple(x1.shape)).astype(x1._data.dtype, copy=False),
                unbroadcast(gb, tuple(x2.shape)).astype(x2._data.dtype, copy=False))

    return Tensor._make(result, (x1, x2), backward, "SumBackward1")


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm distance ``||x1 - x2 + eps||_p`` along the last dim (inputs broadcast).

    Args:
        x1: a floating point tensor.
        x2: a floating point tensor that broadcasts with ``x1``.
        p: the norm's exponent.
        eps: added to the difference (as torch does), so equal vectors have a gradient.
        keepdim: keep the last dim, of size 1.

    Shape: ``(*, D)`` and ``(*, D)`` or ``(D,)`` -> ``(*)`` (``(*, 1)`` with ``keepdim``).

    >>> import firstlayer as torch
    >>> pairwise_distance(torch.tensor([[3.0, 0.0]]), torch.tensor([[0.0, 4.0]]), eps=0)
    tensor([5.])
    """
    a, b = _broadcast_pair(x1, x2, "pairwise_distance")
    diff = a - b + a.dtype.type(eps)
    axis = None if diff.ndim == 0 else diff.ndim - 1
    norm = vector_norm(diff, p, axis)
    result = norm if keepdim or axis is None else np.squeeze(norm, axis)
    if axis is None:
        result = np.asarray(norm).reshape(())

    def backward(g: np.ndarray) -> tuple:
        gk = np.reshape(g, norm.shape)
        gd = norm_backward(diff, norm, gk, p, axis)
        return (unbroadcast(gd, tuple(x1.shape)).astype(x1._data.dtype, copy=False),
                unbroadcast(-gd, tuple(x2.shape)).astype(x2._data.dtype, copy=False))

    return Tensor._make(result, (x1, x2), backward, "NormBackward1")
