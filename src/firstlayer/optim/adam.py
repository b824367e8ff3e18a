"""Adam (with AMSGrad) and AdamW: adaptive moments, dense and row-sparse gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper, for_each_piece, for_present_rows


def check_betas(betas: Any) -> None:
    """Both betas must be numbers in [0, 1): torch's "Invalid beta parameter at index i"."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check_hyper(f"beta parameter at index {i}", beta, 0.0, 1.0, key=f"betas[{i}]")


def _check_tensor_hypers(lr: Any, betas: Any, foreach: Any, capturable: Any) -> None:
    """torch's Adam constructor checks of tensor hyper-parameters: its for-each step without
    capturable takes no tensor lr or betas (a ValueError), and betas are both tensors or
    neither."""
    named = [("lr", lr)]
    if isinstance(betas, (tuple, list)) and len(betas) == 2:
        named += [("betas[0]", betas[0]), ("betas[1]", betas[1])]
        if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
            raise ValueError(f"betas must be either both floats or both Tensors, got {betas!r}")
    for key, value in named:
        if isinstance(value, Tensor) and foreach and not capturable:
            raise ValueError(
                f"{key} as a Tensor is not supported for capturable=False and foreach=True "
                f"(got {key}={value!r}); pass a float, or foreach=None"
            )


def _squeezed_betas(betas: Any) -> Any:
    """A tuple, with 1-element tensors made 0-d (torch's ``_to_scalar``)."""
    if not isinstance(betas, (tuple, list)):
        return betas  # check_betas says what is wrong
    return tuple(
        b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas
    )


class Adam(Optimizer):
    r"""PyTorch's Adam. For each parameter p with gradient g, at step t (from 1):

    .. code-block:: text

        g = -g                                          (if maximize)
        p = p * (1 - lr * weight_decay)                 (if decoupled_weight_decay: AdamW)
        g = g + weight_decay * p                        (otherwise, if weight_decay != 0)
        m = m + (1 - beta1) * (g - m)                   (= beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                           (if amsgrad; then v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``m``, ``v`` (and ``v_max``) start at zero; they are ``state["exp_avg"]``,
    ``state["exp_avg_sq"]`` and ``state["max_exp_avg_sq"]``, and ``state["step"]`` counts t
    (a 0-d float32 tensor, as in torch).

    Row-sparse gradients (``Embedding(sparse=True)``) follow the **lazy** rule of SparseAdam:
    only the rows present in the gradient (after summing duplicate ids) update their ``m``,
    ``v``, ``v_max``, weight decay and value, with the formula above and the parameter's global
    step t in the bias corrections; absent rows keep their value and state untouched. When every
    row is present the result equals the dense update. (``SparseAdam`` differs slightly: it
    adds ``eps`` before the ``sqrt(1 - beta2^t)`` correction, as torch's does.)

    Args:
        params: parameters, ``(name, parameter)`` pairs or parameter groups (dicts).
        lr: learning rate (>= 0; a float or a 1-element tensor).
        betas: decay rates of the first and second moment, each in [0, 1) (floats, or both
            1-element tensors).
        eps: added to the denominator (>= 0).
        weight_decay: L2 penalty (>= 0), added to the gradient (coupled) unless
            ``decoupled_weight_decay`` (AdamW's rule).
        amsgrad: use the maximum of all second moments so far.
        foreach: chooses torch's for-each kernels; firstlayer has one implementation, so it
            changes nothing numerically (recorded in the groups as torch records it).
        fused: chooses torch's fused kernel; changes nothing numerically either. ``fused``
            with ``foreach`` or ``differentiable`` is a RuntimeError, as is ``fused=True``
            with a row-sparse gradient (at ``step``), as in torch.
        maximize: maximize the objective instead of minimizing it.
        capturable: for CUDA graphs. ``True`` is refused at ``step`` as torch refuses it on
            the CPU, unless ``fused=True`` (torch's fused CPU kernel takes it); a
            DeviceUnavailableError, an AssertionError as torch's.
        differentiable: ``True`` raises NotImplementedError (no autograd graph through
            ``step()`` in firstlayer).
        decoupled_weight_decay: decay the parameter directly (AdamW).

    Shape: state arrays are shaped like their parameter.

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0.9000, 0.9000], requires_grad=True)
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_tensor_hypers(lr, betas, foreach, capturable)
        defaults = dict(
            lr=lr,
            betas=_squeezed_betas(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_hyper("learning rate", group["lr"], key="lr")
        check_hyper("epsilon value", group["eps"])
        check_betas(group["betas"])
        check_hyper("weight_decay value", group["weight_decay"])

    def _state(self, p: Tensor, group: dict[str, Any]) -> tuple[float, list[np.ndarray]]:
        """Create missing state, advance the step; returns t and [m, v(, v_max)]."""
        keys = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
        state = self._init_state(p, keys)
        return self._advance_step(state), [state[k]._data for k in keys]

    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        step, moments = self._state(p, group)
        for_each_piece(_adam_piece(group, step), [p._data, np.ascontiguousarray(g), *moments], 3)

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        step, moments = self._state(p, group)
        # The dense formula on the present rows of the parameter and its moments only.
        for_present_rows(_adam_piece(group, step), [p._data, *moments], grad, 3)


def _adam_piece(group: dict[str, Any], step: float) -> Any:
    """The Adam update of one piece, in place: ``fn(p, g, m, v[, v_max], a, b, gg)`` where
    ``a``, ``b``, ``gg`` are scratch buffers. ``g`` is only read."""
    beta1, beta2 = group["betas"]
    lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
    maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
    amsgrad = group["amsgrad"]
    # Python floats, as in torch; NumPy applies them in the arrays' dtype.
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5

    def piece(
        p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, *rest: np.ndarray
    ) -> None:
        v_max = rest[0] if amsgrad else None
        a, b, gg = rest[-3:]
        if wd and decoupled:
            p *= 1 - lr * wd
        if maximize:
            g = np.negative(g, out=gg)
        if wd and not decoupled:
            g = np.add(g, np.multiply(p, wd, out=a), out=gg)
        np.subtract(g, m, out=a)
        a *= 1 - beta1
        m += a
        v *= beta2
        np.multiply(g, 1 - beta2, out=a)
        a *= g
        v += a
        if v_max is not None:
            np.maximum(v_max, v, out=v_max)
        np.sqrt(v if v_max is None else v_max, out=a)
        a /= bias_correction2_sqrt
        a += eps
        np.multiply(m, -step_size, out=b)
        b /= a
        p += b

    return piece


class AdamW(Adam):
    r"""PyTorch's AdamW: Adam with decoupled weight decay (default 1e-2). At step t:

    .. code-block:: text

        g = -g                                          (if maximize)
        p = p * (1 - lr * weight_decay)
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                           (if amsgrad; then v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Row-sparse gradients: the lazy rule of ``Adam`` (only the rows present decay and move).
    Arguments: as ``Adam``'s (``foreach``, ``fused``, ``capturable``, ``differentiable``
    included), without ``decoupled_weight_decay``, which is always on.

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0.8500, 0.8500], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["decoupled_weight_decay"] = True  # AdamW is AdamW, whatever a loaded dict says
