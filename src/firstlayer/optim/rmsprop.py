"""RMSprop: divide the gradient by a running root mean square of its recent values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper, for_each_piece, for_present_rows


class RMSprop(Optimizer):
    r"""PyTorch's RMSprop. For each parameter p with gradient g, at each step:

    .. code-block:: text

        g = -g                                          (if maximize)
        g = g + weight_decay * p                        (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        a = a + (1 - alpha) * (g - a)                   (if centered)
        d = sqrt(v - a * a) + eps  if centered  else  sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b       (if momentum > 0)
        p = p - lr * g / d                              (otherwise)

    ``v``, ``a``, ``b`` start at zero: ``state["square_avg"]``, ``state["grad_avg"]``
    (centered only), ``state["momentum_buffer"]`` (momentum > 0 only); ``state["step"]`` counts
    the steps (a 0-d float32 tensor).

    Row-sparse gradients (torch rejects them) follow the **lazy** rule, as in SparseAdam: only
    the rows present in the gradient (after summing duplicate ids) decay ``v`` and ``a``, move
    their momentum, get weight decay and change; absent rows keep their value and state. When
    every row is present the result equals the dense update.

    Args:
        params: parameters, ``(name, parameter)`` pairs or parameter groups (dicts).
        lr: learning rate (>= 0; a float or a 1-element tensor).
        alpha: smoothing constant (>= 0, as torch checks; above 1 the mean square turns
            negative and the update is NaN, as in torch).
        eps: added to the denominator (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        momentum: momentum factor (>= 0).
        centered: normalize by an estimate of the gradient's variance instead.
        capturable: for CUDA graphs. ``True`` is refused at ``step`` as torch refuses it on
            the CPU (a DeviceUnavailableError, an AssertionError as torch's).
        foreach: chooses torch's implementation (for-each kernels); firstlayer has one, so it
            changes nothing numerically. Recorded in the groups as torch records it.
        maximize: maximize the objective instead of minimizing it.
        differentiable: ``True`` raises NotImplementedError (no autograd graph through
            ``step()`` in firstlayer).

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0.9800, 0.9800], requires_grad=True)
    """

    _state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,  # all positional too, as in torch's RMSprop
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_hyper("learning rate", group["lr"], key="lr")
        check_hyper("epsilon value", group["eps"])
        check_hyper("momentum value", group["momentum"])
        check_hyper("weight_decay value", group["weight_decay"])
        check_hyper("alpha value", group["alpha"])  # torch checks alpha >= 0 only

    def _state(self, p: Tensor, group: dict[str, Any]) -> tuple[list[str], list[np.ndarray]]:
        """Create missing state and advance the step; returns the keys and arrays in use."""
        keys = ["square_avg"]
        if group["momentum"] > 0:
            keys.append("momentum_buffer")
        if group["centered"]:
            keys.append("grad_avg")
        state = self._init_state(p, keys)
        self._advance_step(state)
        return keys, [state[k]._data for k in keys]

    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        keys, arrays = self._state(p, group)
        with np.errstate(invalid="ignore"):  # sqrt of a negative mean square: NaN, as in torch
            for_each_piece(
                _rmsprop_piece(group, keys), [p._data, np.ascontiguousarray(g), *arrays], 2
            )

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        keys, arrays = self._state(p, group)
        with np.errstate(invalid="ignore"):
            for_present_rows(_rmsprop_piece(group, keys), [p._data, *arrays], grad, 2)


def _rmsprop_piece(group: dict[str, Any], keys: list[str]) -> Any:
    """The RMSprop update of one piece, in place: ``fn(p, g, v[, b][, a], t, gg)``."""
    lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
    wd, momentum, maximize = group["weight_decay"], group["momentum"], group["maximize"]
    has_buf, centered = "momentum_buffer" in keys, "grad_avg" in keys

    def piece(p: np.ndarray, g: np.ndarray, v: np.ndarray, *rest: np.ndarray) -> None:
        buf = rest[0] if has_buf else None
        grad_avg = rest[int(has_buf)] if centered else None
        t, gg = rest[-2:]
        if maximize:
            g = np.negative(g, out=gg)
        if wd:
            g = np.add(g, np.multiply(p, wd, out=t), out=gg)
        v *= alpha
        np.multiply(g, 1 - alpha, out=t)
        t *= g
        v += t
        if grad_avg is not None:
            np.subtract(g, grad_avg, out=t)
            t *= 1 - alpha
            grad_avg += t
            np.multiply(grad_avg, grad_avg, out=t)
            np.subtract(v, t, out=t)
            np.sqrt(t, out=t)
        else:
            np.sqrt(v, out=t)
        t += eps
        if buf is not None:
            buf *= momentum
            np.divide(g, t, out=t)
            buf += t
            p += np.multiply(buf, -lr, out=t)
        else:
            np.multiply(g, -lr, out=gg)  # g may be gg itself: elementwise, so in place is fine
            gg /= t
            p += gg

    return piece
