"""Tables too big for one process: row-wise sharding across ``torch.distributed`` ranks.

TorchRec's *row-wise sharding*, built from firstlayer's pieces and PyTorch's collectives: rank
``r`` of ``W`` owns rows ``[r * V // W, (r + 1) * V // W)`` of a ``(V, D)`` table
(``row_ranges``), made and initialised on that rank alone (``empty_shard``, optionally
memory-mapped; ``uniform_rows_``/``normal_rows_`` give the numbers a full init would give);
``RowWiseShardedEmbeddingBag`` routes each batch's ids to their owners with
``all_to_all_single`` and each owner trains only its rows (a sparse gradient); a checkpoint is
one safetensors file per shard plus an index (``save_sharded``, ``load_sharded``,
``load_shard``). See docs/distributed.md and examples/sharded_classifier.py.

Everything here but ``RowWiseShardedEmbeddingBag`` is NumPy only; that class imports torch
when first used (``import firstlayer`` and ``import firstlayer.distributed`` never do).
"""

from __future__ import annotations

from typing import Any

from .checkpoint import load_shard, load_sharded, save_sharded
from .rows import empty_shard, normal_rows_, row_ranges, uniform_rows_

__all__ = [
    "RowWiseShardedEmbeddingBag",
    "empty_shard",
    "load_shard",
    "load_sharded",
    "normal_rows_",
    "row_ranges",
    "save_sharded",
    "uniform_rows_",
]


def __getattr__(name: str) -> Any:
    if name == "RowWiseShardedEmbeddingBag":
        from .embedding_bag import RowWiseShardedEmbeddingBag

        return RowWiseShardedEmbeddingBag
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"RowWiseShardedEmbeddingBag"})
