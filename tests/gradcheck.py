"""A float64 central-difference gradient checker for firstlayer ops (after minitorch's grad_check).

``gradcheck(fn, inputs)`` compares the gradient that ``backward`` computes with the numerical
one, element by element:

- the output of ``fn(*inputs)`` may have any shape: it is contracted with a fixed random
  upstream gradient ``G`` (drawn from ``seed``), so the checked scalar is ``sum(fn(*inputs) * G)``
  and the analytic side is ``out.backward(gradient=G)``;
- the numerical derivative for element ``j`` of argument ``i`` is
  ``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)``;
- a mismatch raises ``AssertionError`` naming the argument position, the element index and
  both values;
- sparse gradients (``RowSparseTensor``, from ``Embedding(sparse=True)``) are densified first;
- integer ids arguments (and anything else that is not a float tensor requiring grad) are
  passed through unchanged and never perturbed; ``ids=(k,)`` additionally asserts that argument
  ``k`` is an integer tensor that ``fn`` leaves untouched and that gets no gradient.

The inputs themselves are not modified: each differentiable input is replaced by a fresh leaf
holding a copy of its values, and ``fn`` is called with those copies.

>>> import firstlayer as torch
>>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
>>> gradcheck(lambda a: (a * a).sum(1), [x])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from firstlayer import RowSparseTensor, Tensor, no_grad


def _dense(grad: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A ``.grad`` (None, dense Tensor or RowSparseTensor) as a float64 array of ``shape``."""
    if grad is None:
        return np.zeros(shape, np.float64)
    if isinstance(grad, RowSparseTensor):
        grad = grad.to_dense()
    arr = np.asarray(grad._data, dtype=np.float64)
    assert arr.shape == shape, f"gradient of shape {arr.shape} for an input of shape {shape}"
    return arr


def _output(fn: Callable[..., Any], args: list[Any]) -> Tensor:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    *,
    ids: Sequence[int] = (),
    seed: int = 0,
) -> None:
    """Check ``backward`` of ``fn`` against central differences, for every input element.

    Args:
        fn: called as ``fn(*inputs)``; returns one Tensor of any shape.
        inputs: the arguments. float64 tensors with ``requires_grad=True`` are checked; anything
            else (integer ids, constants, Python values) is passed through unchanged.
        eps: the finite-difference step.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        ids: positions of integer ids arguments: each must be an int32/int64 tensor, must not be
            modified by ``fn`` and must not receive a gradient.
        seed: seeds the upstream gradient ``G`` that the output is contracted with.

    Raises:
        AssertionError: naming the argument, the element index and the two values, at the
            first element that differs.
        TypeError: a differentiable input that is not a float64 leaf (float32 differences are
            too coarse to check anything).
    """
    args = list(inputs)
    for pos in ids:
        t = args[pos]
        if not isinstance(t, Tensor) or t.dtype.is_floating_point or t.dtype.name == "bool":
            raise TypeError(f"gradcheck: ids argument {pos} must be an integer tensor, got {t!r}")
    ids_before = {pos: args[pos]._data.copy() for pos in ids}

    checked: list[int] = []
    for pos, t in enumerate(args):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        if t.dtype.name != "float64" or not t.is_leaf:
            raise TypeError(
                f"gradcheck: argument {pos} must be a float64 leaf tensor, got {t.dtype} "
                f"(is_leaf={t.is_leaf})"
            )
        args[pos] = Tensor._wrap(t._data.copy(), requires_grad=True)
        checked.append(pos)

    # Analytic: one backward of the output contracted with G.
    out = _output(fn, args)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(gradient=Tensor._wrap(upstream.astype(out._data.dtype)))
    analytic = {pos: _dense(args[pos].grad, args[pos]._data.shape) for pos in checked}

    for pos in ids:
        assert np.array_equal(args[pos]._data, ids_before[pos]), f"fn modified ids argument {pos}"
        assert args[pos].grad is None, f"ids argument {pos} received a gradient"

    def scalar() -> float:
        with no_grad():
            return float((np.asarray(_output(fn, args)._data, np.float64) * upstream).sum())

    # Numeric: perturb one element at a time, in place, and restore it.
    for pos in checked:
        data = args[pos]._data
        for flat in range(data.size):
            idx = np.unravel_index(flat, data.shape)
            orig = data[idx]
            data[idx] = orig + eps
            plus = scalar()
            data[idx] = orig - eps
            minus = scalar()
            data[idx] = orig
            numeric = (plus - minus) / (2 * eps)
            got = analytic[pos][idx]
            if not abs(got - numeric) <= atol + rtol * abs(numeric):
                raise AssertionError(
                    f"Gradient check failed for argument {pos} at index "
                    f"{tuple(int(i) for i in idx)}: analytic {got!r} vs numeric {numeric!r} "
                    f"(eps={eps}, atol={atol}, rtol={rtol}; input value {float(orig)!r})"
                )
