"""``firstlayer.cuda``: what ``torch.cuda`` answers on a machine without a GPU.

firstlayer runs on the CPU only, so ``is_available()`` is False and ``device_count()`` is 0;
device-agnostic code (``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")``)
then picks the CPU. The seeding calls are accepted and do nothing, as torch's do without a GPU.

>>> is_available(), device_count()
(False, 0)
"""

from __future__ import annotations

__all__ = ["device_count", "is_available", "is_initialized", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """Whether a CUDA GPU can be used: never, in firstlayer."""
    return False


def device_count() -> int:
    """The number of CUDA GPUs: 0."""
    return 0


def is_initialized() -> bool:
    """Whether CUDA has been initialised: never."""
    return False


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator: there is none, so nothing happens (as in torch)."""
    int(seed)  # still reject what is not a number, as torch does


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: there are none, so nothing happens (as in torch)."""
    int(seed)
