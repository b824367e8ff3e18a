"""Side-by-side timings of ``EmbeddingBag`` against PyTorch, in one process.

Workloads (V=100k rows, D=128, float32; bags of 20 ids; ids drawn from a Zipf law over the
vocabulary as in ``bench_core.py``, or uniformly where the name says so):

1. ``bag-train``          ``EmbeddingBag(mode="sum")`` forward + ``out.backward(g)`` +
                          ``SGD.step()`` on 20k bags, dense gradient (the target: <= 1.0).
   ``bag-train-uniform``  the same with uniformly drawn ids (no cache-friendly hot rows).
   ``bag-train-sparse``   the same with ``sparse=True`` (row-sparse gradient).
   ``bag-train-mean``     ``mode="mean"``, dense.
2. ``bag-fwd-20k``, ``bag-fwd-50k``  forward only (sum), 20k and 50k bags.
   ``bag-fwd-50k-uniform``           50k bags, uniform ids.
   ``bag-fwd-max``                   ``mode="max"`` forward, 20k bags.

Timing method (alternating runs, pauses so the other library's spinning threads are idle,
median of each, ratio firstlayer / torch with torch at 2 threads), the report of how busy the
machine was and the wait for a quiet machine are those of ``bench_core.py``: both import them
from ``_harness.py``.

Usage::

    python bench/bench_embedding_bag.py            # full run, prints a table at the end
    python bench/bench_embedding_bag.py --quick    # fewer repetitions (a smoke test)
    python bench/bench_embedding_bag.py --only bag-train bag-fwd-50k
    python bench/bench_embedding_bag.py --runs 3 --wait-quiet 60   # on a shared machine
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import firstlayer as fl
from _harness import Workloads, rounds, setup, summary_table, time_runs, zipf_ids

V, D, BAG_LEN = 100_000, 128, 20
ZIPF_A = 1.1
LR = 0.01

# The target the issue set (median ratio firstlayer / torch); the others are reported only.
TARGETS: dict[str, float | None] = {
    "bag-train": 1.0,
    "bag-train-uniform": 1.0,
    "bag-train-sparse": None,
    "bag-train-mean": None,
    "bag-fwd-20k": None,
    "bag-fwd-50k": None,
    "bag-fwd-50k-uniform": None,
    "bag-fwd-max": None,
}


def make_ids(rng: np.random.Generator, num_bags: int, uniform: bool) -> np.ndarray:
    n = num_bags * BAG_LEN
    if uniform:
        return rng.integers(0, V, size=n, dtype=np.int64)
    return zipf_ids(rng, n, V, ZIPF_A)


def bag_pair(weight: np.ndarray, mode: str, sparse: bool) -> tuple[object, object]:
    """Two EmbeddingBag layers holding the same table."""
    fl_bag = fl.nn.EmbeddingBag(V, D, mode=mode, sparse=sparse)
    fl_bag.weight.data = fl.from_numpy(weight.copy())
    t_bag = torch.nn.EmbeddingBag(V, D, mode=mode, sparse=sparse)
    with torch.no_grad():
        t_bag.weight.copy_(torch.from_numpy(weight))
    return fl_bag, t_bag


def bag_train(
    rng: np.random.Generator, num_bags: int, uniform: bool, mode: str, sparse: bool
) -> tuple[Callable, Callable]:
    weight = rng.standard_normal((V, D), dtype=np.float32)
    ids = make_ids(rng, num_bags, uniform)
    offsets = np.arange(0, ids.shape[0], BAG_LEN, dtype=np.int64)
    grad_out = rng.standard_normal((num_bags, D), dtype=np.float32)
    fl_bag, t_bag = bag_pair(weight, mode, sparse)
    fl_opt = fl.optim.SGD(fl_bag.parameters(), lr=LR)
    t_opt = torch.optim.SGD(t_bag.parameters(), lr=LR)
    fl_ids, fl_offs, fl_g = fl.from_numpy(ids), fl.from_numpy(offsets), fl.from_numpy(grad_out)
    t_ids, t_offs = torch.from_numpy(ids), torch.from_numpy(offsets)
    t_g = torch.from_numpy(grad_out.copy())

    def fl_step() -> None:
        fl_opt.zero_grad()
        fl_bag(fl_ids, fl_offs).backward(fl_g)
        fl_opt.step()

    def torch_step() -> None:
        t_opt.zero_grad()
        t_bag(t_ids, t_offs).backward(t_g)
        t_opt.step()

    return fl_step, torch_step


def bag_fwd(
    rng: np.random.Generator, num_bags: int, uniform: bool, mode: str
) -> tuple[Callable, Callable]:
    weight = rng.standard_normal((V, D), dtype=np.float32)
    ids = make_ids(rng, num_bags, uniform)
    offsets = np.arange(0, ids.shape[0], BAG_LEN, dtype=np.int64)
    fl_bag, t_bag = bag_pair(weight, mode, sparse=False)
    fl_ids, fl_offs = fl.from_numpy(ids), fl.from_numpy(offsets)
    t_ids, t_offs = torch.from_numpy(ids), torch.from_numpy(offsets)

    def fl_fwd() -> None:
        with fl.no_grad():
            fl_bag(fl_ids, fl_offs)

    def torch_fwd() -> None:
        with torch.no_grad():
            t_bag(t_ids, t_offs)

    return fl_fwd, torch_fwd


def main() -> None:
    args = setup(__doc__, TARGETS)
    repeats, warmup = rounds(args)
    print(
        f"V={V} D={D}, bags of {BAG_LEN} ids (Zipf a={ZIPF_A} unless 'uniform'); {repeats} "
        f"rounds after {warmup} warm-up, {args.pause} s pause before each call"
    )
    rng = np.random.default_rng(args.seed)
    workloads: Workloads = {
        "bag-train": lambda: bag_train(rng, 20_000, False, "sum", False),
        "bag-train-uniform": lambda: bag_train(rng, 20_000, True, "sum", False),
        "bag-train-sparse": lambda: bag_train(rng, 20_000, False, "sum", True),
        "bag-train-mean": lambda: bag_train(rng, 20_000, False, "mean", False),
        "bag-fwd-20k": lambda: bag_fwd(rng, 20_000, False, "sum"),
        "bag-fwd-50k": lambda: bag_fwd(rng, 50_000, False, "sum"),
        "bag-fwd-50k-uniform": lambda: bag_fwd(rng, 50_000, True, "sum"),
        "bag-fwd-max": lambda: bag_fwd(rng, 20_000, False, "max"),
    }
    runs = time_runs(workloads, args)
    print()
    print(summary_table(runs, TARGETS))


if __name__ == "__main__":
    main()
