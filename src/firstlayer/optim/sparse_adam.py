"""SparseAdam: Adam's lazy variant for row-sparse gradients, as ``torch.optim.SparseAdam``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .adam import check_betas
from .optimizer import Optimizer, check_hyper, for_present_rows


class SparseAdam(Optimizer):
    r"""PyTorch's SparseAdam: Adam on the rows present in a row-sparse gradient only.

    For each parameter p with a row-sparse gradient, at step t (from 1): sum the duplicate ids
    of the gradient, then for each row r present, with its summed gradient g:

    .. code-block:: text

        g = -g                                             (if maximize)
        m[r] = m[r] + (1 - beta1) * (g - m[r])
        v[r] = v[r] + (1 - beta2) * (g * g - v[r])
        p[r] = p[r] - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m[r] / (sqrt(v[r]) + eps)

    Rows absent from the gradient keep their value, ``m`` and ``v``. t
    (``state["step"]``, an int as in torch) counts the steps in which the parameter had a
    gradient, so it is the same for every row. ``eps`` is added before the bias correction of
    ``v`` (unlike ``Adam``), exactly as torch's SparseAdam does.

    Dense gradients are rejected, as in torch: use ``Adam``, whose sparse rule is the same lazy
    one but which also takes dense gradients.

    Args:
        params: parameters, ``(name, parameter)`` pairs or parameter groups (dicts).
        lr: learning rate (> 0; a float or a 1-element tensor).
        betas: decay rates of the first and second moment, each in [0, 1).
        eps: added to the denominator (> 0).
        maximize: maximize the objective instead of minimizing it.

    >>> import firstlayer as torch
    >>> emb = torch.nn.Embedding(3, 2, sparse=True)
    >>> opt = SparseAdam(emb.parameters(), lr=0.1)
    >>> emb(torch.tensor([0])).sum().backward(); opt.step()
    >>> opt.state[emb.weight]["step"]
    1
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,  # positional too, as in torch's SparseAdam
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,  # as given (a list stays a list), as torch's SparseAdam keeps it
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_hyper("learning rate", group["lr"], low_open=True, key="lr")
        check_hyper("epsilon value", group["eps"], low_open=True)
        check_betas(group["betas"])

    def _check_grad(self, p: Tensor, grad: Any) -> None:
        if not isinstance(grad, RowSparseTensor):
            raise RuntimeError(
                "SparseAdam does not support dense gradients, please consider Adam instead "
                f"(a parameter of shape {tuple(p.shape)} has a dense gradient; Adam takes "
                "both kinds and applies this same lazy rule to row-sparse ones)"
            )
        super()._check_grad(p, grad)

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        state = self._init_state(p, ["exp_avg", "exp_avg_sq"], step_tensor=False)
        # The step counts even for an empty gradient, which then changes no row (as in torch).
        step = self._advance_step(state)
        arrays = [p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
        for_present_rows(_sparse_adam_piece(group, step), arrays, grad, 2)

    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        # Reached only for a parameter with frozen rows: _check_grad has rejected the user's
        # dense gradients before.
        raise AssertionError("SparseAdam got a dense gradient past _check_grad")


def _sparse_adam_piece(group: dict[str, Any], step: float) -> Any:
    """torch's sparse_adam on one piece of gathered rows: ``fn(p, g, m, v, a, b)``."""
    beta1, beta2 = group["betas"]
    eps, maximize = group["eps"], group["maximize"]
    step_size = group["lr"] * (1 - beta2**step) ** 0.5 / (1 - beta1**step)

    def piece(
        p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, a: np.ndarray, b: np.ndarray
    ) -> None:
        if maximize:
            g = np.negative(g, out=b)
        np.subtract(g, m, out=a)
        a *= 1 - beta1
        m += a
        np.multiply(g, g, out=a)
        a -= v
        a *= 1 - beta2
        v += a
        np.sqrt(v, out=a)
        a += eps
        np.divide(m, a, out=a)
        a *= -step_size
        p += a

    return piece
