"""``RowWiseShardedEmbeddingBag``: an EmbeddingBag whose rows are split across torch.distributed
ranks, looked up by routing ids to their owners with ``all_to_all_single``.

This module imports torch; ``firstlayer.distributed`` loads it on first use of the class.

One forward, on every rank at once (W ranks; rank r holds its local batch of B_r bags):

1. each id goes to the rank that owns its row (``row_ranges``): per destination, the number
   of its ids in each of my bags, then the ids themselves (as rows of the owner's shard);
   the counts are exchanged first (``all_to_all_single`` of W x 2 ints), then the payload;
2. each owner pools (sums) its rows for every rank's bags: ``(sum_s B_s, D)`` partial sums;
3. a second ``all_to_all_single`` sends each rank the partial sums of its bags from every
   owner; their sum over owners is the bag's sum (``mode="mean"`` then divides by the bag's
   length, known locally).

Backward sends each rank's output gradient ``(B_r, D)`` to every owner (the transpose of step
3); each owner turns it into a row-sparse gradient of its own shard (one row per id it looked
up, uncoalesced, as ``torch.nn.functional.embedding_bag(sparse=True)`` gives). No table and
no table-sized gradient is ever all-reduced; bytes sent per step grow with the batch
(``ids + W x B x D`` floats each way), not with V.
"""

from __future__ import annotations

from typing import Any

try:
    import torch
    import torch.distributed as dist
except ImportError as exc:  # pragma: no cover - torch is in the test extra
    raise ImportError(
        "firstlayer.distributed.RowWiseShardedEmbeddingBag runs on PyTorch's torch.distributed: "
        "install it with `pip install torch`"
    ) from exc

import numpy as np

from ..tensor import Tensor
from .rows import _rank_range, empty_shard, normal_rows_, row_ranges

__all__ = ["RowWiseShardedEmbeddingBag"]


class _Group:
    """This rank's place: rank, world size, the process group (None: no collectives)."""

    def __init__(self, process_group: Any) -> None:
        self.group = process_group
        self.distributed = dist.is_available() and dist.is_initialized()
        if self.distributed:
            self.rank = dist.get_rank(process_group)
            self.world = dist.get_world_size(process_group)
        else:
            self.rank, self.world = 0, 1

    def all_to_all(self, send: torch.Tensor, send_splits: list[int],
                   recv_splits: list[int]) -> torch.Tensor:
        """Rows ``send`` split by ``send_splits`` out to each rank; rows from each rank in."""
        if not self.distributed:  # one process: what it sends is what it gets
            return send.clone()
        recv = send.new_empty((sum(recv_splits), *send.shape[1:]))
        dist.all_to_all_single(recv, send.contiguous(), recv_splits, send_splits,
                               group=self.group)
        return recv


class _Routed:
    """What forward learnt about the batch, for backward: who sent how many bags."""

    def __init__(self, my_bags: int, bags_from: list[int], ids: torch.Tensor,
                 bag_of_id: torch.Tensor) -> None:
        self.my_bags = my_bags          # B_r: this rank's bags
        self.bags_from = bags_from      # B_s for each source rank s
        self.ids = ids                  # the ids this rank looked up (rows of its shard)
        self.bag_of_id = bag_of_id      # each one's bag among the received sum_s B_s bags


class _ShardedBag(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, weight: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor,
                module: RowWiseShardedEmbeddingBag) -> torch.Tensor:
        g, world = module._group, module._group.world
        dim, device = weight.shape[1], weight.device
        bags = lengths.numel()
        starts = torch.tensor([a for a, _ in module.row_ranges], device=device)
        owner = torch.searchsorted(starts, ids, right=True) - 1
        bag = torch.repeat_interleave(torch.arange(bags, device=device), lengths)
        order = torch.argsort(owner, stable=True)  # by owner; each owner's ids in bag order
        owner, bag, local = owner[order], bag[order], ids[order] - starts[owner[order]]
        per_bag = torch.bincount(owner * bags + bag, minlength=world * bags).view(world, bags)
        counts = per_bag.sum(1)
        # 1. who sends what: ids for each destination, and my bag count
        meta = torch.stack([counts, torch.full_like(counts, bags)], 1)
        got = g.all_to_all(meta, [1] * world, [1] * world).tolist()
        ids_from, bags_from = [n for n, _ in got], [b for _, b in got]
        # each destination's payload: its ids' count in each of my bags, then those ids
        ids_to = counts.tolist()
        send = torch.cat([torch.cat([per_bag[d], part])
                          for d, part in enumerate(torch.split(local, ids_to))])
        sizes_in = [b + n for b, n in zip(bags_from, ids_from)]
        recv = g.all_to_all(send, [bags + n for n in ids_to], sizes_in)
        recv_lengths, recv_ids = [], []
        for s, piece in enumerate(torch.split(recv, sizes_in)):
            recv_lengths.append(piece[:bags_from[s]])
            recv_ids.append(piece[bags_from[s]:])
        lengths_in, ids_in = torch.cat(recv_lengths), torch.cat(recv_ids)
        # 2. pool my rows for everyone's bags
        offsets = torch.cumsum(lengths_in, 0) - lengths_in
        pooled = torch.nn.functional.embedding_bag(ids_in, weight, offsets, mode="sum")
        # 3. each rank gets its bags' partial sums from every owner, and adds them up
        back = g.all_to_all(pooled, bags_from, [bags] * world)
        out = back.view(world, bags, dim).sum(0)
        me = g.rank  # bytes to the other ranks: meta, payload (int64), partial sums
        module._count(16 * (world - 1)
                      + 8 * sum(bags + n for d, n in enumerate(ids_to) if d != me)
                      + weight.element_size() * dim
                      * sum(b for s, b in enumerate(bags_from) if s != me))
        bag_in = torch.repeat_interleave(torch.arange(len(lengths_in), device=device),
                                         lengths_in)
        ctx.routed = _Routed(bags, bags_from, ids_in, bag_in)
        ctx.module = module
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        routed, module = ctx.routed, ctx.module
        world, weight = module._group.world, module.weight
        # the transpose of step 3: my bags' gradient to every owner
        grad_in = module._group.all_to_all(grad.repeat(world, 1), [routed.my_bags] * world,
                                           routed.bags_from)
        module._count(grad.element_size() * grad.shape[1] * routed.my_bags * (world - 1))
        rows = grad_in.index_select(0, routed.bag_of_id)
        sparse = torch.sparse_coo_tensor(routed.ids.unsqueeze(0), rows, weight.shape,
                                         check_invariants=False)
        return sparse, None, None, None


class RowWiseShardedEmbeddingBag(torch.nn.Module):
    """An ``EmbeddingBag`` of ``num_embeddings`` rows split across the ranks of a
    ``torch.distributed`` process group: this rank holds rows ``row_ranges(V, W)[rank]``
    (TorchRec's row-wise sharding, model parallel), and every rank calls it on its own batch.

    Every rank must call forward and backward the same number of times (they are collective
    operations, on gloo or NCCL). ``weight`` is this rank's shard only, a torch Parameter
    sharing memory with the firstlayer tensor ``shard`` (memory-mapped if that one is); its
    gradient is sparse (a COO tensor of the rows looked up), for optimizers that take sparse
    gradients (``torch.optim.SGD``, ``Adagrad``, ``SparseAdam``). The gradient is that of the
    *sum* of all ranks' losses (as TorchRec's): to match DDP, which averages the dense
    gradients over ranks, divide the table's learning rate by W (or its loss).

    Without an initialised process group (one process), it is a plain EmbeddingBag.

    Args:
        num_embeddings: the whole table's rows V.
        embedding_dim: the size D of each row.
        mode: ``"sum"`` or ``"mean"`` (default) of each bag's rows; an empty bag gives zeros.
        shard: this rank's rows, ``(stop - start, D)``, e.g. ``empty_shard`` filled with
            ``uniform_rows_``, or ``load_shard`` of a checkpoint. Default: a new in-memory
            shard with the rows ``nn.EmbeddingBag(V, D)`` would have (``N(0, 1)`` from the
            default generator, see ``normal_rows_``).
        process_group: the group whose ranks share the table (default: the default group).

    Shape: input ``(N,)`` with ``offsets`` ``(B,)``, or ``(B, L)`` without -> ``(B, D)``.

    >>> import torch
    >>> bag = RowWiseShardedEmbeddingBag(10, 3, mode="sum")  # one process: the whole table
    >>> bag(torch.tensor([1, 2, 4, 5]), torch.tensor([0, 2])).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        mode: str = "mean",
        *,
        shard: Any = None,
        process_group: Any = None,
    ) -> None:
        super().__init__()
        from ..interop import to_torch

        if mode not in ("sum", "mean"):
            raise ValueError(f"mode must be 'sum' or 'mean' for a row-wise sharded bag, got "
                             f"{mode!r} ('max' has no partial result that owners could add)")
        self._group = _Group(process_group)
        rank, world = self._group.rank, self._group.world
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.start, self.stop = _rank_range(num_embeddings, rank, world)
        self.row_ranges = row_ranges(num_embeddings, world)
        if shard is None:
            shard = normal_rows_(empty_shard(num_embeddings, embedding_dim, rank, world),
                                 self.start, num_embeddings)
        elif isinstance(shard, np.ndarray):
            shard = Tensor._wrap(shard)
        if isinstance(shard, Tensor):
            self.shard: Tensor | None = shard
            data = to_torch(shard)
        else:  # a torch tensor: used as it is
            self.shard = None
            data = shard.detach()
        if tuple(data.shape) != (self.stop - self.start, embedding_dim):
            raise ValueError(
                f"rank {rank} of {world} owns rows [{self.start}, {self.stop}) of "
                f"{num_embeddings}: its shard must have shape ({self.stop - self.start}, "
                f"{embedding_dim}), got {tuple(data.shape)}"
            )
        self.weight = torch.nn.Parameter(data)
        self.bytes_sent = 0  # bytes this rank sent to other ranks, forward and backward

    def _count(self, nbytes: int) -> None:
        self.bytes_sent += int(nbytes)

    def forward(self, input: torch.Tensor,  # noqa: A002  (torch's name)
                offsets: torch.Tensor | None = None) -> torch.Tensor:
        """One vector per bag, the sum or mean of its rows wherever they live."""
        if input.dim() == 2:
            if offsets is not None:
                raise ValueError("offsets has to be None if input is 2D")
            bags, length = input.shape
            ids = input.reshape(-1)
            lengths = torch.full((bags,), length, dtype=torch.long, device=input.device)
        elif input.dim() == 1:
            if offsets is None or offsets.dim() != 1:
                raise ValueError("offsets has to be a 1D Tensor but got None" if offsets is None
                                 else f"offsets has to be a 1D Tensor, got {offsets.dim()}-D")
            ids = input
            bounds = torch.cat([offsets.to(torch.long),
                                torch.tensor([input.numel()], device=input.device)])
            lengths = bounds[1:] - bounds[:-1]
            if offsets.numel() and (int(offsets[0]) != 0 or bool((lengths < 0).any())):
                raise ValueError(f"offsets must start at 0 and not decrease, up to the "
                                 f"input's {input.numel()} ids; got {offsets.tolist()[:8]}")
        else:
            raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                             f"{input.dim()}")
        ids = ids.to(torch.long)
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.num_embeddings):
            bad = ids[(ids < 0) | (ids >= self.num_embeddings)][0]
            raise IndexError(f"index {int(bad)} out of range for a table of "
                             f"{self.num_embeddings} rows")
        out = _ShardedBag.apply(self.weight, ids, lengths, self)
        if self.mode == "mean":
            out = out / lengths.clamp(min=1).unsqueeze(1).to(out.dtype)
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}, "
                f"rows=[{self.start}, {self.stop}) of rank {self._group.rank}/"
                f"{self._group.world}")
