"""Explicit, reproducible randomness: ``manual_seed`` and ``Generator`` as in PyTorch.

Every function that draws numbers takes ``generator=``; without one it uses the default
generator, which ``manual_seed`` reseeds. The bit stream is NumPy's PCG64, not torch's Mersenne
Twister, so the same seed gives different numbers than torch (same distributions).
"""

from __future__ import annotations

import numpy as np


def _fresh_seed() -> int:
    """A seed from the OS's entropy."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0]) % (2**63)


class Generator:
    """A source of random numbers (PyTorch's ``torch.Generator``).

    >>> g = Generator().manual_seed(0)
    >>> g.initial_seed()
    0
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"firstlayer runs on the CPU only; got device={device!r}")
        self.device = "cpu"
        self.manual_seed(_fresh_seed())

    def manual_seed(self, seed: int) -> Generator:
        """Reseed and return self, so ``Generator().manual_seed(0)`` works in one line."""
        seed = int(seed)
        if seed < 0:
            seed += 2**64  # torch accepts negative seeds this way
        if not 0 <= seed < 2**64:
            raise ValueError(f"seed must be in [-2**63, 2**64), got {seed}")
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from the OS's entropy and return the new seed."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return dict(self.np.bit_generator.state)

    def set_state(self, state: dict) -> Generator:
        self.np.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"<firstlayer.Generator seed={self._seed}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``) and return it."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def seed() -> int:
    return default_generator.seed()


def rng(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the default one's."""
    if generator is None:
        return default_generator.np
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator must be a firstlayer.Generator, got {type(generator).__name__}"
        )
    return generator.np
