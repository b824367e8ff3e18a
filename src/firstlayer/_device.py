"""``firstlayer.device``: PyTorch's device object, so device-agnostic code runs unchanged.

firstlayer computes on the CPU only. ``device("cuda")`` can still be *made* (as in torch, where
the object is only a name), so ``torch.device("cuda" if torch.cuda.is_available() else "cpu")``
works and gives ``device(type='cpu')``; the error comes when something is actually moved to a
device other than the CPU (``tensor.to("cuda")``, ``module.to(device)``).

>>> device("cpu")
device(type='cpu')
>>> str(device("cuda", 0))
'cuda:0'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DeviceUnavailableError", "check_cpu", "device", "is_device_like"]

# torch's list, in torch's order (its error message prints them so).
_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)
_PATTERN = re.compile(r"([a-z]+)(?::(\d+))?")


class DeviceUnavailableError(ValueError, AssertionError):
    """Moving data to a device firstlayer does not have (anything but the CPU).

    A ValueError (a bad argument value) and an AssertionError, which is what a CPU-only torch
    raises there ("Torch not compiled with CUDA enabled"), so handlers written for either work.
    """


class device:  # noqa: N801 (torch's name)
    """Where a tensor lives: ``device(type, index=None)`` or ``device("type:index")``.

    Args:
        type: ``"cpu"``, ``"cuda"``, ``"mps"``, ... (torch's device types), optionally with
            ``":index"``; or another ``device`` (copied).
        index: the device's number, or None.

    Attributes:
        type: the device type, such as ``"cpu"``.
        index: the number given, or None.

    Only ``"cpu"`` holds data in firstlayer; other devices can be named (for device-agnostic
    code) but moving a tensor or a module to them raises ``DeviceUnavailableError``. Unlike
    torch, a device also compares equal to the string naming it (``device("cpu") == "cpu"``),
    so code that compares ``t.device`` with a string keeps working.

    >>> device("cuda" if False else "cpu")
    device(type='cpu')
    >>> device("cuda:1").index
    1
    """

    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(device, index): give the index inside the device")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            # torch reads a bare int as an accelerator ordinal; there is no accelerator here.
            raise RuntimeError(
                f"device({type}): a bare number names an accelerator, and firstlayer has none "
                "(CPU only); use device('cpu')"
            )
        if not isinstance(type, str):
            raise TypeError(f"device() takes a string such as 'cpu', got {_name(type)}")
        match = _PATTERN.fullmatch(type)
        if match is None or (match.group(2) is not None and index is not None):
            if match is None and type.split(":")[0] not in _TYPES:
                raise RuntimeError(_unknown(type))
            raise RuntimeError(f"Invalid device string: {type!r}")
        kind, number = match.group(1), match.group(2)
        if kind not in _TYPES:
            raise RuntimeError(_unknown(type))
        if number is not None:
            index = int(number)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device index must be an int, got {_name(index)}")
            if index < 0:
                raise RuntimeError(
                    f"Device index must not be negative, got {index} (for device {kind!r})"
                )
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self.type, self.index))


def _name(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def _unknown(text: str) -> str:
    return (
        f"Expected one of {', '.join(_TYPES)} device type at start of device string: {text} "
        "(device types are lower-case, as 'cpu' or 'cuda:0')"
    )


def is_device_like(value: object) -> bool:
    """Whether ``value`` names a device (a ``device`` or a string) rather than a dtype."""
    return isinstance(value, (device, str)) or type(value).__name__ == "device"


def check_cpu(where: Any, what: str = "tensor") -> None:
    """Raise ``DeviceUnavailableError`` unless ``where`` names the CPU.

    ``where`` is a ``device``, a device string, or anything whose ``str`` is one (torch's own
    ``torch.device`` objects, when code mixes both libraries).
    """
    target = where if isinstance(where, device) else device(str(where))
    if target.type != "cpu":
        raise DeviceUnavailableError(
            f"cannot move a {what} to {str(target)!r}: firstlayer runs on the CPU only (it was "
            "built without CUDA or any accelerator). Pick the device with "
            "device('cuda' if firstlayer.cuda.is_available() else 'cpu'), which gives 'cpu' here"
        )


CPU = device("cpu")  # what every Tensor.device is
