"""Loading a fastText ``.bin`` of 2M buckets x 300: firstlayer against gensim and fastText.

    python bench/bench_fasttext_load.py [--words 200000] [--bucket 2000000] [--dim 300]

Writes one skipgram model file of that shape (random rows, words ``w0``, ``w1``, ...; minn 3,
maxn 6 as fastText's unsupervised default), reads it once to warm the page cache, then times,
each in turn (``--repeat`` times, the best kept):

* ``firstlayer.vectors.load(path)``: FastTextKeyedVectors (every word's vector computed, as
  gensim computes them);
* gensim's ``load_facebook_vectors(path)``, the same result in gensim;
* ``firstlayer.models.load_model(path)``: the whole model (fastText's answers);
* fastText's own ``load_model(path)``.

The target (issue 10): firstlayer's load at most gensim's time / 5.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def write_model(path: Path, words: int, bucket: int, dim: int) -> None:
    from firstlayer.models.fasttext import UnsupervisedArgs
    from firstlayer.models.fasttext._bin import BinModel, write_bin
    from firstlayer.models.fasttext._dictionary import Dictionary

    entries = [b"</s>"] + [f"w{i}".encode() for i in range(words - 1)]
    counts = np.arange(words, 0, -1, dtype=np.int64) + 5
    d = Dictionary(entries, counts, words, int(counts.sum()))
    args = UnsupervisedArgs(dim=dim, bucket=bucket, minn=3, maxn=6, loss="ns", minCount=5)
    rng = np.random.default_rng(0)
    matrix = np.empty((words + bucket, dim), np.float32)
    step = 1 << 18
    for lo in range(0, matrix.shape[0], step):  # in blocks: no float64 copy of 2.4 GB
        matrix[lo : lo + step] = rng.random((min(step, matrix.shape[0] - lo), dim),
                                            dtype=np.float32) - 0.5
    output = np.zeros((words, dim), np.float32)
    with open(path, "wb") as f:
        write_bin(f, BinModel(12, args, d, np.zeros(words, np.int8), None, matrix, False,
                              output))


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--bucket", type=int, default=2_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-fasttext", action="store_true")
    args = parser.parse_args()

    import firstlayer.vectors as fv
    from firstlayer.models import load_model

    folder = Path(tempfile.mkdtemp())
    path = folder / "model.bin"
    write_model(path, args.words, args.bucket, args.dim)
    size = path.stat().st_size
    with open(path, "rb") as f:  # warm the page cache: every reader starts from memory
        while f.read(1 << 26):
            pass
    print(f"{path.name}: {args.words:,} words + {args.bucket:,} buckets x {args.dim} "
          f"({size / 2**30:.2f} GiB), {os.cpu_count()} CPUs")
    fv.load(path)  # imports, and the kernels compiled and cached: once, untimed
    load_model(path)
    rows = {}
    rows["firstlayer vectors.load"], kv = best_of(lambda: fv.load(path), args.repeat)
    rows["firstlayer models.load_model"], _ = best_of(lambda: load_model(path), args.repeat)
    from gensim.models.fasttext import load_facebook_vectors

    rows["gensim load_facebook_vectors"], g = best_of(lambda: load_facebook_vectors(str(path)),
                                                      args.repeat)
    if not args.skip_fasttext:
        import fasttext

        rows["fastText load_model"], _ = best_of(lambda: fasttext.load_model(str(path)),
                                                 args.repeat)
    sample = ["w1", "w77", "unseenword", "w1x"]
    assert np.allclose(kv[sample], np.stack([g[w] for w in sample]), atol=1e-5)
    gensim_s = rows["gensim load_facebook_vectors"]
    for name, seconds in rows.items():
        print(f"  {name:32s} {seconds:7.2f} s   gensim / this = {gensim_s / seconds:5.1f}")
    target = rows["firstlayer vectors.load"] <= gensim_s / 5
    print(f"target (vectors.load <= gensim / 5): {'met' if target else 'NOT met'}")
    path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
