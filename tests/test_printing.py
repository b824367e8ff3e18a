"""firstlayer._printing must print exactly what torch prints: every test compares with torch."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
import torch._tensor_str
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firstlayer._printing import (
    get_printoptions,
    printoptions,
    set_printoptions,
    sparse_coo_repr,
    tensor_repr,
)

DTYPES = [np.bool_, np.int32, np.int64, np.float16, np.float32, np.float64]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]


@pytest.fixture(autouse=True)
def _default_printoptions() -> Iterator[None]:
    """Every test starts and ends with both libraries on their default options."""
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def torch_extras(t: torch.Tensor) -> list[str]:
    """The autograd suffix torch shows for ``t``, the way a caller of tensor_repr builds it."""
    if t.grad_fn is not None:
        return [f"grad_fn=<{type(t.grad_fn).__name__}>"]
    if t.requires_grad:
        return ["requires_grad=True"]
    return []


def assert_same(a: np.ndarray) -> None:
    expected = repr(torch.from_numpy(np.array(a, copy=True)))
    assert tensor_repr(a) == expected


def assert_same_with_grad(a: np.ndarray) -> None:
    """Also compare a requires_grad leaf and a tensor with a grad_fn (floats only)."""
    leaf = torch.from_numpy(np.array(a, copy=True)).requires_grad_()
    assert tensor_repr(a, torch_extras(leaf)) == repr(leaf)
    made = leaf * 1
    assert tensor_repr(made.detach().numpy(), torch_extras(made)) == repr(made)


# --------------------------------------------------------------------------------------------
# Hand-picked cases
# --------------------------------------------------------------------------------------------

_rng = np.random.default_rng(1234)


def _normal(*shape: int, dtype: type = np.float32, scale: float = 1.0) -> np.ndarray:
    return (_rng.standard_normal(shape) * scale).astype(dtype)


HAND_PICKED: dict[str, np.ndarray] = {
    # 0-d
    "scalar_float": np.array(3.5, np.float32),
    "scalar_whole_float": np.array(3.0, np.float32),
    "scalar_int": np.array(2, np.int64),
    "scalar_int32": np.array(-7, np.int32),
    "scalar_bool": np.array(True),
    "scalar_nan": np.array(np.nan, np.float32),
    "scalar_neg_zero": np.array(-0.0, np.float64),
    "scalar_tiny": np.array(1e-7, np.float32),
    "scalar_half": np.array(0.1, np.float16),
    # plain 1-D / 2-D
    "eye": np.eye(2, dtype=np.float32),
    "whole_floats": np.array([1.0, -2.0, 30.0], np.float32),
    "decimals": np.array([0.5, -1.25, 3.0], np.float32),
    "sci_small": np.array([1e-5, 3.0], np.float32),
    "sci_ratio": np.array([1.0, 1001.0, 0.5], np.float32),
    "no_sci_ratio_1000": np.array([1.0, 1000.0, 0.5], np.float64),
    "huge": np.array([1e10, 2.5e10, -3e10], np.float32),
    "huge_whole_f64": np.array([1e10, 1.0], np.float64),
    "just_above_1e8": np.array([100000001.0, 1.0e8], np.float64),
    "tiny": np.array([1e-7, -2e-7, 3.3e-7], np.float32),
    "mixed_magnitudes": np.array([[1e-3, 1e3], [-5.5, 1e6]], np.float64),
    "specials": np.array([np.inf, -np.inf, np.nan, 1.5, -0.0, 0.0], np.float32),
    "specials_whole": np.array([np.inf, np.nan, 2.0, -0.0], np.float32),
    "only_specials": np.array([np.inf, np.nan, -np.inf], np.float64),
    "only_zeros": np.zeros((2, 3), np.float32),
    "neg_zero_column": np.array([[-0.0, 1.0], [2.0, 3.0]], np.float32),
    "neg_zero_decimals": np.array([[-0.0, 1.5], [2.0, 3.0]], np.float32),
    "specials_sci": np.array([np.nan, 1e-9, -np.inf, 1.0], np.float32),
    "negatives": _normal(4, 5),
    "ints_negative": np.array([[-100, 2, 3], [4, -5, 66666]], np.int64),
    "ints_int32": np.arange(-6, 6, dtype=np.int32).reshape(3, 4),
    "bools": np.array([[True, False], [False, True]]),
    "bools_all_true": np.ones((2, 2), np.bool_),
    "half": _normal(3, 4, dtype=np.float16),
    "half_whole": np.array([1.0, 2048.0, -3.0], np.float16),
    "half_inf": np.array([65504.0, np.inf, 1e-4], np.float16),
    "double": _normal(3, 3, dtype=np.float64, scale=100.0),
    # higher dimensions
    "3d": _normal(2, 3, 4),
    "4d": _normal(2, 2, 3, 2, dtype=np.float64),
    "4d_ints": np.arange(48, dtype=np.int64).reshape(2, 2, 3, 4),
    "3d_bools": _rng.random((2, 2, 3)) < 0.5,
    # rows wider than the line
    "wide_row": _normal(30),
    "wide_rows_2d": _normal(3, 25),
    "wide_ints": np.arange(-50, 50, dtype=np.int64),
    "wide_sci": _normal(20, scale=1e9),
    "wide_3d": _normal(2, 2, 20, dtype=np.float64),
    # summarised (> 1000 elements)
    "summary_1d": np.arange(2000, dtype=np.int64),
    "summary_1d_float": _normal(1001),
    "summary_2d": _normal(40, 40),
    "summary_2d_one_long_axis": _normal(2, 600),
    "summary_3d": _normal(12, 10, 11),
    "summary_4d": np.arange(5 * 6 * 7 * 8, dtype=np.int32).reshape(5, 6, 7, 8),
    "summary_hides_big_values": np.concatenate(
        [np.ones(3), np.full(1000, 1e12), np.ones(3)]
    ).astype(np.float32),
    "summary_bool": _rng.random((30, 40)) < 0.5,
    # empty
    "empty_0": np.zeros(0, np.float32),
    "empty_0_int64": np.zeros(0, np.int64),
    "empty_0_bool": np.zeros(0, np.bool_),
    "empty_0_half": np.zeros(0, np.float16),
    "empty_0x3": np.zeros((0, 3), np.float32),
    "empty_2x0": np.zeros((2, 0), np.float64),
    "empty_2x0x3": np.zeros((2, 0, 3), np.int32),
    "empty_2x0x3_float": np.zeros((2, 0, 3), np.float32),
}


@pytest.mark.parametrize("name", list(HAND_PICKED))
def test_hand_picked(name: str) -> None:
    a = HAND_PICKED[name]
    assert_same(a)
    if a.dtype.kind == "f":
        assert_same_with_grad(a)


def test_examples_from_the_docs() -> None:
    assert tensor_repr(np.eye(2, dtype=np.float32)) == "tensor([[1., 0.],\n        [0., 1.]])"
    assert tensor_repr(np.array(3.5, np.float32)) == "tensor(3.5000)"
    assert tensor_repr(np.array(2)) == "tensor(2)"
    assert tensor_repr(np.array(True)) == "tensor(True)"
    assert tensor_repr(np.array([1e-5, 3], np.float32)) == "tensor([1.0000e-05, 3.0000e+00])"
    assert tensor_repr(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert tensor_repr(np.zeros(0, np.int64)) == "tensor([], dtype=torch.int64)"
    assert tensor_repr(np.ones(2, np.float64)) == "tensor([1., 1.], dtype=torch.float64)"


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8])
def test_other_integer_dtypes(dtype: type) -> None:
    assert_same(np.array([[1, 2], [3, 100]], dtype))


def test_unsupported_dtype() -> None:
    with pytest.raises(TypeError):
        tensor_repr(np.array(["a"]))


def test_non_contiguous_input() -> None:
    a = _normal(6, 8, dtype=np.float64)
    assert_same(a.T)
    assert_same(a[::2, ::-3])


# --------------------------------------------------------------------------------------------
# Suffixes: grad_fn / requires_grad, and where they wrap
# --------------------------------------------------------------------------------------------


def test_embedding_grad_fn() -> None:
    weight = torch.nn.Parameter(torch.randn(10, 2))
    out = torch.nn.functional.embedding(torch.tensor([3]), weight)
    text = tensor_repr(out.detach().numpy(), ["grad_fn=<EmbeddingBackward0>"])
    assert text == repr(out)
    assert text.endswith("]], grad_fn=<EmbeddingBackward0>)")


@pytest.mark.parametrize("n", range(1, 40))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_suffix_wraps_like_torch(n: int, dtype: type) -> None:
    """Lengths chosen so the last line ends on every column around the line width."""
    a: np.ndarray = np.linspace(-1, 1, n).astype(dtype)
    assert_same_with_grad(a)
    assert_same_with_grad(a.reshape(1, n))


def test_several_extras_keep_their_order() -> None:
    a = np.array([1.5, 2.5], np.float64)
    long = "x" * 70
    assert tensor_repr(a, ["a=1", long, "b=2"]) == (
        f"tensor([1.5000, 2.5000], dtype=torch.float64, a=1,\n       {long},\n       b=2)"
    )


def test_parameter_repr() -> None:
    p = torch.nn.Parameter(torch.randn(3, 4))
    ours = "Parameter containing:\n" + tensor_repr(p.detach().numpy(), torch_extras(p))
    assert ours == repr(p)


class _Subclass(torch.Tensor):
    pass


@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 3, 30)])
def test_other_prefix(shape: tuple[int, ...]) -> None:
    """Subclasses print their class name instead of "tensor(" and indent by its length."""
    a = _normal(*shape, dtype=np.float64)
    t = torch.from_numpy(a.copy()).as_subclass(_Subclass)
    assert tensor_repr(a, prefix="_Subclass(") == repr(t)


# --------------------------------------------------------------------------------------------
# Random arrays (hypothesis)
# --------------------------------------------------------------------------------------------


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, ...]:
    ndim = draw(st.integers(0, 4))
    if draw(st.integers(0, 9)) == 0:  # now and then a bigger one, often summarised
        big = [draw(st.integers(1, 1500))] + [draw(st.integers(1, 12)) for _ in range(ndim - 1)]
        return tuple(big[:ndim])
    return tuple(draw(st.integers(0, 7)) for _ in range(ndim))


@st.composite
def mixed_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays whose values come from a mix of distributions, generated by a seeded NumPy RNG."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(shapes())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    if dtype == np.bool_:
        return rng.random(shape) < draw(st.floats(0, 1))
    if dtype.kind == "i":
        digits = draw(st.integers(0, 9 if dtype == np.int32 else 18))
        return rng.integers(-(10**digits), 10**digits, shape, endpoint=True).astype(dtype)

    scale = 10.0 ** draw(st.integers(-6, 9))
    whole = rng.integers(-1000, 1000, shape).astype(np.float64)
    normal = rng.standard_normal(shape) * scale
    pick = rng.random(shape)
    p_whole = draw(st.sampled_from([0.0, 0.3, 1.0]))
    values = np.where(pick < p_whole, whole, normal)
    if draw(st.booleans()):  # sprinkle specials
        specials = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
        special_at = rng.random(shape) < draw(st.sampled_from([0.05, 0.3, 1.0]))
        values = np.where(special_at, rng.choice(specials, shape), values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float16 overflow to inf is fine
        return values.astype(dtype)


def raw_float_arrays() -> st.SearchStrategy[np.ndarray]:
    """Any float bit pattern hypothesis likes: subnormals, extremes, signed zeros, nan."""
    return st.sampled_from(FLOAT_DTYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    )


HYPOTHESIS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPOTHESIS
@given(mixed_arrays())
def test_random_arrays(a: np.ndarray) -> None:
    assert_same(a)


@settings(max_examples=150, deadline=None)
@given(raw_float_arrays())
def test_raw_float_arrays(a: np.ndarray) -> None:
    assert_same(a)


@settings(max_examples=100, deadline=None)
@given(mixed_arrays().filter(lambda a: a.dtype.kind == "f"))
def test_random_arrays_with_grad(a: np.ndarray) -> None:
    assert_same_with_grad(a)


# --------------------------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------------------------


def test_get_printoptions_matches_torch() -> None:
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    all_kwargs: list[dict[str, Any]] = [
        {"profile": "short"},
        {"profile": "full"},
        {"precision": 6, "sci_mode": True},
        {"precision": 2},  # leaving sci_mode out resets it to None, in both
        {"profile": "full", "edgeitems": 1, "linewidth": 120},
        {"profile": "no-such-profile", "threshold": 5},
        {"profile": "default"},
    ]
    for kwargs in all_kwargs:
        set_printoptions(**kwargs)
        torch.set_printoptions(**kwargs)
        assert get_printoptions() == torch._tensor_str.get_printoptions(), kwargs


@pytest.mark.parametrize("profile", ["default", "short", "full"])
def test_profiles(profile: str) -> None:
    set_printoptions(profile=profile)
    torch.set_printoptions(profile=profile)
    for a in [_normal(40, 40), np.arange(1200, dtype=np.int64), _normal(3, 7, dtype=np.float64)]:
        assert_same(a)


def test_printoptions_context_restores() -> None:
    before = get_printoptions()
    with printoptions(precision=1, sci_mode=False):
        assert tensor_repr(np.array([1.25, 3.5], np.float32)) == "tensor([1.2, 3.5])"
    assert get_printoptions() == before


@settings(max_examples=300, deadline=None)
@given(
    a=mixed_arrays(),
    precision=st.integers(0, 8),
    threshold=st.sampled_from([0, 1, 5, 20, 100, 1000]),
    edgeitems=st.integers(0, 4),
    linewidth=st.integers(5, 150),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_random_printoptions(
    a: np.ndarray,
    precision: int,
    threshold: int,
    edgeitems: int,
    linewidth: int,
    sci_mode: bool | None,
) -> None:
    options: dict[str, Any] = dict(
        precision=precision,
        threshold=threshold,
        edgeitems=edgeitems,
        linewidth=linewidth,
        sci_mode=sci_mode,
    )
    set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        assert_same(a)
        if a.dtype.kind == "f":
            assert_same_with_grad(a)
    finally:
        set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


# --------------------------------------------------------------------------------------------
# Sparse COO
# --------------------------------------------------------------------------------------------


def assert_same_sparse(s: torch.Tensor) -> None:
    indices = s._indices().detach().numpy()
    values = s._values().detach().numpy()
    ours = sparse_coo_repr(indices, values, tuple(s.shape), torch_extras(s))
    assert ours == repr(s)


def _sparse(indices: list[list[int]], values: np.ndarray, size: tuple[int, ...]) -> torch.Tensor:
    return torch.sparse_coo_tensor(
        torch.tensor(indices, dtype=torch.int64).reshape(len(size) - values.ndim + 1, -1),
        torch.from_numpy(values),
        size,
        check_invariants=False,
    )


def test_sparse_embedding_gradient() -> None:
    emb = torch.nn.Embedding(10, 3, sparse=True)
    emb(torch.tensor([1, 4, 1])).sum().backward()
    grad = emb.weight.grad
    assert grad is not None
    assert_same_sparse(grad)  # uncoalesced: index 1 twice
    assert_same_sparse(grad.coalesce())
    expected = (
        "tensor(indices=tensor([[1, 4]]),\n"
        "       values=tensor([[2., 2., 2.],\n"
        "                      [1., 1., 1.]]),\n"
        "       size=(10, 3), nnz=2, layout=torch.sparse_coo)"
    )
    assert repr(grad.coalesce()) == expected


def test_sparse_empty() -> None:
    assert_same_sparse(torch.sparse_coo_tensor(size=(10, 3), check_invariants=False))  # type: ignore[call-arg]
    assert_same_sparse(_sparse([], np.zeros((0, 4), np.float32), (6, 4)))


def test_sparse_with_autograd_suffixes() -> None:
    values = np.array([[1.0, 2.0], [3.0, 4.5]], np.float64)
    leaf = _sparse([[0, 2]], values, (5, 2)).requires_grad_()
    assert_same_sparse(leaf)
    assert_same_sparse(leaf * 2)  # grad_fn=<MulBackward0>


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_dtypes(dtype: type) -> None:
    values: np.ndarray = (np.arange(6).reshape(3, 2) - 2).astype(dtype)
    assert_same_sparse(_sparse([[0, 5, 7]], values, (8, 2)))


def test_sparse_scalar_values_and_several_sparse_dims() -> None:
    values = np.array([0.5, -1e-6, 3.0], np.float32)
    assert_same_sparse(_sparse([[0, 1, 2], [2, 0, 1]], values, (3, 3)))


def test_sparse_large() -> None:
    """Long index rows wrap; more than 1000 values are summarised."""
    nnz = 400
    values = _normal(nnz, 8)
    indices = [list(range(0, 2 * nnz, 2))]
    assert_same_sparse(_sparse(indices, values, (2 * nnz, 8)))


def test_sparse_bad_shapes() -> None:
    with pytest.raises(ValueError):
        sparse_coo_repr(np.zeros((1, 3), np.int64), np.zeros((2, 4)), (5, 4))


def test_suffix_that_would_end_at_column_80_wraps() -> None:
    """Torch overestimates the last line by two, so an 80-column line already wraps."""
    a = np.zeros(18, np.int8)  # inline it would be exactly 80 characters
    assert tensor_repr(a) == repr(torch.from_numpy(a))
    assert tensor_repr(a).endswith("0],\n       dtype=torch.int8)")
