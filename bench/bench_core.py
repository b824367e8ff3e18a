"""Side-by-side timings of firstlayer's hot paths against PyTorch, in one process.

Workloads (V=100k rows, D=128, 400k ids drawn from a Zipf law over the vocabulary, float32):

1. ``embed-fwd``         ``Embedding`` forward.
2. ``embed-train``       ``Embedding`` forward + ``out.backward(g)`` + ``SGD.step()``, dense grad.
   ``embed-train-sparse`` the same with ``Embedding(sparse=True)`` (row-sparse grad).
3. ``linear``            ``Linear(300, 300)`` forward + backward on a ``4096 x 300`` input that
   does not require grad (a first layer); ``linear-xgrad`` the same with an input that does.

Each workload runs both libraries alternately (which one goes first alternates too) after a few
warm-up rounds, and reports the median time of each and the ratio firstlayer / torch
(below 1: firstlayer is faster). torch runs with ``torch.set_num_threads(2)``; NumPy's BLAS uses
its own default threads (the machine's cores).

Two things make timings on a small shared machine lie, and the script guards against both
(with the timing loop and load meter of ``_harness.py``, which the other benchmarks share):

* After a call, OpenBLAS's worker threads busy-wait for their next job (~50 ms of CPU on the
  machines we measured), and torch's OpenMP threads for a few ms. Timed right after the other
  library, a library would share its cores with those spinning threads (torch's Linear ran
  5-10x slower that way). So the script sleeps ``--pause`` seconds before each timed call.
* Other processes on the machine. The script reports how many cores other processes kept busy
  during each workload; rerun when that is high. ``--runs`` repeats everything and reports
  the median over the runs.

Usage::

    python bench/bench_core.py                 # full run, prints a table at the end
    python bench/bench_core.py --quick         # fewer, smaller repetitions (a smoke test)
    python bench/bench_core.py --runs 5 --wait-quiet 300   # the figures in BENCHMARKS.md
    python bench/bench_core.py --repeats 50 --only embed-fwd linear
    python bench/bench_core.py --fl-threads 1  # firstlayer on one thread
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import firstlayer as fl
from _harness import Workloads, rounds, setup, summary_table, time_runs, zipf_ids

V, D, N = 100_000, 128, 400_000
ZIPF_A = 1.1
LIN_IN, LIN_OUT, LIN_BATCH = 300, 300, 4096
LR = 0.01

# The targets this project set itself (median ratio firstlayer / torch).
TARGETS = {
    "embed-fwd": 0.8,
    "embed-train": 0.9,
    "embed-train-sparse": 0.9,
    "linear": 1.1,
    "linear-xgrad": 1.1,
}


# --- the workloads: each returns (firstlayer step, torch step), built on the same data ---------


def embedding_pair(ids: np.ndarray, weight: np.ndarray) -> tuple[object, object]:
    """Two Embedding layers holding the same table."""
    fl_emb = fl.nn.Embedding(V, D)
    fl_emb.weight.data = fl.from_numpy(weight.copy())
    t_emb = torch.nn.Embedding(V, D)
    with torch.no_grad():
        t_emb.weight.copy_(torch.from_numpy(weight))
    return fl_emb, t_emb


def embed_fwd(rng: np.random.Generator, ids: np.ndarray) -> tuple[Callable, Callable]:
    weight = rng.standard_normal((V, D), dtype=np.float32)
    fl_emb, t_emb = embedding_pair(ids, weight)
    fl_ids, t_ids = fl.from_numpy(ids), torch.from_numpy(ids)
    return (lambda: fl_emb(fl_ids)), (lambda: t_emb(t_ids))


def embed_train(
    rng: np.random.Generator, ids: np.ndarray, sparse: bool
) -> tuple[Callable, Callable]:
    weight = rng.standard_normal((V, D), dtype=np.float32)
    grad_out = rng.standard_normal((N, D), dtype=np.float32)
    fl_emb = fl.nn.Embedding(V, D, sparse=sparse)
    fl_emb.weight.data = fl.from_numpy(weight.copy())
    t_emb = torch.nn.Embedding(V, D, sparse=sparse)
    with torch.no_grad():
        t_emb.weight.copy_(torch.from_numpy(weight))
    fl_opt = fl.optim.SGD(fl_emb.parameters(), lr=LR)
    t_opt = torch.optim.SGD(t_emb.parameters(), lr=LR)
    fl_ids, t_ids = fl.from_numpy(ids), torch.from_numpy(ids)
    fl_g, t_g = fl.from_numpy(grad_out), torch.from_numpy(grad_out.copy())

    def fl_step() -> None:
        fl_opt.zero_grad()
        fl_emb(fl_ids).backward(fl_g)
        fl_opt.step()

    def torch_step() -> None:
        t_opt.zero_grad()
        t_emb(t_ids).backward(t_g)
        t_opt.step()

    return fl_step, torch_step


def linear_train(rng: np.random.Generator, input_grad: bool) -> tuple[Callable, Callable]:
    x = rng.standard_normal((LIN_BATCH, LIN_IN), dtype=np.float32)
    grad_out = rng.standard_normal((LIN_BATCH, LIN_OUT), dtype=np.float32)
    fl_lin = fl.nn.Linear(LIN_IN, LIN_OUT)
    t_lin = torch.nn.Linear(LIN_IN, LIN_OUT)
    with torch.no_grad():
        t_lin.weight.copy_(torch.from_numpy(fl_lin.weight._data))
        t_lin.bias.copy_(torch.from_numpy(fl_lin.bias._data))
    fl_x = fl.from_numpy(x).requires_grad_(input_grad)
    t_x = torch.from_numpy(x.copy()).requires_grad_(input_grad)
    fl_g, t_g = fl.from_numpy(grad_out), torch.from_numpy(grad_out.copy())
    fl_params = [fl_lin.weight, fl_lin.bias, fl_x]
    t_params = [t_lin.weight, t_lin.bias, t_x]

    def fl_step() -> None:
        for p in fl_params:
            p.grad = None
        fl_lin(fl_x).backward(fl_g)

    def torch_step() -> None:
        for p in t_params:
            p.grad = None
        t_lin(t_x).backward(t_g)

    return fl_step, torch_step


def main() -> None:
    args = setup(__doc__, TARGETS)
    repeats, warmup = rounds(args)
    rng = np.random.default_rng(args.seed)
    ids = zipf_ids(rng, N, V, ZIPF_A)
    print(
        f"V={V} D={D} N={N} ids ~ Zipf(a={ZIPF_A}): {np.unique(ids).size} distinct rows touched; "
        f"{repeats} rounds after {warmup} warm-up, {args.pause} s pause before each call"
    )
    workloads: Workloads = {
        "embed-fwd": lambda: embed_fwd(rng, ids),
        "embed-train": lambda: embed_train(rng, ids, sparse=False),
        "embed-train-sparse": lambda: embed_train(rng, ids, sparse=True),
        "linear": lambda: linear_train(rng, input_grad=False),
        "linear-xgrad": lambda: linear_train(rng, input_grad=True),
    }
    runs = time_runs(workloads, args)
    print(
        f"\nmedians over {args.runs} run(s); 'others' load' is the most cores other processes "
        "kept busy during a workload (above ~0.1, rerun on a quiet machine)\n"
    )
    print(summary_table(runs, TARGETS))


if __name__ == "__main__":
    main()
