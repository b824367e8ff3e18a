"""``DataLoader``: batches from a dataset, with torch's arguments, defaults and length.

Each pass asks the batch sampler for a list of indices, fetches those samples
(``dataset.__getitems__(indices)`` when the dataset has it, else ``dataset[i]`` one by one) and
hands the list to ``collate_fn`` (``default_collate`` unless given). An ``IterableDataset`` is
read in order, ``batch_size`` samples at a time. ``batch_size=None`` turns batching off: each
sample goes through ``default_convert`` alone.

Loading runs in the calling process; see ``DataLoader`` for what the multiprocess options do.

>>> from firstlayer import arange
>>> from firstlayer.utils.data import TensorDataset
>>> loader = DataLoader(TensorDataset(arange(5)), batch_size=2)
>>> len(loader), [batch[0].tolist() for batch in loader]
(3, [[0, 1], [2, 3], [4]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..._random import Generator
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

# The attributes torch freezes once a loader is made (changing them would desynchronise
# len() and iteration).
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def get_worker_info() -> None:
    """Information about the worker process running this code: always None, because
    firstlayer loads data in the calling process (torch returns None there too)."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style dataset (``len`` and ``[]``: a ``Dataset``, a list, ...) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); None for no batching.
        shuffle: visit the samples in a new random order each pass (map-style only). The order
            comes from firstlayer's generators: reproducible with ``firstlayer.manual_seed`` or
            ``generator=``, but not torch's order for the same seed.
        sampler: the order of indices (any iterable of indices); excludes ``shuffle``.
        batch_sampler: yields whole lists of indices; excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers: accepted for compatibility, but firstlayer has no worker processes: the
            data is loaded in the calling process, in the same order and with the same batches
            as ``num_workers=0`` (with NumPy-backed tensors, worker processes would mostly add
            copying). ``worker_init_fn``, ``prefetch_factor``, ``persistent_workers``,
            ``multiprocessing_context``, ``timeout`` and ``pin_memory`` are accepted, checked as
            torch checks them, and otherwise unused; ``get_worker_info()`` returns None.
        collate_fn: turns a list of samples into a batch (default ``default_collate``). If it
            raises, the error is raised again with the batch's number and the dataset indices in
            its message (same exception type when possible), the original chained as its cause.
        drop_last: drop the last batch if it is shorter than ``batch_size``.
        generator: the ``firstlayer.Generator`` the default ``RandomSampler`` draws from.

    ``len(loader)`` is the number of batches: ``ceil(len(dataset) / batch_size)``, or the floor
    with ``drop_last``; for an ``IterableDataset`` it is computed from ``len(dataset)`` if the
    dataset has one.

    Raises:
        ValueError: ``batch_size`` not a positive int, ``shuffle`` with a ``sampler``, options
            torch also rejects together, ``shuffle=True`` on an empty dataset, a negative
            ``num_workers`` or ``timeout``.

    >>> loader = DataLoader([(1.0, 0), (2.0, 1), (3.0, 0)], batch_size=2)
    >>> next(iter(loader))
    [tensor([1., 2.], dtype=torch.float64), tensor([0, 1])]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[list[Any]] | Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers,
                              multiprocessing_context)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle} (a stream is read in its own order; shuffle inside "
                    "the dataset's __iter__)"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError(
                "sampler option is mutually exclusive with shuffle: the sampler sets the order; "
                "pass shuffle=False (or a RandomSampler as the sampler)"
            )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last: the batch sampler already decides them"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else (
                SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        elif batch_size is not None and self._iterable:
            BatchSampler(range(0), batch_size, drop_last)  # the same checks, same messages
        if collate_fn is None:
            batching = batch_size is not None or batch_sampler is not None
            collate_fn = default_collate if batching else default_convert
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is "
                "initialized; make a new DataLoader"
            )
        super().__setattr__(name, value)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return -(-length // self.batch_size)
        index_sampler = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return len(index_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> _LoaderIter:
        if self._iterable:
            batches = _stream_batches(self)
        elif self.batch_sampler is not None:
            batches = ((b, self._fetch(b)) for b in self.batch_sampler)
        else:
            batches = (([i], self.dataset[i]) for i in self.sampler)  # type: ignore[union-attr]
        return _LoaderIter(self, _collated(self, batches))

    def _fetch(self, indices: list[Any]) -> list[Any]:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)  # type: ignore[no-any-return]
        return [self.dataset[i] for i in indices]


class _LoaderIter:
    """One pass over a loader: an iterator with ``len()`` (the loader's), as torch's."""

    def __init__(self, loader: DataLoader, batches: Iterator[Any]) -> None:
        self._loader = loader
        self._batches = batches

    def __iter__(self) -> _LoaderIter:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _stream_batches(loader: DataLoader) -> Iterator[tuple[Any, Any]]:
    """(positions, samples) from an IterableDataset: ``batch_size`` samples at a time (each
    sample alone without batching), the last short batch dropped with ``drop_last``."""
    it = iter(loader.dataset)
    if loader.batch_size is None:
        for sample in it:
            yield None, sample
        return
    start = 0
    while True:
        batch = []
        for sample in it:
            batch.append(sample)
            if len(batch) == loader.batch_size:
                break
        if not batch or (loader.drop_last and len(batch) < loader.batch_size):
            return
        yield list(range(start, start + len(batch))), batch
        start += len(batch)


def _collated(loader: DataLoader, batches: Iterator[tuple[Any, Any]]) -> Iterator[Any]:
    """Apply ``collate_fn`` to each batch; its errors say which batch."""
    for number, (indices, samples) in enumerate(batches):
        try:
            out = loader.collate_fn(samples)
        except Exception as err:
            raise _in_batch(err, number, indices, loader.collate_fn) from err
        yield out


def _in_batch(err: Exception, number: int, indices: Any, fn: Callable[..., Any]) -> Exception:
    """``err`` again, of the same type when it can be built from a message, naming the batch."""
    shown = indices if indices is None or len(indices) <= 8 else [*indices[:8], "..."]
    where = "" if indices is None else f" (dataset indices {shown})"
    name = getattr(fn, "__name__", type(fn).__name__)
    message = f"collate_fn {name} failed on batch {number}{where}: {type(err).__name__}: {err}"
    try:
        again = type(err)(message)
    except Exception:  # an exception type that needs other arguments
        return RuntimeError(message)
    return again if str(again) else RuntimeError(message)


def _check_worker_options(
    num_workers: int,
    timeout: float,
    prefetch_factor: int | None,
    persistent_workers: bool,
    multiprocessing_context: Any,
) -> None:
    """torch's checks of the multiprocess options (which firstlayer otherwise ignores)."""
    if num_workers < 0:
        raise ValueError(
            f"num_workers option should be non-negative, got {num_workers}; use num_workers=0 "
            "to disable multiprocessing."
        )
    if timeout < 0:
        raise ValueError(f"timeout option should be non-negative, got {timeout}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing. let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError(f"prefetch_factor option should be non-negative, got {prefetch_factor}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
