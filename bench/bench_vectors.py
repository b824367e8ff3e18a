"""Reading and writing word-vector files: firstlayer against gensim 4.4, in one process.

A random ``N x D`` float32 matrix (N=200k, D=300, values ~ N(0, 0.2), keys ``word0..``) is
written and read in each format by both libraries; each workload runs the two alternately
(which one goes first alternates too) and reports the median wall time of each, the ratio
firstlayer / gensim (below 1: firstlayer is faster), and the ratio of the CPU time each used
(all threads; gensim uses one, firstlayer's text reader and writer up to four). On a busy
machine the wall ratio suffers first: the CPU-time ratio shows the work done.

Workloads and the targets the project set itself (issue 4):

* ``text-save``   ``save_vectors(.., "word2vec")`` vs ``save_word2vec_format(binary=False)``
  (the two files must be byte-identical: checked).                          target <= 0.3
* ``text-load``   ``load_vectors`` vs ``load_word2vec_format(binary=False)``. target <= 0.1
* ``binary-save`` the same, ``binary=True``.                                 (no target)
* ``binary-load``                                                           target <= 0.3
* ``gzip-load``   the text file gzip-compressed (both decompress on the fly) (no target)
* ``vocab-load``  keep 20k of the 200k words: ``load_vectors(vocab=...)`` vs what gensim
  users do (load everything, then pick the rows).                           (no target)
* ``cache-load``  our cache (memory-mapped ``.npy``, keys and key hash table) vs gensim's own
  format (``KeyedVectors.load(mmap="r")``: a pickle + ``.npy``): open, then ``kv[key]`` (a key
  near the end, its row read) and ``"not-a-key" in kv``. For the N x D vectors above and for
  caches of ``--cache-rows`` keys (default 1M and 3M, GoogleNews' count; dim 8: the key count
  is what costs), at least 5 rounds each.                       target < 50 ms, absolute

Then each load (and the text save) once more, cold: in a fresh process each, numba's cache an
empty folder: the call's time (imports untimed) and the process's peak memory (the peak
resident set: VmHWM on Linux, ``ru_maxrss`` elsewhere), beside that of a process that only
imported NumPy and the matrix's size. Target (issue 11): at most gensim's peak, and at most
the matrix + 80 MB beyond the NumPy process. (``bench_cold.py`` times whole processes.)

Usage::

    python bench/bench_vectors.py                  # the full 200k x 300 run (~3 min)
    python bench/bench_vectors.py --quick          # 20k x 300, a smoke test
    python bench/bench_vectors.py --repeats 3 --only text-load binary-load
    python bench/bench_vectors.py --only cache-load --cache-rows 1000000 3000000
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import gensim
import numpy as np
from gensim.models import KeyedVectors as GensimKV

import firstlayer.vectors as fv
from _harness import OthersLoad
from firstlayer.vectors.formats import load_vectors, save_vectors

TARGETS: dict[str, tuple[str, float]] = {  # workload -> (kind, bound)
    "text-save": ("ratio", 0.3),
    "text-load": ("ratio", 0.1),
    "binary-load": ("ratio", 0.3),
    "cache-load": ("seconds", 0.05),
}
WORKLOADS = [
    "text-save",
    "text-load",
    "binary-save",
    "binary-load",
    "gzip-load",
    "vocab-load",
    "cache-load",
]


def time_pair(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds (this process, all threads) of each, run alternately (the
    first to run alternates too): ``(ours_wall, theirs_wall, ours_cpu, theirs_cpu)``."""
    wall: dict[str, list[float]] = {"ours": [], "theirs": []}
    cpu: dict[str, list[float]] = {"ours": [], "theirs": []}
    for i in range(repeats):
        pair = [("ours", ours), ("theirs", theirs)]
        for name, fn in pair if i % 2 == 0 else pair[::-1]:
            time.sleep(0.2)
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    med = statistics.median
    return med(wall["ours"]), med(wall["theirs"]), med(cpu["ours"]), med(cpu["theirs"])


def gensim_kv(keys: list[str], vectors: np.ndarray) -> GensimKV:
    kv = GensimKV(vectors.shape[1])
    kv.add_vectors(keys, vectors)
    return kv


def open_cache_ours(path: Path, key: str) -> float:
    """Open a cache, read the row of ``key`` and ask for a missing key, as a program would."""
    kv = fv.load(path)
    assert "not-a-key" not in kv
    return float(kv[key][0])


def open_cache_gensim(path: Path, key: str) -> float:
    kv = GensimKV.load(str(path), mmap="r")
    assert "not-a-key" not in kv
    return float(kv[key][0])


_PEAK = """
import resource, sys
try:  # this process's own peak (ru_maxrss also counts the parent's, before exec)
    print(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024)
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KB elsewhere
    print(peak / (2**20 if sys.platform == "darwin" else 1024))
"""


def fresh_peak_mb(code: str, setup: str = "") -> tuple[float, float]:
    """``(seconds, MB)``: the time ``code`` takes in a fresh Python process, cold (after
    ``setup``; numba's cache an empty folder, so nothing compiled is found), and the process's
    peak resident memory."""
    timed = (
        "import time as _time\n_t0 = _time.perf_counter()\n" + code
        + "\nprint(_time.perf_counter() - _t0)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-c",
             "import warnings; warnings.simplefilter('ignore')\n" + setup + "\n" + timed + _PEAK],
            capture_output=True, text=True, check=True,
            env=dict(os.environ, NUMBA_CACHE_DIR=cache),
        )
    seconds, mb = out.stdout.split()[-2:]
    return float(seconds), float(mb)


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=1, help="timed rounds per workload")
    parser.add_argument("--quick", action="store_true", help="20k rows")
    parser.add_argument("--only", nargs="*", choices=WORKLOADS)
    parser.add_argument(
        "--dir", default=None, help="where to write the files (default: a temp dir)"
    )
    parser.add_argument(
        "--cache-rows",
        type=int,
        nargs="*",
        default=[1_000_000, 3_000_000],
        help="cache-load also opens caches of these many keys (dim 8); none: only N x D",
    )
    args = parser.parse_args()
    rows = 20_000 if args.quick else args.rows
    logging.disable(logging.WARNING)  # gensim logs a warning per save
    warnings.simplefilter("ignore")

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, gensim {gensim.__version__}, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    )
    rng = np.random.default_rng(0)
    vectors = (rng.standard_normal((rows, args.dim)) * 0.2).astype(np.float32)
    keys = [f"word{i}" for i in range(rows)]
    vocab = keys[:: max(1, rows // 20_000)]
    theirs_kv = gensim_kv(keys, vectors)
    ours_kv = fv.KeyedVectors.from_arrays(keys, vectors)
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench-vectors-"))
    workdir.mkdir(parents=True, exist_ok=True)
    paths = {name: workdir / name for name in ("ours.txt", "gensim.txt", "ours.bin", "gensim.bin")}
    print(
        f"{rows:,} x {args.dim} float32, {args.repeats} round(s) per workload, files in {workdir}"
    )

    # Files both libraries read (written once, untimed, if a workload needs them first).
    def ensure(name: str, write: Callable[[], None]) -> Path:
        if not paths[name].exists():
            write()
        return paths[name]

    def text_file() -> Path:
        return ensure(
            "gensim.txt", lambda: theirs_kv.save_word2vec_format(str(paths["gensim.txt"]))
        )

    def bin_file() -> Path:
        return ensure(
            "gensim.bin",
            lambda: theirs_kv.save_word2vec_format(str(paths["gensim.bin"]), binary=True),
        )

    def gz_file() -> Path:
        path = workdir / "vectors.txt.gz"
        if not path.exists():
            with open(text_file(), "rb") as src, gzip.open(path, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        return path

    def cache_files() -> tuple[Path, Path]:
        ours, theirs = workdir / "ours.cache", workdir / "gensim.kv"
        if not ours.exists():
            save_vectors(keys, vectors, ours, "cache")
            theirs_kv.save(str(theirs))
        return ours, theirs

    def cache_pairs() -> list[tuple[str, Callable, Callable]]:
        """(label, ours, theirs) for the N x D cache and each --cache-rows cache."""
        ours, theirs = cache_files()
        key = keys[-1]
        expected = float(vectors[-1, 0])
        pairs = [(f"cache-load {rows:,}x{args.dim}", ours, theirs, key, expected)]
        for count in args.cache_rows:
            big_ours, big_theirs = workdir / f"ours-{count}.cache", workdir / f"gensim-{count}.kv"
            big_key = f"word{count - 1}"
            if not big_ours.exists():  # untimed: generated once
                big_keys = [f"word{i}" for i in range(count)]
                big = np.random.default_rng(1).standard_normal((count, 8)).astype(np.float32)
                save_vectors(big_keys, big, big_ours, "cache")
                gensim_kv(big_keys, big).save(str(big_theirs))
                del big_keys
            big_row = np.load(big_ours / "vectors.npy", mmap_mode="r")[-1]
            pairs.append((f"cache-load {count:,}x8", big_ours, big_theirs, big_key, big_row[0]))
        for _, path, gensim_path, probe, value in pairs:  # both read the right row
            assert open_cache_ours(path, probe) == open_cache_gensim(gensim_path, probe) == value
        return [
            (
                label,
                lambda p=path, k=probe: open_cache_ours(p, k),
                lambda p=gensim_path, k=probe: open_cache_gensim(p, k),
            )
            for label, path, gensim_path, probe, _ in pairs
        ]

    def check_same(got_keys: list[str], got: np.ndarray) -> None:
        assert got_keys == keys and np.array_equal(got, vectors), "wrong vectors read"

    workloads: dict[str, Callable[[], tuple[Callable, Callable]]] = {
        "text-save": lambda: (
            lambda: ours_kv.save(paths["ours.txt"], format="word2vec"),
            lambda: theirs_kv.save_word2vec_format(str(paths["gensim.txt"])),
        ),
        "text-load": lambda: (
            lambda: load_vectors(text_file(), progress=False),
            lambda: GensimKV.load_word2vec_format(str(text_file())),
        ),
        "binary-save": lambda: (
            lambda: ours_kv.save(paths["ours.bin"], format="word2vec-binary"),
            lambda: theirs_kv.save_word2vec_format(str(paths["gensim.bin"]), binary=True),
        ),
        "binary-load": lambda: (
            lambda: load_vectors(bin_file(), progress=False),
            lambda: GensimKV.load_word2vec_format(str(bin_file()), binary=True),
        ),
        "gzip-load": lambda: (
            lambda: load_vectors(gz_file(), progress=False),
            lambda: GensimKV.load_word2vec_format(str(gz_file())),
        ),
        "vocab-load": lambda: (
            lambda: load_vectors(text_file(), vocab=vocab, progress=False),
            lambda: GensimKV.load_word2vec_format(str(text_file()))[vocab],
        ),
    }

    results = []
    for name in WORKLOADS:
        if args.only and name not in args.only:
            continue
        if name == "cache-load":  # one row per cache size; cheap, so at least 5 rounds
            runs, repeats = cache_pairs(), max(args.repeats, 5)
        else:
            runs, repeats = [(name, *workloads[name]())], args.repeats
        for label, ours, theirs in runs:
            ours(), theirs()  # warm-up: files in the page cache, code paths imported
            load = OthersLoad()
            ours_s, theirs_s, ours_cpu, theirs_cpu = time_pair(ours, theirs, repeats)
            others = load.cores()
            cpu_ratio = ours_cpu / theirs_cpu if theirs_cpu else float("nan")
            results.append((label, name, ours_s, theirs_s, cpu_ratio, others))
            busy = "?" if others is None else f"{others:.2f}"
            print(
                f"  {label:12s} firstlayer {ours_s:8.4f} s   gensim {theirs_s:8.4f} s   "
                f"ratio {ours_s / theirs_s:6.3f}   CPU-time ratio {cpu_ratio:6.3f}   "
                f"(other processes: {busy} cores)"
            )
        if name == "text-save":
            same = paths["ours.txt"].read_bytes() == paths["gensim.txt"].read_bytes()
            print(f"               the two text files are byte-identical: {same}")
        if name in ("text-load", "binary-load"):
            k, m, _ = load_vectors(
                text_file() if name == "text-load" else bin_file(), progress=False
            )
            check_same(k, m)

    print(
        "\n| workload | firstlayer (s) | gensim (s) | ratio | target | CPU-time ratio "
        "| others' load (cores) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, name, ours_s, theirs_s, cpu_ratio, others in results:
        kind, bound = TARGETS.get(name, ("", 0.0))
        value = ours_s / theirs_s if kind == "ratio" else ours_s
        target = ""
        if kind == "ratio":
            target = f"<= {bound} {'ok' if value <= bound else 'MISSED'}"
        elif kind == "seconds":
            target = f"< {bound * 1e3:.0f} ms {'ok' if value < bound else 'MISSED'}"
        busy = "?" if others is None else f"{others:.2f}"
        print(
            f"| {label} | {ours_s:.4f} | {theirs_s:.4f} | {ours_s / theirs_s:.3f} | {target} "
            f"| {cpu_ratio:.3f} | {busy} |"
        )

    if not args.only or "text-load" in args.only:
        matrix_mb = vectors.nbytes / 2**20
        full = peak_mb(lambda: load_vectors(text_file(), progress=False))
        part = peak_mb(lambda: load_vectors(text_file(), vocab=vocab, progress=False))
        print(
            f"\npeak memory (tracemalloc) of our text load: {full:.0f} MB for a {matrix_mb:.0f} MB "
            f"matrix ({full / matrix_mb:.2f}x, keys included); with vocab= ({len(vocab):,} "
            f"words): {part:.0f} MB for {matrix_mb * len(vocab) / rows:.0f} MB"
        )
    ours_import = "from firstlayer.vectors.formats import load_vectors, save_vectors"
    theirs_import = "from gensim.models import KeyedVectors as G"
    load_ours, load_theirs = "load_vectors({p!r}, progress=False)", "G.load_word2vec_format({p!r})"
    memory = [  # (workload, file, our setup and call, gensim's setup and call): a fresh process
        ("text-load", "text_file", ours_import, load_ours, theirs_import, load_theirs),
        ("binary-load", "bin_file", ours_import, load_ours, theirs_import,
         "G.load_word2vec_format({p!r}, binary=True)"),
        ("gzip-load", "gz_file", ours_import, load_ours, theirs_import, load_theirs),
        ("text-save", "bin_file",  # the save alone is timed; the peak includes the load
         ours_import + "\nk, m, _ = load_vectors({p!r})", "save_vectors(k, m, {p!r} + '.txt')",
         theirs_import + "\nkv = G.load_word2vec_format({p!r}, binary=True)",
         "kv.save_word2vec_format({p!r} + '.txt')"),
    ]
    memory = [m for m in memory if not args.only or m[0] in args.only]
    if memory:
        base = fresh_peak_mb("import numpy")[1]
        matrix_mb = vectors.nbytes / 2**20
        bound = base + matrix_mb + 80
        print(
            f"\ncold: a fresh process each (imports untimed; numba's cache empty), its peak "
            f"memory (MB): NumPy alone {base:.0f}, the matrix {matrix_mb:.0f}; target for the "
            f"loads: <= gensim and <= {bound:.0f} (NumPy + matrix + 80)"
        )
        print("| workload | firstlayer cold (s) | gensim cold (s) | firstlayer peak (MB) "
              "| gensim peak (MB) | target |")
        print("|---|---:|---:|---:|---:|---:|")
        files = {"text_file": text_file, "bin_file": bin_file, "gz_file": gz_file}
        for label, which, ours_setup, ours_code, theirs_setup, theirs_code in memory:
            path = str(files[which]())
            ours_s, ours_mb = fresh_peak_mb(ours_code.format(p=path), ours_setup.format(p=path))
            theirs_s, theirs_mb = fresh_peak_mb(
                theirs_code.format(p=path), theirs_setup.format(p=path)
            )
            target = "-"
            if label.endswith("-load"):
                ok = ours_mb <= min(theirs_mb, bound)
                target = f"<= {min(theirs_mb, bound):.0f} {'ok' if ok else 'MISSED'}"
            print(
                f"| {label} | {ours_s:.3f} | {theirs_s:.3f} | {ours_mb:.0f} | {theirs_mb:.0f} | "
                f"{target} |"
            )
    if not args.dir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
