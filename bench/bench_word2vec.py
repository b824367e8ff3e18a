"""firstlayer.models.Word2Vec against gensim 4.4's Word2Vec, in one process, on real text.

    python bench/bench_word2vec.py                 # skip-gram and CBOW, 2 seeds each
    python bench/bench_word2vec.py --modes cbow --repeat 2 --seeds 1 2 3
    python bench/bench_word2vec.py --numpy          # also a vectorised pure-NumPy trainer

The text: the English Wikipedia articles and the Lee news corpus that ship in gensim's test
data (``enwiki-latest-pages-articles1.xml-...-shortened.bz2`` and ``lee_background.cor``),
markup stripped and tokenised by gensim's ``wikicorpus`` helpers (lower case), split into
sentences at ``.!?``: 530k tokens. The largest English text installed; ``--repeat`` copies
it to reach ~3M tokens (default 6: 3.18M).

Both libraries run gensim's defaults (vector_size 100, window 5, min_count 5, sample 1e-3,
negative 5, epochs 5, alpha 0.025 -> 0.0001) with ``--workers`` threads (default 2), the two
libraries alternating, each seed once. Reported:

* speed: raw tokens x epochs / seconds of ``train()`` (``build_vocab`` timed apart), by the
  wall clock and per CPU-second of the process (steadier on a shared machine);
* neighbours: the mean share of common words in the top-10 neighbours of frequent words
  (ranks 50-549 by count, past the stop words) between two models: gensim vs gensim with
  another seed is the spread that chance alone gives; firstlayer vs gensim should match it;
* WordSim-353 Spearman and Google-analogy accuracy (gensim's test files and gensim's own
  evaluation code, applied to both libraries' vectors).
"""

from __future__ import annotations

import argparse
import bz2
import itertools
import os
import re
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

try:
    import gensim
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki, tokenize
    from gensim.models import KeyedVectors as GensimKeyedVectors
    from gensim.models import Word2Vec as GensimWord2Vec
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs gensim (pip install -e '.[test]')")

from firstlayer.models import Word2Vec

DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def real_sentences() -> list[list[str]]:
    """The shipped English text as sentences of lower-case tokens."""
    out: list[list[str]] = []

    def add(text: str) -> None:
        for part in _SENTENCE_END.split(text):
            tokens = tokenize(part, token_min_len=1, token_max_len=20, lower=True)
            if tokens:
                out.append(tokens)

    with bz2.BZ2File(os.path.join(DATA, WIKI)) as f:
        for _title, text, _pageid in extract_pages(f):
            add(filter_wiki(text))
    with open(os.path.join(DATA, "lee_background.cor"), encoding="utf-8") as f:
        for line in f:
            add(line)
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_train(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of the process) of ``fn()``. The CPU time
    hardly depends on what else the machine runs; the wall-clock time does."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_gensim(sentences: list[list[str]], sg: int, seed: int, workers: int) -> tuple:
    model = GensimWord2Vec(sg=sg, seed=seed, workers=workers)
    vocab_s = timed(lambda: model.build_vocab(sentences))
    train_s = timed_train(lambda: model.train(
        sentences, total_examples=model.corpus_count, epochs=model.epochs))
    return model.wv, vocab_s, train_s


def run_ours(sentences: list[list[str]], sg: int, seed: int, workers: int) -> tuple:
    model = Word2Vec(sg=sg, seed=seed, workers=workers, progress=False)
    vocab_s = timed(lambda: model.build_vocab(sentences))
    train_s = timed_train(lambda: model.train(
        sentences, total_examples=model.corpus_count, epochs=model.epochs))
    wv = GensimKeyedVectors(model.vector_size)  # gensim's evaluation code for both libraries
    wv.add_vectors(model.wv.index_to_key, model.wv.vectors)
    return wv, vocab_s, train_s


def neighbours(wv: GensimKeyedVectors, words: list[str]) -> dict[str, set[str]]:
    return {w: {k for k, _ in wv.most_similar(w, topn=10)} for w in words}


def overlap(a: dict[str, set[str]], b: dict[str, set[str]]) -> float:
    return float(np.mean([len(a[w] & b[w]) / 10 for w in a]))


def quality(wv: GensimKeyedVectors) -> tuple[float, float]:
    pairs = wv.evaluate_word_pairs(os.path.join(DATA, "wordsim353.tsv"))
    analogies, _ = wv.evaluate_word_analogies(os.path.join(DATA, "questions-words.txt"))
    return float(pairs[1][0]), float(analogies)


def bench_mode(sentences: list[list[str]], sg: int, seeds: list[int], workers: int) -> None:
    tokens = sum(map(len, sentences))
    name = "skip-gram" if sg else "CBOW"
    runs: dict[str, list] = {"gensim": [], "firstlayer": []}
    libs = [("gensim", run_gensim), ("firstlayer", run_ours)]
    for n, seed in enumerate(seeds):  # alternate the libraries (and who goes first)
        for lib, run in libs if n % 2 == 0 else libs[::-1]:
            wv, vocab_s, (wall, cpu) = run(sentences, sg, seed, workers)
            rate, cpu_rate = tokens * 5 / wall, tokens * 5 / cpu
            print(f"  {name} {lib:10s} seed {seed}: train {wall:6.1f} s = {rate / 1e3:7.0f}k "
                  f"words/s, {cpu_rate / 1e3:5.0f}k words per CPU-second (build_vocab "
                  f"{vocab_s:.1f} s)", flush=True)
            runs[lib].append((wv, rate, cpu_rate))
    ranked = runs["gensim"][0][0].index_to_key
    probe = ranked[50:550]
    near = {lib: [neighbours(r[0], probe) for r in rs] for lib, rs in runs.items()}
    same_g = [overlap(a, b) for a, b in itertools.combinations(near["gensim"], 2)]
    same_f = [overlap(a, b) for a, b in itertools.combinations(near["firstlayer"], 2)]
    cross = [overlap(a, b) for a in near["firstlayer"] for b in near["gensim"]]
    print(f"\n  {name}: words/s (median over seeds)")
    for what, k in (("wall clock", 1), ("per CPU-second", 2)):
        g_rate = statistics.median(r[k] for r in runs["gensim"])
        f_rate = statistics.median(r[k] for r in runs["firstlayer"])
        print(f"    {what}: gensim {g_rate / 1e3:.0f}k, firstlayer {f_rate / 1e3:.0f}k, "
              f"ratio firstlayer/gensim {f_rate / g_rate:.2f}")
    print(f"  {name}: top-10 neighbour overlap of {len(probe)} frequent words")
    print(f"    gensim vs gensim (other seed): {np.mean(same_g):.3f}   "
          f"firstlayer vs firstlayer: {np.mean(same_f):.3f}   "
          f"firstlayer vs gensim: {np.mean(cross):.3f} (min {min(cross):.3f})")
    for lib, rs in runs.items():
        scores = [quality(r[0]) for r in rs]
        print(f"    {lib:10s} WordSim-353 Spearman "
              + " ".join(f"{s:.3f}" for s, _ in scores)
              + "   analogy accuracy " + " ".join(f"{a:.3f}" for _, a in scores))
    print()


# ---- why compiled kernels: the best pure-NumPy trainer we could write ---------------------------
def numpy_sgns_words_per_second(sentences: list[list[str]], seconds: float = 20.0) -> float:
    """Skip-gram with negative sampling vectorised over whole batches of 10,000 words in NumPy
    (every pair's gradient from the batch-start weights, scattered with ``np.add.at``): the
    fastest plain-NumPy formulation, and already a different (staler) algorithm."""
    model = Word2Vec(sg=1, workers=1, progress=False)
    model.build_vocab(sentences)
    syn0, syn1 = model.wv.vectors, model.syn1neg
    rng = np.random.default_rng(0)
    total = int(model.cum_table[-1])
    done = 0
    start = time.perf_counter()
    for words, _starts, raw, _ in model._batches(sentences, None):
        ids = words[words >= 0]
        keep = rng.random(len(ids)) * 2**32 <= model.sample_ints[ids]
        ids = ids[keep]
        centre, context = [], []
        for off in range(1, model.window + 1):  # pairs at each distance (shrunk windows)
            b = rng.integers(0, model.window, len(ids))
            ok = off <= model.window - b
            for sign in (1, -1):
                pos = np.arange(len(ids)) + sign * off
                valid = ok & (pos >= 0) & (pos < len(ids))
                centre.append(ids[valid])
                context.append(ids[pos[valid]])
        c, x = np.concatenate(centre), np.concatenate(context)
        noise = np.searchsorted(model.cum_table, rng.integers(0, total, (len(c), 5)))
        targets = np.concatenate([c[:, None], noise], axis=1)  # (P, 6)
        labels = np.zeros(targets.shape, np.float32)
        labels[:, 0] = 1
        h = syn0[x]  # (P, D)
        out = syn1[targets]  # (P, 6, D)
        f = np.einsum("pd,ptd->pt", h, out)
        with np.errstate(over="ignore"):
            g = 0.025 * (labels - 1 / (1 + np.exp(-f)))
        np.add.at(syn0, x, np.einsum("pt,ptd->pd", g, out))
        np.add.at(syn1, targets.ravel(), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
        done += raw
        if time.perf_counter() - start > seconds:
            break
    return done / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--modes", nargs="+", default=["sg", "cbow"], choices=["sg", "cbow"])
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    p.add_argument("--repeat", type=int, default=6, help="copies of the text (default 6)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--numpy", action="store_true", help="also time a pure-NumPy trainer")
    args = p.parse_args()

    base = real_sentences()
    sentences = base * args.repeat
    print(f"corpus: {len(base):,} sentences, {sum(map(len, base)):,} tokens, x{args.repeat} = "
          f"{sum(map(len, sentences)):,} tokens; {args.workers} workers; gensim "
          f"{gensim.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    Word2Vec([["warm", "up"]] * 10, min_count=1, progress=False, sg=1, epochs=1, workers=1)
    Word2Vec([["warm", "up"]] * 10, min_count=1, progress=False, sg=0, epochs=1, workers=1)
    for mode in args.modes:
        bench_mode(sentences, int(mode == "sg"), args.seeds, args.workers)
    if args.numpy:
        rate = numpy_sgns_words_per_second(sentences)
        print(f"pure-NumPy batched skip-gram (1 thread): {rate / 1e3:.0f}k words/s")


if __name__ == "__main__":
    main()
