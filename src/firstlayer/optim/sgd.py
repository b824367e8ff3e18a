"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _backend
from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class SGD(Optimizer):
    r"""PyTorch's SGD. For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                       (if maximize)
        g = g + weight_decay * p                      (if weight_decay != 0)
        b = g                                        (t = 1)
        b = momentum * b + (1 - dampening) * g       (t > 1, if momentum != 0)
        g = g + momentum * b  if nesterov  else  b   (if momentum != 0)
        p = p - lr * g

    Row-sparse gradients (``Embedding(sparse=True)``) are accepted with every option. Without
    momentum and weight decay the update equals the dense one. With them, the *lazy* rule
    applies (as in SparseAdam): only the rows present in the gradient decay and move their
    momentum; rows absent from a batch keep their value and momentum buffer untouched.

    Args:
        params: parameters, ``(name, parameter)`` pairs or parameter groups (dicts).
        lr: learning rate (>= 0; a float or a 1-element tensor).
        momentum: momentum factor (>= 0).
        dampening: dampening of the momentum.
        weight_decay: L2 penalty added to the gradient (>= 0; a float or a 1-element tensor).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: maximize the objective instead of minimizing it.
        foreach: chooses torch's for-each kernels; firstlayer has one implementation, so it
            changes nothing numerically (recorded in the groups as torch records it).
        fused: chooses torch's fused kernel; changes nothing numerically either. ``fused``
            with ``foreach`` or ``differentiable`` is a RuntimeError, as is ``fused=True``
            with a row-sparse gradient (at ``step``), as in torch.
        differentiable: ``True`` raises NotImplementedError (no autograd graph through
            ``step()`` in firstlayer).

    Shape: the momentum buffer is shaped like its parameter.

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = SGD([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_hyper("learning rate", group["lr"], key="lr")
        check_hyper("momentum value", group["momentum"])
        check_hyper("weight_decay value", group["weight_decay"], key="weight_decay")
        momentum, dampening = group["momentum"], group["dampening"]
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening (got momentum="
                f"{momentum}, dampening={dampening})"
            )

    # step() is Optimizer.step: it checks every gradient, then calls _dense_step/_sparse_step.
    _state_keys = ("momentum_buffer",)

    def _dense_step(self, p: Any, g: np.ndarray, group: dict) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd:
            g = g + wd * p._data
        if momentum:
            state = self.state.setdefault(p, {})
            if state.get("momentum_buffer") is None:
                buf = g.copy()
                state["momentum_buffer"] = Tensor._wrap(buf)  # a tensor, as torch keeps it
            else:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                _backend.add_scaled_(buf, g, 1 - group["dampening"])
            g = g + momentum * buf if group["nesterov"] else buf
        # p -= lr * g, without a temporary as large as p (its allocation cost more than the
        # arithmetic); the rounding is that of the expression.
        _backend.add_scaled_(p._data, g, -lr)

    def _sparse_step(self, p: Any, grad: RowSparseTensor, group: dict) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        sign = -1.0 if group["maximize"] else 1.0
        if not momentum and not wd:
            grad.add_to_dense(p._data, alpha=-lr * sign)
            return
        c = grad.coalesce()
        rows, g = c.rows, sign * c._values_arr
        if wd:
            g = g + wd * p._data[rows]
        if momentum:
            state = self.state.setdefault(p, {})
            if state.get("momentum_buffer") is None:
                buf = np.zeros(p._data.shape, p._data.dtype)  # pages allocated when touched
                state["momentum_buffer"] = Tensor._wrap(buf)
                buf[rows] = g
            else:
                buf = state["momentum_buffer"]._data
                buf[rows] = momentum * buf[rows] + (1 - group["dampening"]) * g
            g = g + momentum * buf[rows] if group["nesterov"] else buf[rows]
        p._data[rows] -= lr * g
