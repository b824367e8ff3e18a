"""``firstlayer.models.train_supervised`` against fastText (the ``fasttext-numpy2`` package).

Both libraries train on the same file with the same hyper-parameters, one after the other in
this process, and are scored on the same held-out file with their own ``test`` (precision@1).
Targets (issue 5): p@1 at least fastText's minus 0.02, training time at most fastText's.

The data (no network): a generated topic-classification corpus, written to a temporary folder:

- a vocabulary of 60,000 made-up words (syllables; a few hundred with accents or in CJK, so
  that hashing sees multi-byte UTF-8), whose background frequencies follow Zipf's law;
- 20 topics, each with 800 topic words (mid-frequency words, Zipfian within the topic, a third
  of them shared with a neighbouring topic so that pairs of topics are confusable) and 40
  two-word phrases made of common words (informative only as a pair: word bigrams help);
- documents of 3 to 150 tokens (log-normal, median 20): each token is a topic word with
  probability 0.25, otherwise a background word; a phrase of the topic is inserted with
  probability 0.5; 5% of the labels are replaced by a random topic (label noise);
- 300,000 training and 30,000 test documents (``--small``: 60,000 and 10,000).

Timing: the wall-clock time of the ``train_supervised`` call (reading the file included), with
``thread=2``, the two libraries alternating, ``--repeat`` runs each (median); firstlayer's
compiled kernels are loaded (or compiled, once per install) before the timings. Each run also
reports how many cores other processes kept busy meanwhile (``_harness.OthersLoad``).

Usage::

    python bench/bench_supervised.py                  # three configurations, prints a table
    python bench/bench_supervised.py --small          # a quicker run on a smaller corpus
    python bench/bench_supervised.py --only bigrams   # the configurations whose name has this
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from _harness import OthersLoad

N_TOPICS = 20
VOCAB = 60_000
TOPIC_WORDS = 800
PHRASES = 40
P_TOPIC = 0.25
P_PHRASE = 0.5
LABEL_NOISE = 0.05

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["qu", "th", "sh", "ch"]
_ACCENTED = ["é", "ü", "ñ", "ø", "ç"]
_CJK = "山水火木金土日月星云风雨雪花草鱼鸟虫"


def _make_words(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct made-up words: 1-4 syllables, ~0.5% with an accent, ~0.3% in CJK."""
    words: dict[str, None] = {}
    while len(words) < n:
        k = int(rng.integers(1, 5))
        w = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), k))
        r = rng.random()
        if r < 0.005:
            w += _ACCENTED[int(rng.integers(0, len(_ACCENTED)))]
        elif r < 0.008:
            w = "".join(_CJK[i] for i in rng.integers(0, len(_CJK), 2))
        words[w] = None
    return list(words)


def _zipf_weights(n: int, s: float = 1.07) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def make_corpus(train_path: str, test_path: str, n_train: int, n_test: int, seed: int = 0) -> None:
    """Write the train and test files described in the module docstring (deterministic)."""
    rng = np.random.default_rng(seed)
    words = np.array(_make_words(rng, VOCAB), dtype=object)
    background = _zipf_weights(VOCAB)
    # topic words: mid-frequency ranks; topic t shares a third of its words with topic t+1
    topics = [
        rng.choice(np.arange(200, 30_000), TOPIC_WORDS, replace=False) for _ in range(N_TOPICS)
    ]
    for t in range(N_TOPICS):
        nxt = topics[(t + 1) % N_TOPICS]
        topics[t][: TOPIC_WORDS // 3] = nxt[TOPIC_WORDS - TOPIC_WORDS // 3 :]
    topic_p = _zipf_weights(TOPIC_WORDS, 1.0)
    phrases = rng.integers(0, 300, size=(N_TOPICS, PHRASES, 2))  # pairs of common words
    names = [f"topic{t:02d}" for t in range(N_TOPICS)]

    def write(path: str, n: int) -> None:
        lengths = np.clip(np.round(rng.lognormal(np.log(20), 0.5, n)), 3, 150).astype(np.int64)
        total = int(lengths.sum())
        labels = rng.integers(0, N_TOPICS, n)
        noisy = np.where(rng.random(n) < LABEL_NOISE, rng.integers(0, N_TOPICS, n), labels)
        bg = rng.choice(VOCAB, size=total, p=background)
        tw = rng.choice(TOPIC_WORDS, size=total, p=topic_p)
        is_topic = rng.random(total) < P_TOPIC
        doc_of = np.repeat(np.arange(n), lengths)
        tok = np.where(is_topic, np.array(topics)[labels[doc_of], tw], bg)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        with_phrase = rng.random(n) < P_PHRASE
        which = rng.integers(0, PHRASES, n)
        where = (rng.random(n) * (lengths - 1)).astype(np.int64)
        text = words[tok]
        lines = []
        for d in range(n):
            toks = list(text[starts[d] : starts[d] + lengths[d]])
            if with_phrase[d]:
                a, b = phrases[labels[d], which[d]]
                toks[where[d] : where[d]] = [words[a], words[b]]
            lines.append(f"__label__{names[noisy[d]]} " + " ".join(toks))
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
            f.write("\n")

    write(train_path, n_train)
    write(test_path, n_test)


# ---- the two trainers ---------------------------------------------------------------------------
@dataclass
class Row:
    library: str
    config: str
    seconds: float
    p_at_1: float
    n_test: int
    others: float | None  # cores other processes kept busy during the training


def run_fasttext(train: str, test: str, config: str, params: dict) -> Row | None:
    try:
        import fasttext
    except ImportError:
        print(
            "fastText is not installed: `pip install fasttext-numpy2` into this venv to compare "
            "(it is not a dependency of firstlayer); skipping it",
            file=sys.stderr,
        )
        return None
    for attempt in range(1, 4):
        load = OthersLoad()
        start = time.perf_counter()
        try:
            model = fasttext.train_supervised(train, verbose=0, **params)
        except RuntimeError as exc:  # "Encountered NaN": its uninitialised input matrix
            print(f"{config:24s} fastText   attempt {attempt} failed: {exc}", flush=True)
            continue
        seconds = time.perf_counter() - start
        others = load.cores()
        n, p, _ = model.test(test)
        return Row("fastText", config, seconds, p, n, others)
    return None


def run_firstlayer(train: str, test: str, config: str, params: dict) -> Row:
    from firstlayer.models import train_supervised

    load = OthersLoad()
    start = time.perf_counter()
    model = train_supervised(train, verbose=0, **params)
    seconds = time.perf_counter() - start
    others = load.cores()
    n, p, _ = model.test(test)
    return Row("firstlayer", config, seconds, p, n, others)


CONFIGS: dict[str, dict] = {
    "default (wordNgrams=1)": dict(thread=2),
    "bigrams, lr=0.5": dict(thread=2, lr=0.5, wordNgrams=2),
    "ova, bigrams": dict(thread=2, lr=0.5, wordNgrams=2, loss="ova"),
}


def warm_up(folder: str) -> float:
    """Load (or, on the first run after an install, compile) the numba kernels: seconds."""
    from firstlayer.models import train_supervised

    path = os.path.join(folder, "warm.txt")
    with open(path, "w") as f:
        f.write("__label__a x y z\n__label__b y z w\n" * 20)
    start = time.perf_counter()
    for params in CONFIGS.values():
        train_supervised(path, verbose=0, dim=8, **params)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="60k/10k documents")
    parser.add_argument("--repeat", type=int, default=3, help="runs per library and config")
    parser.add_argument("--only", nargs="*", help="run only configs whose name contains this")
    args = parser.parse_args()
    n_train, n_test = (60_000, 10_000) if args.small else (300_000, 30_000)
    configs = {k: v for k, v in CONFIGS.items() if not args.only or any(o in k for o in args.only)}
    with tempfile.TemporaryDirectory() as tmp:
        train, test = os.path.join(tmp, "train.txt"), os.path.join(tmp, "test.txt")
        t0 = time.perf_counter()
        make_corpus(train, test, n_train, n_test)
        print(
            f"corpus: {n_train} train / {n_test} test documents, "
            f"{os.path.getsize(train) / 1e6:.0f} MB, made in {time.perf_counter() - t0:.1f} s"
        )
        print(f"firstlayer kernels loaded in {warm_up(tmp):.1f} s (not counted below)")
        summary = []
        for config, params in configs.items():
            rows: dict[str, list[Row]] = {"fastText": [], "firstlayer": []}
            for _ in range(args.repeat):  # alternate, so that both see the same machine
                for run in (run_fasttext, run_firstlayer):
                    row = run(train, test, config, params)
                    if row is not None:
                        rows[row.library].append(row)
                        busy = "?" if row.others is None else f"{row.others:.2f}"
                        print(
                            f"{row.config:24s} {row.library:10s} {row.seconds:7.2f} s  "
                            f"p@1 {row.p_at_1:.4f}  (N={row.n_test}; other processes: "
                            f"{busy} cores)",
                            flush=True,
                        )
            summary.append((config, params, rows))
        print("\nmedian of each library (fastText = fasttext-numpy2, both at the same settings)")
        print(
            f"{'config':24s} {'fastText s':>10s} {'ours s':>8s} {'time ratio':>10s} "
            f"{'fastText p@1':>12s} {'ours p@1':>9s} {'p@1 diff':>8s}"
        )
        for config, _params, rows in summary:
            ours = rows["firstlayer"]
            t_ours = float(np.median([r.seconds for r in ours]))
            p_ours = float(np.median([r.p_at_1 for r in ours]))
            if rows["fastText"]:
                t_ft = float(np.median([r.seconds for r in rows["fastText"]]))
                p_ft = float(np.median([r.p_at_1 for r in rows["fastText"]]))
                print(
                    f"{config:24s} {t_ft:10.2f} {t_ours:8.2f} {t_ours / t_ft:10.2f} "
                    f"{p_ft:12.4f} {p_ours:9.4f} {p_ours - p_ft:+8.4f}"
                )
            else:
                print(f"{config:24s} {'-':>10s} {t_ours:8.2f} {'-':>10s} {'-':>12s} {p_ours:9.4f}")


if __name__ == "__main__":
    main()
