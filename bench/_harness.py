"""What the firstlayer-vs-torch benchmarks share: timing, the machine's load, options, the table.

``bench_core.py``, ``bench_embedding_bag.py`` and ``bench_optim.py`` time pairs of functions
(firstlayer's step, torch's step, built on the same data) the same way:

* alternately, the first to run alternating too, after a few untimed warm-up rounds, keeping
  the median of each (``time_pair``);
* sleeping ``--pause`` seconds before each timed call: after a call, OpenBLAS's worker threads
  busy-wait for their next job (~50 ms of CPU) and torch's OpenMP threads for a few ms, so a
  library timed right after the other would share its cores with those spinning threads;
* measuring how many cores *other* processes kept busy meanwhile (``OthersLoad``: the machine's
  busy time from ``/proc/stat`` minus this process's own), and optionally waiting for them to
  go quiet first (``wait_until_quiet``).

The scripts import this module by name: Python puts a script's folder on ``sys.path``, so
``python bench/bench_core.py`` finds ``bench/_harness.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

# A workload builds its pair of steps (firstlayer's, torch's) when it is about to be timed, so
# that only one workload's arrays are alive at a time.
Pair = tuple[Callable[[], object], Callable[[], object]]
Workloads = dict[str, Callable[[], Pair]]


@dataclass
class Result:
    """One workload in one run: median seconds of each library, and the other processes' load."""

    name: str
    fl_s: float
    torch_s: float
    others: float | None = None  # cores kept busy by other processes while it ran (None: unknown)

    @property
    def ratio(self) -> float:
        return self.fl_s / self.torch_s


def zipf_ids(rng: np.random.Generator, num_ids: int, vocab: int, a: float) -> np.ndarray:
    """``num_ids`` ids in ``[0, vocab)`` with ``P(id = r - 1) ~ 1 / r**a`` (rank r = 1..vocab):
    the word frequencies of a vocabulary sorted by frequency, as gensim and torchtext build it."""
    p = 1.0 / np.arange(1, vocab + 1, dtype=np.float64) ** a
    return rng.choice(vocab, size=num_ids, p=p / p.sum()).astype(np.int64)


# --- timing -----------------------------------------------------------------------------------


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


def time_workloads(
    workloads: Workloads,
    only: list[str] | None,
    repeats: int,
    warmup: int,
    pause: float,
    wait_quiet: float = 0.0,
) -> list[Result]:
    """One run: build and time each workload (those in ``only``, when given), printing a line
    each; before each, wait up to ``wait_quiet`` seconds for other processes to go quiet."""
    results = []
    for name, build in workloads.items():
        if only and name not in only:
            continue
        if wait_quiet > 0 and wait_until_quiet(wait_quiet) is None:
            print(f"  (the machine stayed busy for {wait_quiet} s: timing {name} anyway)")
        fl_fn, torch_fn = build()
        load = OthersLoad()
        fl_s, torch_s = time_pair(fl_fn, torch_fn, repeats, warmup, pause)
        r = Result(name, fl_s, torch_s, load.cores())
        del fl_fn, torch_fn  # free this workload's arrays before the next one is built
        results.append(r)
        others = "?" if r.others is None else f"{r.others:.2f}"
        print(
            f"  {name:20s} firstlayer {fl_s * 1e3:8.2f} ms   torch {torch_s * 1e3:8.2f} ms"
            f"   ratio {r.ratio:.2f}   (other processes: {others} cores)",
            flush=True,
        )
    return results


def time_runs(workloads: Workloads, args: argparse.Namespace) -> list[list[Result]]:
    """``args.runs`` runs of ``time_workloads`` with the options of ``add_options``."""
    repeats, warmup = rounds(args)
    runs = []
    for run in range(args.runs):
        print(f"\nrun {run + 1} of {args.runs}")
        runs.append(
            time_workloads(workloads, args.only, repeats, warmup, args.pause, args.wait_quiet)
        )
    return runs


# --- measuring the machine --------------------------------------------------------------------


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
        self.machine, self.own = _machine_cpu_seconds(), _own_cpu_seconds()
        self.wall = time.perf_counter()

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
    """Versions, threads and BLAS kernel: what a reader needs to compare two tables."""
    # Imported here: bench_supervised uses the load meter above without torch.
    import scipy
    import torch

    import firstlayer as fl
    from firstlayer import _backend

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


# --- the command line -------------------------------------------------------------------------


def add_options(
    parser: argparse.ArgumentParser,
    workloads: Iterable[str],
    repeats: int = 21,
    warmup: int = 3,
    several_runs: bool = True,
) -> None:
    """The options every timing script takes; with ``several_runs`` also ``--runs``,
    ``--fl-threads`` and ``--wait-quiet`` (what ``setup`` and ``time_runs`` read)."""
    parser.add_argument("--repeats", type=int, default=repeats, help="timed rounds per workload")
    parser.add_argument("--warmup", type=int, default=warmup, help="untimed rounds first")
    if several_runs:
        parser.add_argument("--runs", type=int, default=1, help="repeat everything; report medians")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 1 warm-up")
    parser.add_argument("--only", nargs="*", choices=list(workloads), help="run only these")
    parser.add_argument(
        "--pause", type=float, default=0.1, help="seconds to sleep before each timed call"
    )
    if several_runs:
        parser.add_argument(
            "--fl-threads", type=int, default=None, help="firstlayer's threads (default: the cores)"
        )
        parser.add_argument(
            "--wait-quiet",
            type=float,
            default=0.0,
            metavar="S",
            help="before each workload, wait up to S seconds for other processes to go quiet",
        )
    parser.add_argument("--seed", type=int, default=0)


def rounds(args: argparse.Namespace) -> tuple[int, int]:
    """``(repeats, warmup)``: 5 and 1 with ``--quick``."""
    return (5, 1) if args.quick else (args.repeats, args.warmup)


def setup(
    doc: str,
    workloads: Iterable[str],
    repeats: int = 21,
    warmup: int = 3,
    several_runs: bool = True,
) -> argparse.Namespace:
    """Parse the command line (``add_options``; the description is the first paragraph of
    ``doc``), put torch on 2 threads and firstlayer on ``--fl-threads`` if given, and print the
    environment. Returns the parsed arguments."""
    import torch

    from firstlayer import _backend

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_options(parser, workloads, repeats, warmup, several_runs)
    args = parser.parse_args()
    torch.set_num_threads(2)
    if getattr(args, "fl_threads", None) is not None:
        _backend.set_num_threads(args.fl_threads)
    print(environment())
    return args


# --- the report -------------------------------------------------------------------------------


def summary_table(runs: list[list[Result]], targets: Mapping[str, float | None]) -> str:
    """Markdown: per workload the median over runs of each median time, and of the ratio;
    the target column says ``-`` for a workload without one."""
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
        target = targets[name]
        verdict = "-" if target is None else f"<= {target} {'ok' if ratio <= target else 'MISSED'}"
        lines.append(
            f"| {name} | {statistics.median(r.fl_s for r in rs) * 1e3:.1f} "
            f"| {statistics.median(r.torch_s for r in rs) * 1e3:.1f} | {ratio:.2f} "
            f"| {min(ratios):.2f}-{max(ratios):.2f} | {verdict} | {load} |"
        )
    return "\n".join(lines)
