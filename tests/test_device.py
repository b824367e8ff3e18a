"""firstlayer.device, firstlayer.cuda and .to(device) against torch on a CPU-only machine: the
device-agnostic idiom picks the CPU, device objects print and parse like torch's, and moving
anything to an accelerator fails clearly (and changes nothing)."""

from __future__ import annotations

import pickle

import pytest
import torch

import firstlayer as fl
import firstlayer.nn as nn
from firstlayer._device import DeviceUnavailableError


@pytest.mark.parametrize("args", [
    ("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 0), ("mps",), ("meta",), ("xpu:3",),
])
def test_device_repr_str_and_fields_match_torch(args: tuple) -> None:
    ours, theirs = fl.device(*args), torch.device(*args)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert fl.device(ours) == ours and hash(fl.device(ours)) == hash(ours)
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_the_device_agnostic_idiom_gives_the_cpu() -> None:
    assert fl.cuda.is_available() is torch.cuda.is_available() is False
    assert fl.cuda.device_count() == torch.cuda.device_count() == 0
    assert fl.backends.mps.is_available() is False and fl.backends.mps.is_built() is False
    device = fl.device("cuda" if fl.cuda.is_available() else "cpu")
    assert repr(device) == "device(type='cpu')"
    fl.cuda.manual_seed(0)
    fl.cuda.manual_seed_all(0)  # accepted and ignored, as torch does without a GPU
    assert device == "cpu" and device == fl.device("cpu") and device != fl.device("cuda")
    assert device != fl.device("cpu", 0)
    assert fl.zeros(2).device == device  # Tensor.device compares equal to the device object


@pytest.mark.parametrize("bad", ["foo", "CUDA", "cuda:x", "cpu:-1", "cuda:0:1"])
def test_bad_device_strings_raise_runtime_error_like_torch(bad: str) -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.device(bad)
    with pytest.raises(RuntimeError) as ours:
        fl.device(bad)
    first = str(theirs.value).split(":")[0]
    assert str(ours.value).startswith(first)


def test_device_argument_types() -> None:
    with pytest.raises(RuntimeError, match="accelerator"):
        fl.device(0)
    with pytest.raises(TypeError, match="string"):
        fl.device(1.5)
    with pytest.raises(RuntimeError, match="Invalid device string"):
        fl.device("cuda:0", 1)


def test_tensor_to_a_device() -> None:
    x = fl.tensor([1.0, 2.0], requires_grad=True)
    cpu = fl.device("cpu")
    assert x.to(cpu) is x and x.to("cpu") is x and x.to(device=cpu) is x
    assert x.to(torch.device("cpu")) is x  # torch's own device object is understood too
    y = x.to(cpu, fl.float64)
    assert y.dtype == fl.float64 and y.grad_fn is not None
    assert x.to("cpu", fl.float64, False, True).dtype == fl.float64
    assert x.to(fl.float64, False, True).dtype == fl.float64
    assert x.to(device="cpu", dtype=fl.float64).dtype == fl.float64
    assert x.to(cpu, copy=True) is not x
    for target in ["cuda", fl.device("cuda"), fl.device("mps"), torch.device("cuda")]:
        with pytest.raises(DeviceUnavailableError, match="CPU only"):
            x.to(target)
    with pytest.raises(AssertionError):  # what a CPU-only torch raises
        torch.zeros(1).to("cuda")
    with pytest.raises(AssertionError, match="cuda"):
        x.to(device="cuda")
    with pytest.raises(TypeError):
        x.to("cpu", "cpu")


def test_module_to_a_device_and_a_failed_move_changes_nothing() -> None:
    model = nn.Linear(3, 2)
    device = fl.device("cuda" if fl.cuda.is_available() else "cpu")
    assert model.to(device) is model and model.cpu() is model
    before = model.weight.detach().clone()
    with pytest.raises(DeviceUnavailableError, match="cannot move a module to 'cuda:0'"):
        model.to("cuda:0")
    with pytest.raises(ValueError, match="CPU only"):
        model.to(fl.device("cuda"), fl.float64)
    assert model.weight.dtype == fl.float32 and model.weight.equal(before)
    assert nn.Module().to("cuda") is not None  # nothing to move: accepted, as torch
    torch.nn.Module().to("cuda")
    assert model.to(device, fl.float64).weight.dtype == fl.float64
    assert model.to(dtype=fl.float32).weight.dtype == fl.float32
