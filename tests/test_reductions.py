"""Reductions, scans and sorting against torch: values, dtypes, grad_fn names and gradients in
float32 and float64, the float64 ``gradcheck``, ties and NaN, int and bool inputs, torch's
overloads and keyword names, errors and warnings.

Each op is written once as ``expr(m, t)`` with ``m`` the module (``firstlayer`` or ``torch``).
Values for gradients come from a grid with steps of 1/8 (exact in float32, never closer than
the finite-difference step), so max/sort/topk have no ties unless a test asks for them.
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import firstlayer as fl
from test_ops import FAST, arrays, check_against_torch, check_gradients, our_name, torch_name

GRID = st.integers(-24, 24).filter(lambda k: k != 0).map(lambda k: k / 8)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def both_precisions(expr: Any, arrays_in: list[np.ndarray], grad: bool = True, **kw: Any) -> None:
    """torch comparison with float32 inputs, again with the op run in float64 (the inputs cast
    by ``.double()``, so the gradient also flows back through the cast), then ``gradcheck``."""
    check_against_torch(expr, arrays_in, **kw)
    check_against_torch(lambda m, *ts: expr(m, *(t.double() for t in ts)), arrays_in, **kw)
    if grad:
        check_gradients(expr, arrays_in)


def same_outputs(expr: Any, *arrays_in: np.ndarray, dtype: Any = None) -> None:
    """Non-differentiable outputs (indices, bools, int results): same dtype, shape, values."""
    ours = expr(fl, *(fl.tensor(a) if dtype is None else fl.tensor(a, dtype=getattr(fl, dtype))
                      for a in arrays_in))
    theirs = expr(torch, *(torch.tensor(a) if dtype is None else
                           torch.tensor(a, dtype=getattr(torch, dtype)) for a in arrays_in))
    assert repr(ours.dtype) == repr(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@st.composite
def dims(draw: st.DrawFn, shape: tuple[int, ...], single: bool = False) -> Any:
    """A valid ``dim``: None, an int (maybe negative) or a tuple of distinct ints."""
    nd = max(len(shape), 1)  # a 0-d tensor accepts dim 0 and -1
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    signed = [d - nd if draw(st.booleans()) else d for d in axes]
    if single:
        return signed[0]
    return draw(st.sampled_from([None, signed[0], tuple(signed)]))


# ---- reductions over dims: values, float32/float64, gradients, grad_fn names ------------------
def _lse(m: Any, t: Any, dim: Any, keepdim: bool) -> Any:
    if dim is None:  # logsumexp needs a dim: all of them
        dim = tuple(range(t.dim())) if t.dim() else 0
    return m.logsumexp(t, dim, keepdim=keepdim)


REDUCE: dict[str, tuple[Any, bool, bool]] = {
    # name: (expr(m, t, dim, keepdim), single dim only, empty allowed)
    "sum": (lambda m, t, d, k: t.sum() if d is None else m.sum(t, d, keepdim=k), False, True),
    "mean": (lambda m, t, d, k: m.mean(t) if d is None else t.mean(d, k), False, True),
    "prod": (lambda m, t, d, k: t.prod() if d is None else m.prod(t, d, keepdim=k), True, True),
    "logsumexp": (_lse, False, True),
    "amax": (lambda m, t, d, k: t.amax() if d is None else m.amax(t, d, keepdim=k), False, False),
    "amin": (lambda m, t, d, k: m.amin(t) if d is None else t.amin(dim=d, keepdim=k), False,
             False),
    "max_values": (lambda m, t, d, k: t.max() if d is None else m.max(t, d, k).values, True,
                   False),
    "min_values": (lambda m, t, d, k: m.min(t) if d is None else t.min(d, keepdim=k)[0], True,
                   False),
    "norm": (lambda m, t, d, k: m.norm(t) if d is None else t.norm(2, d, k), False, True),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
@FAST
@given(data=st.data())
def test_reductions(name: str, data: st.DataObject) -> None:
    expr, single, empty_ok = REDUCE[name]
    shape = data.draw(SHAPES if empty_ok else NONEMPTY, label="shape")
    dim = data.draw(dims(shape, single) if not single else
                    st.one_of(st.none(), dims(shape, single=True)), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    x = data.draw(arrays(shape, GRID, unique=True), label="x")
    both_precisions(lambda m, t: expr(m, t, dim, keepdim), [x])


@pytest.mark.parametrize("op", ["std", "var"])
@FAST
@given(data=st.data())
def test_std_var(op: str, data: st.DataObject) -> None:
    """dim None/int/tuple, keepdim, and the three ways to say the correction."""
    shape = data.draw(SHAPES, label="shape")
    dim = data.draw(dims(shape), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    form = data.draw(st.sampled_from(["default", "correction", "unbiased_kw", "unbiased_pos"]))
    correction = data.draw(st.sampled_from([0, 1, 2, 0.5]), label="correction")
    unbiased = data.draw(st.booleans(), label="unbiased")
    x = data.draw(arrays(shape, GRID, unique=True), label="x")

    def expr(m: Any, t: Any) -> Any:
        f = getattr(m, op)
        if form == "default":
            return f(t, dim, keepdim=keepdim)
        if form == "correction":
            return getattr(t, op)(dim, correction=correction, keepdim=keepdim)
        if form == "unbiased_kw":
            return f(t, dim=dim, unbiased=unbiased, keepdim=keepdim)
        return getattr(t, op)(dim, unbiased, keepdim) if dim is not None else f(t, unbiased)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # dof <= 0: tested below
        both_precisions(expr, [x], grad=False)
    n = x.size if dim is None or x.ndim == 0 else int(
        np.prod([shape[d] for d in ((dim,) if isinstance(dim, int) else dim)]))
    c = {"default": 1, "correction": correction, "unbiased_kw": int(unbiased),
         "unbiased_pos": int(unbiased)}[form]
    # gradcheck where the derivative exists: dof > 0, and std away from 0 (n >= 2 distinct);
    # an empty result still warns.
    if n - c > 0 and (op == "var" or n >= 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            check_gradients(expr, [x])


@pytest.mark.parametrize("op", ["std_mean", "var_mean"])
@FAST
@given(data=st.data())
def test_std_mean_var_mean(op: str, data: st.DataObject) -> None:
    shape = data.draw(NONEMPTY, label="shape")
    dim = data.draw(dims(shape), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    x = data.draw(arrays(shape, GRID, unique=True), label="x")
    n = x.size if dim is None or x.ndim == 0 else int(
        np.prod([shape[d] for d in ((dim,) if isinstance(dim, int) else dim)]))

    def expr(m: Any, t: Any) -> Any:
        spread, mean = getattr(m, op)(t, dim, keepdim=keepdim, correction=0)
        return spread * 1.5 + mean  # both halves' gradients at once

    both_precisions(expr, [x], grad=n >= 2)
    ours = getattr(fl, op)(fl.tensor(x, requires_grad=True), dim, correction=0)
    theirs = getattr(torch, op)(torch.tensor(x, requires_grad=True), dim, correction=0)
    assert [our_name(t) for t in ours] == [torch_name(t) for t in theirs]


@pytest.mark.parametrize("op", ["max", "min"])
@FAST
@given(data=st.data())
def test_max_min_dim_indices(op: str, data: st.DataObject) -> None:
    shape = data.draw(NONEMPTY, label="shape")
    dim = data.draw(dims(shape, single=True), label="dim")
    keepdim = data.draw(st.booleans())
    x = data.draw(arrays(shape, GRID), label="x")  # ties allowed: first index, as torch
    same_outputs(lambda m, t: getattr(m, op)(t, dim, keepdim).indices, x)
    same_outputs(lambda m, t: getattr(t, "arg" + op)(dim, keepdim=keepdim), x)
    same_outputs(lambda m, t: getattr(m, "arg" + op)(t), x)
    check_against_torch(lambda m, t: getattr(t, op)(dim=dim, keepdim=keepdim)[0], [x])


# ---- scans --------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@FAST
@given(data=st.data())
def test_scans(op: str, data: st.DataObject) -> None:
    shape = data.draw(SHAPES, label="shape")
    dim = data.draw(dims(shape, single=True), label="dim")
    x = data.draw(arrays(shape, GRID), label="x")
    both_precisions(lambda m, t: getattr(t, op)(dim), [x])
    check_against_torch(lambda m, t: getattr(m, op)(t, dim=dim, dtype=m.float64), [x])


@pytest.mark.parametrize("op", ["cumprod", "prod"])
def test_products_with_zeros(op: str) -> None:
    """One zero, two zeros, zeros at the ends: exact gradients without dividing by zero."""
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 2.0, 0.0, 4.0, 5.0],
                  [0.0, 1.5, 2.0, 3.0, 0.5], [1.0, 2.0, 3.0, 4.0, 0.0]])
    for dim in (0, 1, -1):
        both_precisions(lambda m, t, d=dim: getattr(t, op)(d), [x])
    if op == "prod":
        for row in x:
            both_precisions(lambda m, t: t.prod(), [row])
        both_precisions(lambda m, t: t.prod(), [x])


# ---- sorting ----------------------------------------------------------------------------------
@FAST
@given(data=st.data())
def test_sort_argsort(data: st.DataObject) -> None:
    shape = data.draw(SHAPES, label="shape")
    dim = data.draw(dims(shape, single=True), label="dim")
    descending = data.draw(st.booleans())
    stable = data.draw(st.booleans())
    x = data.draw(arrays(shape, GRID, unique=True), label="x")
    both_precisions(lambda m, t: m.sort(t, dim=dim, descending=descending, stable=stable)[0], [x])
    both_precisions(lambda m, t: t.sort(dim, descending).values, [x], grad=False)
    same_outputs(lambda m, t: t.sort(dim=dim, descending=descending)[1], x)
    same_outputs(lambda m, t: m.argsort(t, dim=dim, descending=descending, stable=stable), x)


@FAST
@given(data=st.data())
def test_topk(data: st.DataObject) -> None:
    shape = data.draw(NONEMPTY, label="shape")
    dim = data.draw(dims(shape, single=True), label="dim")
    n = shape[dim] if shape else 1
    k = data.draw(st.integers(0, n), label="k")
    largest = data.draw(st.booleans())
    x = data.draw(arrays(shape, GRID, unique=True), label="x")
    both_precisions(lambda m, t: m.topk(t, k, dim, largest).values, [x])
    same_outputs(lambda m, t: t.topk(k, dim=dim, largest=largest, sorted=True).indices, x)


@settings(max_examples=30, deadline=None)
@given(x=arrays((12,), st.sampled_from([-1.0, 0.0, 1.0, 2.0])),
       descending=st.booleans())
def test_ties_in_sort_keep_their_order_like_torch(x: np.ndarray, descending: bool) -> None:
    same_outputs(lambda m, t: t.sort(descending=descending, stable=True).indices, x)
    same_outputs(lambda m, t: t.argsort(descending=descending), x)
    check_against_torch(lambda m, t: t.sort(descending=descending).values, [x])


def test_topk_ties_pick_equal_values() -> None:
    """torch's choice among equal values is its own; the values and the gradient routing to
    the returned indices must still agree."""
    x = np.array([[1.0, 2.0, 2.0, 2.0, 0.0], [5.0, 5.0, 5.0, 5.0, 5.0]])
    for k, largest in [(2, True), (2, False), (4, True)]:
        t = fl.tensor(x, requires_grad=True)
        out = t.topk(k, largest=largest)
        ref = torch.tensor(x).topk(k, largest=largest)
        np.testing.assert_array_equal(out.values.detach().numpy(), ref.values.numpy())
        np.testing.assert_array_equal(np.take_along_axis(x, out.indices.numpy(), 1),
                                      out.values.detach().numpy())
        g = np.arange(out.values.numel(), dtype=np.float64).reshape(out.values.shape) + 1
        out.values.backward(fl.tensor(g))
        expected = np.zeros_like(x)
        np.put_along_axis(expected, out.indices.numpy(), g, 1)
        np.testing.assert_array_equal(t.grad.numpy(), expected)


# ---- ties and NaN, against torch's gradients --------------------------------------------------
TIES = np.array([[1.0, 3.0, 3.0], [5.0, 0.0, 5.0], [-2.0, -2.0, -2.0]])


@pytest.mark.parametrize("expr", [
    lambda m, t: t.max(), lambda m, t: t.min(), lambda m, t: m.max(t, 1).values,
    lambda m, t: t.min(0)[0], lambda m, t: t.amax(), lambda m, t: t.amax(1),
    lambda m, t: m.amin(t, 0, keepdim=True), lambda m, t: t.amax((0, 1)),
    lambda m, t: t.norm(float("inf"), dim=1), lambda m, t: t.sort(1).values,
], ids=["max", "min", "max_dim", "min_dim", "amax", "amax_dim", "amin_keepdim", "amax_dims",
        "norm_inf", "sort"])
def test_gradients_at_ties_match_torch(expr: Any) -> None:
    """Full max/min and amax/amin share the gradient evenly among ties; max(dim) gives it to
    the index it returns."""
    check_against_torch(expr, [TIES])


@pytest.mark.parametrize("op", ["maximum", "minimum", "max", "min"])
@FAST
@given(data=st.data())
def test_maximum_minimum(op: str, data: st.DataObject) -> None:
    """Broadcasting, ties (half the gradient each side), either side requiring grad, and the
    binary ``max(a, b)`` form."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3), label="shapes").input_shapes
    tied = st.sampled_from([-1.0, 0.5, 2.0])
    a = data.draw(arrays(shapes[0], tied), label="a")
    b = data.draw(arrays(shapes[1], tied), label="b")
    requires = data.draw(st.sampled_from([[True, True], [True, False], [False, True]]))
    expr = {"maximum": lambda m, x, y: m.maximum(x, y), "minimum": lambda m, x, y: x.minimum(y),
            "max": lambda m, x, y: m.max(x, y), "min": lambda m, x, y: x.min(y)}[op]
    check_against_torch(expr, [a, b], requires)
    # gradcheck away from ties: b sits 1/16 off a's grid
    a = data.draw(arrays(shapes[0], GRID), label="a_grid")
    b = data.draw(arrays(shapes[1], GRID), label="b_grid") + 1 / 16
    check_gradients(expr, [a, b], requires)


NANS = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, -np.inf, np.inf, 0.5], [np.nan, 1, 2, -1]])


@pytest.mark.parametrize("expr", [
    lambda m, t: t.max(), lambda m, t: t.min(), lambda m, t: t.max(1).values,
    lambda m, t: t.amax(1), lambda m, t: m.maximum(t, m.ones(4)),
    lambda m, t: t.sort(1).values, lambda m, t: t.sort(1, descending=True).values,
    lambda m, t: t.topk(2).values, lambda m, t: t.topk(2, largest=False).values,
    lambda m, t: t.logsumexp(1), lambda m, t: t.cumsum(1), lambda m, t: t.prod(1),
], ids=["max", "min", "max_dim", "amax_dim", "maximum", "sort", "sort_desc", "topk",
        "topk_smallest", "logsumexp", "cumsum", "prod"])
def test_nan_and_inf_like_torch(expr: Any) -> None:
    with np.errstate(invalid="ignore"):
        check_against_torch(expr, [NANS])


@pytest.mark.parametrize("expr", [
    lambda m, t: t.max(1).indices, lambda m, t: t.argmin(1), lambda m, t: t.argmax(),
    lambda m, t: t.sort(dim=1, stable=True).indices, lambda m, t: t.argsort(1, descending=True),
    lambda m, t: t.topk(2).indices, lambda m, t: t.any(1), lambda m, t: m.all(t, 0),
])
def test_nan_indices_like_torch(expr: Any) -> None:
    same_outputs(expr, NANS)


def test_logsumexp_extremes() -> None:
    """Finite for huge inputs; -inf for all -inf and for nothing; +inf wins; NaN gradients
    where torch has them."""
    check_against_torch(lambda m, t: t.logsumexp(1), [np.array([[1e30, 1e30], [-1e30, 0.0]])])
    inf = np.array([[-np.inf, -np.inf], [np.inf, 1.0]])
    with np.errstate(invalid="ignore"):
        check_against_torch(lambda m, t: m.logsumexp(t, 1), [inf])
    check_against_torch(lambda m, t: t.logsumexp(0), [np.zeros((0, 3))])
    check_against_torch(lambda m, t: t.logsumexp(1, keepdim=True), [np.zeros((2, 0))])


# ---- int and bool inputs: result dtypes ------------------------------------------------------
INT_OPS: dict[str, Any] = {
    "sum": lambda m, t: t.sum(), "sum_dim": lambda m, t: m.sum(t, 0),
    "sum_dtype": lambda m, t: t.sum(dtype=m.float64), "prod": lambda m, t: t.prod(),
    "prod_dim": lambda m, t: m.prod(t, 1, keepdim=True), "cumsum": lambda m, t: t.cumsum(1),
    "cumsum_dtype": lambda m, t: t.cumsum(0, dtype=m.int32), "cumprod": lambda m, t: t.cumprod(0),
    "max": lambda m, t: t.max(), "max_dim": lambda m, t: t.max(1).values,
    "min": lambda m, t: m.min(t), "amax": lambda m, t: t.amax(0), "amin": lambda m, t: t.amin(),
    "any": lambda m, t: t.any(), "any_dim": lambda m, t: m.any(t, 1, keepdim=True),
    "all": lambda m, t: t.all(), "all_dims": lambda m, t: m.all(t, (0, 1)),
    "sort": lambda m, t: t.sort(0).values, "sort_desc": lambda m, t: t.sort(descending=True)[0],
    "argsort": lambda m, t: t.argsort(0), "logsumexp": lambda m, t: t.logsumexp(1),
    "maximum": lambda m, t: m.maximum(t, m.tensor(1.5)), "minimum": lambda m, t: t.minimum(t),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("name", sorted(INT_OPS))
def test_int_and_bool_inputs(name: str, dtype: str) -> None:
    x = np.array([[3, 0, -2], [1, 5, 5]]) if dtype != "bool" else np.array([[1, 0, 1], [1, 1, 1]])
    same_outputs(INT_OPS[name], x, dtype=dtype)


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_int_only_ops(dtype: str) -> None:
    x = np.array([[3, 0, -2], [1, 5, 5]])
    same_outputs(lambda m, t: t.topk(2).values, x, dtype=dtype)
    same_outputs(lambda m, t: t.argmax(1), x, dtype=dtype)
    same_outputs(lambda m, t: m.argmin(t), x, dtype=dtype)


def test_float_dtype_argument_and_half() -> None:
    x = np.array([[1.0, 2.5], [3.0, -4.0]])
    check_against_torch(lambda m, t: t.sum(0, dtype=m.float64), [x])
    check_against_torch(lambda m, t: m.mean(t, dtype=m.float64), [x])
    check_against_torch(lambda m, t: t.prod(dtype=m.float64), [x])
    check_against_torch(lambda m, t: t.norm(dtype=m.float64), [x])
    check_against_torch(lambda m, t: t.half().cumsum(1).float(), [x])


# ---- torch's overloads and keyword names -----------------------------------------------------
CALLS: dict[str, Any] = {
    "sum_kw": lambda m, t: m.sum(input=t, dim=(0, 1), keepdim=True, dtype=m.float64),
    "mean_kw": lambda m, t: m.mean(t, dim=[0], keepdim=True),
    "mean_empty_tuple": lambda m, t: t.mean(dim=()),
    "prod_kw": lambda m, t: m.prod(t, dim=1, keepdim=True, dtype=m.float64),
    "logsumexp_kw": lambda m, t: m.logsumexp(t, dim=(0, 1), keepdim=True),
    "norm_fro": lambda m, t: m.norm(t, "fro"), "norm_p_dim": lambda m, t: m.norm(t, p=1, dim=1),
    "norm_0": lambda m, t: t.norm(0), "norm_neg_inf": lambda m, t: t.norm(float("-inf"), dim=0),
    "max_kw": lambda m, t: m.max(t, dim=1, keepdim=True).values,
    "max_other": lambda m, t: m.max(t, other=t * 2),
    "maximum_other_kw": lambda m, t: m.maximum(t, other=t * 0.5),
    "amax_dims": lambda m, t: m.amax(t, dim=(-1, 0), keepdim=True),
    "cumsum_kw": lambda m, t: m.cumsum(t, dim=1, dtype=m.float64),
    "sort_kw": lambda m, t: m.sort(t, dim=0, descending=True, stable=True).values,
    "topk_kw": lambda m, t: m.topk(t, k=1, dim=0, largest=False, sorted=True).values,
    "std_dim": lambda m, t: t.std(0), "std_unbiased_false": lambda m, t: t.std(unbiased=False),
    "std_pos_bool": lambda m, t: m.std(t, False),
    "var_legacy": lambda m, t: t.var(1, False, True),
    "var_legacy_kw": lambda m, t: t.var(dim=1, unbiased=False, keepdim=True),
    "var_none_unbiased": lambda m, t: m.var(t, None, False),
    "var_correction": lambda m, t: m.var(t, 1, correction=0.5, keepdim=True),
    "std_correction_bool": lambda m, t: t.std(correction=True),
    "var_mean_legacy": lambda m, t: m.var_mean(t, 0, False, True)[0],
    "std_mean_bool": lambda m, t: m.std_mean(t, True)[1],
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_torch_call_forms(name: str) -> None:
    x = np.array([[1.0, -3.0, 2.5], [4.0, 0.5, -1.0]])
    both_precisions(CALLS[name], [x], grad=not name.startswith("norm_0"))


def test_any_all_forms() -> None:
    x = np.array([[0.0, np.nan, 0.0], [1.0, 2.0, 0.0]])
    for expr in (lambda m, t: m.any(t), lambda m, t: t.all(), lambda m, t: t.any(keepdim=True),
                 lambda m, t: m.all(t, dim=1, keepdim=True), lambda m, t: t.any((0, 1)),
                 lambda m, t: m.any(input=t, dim=0)):
        same_outputs(expr, x)
    for shape in [(0,), (0, 3), ()]:
        same_outputs(lambda m, t: t.all(), np.zeros(shape))
        same_outputs(lambda m, t: m.any(t, 0), np.zeros(shape))


@pytest.mark.parametrize("expr", [
    lambda m, t: t.max(0), lambda m, t: t.max(-1, True), lambda m, t: t.argmax(0, True),
    lambda m, t: t.sort(0), lambda m, t: t.topk(1), lambda m, t: t.topk(0),
    lambda m, t: t.cumsum(0), lambda m, t: t.prod(0, True), lambda m, t: t.logsumexp(0, True),
    lambda m, t: t.amax(0, True), lambda m, t: t.std(0, correction=0, keepdim=True),
], ids=["max", "max_keepdim", "argmax", "sort", "topk", "topk_0", "cumsum", "prod", "lse",
        "amax", "std"])
def test_zero_dim_inputs(expr: Any) -> None:
    """0-d tensors take dim 0 or -1 and keep their shape, as in torch."""
    ours, theirs = expr(fl, fl.tensor(2.5)), expr(torch, torch.tensor(2.5))
    for o, t in zip(ours if isinstance(ours, tuple) else [ours],
                    theirs if isinstance(theirs, tuple) else [theirs]):
        assert tuple(o.shape) == tuple(t.shape) and repr(o.dtype) == repr(t.dtype)
        np.testing.assert_array_equal(o.numpy(), t.numpy())


# ---- return_types --------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min", "sort", "topk"])
def test_return_types(op: str) -> None:
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], dtype=np.float32)
    args = {"max": (1,), "min": (1, True), "sort": (1,), "topk": (2,)}[op]
    ours = getattr(fl.tensor(x, requires_grad=True), op)(*args)
    theirs = getattr(torch.tensor(x, requires_grad=True), op)(*args)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert type(ours).__name__ == op and type(ours) is getattr(fl.return_types, op)
    assert isinstance(ours, tuple) and len(ours) == 2 and ours._fields == ("values", "indices")
    values, indices = ours
    assert values is ours.values and indices is ours[1]
    again = pickle.loads(pickle.dumps(getattr(fl.tensor(x), op)(*args)))
    assert type(again) is type(ours)
    np.testing.assert_array_equal(again.indices.numpy(), indices.numpy())


# ---- errors and warnings ---------------------------------------------------------------------
ERRORS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "max_empty": (lambda m, t: t.max(), (0, 3)),
    "min_empty": (lambda m, t: m.min(t), (0,)),
    "max_dim_empty": (lambda m, t: t.max(0), (0, 3)),
    "max_neg_dim_empty": (lambda m, t: t.min(-2), (0, 3)),
    "argmax_empty": (lambda m, t: t.argmax(), (0,)),
    "argmin_dim_empty": (lambda m, t: t.argmin(0), (0, 2)),
    "amax_empty": (lambda m, t: t.amax(), (0, 3)),
    "amax_dim_empty": (lambda m, t: m.amax(t, -2), (0, 3)),
    "amin_dim_empty": (lambda m, t: t.amin((1, 0)), (0, 3)),
    "max_dim_range": (lambda m, t: t.max(2), (2, 3)),
    "sum_dim_range": (lambda m, t: t.sum(-3), (2, 3)),
    "sum_dim_repeated": (lambda m, t: t.sum((0, -2)), (2, 3)),
    "amax_dim_repeated": (lambda m, t: t.amax((1, -1)), (2, 3)),
    "std_dim_range": (lambda m, t: t.std(3), (2, 3)),
    "cumsum_dim_range": (lambda m, t: t.cumsum(1), (3,)),
    "sort_dim_range": (lambda m, t: t.sort(-2), (3,)),
    "argsort_dim_range": (lambda m, t: m.argsort(t, 5), (3,)),
    "topk_k_large": (lambda m, t: t.topk(4), (3,)),
    "topk_k_negative": (lambda m, t: t.topk(-1), (3,)),
    "topk_k_dim": (lambda m, t: t.topk(3, 0), (2, 3)),
    "topk_k_0d": (lambda m, t: t.topk(2), ()),
    "topk_k_float": (lambda m, t: t.topk(1.0), (3,)),
    "topk_dim_range": (lambda m, t: t.topk(1, 1), (3,)),
    "logsumexp_no_dim": (lambda m, t: t.logsumexp(), (3,)),
    "cumsum_no_dim": (lambda m, t: m.cumsum(t), (3,)),
    "prod_tuple_dim": (lambda m, t: t.prod((0, 1)), (2, 3)),
    "var_int_unbiased": (lambda m, t: t.var(0, 1), (2, 3)),
    "std_both_forms": (lambda m, t: t.std(unbiased=True, correction=1), (2, 3)),
    "max_keepdim_no_dim": (lambda m, t: t.max(keepdim=True), (2, 3)),
    "max_number": (lambda m, t: m.max(t, 2.0), (2, 3)),
    "maximum_number": (lambda m, t: m.maximum(t, 2), (2, 3)),
    "maximum_shapes": (lambda m, t: m.maximum(t, m.ones(4)), (2, 3)),
    "sum_of_list": (lambda m, t: m.sum([1.0, 2.0]), (1,)),
}
INT_ERRORS: dict[str, Any] = {
    "std_int": lambda m, t: t.std(), "var_int": lambda m, t: m.var(t, 0),
    "argmax_bool": lambda m, t: t.bool().argmax(), "argmin_bool": lambda m, t: t.bool().argmin(0),
    "topk_bool": lambda m, t: t.bool().topk(1), "mean_int": lambda m, t: t.mean(),
    "norm_int": lambda m, t: t.norm(), "std_mean_int": lambda m, t: m.std_mean(t),
}


def _raises_like_torch(expr: Any, ours_in: Any, theirs_in: Any) -> None:
    with pytest.raises(Exception) as theirs:
        expr(torch, theirs_in)
    with pytest.raises(Exception) as ours:
        expr(fl, ours_in)
    # torch's type (ours may also be a ValueError/TypeError), and torch's words, maybe with
    # ours adding the value and the fix; argument-parsing TypeErrors are worded differently.
    assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    head = str(theirs.value).split("\n")[0]
    if not isinstance(theirs.value, TypeError):
        assert head.rstrip(".") in str(ours.value), (str(ours.value), head)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_like_torch(name: str) -> None:
    expr, shape = ERRORS[name]
    x = np.ones(shape, np.float32)
    _raises_like_torch(expr, fl.tensor(x), torch.tensor(x))


@pytest.mark.parametrize("name", sorted(INT_ERRORS))
def test_int_errors_like_torch(name: str) -> None:
    x = np.array([[1, 2], [3, 4]])
    _raises_like_torch(INT_ERRORS[name], fl.tensor(x), torch.tensor(x))


def test_failed_call_changes_nothing() -> None:
    t = fl.tensor([[3.0, 1.0], [2.0, 0.0]], requires_grad=True)
    before = t.detach().numpy().copy()
    with pytest.raises(RuntimeError):
        t.topk(5)
    with pytest.raises(IndexError):
        t.sort(2)
    np.testing.assert_array_equal(t.detach().numpy(), before)
    assert t.grad is None


DOF: dict[str, tuple[Any, tuple[int, ...]]] = {
    "std_one": (lambda m, t: t.std(), (1,)),
    "var_correction_n": (lambda m, t: t.var(correction=2), (2,)),
    "var_correction_past_n": (lambda m, t: m.var(t, correction=3), (2,)),
    "var_dim_past_n": (lambda m, t: t.var(1, correction=3), (2, 2)),
    "var_dim_n": (lambda m, t: t.var(1, correction=2), (2, 2)),
    "std_dim_past_n": (lambda m, t: t.std(1, correction=3), (2, 2)),
    "var_empty": (lambda m, t: t.var(), (0,)),
    "var_empty_dim": (lambda m, t: t.var(0), (0, 3)),
    "var_empty_result": (lambda m, t: t.var(1), (0, 3)),
    "var_size_zero_dim": (lambda m, t: t.var(1), (3, 0)),
    "std_mean_one": (lambda m, t: m.std_mean(t)[0], (1,)),
}


@pytest.mark.parametrize("name", sorted(DOF))
def test_degrees_of_freedom_at_most_zero(name: str) -> None:
    """inf or nan values and gradients (torch's formulas) and torch's warning, pointing at
    the caller's line."""
    expr, shape = DOF[name]
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) ** 2  # not all equal
    if len(shape) == 2 and shape[0] == 2:
        x[1] = 1.0  # a row equal to its mean: nan * 0 cases
    with pytest.warns(UserWarning) as theirs:
        expr(torch, torch.tensor(x))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0") as ours:
        expr(fl, fl.tensor(x))
    assert str(ours[0].message) in str(theirs[0].message)
    assert ours[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with np.errstate(invalid="ignore"):
            check_against_torch(expr, [x])


def test_no_warning_with_positive_dof() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fl.randn(3, 4).std(1)
        fl.randn(3, 4).var((0, 1), correction=11)


# ---- module-level forms exist and are the ops themselves ------------------------------------
NAMES = ["sum", "mean", "norm", "argmax", "argmin", "max", "min", "amax", "amin", "maximum",
         "minimum", "cumsum", "cumprod", "topk", "sort", "argsort", "std", "var", "std_mean",
         "var_mean", "any", "all", "prod", "logsumexp"]


def test_module_level_forms() -> None:
    for name in NAMES:
        assert callable(getattr(fl, name)) and name in fl.__all__, name
    assert "return_types" in fl.__all__ and fl.return_types.max is type(fl.ones(2, 2).max(0))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        fl.max([1.0, 2.0])
