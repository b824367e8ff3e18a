"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..sparse import RowSparseTensor
from .optimizer import Optimizer


def _check_hyper(name: str, value: float) -> None:
    if not isinstance(value, (int, float, np.floating)) or not value >= 0.0:
        raise ValueError(f"Invalid {name}: {value} (must be a number >= 0)")


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
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_hyper("learning rate", lr)
        _check_hyper("momentum value", momentum)
        _check_hyper("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening (got momentum="
                f"{momentum}, dampening={dampening})"
            )
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if isinstance(p.grad, RowSparseTensor):
                    self._sparse_step(p, p.grad, group)
                else:
                    self._dense_step(p, p.grad._data, group)
        return loss

    def _dense_step(self, p: Any, g: np.ndarray, group: dict) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd:
            g = g + wd * p._data
        if momentum:
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p._data -= lr * g

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
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.zeros_like(p._data)
                buf[rows] = g
            else:
                buf[rows] = momentum * buf[rows] + (1 - group["dampening"]) * g
            g = g + momentum * buf[rows] if group["nesterov"] else buf[rows]
        p._data[rows] -= lr * g
