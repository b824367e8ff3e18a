"""fastText's ``quantize`` and predictions per second, firstlayer against fastText, one process.

One supervised model is trained by fastText (dim 50, wordNgrams 2, bucket 200k) on the
generated corpus of ``bench_supervised.py`` (20k training, 3k test lines by default) and saved
as a ``.bin``. Both libraries load that same file, then:

* ``predict``: predictions per second over the test lines through each library's Python API,
  called once per line and once with the whole list (median of ``--runs``, the two libraries
  alternating), on the ``.bin`` and on a quantized ``.ftz`` of it (cutoff 10k);
* ``quantize`` with each configuration (cutoff, retrain, qnorm): wall time, the ``.ftz`` size,
  precision@1 on the test lines, and whether each library reads the other's ``.ftz`` to the
  same precision@1.

Targets (issue 10): the ``.ftz`` within 10% of fastText's size; precision@1 at least fastText's
minus 0.01, with and without ``retrain``; predictions per second at least fastText's.

Usage::

    python bench/bench_fasttext_quantize.py            # the default sizes
    python bench/bench_fasttext_quantize.py --train 50000 --test 5000 --runs 5
    python bench/bench_fasttext_quantize.py --predict-only --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import fasttext

from bench_supervised import make_corpus
from firstlayer.models import load_model

CONFIGS = [
    dict(cutoff=10_000, retrain=True),
    dict(cutoff=10_000, retrain=False),
    dict(cutoff=10_000, retrain=True, qnorm=True),
    dict(cutoff=50_000, qnorm=True),
]


def predictions_per_second(model: object, lines: list[str], runs: int, batch: bool) -> float:
    """Lines per second: one ``predict`` call per line, or one call with the whole list."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        if batch:
            model.predict(lines)  # type: ignore[attr-defined]
        else:
            for line in lines:
                model.predict(line)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
    return len(lines) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--test", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--thread", type=int, default=2)
    parser.add_argument("--predict-only", action="store_true",
                        help="only the predictions per second (dense and quantized models)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        train, test = os.path.join(folder, "train.txt"), os.path.join(folder, "test.txt")
        make_corpus(train, test, args.train, args.test)
        base = os.path.join(folder, "model.bin")
        fasttext.train_supervised(train, dim=50, wordNgrams=2, bucket=200_000, epoch=5,
                                  thread=args.thread, verbose=0).save_model(base)
        with open(test, encoding="utf-8") as f:
            lines = [line.split(" ", 1)[1].strip() for line in f if " " in line]

        ftz = os.path.join(folder, "model.ftz")
        small = fasttext.load_model(base)
        small.quantize(input=train, cutoff=10_000, verbose=0, thread=args.thread)
        small.save_model(ftz)
        print("| predict | model | fastText (lines/s) | firstlayer (lines/s) | ratio |")
        print("|---|---|---:|---:|---:|")
        for path in (base, ftz):
            theirs, ours = fasttext.load_model(path), load_model(path)
            ours.predict(lines[:2])  # the compiled loops: loaded (or compiled) before timing
            ours.predict(lines[0])
            for batch in (False, True):
                # the two alternate, run by run, so that both see the same load
                t_theirs, t_ours = [], []
                for _ in range(args.runs):
                    t_theirs.append(predictions_per_second(theirs, lines, 1, batch))
                    t_ours.append(predictions_per_second(ours, lines, 1, batch))
                ps_theirs, ps_ours = statistics.median(t_theirs), statistics.median(t_ours)
                how = f"one call with all {len(lines):,} lines" if batch else "one call per line"
                print(f"| {how} | {os.path.basename(path)} | {ps_theirs:,.0f} | {ps_ours:,.0f} "
                      f"| {ps_ours / ps_theirs:.2f} |", flush=True)
        print()
        if args.predict_only:
            return

        print("| quantize | P@1 fastText | P@1 firstlayer | .ftz fastText (B) "
              "| .ftz firstlayer (B) | time fastText (s) | time firstlayer (s) "
              "| cross-read P@1 equal |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for kw in CONFIGS:
            theirs, ours = fasttext.load_model(base), load_model(base)
            # verbose=0 means "the model's own" to fastText's quantize (and to ours, which
            # follows it): both print their retraining progress to stderr
            call = dict(kw, input=train, verbose=0, thread=args.thread)
            t0 = time.perf_counter()
            theirs.quantize(**call)
            t_theirs = time.perf_counter() - t0
            t0 = time.perf_counter()
            ours.quantize(**call)
            t_ours = time.perf_counter() - t0
            f_theirs, f_ours = os.path.join(folder, "t.ftz"), os.path.join(folder, "o.ftz")
            theirs.save_model(f_theirs)
            ours.save_model(f_ours)
            p_theirs, p_ours = theirs.test(test)[1], ours.test(test)[1]
            cross = (fasttext.load_model(f_ours).test(test)[1] == p_ours
                     and load_model(f_theirs).test(test)[1] == p_theirs)
            name = ", ".join(f"{k}={v}" for k, v in kw.items())
            print(f"| {name} | {p_theirs:.4f} | {p_ours:.4f} | {os.path.getsize(f_theirs):,} "
                  f"| {os.path.getsize(f_ours):,} | {t_theirs:.1f} | {t_ours:.1f} | {cross} |",
                  flush=True)


if __name__ == "__main__":
    main()
