"""A sharded checkpoint: one safetensors file per rank's rows, plus an index naming the ranges.

Layout of a checkpoint directory written by ``save_sharded`` on W ranks::

    index.json                              {"format": "firstlayer.row_wise_sharded", ...}
    shard-00000-of-00002.safetensors        rank 0's rows: "weight" (+ any per-row state)
    shard-00001-of-00002.safetensors        rank 1's rows

Each shard file is an ordinary ``firstlayer.save`` file (``firstlayer.load(..., mmap=True)``
maps it; the ``safetensors`` package reads it), written atomically by its rank. The index is
JSON::

    {"format": "firstlayer.row_wise_sharded", "version": 1,
     "num_embeddings": 10, "embedding_dim": 4, "dtype": "float32", "world_size": 2,
     "tensors": ["weight"],
     "shards": [{"rank": 0, "file": "shard-00000-of-00002.safetensors", "rows": [0, 5]},
                {"rank": 1, "file": "shard-00001-of-00002.safetensors", "rows": [5, 10]}]}

Rank 0 writes it (atomically) after every rank has written its shard (a barrier when
``torch.distributed`` is initialised), so an index on disk means a complete checkpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ..serialization import CheckpointError, load, save
from ..tensor import Tensor
from .rows import _rank_range, row_ranges

__all__ = ["load_shard", "load_sharded", "save_sharded"]

INDEX = "index.json"
FORMAT = "firstlayer.row_wise_sharded"
VERSION = 1


def _shard_file(rank: int, world_size: int) -> str:
    return f"shard-{rank:05d}-of-{world_size:05d}.safetensors"


def _array(t: Any) -> np.ndarray:
    """A shard's values as an ndarray: a firstlayer Tensor, a torch tensor or an ndarray."""
    if isinstance(t, Tensor):
        return t._data
    if isinstance(t, np.ndarray):
        return t
    if hasattr(t, "detach") and hasattr(t, "cpu"):  # a torch tensor (a Parameter too)
        return np.asarray(t.detach().cpu().numpy())
    raise TypeError(f"expected a Tensor, a torch tensor or an ndarray, got {type(t).__name__}")


def save_sharded(
    directory: str | os.PathLike,
    shard: Any,
    *,
    num_embeddings: int,
    rank: int,
    world_size: int,
    state: Mapping[str, Any] | None = None,
    process_group: Any = None,
) -> None:
    """Write rank ``rank``'s rows of a row-wise sharded table into ``directory`` (called by every
    rank); rank 0 then writes the index.

    Args:
        directory: the checkpoint's folder (created if missing; shared by all ranks, e.g. on
            a network file system across machines).
        shard: this rank's rows, ``(stop - start, D)``: a firstlayer Tensor, a torch tensor
            (``RowWiseShardedEmbeddingBag.weight``) or an ndarray.
        num_embeddings: the whole table's rows V.
        rank: this rank, in ``[0, world_size)``.
        world_size: the number of ranks W; the rows are ``row_ranges(V, W)[rank]``.
        state: more per-row tensors saved with the rows under their names (each with the
            shard's number of rows first: a row-wise optimizer's accumulator, say).
        process_group: the ``torch.distributed`` group to wait for before rank 0 writes the
            index (default: the default group, when one is initialised).

    Raises:
        ValueError: the shard's rows are not this rank's range (both named), or a state
            tensor's rows differ from the shard's.

    Shape: ``shard`` ``(stop - start, D)``; each ``state`` tensor ``(stop - start, ...)``.
    """
    start, stop = _rank_range(num_embeddings, rank, world_size)
    weight = _array(shard)
    if weight.ndim != 2 or weight.shape[0] != stop - start:
        raise ValueError(
            f"rank {rank} of {world_size} owns rows [{start}, {stop}) of {num_embeddings} "
            f"({stop - start} rows), but the shard has shape {tuple(weight.shape)}"
        )
    tensors = {"weight": weight}
    for name, value in (state or {}).items():
        arr = _array(value)
        if name == "weight" or arr.ndim < 1 or arr.shape[0] != stop - start:
            raise ValueError(
                f"state {name!r} must be a per-row tensor of {stop - start} rows (this rank's "
                f"[{start}, {stop})) under a name other than 'weight', got shape "
                f"{tuple(arr.shape)}"
            )
        tensors[name] = arr
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    save(tensors, folder / _shard_file(rank, world_size), metadata={
        "format": FORMAT, "rank": str(rank), "world_size": str(world_size),
        "rows": f"{start},{stop}", "num_embeddings": str(num_embeddings),
    })
    if world_size > 1:
        _barrier(process_group)
    if rank == 0:
        index = {
            "format": FORMAT, "version": VERSION, "num_embeddings": int(num_embeddings),
            "embedding_dim": int(weight.shape[1]), "dtype": str(weight.dtype),
            "world_size": int(world_size), "tensors": list(tensors),
            "shards": [{"rank": r, "file": _shard_file(r, world_size), "rows": [a, b]}
                       for r, (a, b) in enumerate(row_ranges(num_embeddings, world_size))],
        }
        with atomic_write(folder / INDEX, "w", encoding="utf-8") as f:
            f.write(_index_text(index))


def _index_text(index: dict[str, Any]) -> str:
    """The index as JSON, one key (and one shard) a line: readable, and diffable."""
    top = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in index.items() if k != "shards"]
    shards = ",\n".join(f"  {json.dumps(s)}" for s in index["shards"])
    return "{\n" + ",\n".join(top) + ',\n "shards": [\n' + shards + "\n ]\n}\n"


def _barrier(process_group: Any) -> None:
    """Wait for every rank (their shards are written) when torch.distributed is running."""
    try:
        import torch.distributed as dist
    except ImportError:
        return
    if dist.is_available() and dist.is_initialized():
        dist.barrier(group=process_group)


def _read_index(directory: str | os.PathLike) -> dict[str, Any]:
    """The index, checked: its ranges cover ``[0, V)`` in order, without gap or overlap."""
    path = Path(directory) / INDEX
    if not path.is_file():
        raise FileNotFoundError(
            f"{os.fspath(path)}: no sharded checkpoint index here (save_sharded writes it, "
            f"rank 0 last, once every shard is written)"
        )
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        v, shards = int(index["num_embeddings"]), index["shards"]
        ranges = [(int(s["rows"][0]), int(s["rows"][1])) for s in shards]
        files = [str(s["file"]) for s in shards]
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise CheckpointError(f"{os.fspath(path)}: not a sharded checkpoint index ({exc!r})") \
            from None
    if index.get("format") != FORMAT:
        raise CheckpointError(f"{os.fspath(path)}: format {index.get('format')!r}, expected "
                              f"{FORMAT!r}")
    pos = 0
    for file, (a, b) in zip(files, ranges):
        if a != pos or b < a:
            what = f"rows [{pos}, {a}) are in no shard" if a > pos else \
                f"rows [{a}, {min(b, pos)}) are in two shards"
            raise CheckpointError(
                f"{os.fspath(path)}: the shards' row ranges don't cover the table of {v} rows "
                f"once each: {what} ({file} holds [{a}, {b}))"
            )
        if os.path.basename(file) != file:
            raise CheckpointError(f"{os.fspath(path)}: shard file {file!r} is not a plain "
                                  f"file name in the checkpoint's folder")
        pos = b
    if pos != v:
        raise CheckpointError(
            f"{os.fspath(path)}: the shards' row ranges don't cover the table of {v} rows "
            f"once each: rows [{pos}, {v}) are in no shard"
        )
    index["_ranges"], index["_files"] = ranges, files
    return index


def _load_one(directory: Path, index: dict[str, Any], i: int, name: str,
              mmap: bool) -> np.ndarray:
    file, (a, b) = index["_files"][i], index["_ranges"][i]
    path = directory / file
    if not path.is_file():
        raise FileNotFoundError(
            f"{os.fspath(path)}: shard file missing (rows [{a}, {b}) of {index['num_embeddings']}"
            f", listed in {os.fspath(directory / INDEX)})"
        )
    tensors = load(path, mmap=mmap)
    if name not in tensors:
        raise KeyError(f"{os.fspath(path)} holds no tensor {name!r} (it holds "
                       f"{sorted(tensors)})")
    arr = tensors[name]._data
    if arr.ndim < 1 or arr.shape[0] != b - a:
        raise CheckpointError(f"{os.fspath(path)}: tensor {name!r} has shape {arr.shape}, but "
                              f"the index gives it rows [{a}, {b}) ({b - a} rows)")
    return arr


def load_sharded(
    directory: str | os.PathLike, name: str = "weight", *, out: Tensor | None = None
) -> Tensor:
    """Reassemble a row-wise sharded checkpoint into one table (for inference, or to train on
    one process).

    Each shard is read through a copy-on-write mapping (``firstlayer.load(..., mmap=True)``)
    and copied into the result, so memory holds the result only: for a table larger than
    memory, pass ``out=firstlayer.from_file(path, shared=True, size=V * D).view(V, D)``.

    Args:
        directory: the folder ``save_sharded`` wrote.
        name: which tensor: ``"weight"`` (the rows) or a ``state`` name saved with them.
        out: write into this ``(V, ...)`` tensor instead of a new one.

    Raises:
        FileNotFoundError: no index, or a shard file missing (named, with its rows).
        CheckpointError: an index whose ranges don't cover the table once each (the gap or
            overlap named), or a shard whose rows disagree with the index.

    Shape: ``(V, D)`` for ``"weight"``.
    """
    folder = Path(directory)
    index = _read_index(folder)
    pieces = [_load_one(folder, index, i, name, mmap=True) for i in range(len(index["_files"]))]
    v = int(index["num_embeddings"])
    tail = pieces[0].shape[1:] if pieces else ()
    dtype = pieces[0].dtype if pieces else np.dtype(index.get("dtype", "float32"))
    if out is None:
        result = np.empty((v, *tail), dtype)
    else:
        result = out._data
        if result.shape != (v, *tail):
            raise ValueError(f"out has shape {tuple(result.shape)}; the checkpoint's {name!r} "
                             f"is {(v, *tail)}")
    for (a, b), piece in zip(index["_ranges"], pieces):
        result[a:b] = piece
    return out if out is not None else Tensor._wrap(result)


def load_shard(
    directory: str | os.PathLike,
    rank: int,
    world_size: int,
    name: str = "weight",
    *,
    mmap: bool = False,
) -> Tensor:
    """One rank's rows of a row-wise sharded checkpoint, to resume training on the same world
    size.

    Args:
        directory: the folder ``save_sharded`` wrote.
        rank: the rank whose rows to load.
        world_size: the world size of this run: it must be the checkpoint's (to change it,
            reassemble with ``load_sharded`` and take the new ranks' rows).
        name: which tensor: ``"weight"`` or a ``state`` name saved with it.
        mmap: map the file instead of reading it (``firstlayer.load(..., mmap=True)``:
            copy-on-write unless ``set_default_mmap_options(mmap.MAP_SHARED)`` is in effect).

    Raises:
        ValueError: ``world_size`` differs from the checkpoint's (both named).
        FileNotFoundError: the shard file is missing (named, with its rows).

    Shape: ``(stop - start, D)`` for ``"weight"``.
    """
    folder = Path(directory)
    index = _read_index(folder)
    saved = int(index["world_size"])
    if world_size != saved or len(index["_files"]) != saved:
        raise ValueError(
            f"{os.fspath(folder)} was saved by {saved} ranks, but this run has world_size "
            f"{world_size}: its shards hold other rows. Run on {saved} ranks, or reassemble "
            f"the table with load_sharded() and take rows row_ranges(V, {world_size})[rank]"
        )
    _rank_range(int(index["num_embeddings"]), rank, world_size)  # rank in range
    return Tensor._wrap(_load_one(folder, index, rank, name, mmap))
