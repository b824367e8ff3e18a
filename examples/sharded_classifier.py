"""A text classifier whose embedding table is split row-wise across N processes (model
parallel, as TorchRec's row-wise sharding) while its Linear layer is replicated with DDP (data
parallel), then saved as a sharded checkpoint.

Each process makes and initialises only its own rows of the table (``firstlayer.distributed.
empty_shard`` + ``uniform_rows_``: the numbers a full init gives those rows; ``--mmap-dir``
maps them from a file), wraps them in ``RowWiseShardedEmbeddingBag`` (ids routed to their
owners with ``all_to_all_single``, a sparse gradient for this process's rows only) and trains
them with ``torch.optim.SGD``; the Linear is wrapped in ``DistributedDataParallel``. Every
process writes its rows to ``--out`` (one safetensors file each, plus an index that rank 0
writes); ``firstlayer.distributed.load_sharded`` reassembles the table. See docs/distributed.md.

    # 2 processes on this machine (gloo, 127.0.0.1 only)
    python examples/sharded_classifier.py --world-size 2 --out ckpt/
    torchrun --standalone --nproc_per_node=2 examples/sharded_classifier.py --out ckpt/
    # one process, no torch.distributed: an ordinary EmbeddingBag, the reference
    python examples/sharded_classifier.py --out ckpt/
    # GPUs: NCCL, one GPU a process (the table's gradient never goes through an all-reduce)
    torchrun --standalone --nproc_per_node=8 examples/sharded_classifier.py --backend nccl

Data as in ddp_classifier.py: ``--data FILE`` in fastText's format, or synthetic documents.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

import firstlayer as fl
import firstlayer.nn as fnn
from firstlayer.distributed import (
    RowWiseShardedEmbeddingBag,
    empty_shard,
    row_ranges,
    save_sharded,
    uniform_rows_,
)
from firstlayer.interop import to_torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ddp_classifier  # noqa: E402  (its data: synthetic or fastText-format documents)
import ddp_launch  # noqa: E402  (the examples' shared launcher, next to this file)


def build(args: argparse.Namespace, vocab_size: int, num_classes: int, rank: int, world: int,
          sharded: bool) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The table (this rank's rows if ``sharded``, else all of it) and the Linear layer.

    The table is drawn from its own generator, U(-1/dim, 1/dim) as fastText starts: a rank's
    rows get exactly the numbers the whole table's init puts there, so any world size starts
    from the same model. The Linear is drawn from the default generator, the same everywhere.
    """
    table_generator = fl.Generator().manual_seed(args.seed)
    bound = 1.0 / args.dim
    bag: torch.nn.Module
    if sharded:
        file = None
        if args.mmap_dir:
            Path(args.mmap_dir).mkdir(parents=True, exist_ok=True)
            file = Path(args.mmap_dir) / f"table-{rank}-of-{world}.bin"
        shard = empty_shard(vocab_size, args.dim, rank, world, file=file)
        start, _ = row_ranges(vocab_size, world)[rank]
        uniform_rows_(shard, start, vocab_size, -bound, bound, generator=table_generator)
        bag = RowWiseShardedEmbeddingBag(vocab_size, args.dim, mode="mean", shard=shard)
    else:
        table = fnn.init.uniform_(fl.empty(vocab_size, args.dim), -bound, bound,
                                  generator=table_generator)
        bag = to_torch(fnn.EmbeddingBag.from_pretrained(table, freeze=False, mode="mean",
                                                        sparse=True))
    fl.manual_seed(args.seed)
    fc = to_torch(fnn.Linear(args.dim, num_classes))
    return bag, fc


def train(args: argparse.Namespace, rank: int,
          world: int) -> tuple[torch.nn.Module, torch.nn.Module, dict]:
    """Train on this process's slice of every global batch; return the table (this rank's
    rows), the Linear and stats. World 1 without torchrun: plain torch, no process group."""
    docs = ddp_classifier.load_docs(args)
    device = ddp_launch.init_process_group(args)
    sharded = ddp_launch.is_distributed(args)
    bag, fc = build(args, docs.vocab_size, docs.num_classes, rank, world, sharded)
    bag, fc = bag.to(device), fc.to(device)
    dense: torch.nn.Module = fc
    if sharded:
        dense = torch.nn.parallel.DistributedDataParallel(
            fc, device_ids=[device.index] if device.type == "cuda" else None)
    # DDP averages the Linear's gradients over the W processes; the table's gradient is the
    # sum of all processes' losses (each owner adds every rank's contribution): lr / W makes
    # both the gradient of the global batch's mean loss, as in one process
    optimizer = torch.optim.SGD([{"params": bag.parameters(), "lr": args.lr / world},
                                 {"params": fc.parameters()}], lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses, start, steps, sent_before = [], 0.0, 0, 0
    for epoch, step, batch in ddp_launch.global_batches(
        len(docs), args.batch_size, args.epochs, args.steps, args.seed
    ):
        if step == 1:  # step 0 pays for DDP's first-iteration setup
            start = time.perf_counter()
            sent_before = getattr(bag, "bytes_sent", 0)
        ids, offsets, labels = (torch.from_numpy(a).to(device) for a in
                                docs.batch(ddp_launch.shard(batch, rank, world)))
        optimizer.zero_grad()
        loss = loss_fn(dense(bag(ids, offsets)), labels)
        loss.backward()  # the table's rows: all_to_all to their owners; the Linear: all-reduce
        optimizer.step()
        losses.append(loss.item())
        steps = step + 1
        if not args.quiet and rank == 0 and step % 50 == 0:
            print(f"epoch {epoch} step {step} loss {losses[-1]:.4f} (rank 0's slice)", flush=True)
    elapsed = time.perf_counter() - start if steps > 1 else 0.0
    sent = getattr(bag, "bytes_sent", 0) - sent_before
    stats = {"steps": steps, "steps_per_s": (steps - 1) / elapsed if elapsed else 0.0,
             "last_loss": losses[-1] if losses else float("nan"),
             "bytes_per_step": sent / (steps - 1) if steps > 1 else 0.0,
             "vocab_size": docs.vocab_size, "num_classes": docs.num_classes}
    return bag, fc, stats


def worker(rank: int, world: int, args: argparse.Namespace) -> None:
    bag, fc, stats = train(args, rank, world)
    vocab, dim = stats["vocab_size"], args.dim
    if args.out:  # every rank its rows; rank 0 the index and the (replicated) Linear
        save_sharded(args.out, bag.weight, num_embeddings=vocab, rank=rank, world_size=world)
        if rank == 0:
            fl.save({k: v.detach().cpu().numpy() for k, v in fc.state_dict().items()},
                    Path(args.out) / "fc.safetensors")
    sharded = ddp_launch.is_distributed(args)
    sent = torch.tensor([stats["bytes_per_step"]], dtype=torch.float64,
                        device=bag.weight.device)
    if sharded:
        dist.all_reduce(sent)  # every rank's traffic
    if rank == 0:
        table_bytes = vocab * dim * 4
        ring = 2 * (world - 1) * table_bytes  # a ring all-reduce: 2 (W-1)/W of it, per rank
        kind = f"{args.backend}, row-wise sharded" if sharded else "single, not sharded"
        print(f"world {world} ({kind}): {stats['steps']} steps, {stats['steps_per_s']:.1f} "
              f"steps/s, last loss {stats['last_loss']:.4f}; table {vocab} x {dim}: "
              f"{sent.item() / 1e3:.1f} kB sent a step by all ranks (ids and pooled rows), "
              f"against {ring / 1e6:.2f} MB for DDP's dense all-reduce of the table"
              + (f"; saved {args.out}" if args.out else ""), flush=True)
    ddp_launch.finish()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    ddp_launch.add_arguments(parser)
    ddp_classifier.add_data_arguments(parser)
    parser.add_argument("--mmap-dir", default=None, help="map each process's rows from a file "
                        "in this folder (firstlayer.from_file, shared: trained in place)")
    parser.set_defaults(epochs=3, out=None)
    for action in parser._actions:  # the shared options' help, said for a checkpoint folder
        if action.dest == "out":
            action.help = "save the sharded checkpoint in this folder (every rank its rows)"
        elif action.dest == "sparse":
            action.help = argparse.SUPPRESS  # the table's gradient is always row-sparse
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 5.0
    args.sparse = False  # no sparse all-reduce here: nothing for NCCL to refuse
    try:
        ddp_launch.resolve(args)
        ddp_launch.check_split(len(ddp_classifier.load_docs(args)), args.batch_size,
                               args.world_size)
    except (ValueError, OSError) as exc:  # before any process starts or any group forms
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> None:
    ddp_launch.launch(worker, parse_args(argv))


if __name__ == "__main__":
    main()
