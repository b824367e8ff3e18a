"""The loss set against torch: ``binary_cross_entropy_with_logits`` and ``mse_loss`` with every
option (values and gradients, hypothesis-drawn shapes), float64 finite differences, stability at
huge logits, the deprecated ``size_average``/``reduce`` flags, the modules (constructors, buffers,
reprs) and the errors. ``cross_entropy``/``nll_loss`` are drawn in ``test_functional.py``; their
edge cases fixed here are below."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.nn.functional as F
from gradcheck import gradcheck

T = torch.nn.functional
REDUCTIONS = ["none", "sum", "mean"]


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, tol: float, atol: float | None = None) -> None:
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol if atol is None else atol, equal_nan=True)


def pair(x: np.ndarray | None, requires_grad: bool = False) -> tuple[Any, Any]:
    """The same array as a firstlayer and a torch tensor (None stays None)."""
    if x is None:
        return None, None
    return (
        fl.tensor(x.copy(), requires_grad=requires_grad),
        torch.tensor(x.copy(), requires_grad=requires_grad),
    )


def backward_both(out: fl.Tensor, ref: torch.Tensor, seed: int) -> None:
    g = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(arr(ref).dtype)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))


SHAPES = [(), (1,), (4,), (3, 4), (2, 3, 2), (0,), (3, 0)]


# --------------------------------------------------------------------------------------------
# binary_cross_entropy_with_logits
# --------------------------------------------------------------------------------------------


@st.composite
def bce_cases(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(SHAPES))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1.0, 10.0, 1e4]))
    x = (rng.standard_normal(shape) * scale).astype(dtype)
    if draw(st.booleans()):
        y = rng.integers(0, 2, shape).astype(dtype)  # hard 0/1 labels
    else:
        y = rng.random(shape).astype(dtype)  # soft labels
    last = shape[-1:] if shape else ()

    def weight_like(kind: str) -> np.ndarray | None:
        # the shapes a weight is broadcast from: none, the full shape, the class dim, a scalar
        wshape = {"full": shape, "last": last, "one": (1,) * min(len(shape), 1)}.get(kind)
        return None if wshape is None else (rng.random(wshape) * 3).astype(dtype)

    return {
        "x": x, "y": y,
        "weight": weight_like(draw(st.sampled_from(["none", "full", "last", "one"]))),
        "pos_weight": weight_like(draw(st.sampled_from(["none", "full", "last", "one"]))),
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "target_grad": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=150, deadline=None)
@given(bce_cases())
def test_bce_with_logits_matches_torch(c: dict[str, Any]) -> None:
    x, ref_x = pair(c["x"], True)
    y, ref_y = pair(c["y"], c["target_grad"])
    w, ref_w = pair(c["weight"])
    pw, ref_pw = pair(c["pos_weight"])
    out = F.binary_cross_entropy_with_logits(x, y, w, reduction=c["reduction"], pos_weight=pw)
    ref = T.binary_cross_entropy_with_logits(
        ref_x, ref_y, ref_w, reduction=c["reduction"], pos_weight=ref_pw
    )
    tol = 1e-5 if c["x"].dtype == np.float32 else 1e-10
    close(out, ref, tol)
    assert out.grad_fn.name() == ref.grad_fn.name()
    backward_both(out, ref, c["seed"])
    close(x.grad, ref_x.grad, tol)
    if c["target_grad"]:
        close(y.grad, ref_y.grad, tol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_pos_weight", [False, True])
def test_bce_with_logits_huge_logits_finite_and_equal_to_torch(
    reduction: str, dtype: type, with_pos_weight: bool
) -> None:
    x_np = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3e4], [-3e4, 50.0, -50.0]], dtype)
    y_np = np.array([[1.0, 1.0, 0.5], [0.0, 0.0, 1.0], [1.0, 0.3, 0.0]], dtype)
    pw_np = np.array([0.5, 2.0, 3.0], dtype) if with_pos_weight else None
    x, ref_x = pair(x_np, True)
    y, ref_y = pair(y_np, True)
    pw, ref_pw = pair(pw_np)
    out = F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=pw)
    ref = T.binary_cross_entropy_with_logits(ref_x, ref_y, reduction=reduction, pos_weight=ref_pw)
    assert np.isfinite(arr(out)).all()
    close(out, ref, 1e-6)
    out.backward(fl.ones_like(out))
    ref.backward(torch.ones_like(ref))
    assert np.isfinite(arr(x.grad)).all() and np.isfinite(arr(y.grad)).all()
    close(x.grad, ref_x.grad, 1e-6)
    close(y.grad, ref_y.grad, 1e-6)


def test_bce_with_logits_is_the_stable_formula() -> None:
    """``max(x, 0) - x y + log1p(exp(-|x|))``: a logit of 1e4 on a wrong label costs 1e4."""
    out = F.binary_cross_entropy_with_logits(
        fl.tensor([1e4, -1e4, 1e4]), fl.tensor([0.0, 1.0, 1.0]), reduction="none"
    )
    assert out.tolist() == [1e4, 1e4, 0.0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits_gradcheck(reduction: str, weights: str) -> None:
    rng = np.random.default_rng(3)
    x = fl.tensor(rng.standard_normal((3, 4)) * 3, requires_grad=True)
    y = fl.tensor(rng.random((3, 4)), requires_grad=True)
    w = fl.tensor(rng.random(4) + 0.5) if weights in ("weight", "both") else None
    pw = fl.tensor(rng.random((3, 1)) * 3) if weights in ("pos_weight", "both") else None
    gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, w, reduction=reduction, pos_weight=pw
        ),
        [x, y],
    )


def test_bce_with_logits_errors() -> None:
    x, y = fl.zeros(2, 3), fl.zeros(2, 3)
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same"):
        F.binary_cross_entropy_with_logits(x, fl.zeros(3))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same"):
        T.binary_cross_entropy_with_logits(torch.zeros(2, 3), torch.zeros(3))
    with pytest.raises(TypeError, match=r"target.float\(\).*int64"):
        F.binary_cross_entropy_with_logits(x, fl.zeros(2, 3, dtype=fl.int64))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy_with_logits(x, y, fl.ones(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_"):
        F.binary_cross_entropy_with_logits(x, y, pos_weight=fl.ones(3, requires_grad=True))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2, 2, 3\) can't be broadcast"):
        F.binary_cross_entropy_with_logits(x, y, pos_weight=fl.ones(2, 2, 3))
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) can't be broadcast"):
        F.binary_cross_entropy_with_logits(x, y, fl.ones(4))
    with pytest.raises(TypeError, match="floating point"):
        F.binary_cross_entropy_with_logits(fl.zeros(2, dtype=fl.int64), fl.zeros(2))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.binary_cross_entropy_with_logits(x, y, reduction="avg")


# --------------------------------------------------------------------------------------------
# mse_loss
# --------------------------------------------------------------------------------------------


@st.composite
def mse_cases(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(SHAPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    # the target: the input's shape, or one that broadcasts (torch warns then)
    tshape = draw(st.sampled_from([shape, shape[1:], (1,) + shape, shape[:-1] + (1,)]))
    weighted = draw(st.booleans())
    return {
        "x": (rng.standard_normal(shape) * 3).astype(dtype),
        "y": rng.standard_normal(tshape).astype(dtype),
        # torch wants the weight of the input's shape and uses it on the broadcast errors
        "weight": (rng.random(shape) + 0.1).astype(dtype) if weighted else None,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=150, deadline=None)
@given(mse_cases())
def test_mse_loss_matches_torch(c: dict[str, Any]) -> None:
    x, ref_x = pair(c["x"], True)
    y, ref_y = pair(c["y"], True)
    w, ref_w = pair(c["weight"], True)
    try:
        np.broadcast_shapes(c["x"].shape, c["y"].shape)
    except ValueError:
        with pytest.raises(ValueError, match="can't be broadcast"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.mse_loss(x, y, reduction=c["reduction"], weight=w)
        return
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        out = F.mse_loss(x, y, reduction=c["reduction"], weight=w)
    with warnings.catch_warnings(record=True) as ref_wr:
        warnings.simplefilter("always")
        ref = T.mse_loss(ref_x, ref_y, reduction=c["reduction"], weight=ref_w)
    assert [str(m.message) for m in ours_w] == [str(m.message) for m in ref_wr]
    tol = 1e-5 if c["x"].dtype == np.float32 else 1e-10
    close(out, ref, tol)
    backward_both(out, ref, c["seed"])
    close(x.grad, ref_x.grad, tol)
    close(y.grad, ref_y.grad, tol)
    if w is not None:
        # the mean's weight gradient (se - mean) / sum(w) cancels: absolute error ~ tol * se
        se = c["x"] - c["y"]
        close(w.grad, ref_w.grad, tol, tol * max(1.0, float(np.square(se).max(initial=0))))


def test_mse_loss_broadcast_warning_points_at_the_caller() -> None:
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\)") as rec:
        F.mse_loss(fl.zeros(2, 3), fl.zeros(3))
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same shapes: no warning
        F.mse_loss(fl.zeros(2, 3), fl.zeros(2, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_mse_loss_gradcheck(reduction: str, weighted: bool) -> None:
    rng = np.random.default_rng(4)
    x = fl.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = fl.tensor(rng.standard_normal(4), requires_grad=True)  # broadcast over the rows
    args = [x, y]
    if weighted:
        args.append(fl.tensor(rng.random((3, 4)) + 0.2, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the broadcast warning, on purpose here
        gradcheck(lambda *a: F.mse_loss(a[0], a[1], reduction=reduction,
                                        weight=a[2] if weighted else None), args)


def test_mse_loss_integer_target_keeps_the_input_dtype() -> None:
    out = F.mse_loss(fl.tensor([1.0, 2.0]), fl.tensor([1, 0]))
    ref = T.mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1, 0]))
    close(out, ref, 0)


def test_mse_loss_errors() -> None:
    with pytest.raises(ValueError, match=r"target's shape \(3,\) can't be broadcast"):
        with pytest.warns(UserWarning):
            F.mse_loss(fl.zeros(3, 4), fl.zeros(3))
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(fl.zeros(3, 4), fl.zeros(3, 4), weight=fl.ones(4))
    with pytest.raises(TypeError, match="floating point"):
        F.mse_loss(fl.zeros(2, dtype=fl.int64), fl.zeros(2, dtype=fl.int64))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.mse_loss(fl.zeros(2), fl.zeros(2), reduction="avg")


# --------------------------------------------------------------------------------------------
# Every loss: empty inputs, deprecated flags
# --------------------------------------------------------------------------------------------


def _call(lib: Any, name: str, **kw: Any) -> Any:
    """Call loss ``name`` of ``lib`` (firstlayer or torch) on a fixed small problem."""
    rng = np.random.default_rng(7)
    x = lib.tensor(rng.standard_normal((3, 4)))
    if name in ("cross_entropy", "nll_loss"):
        return getattr(lib.nn.functional, name)(x, lib.tensor([0, 3, 1]), **kw)
    return getattr(lib.nn.functional, name)(x, lib.tensor(rng.random((3, 4))), **kw)


LOSSES = ["cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "mse_loss"]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(
    "size_average,reduce", list(itertools.product([None, True, False], repeat=2))[1:]
)
def test_deprecated_size_average_and_reduce_like_torch(
    name: str, size_average: bool | None, reduce: bool | None
) -> None:
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = _call(fl, name, size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ref = _call(torch, name, size_average=size_average, reduce=reduce)
    close(out, ref, 1e-10)


@pytest.mark.parametrize("name", LOSSES)
def test_elementwise_mean_is_mean_with_a_warning(name: str) -> None:
    with pytest.warns(UserWarning, match="elementwise_mean"):
        out = _call(fl, name, reduction="elementwise_mean")
    close(out, _call(torch, name, reduction="mean"), 1e-10)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch_like_torch(name: str, reduction: str) -> None:
    """The mean over nothing is nan, the sum 0, and the gradient an empty array."""
    x, ref_x = pair(np.zeros((0, 4)), True)
    if name in ("cross_entropy", "nll_loss"):
        y, ref_y = fl.zeros(0, dtype=fl.int64), torch.zeros(0, dtype=torch.int64)
    else:
        y, ref_y = pair(np.zeros((0, 4)))
    out = getattr(F, name)(x, y, reduction=reduction)
    ref = getattr(T, name)(ref_x, ref_y, reduction=reduction)
    close(out, ref, 0)
    out.backward(fl.ones_like(out))
    ref.backward(torch.ones_like(ref))
    close(x.grad, ref_x.grad, 0)


def test_cross_entropy_probability_targets_empty_batch_mean_is_nan() -> None:
    x, ref_x = pair(np.zeros((0, 3)), True)
    out = F.cross_entropy(x, fl.zeros(0, 3, dtype=fl.float64))
    ref = T.cross_entropy(ref_x, torch.zeros(0, 3, dtype=torch.float64))
    assert np.isnan(out.item()) and np.isnan(ref.item())


def test_cross_entropy_and_nll_errors() -> None:
    x = fl.zeros(2, 3)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        F.cross_entropy(fl.tensor(1.0), fl.tensor(0))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        F.nll_loss(fl.tensor(1.0), fl.tensor(0))
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(ValueError, match=r"all 3 classes .* shape: \[2\]"):
            fn(x, fl.tensor([0, 1]), fl.ones(2))
    with pytest.raises(RuntimeError, match=r"all 3 classes .* shape: \[2\]"):
        T.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), torch.ones(2))
    with pytest.raises(ValueError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, fl.ones(2, 3), ignore_index=0)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        T.cross_entropy(torch.zeros(2, 3), torch.ones(2, 3), ignore_index=0)
    with pytest.raises(IndexError, match="Target 0 is out of bounds"):  # no classes at all
        F.cross_entropy(fl.zeros(2, 0), fl.tensor([0, 1]))
    with pytest.raises(TypeError, match="floating point"):
        F.cross_entropy(fl.zeros(2, 3, dtype=fl.int64), fl.tensor([0, 1]))


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------

W3 = np.array([0.5, 2.0, 1.0])


def module_pairs() -> list[tuple[Any, Any]]:
    """(firstlayer module, torch module) built with the same arguments."""
    out = []
    for lib in (fl, torch):
        w, pw = lib.tensor(W3), lib.tensor([1.5, 0.5, 3.0])
        out.append([
            lib.nn.CrossEntropyLoss(),
            lib.nn.CrossEntropyLoss(w, ignore_index=1, reduction="sum", label_smoothing=0.1),
            lib.nn.NLLLoss(),
            lib.nn.NLLLoss(w, None, 2, None, "none"),
            lib.nn.BCEWithLogitsLoss(),
            lib.nn.BCEWithLogitsLoss(w, reduction="none", pos_weight=pw),
            lib.nn.MSELoss(),
            lib.nn.MSELoss(reduction="sum"),
        ])
    return list(zip(*out))


@pytest.mark.parametrize("ours,theirs", module_pairs(), ids=lambda m: repr(m))
def test_loss_modules_match_torch(ours: nn.Module, theirs: torch.nn.Module) -> None:
    assert repr(ours) == repr(theirs)
    assert ours.reduction == theirs.reduction
    # weights are buffers, as in torch: the same state_dict keys and values
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in ours.state_dict().items():
        close(v, theirs.state_dict()[k], 0)
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((4, 3))
    if isinstance(ours, (nn.CrossEntropyLoss, nn.NLLLoss)):
        t_np = np.array([0, 2, 1, 1])
        if isinstance(ours, nn.NLLLoss):
            x_np = arr(T.log_softmax(torch.tensor(x_np), 1))
    else:
        t_np = rng.random((4, 3))
    x, ref_x = pair(x_np, True)
    out, ref = ours(x, fl.tensor(t_np)), theirs(ref_x, torch.tensor(t_np))
    close(out, ref, 1e-10)
    backward_both(out, ref, 0)
    close(x.grad, ref_x.grad, 1e-10)


def test_loss_module_buffers_follow_double() -> None:
    m = nn.BCEWithLogitsLoss(fl.tensor([1.0, 2.0]), pos_weight=fl.tensor([3.0, 1.0])).double()
    assert m.weight.dtype == fl.float64 and m.pos_weight.dtype == fl.float64


def test_loss_module_legacy_flags_set_reduction() -> None:
    with pytest.warns(UserWarning, match="reduction='sum'"):
        m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="'avg' is not a valid value"):
        nn.NLLLoss(reduction="avg")
