"""The first call in a new process, cold (nothing compiled yet) and warm (numba's cache filled).

Each workload is a small program run in a fresh Python process, first **cold**, then
**warm** (``--warm-runs`` more times, the median): what every later process pays (imports,
loading the compiled kernels from numba's on-disk cache, the work). Cold means one of:

* ``--fresh-venv``: as a user installs it: a copy of this tree (no ``__pycache__``, no built
  extension) ``pip install -e``'d into a new virtualenv, whose build compiles the C extension
  and fills numba's cache (``setup.py``, ``firstlayer._precompile``); cold is the first run
  after that install. (Needs PyPI or pip's cache; ~2 min more.)
* default: numba's cache is an empty folder (``NUMBA_CACHE_DIR``, a new one per workload):
  every numba kernel the call uses compiles in the cold run, as after an install that did not
  precompile (a wheel, ``FIRSTLAYER_PRECOMPILE=0``). The C extension is whatever is built.

For each: the process's wall time, the call's own time (imports excluded), the process's CPU
seconds (all threads; steadier than wall time on a busy machine) and its peak resident memory
(VmHWM). Target (issue 11): cold within 1.5x of warm.

Workloads (data generated once, untimed, in a temporary folder):

=================  ===========================================================================
``help``           ``firstlayer --help``                                 (target < 0.3 s)
``info``           ``firstlayer vectors info`` on the 20,000 x 100 text file  (< 0.3 s)
``load-small``     ``fv.load`` of a 1,000 x 50 text file   (target <= 0.4 s, <= gensim's MB)
``load-text``      ``fv.load`` of a 20,000 x 100 word2vec text file
``load-binary``    the same vectors, word2vec binary
``save-text``      ``kv.save(.., format="word2vec")`` of those vectors
``save-binary``    ``kv.save(.., format="word2vec-binary")``
``supervised``     ``train_supervised`` on a 63-label corpus (20,000 lines), ``thread=2``
``w2v-sg``         ``Word2Vec(sg=1)``, one epoch over ~300k tokens, ``workers=2``
``w2v-cbow``       the same, CBOW
``ft-predict``     ``load_model`` of a supervised model + ``predict`` of one line
=================  ===========================================================================

Usage::

    python bench/bench_cold.py                       # every workload, prints a table
    python bench/bench_cold.py --only load-small help
    python bench/bench_cold.py --fresh-venv          # the first call after pip install -e
    python bench/bench_cold.py --python /tmp/venv/bin/python   # another interpreter
    FIRSTLAYER_KERNELS=numba python bench/bench_cold.py       # the readers' numba kernels
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Each program prints one JSON line: {"call": seconds of the call, "peak": MB}.
_TAIL = """
_t = __import__("time").perf_counter() - _t0
_peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
_cpu = sum(__import__("os").times()[:2])
print(__import__("json").dumps({"call": _t, "peak": _peak, "cpu": _cpu}))
"""

WORKLOADS: dict[str, tuple[str, str]] = {  # name -> (setup code, timed code)
    "load-small": ("import firstlayer.vectors as fv", "fv.load({small!r})"),
    "load-text": ("import firstlayer.vectors as fv", "fv.load({text!r})"),
    "load-binary": ("import firstlayer.vectors as fv", "fv.load({binary!r})"),
    "save-text": (
        "import firstlayer.vectors as fv\nkv = fv.load({cache!r})",
        "kv.save({out!r} + '.txt', format='word2vec')",
    ),
    "save-binary": (
        "import firstlayer.vectors as fv\nkv = fv.load({cache!r})",
        "kv.save({out!r} + '.bin', format='word2vec-binary')",
    ),
    "supervised": (
        "from firstlayer.models import train_supervised",
        "train_supervised({corpus!r}, epoch=5, thread=2, verbose=0)",
    ),
    "w2v-sg": (
        "import json\nfrom firstlayer.models import Word2Vec\n"
        "s = json.load(open({sentences!r}))",
        "Word2Vec(s, sg=1, epochs=1, workers=2, progress=False)",
    ),
    "w2v-cbow": (
        "import json\nfrom firstlayer.models import Word2Vec\n"
        "s = json.load(open({sentences!r}))",
        "Word2Vec(s, sg=0, epochs=1, workers=2, progress=False)",
    ),
    "ft-predict": (
        "from firstlayer.models import load_model",
        "load_model({model!r}).predict('w1 w2 w3 w4', k=1)",
    ),
}
COMMANDS = {  # name -> firstlayer command line (the whole process is timed)
    "help": ["--help"],
    "info": ["vectors", "info", "{text}"],
}
ORDER = ["help", "info", *WORKLOADS]


def make_data(folder: Path, python: str) -> dict[str, str]:
    """The files the workloads read (random, seeded), written with ``python``."""
    rng = np.random.default_rng(0)
    paths = {
        name: str(folder / name)
        for name in ("small", "text", "binary", "cache", "out", "corpus", "sentences", "model")
    }

    def words(count: int) -> list[str]:
        return [f"w{i}" for i in range(count)]

    def write_text(path: str, rows: int, dim: int) -> np.ndarray:
        """gensim's text: each float32 with the shortest digits that read back exactly."""
        vectors = rng.standard_normal((rows, dim)).astype(np.float32)
        with open(path, "w") as f:
            f.write(f"{rows} {dim}\n")
            for word, row in zip(words(rows), vectors):
                f.write(word + " " + " ".join(map(str, row)) + "\n")
        return vectors

    write_text(paths["small"], 1_000, 50)
    vectors = write_text(paths["text"], 20_000, 100)
    with open(paths["binary"], "wb") as f:
        f.write(b"20000 100\n")
        for word, row in zip(words(20_000), vectors):
            f.write(word.encode() + b" " + row.astype("<f4").tobytes())
    # supervised: 63 labels, each with its own topic words over a shared background
    vocab = np.array(words(20_000))
    with open(paths["corpus"], "w") as f:
        for _ in range(20_000):
            label = int(rng.integers(63))
            n = int(rng.integers(5, 40))
            topic = rng.integers(0, 50, n) + 300 * label
            background = rng.zipf(1.3, n) % 20_000
            tokens = np.where(rng.random(n) < 0.3, topic % 20_000, background)
            f.write(f"__label__{label} " + " ".join(vocab[tokens]) + "\n")
    # word2vec: Zipfian sentences of ~20 tokens, ~300k tokens
    tokens = vocab[(rng.zipf(1.2, 300_000) - 1) % 20_000]
    sentences = [tokens[i : i + 20].tolist() for i in range(0, tokens.size, 20)]
    Path(paths["sentences"]).write_text(json.dumps(sentences))
    # the cache the savers load (no numba), and the model ft-predict loads: made with the
    # project's own caches, so that the timed runs below start from empty ones
    subprocess.run(
        [python, "-c",
         "import firstlayer.vectors as fv\n"
         "from firstlayer.models import train_supervised\n"
         f"fv.load({paths['text']!r}).save({paths['cache']!r}, format='cache')\n"
         f"train_supervised({paths['corpus']!r}, epoch=1, verbose=0)"
         f".save_model({paths['model']!r})\n"],
        check=True,
    )
    return paths


def fresh_install(folder: Path) -> str:
    """A copy of this source tree (the files git tracks or would track: no ``__pycache__``,
    no built extension) installed with ``pip install -e`` into a new virtualenv, as a user
    installs it: the C extension is built and the numba kernels compiled by the build
    (``setup.py``). Returns the new interpreter."""
    root = Path(__file__).resolve().parents[1]
    tree = folder / "tree"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        if (root / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, tree / name)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    start = time.perf_counter()
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", str(tree)], check=True)
    print(f"fresh virtualenv: pip install -e took {time.perf_counter() - start:.0f} s")
    return python


def run_once(argv: list[str], cache: Path | None) -> tuple[float, dict]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("PYTHONPATH", None)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed:\n{out.stderr[-2000:]}")
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    info = json.loads(last) if last.startswith("{") else {}
    return wall, info


def program(name: str, paths: dict[str, str], python: str) -> list[str]:
    if name in COMMANDS:  # what the console script does, then the peak memory
        argv = [a.format(**paths) for a in COMMANDS[name]]
        code = (
            "_t0 = __import__('time').perf_counter()\nimport contextlib, io\n"
            "from firstlayer.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: main({argv!r})\n    except SystemExit: pass\n" + _TAIL
        )
        return [python, "-c", code]
    setup, timed = WORKLOADS[name]
    code = (
        "_t0 = __import__('time').perf_counter()\n"
        + setup.format(**paths) + "\n_t1 = __import__('time').perf_counter()\n"
        + timed.format(**paths) + "\n" + _TAIL.replace("_t0", "_t1")
    )
    return [python, "-c", code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=ORDER)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run")
    parser.add_argument(
        "--fresh-venv", action="store_true",
        help="install a copy of the tree into a new virtualenv (pip install -e: its build "
        "compiles the kernels) and time the first call after that, with numba's default cache",
    )
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs (median)")
    args = parser.parse_args()
    names = [n for n in ORDER if not args.only or n in args.only]
    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        if args.fresh_venv:
            args.python = fresh_install(folder)
        paths = make_data(folder, sys.executable)  # with this tree and its caches: untimed
        kernels = os.environ.get("FIRSTLAYER_KERNELS") or "default (C readers if built)"
        mode = "fresh virtualenv" if args.fresh_venv else "empty NUMBA_CACHE_DIR per workload"
        print(f"python {args.python}; kernels: {kernels}; cold: {mode}; {os.cpu_count()} cores")
        print("| workload | cold: process (s) | cold: call (s) | cold: CPU (s) | cold: peak (MB) "
              "| warm: process (s) | warm: call (s) | warm: CPU (s) | warm: peak (MB) "
              "| cold / warm (process) | cold / warm (CPU) |")
        print("|---|" + "---:|" * 10)
        for name in names:
            cache: Path | None = None  # fresh venv: the cache its install filled
            if not args.fresh_venv:  # an empty cache per workload: everything compiles
                cache = folder / f"numba-cache-{name}"
                cache.mkdir()
            argv = program(name, paths, args.python)
            cold_wall, cold = run_once(argv, cache)
            warm = [run_once(argv, cache) for _ in range(args.warm_runs)]
            warm.sort(key=lambda r: r[0])
            warm_wall, warm_info = warm[len(warm) // 2]
            def cell(info: dict, key: str, fmt: str) -> str:
                return format(info[key], fmt) if key in info else "-"
            cpu_ratio = cold.get("cpu", 0.0) / warm_info.get("cpu", float("inf"))
            print(
                f"| {name} | {cold_wall:.2f} | {cell(cold, 'call', '.2f')} | "
                f"{cell(cold, 'cpu', '.2f')} | {cell(cold, 'peak', '.0f')} | {warm_wall:.2f} | "
                f"{cell(warm_info, 'call', '.2f')} | {cell(warm_info, 'cpu', '.2f')} | "
                f"{cell(warm_info, 'peak', '.0f')} | {cold_wall / warm_wall:.2f} | "
                f"{cpu_ratio:.2f} |",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
