"""A table larger than memory, on local disk, trained in place with sparse SGD and RowWiseAdagrad.

Workloads (float32, D=64, Zipf(1.1) ids hashed over the table):

1. ``init``        ``firstlayer.from_file(path, shared=True, size=V*D).view(V, D)`` then
   ``nn.init.uniform_(w, -0.01, 0.01)``: written to the file in pieces of 4M draws.
2. ``*-sgd``       ``EmbeddingBag.from_pretrained(w, freeze=False, sparse=True, mode="sum")``,
   loss = the mean of the bags' squares, ``optim.SGD(lr)``: forward, backward and step per batch.
3. ``*-rowwise``   the same with ``optim.RowWiseAdagrad``, its accumulators in a mapped file
   (``state_dir``) next to the table, on the same batches (their rows now in the page cache).
   ``*-sgd-again``: SGD once more on the same batches.
   Each of 2-3 runs twice (``--ids``): ``idmap-*`` feeds the ids through a ``firstlayer.IdMap``
   inside the timed step (rows given out in order of first appearance, so the rows in use are
   packed at the start of the table); ``disk-*`` uses the ids as rows.
4. ``mem-sgd`` / ``mem-rowwise`` / ``mem-idmap-sgd``: the same on an in-memory table of
   ``--mem-rows`` rows that fits in RAM (ids drawn from the same law, hashed over that table),
   for comparison.

Ids: ``rank = Zipf(1.1)`` truncated to the table (redrawn above V), then ``id = rank * K mod V``
with an odd ``K`` (a bijection for V a power of two): the hot rows are scattered over the whole
table, as hashed ids are in recommendation models, not packed in its first pages.

For each training workload: ids per second over ``--steps`` timed batches after ``--warmup``
batches (so the hot rows are in the page cache; the warm-up's rate is printed too), and the
process's anonymous memory (``RssAnon`` of ``/proc/self/status``: what is not backed by a
file) before, and at its highest, sampled after every batch. The files are deleted at the end.

Usage::

    python bench/bench_ondisk.py                       # 2^27 x 64 (34 GB) in /var/tmp
    python bench/bench_ondisk.py --rows-log2 25        # 2^25 x 64 (8.6 GB)
    python bench/bench_ondisk.py --dir /mnt/ssd --steps 100
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable

import numpy as np

import firstlayer as fl
from firstlayer import nn

D = 64
ZIPF_A = 1.1
_HASH = 0x9E3779B1  # odd: id -> id * K mod 2^k is a bijection


def rss_anon() -> int:
    """Anonymous resident memory of this process, in bytes (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return -1


def _fsync(path: str) -> None:
    """Write the file's dirty pages (those of its shared mappings too) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def vmstat() -> dict[str, int]:
    """The system's page counters (``/proc/vmstat``): pages read in, written out."""
    out = {}
    try:
        with open("/proc/vmstat") as f:
            for line in f:
                k, v = line.split()
                out[k] = int(v)
    except OSError:
        pass
    return out


def zipf_batch(rng: np.random.Generator, shape: tuple[int, int], rows: int) -> np.ndarray:
    """Zipf(1.1) ranks truncated to ``[0, rows)``, hashed over the table."""
    n = shape[0] * shape[1]
    out = np.empty(0, np.int64)
    while out.shape[0] < n:
        r = rng.zipf(ZIPF_A, size=2 * n) - 1
        out = np.concatenate([out, r[r < rows]])
    return ((out[:n] * _HASH) % rows).reshape(shape)


def train(
    weight: fl.Tensor, make_opt: Callable, rows: int, batch: tuple[int, int], warmup: int,
    steps: int, seed: int, idmap: fl.IdMap | None = None,
) -> dict[str, float]:
    """Train on ``warmup + steps`` batches; with ``idmap``, each step maps its ids to rows."""
    model = nn.EmbeddingBag.from_pretrained(weight, freeze=False, sparse=True, mode="sum")
    opt = make_opt(model.parameters())
    rng = np.random.default_rng(seed)
    batches = [fl.tensor(zipf_batch(rng, batch, rows)) for _ in range(warmup + steps)]
    start_anon = rss_anon()
    peak = start_anon
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    inblock = resource.getrusage(resource.RUSAGE_SELF).ru_inblock
    t0 = time.perf_counter()
    t_warm = t0
    times = []
    for i, ids in enumerate(batches):
        if i == warmup:
            t_warm = time.perf_counter()
            v0 = vmstat()
            inblock = resource.getrusage(resource.RUSAGE_SELF).ru_inblock
        t = time.perf_counter()
        opt.zero_grad()
        model(ids if idmap is None else idmap(ids)).pow(2).mean().backward()
        opt.step()
        times.append(time.perf_counter() - t)
        peak = max(peak, rss_anon())
    t1 = time.perf_counter()
    v1 = vmstat()
    n = batch[0] * batch[1]
    last = np.array(times[warmup + steps // 2:])
    return {
        "warm_ids_s": n * warmup / max(t_warm - t0, 1e-9) if warmup else float("nan"),
        "ids_s": n * steps / (t1 - t_warm),
        "last_half_ids_s": n * len(last) / max(last.sum(), 1e-9),
        # pages read by this process, and written back by the whole system, per timed batch
        "read_pages": (resource.getrusage(resource.RUSAGE_SELF).ru_inblock - inblock) / 8 / steps,
        "written_pages": (v1.get("nr_written", 0) - v0.get("nr_written", 0)) / steps,
        "anon_start": start_anon,
        "anon_peak": peak,
        "major_faults": float(resource.getrusage(resource.RUSAGE_SELF).ru_majflt - faults),
        "distinct": float(len(np.unique(np.concatenate([b.numpy().ravel() for b in batches])))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows-log2", type=int, default=27, help="on-disk table rows = 2^k")
    ap.add_argument("--mem-rows-log2", type=int, default=24, help="in-memory table rows = 2^k")
    ap.add_argument("--dir", default="/var/tmp", help="a directory on local disk")
    ap.add_argument("--bags", type=int, default=2048)
    ap.add_argument("--bag-len", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--skip-mem", action="store_true")
    ap.add_argument("--ids", default="idmap,disk",
                    help="id paths on disk, in order: idmap (through an IdMap), disk (as rows)")
    args = ap.parse_args()

    V = 1 << args.rows_log2
    batch = (args.bags, args.bag_len)
    work = tempfile.mkdtemp(prefix="firstlayer-ondisk-", dir=args.dir)
    print(f"table {V} x {D} float32 = {V * D * 4 / 1e9:.1f} GB in {work}; "
          f"RAM {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 1e9:.1f} GB; "
          f"batches of {batch[0]} bags x {batch[1]} ids; RssAnon at start "
          f"{rss_anon() / 2**20:.0f} MiB")
    results = {}
    try:
        path = os.path.join(work, "table.f32")
        t = time.perf_counter()
        a0 = rss_anon()
        w = fl.from_file(path, shared=True, size=V * D).view(V, D)
        nn.init.uniform_(w, -0.01, 0.01, generator=fl.Generator().manual_seed(0))
        _fsync(path)  # the initial values on disk: training starts without a dirty backlog
        took = time.perf_counter() - t
        print(f"init: {took:.0f} s ({V * D * 4 / 1e9 / took:.2f} GB/s), RssAnon "
              f"{a0 / 2**20:.0f} -> {rss_anon() / 2**20:.0f} MiB", flush=True)
        sgd = lambda ps: fl.optim.SGD(ps, lr=args.lr)  # noqa: E731

        def rowwise(ps: object, state: str | None = None) -> fl.optim.Optimizer:
            return fl.optim.RowWiseAdagrad(ps, lr=args.lr, state_dir=state)

        # the same batches three times over the same table: the first pass reads its rows from
        # disk; the next two find the batches' rows in the page cache ("hot rows cached").
        # "idmap": the ids go through an IdMap (rows given in order of first appearance, so the
        # rows in use are packed at the start of the table); "disk": the ids are the rows.
        passes = []
        for ids in args.ids.split(","):
            m = fl.IdMap(V) if ids == "idmap" else None
            state = os.path.join(work, f"state-{ids}")
            passes += [(f"{ids}-sgd", sgd, m), (f"{ids}-rowwise",
                       lambda ps, s=state: rowwise(ps, s), m), (f"{ids}-sgd-again", sgd, m)]
        for name, make, m in passes:
            results[name] = r = train(w, make, V, batch, args.warmup, args.steps, 1, m)
            t = time.perf_counter()
            _fsync(path)
            r["fsync_s"] = time.perf_counter() - t
            print(f"{name}: {r['ids_s'] / 1e6:.3f} M ids/s (warm-up {r['warm_ids_s'] / 1e6:.3f}, "
                  f"last half {r['last_half_ids_s'] / 1e6:.3f}), "
                  f"RssAnon {r['anon_start'] / 2**20:.0f} -> peak {r['anon_peak'] / 2**20:.0f} MiB"
                  f", {r['distinct']:.0f} distinct ids, {r['major_faults']:.0f} major page faults"
                  f", per batch {r['read_pages']:.0f} pages read, {r['written_pages']:.0f} written "
                  f"back (system); fsync after: {r['fsync_s']:.1f} s"
                  + (f"; {len(m)} rows in use" if m is not None else ""), flush=True)
        del w
        if not args.skip_mem:
            Vm = 1 << args.mem_rows_log2
            wm = fl.empty(Vm, D)
            nn.init.uniform_(wm, -0.01, 0.01, generator=fl.Generator().manual_seed(0))
            # the same id law over the in-memory table, as rows and through an IdMap
            for name, make, m in (("mem-sgd", sgd, None), ("mem-rowwise", rowwise, None),
                                  ("mem-idmap-sgd", sgd, fl.IdMap(Vm))):
                results[name] = r = train(wm, make, Vm, batch, args.warmup, args.steps, 1, m)
                print(f"{name} ({Vm} rows, {Vm * D * 4 / 1e9:.1f} GB in memory): "
                      f"{r['ids_s'] / 1e6:.3f} M ids/s (warm-up {r['warm_ids_s'] / 1e6:.3f}, "
                      f"last half {r['last_half_ids_s'] / 1e6:.3f}), "
                      f"RssAnon {r['anon_start'] / 2**20:.0f} -> peak "
                      f"{r['anon_peak'] / 2**20:.0f} MiB", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for disk in [k for k in results if not k.startswith("mem-")]:
        for mem in ("mem-rowwise" if "rowwise" in disk else "mem-sgd",
                    "mem-idmap-sgd" if disk.startswith("idmap-sgd") else ""):
            if mem in results:
                ratio = results[disk]["ids_s"] / results[mem]["ids_s"]
                print(f"{disk} / {mem} throughput = {ratio:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
