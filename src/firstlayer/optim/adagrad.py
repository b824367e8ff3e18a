"""Adagrad: per-element learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper, for_each_piece, for_present_rows


class Adagrad(Optimizer):
    r"""PyTorch's Adagrad. For each parameter p with gradient g, at step t (from 1):

    .. code-block:: text

        g = -g                                  (if maximize)
        g = g + weight_decay * p                (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    ``s`` (``state["sum"]``) starts at ``initial_accumulator_value``; ``state["step"]`` counts
    t (a 0-d float32 tensor). Both exist from construction, as in torch.

    Row-sparse gradients (``Embedding(sparse=True)``): duplicate ids are summed, then only the
    rows present update ``s`` and their value, with the formula above: exactly torch's sparse
    Adagrad (for the absent rows a dense zero gradient would change nothing either: it adds
    nothing to ``s`` and moves nothing). torch rejects weight decay with sparse gradients;
    here it follows the **lazy** rule: only the rows present decay.

    Args:
        params: parameters, ``(name, parameter)`` pairs or parameter groups (dicts).
        lr: learning rate (>= 0; a float or a 1-element tensor).
        lr_decay: learning-rate decay per step (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        initial_accumulator_value: starting value of ``s`` (>= 0).
        eps: added to the denominator (>= 0).
        maximize: maximize the objective instead of minimizing it.
        foreach: chooses torch's for-each kernels; firstlayer has one implementation, so it
            changes nothing numerically (recorded in the groups as torch records it).
        fused: chooses torch's fused kernel; changes nothing numerically either. ``fused``
            with ``foreach`` or ``differentiable`` is a RuntimeError, as is ``fused=True``
            with a row-sparse gradient (at ``step``), as in torch.
        differentiable: ``True`` raises NotImplementedError (no autograd graph through
            ``step()`` in firstlayer).

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0.9000, 0.9000], requires_grad=True)
    """

    _state_keys = ("step", "sum")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,  # positional too, as in torch's Adagrad
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._state(p, group)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_hyper("learning rate", group["lr"], key="lr")
        check_hyper("lr_decay value", group["lr_decay"])
        check_hyper("weight_decay value", group["weight_decay"])
        check_hyper("initial_accumulator_value value", group["initial_accumulator_value"])
        check_hyper("epsilon value", group["eps"])

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return self._init_state(p, ["sum"], fill=group["initial_accumulator_value"])

    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        state = self._state(p, group)
        step = self._advance_step(state)
        for_each_piece(
            _adagrad_piece(group, step), [p._data, np.ascontiguousarray(g), state["sum"]._data], 2
        )

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        state = self._state(p, group)
        step = self._advance_step(state)
        for_present_rows(_adagrad_piece(group, step), [p._data, state["sum"]._data], grad, 2)


def _adagrad_piece(group: dict[str, Any], step: float) -> Any:
    """The Adagrad update of one piece, in place: ``fn(p, g, s, a, gg)``."""
    wd, eps, maximize = group["weight_decay"], group["eps"], group["maximize"]
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])

    def piece(p: np.ndarray, g: np.ndarray, s: np.ndarray, a: np.ndarray, gg: np.ndarray) -> None:
        if maximize:
            g = np.negative(g, out=gg)
        if wd:
            g = np.add(g, np.multiply(p, wd, out=a), out=gg)
        np.multiply(g, g, out=a)
        s += a
        np.sqrt(s, out=a)
        a += eps
        np.divide(g, a, out=a)
        a *= -clr
        p += a

    return piece
