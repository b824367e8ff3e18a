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

Two things make timings on a small shared machine lie, and the script guards against both:

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

import argparse
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy
import torch

import firstlayer as fl
from firstlayer import _backend

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


@dataclass
class Result:
    """One workload in one run: median seconds of each library, and the other processes' load."""

    name: str
    fl_s: float
    torch_s: float
    others: float | None  # cores kept busy by other processes while it ran (None: unknown)

    @property
    def ratio(self) -> float:
        return self.fl_s / self.torch_s


def zipf_ids(rng: np.random.Generator, num_ids: int, vocab: int, a: float) -> np.ndarray:
    """``num_ids`` ids in ``[0, vocab)`` with ``P(id = r - 1) ~ 1 / r**a`` (rank r = 1..vocab):
    the word frequencies of a vocabulary sorted by frequency, as gensim and torchtext build it."""
    p = 1.0 / np.arange(1, vocab + 1, dtype=np.float64) ** a
    return rng.choice(vocab, size=num_ids, p=p / p.sum()).astype(np.int64)


def time_pair(
    fl_fn: Callable[[], object],
    torch_fn: Callable[[], object],
    repeats: int,
    warmup: int,
    pause: float,
) -> tuple[float, float]:
    """Median seconds of each function, run alternately (the first to run alternates too),
    sleeping ``pause`` seconds before each timed call so the other library's threads are idle."""
    for _ in range(warmup):
        fl_fn()
        torch_fn()
    fl_times: list[float] = []
    torch_times: list[float] = []
    for i in range(repeats):
        pair = [(fl_fn, fl_times), (torch_fn, torch_times)]
        for fn, times in pair if i % 2 == 0 else pair[::-1]:
            time.sleep(pause)
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(fl_times), statistics.median(torch_times)


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


# --- measuring the machine ------------------------------------------------------------------


def _machine_cpu_seconds() -> float | None:
    """CPU seconds all processes have used since boot (busy time in /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class OthersLoad:
    """How many cores other processes kept busy between ``__init__`` and ``cores()``."""

    def __init__(self) -> None:
        self.machine, self.own, self.wall = (
            _machine_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
        )

    def cores(self) -> float | None:
        machine = _machine_cpu_seconds()
        if machine is None or self.machine is None:
            return None
        others = (machine - self.machine) - (_own_cpu_seconds() - self.own)
        return max(0.0, others) / (time.perf_counter() - self.wall)


def wait_until_quiet(limit_s: float, threshold: float = 0.1) -> float | None:
    """Wait (at most ``limit_s``) until other processes have used under ``threshold`` cores for
    two seconds in a row; returns the seconds waited, or None if the machine stayed busy."""
    waited = 0.0
    quiet = 0
    while waited < limit_s:
        load = OthersLoad()
        time.sleep(1.0)
        waited += 1.0
        cores = load.cores()
        if cores is None:
            return waited  # cannot tell: don't wait
        quiet = quiet + 1 if cores < threshold else 0
        if quiet >= 2:
            return waited
    return None


def environment() -> str:
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), firstlayer "
        f"{fl.__version__} ({_backend.get_num_threads()} threads)",
        f"cores: {os.cpu_count()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r} "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')!r}",
    ]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("BLAS kernel: unknown (pip install threadpoolctl to see it)")
    else:
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                lines.append(
                    f"BLAS: {info['prefix']} {info.get('version')} kernel "
                    f"{info.get('architecture')}, {info['num_threads']} threads"
                )
    return "\n".join(lines)


def summary_table(runs: list[list[Result]]) -> str:
    """Markdown: per workload the median over runs of each median time, and of the ratio."""
    lines = [
        "| workload | firstlayer (ms) | torch (ms) | ratio firstlayer/torch | ratio range "
        "| target | others' load (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in [r.name for r in runs[0]]:
        rs = [r for run in runs for r in run if r.name == name]
        ratios = [r.ratio for r in rs]
        ratio = statistics.median(ratios)
        loads = [r.others for r in rs if r.others is not None]
        load = f"{max(loads):.2f}" if loads else "?"
        lines.append(
            f"| {name} | {statistics.median(r.fl_s for r in rs) * 1e3:.1f} "
            f"| {statistics.median(r.torch_s for r in rs) * 1e3:.1f} | {ratio:.2f} "
            f"| {min(ratios):.2f}-{max(ratios):.2f} "
            f"| <= {TARGETS[name]} {'ok' if ratio <= TARGETS[name] else 'MISSED'} | {load} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed rounds per workload")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything; report medians")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 1 warm-up")
    parser.add_argument("--only", nargs="*", choices=list(TARGETS), help="run only these")
    parser.add_argument(
        "--pause", type=float, default=0.1, help="seconds to sleep before each timed call"
    )
    parser.add_argument(
        "--fl-threads", type=int, default=None, help="firstlayer's threads (default: the cores)"
    )
    parser.add_argument(
        "--wait-quiet", type=float, default=0.0, metavar="S",
        help="before each workload, wait up to S seconds for other processes to go quiet",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    repeats, warmup = (5, 1) if args.quick else (args.repeats, args.warmup)

    torch.set_num_threads(2)
    if args.fl_threads is not None:
        _backend.set_num_threads(args.fl_threads)
    print(environment())
    rng = np.random.default_rng(args.seed)
    ids = zipf_ids(rng, N, V, ZIPF_A)
    print(
        f"V={V} D={D} N={N} ids ~ Zipf(a={ZIPF_A}): {np.unique(ids).size} distinct rows touched; "
        f"{repeats} rounds after {warmup} warm-up, {args.pause} s pause before each call"
    )
    workloads: dict[str, Callable[[], tuple[Callable, Callable]]] = {
        "embed-fwd": lambda: embed_fwd(rng, ids),
        "embed-train": lambda: embed_train(rng, ids, sparse=False),
        "embed-train-sparse": lambda: embed_train(rng, ids, sparse=True),
        "linear": lambda: linear_train(rng, input_grad=False),
        "linear-xgrad": lambda: linear_train(rng, input_grad=True),
    }
    runs: list[list[Result]] = []
    for run in range(args.runs):
        print(f"\nrun {run + 1} of {args.runs}")
        results = []
        for name, build in workloads.items():
            if args.only and name not in args.only:
                continue
            if args.wait_quiet > 0 and wait_until_quiet(args.wait_quiet) is None:
                print(f"  (the machine stayed busy for {args.wait_quiet} s: timing {name} anyway)")
            fl_fn, torch_fn = build()
            load = OthersLoad()
            fl_s, torch_s = time_pair(fl_fn, torch_fn, repeats, warmup, args.pause)
            r = Result(name, fl_s, torch_s, load.cores())
            del fl_fn, torch_fn  # free this workload's arrays before the next one
            results.append(r)
            others = "?" if r.others is None else f"{r.others:.2f}"
            print(f"  {name:20s} firstlayer {fl_s * 1e3:8.2f} ms   torch {torch_s * 1e3:8.2f} ms"
                  f"   ratio {r.ratio:.2f}   (other processes: {others} cores)")
        runs.append(results)

    print(f"\nmedians over {args.runs} run(s); 'others' load' is the most cores other processes "
          "kept busy during a workload (above ~0.1, rerun on a quiet machine)\n")
    print(summary_table(runs))


if __name__ == "__main__":
    main()
