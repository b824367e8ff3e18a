"""Tensor factories with PyTorch's signatures: ``zeros(2, 3)``, ``randn((2, 3), generator=g)``."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import _dtype
from ._device import check_cpu
from ._random import Generator, rng
from .tensor import Tensor


def _size(size: tuple, fn: str) -> tuple[int, ...]:
    """Sizes given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, all >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (builtins.int, np.integer)):
            raise TypeError(
                f"{fn}(): sizes must be integers, got {s!r} ({type(s).__name__}) in {list(size)}"
            )
        out.append(builtins.int(s))
    if any(s < 0 for s in out):
        bad = next(s for s in out if s < 0)
        raise RuntimeError(
            f"{fn}(): Trying to create tensor with negative dimension {bad}: {out}; "
            "every size must be >= 0"
        )
    return tuple(out)


def _finish(arr: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    if device is not None:
        check_cpu(device)  # torch's device argument: anything but the CPU is refused
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: Any, fn: str) -> np.dtype:
    d = _dtype.default_float if dtype is None else _dtype.to_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f'{fn}(): "{fn}" is only defined for floating point dtypes, got {d}')
    return d.np


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros; float32 unless ``dtype`` says otherwise."""
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
    return _finish(np.zeros(_size(size, "zeros"), d.np), requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
    return _finish(np.ones(_size(size, "ones"), d.np), requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uninitialised memory, as in torch (read it only after writing it)."""
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
    return _finish(np.empty(_size(size, "empty"), d.np), requires_grad, device)


def full(
    size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value as in torch."""
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = _dtype.bool_
        elif isinstance(fill_value, (builtins.int, np.integer)):
            dtype = _dtype.int64
        else:
            dtype = _dtype.default_float
    d = _dtype.to_dtype(dtype)
    return _finish(np.full(_size((size,), "full"), fill_value, d.np), requires_grad, device)


def eye(
    n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """The identity matrix ``(n, m)``: the one-hot vectors of ``n`` ids, one per row.

    >>> eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    n, m = _size((n, n if m is None else m), "eye")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
    return _finish(np.eye(n, m, dtype=d.np), requires_grad, device)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive): int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange(): upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        ints = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if ints else _dtype.default_float
    d = _dtype.to_dtype(dtype)
    return _finish(np.arange(start, end, step).astype(d.np), requires_grad, device)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
    n = _size((steps,), "linspace")[0]
    return _finish(np.linspace(start, end, n, dtype=d.np), requires_grad, device)


def rand(
    *size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """U[0, 1) samples."""
    npd = _float_dtype(dtype, "rand")
    return _finish(rng(generator).random(_size(size, "rand")).astype(npd), requires_grad, device)


def randn(
    *size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """N(0, 1) samples."""
    npd = _float_dtype(dtype, "randn")
    arr = rng(generator).standard_normal(_size(size, "randn")).astype(npd)
    return _finish(arr, requires_grad, device)


def randint(
    low: int, high: int | None = None, size: Any = None, *, generator: Generator | None = None,
    dtype: Any = None, requires_grad: bool = False, device: Any = None,
) -> Tensor:
    """Integers in ``[low, high)``: ``randint(10, (3,))`` or ``randint(2, 10, (3,))``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() needs a size, e.g. randint(10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"randint(): expected low < high, got low={low}, high={high}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    arr = rng(generator).integers(low, high, _size((size,), "randint"))
    return _finish(arr.astype(d.np), requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    arr = rng(generator).permutation(_size((n,), "randperm")[0]).astype(d.np)
    return _finish(arr, requires_grad, device)


def _like(fn: Any, t: Tensor, dtype: Any, requires_grad: bool, device: Any = None,
          **kw: Any) -> Tensor:
    d = t.dtype if dtype is None else dtype
    return fn(*t.shape, dtype=d, requires_grad=requires_grad, device=device, **kw)


def zeros_like(
    input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None  # noqa: A002
) -> Tensor:
    return _like(zeros, input, dtype, requires_grad, device)


def ones_like(
    input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None  # noqa: A002
) -> Tensor:
    return _like(ones, input, dtype, requires_grad, device)


def empty_like(
    input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None  # noqa: A002
) -> Tensor:
    return _like(empty, input, dtype, requires_grad, device)


def full_like(
    input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False,  # noqa: A002
    device: Any = None,
) -> Tensor:
    return full(tuple(input.shape), fill_value, dtype=input.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


def rand_like(
    input: Tensor, dtype: Any = None, requires_grad: bool = False,  # noqa: A002
    generator: Generator | None = None, device: Any = None,
) -> Tensor:
    return _like(rand, input, dtype, requires_grad, device, generator=generator)


def randn_like(
    input: Tensor, dtype: Any = None, requires_grad: bool = False,  # noqa: A002
    generator: Generator | None = None, device: Any = None,
) -> Tensor:
    return _like(randn, input, dtype, requires_grad, device, generator=generator)
