"""Losses: ``nll_loss`` (with its backward) and ``cross_entropy`` = nll_loss(log_softmax).

The full loss set (BCE with logits, MSE, ...) comes with the training work.
"""

from __future__ import annotations

import numpy as np

from ..._errors import ValueRuntimeError
from ...tensor import Tensor
from .activation import log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{reduction!r} is not a valid value for reduction; use one of {_REDUCTIONS}"
        )


def _classes_last(x: np.ndarray) -> np.ndarray:
    """``(N, C, d1, ...)`` -> ``(N*d1*..., C)``; ``(C,)`` -> ``(1, C)``."""
    if x.ndim == 1:
        return x[None, :]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities: ``loss_i = -w[t_i] * input[i, t_i]``.

    ``mean`` divides by the sum of the weights of the non-ignored targets (as torch does).

    Shape: input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target ``(N)``, ``()`` or
    ``(N, d1, ...)`` of class ids in ``[0, C)``.
    """
    _check_reduction(reduction)
    x = input._data
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"nll_loss/cross_entropy: class-index targets must be integers (int64), got {t.dtype}"
        )
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.shape != expected:
        raise ValueRuntimeError(
            f"nll_loss/cross_entropy: input of shape {tuple(x.shape)} (classes in dim "
            f"{0 if x.ndim == 1 else 1}) needs a target of shape {tuple(expected)}, got "
            f"{tuple(t.shape)}"
        )
    x2, tf = _classes_last(x), t.reshape(-1).astype(np.int64)
    valid = tf != ignore_index
    bad = valid & ((tf < 0) | (tf >= C))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise IndexError(
            f"Target {int(tf[pos])} is out of bounds: target at flat position {pos} must be a "
            f"class id in [0, {C}) or ignore_index={ignore_index}"
        )
    safe_t = np.where(valid, tf, 0)
    w = np.ones(C, x.dtype) if weight is None else weight._data.astype(x.dtype)
    wt = np.where(valid, w[safe_t], 0).astype(x.dtype)
    picked = x2[np.arange(x2.shape[0]), safe_t]
    losses = -wt * picked
    denom = wt.sum()
    if reduction == "none":
        out = losses.reshape(t.shape)
    elif reduction == "sum":
        out = np.asarray(losses.sum(), x.dtype)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: nan, as torch
            out = np.asarray(losses.sum() / denom, x.dtype)

    def backward(g: np.ndarray) -> tuple:
        if reduction == "none":
            coef = g.reshape(-1) * wt
        elif reduction == "sum":
            coef = g * wt
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = g * wt / denom
        g2 = np.zeros_like(x2)
        # Ignored targets get exactly +0, even when every target is ignored (denom 0, so their
        # coef is nan): the loss is nan then and its gradient 0, as in torch.
        g2[np.arange(x2.shape[0]), safe_t] = np.where(valid, -coef, 0)
        if x.ndim == 1:
            return (g2[0], None)
        shape_last = x.shape[:1] + x.shape[2:] + (C,)
        return (np.moveaxis(g2.reshape(shape_last), -1, 1), None)

    return Tensor._make(out, (input, None), backward, "NllLossBackward0")


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits against class ids (or class probabilities).

    ``loss_i = -w[t_i] * log_softmax(x_i)[t_i]``; with label smoothing ε the target becomes
    ``(1 - ε) * onehot + ε / C``. Finite for any finite logits (log_softmax subtracts the max).

    Shape: input ``(N, C)`` or ``(C,)`` or ``(N, C, d1, ...)``; target ids ``(N)``, ``()``,
    ``(N, d1, ...)``, or probabilities of the input's shape.

    >>> import firstlayer as torch
    >>> cross_entropy(torch.tensor([[0., 0.]]), torch.tensor([1]))
    tensor(0.6931)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    C = input.shape[class_dim]
    tgt = target._data if isinstance(target, Tensor) else np.asarray(target)
    w = None if weight is None else weight.reshape(*([C] + [1] * (input.dim() - 1 - class_dim)))
    if tgt.dtype.kind == "f":  # class probabilities
        if tgt.shape != tuple(input.shape):
            raise ValueRuntimeError(
                f"cross_entropy: probability targets must have the input's shape "
                f"{tuple(input.shape)}, got {tuple(tgt.shape)}"
            )
        probs = target
        if label_smoothing:
            probs = target * (1 - label_smoothing) + label_smoothing / C
        per = -(logp * probs if w is None else logp * probs * w).sum(class_dim)
        if reduction == "none":
            return per
        n = per.numel() if input.dim() > 1 else 1
        return per.sum() if reduction == "sum" else per.sum() / max(n, 1)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    # torch: (1 - ε) * nll + ε / C * smooth, smooth = -sum_c w_c logp_c over non-ignored rows.
    tf = tgt.reshape(-1) if input.dim() > 1 else tgt.reshape(1)
    valid = Tensor._wrap((tgt != ignore_index).astype(input._data.dtype))
    smooth = -(logp if w is None else logp * w).sum(class_dim) * valid
    if reduction == "none":
        smooth_red = smooth
    elif reduction == "sum":
        smooth_red = smooth.sum()
    else:
        if weight is None:
            denom = float((tf != ignore_index).sum())
        else:
            safe = np.where(tf != ignore_index, tf, 0)
            denom = float((weight._data[safe] * (tf != ignore_index)).sum())
        # Weighted by 1/denom on the kept rows and 0 on the ignored ones (not multiplied by 0,
        # which gives nan when denom is 0): with every target ignored torch's gradient is 0.
        with np.errstate(divide="ignore"):
            inv = np.where(tgt != ignore_index, np.divide(1.0, denom), 0.0)
        smooth_red = (smooth * Tensor._wrap(inv.astype(input._data.dtype))).sum()
    return nll * (1 - label_smoothing) + smooth_red * (label_smoothing / C)
