"""+ - * / ** @ with broadcasting, torch's type promotion and torch's grad_fn names."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from ..tensor import Tensor
from ._util import operands, unbroadcast


def _float_out(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def add(a: Any, b: Any) -> Tensor:
    ta, x, tb, y = operands(a, b)
    out = x + y

    def backward(g: np.ndarray) -> tuple:
        return unbroadcast(g, x.shape), unbroadcast(g, y.shape)

    return Tensor._make(out, (ta, tb), backward, "AddBackward0")


def sub(a: Any, b: Any) -> Tensor:
    ta, x, tb, y = operands(a, b)
    out = x - y

    def backward(g: np.ndarray) -> tuple:
        return unbroadcast(g, x.shape), unbroadcast(-g, y.shape)

    name = "SubBackward0" if ta is not None else "RsubBackward1"
    return Tensor._make(out, (ta, tb), backward, name)


def mul(a: Any, b: Any) -> Tensor:
    ta, x, tb, y = operands(a, b)
    out = x * y

    def backward(g: np.ndarray) -> tuple:
        return unbroadcast(g * y, x.shape), unbroadcast(g * x, y.shape)

    return Tensor._make(out, (ta, tb), backward, "MulBackward0")


def div(a: Any, b: Any) -> Tensor:
    ta, x, tb, y = operands(a, b)
    x, y = _float_out(x), _float_out(y)  # true division: int / int is a float in torch
    out = x / y

    def backward(g: np.ndarray) -> tuple:
        return unbroadcast(g / y, x.shape), unbroadcast(-g * out / y, y.shape)

    # torch computes ``scalar / t`` as ``t.reciprocal() * scalar``, hence its name.
    name = "DivBackward0" if ta is not None else "MulBackward0"
    return Tensor._make(out, (ta, tb), backward, name)


def neg(a: Tensor) -> Tensor:
    def backward(g: np.ndarray) -> tuple:
        return (-g,)

    return Tensor._make(-a._data, (a,), backward, "NegBackward0")


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001
    """``a ** b``; d/da = b a^(b-1), d/db = a^b log a."""
    ta, x, tb, y = operands(a, b)
    out = x**y

    def backward(g: np.ndarray) -> tuple:
        ga = unbroadcast(g * y * x ** (y - 1), x.shape) if ta is not None else None
        gb = None
        if tb is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(np.where(x > 0, g * out * np.log(np.where(x > 0, x, 1)), 0),
                                 y.shape)
        return ga, gb

    # torch's overloads: tensor ** scalar (0), tensor ** tensor (1), scalar ** tensor (2).
    name = "PowBackward2" if ta is None else "PowBackward1" if tb is not None else "PowBackward0"
    return Tensor._make(out, (ta, tb), backward, name)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's (= torch's) rules for 1-D and batched operands."""
    ta, x, tb, y = operands(a, b)
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_mat_shape(x)} and {_mat_shape(y)}): "
            f"the last dim of the first ({x.shape[-1]}) must equal the "
            f"{'first' if y.ndim == 1 else 'second-to-last'} dim of the second"
        )
    out = _backend.matmul(x, y)

    def backward(g: np.ndarray) -> tuple:
        # Promote 1-D operands to matrices, take the matrix-case gradients, then undo.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = np.asarray(g)
        if y.ndim == 1:  # first: for vector @ vector, g is 0-d and must become (1, 1)
            g2 = np.expand_dims(g2, -1)
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        gx = gy = None
        if ta is not None:
            gx = _backend.matmul(g2, np.swapaxes(y2, -1, -2))
            gx = unbroadcast(gx, x2.shape).reshape(x.shape)
        if tb is not None:
            gy = _backend.matmul(np.swapaxes(x2, -1, -2), g2)
            gy = unbroadcast(gy, y2.shape).reshape(y.shape)
        return gx, gy

    return Tensor._make(out, (ta, tb), backward, _matmul_name(x, y, ta, out))


def _matmul_name(x: np.ndarray, y: np.ndarray, ta: Tensor | None, out: np.ndarray) -> str:
    """The grad_fn torch's ``matmul`` ends with (aten ``_matmul_impl``: each case takes a path;
    the name only depends on the ranks, the shapes and whether ``a`` requires grad)."""
    return _matmul_path(x.shape, y.shape, ta is not None and ta.requires_grad, out.shape)


def _matmul_path(xs: tuple, ys: tuple, x_rg: bool, out_shape: tuple) -> str:
    names = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0",
             (1, 2): "SqueezeBackward4"}  # (1, 2): unsqueeze(0).mm(b).squeeze_(0)
    if (len(xs), len(ys)) in names:
        return names[(len(xs), len(ys))]
    if len(xs) == 3 and len(ys) == 3 and xs[0] == 1 != ys[0] and x_rg:
        return _matmul_path(xs[1:], ys, x_rg, out_shape)  # torch drops a's batch dim of 1
    if len(xs) == 2 and x_rg:
        # matrix @ batch with the matrix requiring grad: folded as (bᵀ @ aᵀ)ᵀ, then
        # .contiguous(), a copy unless the transposed result is contiguous already.
        n_p = out_shape[-2:]
        trivially_contiguous = 0 in out_shape or 1 in n_p
        return "TransposeBackward0" if trivially_contiguous else "CloneBackward0"
    return "UnsafeViewBackward0"


def _mat_shape(x: np.ndarray) -> str:
    return "x".join(str(s) for s in (x.shape if x.ndim <= 2 else (-1, x.shape[-1])))


def compare(fn: Any, a: Any, b: Any) -> Tensor:
    """Elementwise comparison: a bool tensor, no gradient."""
    _, x, _, y = operands(a, b)
    return Tensor._wrap(np.asarray(fn(x, y)))


def bitwise(fn: Any, a: Any, b: Any) -> Tensor:
    """``&``, ``|``, ``^`` of bool or integer tensors (logical for bools), no gradient."""
    _, x, _, y = operands(a, b)
    if x.dtype.kind == "f":
        raise TypeError(
            f"{fn.__name__} is only for bool and integer tensors, got {x.dtype}; "
            "compare first (e.g. (x > 0) & (x < 1))"
        )
    return Tensor._wrap(np.asarray(fn(x, y)))


def eq(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input == other`` elementwise (broadcasting): a bool tensor."""
    return compare(np.equal, input, other)


def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    return compare(np.not_equal, input, other)


def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return compare(np.less, input, other)


def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    return compare(np.less_equal, input, other)


def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return compare(np.greater, input, other)


def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    return compare(np.greater_equal, input, other)
