"""Side-by-side timings of firstlayer's optimizer steps against PyTorch's, in one process.

Workloads (a V=100k x D=128 float32 table):

1. ``adam-dense``        ``Adam.step()`` with a dense gradient; ``adamw-dense``,
   ``adagrad-dense``, ``rmsprop-dense`` (momentum, centered) likewise.
2. ``sparse-adam``       ``SparseAdam.step()`` after a batch of 1M ids drawn from a Zipf law
   (the uncoalesced row-sparse gradient ``Embedding(sparse=True)`` makes: each step sums its
   duplicate ids, as torch does); ``adagrad-sparse`` the same with Adagrad.
3. ``adam-lazy-sparse``  our ``Adam`` on that row-sparse gradient (lazy rule) against torch's
   ``SparseAdam`` (torch's Adam rejects sparse gradients; SparseAdam is its nearest peer).
4. ``adam-frozen``       our ``Adam`` with a dense gradient on a table whose rows are all frozen
   but 1000 (``freeze_rows``: the update goes through the sparse path over the unfrozen rows)
   against torch's full dense Adam step: what "train only the new tokens" costs.

The gradient stays on the parameters between steps, so each round times ``step()`` alone.
``Embedding(sparse=True)`` forward + backward + SGD is in ``bench_core.py`` (embed-train-sparse).
Timing method (alternation, pauses, the machine-load report) and caveats: see ``bench_core.py``
(both use ``_harness.py``).

Usage::

    python bench/bench_optim.py                 # full run, prints a table at the end
    python bench/bench_optim.py --quick         # fewer repetitions (a smoke test)
    python bench/bench_optim.py --only sparse-adam adam-dense
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch

import firstlayer as fl
from _harness import OthersLoad, Workloads, rounds, setup, time_workloads, zipf_ids
from bench_core import ZIPF_A

V, D = 100_000, 128
N_SPARSE = 1_000_000
UNFROZEN = 1000

# The targets (median ratio firstlayer / torch); None: reported, no target.
TARGETS: dict[str, float | None] = {
    "adam-dense": 1.5,
    "adamw-dense": None,
    "adagrad-dense": None,
    "rmsprop-dense": None,
    "sparse-adam": 0.7,
    "adagrad-sparse": None,
    "adam-lazy-sparse": None,
    "adam-frozen": None,
}


def _params(rng: np.random.Generator) -> tuple[fl.nn.Parameter, torch.nn.Parameter]:
    w = rng.standard_normal((V, D), dtype=np.float32)
    return fl.nn.Parameter(fl.from_numpy(w.copy())), torch.nn.Parameter(torch.from_numpy(w))


def dense_pair(rng: np.random.Generator, name: str, kw: dict) -> tuple[Callable, Callable]:
    ours, theirs = _params(rng)
    g = rng.standard_normal((V, D), dtype=np.float32)
    ours.grad, theirs.grad = fl.from_numpy(g.copy()), torch.from_numpy(g)
    o_opt = getattr(fl.optim, name)([ours], **kw)
    t_opt = getattr(torch.optim, name)([theirs], **kw)
    return o_opt.step, t_opt.step


def sparse_pair(
    rng: np.random.Generator, ids: np.ndarray, name: str, torch_name: str, kw: dict
) -> tuple[Callable, Callable]:
    ours, theirs = _params(rng)
    values = rng.standard_normal((ids.shape[0], D), dtype=np.float32)
    # The gradient Embedding(sparse=True) makes for these ids: one row per id, uncoalesced.
    ours.grad = fl.RowSparseTensor(ids, values, (V, D))
    theirs.grad = torch.sparse_coo_tensor(
        torch.from_numpy(ids)[None], torch.from_numpy(values), (V, D)
    )
    o_opt = getattr(fl.optim, name)([ours], **kw)
    t_opt = getattr(torch.optim, torch_name)([theirs], **kw)
    return o_opt.step, t_opt.step


def frozen_pair(rng: np.random.Generator) -> tuple[Callable, Callable]:
    w = rng.standard_normal((V, D), dtype=np.float32)
    emb = fl.nn.Embedding.from_pretrained(fl.from_numpy(w.copy()), freeze=False)
    emb.freeze_rows(np.arange(V - UNFROZEN))
    theirs = torch.nn.Parameter(torch.from_numpy(w))
    g = rng.standard_normal((V, D), dtype=np.float32)
    emb.weight.grad, theirs.grad = fl.from_numpy(g.copy()), torch.from_numpy(g)
    return fl.optim.Adam(emb.parameters()).step, torch.optim.Adam([theirs]).step


def main() -> None:
    args = setup(__doc__, TARGETS, repeats=15, warmup=2, several_runs=False)
    repeats, warmup = rounds(args)
    rng = np.random.default_rng(args.seed)
    ids = zipf_ids(rng, N_SPARSE, V, ZIPF_A)
    print(
        f"V={V} D={D}; sparse batches: {N_SPARSE} ids ~ Zipf(a={ZIPF_A}), "
        f"{np.unique(ids).size} distinct rows; {repeats} rounds after {warmup} warm-up\n"
    )
    workloads: Workloads = {
        "adam-dense": lambda: dense_pair(rng, "Adam", {}),
        "adamw-dense": lambda: dense_pair(rng, "AdamW", {}),
        "adagrad-dense": lambda: dense_pair(rng, "Adagrad", {}),
        "rmsprop-dense": lambda: dense_pair(rng, "RMSprop", dict(momentum=0.9, centered=True)),
        "sparse-adam": lambda: sparse_pair(rng, ids, "SparseAdam", "SparseAdam", {}),
        "adagrad-sparse": lambda: sparse_pair(rng, ids, "Adagrad", "Adagrad", {}),
        "adam-lazy-sparse": lambda: sparse_pair(rng, ids, "Adam", "SparseAdam", {}),
        "adam-frozen": lambda: frozen_pair(rng),
    }
    load = OthersLoad()
    results = time_workloads(workloads, args.only, repeats, warmup, args.pause)
    others = load.cores()
    if others is not None:
        print(
            f"\nother processes kept {others:.2f} of the {os.cpu_count()} cores busy during the "
            f"run{' (timings are noisy: rerun on a quiet machine)' if others > 0.1 else ''}"
        )
    print("\n| workload | firstlayer (ms) | torch (ms) | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        target = TARGETS[r.name]
        mark = "-" if target is None else f"<= {target} {'ok' if r.ratio <= target else 'MISSED'}"
        print(f"| {r.name} | {r.fl_s * 1e3:.2f} | {r.torch_s * 1e3:.2f} | {r.ratio:.2f} | {mark} |")


if __name__ == "__main__":
    main()
