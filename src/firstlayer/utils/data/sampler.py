"""Samplers: the order in which a ``DataLoader`` visits a map-style dataset's indices.

``SequentialSampler`` gives ``0, 1, ..., n - 1``; ``RandomSampler`` a fresh permutation on each
pass (or draws with replacement); ``SubsetRandomSampler`` a permutation of given indices;
``BatchSampler`` groups any sampler's indices into lists of ``batch_size``.

Random orders come from firstlayer's generators: with ``generator=None`` each pass draws a seed
from the default generator (as torch does), so ``firstlayer.manual_seed(s)`` before a loop makes
the epochs' orders reproducible. They are not torch's orders for the same seed.

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sized
from typing import Any, Generic, TypeVar

from ... import _random
from ..._random import Generator

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` (the indices) and usually ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, every pass.

    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _pass_generator(generator: Generator | None) -> Generator:
    """The generator one pass draws from: ``generator``, or a new one seeded from the default
    generator (torch's rule: each pass consumes one number of the default stream)."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(
                f"generator must be a firstlayer.Generator, got {type(generator).__name__}"
            )
        return generator
    seed = int(_random.default_generator.np.integers(0, 2**63 - 1))
    return Generator().manual_seed(seed)


class RandomSampler(Sampler[int]):
    """Indices in random order: a new permutation each pass, or ``num_samples`` uniform draws
    with ``replacement=True``.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement.
        num_samples: how many indices per pass (default ``len(data_source)``); more than the
            length without replacement chains several permutations.
        generator: a ``firstlayer.Generator`` to draw from; None draws a seed from the default
            generator on each pass.

    Raises:
        ValueError: ``num_samples`` not a positive int (an empty dataset included).
        TypeError: ``replacement`` not a bool.

    >>> sorted(RandomSampler(range(4), generator=Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        n = self.num_samples
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            hint = ""
            if num_samples is None:
                hint = (
                    f" (the dataset {_describe(data_source)} is empty: there is nothing to "
                    "shuffle; check how it was built, or use shuffle=False)"
                )
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={n}{hint}"
            )

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _pass_generator(self.generator).np
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order, a new one each pass.

    >>> sorted(SubsetRandomSampler([5, 7, 9]))
    [5, 7, 9]
    """

    def __init__(self, indices: Any, generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = _pass_generator(self.generator).np
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter,
    or dropped with ``drop_last=True``).

    Args:
        sampler: any iterable of indices (a sampler, a range, a list).
        batch_size: indices per batch, a positive int.
        drop_last: drop a last batch shorter than ``batch_size``.

    Raises:
        ValueError: ``batch_size`` not a positive int, ``drop_last`` not a bool.

    >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
    [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while batch := list(itertools.islice(it, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


def _describe(data_source: object) -> str:
    """A short name for a dataset in a message: its type, and its repr when that is short."""
    text = repr(data_source)
    name = type(data_source).__name__
    return f"{name} {text}" if len(text) <= 60 and not text.startswith(f"{name}(") else name
