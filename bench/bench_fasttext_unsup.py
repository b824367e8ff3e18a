"""``firstlayer.models.train_unsupervised`` against fastText (the ``fasttext-numpy2`` package).

Both libraries train word vectors on the same file with the same arguments (fastText's defaults:
dim 100, ws 5, epoch 5, minCount 5, minn 3, maxn 6, neg 5, loss ns, bucket 2M, t 1e-4) and the
same ``--thread``, one after the other in this process. Targets (issue 10): the wall time of the
whole ``train_unsupervised`` call at most fastText's, for skipgram and cbow; neighbour quality as
close to fastText as two fastText runs with different seeds are to each other; unseen-word
vectors as close to the words they misspell as fastText's are.

The text (no network): English prose and reference text already on the machine, lowercased and
cut into words (``[a-z]+('[a-z]+)?`` and numbers): vim's help files
(``/usr/share/vim/vim*/doc/*.txt``) and Node.js's API docs (``/usr/share/doc/nodejs/api``),
about 2M words; where neither exists, a generated Zipfian text (said in the output).

Measured, per model (skipgram, cbow):

- time: the median over ``--repeat`` runs of each library's whole call (reading, dictionary,
  initialisation, training), alternating; firstlayer's compiled kernels are loaded first. Each
  run also reports how many cores other processes kept busy meanwhile (``OthersLoad``).
- overlap@10: for the 300 query words (ranks 100..399 of the vocabulary), the mean share of
  the 10 nearest neighbours two models have in common: firstlayer vs fastText (seed 0), and
  fastText seed 0 vs fastText seed 1 (the yardstick).
- misspelling cosine: for words of 6+ letters (ranks 100..1099), the mean cosine between the
  vector of the word with one inner letter dropped (a word not in the vocabulary, so answered
  from its n-grams) and the word's own vector.

Usage::

    python bench/bench_fasttext_unsup.py                 # skipgram and cbow, full text
    python bench/bench_fasttext_unsup.py --lines 60000   # a quicker run on the first lines
    python bench/bench_fasttext_unsup.py --only cbow --repeat 1
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import statistics
import sys
import tempfile
import time

import numpy as np

from _harness import OthersLoad

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+")
_SOURCES = ["/usr/share/vim/vim*/doc/*.txt", "/usr/share/doc/nodejs/api/*.md"]


def write_text(path: str, max_lines: int | None) -> str:
    """The benchmark text at ``path``; returns where it came from."""
    files = sorted(f for pattern in _SOURCES for f in glob.glob(pattern))
    lines: list[str] = []
    for name in files:
        with open(name, encoding="utf-8", errors="replace") as f:
            for line in f.read().lower().splitlines():
                words = _WORD.findall(line)
                if len(words) >= 3:
                    lines.append(" ".join(words))
    source = f"{len(files)} files of vim's help and Node.js's API docs"
    if len(lines) < 10000:  # no such files here: a generated Zipfian text instead
        rng = np.random.default_rng(0)
        syll = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
        vocab = ["".join(rng.choice(syll, rng.integers(1, 4))) for _ in range(30000)]
        p = 1 / np.arange(1, len(vocab) + 1)
        ids = rng.choice(len(vocab), size=2_000_000, p=p / p.sum())
        lines = [" ".join(vocab[i] for i in ids[j : j + 12]) for j in range(0, ids.size, 12)]
        source = "generated Zipfian text (the docs were not found)"
    lines = lines[:max_lines] if max_lines else lines
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    words = sum(len(line.split()) for line in lines)
    return f"{source}: {len(lines):,} lines, {words:,} words"


def neighbours(model, words: list[str], k: int = 10) -> list[set[str]]:
    return [{w for _, w in model.get_nearest_neighbors(q, k=k)} for q in words]


def overlap(a: list[set[str]], b: list[set[str]]) -> float:
    return float(np.mean([len(x & y) / max(len(x), 1) for x, y in zip(a, b)]))


def misspelling_cosine(model, words: list[str]) -> float:
    sims = []
    for w in words:
        typo = w[:2] + w[3:]  # the third letter dropped
        a, b = model.get_word_vector(typo), model.get_word_vector(w)
        sims.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)))
    return float(np.mean(sims))


def fasttext_with_seed(path: str, seed: int, kw: dict) -> object:
    """fastText trained with another ``seed``: its ``train_unsupervised`` does not take one
    (``seed`` is missing from its argument list), so this does what that function does."""
    from fasttext import FastText as ft

    args = {**ft.unsupervised_default, **kw, "input": path, "seed": seed}
    a = ft._build_args(args, set(kw) | {"input", "seed"})
    model = ft._FastText(args=a)
    ft.fasttext.train(model.f, a)
    model.set_args(model.f.getArgs())
    return model


def timed(train, path: str, kw: dict) -> tuple[float, float | None, object]:
    load = OthersLoad()
    start = time.perf_counter()
    model = train(path, **kw)
    return time.perf_counter() - start, load.cores(), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=None, help="use only the first lines")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per library")
    parser.add_argument("--thread", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--epoch", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="skipgram and/or cbow")
    args = parser.parse_args()

    import fasttext

    from firstlayer.models import train_unsupervised

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "text.txt")
        print(f"text: {write_text(path, args.lines)}; thread={args.thread}, epoch={args.epoch}")
        warm = os.path.join(tmp, "warm.txt")
        with open(warm, "w") as f:
            f.write("a b c d e f\n" * 20)
        for model in args.only or ["skipgram", "cbow"]:
            kw = dict(model=model, thread=args.thread, epoch=args.epoch, verbose=0)
            train_unsupervised(warm, **{**kw, "minCount": 1})  # load the compiled kernels
            times: dict[str, list[float]] = {"firstlayer": [], "fastText": []}
            loads: list[float] = []
            models: dict[str, object] = {}
            for _ in range(args.repeat):
                for name, train in (("firstlayer", train_unsupervised),
                                    ("fastText", fasttext.train_unsupervised)):
                    seconds, cores, m = timed(train, path, kw)
                    times[name].append(seconds)
                    loads.append(cores or 0.0)
                    models[name] = m
                    print(f"  {model:8s} {name:10s} {seconds:7.2f} s  (others busy: "
                          f"{cores if cores is None else round(cores, 2)} cores)", flush=True)
            other_seed = fasttext_with_seed(path, 2, kw)  # minstd_rand: seeds 0 and 1 are one
            words = models["fastText"].words  # type: ignore[attr-defined]
            queries = words[100:400]
            long_words = [w for w in words[100:1100] if len(w) >= 6 and w.isalpha()]
            ft_nn = neighbours(models["fastText"], queries)
            ours_nn = neighbours(models["firstlayer"], queries)
            seed_nn = neighbours(other_seed, queries)
            t_ours = statistics.median(times["firstlayer"])
            t_ft = statistics.median(times["fastText"])
            print(f"{model}: time firstlayer {t_ours:.2f} s, fastText {t_ft:.2f} s "
                  f"(ratio {t_ours / t_ft:.2f}; others kept {max(loads):.2f} cores busy at most)")
            print(f"{model}: overlap@10 firstlayer~fastText {overlap(ours_nn, ft_nn):.3f}, "
                  f"fastText seed0~seed2 {overlap(seed_nn, ft_nn):.3f}")
            print(f"{model}: misspelling cosine firstlayer "
                  f"{misspelling_cosine(models['firstlayer'], long_words):.3f}, fastText "
                  f"{misspelling_cosine(models['fastText'], long_words):.3f} "
                  f"({len(long_words)} words)", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
