"""torch's module-level functions that are a Tensor method with the tensor first:
``torch.exp(x)`` is ``x.exp()``, ``torch.flatten(x, 1)`` is ``x.flatten(1)``.

The ops whose own signature already is torch's (``cat``, ``stack``, ``where``, ``gather``, the
comparisons, ...) are exported from ``firstlayer/ops`` directly; only the thin ones live here.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor


def _tensor(input: Any, fn: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def exp(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "exp").exp()


def log(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "log").log()


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "sqrt").sqrt()


def abs(input: Tensor) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "abs").abs()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "tanh").tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "sigmoid").sigmoid()


def relu(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "relu").relu()


def neg(input: Tensor) -> Tensor:  # noqa: A002
    return -_tensor(input, "neg")


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    """``input ** exponent``; either may be a number (not both)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("pow(): input or exponent must be a Tensor")
    return input**exponent


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return input + (other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return input - (other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return input * other


def div(input: Any, other: Any) -> Tensor:  # noqa: A002
    return input / other


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input @ other


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    if input.dim() != 2 or mat2.dim() != 2:
        raise RuntimeError(f"mm(): both arguments must be matrices (2-D), got shapes "
                           f"{list(input.shape)} and {list(mat2.shape)}")
    return input @ mat2


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    if input.dim() != 3 or mat2.dim() != 3 or input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm(): both arguments must be 3-D with the same batch size, got "
                           f"shapes {list(input.shape)} and {list(mat2.shape)}")
    out = input @ mat2
    if out.grad_fn is not None:
        out.grad_fn._name = "BmmBackward0"  # torch's own op; matmul names its batched path
    return out


def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors of one length."""
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got "
            f"{input.shape[0]} and {other.shape[0]} elements respectively"
        )
    return input @ other


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """``input[i] * vec2[j]``: shape ``(n, m)`` from 1-D tensors of n and m."""
    if input.dim() != 1 or vec2.dim() != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got {input.dim()}D and {vec2.dim()}D")
    return input.unsqueeze(1) * vec2


def flip(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    return _tensor(input, "flip").flip(dims)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    return _tensor(input, "roll").roll(shifts, dims)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _tensor(input, "tril").tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _tensor(input, "triu").triu(diagonal)


def repeat_interleave(input: Tensor, repeats: Any, dim: int | None = None) -> Tensor:  # noqa: A002
    return _tensor(input, "repeat_interleave").repeat_interleave(repeats, dim)


def square(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "square").square()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "round").round(decimals)


def detach(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "detach").detach()


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    return _tensor(input, "is_floating_point").is_floating_point()


def zero_(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "zero_").zero_()


def fill_(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    return _tensor(input, "fill_").fill_(value)


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "relu_").relu_()


def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "clamp_").clamp_(min, max)


clip_ = clamp_


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "clamp").clamp(min, max)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "clamp_min").clamp(min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A001, A002
    return _tensor(input, "clamp_max").clamp(None, max)


def reshape(input: Tensor, shape: Any) -> Tensor:  # noqa: A002
    return _tensor(input, "reshape").reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return _tensor(input, "flatten").flatten(start_dim, end_dim)


def permute(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    return _tensor(input, "permute").permute(dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return _tensor(input, "transpose").transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "t").t()


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    return _tensor(input, "squeeze").squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return _tensor(input, "unsqueeze").unsqueeze(dim)


def clone(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "clone").clone()


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    return _tensor(input, "masked_fill").masked_fill(mask, value)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    from .nn.functional import softmax as f

    return f(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    from .nn.functional import log_softmax as f

    return f(input, dim, dtype=dtype)


def numel(input: Tensor) -> int:  # noqa: A002
    return _tensor(input, "numel").numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return _tensor(input, "equal").equal(other)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,  # noqa: A002
             equal_nan: bool = False) -> bool:
    import numpy as np

    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def logical_not(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "logical_not").logical_not()


def logical_and(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "logical_and").logical_and(other)


def logical_or(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "logical_or").logical_or(other)
