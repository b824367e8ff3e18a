"""``nn.Linear`` / ``F.linear`` against torch (values, gradients of input, weight and bias,
grad_fn names, init, repr) and by float64 finite differences."""

from __future__ import annotations

import math
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


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, dtype: Any) -> None:
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype == np.dtype(dtype)
    tol = 1e-12 if np.dtype(dtype) == np.float64 else 1e-5
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def pair(in_f: int, out_f: int, bias: bool, dtype: Any) -> tuple[nn.Linear, torch.nn.Linear]:
    """Our Linear and a torch Linear holding the same parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-element init is a no-op: both libraries warn
        ours = nn.Linear(in_f, out_f, bias=bias, dtype=dtype)
        theirs = torch.nn.Linear(
            in_f, out_f, bias=bias, dtype=torch.float64 if dtype == fl.float64 else torch.float32
        )
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(arr(ours.weight)))
        if bias:
            theirs.bias.copy_(torch.from_numpy(arr(ours.bias)))
    return ours, theirs


@settings(max_examples=60, deadline=None)
@given(
    batch=st.sampled_from([(), (1,), (4,), (0,), (2, 3), (2, 0), (1, 2, 2)]),
    in_f=st.integers(0, 4),
    out_f=st.integers(0, 4),
    bias=st.booleans(),
    double=st.booleans(),
    input_grad=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_linear_matches_torch(
    batch: tuple[int, ...], in_f: int, out_f: int, bias: bool, double: bool, input_grad: bool,
    seed: int,
) -> None:
    dtype, np_dtype = (fl.float64, np.float64) if double else (fl.float32, np.float32)
    fl.manual_seed(seed)
    ours, theirs = pair(in_f, out_f, bias, dtype)
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(batch + (in_f,)).astype(np_dtype)
    x = fl.tensor(x_np, requires_grad=input_grad)
    ref_x = torch.tensor(x_np, requires_grad=input_grad)
    out, ref = ours(x), theirs(ref_x)
    close(out, ref, np_dtype)
    assert out.grad_fn is not None and out.grad_fn.name() == type(ref.grad_fn).__name__
    g = rng.standard_normal(tuple(out.shape)).astype(np_dtype)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(ours.weight.grad, theirs.weight.grad, np_dtype)
    if bias:
        close(ours.bias.grad, theirs.bias.grad, np_dtype)
    if input_grad:
        close(x.grad, ref_x.grad, np_dtype)
    else:
        assert x.grad is None


@pytest.mark.parametrize("shape", [(3,), (5, 3), (2, 4, 3), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_grad_fn_names_match_torch(shape: tuple[int, ...], bias: bool) -> None:
    ours, theirs = pair(3, 2, bias, fl.float32)
    out = ours(fl.zeros(*shape, requires_grad=True))
    ref = theirs(torch.zeros(*shape, requires_grad=True))
    assert out.grad_fn.name() == type(ref.grad_fn).__name__
    assert repr(out).endswith(f"grad_fn=<{type(ref.grad_fn).__name__}>)")


def test_functional_linear_matches_torch() -> None:
    rng = np.random.default_rng(3)
    x_np, w_np = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    b_np = rng.standard_normal(2)
    ours = [fl.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    out, ref = F.linear(*ours), torch.nn.functional.linear(*theirs)
    close(out, ref, np.float64)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    for a, b in zip(ours, theirs):
        close(a.grad, b.grad, np.float64)


# --------------------------------------------------------------------------------------------
# Init and repr
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_f", [1, 3, 64])
def test_init_is_uniform_within_one_over_sqrt_in(in_f: int) -> None:
    fl.manual_seed(0)
    lin = nn.Linear(in_f, 2000)
    bound = 1 / math.sqrt(in_f)
    for p in (arr(lin.weight).reshape(-1), arr(lin.bias)):
        assert p.dtype == np.float32
        assert (np.abs(p) <= bound).all()
        # roughly uniform: mean 0, std bound/sqrt(3), each quarter of the range ~25%
        assert abs(p.mean()) < 0.06 * bound
        assert abs(p.std() - bound / math.sqrt(3)) < 0.05 * bound
        hist = np.histogram(p, bins=4, range=(-bound, bound))[0] / p.size
        assert np.allclose(hist, 0.25, atol=0.04)
    assert lin.weight.requires_grad and lin.bias.requires_grad


def test_init_follows_manual_seed() -> None:
    fl.manual_seed(7)
    a = arr(nn.Linear(3, 4).weight)
    fl.manual_seed(7)
    np.testing.assert_array_equal(a, arr(nn.Linear(3, 4).weight))


def test_in_features_zero_gives_zero_bias_like_torch() -> None:
    with pytest.warns(UserWarning, match="zero-element"):
        ours = nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        theirs = torch.nn.Linear(0, 3)
    assert arr(ours.bias).tolist() == arr(theirs.bias).tolist() == [0.0, 0.0, 0.0]
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (3, 0)
    assert ours(fl.zeros(2, 0)).tolist() == [[0.0] * 3] * 2


@pytest.mark.parametrize("args", [(2, 2), (3, 0), (0, 5), (10, 1, False), (4, 7, True)])
def test_repr_matches_torch(args: tuple) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(nn.Linear(*args)) == repr(torch.nn.Linear(*args))


def test_parameters_are_weight_then_bias() -> None:
    lin = nn.Linear(3, 2)
    assert [name for name, _ in lin.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]
    assert nn.Linear(3, 2, bias=False).bias is None


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 4), (4,), (3, 2), ()])
def test_wrong_last_dim_names_both_sizes(shape: tuple[int, ...]) -> None:
    lin = nn.Linear(3, 2)
    before = arr(lin.weight)
    with pytest.raises(ValueError, match=r"in_features=3.*input has shape") as info:
        lin(fl.zeros(shape))
    assert isinstance(info.value, RuntimeError)  # torch raises RuntimeError here
    last = str(shape[-1]) if shape else "(a 0-d input)"
    assert f"last dim {last}" in str(info.value)
    np.testing.assert_array_equal(arr(lin.weight), before)
    with pytest.raises(RuntimeError):
        torch.nn.Linear(3, 2)(torch.zeros(shape))


@pytest.mark.parametrize("args", [(-1, 2), (2, -3)])
def test_negative_sizes_raise(args: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        nn.Linear(*args)


# --------------------------------------------------------------------------------------------
# Finite differences (float64)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(shape: tuple[int, ...], bias: bool) -> None:
    rng = np.random.default_rng(0)
    x = fl.tensor(rng.standard_normal(shape), requires_grad=True)
    w = fl.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = fl.tensor(rng.standard_normal(2), requires_grad=True) if bias else None
    gradcheck(F.linear, (x, w, b))
