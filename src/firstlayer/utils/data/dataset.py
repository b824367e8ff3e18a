"""Datasets: what a ``DataLoader`` reads samples from, with torch's classes and ``random_split``.

A map-style ``Dataset`` answers ``dataset[i]`` and ``len(dataset)`` (a plain list works too); an
``IterableDataset`` is a stream read with ``iter()``. ``TensorDataset`` indexes tensors along
their first dimension, ``Subset`` picks indices of another dataset, ``ConcatDataset`` chains
map-style datasets end to end and ``random_split`` cuts one into random non-overlapping parts.

>>> train, valid = random_split(range(10), [0.8, 0.2], generator=Generator().manual_seed(0))
>>> len(train), len(valid)
(8, 2)
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from ..._random import Generator, default_generator
from ...creation import randperm

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len - 1``) to samples: subclasses define
    ``__getitem__`` and, for the default samplers, ``__len__``; ``a + b`` concatenates.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i * i
    >>> [Squares()[i] for i in range(3)]
    [0, 1, 4]
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses define ``__iter__``. A ``DataLoader`` reads it in
    order (no sampler, no shuffle); ``a + b`` chains two streams.

    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(3))
    >>> list(Count() + Count())
    [0, 1, 2, 0, 1, 2]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class DatasetSizeError(ValueError, AssertionError):
    """Parts of a dataset disagree in length. A ValueError; also the AssertionError torch
    raises there ("Size mismatch between tensors")."""


class DatasetTypeError(TypeError, AssertionError):
    """A dataset of the wrong kind for a wrapper. A TypeError; also the AssertionError torch
    raises there."""


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Samples are the rows of tensors that share their first dimension:
    ``dataset[i] == (t[i] for t in tensors)``.

    Args:
        *tensors: tensors with the same ``size(0)`` (inputs, labels, ...).

    Shape:
        each tensor ``(N, *)``; a sample is a tuple of ``(*)`` rows.

    >>> from firstlayer import tensor
    >>> ds = TensorDataset(tensor([[1, 2], [3, 4]]), tensor([0, 1]))
    >>> ds[1]
    (tensor([3, 4]), tensor(1))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise IndexError("TensorDataset needs at least one tensor (inputs, labels, ...)")
        sizes = [t.size(0) for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise DatasetSizeError(
                f"Size mismatch between tensors: TensorDataset needs tensors with the same first "
                f"dimension, got sizes {sizes}"
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].size(0))


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after the other: indices ``0 .. len(a) - 1`` read ``a``, the next
    ``len(b)`` read ``b``, and so on. Negative indices count from the end.

    Attributes:
        datasets: the datasets, as a list.
        cumulative_sizes: the running total of their lengths.

    >>> ConcatDataset([[1, 2], [3]])[2]
    3
    """

    datasets: list[Any]
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        out, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            out.append(total)
        return out

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise DatasetSizeError("datasets should not be an empty iterable")
        for i, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise DatasetTypeError(
                    f"ConcatDataset does not support IterableDataset (datasets[{i}] is a "
                    f"{type(dataset).__name__}); chain streams with ChainDataset or a + b"
                )
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError(
                    f"absolute value of index should not exceed dataset length: index {idx} "
                    f"for a ConcatDataset of length {len(self)}"
                )
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if which == 0 else self.cumulative_sizes[which - 1]
        if which == len(self.datasets):
            raise IndexError(
                f"index {idx} is out of range for a ConcatDataset of length {len(self)}"
            )
        return self.datasets[which][idx - start]  # type: ignore[no-any-return]


class ChainDataset(IterableDataset):
    """Iterable datasets read one after the other (what ``stream_a + stream_b`` gives)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise DatasetTypeError(
                    f"ChainDataset only supports IterableDataset, got {type(dataset).__name__}"
                )
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``.

    Args:
        dataset: any map-style dataset.
        indices: positions in ``dataset``.

    >>> Subset(["a", "b", "c"], [2, 0])[0]
    'c'
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> T_co:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]  # type: ignore[no-any-return]
        return self.dataset[self.indices[idx]]  # type: ignore[no-any-return]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        """Several samples at once (the loader uses it when present, as torch's does)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])  # type: ignore[no-any-return]
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _fraction_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """torch's rule: ``floor(n * f)`` each, then the remainder one by one, round-robin from the
    first split."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1: got {frac}")
        lengths.append(math.floor(n * frac))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                UserWarning,
                stacklevel=3,
            )
    return lengths


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: Generator | None = default_generator,
) -> list[Subset[Any]]:
    """Split ``dataset`` into non-overlapping random parts of the given lengths.

    Args:
        dataset: a map-style dataset (anything with ``len`` and ``[]``).
        lengths: the parts' sizes, summing to ``len(dataset)``; or fractions summing to 1, then
            each part gets ``floor(fraction * len)`` and the leftover items go one each to the
            parts in order (``[0.5, 0.5]`` of 5 items gives 3 and 2), as torch.
        generator: where the permutation is drawn from (the default generator, which
            ``firstlayer.manual_seed`` seeds). Same seed, same split; not torch's split for the
            same seed (different random streams).

    Returns:
        A list of ``Subset``, one per length.

    Raises:
        ValueError: lengths that don't add up to ``len(dataset)`` (nor fractions to 1), a
            fraction outside [0, 1], a negative length.

    >>> parts = random_split(range(5), [3, 2], generator=Generator().manual_seed(1))
    >>> sorted(parts[0].indices + parts[1].indices)
    [0, 1, 2, 3, 4]
    """
    lengths = list(lengths)
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _fraction_lengths(n, lengths)
    for i, length in enumerate(lengths):
        if length < 0:
            raise ValueError(f"random_split: length at index {i} is negative: {length}")
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths does not equal the length of the input dataset! lengths "
            f"{lengths} sum to {sum(lengths)}, the dataset has {n} samples (give ints summing "
            "to that, or fractions summing to 1)"
        )
    for length in lengths:
        if isinstance(length, float) and not length.is_integer():
            raise ValueError(
                f"random_split: lengths must be ints summing to len(dataset)={n} or fractions "
                f"summing to 1; got {lengths}"
            )
    counts = [int(length) for length in lengths]
    indices = randperm(n, generator=generator).tolist()
    return [
        Subset(dataset, indices[end - size:end])
        for end, size in zip(itertools.accumulate(counts), counts)
    ]
