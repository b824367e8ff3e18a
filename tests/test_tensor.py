"""The Tensor core against torch: factories, dtype inference and promotion, randomness, grad
mode, properties and conversions, memory sharing, in-place rules and the repr wiring."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import firstlayer as fl
import firstlayer.nn as nn

DTYPE_NAMES = ["bool", "int32", "int64", "float16", "float32", "float64"]


def ours(name: str) -> fl.dtype:
    return getattr(fl, name)


def theirs(name: str) -> torch.dtype:
    return getattr(torch, name)


def same_dtype(a: Any, b: Any) -> bool:
    return repr(a) == repr(b)


# ---- tensor(): dtype inference ---------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [1, -3, 2.5, True, [1, 2], [1.0, 2], [True, False], [True, 2], [[1, 2], [3, 4]],
     [[1.5], [2.0]], [], [[]], [[True], [False]], 0.0, [1, 2.0, True]],
    ids=repr,
)
def test_tensor_infers_dtype_from_python_data(data: Any) -> None:
    a, b = fl.tensor(data), torch.tensor(data)
    assert same_dtype(a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_tensor_keeps_numpy_dtypes(name: str) -> None:
    arr = np.array([[0, 1], [1, 0]], dtype=getattr(np, "bool_" if name == "bool" else name))
    for data in (arr, arr[0, 0]):  # arrays and NumPy scalars alike
        a, b = fl.tensor(data), torch.tensor(data)
        assert same_dtype(a.dtype, b.dtype)
        assert a.tolist() == b.tolist()


@pytest.mark.parametrize("src,dst", list(itertools.product(DTYPE_NAMES, DTYPE_NAMES)))
def test_tensor_with_explicit_dtype(src: str, dst: str) -> None:
    arr = np.array([0, 1, 3], dtype=getattr(np, "bool_" if src == "bool" else src))
    a, b = fl.tensor(arr, dtype=ours(dst)), torch.tensor(arr, dtype=theirs(dst))
    assert same_dtype(a.dtype, b.dtype)
    assert a.tolist() == b.tolist()


def test_tensor_copies_and_accepts_tensors() -> None:
    arr = np.zeros(3, np.float32)
    t = fl.tensor(arr)
    arr[0] = 1
    assert t.tolist() == [0.0, 0.0, 0.0]
    nested = fl.tensor([fl.tensor(1.0), fl.tensor(2.0)])
    assert nested.tolist() == [1.0, 2.0] and same_dtype(nested.dtype, torch.float32)
    with pytest.raises(ValueError, match="ragged"):
        fl.tensor([[1, 2], [3]])


# ---- as_tensor / from_numpy memory sharing ------------------------------------------------------
def test_from_numpy_shares_memory_both_ways() -> None:
    arr = np.zeros((2, 2), np.float64)
    t = fl.from_numpy(arr)
    assert same_dtype(t.dtype, torch.from_numpy(arr).dtype)
    arr[0, 0] = 5
    assert t[0, 0].item() == 5
    t[1, 1] = 7
    assert arr[1, 1] == 7
    with pytest.raises(TypeError):
        fl.from_numpy([1, 2])


def test_as_tensor_shares_when_it_can() -> None:
    arr = np.arange(3, dtype=np.float32)
    shared = fl.as_tensor(arr)
    arr[0] = 9
    assert shared[0].item() == 9  # torch.as_tensor shares here too
    copied = fl.as_tensor(arr, dtype=fl.float64)
    arr[1] = 9
    assert copied[1].item() == 1 and same_dtype(copied.dtype, torch.float64)
    t = fl.ones(2)
    assert fl.as_tensor(t) is t
    assert fl.as_tensor([1, 2]).tolist() == [1, 2]


# ---- factories ---------------------------------------------------------------------------
SIZE_FORMS: list[Callable[[tuple[int, ...]], tuple[tuple, dict]]] = [
    lambda s: (s, {}),  # zeros(2, 3)
    lambda s: ((s,), {}),  # zeros((2, 3))
    lambda s: ((list(s),), {}),  # zeros([2, 3])
]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("form", range(3))
@pytest.mark.parametrize("shape", [(2, 3), (0,), (3, 0, 2), (), (1,)])
def test_size_factories(fn: str, form: int, shape: tuple[int, ...]) -> None:
    args, kw = SIZE_FORMS[form](shape)
    if not args:  # zeros() with no sizes: a 0-d tensor in torch
        args = ((),)
    a, b = getattr(fl, fn)(*args, **kw), getattr(torch, fn)(*args, **kw)
    assert tuple(a.shape) == tuple(b.shape)
    assert same_dtype(a.dtype, b.dtype)
    if fn in ("zeros", "ones"):
        assert a.tolist() == b.tolist()
    if fn == "rand":
        assert np.all((a.numpy() >= 0) & (a.numpy() < 1))


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_size_factories_dtype_and_requires_grad(fn: str, name: str) -> None:
    a = getattr(fl, fn)(2, 3, dtype=ours(name), requires_grad=True)
    b = getattr(torch, fn)(2, 3, dtype=theirs(name), requires_grad=True)
    assert same_dtype(a.dtype, b.dtype) and a.requires_grad and a.is_leaf


@pytest.mark.parametrize(
    "make,bad",
    [(lambda m: m.zeros(2, -1), -1), (lambda m: m.ones((-3,)), -3),
     (lambda m: m.empty([2, -2]), -2), (lambda m: m.full((-1, 2), 1.0), -1),
     (lambda m: m.rand(-1), -1), (lambda m: m.randn(2, -5), -5),
     (lambda m: m.randint(0, 5, (-4,)), -4), (lambda m: m.randperm(-1), -1)],
)
def test_negative_sizes_are_errors_naming_the_size(make: Callable[[Any], Any], bad: int) -> None:
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError, match=f"negative dimension {bad}"):
        make(fl)


def test_eye_and_full() -> None:
    for args in [(3,), (2, 4), (0,), (3, 0)]:
        assert fl.eye(*args).tolist() == torch.eye(*args).tolist()
        assert same_dtype(fl.eye(*args).dtype, torch.eye(*args).dtype)
    assert same_dtype(fl.eye(2, dtype=fl.int64).dtype, torch.int64)
    for value in (1, 1.5, True):
        a, b = fl.full((2, 3), value), torch.full((2, 3), value)
        assert same_dtype(a.dtype, b.dtype) and a.tolist() == b.tolist()
    a, b = fl.full([2], 3, dtype=fl.float64), torch.full([2], 3, dtype=torch.float64)
    assert same_dtype(a.dtype, b.dtype) and a.tolist() == b.tolist()


@pytest.mark.parametrize(
    "args", [(5,), (0,), (2, 7), (1, 10, 3), (0, 1, 0.25), (5.0,), (-2, 2), (0.5, 2.5), (3, 0, -1)],
    ids=repr,
)
def test_arange(args: tuple) -> None:
    a, b = fl.arange(*args), torch.arange(*args)
    assert same_dtype(a.dtype, b.dtype)
    np.testing.assert_allclose(a.numpy(), b.numpy())


def test_randint_randperm() -> None:
    fl.manual_seed(0)
    r = fl.randint(3, 7, (4, 5))
    assert same_dtype(r.dtype, torch.randint(3, 7, (4, 5)).dtype)
    assert r.shape == (4, 5) and r.numpy().min() >= 3 and r.numpy().max() < 7
    assert fl.randint(5, (3,)).numpy().max() < 5  # randint(high, size)
    p = fl.randperm(10)
    assert same_dtype(p.dtype, torch.randperm(10).dtype)
    assert sorted(p.tolist()) == list(range(10))
    assert fl.randperm(0).shape == (0,)


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                "randn_like"])
@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_like_factories(fn: str, name: str) -> None:
    src_a = fl.zeros(2, 0, 3, dtype=ours(name))
    src_b = torch.zeros(2, 0, 3, dtype=theirs(name))
    a, b = getattr(fl, fn)(src_a), getattr(torch, fn)(src_b)
    assert tuple(a.shape) == tuple(b.shape) and same_dtype(a.dtype, b.dtype)
    a = getattr(fl, fn)(fl.zeros(2, 3, dtype=ours(name)), dtype=fl.float64, requires_grad=True)
    assert same_dtype(a.dtype, torch.float64) and a.requires_grad


def test_full_like_keeps_dtype() -> None:
    a = fl.full_like(fl.zeros(2, dtype=fl.int32), 7)
    b = torch.full_like(torch.zeros(2, dtype=torch.int32), 7)
    assert same_dtype(a.dtype, b.dtype) and a.tolist() == b.tolist()


# ---- dtype promotion ---------------------------------------------------------------------------
def _make(m: Any, name: str, zero_dim: bool) -> Any:
    shape = () if zero_dim else (2,)
    return m.ones(shape, dtype=getattr(m, name))


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPE_NAMES, DTYPE_NAMES)))
@pytest.mark.parametrize("dims", [(False, False), (True, False), (False, True), (True, True)])
def test_promotion_between_tensors(a: str, b: str, dims: tuple[bool, bool]) -> None:
    """Result dtypes of + * / (and -, comparisons) for every pair, with 0-d operands taking
    part like scalars; torch.result_type is the reference."""
    xa, xb = _make(fl, a, dims[0]), _make(fl, b, dims[1])
    ta, tb = _make(torch, a, dims[0]), _make(torch, b, dims[1])
    expected = torch.result_type(ta, tb)
    ops: list[Callable[[Any, Any], Any]] = [lambda x, y: x + y, lambda x, y: x * y,
                                            lambda x, y: x / y, lambda x, y: x == y]
    if "bool" not in (a, b):
        ops.append(lambda x, y: x - y)
    for op in ops:
        got, want = op(xa, xb), op(ta, tb)
        assert same_dtype(got.dtype, want.dtype), (a, b, dims)
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   want.numpy().astype(np.float64))
    assert same_dtype((xa + xb).dtype, expected)


@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("scalar", [True, 2, 2.5, -1])
@pytest.mark.parametrize("zero_dim", [False, True])
def test_promotion_with_python_scalars(name: str, scalar: Any, zero_dim: bool) -> None:
    x, t = _make(fl, name, zero_dim), _make(torch, name, zero_dim)
    assert same_dtype((x + scalar).dtype, torch.result_type(t, scalar))
    for op in (lambda u, s: u + s, lambda u, s: s + u, lambda u, s: u * s, lambda u, s: s * u,
               lambda u, s: u / s, lambda u, s: s / u):
        got, want = op(x, scalar), op(t, scalar)
        assert same_dtype(got.dtype, want.dtype), (name, scalar)
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(got.numpy().astype(np.float64),
                                       want.numpy().astype(np.float64))
    if name != "bool" and not isinstance(scalar, bool):
        for op in (lambda u, s: u - s, lambda u, s: s - u):
            got, want = op(x, scalar), op(t, scalar)
            assert same_dtype(got.dtype, want.dtype)
            assert got.tolist() == want.tolist()


def test_dtype_objects() -> None:
    for name in DTYPE_NAMES:
        assert repr(ours(name)) == repr(theirs(name))
        assert ours(name).is_floating_point == theirs(name).is_floating_point
    for alias in ["long", "int", "float", "double", "half"]:
        assert repr(getattr(fl, alias)) == repr(getattr(torch, alias))


# ---- randomness -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "draw",
    [lambda g: fl.rand(3, 2, generator=g), lambda g: fl.randn(4, generator=g),
     lambda g: fl.randint(0, 100, (5,), generator=g), lambda g: fl.randperm(8, generator=g),
     lambda g: fl.empty(3).uniform_(-1, 1, generator=g),
     lambda g: fl.empty(3).normal_(2, 3, generator=g)],
)
def test_seeds_reproduce(draw: Callable[[Any], fl.Tensor]) -> None:
    fl.manual_seed(123)
    first = draw(None).tolist()
    fl.manual_seed(123)
    assert draw(None).tolist() == first
    g1, g2 = fl.Generator().manual_seed(7), fl.Generator().manual_seed(7)
    assert draw(g1).tolist() == draw(g2).tolist()


def test_generator_is_independent_of_the_global_seed() -> None:
    g = fl.Generator().manual_seed(1)
    expected = fl.randn(5, generator=g).tolist()
    fl.manual_seed(99)
    g.manual_seed(1)
    fl.randn(10)  # consuming the global stream must not move g
    assert fl.randn(5, generator=g).tolist() == expected
    fl.manual_seed(5)
    a = fl.rand(3).tolist()
    fl.manual_seed(5)
    fl.rand(3, generator=fl.Generator().manual_seed(0))  # nor g the global one
    assert fl.rand(3).tolist() == a
    assert fl.manual_seed(3).initial_seed() == 3 == fl.initial_seed()


def test_generator_state_round_trip() -> None:
    g = fl.Generator().manual_seed(4)
    state = g.get_state()
    a = fl.rand(4, generator=g).tolist()
    g.set_state(state)
    assert fl.rand(4, generator=g).tolist() == a


# ---- grad mode ------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_nest() -> None:
    x = fl.ones(2, requires_grad=True)
    assert fl.is_grad_enabled()
    with fl.no_grad():
        assert not fl.is_grad_enabled()
        y = x * 2
        assert y.grad_fn is None and not y.requires_grad
        with fl.enable_grad():
            assert fl.is_grad_enabled()
            z = x * 2
            assert z.grad_fn is not None and z.requires_grad
            with fl.no_grad():
                assert (x * 2).grad_fn is None
            assert fl.is_grad_enabled()
        assert not fl.is_grad_enabled()
    assert fl.is_grad_enabled()


def test_grad_mode_restored_after_exception() -> None:
    with pytest.raises(ValueError), fl.no_grad():
        raise ValueError("boom")
    assert fl.is_grad_enabled()


def test_grad_mode_decorators() -> None:
    x = fl.ones(2, requires_grad=True)

    @fl.no_grad()
    def off() -> fl.Tensor:
        return x * 2

    @fl.enable_grad()
    def on() -> fl.Tensor:
        return x * 2

    @fl.set_grad_enabled(False)
    def off2() -> fl.Tensor:
        return x * 2

    assert off().grad_fn is None and off2().grad_fn is None and fl.is_grad_enabled()
    with fl.no_grad():
        assert on().grad_fn is not None
        assert not fl.is_grad_enabled()
    assert off.__name__ == "off"  # functools.wraps


def test_set_grad_enabled_context_and_call() -> None:
    x = fl.ones(2, requires_grad=True)
    with fl.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
        with fl.set_grad_enabled(True):
            assert (x * 2).grad_fn is not None
        assert not fl.is_grad_enabled()
    assert fl.is_grad_enabled()
    # As a plain call it switches the mode at once, like torch.set_grad_enabled(False).
    fl.set_grad_enabled(False)
    try:
        assert not fl.is_grad_enabled() and (x * 2).grad_fn is None
    finally:
        fl.set_grad_enabled(True)
    assert fl.is_grad_enabled()


# ---- properties and conversions ---------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(arr=hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.bool_]),
                      hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                      elements={"allow_nan": False}))
def test_properties_match_torch(arr: np.ndarray) -> None:
    a, b = fl.tensor(arr), torch.tensor(arr)
    assert a.shape == b.shape and repr(a.shape) == repr(b.shape)
    assert a.size() == b.size() and a.dim() == b.dim() and a.ndim == b.ndim
    assert a.numel() == b.numel()
    assert same_dtype(a.dtype, b.dtype)
    for d in range(-a.dim(), a.dim()):
        assert a.size(d) == b.size(d)
    assert a.tolist() == b.tolist()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.is_floating_point() == b.is_floating_point()
    if a.numel() == 1:
        assert a.item() == b.item() and type(a.item()) is type(b.item())
    else:
        with pytest.raises(RuntimeError):
            a.item()
    if a.dim() > 0:
        assert len(a) == len(b)


def test_size_object() -> None:
    for shape in [(2, 3), (), (0,), (1, 0, 4)]:
        assert repr(fl.zeros(shape).shape) == repr(torch.zeros(shape).shape)
        assert fl.zeros(shape).shape == torch.Size(shape)
        assert fl.Size(shape).numel() == torch.Size(shape).numel()
    assert fl.zeros(2, 3).size() == (2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        fl.zeros(2, 3).size(2)


def test_numpy_shares_memory_and_refuses_requires_grad() -> None:
    t = fl.zeros(3)
    t.numpy()[0] = 4
    assert t[0].item() == 4
    x = fl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as ours_err:
        x.numpy()
    with pytest.raises(RuntimeError) as torch_err:
        torch.ones(2, requires_grad=True).numpy()
    assert str(ours_err.value) == str(torch_err.value)
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_detach_shares_memory_without_history() -> None:
    x = fl.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    d[0] = 10  # writes show in y, as in torch
    assert y[0].item() == 10


def test_data_shares_memory_and_has_no_history() -> None:
    w = nn.Parameter(fl.zeros(2, 2))
    d = w.data
    assert not d.requires_grad and d.grad_fn is None
    d.uniform_(-1, 1)  # the seed's embedding.weight.data.uniform_(-1, 1)
    assert np.all(np.abs(w.detach().numpy()) <= 1) and np.any(w.detach().numpy() != 0)
    y = (w * 3).sum()
    assert y.data.grad_fn is None and y.data.item() == y.item()
    w.data = fl.ones(2, 2)  # the setter swaps the values, keeps the Parameter
    assert w.tolist() == [[1.0, 1.0], [1.0, 1.0]] and w.requires_grad


INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "uniform_": lambda m, t: t.uniform_(-1, 1),
    "normal_": lambda m, t: t.normal_(0, 1),
    "zero_": lambda m, t: t.zero_(),
    "fill_": lambda m, t: t.fill_(2.0),
    "copy_": lambda m, t: t.copy_(m.full((2, 3), 3.0)),
    "add_": lambda m, t: t.add_(1.0),
    "mul_": lambda m, t: t.mul_(2.0),
    "setitem": lambda m, t: t.__setitem__(0, 5.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_leaf_requiring_grad(name: str) -> None:
    """Refused like torch (RuntimeError naming the leaf), allowed under no_grad and via .data."""
    op = INPLACE[name]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        op(torch, torch.ones(2, 3, requires_grad=True))
    x = fl.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        op(fl, x)
    assert x.tolist() == [[1.0] * 3] * 2  # nothing written
    with fl.no_grad():
        op(fl, x)
    y = fl.ones(2, 3, requires_grad=True)
    op(fl, y.data)
    assert x.requires_grad and y.requires_grad and x.is_leaf and y.is_leaf
    if name not in ("uniform_", "normal_"):  # deterministic: compare the values with torch
        t = torch.ones(2, 3, requires_grad=True)
        with torch.no_grad():
            op(torch, t)
        assert x.tolist() == t.tolist() == y.tolist()


def test_inplace_values_match_torch() -> None:
    a, b = fl.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    for f in (lambda t: t.add_(2), lambda t: t.mul_(3), lambda t: t.sub_(1), lambda t: t.div_(2),
              lambda t: t.add_(t, alpha=2), lambda t: t.clamp_(1, 20)):
        assert f(a) is a
        f(b)
        assert a.tolist() == b.tolist()
    with pytest.raises(RuntimeError, match="broadcast"):
        a.copy_(fl.zeros(4))


def test_requires_grad_only_on_floats() -> None:
    for make in (lambda: fl.tensor([1, 2], requires_grad=True),
                 lambda: fl.tensor([1, 2]).requires_grad_(),
                 lambda: fl.zeros(2, dtype=fl.int64, requires_grad=True),
                 lambda: fl.tensor([True]).requires_grad_()):
        with pytest.raises(RuntimeError, match="floating point"):
            make()
    for name in ("float16", "float32", "float64"):
        assert fl.zeros(2, dtype=ours(name)).requires_grad_().requires_grad


# ---- repr wiring (the printing module has its own tests) -----------------------------------
def _pairs() -> list[tuple[Any, Any]]:
    rows = [[1.0, 0.0], [0.0, 1.0]]
    fx, tx = fl.tensor(rows, requires_grad=True), torch.tensor(rows, requires_grad=True)
    return [
        (fl.tensor(rows), torch.tensor(rows)),
        (fl.tensor([1, 2], dtype=fl.int32), torch.tensor([1, 2], dtype=torch.int32)),
        (fl.tensor([1e-5, 3.0]), torch.tensor([1e-5, 3.0])),
        (fl.tensor(2.5, dtype=fl.float64), torch.tensor(2.5, dtype=torch.float64)),
        (fl.zeros(0, 3), torch.zeros(0, 3)),
        (fx, tx),
        (fx * 2, tx * 2),
        (fx.sum(), tx.sum()),
        (fx[0], tx[0]),
        (fx.t(), tx.t()),
        (nn.Parameter(fl.tensor(rows)), torch.nn.Parameter(torch.tensor(rows))),
        (nn.Parameter(fl.tensor(rows), requires_grad=False),
         torch.nn.Parameter(torch.tensor(rows), requires_grad=False)),
    ]


@pytest.mark.parametrize("i", range(12))
def test_repr_matches_torch(i: int) -> None:
    a, b = _pairs()[i]
    assert repr(a) == repr(b)
    assert str(a) == str(b)


def test_format_of_zero_dim_tensor() -> None:
    assert f"{fl.tensor(1.23456):.2f}" == f"{torch.tensor(1.23456):.2f}"


# ---- view(dtype): the same bytes read as another type ------------------------------------------
_VIEW_DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("src", _VIEW_DTYPES)
@pytest.mark.parametrize("dst", _VIEW_DTYPES)
@pytest.mark.parametrize("shape", [(), (4,), (2, 4), (3, 1), (2, 3), (0, 4)])
def test_view_dtype_reads_the_same_bytes_as_torch(src: str, dst: str, shape: tuple) -> None:
    rng = np.random.default_rng(0)
    data = np.asarray(rng.standard_normal(shape) * 100).astype(src)
    ours = fl.from_numpy(data.copy())
    # torch's own contiguous strides (NumPy gives empty arrays strides of 0)
    theirs = torch.empty(shape, dtype=getattr(torch, src)).copy_(torch.from_numpy(data))
    try:
        expected = theirs.view(getattr(torch, dst))
    except RuntimeError as err:
        with pytest.raises(RuntimeError) as got:
            ours.view(getattr(fl, dst))
        assert str(got.value) == str(err).split("\n")[0]
        return
    got = ours.view(getattr(fl, dst))
    assert got.dtype == getattr(fl, dst) and tuple(got.shape) == tuple(expected.shape)
    assert got._data.tobytes() == expected.numpy().tobytes()
    if got.numel():  # shared memory: writing through the view changes the tensor
        assert np.shares_memory(got._data, ours._data)


def test_view_dtype_of_a_transposed_tensor_and_gradients() -> None:
    x = fl.arange(6, dtype=fl.float32).reshape(2, 3).t()
    with pytest.raises(RuntimeError, match=r"self.stride\(-1\) must be 1 to view Float as Half"):
        x.view(fl.float16)
    assert x.view(fl.int32).shape == (3, 2)  # same size: any layout
    y = fl.tensor([1.0, 2.0], requires_grad=True)
    assert not y.view(fl.int32).requires_grad and y.view(fl.float32).grad_fn is None  # as torch
