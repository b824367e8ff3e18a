"""Every differentiable Tensor op against torch (values, dtypes, grad_fn names, gradients) and
through the float64 finite-difference ``gradcheck``.

Each op is written once as ``expr(m, *tensors)`` where ``m`` is the module (``firstlayer`` or
``torch``), so the same expression runs in both libraries on the same input arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import firstlayer as fl
import firstlayer.nn.functional as F
from gradcheck import gradcheck

Expr = Callable[..., Any]

# Values a float32 holds exactly (so the float32 and float64 runs see the same numbers), away
# from 0 so that kinks (abs, relu) and poles (1/x, log) stay out of the finite differences.
MAG = st.floats(0.125, 3.0, width=32)
SIGNED = st.builds(lambda m, s: m * s, MAG, st.sampled_from([1.0, -1.0]))
POSITIVE = MAG
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
FAST = settings(max_examples=15, deadline=None)


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy = SIGNED, **kw: Any) -> Any:
    return hnp.arrays(np.float64, shape, elements=elements, **kw)


def torch_name(t: torch.Tensor) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def our_name(t: fl.Tensor) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name()


def check_against_torch(
    expr: Expr,
    arrays_in: list[np.ndarray],
    requires: list[bool] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    check_name: bool = True,
    dtype: type = np.float32,
) -> None:
    """Run ``expr`` in both libraries on ``dtype`` copies of ``arrays_in``; compare the output's
    dtype, shape, values and grad_fn name, then backpropagate the same random upstream gradient
    and compare every input's gradient."""
    requires = [True] * len(arrays_in) if requires is None else requires
    pairs = list(zip(arrays_in, requires))
    ours_in = [fl.tensor(a.astype(dtype), requires_grad=r) for a, r in pairs]
    theirs_in = [torch.tensor(a.astype(dtype), requires_grad=r) for a, r in pairs]
    ours, theirs = expr(fl, *ours_in), expr(torch, *theirs_in)

    assert repr(ours.dtype) == repr(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True
    )
    assert ours.requires_grad == theirs.requires_grad
    if check_name:
        assert our_name(ours) == torch_name(theirs)
    if not theirs.requires_grad:
        return

    upstream = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    upstream = upstream.astype(theirs.detach().numpy().dtype)
    ours.backward(fl.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t.grad is None:
            assert o.grad is None, f"input {i}: torch has no gradient, firstlayer has one"
            continue
        assert o.grad is not None, f"input {i}: firstlayer has no gradient"
        np.testing.assert_allclose(
            o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
        )


def check_gradients(expr: Expr, arrays_in: list[np.ndarray], requires: list[bool] | None = None,
                    **kw: Any) -> None:
    """``gradcheck`` of ``expr`` in float64."""
    requires = [True] * len(arrays_in) if requires is None else requires
    inputs = [fl.tensor(a, dtype=fl.float64, requires_grad=r) for a, r in zip(arrays_in, requires)]
    gradcheck(lambda *xs: expr(fl, *xs), inputs, **kw)


def check(expr: Expr, arrays_in: list[np.ndarray], requires: list[bool] | None = None,
          **kw: Any) -> None:
    """Against torch in float32 and in float64, then the float64 ``gradcheck``."""
    check_against_torch(expr, arrays_in, requires, **kw)
    check_against_torch(expr, arrays_in, requires, dtype=np.float64, **kw)
    check_gradients(expr, arrays_in, requires)


# ---- elementwise, scalars on either side --------------------------------------------------------
UNARY: dict[str, tuple[Expr, st.SearchStrategy]] = {
    "neg": (lambda m, x: -x, SIGNED),
    "neg_method": (lambda m, x: x.neg(), SIGNED),
    "exp": (lambda m, x: x.exp(), SIGNED),
    "log": (lambda m, x: x.log(), POSITIVE),
    "sqrt": (lambda m, x: x.sqrt(), POSITIVE),
    "abs": (lambda m, x: x.abs(), SIGNED),
    "abs_builtin": (lambda m, x: abs(x), SIGNED),
    "relu": (lambda m, x: x.relu(), SIGNED),
    "tanh": (lambda m, x: x.tanh(), SIGNED),
    "sigmoid": (lambda m, x: x.sigmoid(), SIGNED),
    "softmax": (lambda m, x: x.softmax(-1), SIGNED),
    "log_softmax": (lambda m, x: x.log_softmax(-1), SIGNED),
    "add_float": (lambda m, x: x + 1.5, SIGNED),
    "add_int": (lambda m, x: x + 2, SIGNED),
    "radd": (lambda m, x: 2.5 + x, SIGNED),
    "sub_float": (lambda m, x: x - 0.5, SIGNED),
    "rsub": (lambda m, x: 1.5 - x, SIGNED),
    "rsub_int": (lambda m, x: 3 - x, SIGNED),
    "mul_float": (lambda m, x: x * -2.0, SIGNED),
    "rmul_int": (lambda m, x: 3 * x, SIGNED),
    "div_float": (lambda m, x: x / 4.0, SIGNED),
    "rdiv": (lambda m, x: 2.0 / x, SIGNED),
    "rdiv_int": (lambda m, x: 3 / x, SIGNED),
    "pow_2": (lambda m, x: x**2, SIGNED),
    "pow_3": (lambda m, x: x**3, SIGNED),
    "pow_0": (lambda m, x: x**0, SIGNED),
    "pow_frac": (lambda m, x: x**1.5, POSITIVE),
    "pow_neg": (lambda m, x: x**-2, SIGNED),
    "pow_method": (lambda m, x: x.pow(2.5), POSITIVE),
    "rpow": (lambda m, x: 2.0**x, SIGNED),
    "rpow_int": (lambda m, x: 3**x, SIGNED),
    "add_alpha": (lambda m, x: x.add(x, alpha=2), SIGNED),
    "sub_alpha": (lambda m, x: x.sub(1.0, alpha=3), SIGNED),
    "clone": (lambda m, x: x.clone(), SIGNED),
    "to_float64": (lambda m, x: x.to(m.float64), SIGNED),
    "to_same": (lambda m, x: x.to(m.float32), SIGNED),
    "double": (lambda m, x: x.double(), SIGNED),
    "double_float": (lambda m, x: x.double().float(), SIGNED),
    "half_float": (lambda m, x: x.half().float() * 1, SIGNED),
    "to_tensor": (lambda m, x: x.to(m.zeros(1, dtype=m.float64)), SIGNED),
}


# Casts to a narrower float: finite differences through them measure the rounding, not the op.
LOSSY = {"half_float", "double_float", "to_same"}


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_elementwise(name: str, data: st.DataObject) -> None:
    expr, elements = UNARY[name]
    x = data.draw(arrays(data.draw(SHAPES), elements), label="x")
    rtol = 1e-3 if name == "half_float" else 1e-5  # float16 keeps ~3 decimal digits
    check_against_torch(expr, [x], rtol=rtol)
    if name not in LOSSY:
        check_gradients(expr, [x])


BINARY: dict[str, tuple[Expr, st.SearchStrategy, st.SearchStrategy]] = {
    "add": (lambda m, a, b: a + b, SIGNED, SIGNED),
    "sub": (lambda m, a, b: a - b, SIGNED, SIGNED),
    "mul": (lambda m, a, b: a * b, SIGNED, SIGNED),
    "div": (lambda m, a, b: a / b, SIGNED, SIGNED),
    "pow": (lambda m, a, b: a**b, POSITIVE, SIGNED),
    "add_method": (lambda m, a, b: a.add(b), SIGNED, SIGNED),
    "sub_method_alpha": (lambda m, a, b: a.sub(b, alpha=0.5), SIGNED, SIGNED),
    "mul_method": (lambda m, a, b: a.mul(b), SIGNED, SIGNED),
    "div_method": (lambda m, a, b: a.div(b), SIGNED, SIGNED),
    "pow_method": (lambda m, a, b: a.pow(b), POSITIVE, SIGNED),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(data=st.data())
def test_binary_broadcasting(name: str, data: st.DataObject) -> None:
    """Broadcasting shapes (incl. zero-size and 0-d), and each side alone requiring grad."""
    expr, ea, eb = BINARY[name]
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=3),
        label="shapes",
    ).input_shapes
    a = data.draw(arrays(shapes[0], ea), label="a")
    b = data.draw(arrays(shapes[1], eb), label="b")
    requires = data.draw(st.sampled_from([[True, True], [True, False], [False, True]]))
    check(expr, [a, b], requires)


@st.composite
def matmul_operands(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """1-D, 2-D and batched (broadcast batch dims, size 0 allowed) matmul operand pairs."""
    n, k, p = (draw(st.integers(0, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                   min_side=0, max_side=3)).input_shapes
    a_shape = (k,) if draw(st.booleans()) else batch[0] + (n, k)
    b_shape = (k,) if draw(st.booleans()) else batch[1] + (k, p)
    return draw(arrays(a_shape)), draw(arrays(b_shape))


@settings(max_examples=60, deadline=None)
@given(ab=matmul_operands(), requires=st.sampled_from([[True, True], [True, False],
                                                       [False, True]]))
def test_matmul(ab: tuple[np.ndarray, np.ndarray], requires: list[bool]) -> None:
    check(lambda m, a, b: a @ b, list(ab), requires)


@pytest.mark.parametrize(
    "shapes", [[(3,), (3,)], [(2, 3), (3,)], [(3,), (3, 4)], [(2, 3), (3, 4)],
               [(5, 2, 3), (5, 3, 4)], [(2, 3), (5, 3, 4)], [(5, 2, 3), (3,)], [(3,), (2, 3, 4)],
               [(2, 1, 2, 3), (5, 3, 2)], [(0, 3), (3, 2)], [(2, 3), (3, 0)]],
)
def test_matmul_fixed_shapes(shapes: list[tuple[int, ...]]) -> None:
    """The named cases of torch.matmul: dot, mv, vector @ matrix, mm, bmm, folded and broadcast."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s) for s in shapes)
    check(lambda m, x, y: x @ y, [a, b])
    check(lambda m, x, y: x.matmul(y), [a, b])


def test_matmul_with_ndarray_operand() -> None:
    """``ndarray @ Tensor`` defers to the Tensor (``__array_priority__``)."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    x = fl.tensor(b, requires_grad=True)
    out = a @ x
    assert isinstance(out, fl.Tensor)
    np.testing.assert_allclose(out.detach().numpy(), a @ b)
    gradcheck(lambda t: a @ t, [x])


def test_matmul_shape_errors() -> None:
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        fl.ones(2, 3) @ fl.ones(2, 3)
    with pytest.raises(RuntimeError, match="at least 1D"):
        fl.ones(()) @ fl.ones(3)


# ---- reductions -----------------------------------------------------------------------------
@st.composite
def shape_and_dim(draw: st.DrawFn, min_side: int = 0) -> tuple[tuple[int, ...], Any, bool]:
    """A shape and a ``dim`` argument: None, an int (maybe negative) or a tuple of ints."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=4))
    nd = max(len(shape), 1)  # a 0-d tensor accepts dim 0 and -1
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    dims = [d - nd if draw(st.booleans()) else d for d in axes]
    dim = draw(st.sampled_from([None, dims[0], tuple(dims)]))
    return shape, dim, draw(st.booleans())


@pytest.mark.parametrize("op", ["sum", "mean"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sum_mean(op: str, data: st.DataObject) -> None:
    shape, dim, keepdim = data.draw(shape_and_dim())
    x = data.draw(arrays(shape))

    def expr(m: Any, t: Any) -> Any:
        if dim is None:
            return getattr(t, op)()
        return getattr(t, op)(dim, keepdim=keepdim)

    check(expr, [x])


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reduce_over_empty_dim_tuple_reduces_everything(op: str) -> None:
    """torch reads ``dim=()`` as "all dims" (NumPy reads ``axis=()`` as "none")."""
    x = np.arange(6.0).reshape(2, 3)
    check(lambda m, t: getattr(t, op)(dim=()), [x])


@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_norm(p: float, data: st.DataObject) -> None:
    # min_side=1: torch refuses the inf-norm of an empty tensor (it has no identity).
    shape, dim, keepdim = data.draw(shape_and_dim(min_side=1))
    # Distinct magnitudes: the inf-norm's gradient is undefined at ties.
    mags = data.draw(arrays(shape, MAG, unique=True))
    x = mags * data.draw(arrays(shape, st.sampled_from([1.0, -1.0])))

    def expr(m: Any, t: Any) -> Any:
        return t.norm(p) if dim is None else t.norm(p, dim=dim, keepdim=keepdim)

    check(expr, [x])


def test_norm_of_zero_size_tensor() -> None:
    check(lambda m, t: t.norm(), [np.zeros((0, 3))])
    check(lambda m, t: t.norm(dim=0), [np.zeros((0, 3))])


# ---- shape ops --------------------------------------------------------------------------------
@st.composite
def shape_op(draw: st.DrawFn) -> tuple[str, tuple[int, ...], Expr]:
    """A shape and one of the view-like ops applied with valid random arguments."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    nd = len(shape)
    dim_any = st.integers(-max(nd, 1), max(nd, 1) - 1)
    name = draw(st.sampled_from(["reshape", "reshape_list", "view", "flatten", "T", "t",
                                 "transpose", "permute", "unsqueeze", "squeeze", "squeeze_dim",
                                 "squeeze_dims", "expand", "contiguous_T"]))
    if name == "reshape":
        new = shape[::-1]
        return name, shape, lambda m, x: x.reshape(*new) if new else x.reshape(new)
    if name == "reshape_list":
        at = draw(st.integers(0, nd)) if nd else 0
        new_l = [*shape[:at], -1] if 0 not in shape else list(shape)
        return name, shape, lambda m, x: x.reshape(new_l)
    if name == "view":
        return name, shape, lambda m, x: x.view(-1) if 0 not in shape else x.view(shape)
    if name == "flatten":
        s, e = sorted(draw(st.lists(dim_any, min_size=2, max_size=2)), key=lambda d: d % max(nd, 1))
        return name, shape, lambda m, x: x.flatten(s, e)
    if name in ("T", "contiguous_T"):
        if nd != 2:  # torch deprecates .T on other ranks (it warns)
            shape, nd = shape[:2] + (2,) * (2 - len(shape[:2])), 2
        if name == "T":
            return name, shape, lambda m, x: x.T
        return name, shape, lambda m, x: x.T.reshape(-1)
    if name == "t":
        shape = shape[:2]
        return name, shape, lambda m, x: x.t()
    if name == "transpose":
        d0, d1 = draw(dim_any), draw(dim_any)
        return name, shape, lambda m, x: x.transpose(d0, d1)
    if name == "permute":
        perm = draw(st.permutations(range(nd)))
        perm = [d - nd if draw(st.booleans()) else d for d in perm]
        return name, shape, lambda m, x: x.permute(*perm) if perm else x.permute(perm)
    if name == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return name, shape, lambda m, x: x.unsqueeze(d)
    if name == "squeeze":
        return name, shape, lambda m, x: x.squeeze()
    if name == "squeeze_dim":
        d = draw(dim_any)
        return name, shape, lambda m, x: x.squeeze(d)
    if name == "squeeze_dims":
        dims = tuple(draw(st.lists(st.integers(0, max(nd, 1) - 1), unique=True, max_size=nd)))
        return name, shape, lambda m, x: x.squeeze(dims)
    # expand: size-1 dims grow, others stay (or -1), maybe new leading dims
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    sizes = lead + tuple(draw(st.integers(0, 3)) if s == 1 else draw(st.sampled_from([s, -1]))
                         for s in shape)
    return name, shape, lambda m, x: x.expand(*sizes) if sizes else x.expand(sizes)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_shape_ops(data: st.DataObject) -> None:
    name, shape, expr = data.draw(shape_op(), label="op")
    check(expr, [data.draw(arrays(shape))])


def test_views_share_memory_like_torch() -> None:
    """reshape/transpose/expand/basic indexing return views: writes show through."""
    x = fl.zeros(2, 3)
    for view in (x.reshape(6), x.t(), x.T, x.transpose(0, 1), x.unsqueeze(0), x[0], x[:, 1:],
                 x.view(3, 2), x.flatten(), x.permute(1, 0)):
        assert np.shares_memory(view.numpy(), x.numpy())


def test_view_needs_compatible_strides() -> None:
    """``view`` never copies: where only a copy would do, torch and firstlayer refuse."""
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.zeros(2, 3).t().view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        fl.zeros(2, 3).t().view(6)
    assert fl.zeros(2, 3).t().reshape(6).shape == (6,)


def test_reshape_errors() -> None:
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        fl.zeros(2, 3).reshape(4)
    with pytest.raises(RuntimeError, match="expanded size"):
        fl.zeros(2, 3).expand(3, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        fl.zeros(2, 3).transpose(0, 2)


# ---- indexing -------------------------------------------------------------------------------
def _no_negative_steps(key: Any) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(not (isinstance(k, slice) and k.step is not None and k.step < 0) for k in keys)


@st.composite
def basic_index(draw: st.DrawFn) -> tuple[tuple[int, ...], Any]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    # torch has no negative slice steps
    key = draw(hnp.basic_indices(shape, allow_newaxis=True).filter(_no_negative_steps))
    return shape, key


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_basic_indexing(data: st.DataObject) -> None:
    """ints (incl. negative), slices, None, Ellipsis: values, views, grads and grad_fn names."""
    shape, key = data.draw(basic_index(), label="shape, key")
    check(lambda m, x: x[key], [data.draw(arrays(shape))])


@st.composite
def advanced_index(draw: st.DrawFn) -> tuple[tuple[int, ...], Callable[[Any], Any]]:
    """Integer lists/tensors with duplicates and negatives, int-array tuples, bool masks."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    kind = draw(st.sampled_from(["list", "tensor", "tensor_2d", "arrays", "mask", "mask_rows",
                                 "tensor_then_slice", "int_then_tensor"]))
    n = shape[0]
    ids = draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=6))
    if kind == "list":
        return shape, lambda m: ids if ids else [0]
    if kind == "tensor":
        return shape, lambda m: m.tensor(ids, dtype=m.int64)
    if kind == "tensor_2d":
        grid = draw(hnp.arrays(np.int64, (2, 3), elements=st.integers(-n, n - 1)))
        return shape, lambda m: m.tensor(grid)
    if kind == "arrays":
        idx = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2)))
        return shape, lambda m: tuple(m.tensor(i) for i in idx)
    if kind == "mask":
        mask = draw(hnp.arrays(np.bool_, shape))
        return shape, lambda m: m.tensor(mask)
    if kind == "mask_rows":
        mask = draw(hnp.arrays(np.bool_, (n,)))
        return shape, lambda m: m.tensor(mask)
    if kind == "tensor_then_slice":
        rest = slice(None, None, 2) if len(shape) > 1 else Ellipsis
        return shape, lambda m: (m.tensor(ids, dtype=m.int64), rest)
    if len(shape) == 1:
        return shape, lambda m: (m.tensor(ids, dtype=m.int64),)
    cols = draw(st.lists(st.integers(-shape[1], shape[1] - 1), max_size=5))
    return shape, lambda m: (-1, m.tensor(cols, dtype=m.int64))


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_advanced_indexing(data: st.DataObject) -> None:
    """Gathers with duplicate indices must sum the gradients of the repeated rows."""
    shape, make_key = data.draw(advanced_index(), label="shape, key")
    check(lambda m, x: x[make_key(m)], [data.draw(arrays(shape))])


def test_duplicate_index_gradient_sums() -> None:
    x = fl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_index_out_of_range() -> None:
    with pytest.raises(IndexError):
        fl.zeros(2, 3)[2]
    with pytest.raises(IndexError):
        fl.zeros(2, 3)[fl.tensor([0, 5])]


# ---- softmax family and saturating functions at large magnitudes ---------------------------------
BIG = float(np.float32(1e30))
LARGE = st.floats(-BIG, BIG, width=32)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "sigmoid", "tanh"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_large_magnitudes_stay_finite(op: str, data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    scale = data.draw(st.sampled_from([1.0, 1e2, 1e4]))
    x = data.draw(arrays(shape, LARGE)) if scale == 1.0 else data.draw(arrays(shape)) * scale
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))

    def expr(m: Any, t: Any) -> Any:
        return getattr(t, op)(dim) if op in ("softmax", "log_softmax") else getattr(t, op)()

    check_against_torch(expr, [x], rtol=1e-5, atol=1e-5)
    out = expr(fl, fl.tensor(x.astype(np.float32)))
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_softmax_dims(op: str, data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    check(lambda m, t: getattr(t, op)(dim), [data.draw(arrays(shape))])


def test_softmax_matches_functional() -> None:
    x = fl.randn(3, 4)
    np.testing.assert_array_equal(x.softmax(1).numpy(), F.softmax(x, dim=1).numpy())
    np.testing.assert_array_equal(x.log_softmax(0).numpy(), F.log_softmax(x, dim=0).numpy())


# ---- grad_fn names users see in the repr -------------------------------------------------------
NAMED: dict[str, tuple[Expr, list[tuple[int, ...]]]] = {
    "scalar/tensor": (lambda m, a: 2 / a, [(2, 3)]),
    "tensor/tensor": (lambda m, a, b: a / b, [(2, 3), (3,)]),
    "scalar**tensor": (lambda m, a: 2**a, [(2, 3)]),
    "tensor**tensor": (lambda m, a, b: a**b, [(2, 3), (2, 3)]),
    "tensor**0-d": (lambda m, a, b: a**b, [(2, 3), ()]),
    "vector@matrix": (lambda m, a, b: a @ b, [(3,), (3, 4)]),
    "matrix@batch": (lambda m, a, b: a @ b, [(2, 3), (5, 3, 4)]),
    "norm": (lambda m, a: a.norm(), [(2, 3)]),
    "norm_dim": (lambda m, a: a.norm(1, dim=0), [(2, 3)]),
    "t_1d": (lambda m, a: a.t(), [(3,)]),
    "t_0d": (lambda m, a: a.t(), [()]),
    "flatten_1d": (lambda m, a: a.flatten(), [(3,)]),
    "flatten_0d": (lambda m, a: a.flatten(), [()]),
    "reshape_copy": (lambda m, a: a.t().reshape(6), [(2, 3)]),
    "reshape_alias": (lambda m, a: a.t().reshape(3, 2), [(2, 3)]),
    "reshape_alias_split": (lambda m, a: a.t().reshape(3, 1, 2), [(2, 3)]),
    "view_of_transposed": (lambda m, a: a.t().view(3, 2), [(2, 3)]),
    "flatten_one_dim": (lambda m, a: a.flatten(1, 1), [(2, 3)]),
    "flatten_zero_size": (lambda m, a: a.flatten(1), [(0, 2, 3)]),
    "flatten_copy": (lambda m, a: a.t().flatten(), [(2, 3)]),
    "index_ellipsis_int": (lambda m, a: a[..., 0], [(2, 3)]),
    "index_none": (lambda m, a: a[None], [(2, 3)]),
    "index_all_colons": (lambda m, a: a[:, :], [(2, 3)]),
    "index_ellipsis": (lambda m, a: a[...], [(2, 3)]),
    "index_slice_int": (lambda m, a: a[1:, 0], [(2, 3)]),
    "index_int_slice": (lambda m, a: a[0, 1:], [(2, 3)]),
    "index_0d_tensor": (lambda m, a: a[m.tensor(1)], [(2, 3)]),
    "squeeze_tuple": (lambda m, a: a.squeeze((0, 2)), [(1, 3, 1)]),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_grad_fn_names(name: str) -> None:
    expr, shapes = NAMED[name]
    rng = np.random.default_rng(3)
    check(expr, [rng.uniform(0.5, 2.0, s) for s in shapes])


def test_no_grad_fn_without_requires_grad() -> None:
    x = fl.randn(2, 3)
    for out in (x + 1, x @ x.t(), x.sum(), x[0], x.exp(), x.softmax(0)):
        assert out.grad_fn is None and not out.requires_grad


# ---- the checker itself ---------------------------------------------------------------------
def test_gradcheck_reports_argument_index_and_values() -> None:
    """A deliberately wrong backward (d/dx x^2 = x) is caught and located."""

    def bad_square(x: fl.Tensor) -> fl.Tensor:
        return fl.Tensor._make(x._data**2, (x,), lambda g: (g * x._data,), "PowBackward0")

    x = fl.tensor([[1.0, 2.0]], dtype=fl.float64, requires_grad=True)
    c = fl.tensor([5.0], dtype=fl.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"argument 1 at index \(0,\): analytic .* numeric"):
        gradcheck(lambda a, b: a * 2 + bad_square(b), [x, c])


def test_gradcheck_rejects_float32() -> None:
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [fl.ones(2, requires_grad=True)])


def test_gradcheck_leaves_inputs_alone() -> None:
    x = fl.tensor([1.0, 2.0], dtype=fl.float64, requires_grad=True)
    gradcheck(lambda a: a.exp(), [x])
    assert x.grad is None and x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("sparse", [False, True])
def test_gradcheck_with_ids_and_sparse_grads(sparse: bool) -> None:
    """Integer ids are passed through untouched; a RowSparseTensor grad is densified."""
    weight = fl.randn(5, 3, dtype=fl.float64, requires_grad=True)
    ids = fl.tensor([[0, 4, 4], [2, 0, 1]])
    gradcheck(lambda i, w: F.embedding(i, w, sparse=sparse) * 2, [ids, weight], ids=(0,))
    with pytest.raises(TypeError, match="ids argument 1"):
        gradcheck(lambda i, w: F.embedding(i, w), [ids, weight], ids=(1,))
