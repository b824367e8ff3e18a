"""``F.one_hot``, the activations and the losses (``cross_entropy``, ``nll_loss``) against torch
(values, input gradients, errors) and by float64 finite differences."""

from __future__ import annotations

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


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, tol: float = 1e-10) -> None:
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def both(x: np.ndarray, requires_grad: bool = True) -> tuple[fl.Tensor, torch.Tensor]:
    return (
        fl.tensor(x.copy(), requires_grad=requires_grad),
        torch.tensor(x.copy(), requires_grad=requires_grad),
    )


# --------------------------------------------------------------------------------------------
# one_hot
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from([(), (1,), (5,), (2, 3), (2, 2, 2), (0,), (3, 0)]),
    extra_classes=st.sampled_from([None, 0, 2]),
    seed=st.integers(0, 2**16),
)
def test_one_hot_matches_torch(
    shape: tuple[int, ...], extra_classes: int | None, seed: int
) -> None:
    ids = np.random.default_rng(seed).integers(0, 4, shape)
    if ids.size == 0:
        # -1 can't be inferred from an empty tensor (tested below), and torch also refuses
        # num_classes=0 there (we return the empty (*, 0) result)
        extra_classes = max(extra_classes or 0, 1)
    num_classes = -1 if extra_classes is None else int(ids.max(initial=-1)) + 1 + extra_classes
    out = F.one_hot(fl.from_numpy(ids.copy()), num_classes)
    ref = T.one_hot(torch.from_numpy(ids.copy()), num_classes)
    assert out.dtype == fl.int64
    np.testing.assert_array_equal(arr(out), arr(ref))
    assert arr(out).shape == arr(ref).shape


def test_one_hot_default_infers_classes() -> None:
    assert F.one_hot(fl.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(fl.tensor(1)).tolist() == T.one_hot(torch.tensor(1)).tolist()


@pytest.mark.parametrize(
    "make,num_classes,exc,torch_words",
    [
        (lambda m: m.tensor([0, -1]), -1, ValueError, "Class values must be non-negative."),
        (lambda m: m.tensor([0, -1]), 3, ValueError, "Class values must be non-negative."),
        (lambda m: m.tensor([0, 3]), 3, ValueError,
         "Class values must be smaller than num_classes."),
        (lambda m: m.tensor([[0, 1], [5, 2]]), 4, ValueError,
         "Class values must be smaller than num_classes."),
        (lambda m: m.zeros(0, dtype=m.int64), -1, ValueError,
         "Can not infer total number of classes from empty tensor."),
        (lambda m: m.tensor([0, 1], dtype=m.int32), -1, TypeError,
         "one_hot is only applicable to index tensor of type LongTensor."),
        (lambda m: m.tensor([0.0, 1.0]), 2, TypeError,
         "one_hot is only applicable to index tensor of type LongTensor."),
        (lambda m: m.tensor([True, False]), 2, TypeError,
         "one_hot is only applicable to index tensor of type LongTensor."),
    ],
)
def test_one_hot_errors_like_torch(
    make: Any, num_classes: int, exc: type, torch_words: str
) -> None:
    with pytest.raises(RuntimeError) as theirs:
        T.one_hot(make(torch), num_classes)
    assert str(theirs.value).startswith(torch_words)
    with pytest.raises(exc) as ours:
        F.one_hot(make(fl), num_classes)
    assert isinstance(ours.value, RuntimeError)  # code written for torch still catches it
    assert torch_words.rstrip(".") in str(ours.value)


def test_one_hot_error_names_the_value() -> None:
    with pytest.raises(ValueError, match=r"got 7 at flat position 2, num_classes=3"):
        F.one_hot(fl.tensor([0, 1, 7]), 3)
    with pytest.raises(ValueError, match=r"got -2 at flat position 0"):
        F.one_hot(fl.tensor([-2]))


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------

POINTWISE = ["relu", "tanh", "sigmoid"]
SOFTMAXES = ["softmax", "log_softmax"]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(POINTWISE + SOFTMAXES),
    shape=st.sampled_from([(), (4,), (2, 3), (2, 3, 4), (0, 3)]),
    dim_pick=st.integers(0, 5),
    scale=st.sampled_from([1.0, 30.0]),
    seed=st.integers(0, 2**16),
)
def test_activation_matches_torch(
    name: str, shape: tuple[int, ...], dim_pick: int, scale: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape) * scale
    x, ref_x = both(x_np)
    args: tuple = ()
    if name in SOFTMAXES:
        n = max(len(shape), 1)
        args = (dim_pick % (2 * n) - n,)  # every dim, negative and positive
    out, ref = getattr(F, name)(x, *args), getattr(T, name)(ref_x, *args)
    close(out, ref)
    assert out.grad_fn.name() == type(ref.grad_fn).__name__
    g = rng.standard_normal(shape)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(x.grad, ref_x.grad)


def test_relu_gradient_at_zero_is_zero() -> None:
    x, ref_x = both(np.array([-1.0, 0.0, 2.0]))
    F.relu(x).sum().backward()
    T.relu(ref_x).sum().backward()
    close(x.grad, ref_x.grad)
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("name", POINTWISE + SOFTMAXES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits_stay_finite(name: str, dtype: type) -> None:
    x_np = np.array([[1e4, -1e4, 0.0], [3e4, 3e4, -5e4]], dtype)
    x, ref_x = both(x_np)
    args = (1,) if name in SOFTMAXES else ()
    out, ref = getattr(F, name)(x, *args), getattr(T, name)(ref_x, *args)
    assert np.isfinite(arr(out)).all()
    close(out, ref, 1e-6)
    out.backward(fl.ones_like(out))
    ref.backward(torch.ones_like(ref))
    assert np.isfinite(arr(x.grad)).all()
    close(x.grad, ref_x.grad, 1e-6)


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4)])
def test_softmax_implicit_dim_warns_like_torch(name: str, shape: tuple[int, ...]) -> None:
    x_np = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = getattr(F, name)(fl.tensor(x_np))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(T, name)(torch.tensor(x_np))
    close(out, ref)


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_dtype_argument(name: str) -> None:
    x_np = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    out = getattr(F, name)(fl.tensor(x_np), 1, dtype=fl.float64)
    ref = getattr(T, name)(torch.tensor(x_np), 1, dtype=torch.float64)
    close(out, ref)


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_bad_dim_raises_index_error(name: str) -> None:
    with pytest.raises(IndexError, match="Dimension out of range"):
        getattr(F, name)(fl.zeros(2, 3), 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        getattr(T, name)(torch.zeros(2, 3), 2)


@pytest.mark.parametrize("module,name", [(nn.ReLU(), "relu"), (nn.Tanh(), "tanh"),
                                         (nn.Sigmoid(), "sigmoid"), (nn.Softmax(1), "softmax"),
                                         (nn.LogSoftmax(1), "log_softmax")])
def test_activation_modules_call_functional(module: nn.Module, name: str) -> None:
    x_np = np.random.default_rng(0).standard_normal((2, 3))
    args = (1,) if name in SOFTMAXES else ()
    close(module(fl.tensor(x_np)), getattr(T, name)(torch.tensor(x_np), *args))


@pytest.mark.parametrize(
    "name,dim", [("relu", None), ("tanh", None), ("sigmoid", None), ("softmax", 0),
                 ("softmax", 1), ("log_softmax", 0), ("log_softmax", -1)]
)
def test_activation_gradcheck(name: str, dim: int | None) -> None:
    x_np = np.random.default_rng(0).standard_normal((3, 4)) * 2
    x_np[np.abs(x_np) < 1e-3] = 0.5  # keep relu's kink out of the finite differences
    args = () if dim is None else (dim,)
    gradcheck(lambda x: getattr(F, name)(x, *args), [fl.tensor(x_np, requires_grad=True)])


# --------------------------------------------------------------------------------------------
# cross_entropy and nll_loss
# --------------------------------------------------------------------------------------------

REDUCTIONS = ["none", "sum", "mean"]


@st.composite
def loss_cases(draw: st.DrawFn, probs: bool = True) -> dict[str, Any]:
    layout = draw(st.sampled_from(["NC", "C", "NCd"]))
    C = draw(st.integers(1, 5))
    N = draw(st.integers(1, 4))
    d1 = draw(st.integers(1, 3))
    shape = {"NC": (N, C), "C": (C,), "NCd": (N, C, d1)}[layout]
    tshape = {"NC": (N,), "C": (), "NCd": (N, d1)}[layout]
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["index", "prob"] if probs else ["index"]))
    ignore = draw(st.sampled_from(["default", "some", "all", "class"]))
    ignore_index = -100
    if kind == "index":
        target = rng.integers(0, C, tshape)
        if ignore == "some":
            target.reshape(-1)[0] = -100
        elif ignore == "all":
            target[...] = -100
        elif ignore == "class":  # a real class id as ignore_index
            ignore_index = int(target.reshape(-1)[0])
    else:
        target = rng.random(shape) + 0.01
        target /= target.sum(axis=0 if layout == "C" else 1, keepdims=True)
    return {
        "x": rng.standard_normal(shape) * draw(st.sampled_from([1.0, 10.0])),
        "target": target,
        "weight": rng.random(C) + 0.1 if draw(st.booleans()) else None,
        "ignore_index": ignore_index,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1, 0.5])),
        "g_seed": seed + 1,
    }


def run_loss(c: dict[str, Any], name: str) -> None:
    """Run ``name`` on both libraries with the same case; compare the values and input grads."""
    x, ref_x = both(c["x"])
    kw: dict[str, Any] = {"ignore_index": c["ignore_index"], "reduction": c["reduction"]}
    if name == "cross_entropy":
        kw["label_smoothing"] = c["label_smoothing"]
    w = c["weight"]
    out = getattr(F, name)(x, fl.tensor(c["target"]), None if w is None else fl.tensor(w), **kw)
    ref = getattr(T, name)(
        ref_x, torch.tensor(c["target"]), None if w is None else torch.tensor(w), **kw
    )
    close(out, ref)
    assert isinstance(out.detach().numpy(), np.ndarray)  # a 0-d array, not a NumPy scalar
    g = np.random.default_rng(c["g_seed"]).standard_normal(tuple(ref.shape))
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(x.grad, ref_x.grad)


@settings(max_examples=250, deadline=None)
@given(loss_cases())
def test_cross_entropy_matches_torch(c: dict[str, Any]) -> None:
    run_loss(c, "cross_entropy")


@settings(max_examples=60, deadline=None)
@given(loss_cases(probs=False))
def test_nll_loss_matches_torch(c: dict[str, Any]) -> None:
    c["x"] = arr(T.log_softmax(torch.tensor(c["x"]), 0 if c["x"].ndim == 1 else 1))
    run_loss(c, "nll_loss")


@pytest.mark.parametrize(
    "name,label_smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.1), ("nll_loss", None)]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_all_targets_ignored_gives_nan_and_zero_grad(
    name: str, label_smoothing: float | None, weighted: bool
) -> None:
    """mean over no targets: 0/0 = nan, and the gradient is 0 (not nan), as in torch."""
    x, ref_x = both(np.random.default_rng(0).standard_normal((3, 4)))
    kw = {} if label_smoothing is None else {"label_smoothing": label_smoothing}
    w = np.array([1.0, 2.0, 0.5, 1.0])
    out = getattr(F, name)(x, fl.tensor([-100] * 3), fl.tensor(w) if weighted else None, **kw)
    ref = getattr(T, name)(ref_x, torch.tensor([-100] * 3), torch.tensor(w) if weighted else None,
                           **kw)
    assert np.isnan(arr(out)) and np.isnan(arr(ref))
    out.backward()
    ref.backward()
    close(x.grad, ref_x.grad)
    assert not arr(x.grad).any()


def test_cross_entropy_of_the_docstring() -> None:
    assert abs(F.cross_entropy(fl.tensor([[0.0, 0.0]]), fl.tensor([1])).item() - np.log(2)) < 1e-7


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_give_finite_loss_and_grads(
    reduction: str, label_smoothing: float, dtype: type
) -> None:
    x_np = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 2e4], [1e4, 1e4, 1e4]], dtype)
    x, ref_x = both(x_np)
    t = [1, 0, 2]
    out = F.cross_entropy(x, fl.tensor(t), reduction=reduction, label_smoothing=label_smoothing)
    ref = T.cross_entropy(ref_x, torch.tensor(t), reduction=reduction,
                          label_smoothing=label_smoothing)
    assert np.isfinite(arr(out)).all()
    close(out, ref, 1e-6)
    out.backward(fl.ones_like(out))
    ref.backward(torch.ones_like(ref))
    assert np.isfinite(arr(x.grad)).all()
    close(x.grad, ref_x.grad, 1e-6)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("target,bad", [([0, 3], 3), ([7, 0], 7), ([0, -1], -1)])
def test_target_out_of_range_raises_index_error(name: str, target: list[int], bad: int) -> None:
    x, ref_x = both(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=rf"Target {bad} is out of bounds.*\[0, 3\)"):
        getattr(F, name)(x, fl.tensor(target))
    with pytest.raises(IndexError, match=rf"Target {bad} is out of bounds"):
        getattr(T, name)(ref_x, torch.tensor(target))
    assert x.grad is None


def test_loss_argument_errors() -> None:
    x = fl.zeros(2, 3)
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, fl.tensor([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, fl.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"target of shape \(2,\), got \(3,\)"):
        F.cross_entropy(x, fl.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(x, fl.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_module(reduction: str) -> None:
    rng = np.random.default_rng(5)
    x_np, w = rng.standard_normal((4, 3)), rng.random(3) + 0.5
    t = [0, 2, -1, 1]
    ours = nn.CrossEntropyLoss(fl.tensor(w), ignore_index=-1, reduction=reduction,
                               label_smoothing=0.2)
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(w), ignore_index=-1, reduction=reduction,
                                       label_smoothing=0.2)
    close(ours(fl.tensor(x_np), fl.tensor(t)), theirs(torch.tensor(x_np), torch.tensor(t)))


GC_CASES = [
    {},
    {"weight": [0.5, 2.0, 1.0, 1.5]},
    {"ignore_index": 1},
    {"reduction": "sum", "weight": [0.5, 2.0, 1.0, 1.5], "ignore_index": 2},
    {"reduction": "none"},
    {"label_smoothing": 0.1},
    {"label_smoothing": 0.5, "weight": [0.5, 2.0, 1.0, 1.5], "ignore_index": 0},
    {"probs": True},
    {"probs": True, "label_smoothing": 0.3, "weight": [0.5, 2.0, 1.0, 1.5]},
]


@pytest.mark.parametrize("case", GC_CASES)
@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 4, 2)])
def test_cross_entropy_gradcheck(case: dict[str, Any], shape: tuple[int, ...]) -> None:
    case = dict(case)
    rng = np.random.default_rng(0)
    x = fl.tensor(rng.standard_normal(shape), requires_grad=True)
    if case.pop("probs", False):
        p = rng.random(shape)
        target = fl.tensor(p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True))
    else:
        tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
        target = fl.tensor(np.arange(int(np.prod(tshape))).reshape(tshape) % 4)
        if len(shape) == 1 and case.get("ignore_index") == 0:
            case["ignore_index"] = 1  # the one target must not be ignored
    if "weight" in case:
        case["weight"] = fl.tensor(case["weight"], dtype=fl.float64)
    gradcheck(lambda x: F.cross_entropy(x, target, **case), [x])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck(reduction: str) -> None:
    rng = np.random.default_rng(1)
    x = fl.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    w = fl.tensor([0.2, 1.0, 3.0], dtype=fl.float64)
    target = fl.tensor([0, 2, 2, 1, 0])
    gradcheck(lambda x: F.nll_loss(x, target, w, ignore_index=1, reduction=reduction), [x])
