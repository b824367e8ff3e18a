"""``firstlayer.backends.mps``: Apple's Metal backend is never available (CPU only)."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Whether the MPS device can be used: never, in firstlayer."""
    return False


def is_built() -> bool:
    """Whether firstlayer was built with MPS support: no."""
    return False
