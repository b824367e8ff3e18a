"""Losses: ``nll_loss``, ``cross_entropy`` (= nll_loss of log_softmax),
``binary_cross_entropy_with_logits`` and ``mse_loss``; each op's backward sits right below it.

Signatures follow ``torch.nn.functional`` position for position, including the deprecated
``size_average``/``reduce`` pair (converted to ``reduction`` with torch's warning), so calls
written for PyTorch work unchanged. Every loss is finite for any finite input: the logit losses
never exponentiate a large positive number.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype
from ..._errors import TypeRuntimeError, ValueRuntimeError
from ...ops._util import unbroadcast
from ...tensor import Size, Tensor
from .activation import log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(
    reduction: str,
    size_average: bool | None = None,
    reduce: bool | None = None,
    stacklevel: int = 3,
) -> str:
    """The ``reduction`` to use: torch's mapping of the deprecated ``size_average``/``reduce``
    flags (with its warning), ``"elementwise_mean"`` as ``"mean"``, and a check of the name."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(
            "size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            stacklevel=stacklevel,
        )
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            stacklevel=stacklevel,
        )
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{reduction!r} is not a valid value for reduction; use one of {_REDUCTIONS}"
        )
    return reduction


def _as_array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _float_input(x: Tensor, name: str) -> np.ndarray:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise TypeRuntimeError(
            f"{name}: input must be a floating point tensor, got {x.dtype}; use input.float()"
        )
    return x._data


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """``none``/``sum``/``mean`` of per-element losses; the mean of nothing is nan, as torch."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.asarray(losses.sum(), losses.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(losses.sum() / losses.size, losses.dtype)


def _upstream(g: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """The gradient of the reduced loss w.r.t. each per-element loss, of ``shape``."""
    if reduction == "none":
        return g
    if reduction == "sum":
        return np.broadcast_to(g, shape)
    n = int(np.prod(shape))
    return np.broadcast_to(g / n if n else g, shape)


def _class_weight(weight: Tensor | None, C: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(C, dtype)
    w = _as_array(weight)
    if w.shape != (C,):
        raise ValueRuntimeError(
            f"weight tensor should be defined either for all {C} classes or no classes but got "
            f"weight tensor of shape: {list(w.shape)}"
        )
    return w.astype(dtype, copy=False)


def _check_classes_input(x: np.ndarray, name: str) -> None:
    if x.ndim == 0:
        raise ValueRuntimeError(
            f"{name}: input must have at least 1 dimension (the classes: (C,), (N, C) or "
            "(N, C, d1, ...)), got a 0-d tensor"
        )


def _classes_last(x: np.ndarray) -> np.ndarray:
    """``(N, C, d1, ...)`` -> ``(N*d1*..., C)``; ``(C,)`` -> ``(1, C)``."""
    if x.ndim == 1:
        return x[None, :]
    C = x.shape[1]
    rows = int(np.prod(x.shape[:1] + x.shape[2:]))  # not -1: ambiguous when C is 0
    return np.moveaxis(x, 1, -1).reshape(rows, C)


# --------------------------------------------------------------------------------------------
# nll_loss
# --------------------------------------------------------------------------------------------


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities: ``loss_i = -w[t_i] * input[i, t_i]``.

    Args:
        input: log-probabilities (e.g. ``log_softmax(logits, 1)``).
        target: class ids; an id equal to ``ignore_index`` contributes nothing.
        weight: ``(C,)`` per-class weights.
        reduction: ``"mean"`` divides by the sum of the weights of the non-ignored targets (as
            torch does: nan when every target is ignored), ``"sum"``, or ``"none"``.
        size_average: deprecated, as in torch (overrides ``reduction``).
        reduce: deprecated, as in torch (overrides ``reduction``).

    Shape: input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target ``(N)``, ``()`` or
    ``(N, d1, ...)`` of ids in ``[0, C)``; output ``()``, or the target's shape for ``"none"``.

    >>> import firstlayer as torch
    >>> nll_loss(torch.tensor([[-1.0, -0.5]]), torch.tensor([1]))
    tensor(0.5000)
    """
    reduction = legacy_reduction(reduction, size_average, reduce)
    x = _float_input(input, "nll_loss")
    _check_classes_input(x, "nll_loss")
    t = _as_array(target)
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
    w = _class_weight(weight, C, x.dtype)
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
    wt = np.where(valid, w[safe_t] if C else 0, 0).astype(x.dtype)
    picked = x2[np.arange(x2.shape[0]), safe_t] if C else np.zeros(0, x.dtype)
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


# --------------------------------------------------------------------------------------------
# cross_entropy (composed: log_softmax, then nll_loss or a sum against probabilities)
# --------------------------------------------------------------------------------------------


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits against class ids (or class probabilities).

    ``loss_i = -w[t_i] * log_softmax(x_i)[t_i]``; with label smoothing ε the target becomes
    ``(1 - ε) * onehot + ε / C``. Finite for any finite logits (log_softmax subtracts the max).

    Args:
        input: unnormalised scores (logits).
        target: class ids (integers; ``ignore_index`` entries contribute nothing), or class
            probabilities (floats, the input's shape; ``ignore_index`` is not supported then).
        weight: ``(C,)`` per-class weights.
        reduction: ``"mean"`` (over the weights of the kept targets for ids, over the
            ``N*d1*...`` rows for probabilities), ``"sum"`` or ``"none"``.
        label_smoothing: ε in ``[0, 1]``.
        size_average: deprecated, as in torch (overrides ``reduction``).
        reduce: deprecated, as in torch (overrides ``reduction``).

    Shape: input ``(N, C)`` or ``(C,)`` or ``(N, C, d1, ...)``; target ids ``(N)``, ``()``,
    ``(N, d1, ...)``, or probabilities of the input's shape.

    >>> import firstlayer as torch
    >>> cross_entropy(torch.tensor([[0., 0.]]), torch.tensor([1]))
    tensor(0.6931)
    """
    reduction = legacy_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    _check_classes_input(_float_input(input, "cross_entropy"), "cross_entropy")
    class_dim = 0 if input.dim() == 1 else 1
    C = input.shape[class_dim]
    _class_weight(weight, C, input._data.dtype)  # a clear error for a weight of the wrong size
    logp = log_softmax(input, class_dim)
    tgt = _as_array(target)
    w = None if weight is None else weight.reshape(*([C] + [1] * (input.dim() - 1 - class_dim)))
    if tgt.dtype.kind == "f":  # class probabilities
        if tgt.shape != tuple(input.shape):
            raise ValueRuntimeError(
                f"cross_entropy: probability targets must have the input's shape "
                f"{tuple(input.shape)}, got {tuple(tgt.shape)}"
            )
        if ignore_index != -100:
            raise ValueRuntimeError(
                "ignore_index is not supported for floating point target (class "
                f"probabilities); got ignore_index={ignore_index}"
            )
        probs = target if isinstance(target, Tensor) else Tensor._wrap(tgt)
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / C
        per = -(logp * probs if w is None else logp * probs * w).sum(class_dim)
        if reduction == "none":
            return per
        if reduction == "sum":
            return per.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # no rows: 0/0 = nan, as torch
            return per.sum() / float(per.numel())
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
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
            denom = float((_as_array(weight)[safe] * (tf != ignore_index)).sum())
        # Weighted by 1/denom on the kept rows and 0 on the ignored ones (not multiplied by 0,
        # which gives nan when denom is 0): with every target ignored torch's gradient is 0.
        with np.errstate(divide="ignore"):
            inv = np.where(tgt != ignore_index, np.divide(1.0, denom), 0.0)
        smooth_red = (smooth * Tensor._wrap(inv.astype(input._data.dtype))).sum()
    return nll * (1 - label_smoothing) + smooth_red * (label_smoothing / C)


# --------------------------------------------------------------------------------------------
# binary_cross_entropy_with_logits
# --------------------------------------------------------------------------------------------


def _constant_operand(x: Any, name: str, shape: tuple[int, ...], op: str) -> np.ndarray | None:
    """A weight that broadcasts to ``shape`` and takes no gradient (torch refuses one there)."""
    if x is None:
        return None
    if isinstance(x, Tensor) and x.requires_grad:
        raise RuntimeError(
            f"The function '{op}' is not differentiable with respect to argument '{name}'. "
            f"This input cannot have requires_grad True; pass {name}.detach()"
        )
    arr = _as_array(x)
    try:
        fits = np.broadcast_shapes(arr.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:  # the loss keeps the input's shape, as torch's does
        raise ValueRuntimeError(
            f"{op}: {name} of shape {tuple(arr.shape)} can't be broadcast to the input's shape "
            f"{tuple(shape)}"
        )
    return arr


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of logits ``x`` against targets ``y`` in ``[0, 1]``, without ever
    forming ``sigmoid(x)`` (so ``x = ±1e4`` gives finite losses and gradients):

        loss = w * ((1 - y) * x - l * log σ(x)),   l = 1 + (pos_weight - 1) * y,
        log σ(x) = -(max(-x, 0) + log1p(exp(-|x|)))

    Without ``pos_weight`` this is ``w * (max(x, 0) - x * y + log1p(exp(-|x|)))``. The gradient
    is ``d loss / dx = w * (l * σ(x) - pos_weight * y)`` (torch's formula) and
    ``d loss / dy = w * (log σ(-x) - pos_weight * log σ(x))``.

    Args:
        input: logits.
        target: float targets, the input's shape.
        weight: a rescaling weight broadcast to the input's shape (no gradient, as torch).
        pos_weight: a weight of the positive examples broadcast to the input's shape, usually
            ``(C,)`` for ``(N, C)`` multi-label targets (no gradient, as torch).
        reduction: ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.
        size_average: deprecated, as in torch.
        reduce: deprecated, as in torch.

    Shape: input and target ``(*)``; output ``()`` or ``(*)`` for ``"none"``.

    >>> import firstlayer as torch
    >>> binary_cross_entropy_with_logits(torch.tensor([0.0]), torch.tensor([1.0]))
    tensor(0.6931)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(reduction, size_average, reduce)
    x = _float_input(input, op)
    y = _as_array(target)
    if y.shape != x.shape:
        raise ValueError(
            f"Target size ({Size(y.shape)}) must be the same as input size ({Size(x.shape)})"
        )
    if y.dtype.kind != "f":
        raise TypeRuntimeError(
            f"{op}: target must be a floating point tensor (0/1 labels as floats: "
            f"target.float()), got {_dtype.from_numpy_dtype(y.dtype)}"
        )
    dt = np.result_type(x.dtype, y.dtype)
    x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    w = _constant_operand(weight, "weight", x.shape, op)
    pw = _constant_operand(pos_weight, "pos_weight", x.shape, op)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    log_sig = -(np.maximum(-x, 0) + np.log1p(e))
    lw = 1 if pw is None else 1 + (pw - 1) * y
    losses = (1 - y) * x - lw * log_sig
    if w is not None:
        losses = losses * w
    losses = losses.astype(dt, copy=False)
    out = _reduce(losses, reduction)

    def backward(g: np.ndarray) -> tuple:
        gl = _upstream(g, x.shape, reduction)
        if w is not None:
            gl = gl * w
        sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))  # σ(x) without overflow
        grad_x = lw * sig - (y if pw is None else pw * y)
        # torch's form, log σ(-x) - pos_weight * log σ(x): no cancellation between two huge
        # terms at large |x| (-x - (pos_weight - 1) * log σ(x) is the same number on paper).
        grad_y = -x if pw is None else -(np.maximum(x, 0) + np.log1p(e)) - pw * log_sig
        return (gl * grad_x).astype(dt, copy=False), (gl * grad_y).astype(dt, copy=False)

    return Tensor._make(
        out, (input, target if isinstance(target, Tensor) else None), backward,
        "BinaryCrossEntropyWithLogitsBackward0",
    )


# --------------------------------------------------------------------------------------------
# mse_loss
# --------------------------------------------------------------------------------------------


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error ``(x - y)²``, optionally weighted per element.

    As in torch, a target whose shape differs from the input's is broadcast against it, with a
    warning (it is usually a bug: ``(N, 1)`` against ``(N,)`` gives an ``(N, N)`` loss). With
    ``weight`` (the input's shape), ``"mean"`` is ``sum(w (x - y)²) / sum(w)``.

    Gradients: ``d/dx = 2 w (x - y)``, ``d/dy = -2 w (x - y)``, ``d/dw = (x - y)²`` (divided by
    ``N`` or ``sum(w)`` for ``"mean"``, minus the mean for the weight).

    Shape: input ``(*)``, target broadcastable to it; output ``()`` or the broadcast shape.

    >>> import firstlayer as torch
    >>> mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
    tensor(2.)
    """
    op = "mse_loss"
    x = _float_input(input, op)
    y = _as_array(target)
    if y.shape != x.shape:
        warnings.warn(
            f"Using a target size ({Size(y.shape)}) that is different to the input size "
            f"({Size(x.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = legacy_reduction(reduction, size_average, reduce)
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueRuntimeError(
            f"mse_loss: the target's shape {tuple(y.shape)} can't be broadcast with the input's "
            f"shape {tuple(x.shape)}"
        ) from None
    # torch's promotion: a float target may widen the result, an integer one does not
    dt = np.result_type(x.dtype, y.dtype) if y.dtype.kind == "f" else x.dtype
    wt = None if weight is None else _as_array(weight)
    if wt is not None and wt.shape != x.shape:
        raise ValueError(
            f"Weights and input must have the same size: weight {tuple(wt.shape)}, input "
            f"{tuple(x.shape)}"
        )
    diff = x.astype(dt, copy=False) - y.astype(dt, copy=False)  # broadcast shape
    se = diff * diff
    if wt is None:
        out = _reduce(se, reduction)
    else:
        wse = se * wt
        wsum = wt.sum()
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.asarray(wse.sum() / wsum, wse.dtype)
        else:
            out = _reduce(wse, reduction)

    def backward(g: np.ndarray) -> tuple:
        if wt is None:
            gl = _upstream(g, shape, reduction)
        elif reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                gl = np.broadcast_to(g / wsum, shape)
        else:
            gl = _upstream(g, shape, reduction)
        gd = 2 * diff * gl if wt is None else 2 * diff * gl * wt
        grad_w = None
        if wt is not None:
            # d(sum w se / sum w)/dw = (se - out) / sum w for the mean; se for sum/none
            grad_w = gl * (se - out) if reduction == "mean" else gl * se
            grad_w = unbroadcast(grad_w, wt.shape)
        return (
            unbroadcast(gd, x.shape).astype(x.dtype, copy=False),
            unbroadcast(-gd, y.shape),
            grad_w,
        )

    inputs = (
        input,
        target if isinstance(target, Tensor) else None,
        weight if isinstance(weight, Tensor) else None,
    )
    return Tensor._make(out.astype(dt, copy=False), inputs, backward, "MseLossBackward0")
