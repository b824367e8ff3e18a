"""Tests for firstlayer.nn.init against torch.nn.init (PyTorch 2.13) as the oracle.

Deterministic inits (constant_, eye_, dirac_, gains, fans) must match torch exactly. Random inits
can't: firstlayer draws from NumPy's PCG64, torch from its Mersenne Twister. So they are checked
by distribution instead: bounds, mean and std against the formula and against torch's own
samples, and a Kolmogorov-Smirnov test against the exact distribution. Every random draw here
uses a fixed seed, so the statistical checks are deterministic, not flaky.
"""

from __future__ import annotations

import doctest
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.stats
import torch

import firstlayer as fl
import firstlayer.nn as nn
from firstlayer.nn import init

KS_MIN_P = 1e-3  # p-values of a KS test on a correct sampler are uniform on [0, 1]
BIG = (500, 400)  # 200_000 samples: sample std within ~0.2% of the true std


def gen(seed: int = 0) -> fl.Generator:
    return fl.Generator().manual_seed(seed)


def torch_gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def as_np(t: Any) -> np.ndarray:
    """The values of a firstlayer or a torch tensor as a NumPy array."""
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t._data


def torch_dtype(d: fl.dtype) -> torch.dtype:
    return getattr(torch, d.name)


def assert_same_as_torch(ours: fl.Tensor, theirs: torch.Tensor) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(as_np(ours), as_np(theirs))


def assert_same_error(ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
    """Ours raises the exception type torch raises, and its message contains torch's."""
    with pytest.raises(Exception) as torch_exc:  # noqa: B017  (whatever torch raises)
        theirs()
    with pytest.raises(type(torch_exc.value)) as our_exc:
        ours()
    assert str(torch_exc.value) in str(our_exc.value)


def check_moments(x: np.ndarray, mean: float, std: float, rtol: float = 0.02) -> None:
    """Sample mean within 6 standard errors of ``mean``, sample std within ``rtol`` of ``std``."""
    x = x.astype(np.float64).ravel()
    assert abs(x.mean() - mean) < 6 * std / math.sqrt(x.size)
    assert x.std() == pytest.approx(std, rel=rtol)


def check_ks(x: np.ndarray, dist: Any) -> None:
    p = scipy.stats.kstest(x.astype(np.float64).ravel(), dist.cdf).pvalue
    assert p > KS_MIN_P, f"KS test rejects the distribution (p={p:.2e})"


# ---- deterministic inits: exactly torch ------------------------------------------------------
DTYPES = [fl.float32, fl.float64, fl.float16, fl.int64, fl.int32]


@pytest.mark.parametrize("dtype", DTYPES + [fl.bool])
@pytest.mark.parametrize("val", [0.3, -3.7, 2, 0])
def test_constant_matches_torch(dtype: fl.dtype, val: float) -> None:
    ours = fl.empty(3, 5, dtype=dtype)
    theirs = torch.empty(3, 5, dtype=torch_dtype(dtype))
    assert init.constant_(ours, val) is ours
    assert_same_as_torch(ours, torch.nn.init.constant_(theirs, val))


@pytest.mark.parametrize("dtype", DTYPES + [fl.bool])
@pytest.mark.parametrize("shape", [(3, 5), (7,), (2, 3, 4), (), (0, 4)])
@pytest.mark.parametrize("name", ["ones_", "zeros_"])
def test_ones_zeros_match_torch(name: str, shape: tuple, dtype: fl.dtype) -> None:
    ours = fl.empty(shape, dtype=dtype)
    theirs = torch.empty(shape, dtype=torch_dtype(dtype))
    assert getattr(init, name)(ours) is ours
    assert_same_as_torch(ours, getattr(torch.nn.init, name)(theirs))


@pytest.mark.parametrize("dtype", [fl.float32, fl.float64, fl.int64])
@pytest.mark.parametrize("shape", [(4, 4), (2, 5), (5, 2), (1, 1), (0, 3)])
def test_eye_matches_torch(shape: tuple, dtype: fl.dtype) -> None:
    ours = fl.full(shape, 7, dtype=dtype)  # non-zero start: eye_ must overwrite everything
    theirs = torch.full(shape, 7, dtype=torch_dtype(dtype))
    assert init.eye_(ours) is ours
    assert_same_as_torch(ours, torch.nn.init.eye_(theirs))


DIRAC_CASES = [
    ((4, 4, 3), 1),
    ((6, 3, 5), 1),
    ((3, 6, 4), 1),
    ((6, 3, 5), 2),
    ((6, 2, 5), 3),
    ((4, 2, 3, 3), 1),
    ((3, 5, 2, 4), 1),
    ((8, 4, 3, 3), 4),
    ((6, 4, 3, 3, 3), 1),
    ((6, 4, 3, 2, 5), 2),
    ((2, 2, 1, 1, 1), 2),
]


@pytest.mark.parametrize("dtype", [fl.float32, fl.int64])
@pytest.mark.parametrize(("shape", "groups"), DIRAC_CASES)
def test_dirac_matches_torch(shape: tuple, groups: int, dtype: fl.dtype) -> None:
    ours = fl.full(shape, 7, dtype=dtype)
    theirs = torch.full(shape, 7, dtype=torch_dtype(dtype))
    assert init.dirac_(ours, groups) is ours
    assert_same_as_torch(ours, torch.nn.init.dirac_(theirs, groups))


GAIN_CASES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("relu", 0.5),  # param is ignored except by leaky_relu
    ("selu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0),
    ("leaky_relu", 0.2),
    ("leaky_relu", -0.5),
    ("leaky_relu", 1),
    ("leaky_relu", 3),
    ("leaky_relu", math.sqrt(5)),
]


@pytest.mark.parametrize(("nonlinearity", "param"), GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity: str, param: Any) -> None:
    ours = init.calculate_gain(nonlinearity, param)
    assert ours == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_values() -> None:
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("selu") == 0.75


FAN_SHAPES = [(3, 5), (5, 3), (16, 3, 5), (16, 3, 5, 5), (8, 4, 2, 3, 3), (0, 3), (3, 0, 5), (1, 1)]


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_match_torch(shape: tuple) -> None:
    ours = init._calculate_fan_in_and_fan_out(fl.empty(shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for mode in ["fan_in", "fan_out", "FAN_OUT"]:
        theirs = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
        assert init._calculate_correct_fan(fl.empty(shape), mode) == theirs


def test_fans_of_a_conv_weight() -> None:
    # (out_channels, in_channels, kH, kW): the kernel multiplies both fans.
    assert init._calculate_fan_in_and_fan_out(fl.empty(16, 3, 5, 5)) == (3 * 25, 16 * 25)


def test_same_public_names_as_torch() -> None:
    assert init.__all__ == torch.nn.init.__all__
    for name in init.__all__:
        assert callable(getattr(init, name))
    assert nn.init is init


# ---- plain distributions ---------------------------------------------------------------------
def test_uniform_distribution() -> None:
    a, b = -0.3, 0.7
    x = as_np(init.uniform_(fl.empty(*BIG, dtype=fl.float64), a, b, generator=gen()))
    assert a <= x.min() < a + 1e-4 and b - 1e-4 < x.max() < b
    check_moments(x, (a + b) / 2, (b - a) / math.sqrt(12))
    check_ks(x, scipy.stats.uniform(a, b - a))
    theirs = as_np(torch.nn.init.uniform_(torch.empty(BIG), a, b, generator=torch_gen()))
    check_moments(x, theirs.mean(), theirs.std())


def test_uniform_defaults_to_unit_interval() -> None:
    x = as_np(init.uniform_(fl.empty(1000), generator=gen()))
    assert 0 <= x.min() and x.max() < 1


def test_normal_distribution() -> None:
    mean, std = 0.5, 2.0
    x = as_np(init.normal_(fl.empty(*BIG), mean, std, generator=gen()))
    assert x.dtype == np.float32
    check_moments(x, mean, std)
    check_ks(x, scipy.stats.norm(mean, std))
    theirs = as_np(torch.nn.init.normal_(torch.empty(BIG), mean, std, generator=torch_gen()))
    check_moments(x, theirs.mean(), theirs.std())


TRUNC_CASES = [
    # (mean, std, a, b): the first two go through the "redraw from the normal" sampler,
    # the others (little mass inside [a, b]) through the "accept uniform draws" one.
    (0.0, 1.0, -2.0, 2.0),
    (0.5, 2.0, -math.inf, 1.0),
    (0.0, 1.0, 1.0, 3.0),
    (1.0, 2.0, -1.0, 0.5),
    (0.0, 0.02, -0.01, 0.04),
]


@pytest.mark.parametrize(("mean", "std", "a", "b"), TRUNC_CASES)
def test_trunc_normal_distribution(mean: float, std: float, a: float, b: float) -> None:
    x = as_np(init.trunc_normal_(fl.empty(*BIG, dtype=fl.float64), mean, std, a, b, gen()))
    assert a <= x.min() and x.max() <= b
    dist = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    check_moments(x, dist.mean(), dist.std())
    check_ks(x, dist)
    # torch's sampler is slow on rare intervals: compare against a smaller sample of it.
    theirs = as_np(torch.nn.init.trunc_normal_(torch.empty(100, 100), mean, std, a, b))
    check_moments(theirs, x.mean(), x.std(), rtol=0.05)


def test_trunc_normal_bounds_are_absolute() -> None:
    # std=0.02 with the default [-2, 2]: nothing is cut, the result is just N(0, 0.02²).
    x = as_np(init.trunc_normal_(fl.empty(*BIG), std=0.02, generator=gen()))
    check_moments(x, 0.0, 0.02)


@pytest.mark.parametrize("dtype", [fl.float16, fl.float32, fl.float64])
def test_trunc_normal_stays_inside_bounds_in_the_tensor_dtype(dtype: fl.dtype) -> None:
    # 0.1 is not representable in float32/float16: rounding a sample could overshoot it.
    a, b = -0.1, 0.1
    x = as_np(init.trunc_normal_(fl.empty(*BIG, dtype=dtype), 0.0, 1.0, a, b, gen()))
    assert x.dtype == dtype.np
    assert float(x.min()) >= a and float(x.max()) <= b


def test_trunc_normal_warns_when_mean_is_far_from_the_interval() -> None:
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        x = as_np(init.trunc_normal_(fl.empty(1000), mean=10.0, generator=gen()))
    assert -2 <= x.min() and x.max() <= 2


# ---- Xavier and Kaiming ----------------------------------------------------------------------
XAVIER_SHAPES = [BIG, (64, 32, 5, 5), (100, 2000)]


@pytest.mark.parametrize("shape", XAVIER_SHAPES)
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_xavier_uniform(shape: tuple, gain: float) -> None:
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(fl.empty(shape))
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    x = as_np(init.xavier_uniform_(fl.empty(shape, dtype=fl.float64), gain, gen()))
    assert bound * 0.999 < np.abs(x).max() <= bound
    check_moments(x, 0.0, bound / math.sqrt(3))
    check_ks(x, scipy.stats.uniform(-bound, 2 * bound))
    theirs = as_np(torch.nn.init.xavier_uniform_(torch.empty(shape), gain, torch_gen()))
    assert np.abs(theirs).max() <= bound * (1 + 1e-6)
    check_moments(x, theirs.mean(), theirs.std())


@pytest.mark.parametrize("shape", XAVIER_SHAPES)
def test_xavier_normal(shape: tuple) -> None:
    gain = 5 / 3
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(fl.empty(shape))
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    x = as_np(init.xavier_normal_(fl.empty(shape), gain=gain, generator=gen()))
    check_moments(x, 0.0, std)
    check_ks(x, scipy.stats.norm(0, std))
    theirs = as_np(torch.nn.init.xavier_normal_(torch.empty(shape), gain, torch_gen()))
    check_moments(x, theirs.mean(), theirs.std())


KAIMING_CASES = [
    # (shape, a, mode, nonlinearity)
    (BIG, 0, "fan_in", "leaky_relu"),
    (BIG, math.sqrt(5), "fan_in", "leaky_relu"),  # what nn.Linear uses
    (BIG, 0, "fan_out", "relu"),
    (BIG, 0.2, "FAN_OUT", "leaky_relu"),
    ((64, 32, 3, 3), 0, "fan_in", "tanh"),
    ((64, 32, 3, 3), 0, "fan_out", "linear"),
]


def kaiming_std(shape: tuple, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(fl.empty(shape))
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    return init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


@pytest.mark.parametrize(("shape", "a", "mode", "nonlinearity"), KAIMING_CASES)
def test_kaiming_uniform(shape: tuple, a: float, mode: str, nonlinearity: str) -> None:
    bound = math.sqrt(3) * kaiming_std(shape, a, mode, nonlinearity)  # gain * sqrt(3 / fan)
    ours = fl.empty(shape, dtype=fl.float64)
    x = as_np(init.kaiming_uniform_(ours, a, mode, nonlinearity, gen()))
    assert bound * 0.999 < np.abs(x).max() <= bound
    check_moments(x, 0.0, bound / math.sqrt(3))
    check_ks(x, scipy.stats.uniform(-bound, 2 * bound))
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(shape), a, mode, nonlinearity)
    check_moments(x, as_np(theirs).mean(), as_np(theirs).std())


@pytest.mark.parametrize(("shape", "a", "mode", "nonlinearity"), KAIMING_CASES)
def test_kaiming_normal(shape: tuple, a: float, mode: str, nonlinearity: str) -> None:
    std = kaiming_std(shape, a, mode, nonlinearity)
    x = as_np(init.kaiming_normal_(fl.empty(shape), a, mode, nonlinearity, gen()))
    check_moments(x, 0.0, std)
    check_ks(x, scipy.stats.norm(0, std))
    theirs = torch.nn.init.kaiming_normal_(torch.empty(shape), a, mode, nonlinearity)
    check_moments(x, as_np(theirs).mean(), as_np(theirs).std())


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,), (2, 0, 3)])
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_on_zero_elements_warns_and_does_nothing(name: str, shape: tuple) -> None:
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        getattr(torch.nn.init, name)(torch.empty(shape))
    t = fl.empty(shape)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert getattr(init, name)(t) is t
    assert tuple(t.shape) == shape


# ---- orthogonal and sparse -------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 3, 2, 2), (20, 2, 3), (1, 6)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("dtype", [fl.float64, fl.float32])
def test_orthogonal(shape: tuple, gain: float, dtype: fl.dtype) -> None:
    x = as_np(init.orthogonal_(fl.empty(shape, dtype=dtype), gain, gen()))
    assert x.dtype == dtype.np
    w = x.reshape(shape[0], -1).astype(np.float64)
    rows, cols = w.shape
    # Rows orthonormal when the matrix is wide, columns when it is tall (both when square).
    gram = w @ w.T if rows <= cols else w.T @ w
    tol = 1e-10 if dtype is fl.float64 else 1e-5
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=tol * gain**2)
    # torch's result has the same property (a sanity check on the test itself)
    tw = as_np(torch.nn.init.orthogonal_(torch.empty(shape), gain)).reshape(rows, cols)
    tgram = tw @ tw.T if rows <= cols else tw.T @ tw
    np.testing.assert_allclose(tgram, gain**2 * np.eye(min(rows, cols)), atol=1e-5 * gain**2)


def test_orthogonal_is_uniform_over_rotations() -> None:
    # For a uniformly random (Haar) 3x3 orthogonal matrix each entry is uniform on [-1, 1]
    # (a coordinate of a uniform point on the sphere). Without the sign fix from R's diagonal,
    # the QR's convention would skew this distribution.
    g = gen()
    entries = [as_np(init.orthogonal_(fl.empty(3, 3), generator=g))[0, 0] for _ in range(2000)]
    check_ks(np.array(entries), scipy.stats.uniform(-1, 2))


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.25, 0.5, 0.99, 1.0])
def test_sparse_zeros_per_column(sparsity: float) -> None:
    rows, cols, std = 100, 300, 0.05
    x = as_np(init.sparse_(fl.empty(rows, cols), sparsity, std=std, generator=gen()))
    zeros_per_column = (x == 0).sum(axis=0)
    assert (zeros_per_column == math.ceil(sparsity * rows)).all()
    if 0 < sparsity <= 0.5:
        patterns = {tuple(np.flatnonzero(x[:, c] == 0)) for c in range(cols)}
        assert len(patterns) > cols // 2  # random rows in each column, not the same ones
    nonzero = x[x != 0]
    if nonzero.size > 10_000:
        check_moments(nonzero, 0.0, std)
        check_ks(nonzero, scipy.stats.norm(0, std))


def test_sparse_matches_torch_zero_count() -> None:
    theirs = as_np(torch.nn.init.sparse_(torch.empty(10, 40), 0.3))
    ours = as_np(init.sparse_(fl.empty(10, 40), 0.3, generator=gen()))
    np.testing.assert_array_equal((ours == 0).sum(0), (theirs == 0).sum(0))


# ---- what every init shares ------------------------------------------------------------------
# name -> a call on a (6, 4, 3) tensor (or (6, 12) for the 2-D-only ones); random ones take g.
RANDOM_INITS: dict[str, Callable[[Any, Any], Any]] = {
    "uniform_": lambda t, g: init.uniform_(t, -1, 1, generator=g),
    "normal_": lambda t, g: init.normal_(t, 0, 1, generator=g),
    "trunc_normal_": lambda t, g: init.trunc_normal_(t, generator=g),
    "xavier_uniform_": lambda t, g: init.xavier_uniform_(t, generator=g),
    "xavier_normal_": lambda t, g: init.xavier_normal_(t, generator=g),
    "kaiming_uniform_": lambda t, g: init.kaiming_uniform_(t, generator=g),
    "kaiming_normal_": lambda t, g: init.kaiming_normal_(t, generator=g),
    "orthogonal_": lambda t, g: init.orthogonal_(t, generator=g),
    "sparse_": lambda t, g: init.sparse_(t, 0.5, generator=g),
}
TWO_D_ONLY = {"sparse_", "eye_"}
DETERMINISTIC_INITS: dict[str, Callable[[Any], Any]] = {
    "constant_": lambda t: init.constant_(t, 0.25),
    "ones_": init.ones_,
    "zeros_": init.zeros_,
    "eye_": init.eye_,
    "dirac_": init.dirac_,
}


def shape_for(name: str) -> tuple:
    return (6, 12) if name in TWO_D_ONLY else (6, 4, 3)


@pytest.mark.parametrize("name", list(RANDOM_INITS) + list(DETERMINISTIC_INITS))
def test_returns_the_same_object_and_keeps_dtype(name: str) -> None:
    for dtype in [fl.float16, fl.float32, fl.float64]:
        t = fl.empty(shape_for(name), dtype=dtype)
        if name in RANDOM_INITS:
            out = RANDOM_INITS[name](t, gen())
        else:
            out = DETERMINISTIC_INITS[name](t)
        assert out is t
        assert t.dtype is dtype and tuple(t.shape) == shape_for(name)
        assert np.isfinite(as_np(t)).all()


@pytest.mark.parametrize("name", list(RANDOM_INITS))
def test_reproducible_with_generator(name: str) -> None:
    fill = RANDOM_INITS[name]
    first = as_np(fill(fl.empty(shape_for(name)), gen(7))).copy()
    again = as_np(fill(fl.empty(shape_for(name)), gen(7)))
    other = as_np(fill(fl.empty(shape_for(name)), gen(8)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", list(RANDOM_INITS))
def test_reproducible_with_manual_seed(name: str) -> None:
    fill = RANDOM_INITS[name]
    fl.manual_seed(7)
    first = as_np(fill(fl.empty(shape_for(name)), None)).copy()
    second_draw = as_np(fill(fl.empty(shape_for(name)), None)).copy()
    fl.manual_seed(7)
    again = as_np(fill(fl.empty(shape_for(name)), None))
    fl.manual_seed(8)
    other = as_np(fill(fl.empty(shape_for(name)), None))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, second_draw)  # the global stream moves on


def test_generator_leaves_the_global_stream_alone() -> None:
    fl.manual_seed(3)
    expected = as_np(init.normal_(fl.empty(5, 5))).copy()
    fl.manual_seed(3)
    init.normal_(fl.empty(5, 5), generator=gen(99))
    np.testing.assert_array_equal(as_np(init.normal_(fl.empty(5, 5))), expected)


@pytest.mark.parametrize("name", list(RANDOM_INITS) + list(DETERMINISTIC_INITS))
def test_works_on_a_parameter_without_recording_history(name: str) -> None:
    p = nn.Parameter(fl.zeros(shape_for(name)))
    before = as_np(p).copy()
    if name in RANDOM_INITS:
        out = RANDOM_INITS[name](p, gen())
    else:
        out = DETERMINISTIC_INITS[name](p)
    assert out is p
    assert isinstance(p, nn.Parameter)
    assert p.requires_grad and p.grad_fn is None and p.is_leaf and p.grad is None
    if name != "zeros_":
        assert not np.array_equal(as_np(p), before)


def test_parameter_still_trains_after_init() -> None:
    p = nn.Parameter(fl.empty(3, 4))
    init.kaiming_uniform_(p, a=math.sqrt(5), generator=gen())
    (p * 2).sum().backward()
    np.testing.assert_array_equal(as_np(p.grad), np.full((3, 4), 2, np.float32))


DEPRECATED = [name for name in init.__all__ if name + "_" in init.__all__]  # uniform, ...


@pytest.mark.parametrize("name", DEPRECATED)
def test_deprecated_aliases_warn_and_delegate(name: str) -> None:
    assert len(DEPRECATED) == 11
    t = fl.empty(shape_for(name + "_"))
    args: tuple = (0.5,) if name in ("constant", "sparse") else ()
    with pytest.warns(FutureWarning, match=f"nn.init.{name}_"):
        assert getattr(init, name)(t, *args) is t


def test_docstring_examples() -> None:
    result = doctest.testmod(init, extraglobs={"torch": fl, "nn": nn}, verbose=False)
    assert result.attempted > 15
    assert result.failed == 0


# ---- errors: same type as torch, message containing torch's ---------------------------------
def call(fn: str, *args: Any, **kwargs: Any) -> Callable[[Any], Callable[[], Any]]:
    """A case: ``fn(*args, **kwargs)`` on a library, where a tuple arg is a shape to allocate
    and ``("dtype", name, shape)`` a tensor of that dtype."""

    def make(lib: Any) -> Callable[[], Any]:
        def arg(x: Any) -> Any:
            if isinstance(x, tuple) and x and x[0] == "dtype":
                return lib.zeros(x[2], dtype=getattr(lib, x[1]))
            return lib.empty(x) if isinstance(x, tuple) else x

        module = torch.nn.init if lib is torch else init
        return lambda: getattr(module, fn)(*map(arg, args), **kwargs)

    return make


ERROR_CASES = {
    "fans of 1-D": call("_calculate_fan_in_and_fan_out", (5,)),
    "fans of 0-D": call("_calculate_fan_in_and_fan_out", ()),
    "xavier_uniform_ 1-D": call("xavier_uniform_", (5,)),
    "xavier_normal_ 1-D": call("xavier_normal_", (5,)),
    "kaiming_uniform_ 1-D": call("kaiming_uniform_", (5,)),
    "kaiming_normal_ 1-D": call("kaiming_normal_", (5,)),
    "kaiming_uniform_ bad mode": call("kaiming_uniform_", (3, 4), mode="fan_avg"),
    "kaiming_normal_ bad mode": call("kaiming_normal_", (3, 4), mode="Fan_Avg"),
    "correct_fan bad mode": call("_calculate_correct_fan", (3, 4), "in"),
    "kaiming_uniform_ bad nonlinearity": call("kaiming_uniform_", (3, 4), nonlinearity="gelu"),
    "kaiming_normal_ bad nonlinearity": call("kaiming_normal_", (3, 4), nonlinearity="ReLU"),
    "gain bad nonlinearity": call("calculate_gain", "softplus"),
    "gain bool slope": call("calculate_gain", "leaky_relu", True),
    "gain str slope": call("calculate_gain", "leaky_relu", "0.2"),
    "eye_ 3-D": call("eye_", (2, 3, 4)),
    "eye_ 1-D": call("eye_", (3,)),
    "dirac_ 2-D": call("dirac_", (3, 3)),
    "dirac_ 6-D": call("dirac_", (2, 2, 2, 2, 2, 2)),
    "dirac_ groups": call("dirac_", (3, 2, 3), groups=2),
    "dirac_ groups 4-D": call("dirac_", (6, 2, 3, 3), 4),
    "sparse_ 3-D": call("sparse_", (3, 4, 5), 0.1),
    "sparse_ 1-D": call("sparse_", (3,), 0.1),
    "orthogonal_ 1-D": call("orthogonal_", (3,)),
    "orthogonal_ 0-D": call("orthogonal_", ()),
    "uniform_ a > b": call("uniform_", (3,), 2.0, 1.0),
    "normal_ std < 0": call("normal_", (3,), 0.0, -1.0),
}
for _fn, _args in [
    ("uniform_", ()),
    ("normal_", ()),
    ("trunc_normal_", ()),
    ("xavier_uniform_", ()),
    ("xavier_normal_", ()),
    ("kaiming_uniform_", ()),
    ("kaiming_normal_", ()),
    ("orthogonal_", ()),
    ("sparse_", (0.1,)),
]:
    for _dtype in ["int64", "int32", "bool"]:
        ERROR_CASES[f"{_fn} on {_dtype}"] = call(_fn, ("dtype", _dtype, (3, 5)), *_args)


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_match_torch(case: str) -> None:
    make = ERROR_CASES[case]
    assert_same_error(make(fl), make(torch))


def test_random_init_on_int_tensor_is_also_a_type_error() -> None:
    t = fl.zeros(3, 5, dtype=fl.int64)
    with pytest.raises(TypeError, match="floating-point") as exc:
        init.xavier_uniform_(t)
    assert isinstance(exc.value, NotImplementedError)  # what torch raises
    assert "int64" in str(exc.value)
    np.testing.assert_array_equal(as_np(t), 0)  # untouched


def test_helpful_details_beyond_torchs_message() -> None:
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        init.xavier_uniform_(fl.empty(5))
    with pytest.raises(ValueError, match="dim 0 is 3, groups is 2"):
        init.dirac_(fl.empty(3, 2, 3), groups=2)


def test_trunc_normal_errors() -> None:
    # a > b: torch fails inside uniform_ with a RuntimeError; ours says which bounds.
    with pytest.raises(RuntimeError):
        torch.nn.init.trunc_normal_(torch.empty(3), a=2.0, b=-2.0)
    with pytest.raises(RuntimeError, match="a=2.0 > b=-2.0"):
        init.trunc_normal_(fl.empty(3), a=2.0, b=-2.0)
    # An unbounded interval with little mass: torch can't sample it either.
    # (mean 0 is over 2 std below a=3, hence the warning first.)
    with pytest.raises(RuntimeError), pytest.warns(UserWarning, match="mean is more than"):
        torch.nn.init.trunc_normal_(torch.empty(3), a=3.0, b=math.inf)
    with pytest.raises(RuntimeError, match="finite"), pytest.warns(UserWarning):
        init.trunc_normal_(fl.empty(3), a=3.0, b=math.inf)
    with pytest.raises(ValueError, match="std > 0"):
        init.trunc_normal_(fl.empty(3), std=0.0)


def test_errors_where_torch_has_none() -> None:
    # torch divides by zero (groups=0) or silently does something odd (groups<0, sparsity<0).
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        init.dirac_(fl.empty(3, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        init.sparse_(fl.empty(3, 3), -0.5)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        init.sparse_(fl.empty(3, 3), 1.5)


def test_writes_through_views_and_on_layers() -> None:
    w = fl.zeros(3, 5)
    init.kaiming_uniform_(w.T, generator=gen())  # torch's advice for weights used as x @ w
    assert (as_np(w) != 0).all()
    p = nn.Parameter(fl.zeros(3, 5))
    init.normal_(p.data, generator=gen())  # the pre-no_grad idiom
    assert (as_np(p) != 0).all()
    layer = nn.Linear(4, 3)
    init.zeros_(layer.bias)
    init.orthogonal_(layer.weight, generator=gen())
    assert isinstance(layer.bias, nn.Parameter) and (as_np(layer.bias) == 0).all()
    np.testing.assert_allclose(as_np(layer.weight) @ as_np(layer.weight).T, np.eye(3), atol=1e-6)
