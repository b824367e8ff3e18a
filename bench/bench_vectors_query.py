"""``KeyedVectors`` queries against gensim 4.4 on the same 1M x 300 float32 matrix, in one process.

Workloads (random vectors, keys ``w0 .. w999999``; both libraries share the one matrix, so
the process holds ~2.6 GB: the matrix, our unit rows, the keys):

1. ``first-query``  the first ``most_similar(word)`` (both compute their norms here: gensim the
   (V,) norms, firstlayer the (V, D) unit rows it keeps for every later query).
2. ``most-similar`` ``most_similar(word, topn=10)``, median over ``--queries`` words.
3. ``analogy``      ``most_similar(positive=[b, c], negative=[a], topn=10)``, median.
4. ``analogies``    ``evaluate_word_analogies`` on ``--analogies`` questions over the default
   ``restrict_vocab=300000`` (gensim: one matrix-vector product per question; firstlayer: one
   blocked matrix product for all).

Each line reports both times and the ratio firstlayer / gensim (below 1: firstlayer is faster),
and checks that both gave the same answers. Like ``bench_core.py``, it sleeps ``--pause`` before
each timed call so that one library's spinning BLAS threads don't slow the other.

Usage::

    python bench/bench_vectors_query.py             # 1M x 300, ~1 min
    python bench/bench_vectors_query.py --quick     # 100k x 300, a smoke test
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from gensim.models import KeyedVectors as GensimKV

from firstlayer.vectors.keyed import KeyedVectors


def timed(fn: Callable[[], Any], pause: float) -> tuple[float, Any]:
    time.sleep(pause)
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def report(name: str, ours: float, theirs: float, same: bool) -> None:
    print(f"{name:<14} firstlayer {ours * 1e3:9.1f} ms   gensim {theirs * 1e3:9.1f} ms   "
          f"ratio {ours / theirs:6.3f}   same answers: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--analogies", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--quick", action="store_true", help="100k rows, fewer queries")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.queries, args.analogies = 100_000, 5, 50
    logging.getLogger("gensim").setLevel(logging.WARNING)
    warnings.simplefilter("ignore", DeprecationWarning)

    rng = np.random.default_rng(0)
    print(f"{args.rows:,} x {args.dim} float32 ({args.rows * args.dim * 4 / 2**30:.2f} GiB), "
          f"{os.cpu_count()} CPUs, numpy {np.__version__}")
    vectors = np.empty((args.rows, args.dim), np.float32)
    for start in range(0, args.rows, 100_000):  # in blocks: no float64 temporary of 2.4 GB
        block = vectors[start : start + 100_000]
        block[:] = rng.standard_normal(block.shape, dtype=np.float32)
    keys = [f"w{i}" for i in range(args.rows)]
    ours = KeyedVectors.from_arrays(keys, vectors)
    theirs = GensimKV(args.dim)  # the same matrix and keys, no copy
    theirs.vectors, theirs.index_to_key, theirs.key_to_index = vectors, keys, ours.key_to_index
    theirs.next_index = args.rows

    def same(a: list, b: list) -> bool:
        return [k for k, _ in a] == [k for k, _ in b] and np.allclose(
            [s for _, s in a], [s for _, s in b], atol=1e-5)

    words = [keys[i] for i in rng.choice(args.rows, args.queries, replace=False)]
    t_ours, r_ours = timed(lambda: ours.most_similar(words[0]), args.pause)
    t_theirs, r_theirs = timed(lambda: theirs.most_similar(words[0]), args.pause)
    report("first-query", t_ours, t_theirs, same(r_ours, r_theirs))

    for name, query in [
        ("most-similar", lambda w: {"positive": w}),
        ("analogy", lambda w: {"positive": [w, keys[1]], "negative": [keys[2]]}),
    ]:
        times_ours, times_theirs, agree = [], [], True
        for i, word in enumerate(words):
            pair = [(ours, times_ours), (theirs, times_theirs)]
            results = {}
            for kv, times in pair if i % 2 else pair[::-1]:  # alternate who goes first
                kw = query(word)
                t, results[id(kv)] = timed(lambda kv=kv, kw=kw: kv.most_similar(**kw),
                                           args.pause)
                times.append(t)
            agree &= same(results[id(ours)], results[id(theirs)])
        report(name, statistics.median(times_ours), statistics.median(times_theirs), agree)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "questions.txt")
        top = min(args.rows, 300_000)
        with open(path, "w", encoding="utf8") as f:
            f.write(": random\n")
            for row in rng.choice(top, (args.analogies, 4)):
                f.write(" ".join(keys[i] for i in row) + "\n")
        t_ours, (s_ours, sec_ours) = timed(lambda: ours.evaluate_word_analogies(path),
                                           args.pause)
        t_theirs, (s_theirs, sec_theirs) = timed(lambda: theirs.evaluate_word_analogies(path),
                                                 args.pause)
        report("analogies", t_ours, t_theirs, s_ours == s_theirs and sec_ours == sec_theirs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory of the process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
