"""The layers between the Embedding and the classifier, against torch 2.13: dropout, layer_norm,
gelu/silu/leaky_relu, Flatten/Unflatten, ModuleDict/ParameterList/ParameterDict, normalize,
cosine_similarity, pairwise_distance, pad, conv1d and 1-D pooling (values, dtypes, grad_fn
names, gradients, float32 and float64, empty batches, every flag, errors, reprs, state_dict
keys, to_torch/from_torch), plus the float64 finite-difference ``gradcheck`` of each op."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.nn.functional as F
from firstlayer.interop import from_torch, to_torch
from gradcheck import gradcheck

FAST = settings(max_examples=20, deadline=None)
DTYPES = [np.float32, np.float64]


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, dtype: Any = None, tol: float | None = None) -> None:
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    if dtype is not None:
        assert a.dtype == b.dtype == np.dtype(dtype), (a.dtype, b.dtype)
    if tol is None:
        tol = 1e-10 if a.dtype == np.float64 else 2e-5
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def compare(
    ours: Callable[..., Any], theirs: Callable[..., Any], arrays: list[np.ndarray], dtype: Any,
    requires: list[bool] | None = None, seed: int = 0, tol: float | None = None,
) -> tuple[Any, Any]:
    """Run both on copies of ``arrays`` cast to ``dtype``; compare the output (values, dtype,
    grad_fn name) and, after one backward of the same random upstream gradient, each input's
    gradient."""
    requires = [True] * len(arrays) if requires is None else requires
    xs = [fl.tensor(a.astype(dtype), requires_grad=r) for a, r in zip(arrays, requires)]
    ts = [torch.tensor(a.astype(dtype), requires_grad=r) for a, r in zip(arrays, requires)]
    out, ref = ours(*xs), theirs(*ts)
    close(out, ref, dtype, tol)
    if not ref.requires_grad:
        assert not out.requires_grad
        return out, ref
    assert out.grad_fn.name() == type(ref.grad_fn).__name__
    g = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(dtype)
    out.backward(fl.tensor(g))
    ref.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        if t.requires_grad:
            close(x.grad if x.grad is not None else fl.zeros_like(x),
                  t.grad if t.grad is not None else torch.zeros_like(t), dtype, tol)
    return out, ref


def rand(*shape: int, seed: int = 0, low: float = 0.0) -> np.ndarray:
    """Standard normal values kept at least ``low`` away from 0 (for kinks)."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(x) < low, np.sign(x + 1e-12) * low, x)


def leaf(a: np.ndarray) -> fl.Tensor:
    return fl.tensor(a.astype(np.float64), requires_grad=True)


def tdtype(dtype: Any) -> torch.dtype:
    return torch.float64 if dtype == np.float64 else torch.float32


# ---- activations --------------------------------------------------------------------------
ACTIVATIONS = [
    (lambda x: F.gelu(x), lambda x: TF.gelu(x)),
    (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    (lambda x: F.silu(x), lambda x: TF.silu(x)),
    (lambda x: F.leaky_relu(x), lambda x: TF.leaky_relu(x)),
    (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    (lambda x: F.leaky_relu(x, -0.5), lambda x: TF.leaky_relu(x, -0.5)),
]


@FAST
@given(which=st.integers(0, len(ACTIVATIONS) - 1), double=st.booleans(),
       shape=st.sampled_from([(0,), (5,), (2, 3), (2, 0, 3), (3, 2, 2)]), seed=st.integers(0, 99))
def test_activations_match_torch(which: int, double: bool, shape: tuple, seed: int) -> None:
    ours, theirs = ACTIVATIONS[which]
    x = rand(*shape, seed=seed, low=1e-3) * 4
    compare(ours, theirs, [x], np.float64 if double else np.float32, seed=seed)


@pytest.mark.parametrize("which", range(len(ACTIVATIONS)))
def test_activations_gradcheck(which: int) -> None:
    gradcheck(ACTIVATIONS[which][0], [leaf(rand(3, 4, low=0.05) * 3)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_extremes_match_torch(dtype: Any) -> None:
    x = np.array([-1e4, -30.0, -8.0, 0.0, 8.0, 30.0, 1e4])
    for approx in ("none", "tanh"):
        compare(lambda a: F.gelu(a, approximate=approx),  # noqa: B023
                lambda a: TF.gelu(a, approximate=approx), [x], dtype)  # noqa: B023
    compare(F.silu, TF.silu, [x], dtype)


@pytest.mark.parametrize("name", ["silu", "leaky_relu"])
def test_inplace_activation_on_a_graph(name: str) -> None:
    x_np = rand(2, 5, low=1e-3)
    kw = {"negative_slope": 0.3} if name == "leaky_relu" else {}
    x = fl.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    h, th = x * 2, tx * 2
    out = getattr(F, name)(h, inplace=True, **kw)
    ref = getattr(TF, name)(th, inplace=True, **kw)
    assert out is h and ref is th
    close(h, th)
    assert h.grad_fn.name() == type(th.grad_fn).__name__
    (h * h).sum().backward()
    (th * th).sum().backward()
    close(x.grad, tx.grad)


def test_inplace_activation_errors_and_plain_writes() -> None:
    x = fl.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.leaky_relu(x, inplace=True)
    with pytest.raises(RuntimeError, match="negative slope"):
        F.leaky_relu(x * 1, -0.1, inplace=True)
    y = fl.tensor([-1.0, 2.0])
    view = y._data
    assert F.silu(y, inplace=True) is y and F.leaky_relu(y, 0.5, inplace=True) is y
    np.testing.assert_allclose(view, TF.leaky_relu(TF.silu(torch.tensor([-1.0, 2.0])), 0.5),
                               rtol=1e-6)
    with fl.no_grad():
        assert F.leaky_relu(x, inplace=True) is x  # no recording: allowed, as in torch


def test_activation_bad_inputs() -> None:
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(fl.zeros(2), approximate="erf")
    with pytest.raises(TypeError, match="must be str"):
        F.gelu(fl.zeros(2), approximate=None)  # type: ignore[arg-type]
    for f in (F.gelu, F.silu, F.leaky_relu):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            f(fl.arange(3))


def test_activation_modules() -> None:
    pairs = [(nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh")),
             (nn.SiLU(), torch.nn.SiLU()), (nn.SiLU(True), torch.nn.SiLU(True)),
             (nn.LeakyReLU(), torch.nn.LeakyReLU()),
             (nn.LeakyReLU(0.2, True), torch.nn.LeakyReLU(0.2, True))]
    x = rand(3, 4)
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        close(ours(fl.tensor(x)), theirs(torch.tensor(x)))
        back = from_torch(to_torch(ours))
        assert type(back) is type(ours) and repr(back) == repr(ours)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []


# ---- dropout ------------------------------------------------------------------------------
def test_dropout_bad_p() -> None:
    for p in (-0.1, 1.5):
        msg = f"dropout probability has to be between 0 and 1, but got {p}"
        with pytest.raises(ValueError, match=msg):
            nn.Dropout(p)
        with pytest.raises(ValueError, match=msg):
            F.dropout(fl.ones(2), p)
        with pytest.raises(ValueError, match=msg):
            torch.nn.Dropout(p)


def test_dropout_identity_cases_return_the_input() -> None:
    x = fl.ones(3, 4, requires_grad=True)
    tx = torch.ones(3, 4, requires_grad=True)
    for kw in ({"training": False}, {"p": 0.0}, {"p": 0.0, "inplace": True}):
        assert F.dropout(x, **kw) is x
        assert TF.dropout(tx, **kw) is tx
    empty, tempty = fl.ones(0, 3), torch.ones(0, 3)
    assert F.dropout(empty) is empty and TF.dropout(tempty) is tempty
    drop, tdrop = nn.Dropout(0.7).eval(), torch.nn.Dropout(0.7).eval()
    assert drop(x) is x and tdrop(tx) is tx


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_p1_gives_zeros_as_torch(dtype: Any) -> None:
    x = np.array([[1.0, -2.0, np.inf, np.nan]])
    out, ref = compare(lambda a: F.dropout(a, 1.0), lambda a: TF.dropout(a, 1.0), [x], dtype)
    assert np.isnan(arr(out)[0, 2:]).all()  # input * 0, as torch


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_mask_and_gradient(dtype: Any, p: float) -> None:
    x_np = (np.abs(rand(40, 50, low=0.1)) + 0.1).astype(dtype)
    g_np = rand(40, 50, seed=1).astype(dtype)
    for lib, make, drop in ((fl, fl.tensor, F.dropout), (torch, torch.tensor, TF.dropout)):
        x = make(x_np, requires_grad=True)
        out = drop(x, p)
        assert type(out.grad_fn).__name__ == "MulBackward0" or out.grad_fn.name() == "MulBackward0"
        o = arr(out)
        assert o.dtype == dtype
        mask = o != 0
        scale = dtype(1) / dtype(1 - p)
        np.testing.assert_allclose(o, x_np * mask * scale, rtol=1e-6)
        out.backward(make(g_np))
        np.testing.assert_allclose(arr(x.grad), g_np * mask * scale, rtol=1e-6)
        kept = mask.mean()
        sd = math.sqrt(p * (1 - p) / mask.size)
        assert abs(kept - (1 - p)) < 5 * sd, (lib.__name__, kept)


def test_dropout_statistics_match_torch() -> None:
    x = np.full(200_000, 3.0, np.float32)
    fl.manual_seed(0)
    torch.manual_seed(0)
    for p in (0.2, 0.5):
        o, r = arr(F.dropout(fl.tensor(x), p)), arr(TF.dropout(torch.tensor(x), p))
        for v in (o, r):
            assert abs((v == 0).mean() - p) < 0.01
            assert abs(v.mean() - 3.0) < 0.05  # inverted scaling keeps the expectation
            assert set(np.unique(v)) == {0.0, np.float32(3.0) / np.float32(1 - p)}


def test_dropout_reproducible() -> None:
    x = fl.ones(10, 10)
    fl.manual_seed(123)
    a = F.dropout(x, 0.5)
    fl.manual_seed(123)
    b = F.dropout(x, 0.5)
    c = F.dropout(x, 0.5)
    assert a.equal(b) and not a.equal(c)
    g1, g2 = fl.Generator().manual_seed(7), fl.Generator().manual_seed(7)
    assert F.dropout(x, 0.3, generator=g1).equal(F.dropout(x, 0.3, generator=g2))
    fl.manual_seed(5)
    m1 = nn.Dropout(0.4)(x)
    fl.manual_seed(5)
    assert nn.Dropout(0.4)(x).equal(m1)
    # float64 draws the same mask as float32 from the same seed
    fl.manual_seed(5)
    m64 = nn.Dropout(0.4)(fl.ones(10, 10, dtype=fl.float64))
    assert np.array_equal(arr(m64) != 0, arr(m1) != 0)


def test_dropout_inplace() -> None:
    x_np = np.abs(rand(5, 6, low=0.1))
    x = fl.tensor(x_np)
    view = x._data
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and np.array_equal(view, arr(out))
    assert set(np.unique(np.round(view / x_np, 6))) <= {0.0, 2.0}
    leaf_ = fl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(leaf_, 0.5, inplace=True)
    tleaf = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        TF.dropout(tleaf, 0.5, inplace=True)
    h = leaf_ * 3
    assert F.dropout(h, 0.5, inplace=True) is h
    h.sum().backward()
    np.testing.assert_allclose(arr(leaf_.grad), (arr(h) != 0) * 6.0)
    assert repr(nn.Dropout(0.3, inplace=True)) == repr(torch.nn.Dropout(0.3, inplace=True))


def test_dropout_train_eval_and_int_input() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = fl.ones(8, 4)
    model.eval()
    assert model(x).equal(model[0](x))
    model.train()
    assert model[1].training and (arr(model(x)) == 0).any()
    with pytest.raises(RuntimeError, match="can't be cast"):
        F.dropout(fl.arange(4), 0.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        TF.dropout(torch.arange(4), 0.5)
    t = to_torch(nn.Dropout(0.25).eval())
    assert isinstance(t, torch.nn.Dropout) and t.p == 0.25 and not t.training
    back = from_torch(torch.nn.Dropout(0.6, inplace=True))
    assert back.p == 0.6 and back.inplace and back.training


# ---- layer_norm ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,norm", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((0, 5), (5,)),
                                        ((6,), 6), ((2, 1, 3), (1, 3))])
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_matches_torch(dtype: Any, shape: tuple, norm: Any, affine: str) -> None:
    ns = (norm,) if isinstance(norm, int) else norm
    arrays = [rand(*shape) * 3 + 1]
    if affine != "none":
        arrays.append(rand(*ns, seed=1))
    if affine == "both":
        arrays.append(rand(*ns, seed=2))

    def ours(x: Any, w: Any = None, b: Any = None) -> Any:
        return F.layer_norm(x, norm, w, b)

    def theirs(x: Any, w: Any = None, b: Any = None) -> Any:
        return TF.layer_norm(x, ns, w, b, eps=1e-5)

    compare(ours, theirs, arrays, dtype, tol=1e-10 if dtype == np.float64 else 1e-4)


def test_layer_norm_gradcheck() -> None:
    x, w, b = leaf(rand(3, 4)), leaf(rand(4, seed=1)), leaf(rand(4, seed=2))
    gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b, eps=1e-3), [x, w, b])
    gradcheck(lambda x: F.layer_norm(x, (2, 3)), [leaf(rand(2, 2, 3))])


def test_layer_norm_errors() -> None:
    x = fl.zeros(2, 3)
    for ns in ([4], [3, 4], [5]):
        with pytest.raises(RuntimeError) as ours:
            F.layer_norm(x, ns)
        with pytest.raises(RuntimeError) as theirs:
            TF.layer_norm(torch.zeros(2, 3), ns)
        assert str(ours.value).startswith(str(theirs.value))
    assert "expected input with shape [*, 4], but got input of size[2, 3]" in str(
        pytest.raises(RuntimeError, F.layer_norm, x, [4]).value)
    with pytest.raises(RuntimeError, match="at least 1-dimensional"):
        F.layer_norm(x, [])
    with pytest.raises(RuntimeError, match=r"weight of shape \[2\] and normalized_shape = \[3\]"):
        F.layer_norm(x, [3], fl.ones(2))
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.layer_norm(x, [3], fl.ones(3), fl.ones(2))
    with pytest.raises(RuntimeError, match="mixed dtype"):
        F.layer_norm(x.double(), [3], fl.ones(3))
    with pytest.raises(NotImplementedError, match="Long"):
        F.layer_norm(fl.arange(3), [3])


@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False},
                                {"eps": 1e-3}])
def test_layer_norm_module(kw: dict) -> None:
    ours, theirs = nn.LayerNorm((2, 3), **kw), torch.nn.LayerNorm((2, 3), **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if ours.weight is not None:
        assert np.array_equal(arr(ours.weight), np.ones((2, 3), np.float32))
        ours.weight.data.copy_(fl.tensor(rand(2, 3)))
    if ours.bias is not None:
        assert np.array_equal(arr(ours.bias), np.zeros((2, 3), np.float32))
    t = to_torch(ours)
    assert repr(t) == repr(theirs)
    x = rand(4, 2, 3).astype(np.float32)
    close(ours(fl.tensor(x)), t(torch.tensor(x)), tol=1e-5)
    back = from_torch(t)
    assert repr(back) == repr(ours)
    if ours.weight is not None:  # parameters shared, not copied
        assert t.weight.data_ptr() == ours.weight._data.ctypes.data
        assert np.shares_memory(back.weight._data, ours.weight._data)
    assert nn.LayerNorm(3, dtype=fl.float64).weight.dtype == fl.float64
    assert nn.LayerNorm(5).normalized_shape == (5,)


# ---- Flatten / Unflatten ------------------------------------------------------------------
@pytest.mark.parametrize("args,shape", [((), (2, 3, 4)), ((0,), (2, 3, 4)), ((1, 2), (2, 3, 4)),
                                        ((0, -2), (2, 3, 4)), ((), (0, 3, 2)), ((), (2, 3)),
                                        ((-1,), (2, 3))])
def test_flatten_matches_torch(args: tuple, shape: tuple) -> None:
    ours, theirs = nn.Flatten(*args), torch.nn.Flatten(*args)
    assert repr(ours) == repr(theirs)
    x = rand(*shape)
    out = ours(leaf(x))
    ref = theirs(torch.tensor(x, requires_grad=True))
    close(out, ref)
    assert (out.grad_fn is None) == (ref.grad_fn is None)
    back = from_torch(to_torch(ours))
    assert (back.start_dim, back.end_dim) == (ours.start_dim, ours.end_dim)


def test_flatten_errors() -> None:
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        nn.Flatten(2, 1)(fl.zeros(2, 3, 4))
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Flatten()(fl.zeros(3))


@pytest.mark.parametrize("dim,sizes,shape", [(1, (2, 3), (4, 6)), (1, [2, -1], (4, 6)),
                                             (-1, (3, 1, 2), (2, 6)), (0, (2, 2), (4, 3)),
                                             (1, (2, -1), (2, 0))])
def test_unflatten_matches_torch(dim: int, sizes: Any, shape: tuple) -> None:
    ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, [rand(*shape)], np.float64)
    back = from_torch(to_torch(ours))
    assert back.dim == dim and list(back.unflattened_size) == list(sizes)


def test_unflatten_errors() -> None:
    with pytest.raises(RuntimeError, match=r"Provided sizes \[4, 2\] don't multiply up to the "
                                           r"size of dim 1 \(6\)"):
        nn.Unflatten(1, (4, 2))(fl.zeros(2, 6))
    with pytest.raises(TypeError, match="element of type float at pos 0"):
        nn.Unflatten(1, (2.0, 3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 5)  # type: ignore[arg-type]
    assert repr(nn.Unflatten(1, fl.Size([2, 3]))) == repr(
        torch.nn.Unflatten(1, torch.Size([2, 3])))


# ---- ModuleDict / ParameterList / ParameterDict -------------------------------------------
def test_module_dict() -> None:
    ours = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"b": torch.nn.Linear(2, 3), "a": torch.nn.ReLU()})
    assert repr(ours) == repr(theirs)
    assert list(ours) == list(theirs) == ["b", "a"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["b.weight", "b.bias"]
    assert [n for n, _ in ours.named_parameters()] == ["b.weight", "b.bias"]
    ours.update([("c", nn.Linear(3, 1))])
    ours["d"] = nn.Tanh()
    assert len(ours) == 4 and "c" in ours and "z" not in ours
    assert list(ours.keys()) == ["b", "a", "c", "d"]
    assert isinstance(ours["c"], nn.Linear) and list(ours.values())[1] is ours["a"]
    assert [k for k, _ in ours.items()] == ["b", "a", "c", "d"]
    assert isinstance(ours.pop("d"), nn.Tanh) and "d" not in ours
    del ours["a"]
    assert list(ours.state_dict()) == ["b.weight", "b.bias", "c.weight", "c.bias"]
    ours.update(nn.ModuleDict({"e": nn.SiLU()}))
    assert list(ours)[-1] == "e"
    t = to_torch(ours)
    assert isinstance(t, torch.nn.ModuleDict) and repr(t) == repr(ours)
    assert t["b"].weight.data_ptr() == ours["b"].weight._data.ctypes.data
    assert repr(from_torch(t)) == repr(ours)
    ours.clear()
    assert len(ours) == 0 and repr(ours) == repr(torch.nn.ModuleDict()) == "ModuleDict()"
    with pytest.raises(NotImplementedError):
        nn.ModuleDict({"a": nn.ReLU()})(fl.zeros(1))


def test_module_dict_errors_match_torch() -> None:
    cases: list[tuple[Any, Any]] = [
        ("a.b", KeyError), ("", KeyError), ("train", KeyError), (3, TypeError)]
    for key, exc in cases:
        with pytest.raises(exc) as ours:
            nn.ModuleDict()[key] = nn.ReLU()
        with pytest.raises(exc) as theirs:
            torch.nn.ModuleDict()[key] = torch.nn.ReLU()
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(KeyError):
        nn.ModuleDict()["missing"]
    for bad, exc in ((5, TypeError), ([nn.ReLU()], TypeError), ([("a", nn.ReLU(), 1)], ValueError)):
        with pytest.raises(exc) as ours:
            nn.ModuleDict(bad)
        tbad = bad if isinstance(bad, int) else [
            (*b[:1], torch.nn.ReLU(), *b[2:]) if isinstance(b, tuple) else torch.nn.ReLU()
            for b in bad]
        with pytest.raises(exc) as theirs:
            torch.nn.ModuleDict(tbad)
        assert str(ours.value) == str(theirs.value)


def test_parameter_list() -> None:
    w = fl.randn(2, 3)
    p = nn.Parameter(fl.zeros(3, dtype=fl.float64))
    ours = nn.ParameterList([w, p])
    theirs = torch.nn.ParameterList([torch.randn(2, 3),
                                     torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))])
    assert repr(ours) == repr(theirs)
    assert isinstance(ours[0], nn.Parameter) and ours[0]._data is w._data  # shares memory
    assert ours[1] is p and ours[-1] is p
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1"]
    assert list(ours.parameters()) == [ours[0], p]
    ours.append(fl.ones(1))
    ours.extend([fl.ones(2)])
    ours += [fl.ones(4)]
    assert len(ours) == 5 and [tuple(q.shape) for q in ours][2:] == [(1,), (2,), (4,)]
    sliced = ours[1:4:2]
    assert isinstance(sliced, nn.ParameterList) and len(sliced) == 2 and sliced[0] is p
    ours[0] = fl.full((2,), 3.0)
    assert isinstance(ours[0], nn.Parameter) and ours.state_dict()["0"].tolist() == [3.0, 3.0]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        ours[5]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        ours.extend(fl.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        ours(1)
    one, tone = nn.ParameterList([fl.zeros(2)]), torch.nn.ParameterList([torch.zeros(2)])
    assert repr(one) == repr(tone)
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())
    model = nn.Module()
    model.ps = ours
    assert [n for n, _ in model.named_parameters()] == [f"ps.{i}" for i in range(5)]
    t = to_torch(ours)
    assert isinstance(t, torch.nn.ParameterList) and repr(t) == repr(ours)
    assert t[1].data_ptr() == p._data.ctypes.data
    back = from_torch(t)
    assert repr(back) == repr(ours) and np.shares_memory(back[1]._data, p._data)


def test_parameter_dict() -> None:
    ours = nn.ParameterDict({"b": fl.zeros(2), "a": nn.Parameter(fl.ones(1, 2))})
    theirs = torch.nn.ParameterDict({"b": torch.zeros(2),
                                     "a": torch.nn.Parameter(torch.ones(1, 2))})
    assert repr(ours) == repr(theirs)
    assert list(ours) == list(theirs) == ["a", "b"]  # a plain dict: sorted, as torch
    assert list(ours.state_dict()) == list(theirs.state_dict())
    od = nn.ParameterDict(OrderedDict([("z", fl.ones(1)), ("y", fl.ones(1))]))
    assert list(od) == ["z", "y"]
    od.update([("x", fl.zeros(3))])
    assert list(od.keys()) == ["z", "y", "x"] and isinstance(od["x"], nn.Parameter)
    assert od.get("nope") is None and od.get("x") is od["x"]
    assert od.setdefault("w", fl.ones(2)) is od["w"]
    k, v = od.popitem()
    assert k == "w" and "w" not in od and tuple(v.shape) == (2,)
    assert tuple(od.pop("x").shape) == (3,) and len(od) == 2
    merged = od | nn.ParameterDict({"q": fl.ones(1)})
    assert list(merged) == ["z", "y", "q"] and list(od) == ["z", "y"]
    copy = od.copy()
    assert copy["z"] is od["z"]
    assert list(reversed(od)) == ["y", "z"]
    od.clear()
    assert len(od) == 0 and od.state_dict() == OrderedDict()
    with pytest.raises(TypeError, match="not a string \\(type is 'int'\\)"):
        ours[3]  # type: ignore[index]
    with pytest.raises(AttributeError):
        ours["zz"]
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        ours(1)
    t = to_torch(ours)
    assert isinstance(t, torch.nn.ParameterDict) and repr(t) == repr(ours)
    assert t["a"].data_ptr() == ours["a"]._data.ctypes.data
    back = from_torch(t)
    assert list(back) == ["a", "b"] and np.shares_memory(back["a"]._data, ours["a"]._data)


# ---- normalize / cosine_similarity / pairwise_distance ------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, 1.5, math.inf])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_normalize_matches_torch(dtype: Any, p: float, dim: int) -> None:
    x = rand(3, 4, 2, low=0.05)
    x[0, :, 0] = 0  # a zero vector (for dim=1): eps guards the division, no gradient via the norm
    x[1, :, 1] = 1e-13
    compare(lambda a: F.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [x], dtype,
            tol=None if dtype == np.float64 else 1e-4)


def test_normalize_edges_and_gradcheck() -> None:
    compare(lambda a: F.normalize(a, dim=0), lambda a: TF.normalize(a, dim=0), [rand(5)],
            np.float64)
    compare(F.normalize, TF.normalize, [rand(0, 3)], np.float32)
    for p in (2.0, 1.0, 3.0):
        gradcheck(lambda a: F.normalize(a, p, 1), [leaf(rand(2, 3, low=0.1))])  # noqa: B023
    with pytest.raises(IndexError):
        F.normalize(fl.zeros(3))
    with pytest.raises(RuntimeError, match="floating point"):
        F.normalize(fl.arange(3), dim=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s1,s2,dim", [((4, 5), (4, 5), 1), ((3, 4), (2, 1, 4), -1),
                                       ((6,), (6,), 0), ((2, 5, 3), (5, 1), 1),
                                       ((0, 4), (0, 4), 1), ((3, 4), (4,), 1)])
def test_cosine_similarity_matches_torch(dtype: Any, s1: tuple, s2: tuple, dim: int) -> None:
    compare(lambda a, b: F.cosine_similarity(a, b, dim),
            lambda a, b: TF.cosine_similarity(a, b, dim), [rand(*s1), rand(*s2, seed=1)], dtype,
            tol=None if dtype == np.float64 else 1e-4)


def test_cosine_similarity_small_and_zero_norms() -> None:
    # torch 2.x clamps each norm to eps separately: the values and gradients follow that
    x1 = np.array([[3e-5, 4e-5, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    x2 = np.array([[1.0, 2.0, 2.0], [1.0, 2.0, 2.0], [2.0, 0.0, 1.0]])
    compare(lambda a, b: F.cosine_similarity(a, b, eps=1e-4),
            lambda a, b: TF.cosine_similarity(a, b, eps=1e-4), [x1, x2], np.float64)
    compare(F.cosine_similarity, TF.cosine_similarity, [x1, x2], np.float64)
    gradcheck(lambda a, b: F.cosine_similarity(a, b, 1), [leaf(rand(3, 4)), leaf(rand(4, seed=1))])
    # norms below eps: the clamp is not differentiated (torch's choice), so compare with torch
    compare(lambda a, b: F.cosine_similarity(a, b, 1, eps=1.0),
            lambda a, b: TF.cosine_similarity(a, b, 1, eps=1.0),
            [rand(3, 4) * 0.1, rand(3, 4, seed=1)], np.float64)


def test_cosine_similarity_errors_and_module() -> None:
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 0"):
        F.cosine_similarity(fl.zeros(4, 3), fl.zeros(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        F.cosine_similarity(fl.arange(4), fl.arange(4), dim=0)
    out = F.cosine_similarity(fl.zeros(4, dtype=fl.float64), fl.ones(4), dim=0)
    assert out.dtype == fl.float64
    ours, theirs = nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(0, 1e-6)
    assert repr(ours) == repr(theirs) == "CosineSimilarity()"
    a, b = rand(5, 2), rand(5, 2, seed=3)
    close(ours(fl.tensor(a), fl.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    t = to_torch(ours)
    assert (t.dim, t.eps) == (0, 1e-6)
    assert (from_torch(t).dim, from_torch(t).eps) == (0, 1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("s1,s2", [((4, 5), (4, 5)), ((3, 4), (4,)), ((0, 3), (0, 3)),
                                   ((), ())])
def test_pairwise_distance_matches_torch(dtype: Any, p: float, keepdim: bool, s1: tuple,
                                         s2: tuple) -> None:
    compare(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
            lambda a, b: TF.pairwise_distance(a, b, p, keepdim=keepdim),
            [rand(*s1), rand(*s2, seed=1)], dtype, tol=None if dtype == np.float64 else 1e-4)


def test_pairwise_distance_gradcheck_and_module() -> None:
    gradcheck(lambda a, b: F.pairwise_distance(a, b), [leaf(rand(3, 4)), leaf(rand(4, seed=1))])
    gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0, keepdim=True),
              [leaf(rand(3, 4)), leaf(rand(3, 4, seed=1))])
    ours, theirs = nn.PairwiseDistance(1.0, 0.0, True), torch.nn.PairwiseDistance(1.0, 0.0, True)
    assert repr(ours) == repr(theirs)
    a, b = rand(3, 4), rand(3, 4, seed=1)
    close(ours(fl.tensor(a), fl.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    back = from_torch(to_torch(ours))
    assert (back.norm, back.eps, back.keepdim) == (1.0, 0.0, True)


# ---- pad ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,pad", [((2, 3), (1, 2)), ((2, 3), (2, 0, 1, 1)),
                                       ((2, 3, 4), (-1, 2)), ((2, 3, 4), (1, 1, -2, 0, 1, 0)),
                                       ((4,), (-2, -2)), ((2, 3), ()), ((0, 3), (1, 1)),
                                       ((2, 2, 2, 2), (1, 0, 0, 1, 1, 0, 0, 1))])
def test_pad_constant_matches_torch(dtype: Any, shape: tuple, pad: tuple) -> None:
    for value in (None, 2.5):
        compare(lambda a: F.pad(a, pad, value=value),  # noqa: B023
                lambda a: TF.pad(a, pad, value=value), [rand(*shape)], dtype)  # noqa: B023


def test_pad_constant_integer_and_gradcheck() -> None:
    out = F.pad(fl.tensor([1, 2, 3]), (1, 1), value=2.7)
    assert out.tolist() == TF.pad(torch.tensor([1, 2, 3]), (1, 1), value=2.7).tolist()
    assert out.dtype == fl.int64
    gradcheck(lambda a: F.pad(a, (1, -1, 2, 0), value=1.0), [leaf(rand(2, 3))])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 5), (2, 1)), ((2, 3, 5), (1, 3)),
                                       ((2, 3, 5), (-1, 2)), ((2, 4, 5), (1, 2, 3, 0)),
                                       ((3, 4, 5), (0, 1, 2, 2)),
                                       ((1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 0)),
                                       ((0, 3, 5), (1, 1))])
def test_pad_modes_match_torch(dtype: Any, mode: str, shape: tuple, pad: tuple) -> None:
    compare(lambda a: F.pad(a, pad, mode), lambda a: TF.pad(a, pad, mode), [rand(*shape)], dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_gradcheck(mode: str) -> None:
    gradcheck(lambda a: F.pad(a, (2, 1, 1, 2), mode), [leaf(rand(1, 3, 4))])


def test_pad_errors_match_torch() -> None:
    cases: list[tuple[tuple, dict, type]] = [
        ((2, 3), {"pad": (1,)}, RuntimeError),
        ((2, 3), {"pad": (1, 1, 1, 1, 1, 1)}, RuntimeError),
        ((2, 3), {"pad": (1, 1), "mode": "reflect", "value": 1.0}, RuntimeError),
        ((2, 3), {"pad": (3, 3), "mode": "reflect"}, RuntimeError),
        ((2, 3), {"pad": (1, 1), "mode": "foo"}, NotImplementedError),
        ((2, 3), {"pad": (1, 1, 1, 1), "mode": "reflect"}, NotImplementedError),
        ((3,), {"pad": (1, 1), "mode": "replicate"}, NotImplementedError),
        ((1, 2, 3), {"pad": (4, 1), "mode": "circular"}, RuntimeError),
        ((1, 2, 0), {"pad": (1, 1), "mode": "replicate"}, RuntimeError),
        ((4,), {"pad": (-3, -3)}, RuntimeError),
    ]
    for shape, kw, exc in cases:
        with pytest.raises(exc) as ours:
            F.pad(fl.zeros(*shape), **kw)
        with pytest.raises(exc):
            TF.pad(torch.zeros(*shape), **kw)
        assert str(ours.value)
    msg = "Argument #4: Padding size should be less than the corresponding input dimension"
    with pytest.raises(RuntimeError, match=msg):
        F.pad(fl.zeros(2, 3), (3, 3), mode="reflect")
    with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D"):
        F.pad(fl.zeros(2, 3), (1, 1, 1, 1), mode="reflect")


# ---- conv1d -------------------------------------------------------------------------------
CONV_KW = [{}, {"stride": 2}, {"padding": 2}, {"padding": (1,)}, {"dilation": 2, "padding": 1},
           {"padding": "same"}, {"padding": "valid"}, {"stride": 3, "dilation": 2},
           {"padding": "same", "dilation": 2}]


@FAST
@given(kw=st.sampled_from(CONV_KW), groups=st.sampled_from([1, 2]), bias=st.booleans(),
       double=st.booleans(), batch=st.sampled_from([None, 0, 1, 3]), k=st.integers(1, 4),
       length=st.integers(4, 9), seed=st.integers(0, 99))
def test_conv1d_matches_torch(kw: dict, groups: int, bias: bool, double: bool, batch: int | None,
                              k: int, length: int, seed: int) -> None:
    c_in, c_out = 2 * groups, 3 * groups
    shape = (c_in, length) if batch is None else (batch, c_in, length)
    arrays = [rand(*shape, seed=seed), rand(c_out, c_in // groups, k, seed=seed + 1)]
    if bias:
        arrays.append(rand(c_out, seed=seed + 2))
    if length + 2 * kw.get("padding", 0) < kw.get("dilation", 1) * (k - 1) + 1 if isinstance(
            kw.get("padding", 0), int) else False:  # the kernel is longer than the input
        with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
            F.conv1d(*[fl.tensor(a) for a in arrays], groups=groups, **kw)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: padding='same' with an even kernel
        compare(lambda *a: F.conv1d(*a, groups=groups, **kw),
                lambda *a: TF.conv1d(*a, groups=groups, **kw), arrays,
                np.float64 if double else np.float32, seed=seed,
                tol=None if double else 1e-4)


def test_conv1d_gradcheck() -> None:
    x, w, b = leaf(rand(2, 4, 6)), leaf(rand(4, 2, 3, seed=1)), leaf(rand(4, seed=2))
    gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=1, groups=2),
              [x, w, b])
    gradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=2),
              [leaf(rand(3, 5)), leaf(rand(2, 3, 2, seed=3))])


def test_conv1d_only_weight_needs_grad() -> None:
    w = leaf(rand(3, 2, 2))
    out = F.conv1d(fl.tensor(rand(2, 2, 5)), w)
    out.sum().backward()
    ref_w = torch.tensor(rand(3, 2, 2), requires_grad=True)
    TF.conv1d(torch.tensor(rand(2, 2, 5)), ref_w).sum().backward()
    close(w.grad, ref_w.grad)


def test_conv1d_errors_match_torch() -> None:
    x = np.zeros((2, 4, 7), np.float32)
    w = np.zeros((6, 4, 3), np.float32)
    cases: list[tuple[Any, Any, dict]] = [
        (x, np.zeros((6, 3, 3), np.float32), {}),
        (x, w, {"padding": "same", "stride": 2}),
        (x, w, {"padding": "foo"}),
        (x, w, {"padding": (1, 2)}),
        (x, w, {"stride": 0}),
        (x, w, {"padding": -1}),
        (x, w, {"dilation": 0}),
        (x, np.zeros((6, 4, 9), np.float32), {}),
        (x[0, 0], w, {}),
        (x, np.zeros((5, 2, 3), np.float32), {"groups": 2}),
        (x, w, {"bias": np.zeros(5, np.float32)}),
        (x, w.astype(np.float64), {}),
        (x, np.zeros((6, 4, 4, 1), np.float32), {}),
    ]
    for xa, wa, kw in cases:
        kw_fl = {k: fl.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        with pytest.raises(RuntimeError) as theirs:
            TF.conv1d(torch.tensor(xa), torch.tensor(wa), **kw_t)
        with pytest.raises(RuntimeError) as ours:
            F.conv1d(fl.tensor(xa), fl.tensor(wa), **kw_fl)
        first = str(theirs.value).split(",")[0].split(":")[0].split("(")[0]
        assert first.strip() in str(ours.value), (str(ours.value), str(theirs.value))


CONV_MODULES = [
    ((4, 6, 3), {}),
    ((4, 6, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": False}),
    ((4, 6, 4), {"padding": "same"}),
    ((4, 6, 3), {"padding": "valid"}),
    ((4, 6, 3), {"padding": 2, "padding_mode": "reflect"}),
    ((4, 6, 4), {"padding": "same", "padding_mode": "replicate"}),
    ((4, 6, 3), {"padding": 1, "padding_mode": "circular", "stride": 2}),
    ((2, 2, (3,)), {"stride": (1,), "padding": [1], "dilation": (2,)}),
]


@pytest.mark.parametrize("args,kw", CONV_MODULES)
def test_conv1d_module_matches_torch(args: tuple, kw: dict) -> None:
    ours, theirs = nn.Conv1d(*args, **kw), torch.nn.Conv1d(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert ours._reversed_padding_repeated_twice == theirs._reversed_padding_repeated_twice
    assert (ours.kernel_size, ours.stride, ours.padding, ours.dilation) == (
        theirs.kernel_size, theirs.stride, theirs.padding, theirs.dilation)
    t = to_torch(ours)
    assert repr(t) == repr(theirs) and t.weight.data_ptr() == ours.weight._data.ctypes.data
    x = rand(2, args[0], 9).astype(np.float32)
    xs, ts = fl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, ref = ours(xs), t(ts)
    close(out, ref, np.float32, 1e-5)
    g = rand(*out.shape).astype(np.float32)
    out.backward(fl.tensor(g))
    ref.backward(torch.tensor(g))
    close(xs.grad, ts.grad, np.float32, 1e-5)
    close(ours.weight.grad, t.weight.grad, np.float32, 1e-4)
    back = from_torch(t)
    assert repr(back) == repr(ours)
    assert np.shares_memory(back.weight._data, ours.weight._data)


def test_conv1d_init_like_torch() -> None:
    fl.manual_seed(0)
    m = nn.Conv1d(8, 16, 5, groups=2)
    fan_in = 8 // 2 * 5
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3), *sqrt(3/fan)
    for p in (m.weight, m.bias):
        a = arr(p)
        assert a.dtype == np.float32 and np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.8 * bound
    w = arr(nn.Conv1d(64, 64, 3).weight)
    assert abs(w.std() - 1 / math.sqrt(3 * 64 * 3)) < 0.1 / math.sqrt(64 * 3)
    assert nn.Conv1d(2, 2, 3, dtype=fl.float64).weight.dtype == fl.float64
    fl.manual_seed(1)
    a = arr(nn.Conv1d(2, 3, 2).weight)
    fl.manual_seed(1)
    assert np.array_equal(a, arr(nn.Conv1d(2, 3, 2).weight))


def test_conv1d_module_errors_match_torch() -> None:
    for kw in ({"groups": 4}, {"groups": 0}, {"padding_mode": "foo"}, {"padding": "foo"},
               {"padding": "same", "stride": 2}, {"groups": 3}):
        with pytest.raises(ValueError) as ours:
            nn.Conv1d(4, 6, 3, **kw)
        with pytest.raises(ValueError) as theirs:
            torch.nn.Conv1d(4, 6, 3, **kw)
        assert str(theirs.value).split(",")[0].split("{")[0] in str(ours.value)


# ---- pooling ------------------------------------------------------------------------------
MAX_KW = [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
          {"kernel_size": 3, "stride": 2, "ceil_mode": True},
          {"kernel_size": 2, "dilation": 2, "padding": 1, "ceil_mode": True},
          {"kernel_size": (3,), "stride": (1,), "padding": (1,), "dilation": (2,)},
          {"kernel_size": 7}, {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX_KW)
@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 7), (0, 2, 7)])
def test_max_pool1d_matches_torch(dtype: Any, kw: dict, shape: tuple) -> None:
    x = rand(*shape)
    compare(lambda a: F.max_pool1d(a, **kw), lambda a: TF.max_pool1d(a, **kw), [x], dtype)
    out, idx = F.max_pool1d(fl.tensor(x.astype(dtype)), return_indices=True, **kw)
    ref, ridx = TF.max_pool1d(torch.tensor(x.astype(dtype)), return_indices=True, **kw)
    close(out, ref)
    assert idx.dtype == fl.int64 and np.array_equal(arr(idx), arr(ridx))
    ours = nn.MaxPool1d(**kw, return_indices=True)
    theirs = torch.nn.MaxPool1d(**kw, return_indices=True)
    assert repr(ours) == repr(theirs) == repr(to_torch(ours)) == repr(from_torch(theirs))
    assert np.array_equal(arr(ours(fl.tensor(x))[1]), arr(theirs(torch.tensor(x))[1]))


def test_max_pool1d_nan_ties_and_gradcheck() -> None:
    x = np.array([[[1.0, np.nan, 3.0, 3.0, 2.0, 2.0]]])
    compare(lambda a: F.max_pool1d(a, 2, 1), lambda a: TF.max_pool1d(a, 2, 1), [x], np.float64)
    gradcheck(lambda a: F.max_pool1d(a, 3, 2, 1, ceil_mode=True), [leaf(rand(2, 2, 6))])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                {"kernel_size": 3, "stride": 2, "ceil_mode": True},
                                {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True},
                                {"kernel_size": (3,), "stride": (1,), "padding": (1,)},
                                {"kernel_size": 7}])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 7), (0, 2, 7)])
def test_avg_pool1d_matches_torch(dtype: Any, kw: dict, count_include_pad: bool,
                                  shape: tuple) -> None:
    compare(lambda a: F.avg_pool1d(a, count_include_pad=count_include_pad, **kw),
            lambda a: TF.avg_pool1d(a, count_include_pad=count_include_pad, **kw),
            [rand(*shape)], dtype)
    ours = nn.AvgPool1d(**kw, count_include_pad=count_include_pad)
    theirs = torch.nn.AvgPool1d(**kw, count_include_pad=count_include_pad)
    assert repr(ours) == repr(theirs) == repr(to_torch(ours)) == repr(from_torch(theirs))
    assert from_torch(theirs).count_include_pad == count_include_pad


def test_avg_pool1d_integers_and_gradcheck() -> None:
    x = np.array([[[-7, 2, 5, -1, 4, 4, 9]]])
    out = F.avg_pool1d(fl.tensor(x), 3, 2, 1)
    ref = TF.avg_pool1d(torch.tensor(x), 3, 2, 1)
    assert out.dtype == fl.int64 and out.tolist() == ref.tolist()
    gradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
              [leaf(rand(2, 2, 6))])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 3, 5, 9, (2,), 0])
@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 7), (0, 2, 7)])
def test_adaptive_pools_match_torch(dtype: Any, size: Any, shape: tuple) -> None:
    x = rand(*shape)
    grad = [size != 0]  # torch's backward refuses an empty output
    compare(lambda a: F.adaptive_avg_pool1d(a, size), lambda a: TF.adaptive_avg_pool1d(a, size),
            [x], dtype, requires=grad)
    compare(lambda a: F.adaptive_max_pool1d(a, size), lambda a: TF.adaptive_max_pool1d(a, size),
            [x], dtype, requires=grad)
    _, idx = F.adaptive_max_pool1d(fl.tensor(x), size, return_indices=True)
    _, ridx = TF.adaptive_max_pool1d(torch.tensor(x), size, return_indices=True)
    assert idx.dtype == fl.int64 and np.array_equal(arr(idx), arr(ridx))
    for ours, theirs in ((nn.AdaptiveAvgPool1d(size), torch.nn.AdaptiveAvgPool1d(size)),
                         (nn.AdaptiveMaxPool1d(size), torch.nn.AdaptiveMaxPool1d(size))):
        assert repr(ours) == repr(theirs) == repr(to_torch(ours)) == repr(from_torch(theirs))


def test_adaptive_pools_gradcheck() -> None:
    gradcheck(lambda a: F.adaptive_avg_pool1d(a, 4), [leaf(rand(2, 2, 6))])
    gradcheck(lambda a: F.adaptive_max_pool1d(a, 4), [leaf(rand(2, 2, 6))])


def test_pool_errors() -> None:
    x = fl.zeros(2, 4, 7)
    tx = torch.zeros(2, 4, 7)
    cases: list[tuple[str, tuple, dict, type]] = [
        ("max_pool1d", (3,), {"padding": 2}, RuntimeError),
        ("max_pool1d", (3,), {"stride": 0}, RuntimeError),
        ("max_pool1d", (0,), {}, RuntimeError),
        ("max_pool1d", (8,), {}, RuntimeError),
        ("max_pool1d", (3,), {"dilation": 0}, RuntimeError),
        ("avg_pool1d", (3,), {"padding": 2}, RuntimeError),
        ("avg_pool1d", (8,), {}, RuntimeError),
        ("avg_pool1d", (3,), {"stride": 0}, RuntimeError),
    ]
    for name, args, kw, exc in cases:
        with pytest.raises(exc) as ours:
            getattr(F, name)(x, *args, **kw)
        with pytest.raises(exc) as theirs:
            getattr(TF, name)(tx, *args, **kw)
        assert str(theirs.value).split(",")[0] in str(ours.value)
    for name in ("max_pool1d", "avg_pool1d"):
        with pytest.raises(RuntimeError, match="Expected 2D or 3D"):
            getattr(F, name)(fl.zeros(7), 3)
        with pytest.raises(RuntimeError, match="Expected 2D or 3D"):
            getattr(F, name)(fl.zeros(2, 0, 7), 3)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.max_pool1d(fl.zeros(1, 1, 4, dtype=fl.int64), 2)


# ---- a small TextCNN, end to end ----------------------------------------------------------
class TextCNN(nn.Module):
    """Embedding -> two Conv1d widths (a ModuleDict) -> GELU -> max over time -> Flatten ->
    LayerNorm -> Dropout -> Linear; the widths' features are summed."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.convs = nn.ModuleDict({"k2": nn.Conv1d(6, 4, 2),
                                    "k3": nn.Conv1d(6, 4, 3, padding=1)})
        self.act = nn.GELU()
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.flat = nn.Flatten()
        self.norm = nn.LayerNorm(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 3)


def textcnn_forward(m: Any, ids: Any) -> Any:
    """The same forward for our model and its torch conversion."""
    x = m.emb(ids).transpose(1, 2)
    feats = [m.flat(m.pool(m.act(conv(x)))) for conv in m.convs.values()]
    return m.fc(m.drop(m.norm(feats[0] + feats[1])))


def test_textcnn_against_torch_through_to_torch() -> None:
    fl.manual_seed(0)
    model = TextCNN().eval()
    ref = torch.nn.Module()
    for name, child in model.named_children():
        setattr(ref, name, to_torch(child))
    ref.eval()
    ids = np.random.default_rng(0).integers(0, 20, (5, 7))
    out = textcnn_forward(model, fl.tensor(ids))
    expected = textcnn_forward(ref, torch.tensor(ids))
    close(out, expected, np.float32, 1e-5)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), (tname, tp) in zip(model.named_parameters(), ref.named_parameters()):
        assert name == tname
        close(p.grad, tp.grad, np.float32, 1e-4)
    assert list(model.state_dict()) == list(ref.state_dict())
