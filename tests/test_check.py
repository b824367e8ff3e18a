"""``firstlayer._check``: the checks of hyper-parameters and their messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from firstlayer import _check as check


def test_integer_accepts_ints_of_every_kind() -> None:
    for value in (3, np.int64(3), np.int8(3), torch.tensor(3)):
        out = check.integer("n", value)
        assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", [1.5, 2.0, "3", None, True, np.bool_(False), [1]])
def test_integer_type_errors_name_the_value_and_its_type(value) -> None:
    with pytest.raises(TypeError) as info:
        check.integer("window", value)
    assert str(info.value) == f"window must be an int, got {value!r} ({type(value).__name__})"


@pytest.mark.parametrize("kw, value, inside, message", [
    (dict(low=1), 0, 1, "window must be >= 1, got 0"),
    (dict(low=0, low_open=True), 0, 1, "window must be > 0, got 0"),
    (dict(high=10), 11, 10, "window must be <= 10, got 11"),
    (dict(low=0, high=10, high_open=True), 10, 9, "window must be in [0, 10), got 10"),
    (dict(low=1, high=3), -1, 3, "window must be in [1, 3], got -1"),
])
def test_integer_range_errors_give_the_range(kw, value, inside, message) -> None:
    with pytest.raises(ValueError) as info:
        check.integer("window", value, **kw)
    assert str(info.value) == message
    assert check.integer("window", inside, **kw) == inside  # the bound itself, when included


def test_positive_and_non_negative() -> None:
    assert check.positive_int("dim", 1) == 1
    assert check.non_negative_int("bucket", 0) == 0
    with pytest.raises(ValueError, match="dim must be >= 1, got 0"):
        check.positive_int("dim", 0)
    with pytest.raises(ValueError, match="bucket must be >= 0, got -1"):
        check.non_negative_int("bucket", -1)


def test_number() -> None:
    for value in (0.5, 1, np.float32(0.5), np.int64(2)):
        out = check.number("lr", value)
        assert out == float(value) and type(out) is float
    with pytest.raises(TypeError, match=r"lr must be a number, got '0.1' \(str\)"):
        check.number("lr", "0.1")
    with pytest.raises(TypeError, match="lr must be a number, got True"):
        check.number("lr", True)
    with pytest.raises(ValueError, match="lr must be a finite number, got nan"):
        check.number("lr", math.nan)
    with pytest.raises(ValueError, match=r"lr must be > 0, got 0.0"):
        check.number("lr", 0.0, low=0, low_open=True)
    with pytest.raises(ValueError, match=r"sample must be >= 0.0, got -0.001"):
        check.number("sample", -1e-3, low=0.0)
    assert check.number("min_freq", math.inf, finite=False) == math.inf


def test_flag_and_one_of() -> None:
    assert check.flag("sg", True) == 1 and check.flag("sg", np.int64(0)) == 0
    for bad in (2, 1.0, "1", None):
        with pytest.raises(ValueError, match=f"sg must be 0 or 1, got {bad!r}"):
            check.flag("sg", bad)
    assert check.one_of("loss", "ns", ("softmax", "ns")) == "ns"
    with pytest.raises(ValueError, match="loss must be one of 'softmax', 'ns', got 'hinge'"):
        check.one_of("loss", "hinge", ("softmax", "ns"))
    with pytest.raises(ValueError, match=r"got \['ns'\]"):
        check.one_of("loss", ["ns"], {"softmax", "ns"})  # unhashable: not one of them
