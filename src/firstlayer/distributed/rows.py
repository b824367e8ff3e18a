"""Which rows each rank owns, and a rank's shard made and initialised without the whole table.

Row-wise sharding splits a ``(V, D)`` table into ``W`` blocks of consecutive rows: rank ``r``
owns rows ``[r * V // W, (r + 1) * V // W)``. Block sizes differ by at most one row, and the
remainder ``V % W`` is spread over the ranks deterministically (the larger blocks are the
ranks where ``(r + 1) * V // W - r * V // W`` rounds up). TorchRec's row-wise plan uses blocks of
``ceil(V / W)`` rows with a short last block instead: the same idea, other boundaries, so a
checkpoint states its ranges (see ``save_sharded``) rather than leaving them implied.

A shard filled with ``uniform_rows_`` or ``normal_rows_`` holds exactly the rows that
``nn.init.uniform_`` / ``nn.init.normal_`` would put there when filling the whole table with
the same generator, and the generator ends where the full fill leaves it (so what is drawn
next, a ``Linear``'s init say, is the same on every rank and in a one-process run).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._errors import ValueRuntimeError
from .._random import Generator, rng
from ..tensor import Tensor

__all__ = ["empty_shard", "normal_rows_", "row_ranges", "uniform_rows_"]

# Draws discarded at a time when skipping normal samples: 32 MiB of float64.
_SKIP_CHUNK = 1 << 22


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def row_ranges(num_embeddings: int, world_size: int) -> list[tuple[int, int]]:
    """The rows each of ``world_size`` ranks owns: ``[(start, stop), ...]``, one per rank.

    Rank ``r`` owns rows ``[r * V // W, (r + 1) * V // W)``: consecutive blocks covering the
    table, sizes differing by at most one (a rank owns no rows when ``V < W``).

    Args:
        num_embeddings: the table's rows V.
        world_size: the number of ranks W (>= 1).

    >>> row_ranges(10, 4)
    [(0, 2), (2, 5), (5, 7), (7, 10)]
    """
    v = _check_int("num_embeddings", num_embeddings, 0)
    w = _check_int("world_size", world_size, 1)
    return [(r * v // w, (r + 1) * v // w) for r in range(w)]


def _rank_range(num_embeddings: int, rank: int, world_size: int) -> tuple[int, int]:
    ranges = row_ranges(num_embeddings, world_size)
    r = _check_int("rank", rank, 0)
    if r >= world_size:
        raise ValueError(f"rank must be in [0, {world_size}) for world_size {world_size}, "
                         f"got {rank}")
    return ranges[r]


def empty_shard(
    num_embeddings: int,
    embedding_dim: int,
    rank: int,
    world_size: int,
    *,
    dtype: Any = None,
    file: str | os.PathLike | None = None,
) -> Tensor:
    """An uninitialised tensor for rank ``rank``'s rows of a ``(V, D)`` table (nothing else of
    the table is made), optionally memory-mapped from ``file``.

    Args:
        num_embeddings: the whole table's rows V.
        embedding_dim: the size D of each row.
        rank: this process's rank in ``[0, world_size)``.
        world_size: the number of ranks the rows are split over.
        dtype: the element type (default: the default float type, float32).
        file: map the shard from this file with ``firstlayer.from_file(file, shared=True)``:
            every change is written to the file, which is created (or grown) to the shard's
            size and reserved on disk. Without it the shard is in memory.

    Shape: ``(stop - start, D)`` with ``(start, stop) = row_ranges(V, W)[rank]``.

    >>> empty_shard(10, 3, rank=1, world_size=4).shape
    torch.Size([3, 3])
    """
    from .._dtype import default_float, to_dtype
    from .._mapped import from_file

    start, stop = _rank_range(num_embeddings, rank, world_size)
    d = _check_int("embedding_dim", embedding_dim, 0)
    dt = default_float if dtype is None else to_dtype(dtype)
    if file is None:
        return Tensor._wrap(np.empty((stop - start, d), dt.np))
    size = (stop - start) * d
    if size == 0:  # from_file maps nothing for zero elements
        return Tensor._wrap(np.empty((stop - start, d), dt.np))
    return from_file(file, shared=True, size=size, dtype=dt).view(stop - start, d)


def _check_rows(tensor: Tensor, start: int, num_embeddings: int, fn: str) -> tuple[int, int]:
    """(rows, D) of ``tensor`` as rows ``[start, start + rows)`` of a ``num_embeddings`` table."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: tensor must be a firstlayer Tensor, got {type(tensor).__name__}")
    if tensor.dim() != 2:
        raise ValueError(f"{fn}: expected a 2-D shard (rows, embedding_dim), got shape "
                         f"{tuple(tensor.shape)}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"{fn}: the shard must be floating point (float16/32/64), got "
                        f"{tensor.dtype}")
    s = _check_int("start", start, 0)
    v = _check_int("num_embeddings", num_embeddings, 0)
    rows = tensor.shape[0]
    if s + rows > v:
        raise ValueError(
            f"{fn}: a shard of {rows} rows starting at row {s} ends at row {s + rows}, past "
            f"the table's {v} rows (num_embeddings={v})"
        )
    return s, s + rows


def uniform_rows_(
    tensor: Tensor,
    start: int,
    num_embeddings: int,
    a: float = 0.0,
    b: float = 1.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with rows ``[start, start + rows)`` of what ``nn.init.uniform_(table,
    a, b, generator)`` puts in a ``(num_embeddings, D)`` table.

    Uniform samples take one draw each, so the generator skips the rows before and after the
    shard in constant time (``PCG64.advance``), ending where the full fill leaves it. The
    shard is filled in pieces with bounded memory (a mapped shard larger than memory works).

    Args:
        tensor: the shard, ``(rows, D)``, floating point (e.g. from ``empty_shard``).
        start: the table row that the shard's first row is.
        num_embeddings: the whole table's rows V.
        a: the lower bound of the distribution.
        b: the upper bound of the distribution.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> import firstlayer as torch, firstlayer.nn as nn
    >>> full = nn.init.uniform_(torch.empty(10, 3), generator=torch.Generator().manual_seed(0))
    >>> part = uniform_rows_(torch.empty(3, 3), 2, 10, generator=torch.Generator().manual_seed(0))
    >>> bool((part == full[2:5]).all())
    True
    """
    from ..nn import init

    begin, end = _check_rows(tensor, start, num_embeddings, "uniform_rows_")
    if a > b:
        raise ValueRuntimeError(
            f"uniform_rows_ expects a [from, to) range, but found from={a:g} > to={b:g}"
        )
    g = rng(generator)
    d = tensor.shape[1]
    g.bit_generator.advance(begin * d)  # type: ignore[attr-defined]
    init.uniform_(tensor, a, b, generator=generator)
    g.bit_generator.advance((int(num_embeddings) - end) * d)  # type: ignore[attr-defined]
    return tensor


def normal_rows_(
    tensor: Tensor,
    start: int,
    num_embeddings: int,
    mean: float = 0.0,
    std: float = 1.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with rows ``[start, start + rows)`` of what ``nn.init.normal_(table,
    mean, std, generator)`` puts in a ``(num_embeddings, D)`` table (``nn.EmbeddingBag``'s
    init).

    Normal samples take a varying number of draws (NumPy's ziggurat), so the generator can't
    jump: the samples of the rows before and after the shard are drawn and discarded, 4M at a
    time (bounded memory, but time proportional to the whole table on every rank; use
    ``uniform_rows_`` for very large tables). The generator ends where the full fill leaves it.

    Args:
        tensor: the shard, ``(rows, D)``, floating point (e.g. from ``empty_shard``).
        start: the table row that the shard's first row is.
        num_embeddings: the whole table's rows V.
        mean: the mean of the normal distribution.
        std: the standard deviation (>= 0).
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> import firstlayer as torch, firstlayer.nn as nn
    >>> full = nn.init.normal_(torch.empty(10, 3), generator=torch.Generator().manual_seed(0))
    >>> part = normal_rows_(torch.empty(3, 3), 7, 10, generator=torch.Generator().manual_seed(0))
    >>> bool((part == full[7:]).all())
    True
    """
    from ..nn import init

    begin, end = _check_rows(tensor, start, num_embeddings, "normal_rows_")
    if std < 0:
        raise ValueRuntimeError(f"normal_rows_ expects std >= 0.0, but found std {std:g}")
    g = rng(generator)
    d = tensor.shape[1]
    _discard_normal(g, begin * d)
    init.normal_(tensor, mean, std, generator=generator)
    _discard_normal(g, (int(num_embeddings) - end) * d)
    return tensor


def _discard_normal(g: np.random.Generator, n: int) -> None:
    """Advance ``g`` past ``n`` normal samples (their count of draws varies: draw them)."""
    for i in range(0, n, _SKIP_CHUNK):
        g.standard_normal(min(_SKIP_CHUNK, n - i))
