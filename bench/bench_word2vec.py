"""firstlayer.models.Word2Vec against gensim 4.4's Word2Vec: speed over a grid, and quality.

    python bench/bench_word2vec.py grid                       # the default grid (long)
    python bench/bench_word2vec.py grid --tokens 100k 500k --epochs 1 3 --workers 2 --runs 5
    python bench/bench_word2vec.py grid --corpus real --modes cbow --wait-quiet 30
    python bench/bench_word2vec.py quality --seeds 1 2 3      # speed of train() and quality
    python bench/bench_word2vec.py quality --numpy            # also a pure-NumPy trainer

``grid`` times the whole ``Word2Vec(sentences, sg=..., epochs=..., workers=..., seed=...)``
call, vocabulary included, for each corpus size x mode x workers x epochs, both libraries at
gensim's defaults otherwise (vector_size 100, window 5, min_count 5, sample 1e-3, negative 5),
in one process whose compiled kernels are warm. The two libraries alternate ``--runs`` times
(which one goes first alternates too, each run with another seed); the table gives each one's
median seconds, the speed ratio gensim seconds / firstlayer seconds of the medians (> 1:
firstlayer is faster) with the range of the per-run ratios, the same ratio of the process's CPU
seconds (all threads; it depends less on what else the machine runs), and how many cores other
processes kept busy on average meanwhile (a 2-core shared machine; ``--wait-quiet S`` waits up
to S seconds for them to go quiet before each configuration).

The corpora (``--corpus``):

* ``zipf`` (default): English-like text generated deterministically: sentences of 10-50
  tokens (mean 30) whose words are drawn from a Zipf-Mandelbrot law, ``P(rank r) ~
  1 / (r + 2.7) ** 1.07`` over 1M pronounceable pseudo-words (frequent words are short ones),
  the law English word counts follow; so the vocabulary grows with the corpus as real text's
  does: 8.4k words of count >= 5 at 500k tokens (the real text below: 9.8k at 530k), 139k at
  10M; more words seen once or twice than real text has (109k distinct at 500k, real: 36k).
  Each size is the first sentences of one stream.
* ``real``: the English text that ships with gensim's test data (below; 530k tokens),
  repeated to reach the larger sizes (so its vocabulary stops growing past 530k tokens).

``quality`` times ``train()`` alone (``build_vocab`` apart) on the real text, repeated
``--repeat`` times (default 6: 3.18M tokens), at 5 epochs, and compares the vectors:

* neighbours: the mean share of common words in the top-10 neighbours of frequent words
  (ranks 50-549 by count, past the stop words) between two models: gensim vs gensim with
  another seed is the spread that chance alone gives; firstlayer vs gensim should match it;
* WordSim-353 Spearman and Google-analogy accuracy (gensim's test files and gensim's own
  evaluation code, applied to both libraries' vectors).

The real text: the English Wikipedia articles and the Lee news corpus in gensim's test data
(``enwiki-latest-pages-articles1.xml-...-shortened.bz2`` and ``lee_background.cor``), markup
stripped and tokenised by gensim's ``wikicorpus`` helpers (lower case), split into sentences at
``.!?``.
"""

from __future__ import annotations

import argparse
import bz2
import gc
import itertools
import json
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

from _harness import OthersLoad, wait_until_quiet
from firstlayer.models import Word2Vec

DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


# ---- corpora ------------------------------------------------------------------------------------
_ONSETS = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
           "th", "st", "pr", "tr", "ch", "sh", "br"]
_VOWELS = ["a", "e", "i", "o", "u", "ea", "ou", "ai"]
_CODAS = ["", "n", "s", "t", "r", "l", "nd", "ng", "st", "ck"]
_SYLLABLES = [o + v + c for o in _ONSETS for v in _VOWELS for c in _CODAS]  # 1,920, distinct


def pseudo_word(rank: int) -> str:
    """The word of frequency rank ``rank`` (0-based): ``rank`` in bijective base-1920 numeration,
    one syllable per digit, so words are distinct and the 1,920 most frequent have one syllable.
    (Syllables can combine ambiguously; the few collisions only merge two rare words.)"""
    out = []
    n = rank + 1
    while n:
        n, digit = divmod(n - 1, len(_SYLLABLES))
        out.append(_SYLLABLES[digit])
    return "".join(reversed(out))


def zipf_sentences(tokens: int, seed: int = 0, types: int = 1_000_000) -> list[list[str]]:
    """``tokens`` tokens of Zipf-Mandelbrot text in sentences of 10-50 tokens, deterministic."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(types, dtype=np.float64) + 3.7) ** 1.07
    ids = rng.choice(types, size=tokens, p=p / p.sum())
    used = np.unique(ids)
    words = dict(zip(used.tolist(), map(pseudo_word, used.tolist())))
    table = [words.get(i, "") for i in range(int(used[-1]) + 1)]
    lengths = rng.integers(10, 51, size=tokens // 10 + 1)
    ends = np.cumsum(lengths)
    ends = np.append(ends[ends < tokens], tokens)
    flat = [table[i] for i in ids.tolist()]
    starts = np.concatenate([[0], ends[:-1]]).tolist()
    return [flat[a:b] for a, b in zip(starts, ends.tolist())]


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


def first_tokens(sentences: list[list[str]], tokens: int) -> list[list[str]]:
    """The first sentences of ``sentences`` (cycled) holding ``tokens`` tokens, the last cut."""
    out: list[list[str]] = []
    left = tokens
    for sentence in itertools.cycle(sentences):
        if left <= 0:
            break
        out.append(sentence[:left])
        left -= len(sentence)
    return out


def parse_count(text: str) -> int:
    """``"500k"`` -> 500000, ``"2M"`` -> 2000000."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


# ---- the grid -----------------------------------------------------------------------------------
def whole_call(lib: str, sentences: list[list[str]], sg: int, epochs: int, workers: int,
               seed: int) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one whole ``Word2Vec(sentences, ...)`` call."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    if lib == "gensim":
        model: object = GensimWord2Vec(sentences, sg=sg, epochs=epochs, workers=workers, seed=seed)
    else:
        model = Word2Vec(sentences, sg=sg, epochs=epochs, workers=workers, seed=seed,
                         progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del model
    return wall, cpu


def time_config(sentences: list[list[str]], sg: int, epochs: int, workers: int,
                runs: int) -> dict:
    """``runs`` alternating whole calls of each library: their seconds and the others' load."""
    times: dict[str, list[float]] = {"gensim": [], "firstlayer": []}
    cpus: dict[str, list[float]] = {"gensim": [], "firstlayer": []}
    load = OthersLoad()
    for run in range(runs):
        order = ["gensim", "firstlayer"] if run % 2 == 0 else ["firstlayer", "gensim"]
        for lib in order:
            wall, cpu = whole_call(lib, sentences, sg, epochs, workers, seed=run + 1)
            times[lib].append(wall)
            cpus[lib].append(cpu)
    return {"times": times, "cpus": cpus, "others": load.cores()}


def ratio_stats(result: dict, key: str = "times") -> tuple[float, float, float]:
    """(gensim median / firstlayer median, min and max of the per-run ratios) of the wall-clock
    seconds (``key="times"``) or of the CPU seconds (``"cpus"``)."""
    g, f = result[key]["gensim"], result[key]["firstlayer"]
    pairs = [a / b for a, b in zip(g, f)]
    return statistics.median(g) / statistics.median(f), min(pairs), max(pairs)


def table(rows: list[dict]) -> str:
    lines = [
        "| tokens | mode | workers | epochs | gensim s | firstlayer s | speed ratio | range "
        "| CPU-time ratio | others' load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio, lo, hi = ratio_stats(r)
        cpu_ratio = ratio_stats(r, "cpus")[0]
        others = "?" if r["others"] is None else f"{r['others']:.2f}"
        lines.append(
            f"| {r['tokens']:,} | {r['mode']} | {r['workers']} | {r['epochs']} "
            f"| {statistics.median(r['times']['gensim']):.2f} "
            f"| {statistics.median(r['times']['firstlayer']):.2f} | {ratio:.2f} "
            f"| {lo:.2f}-{hi:.2f} | {cpu_ratio:.2f} | {others} |"
        )
    return "\n".join(lines)


def grid(args: argparse.Namespace) -> None:
    sizes = [parse_count(t) for t in args.tokens]
    if args.corpus == "zipf":
        stream = zipf_sentences(max(sizes))
    else:
        stream = real_sentences()
    print(f"corpus {args.corpus}; gensim {gensim.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores; {args.runs} runs each", flush=True)
    for sg in (1, 0):  # compile / load both kernels before timing anything
        Word2Vec([["warm", "up"]] * 10, min_count=1, progress=False, sg=sg, epochs=1, workers=2)
        GensimWord2Vec([["warm", "up"]] * 10, min_count=1, sg=sg, epochs=1, workers=2)
    rows = []
    for size in sizes:
        sentences = first_tokens(stream, size)
        for mode, workers, epochs in itertools.product(args.modes, args.workers, args.epochs):
            if args.wait_quiet > 0 and wait_until_quiet(args.wait_quiet) is None:
                print(f"  (the machine stayed busy for {args.wait_quiet} s: timing anyway)")
            result = time_config(sentences, int(mode == "sg"), epochs, workers, args.runs)
            result.update(tokens=size, mode=mode, workers=workers, epochs=epochs,
                          corpus=args.corpus)
            rows.append(result)
            ratio, lo, hi = ratio_stats(result)
            others = "?" if result["others"] is None else f"{result['others']:.2f}"
            print(f"  {size:>10,} tokens {mode:4s} workers {workers} epochs {epochs:2d}: gensim "
                  + " ".join(f"{t:.2f}" for t in result["times"]["gensim"]) + " s, firstlayer "
                  + " ".join(f"{t:.2f}" for t in result["times"]["firstlayer"])
                  + f" s; ratio {ratio:.2f} ({lo:.2f}-{hi:.2f}), CPU-time ratio "
                  f"{ratio_stats(result, 'cpus')[0]:.2f}; others {others} cores",
                  flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(result) + "\n")
    print()
    print(table(rows))


# ---- train() alone, and quality -----------------------------------------------------------------
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
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grid", help="whole-call speed over corpus sizes, epochs, workers, modes")
    g.add_argument("--tokens", nargs="+", default=["100k", "500k", "2M", "10M"],
                   help="corpus sizes (k and M suffixes)")
    g.add_argument("--epochs", nargs="+", type=int, default=[1, 3, 5, 10])
    g.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    g.add_argument("--modes", nargs="+", default=["sg", "cbow"], choices=["sg", "cbow"])
    g.add_argument("--runs", type=int, default=5, help="alternating runs per configuration")
    g.add_argument("--corpus", default="zipf", choices=["zipf", "real"])
    g.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="before each configuration, wait up to S s for other processes to idle")
    g.add_argument("--out", help="append each configuration's times to this JSON-lines file")
    q = sub.add_parser("quality", help="train() speed and vector quality on the real text")
    q.add_argument("--modes", nargs="+", default=["sg", "cbow"], choices=["sg", "cbow"])
    q.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    q.add_argument("--repeat", type=int, default=6, help="copies of the text (default 6)")
    q.add_argument("--workers", type=int, default=2)
    q.add_argument("--numpy", action="store_true", help="also time a pure-NumPy trainer")
    args = p.parse_args()
    if args.command == "grid":
        grid(args)
        return

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
