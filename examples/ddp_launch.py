"""What the two DDP examples share: starting processes, splitting global batches, checks.

Three ways to start, one code path:

- ``torchrun ... script.py``: torchrun starts the processes and sets ``RANK``, ``WORLD_SIZE``,
  ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``; every process runs ``worker(rank, world)``.
- ``python script.py --world-size N`` (N > 1): for people without torchrun. The parent checks the
  arguments, picks a free port on 127.0.0.1 and starts N processes with
  ``torch.multiprocessing.spawn``; one machine only.
- ``python script.py`` (``--world-size 1``): one process, no ``torch.distributed`` and no DDP at
  all: the reference that a distributed run must reproduce.

Every process sees the same data and the same sequence of *global* batches (a permutation per
epoch from ``--seed``); process ``r`` of ``W`` takes the ``r``-th of ``W`` equal slices. DDP
averages the gradients of the slices, which is the gradient of the mean loss over the global
batch only when the slices are equal: so the global batch must be a multiple of the world size,
checked before anything starts (:func:`check_split`).
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

Worker = Callable[[int, int, argparse.Namespace], Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The launch and training-loop options both examples take."""
    parser.add_argument("--world-size", type=int, default=None,
                        help="processes to spawn without torchrun (default 1: no distributed); "
                             "under torchrun the world size is torchrun's")
    parser.add_argument("--backend", choices=["gloo", "nccl"], default=None,
                        help="gloo (CPU, the default without GPUs) or nccl (one GPU a process, "
                             "the default when CUDA is available)")
    parser.add_argument("--sparse", action=argparse.BooleanOptionalAction, default=None,
                        help="sparse embedding gradients (default: on with gloo; NCCL has no "
                             "sparse all-reduce)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="the GLOBAL batch: each of W processes takes batch-size / W")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: all)")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="save the trained model here (firstlayer's "
                        "format, written by rank 0)")
    parser.add_argument("--torch-out", default=None,
                        help="also save the torch module's state_dict here (torch.save)")
    parser.add_argument("--quiet", action="store_true")


def under_torchrun() -> bool:
    """Started by torchrun (or another ``env://`` launcher that sets RANK and WORLD_SIZE)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def resolve(args: argparse.Namespace) -> None:
    """Fill in the world size, backend and sparse defaults; ``ValueError`` on a bad mix.

    Runs in every process before any process group exists, so a bad launch fails at once, the
    same way in every process.
    """
    if under_torchrun():
        world = int(os.environ["WORLD_SIZE"])
        if args.world_size not in (None, world):
            raise ValueError(
                f"--world-size {args.world_size} under torchrun, which started {world} "
                f"processes: drop --world-size (torchrun's --nnodes x --nproc_per_node decides)"
            )
        args.world_size = world
    elif args.world_size is None:
        args.world_size = 1
    if args.world_size < 1:
        raise ValueError(f"--world-size must be >= 1, got {args.world_size}")
    if args.backend is None:
        args.backend = "nccl" if _cuda_available() else "gloo"
    if args.sparse is None:
        args.sparse = args.backend == "gloo"
    if args.sparse and args.backend == "nccl" and (args.world_size > 1 or under_torchrun()):
        raise ValueError(
            "--sparse with --backend nccl: NCCL has no sparse all-reduce in PyTorch's builds "
            "(ProcessGroupNCCL.allreduce_sparse raises 'only available in the NCCL experimental "
            "branch'). Use --no-sparse (dense gradients, the whole table all-reduced each step) "
            "or --backend gloo (sparse all-reduce by all-gather)"
        )
    if args.backend == "nccl" and not _cuda_available():
        raise ValueError("--backend nccl needs CUDA GPUs (one a process); on CPUs use gloo")


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def check_split(n_examples: int, batch_size: int, world_size: int) -> None:
    """``ValueError`` unless ``batch_size`` examples split evenly over ``world_size`` processes
    and the data holds at least one global batch."""
    if batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {batch_size}")
    if batch_size % world_size:
        lower = batch_size // world_size * world_size
        divisors = [w for w in range(1, min(batch_size, 64) + 1) if batch_size % w == 0]
        suggestion = f"{lower} or {lower + world_size}" if lower else f"{world_size}"
        raise ValueError(
            f"the global batch of {batch_size} can't be split over {world_size} processes: "
            f"each process must take the same share (DDP averages the processes' gradients, "
            f"which equals the global batch's gradient only for equal shares). Use a "
            f"--batch-size that is a multiple of {world_size} (e.g. {suggestion}), or a world "
            f"size that divides {batch_size} ({', '.join(map(str, divisors))})"
        )
    if n_examples < batch_size:
        raise ValueError(
            f"the data has {n_examples} examples, fewer than one global batch of {batch_size}: "
            f"use a --batch-size of at most {n_examples // world_size * world_size} or more data"
        )


def global_batches(
    n_examples: int, batch_size: int, epochs: int, steps: int, seed: int
) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(epoch, step, indices)`` for each global batch, the same in every process.

    A fresh permutation per epoch (seeded by ``(seed, epoch)``); an epoch's last incomplete
    batch is dropped, so every process runs the same number of steps (DDP needs that: a
    process that stops early leaves the others waiting in the all-reduce). ``steps`` > 0 stops
    after that many steps in all.
    """
    step = 0
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(n_examples)
        for s in range(n_examples // batch_size):
            if steps and step >= steps:
                return
            yield epoch, step, order[s * batch_size:(s + 1) * batch_size]
            step += 1


def shard(indices: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """Process ``rank``'s slice of a global batch (``check_split`` made the slices equal)."""
    size = len(indices) // world_size
    return indices[rank * size:(rank + 1) * size]


def launch(worker: Worker, args: argparse.Namespace) -> None:
    """Run ``worker(rank, world_size, args)`` in every process (see the module docstring)."""
    if under_torchrun():
        worker(int(os.environ["RANK"]), args.world_size, args)
    elif args.world_size == 1:
        worker(0, 1, args)
    else:
        import torch.multiprocessing as mp

        # spawn is one machine: rendezvous and gloo's traffic stay on the loopback interface
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(free_port())
        loopback = loopback_interface()
        if loopback and args.backend == "gloo":
            os.environ.setdefault("GLOO_SOCKET_IFNAME", loopback)
        mp.spawn(_spawned, args=(worker, args), nprocs=args.world_size, join=True)


def finish() -> None:
    """Leave the process group once every process is done with it.

    Without the barrier, a process whose group is torn down while a peer still sends (rank 0
    saving, the last all-reduce's threads) died now and then with gloo's "terminate called
    without an active exception" (SIGABRT; 1 run in 10 here).
    """
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _spawned(rank: int, worker: Worker, args: argparse.Namespace) -> None:
    import torch

    # torchrun sets OMP_NUM_THREADS=1 per process; share the cores the same way here
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.world_size))
    os.environ["RANK"] = os.environ["LOCAL_RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = os.environ["LOCAL_WORLD_SIZE"] = str(args.world_size)
    worker(rank, args.world_size, args)


def init_process_group(args: argparse.Namespace) -> Any:
    """Join the process group (``env://``) if this run is distributed; return the device
    (``cuda:LOCAL_RANK`` with NCCL, else the CPU)."""
    import torch
    import torch.distributed as dist

    device = torch.device("cpu")
    if args.backend == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    if is_distributed(args):
        dist.init_process_group(args.backend, init_method="env://")
    return device


def is_distributed(args: argparse.Namespace) -> bool:
    return under_torchrun() or args.world_size > 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_interface() -> str | None:
    """The loopback interface's name ("lo" on Linux, "lo0" on macOS), if there is one."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):
        return None
    return next((n for n in names if n in ("lo", "lo0")), None)
