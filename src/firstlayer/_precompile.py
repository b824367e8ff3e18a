"""Compile the numba kernels ahead of the first call: ``python -m firstlayer._precompile``.

numba compiles a kernel the first time it runs and keeps the machine code in its on-disk cache
(``cache=True``: ``__pycache__`` next to the source, or ``NUMBA_CACHE_DIR``); every later
process only loads it. Without this step the first ``train_supervised`` or ``Word2Vec`` call
after installing pays 3-5 s of compilation. ``pip install -e .`` runs this module at the end of
its build (``setup.py``), so the first call finds the kernels compiled: an editable install
runs the very source files the cache was made for (numba checks each file's modification time
and size, and its own version: if any differ, it compiles again on first use, as without this
step).

Each group below runs tiny workloads through the public API, which compiles exactly the
specializations that real calls use (the argument types come from the library's own arrays).
Groups run in parallel processes; a failure is reported and skipped: a later call compiles
what is missing.

The vector-file readers and writer need none of this: they are C (``vectors/formats/
_cformats.c``), built by the same ``pip install``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _corpus(folder: Path) -> tuple[str, list[list[str]]]:
    """A tiny labelled file (fastText's format) and tokenised sentences."""
    words = [f"w{i}" for i in range(60)]
    lines, sentences = [], []
    for i in range(300):
        tokens = [words[(i * 7 + j * 3) % 60] for j in range(8 + i % 5)]
        lines.append(f"__label__{i % 4} " + " ".join(tokens))
        sentences.append(tokens)
    path = folder / "train.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path), sentences


def _supervised(folder: str) -> str:
    from .models import load_model, train_supervised

    path, _ = _corpus(Path(folder))
    for loss in ("softmax", "ns", "hs", "ova"):
        model = train_supervised(path, epoch=1, dim=8, loss=loss, wordNgrams=2, bucket=1000,
                                 thread=1, verbose=0)
    model = train_supervised(path, epoch=1, dim=8, minn=2, maxn=3, bucket=1000, thread=2,
                             verbose=0)
    bin_path = os.path.join(folder, "model.bin")
    model.save_model(bin_path)
    loaded = load_model(bin_path)
    loaded.predict("w1 w2 w3", k=2)
    loaded.predict(["w1 w2", "w3 w4"], k=1)
    loaded.test(path)
    loaded.get_word_vector("w1")
    loaded.get_sentence_vector("w1 w2")
    loaded.quantize(path, retrain=False, qnorm=True, dsub=2)
    loaded.predict("w1 w2 w3", k=1)
    ftz_path = os.path.join(folder, "model.ftz")
    loaded.save_model(ftz_path)
    load_model(ftz_path).predict("w1 w2", k=1)
    return "supervised, predict, quantize"


def _unsupervised(folder: str) -> str:
    from . import vectors
    from .models import train_unsupervised

    path, _ = _corpus(Path(folder))
    for model_name in ("skipgram", "cbow"):
        model = train_unsupervised(path, model=model_name, epoch=1, dim=8, minCount=1,
                                   bucket=1000, thread=1, verbose=0)
    model.get_word_vector("w1")
    model.get_word_vector("never-seen")
    bin_path = os.path.join(folder, "vectors.bin")
    model.save_model(bin_path)
    kv = vectors.load(bin_path)
    kv["never-seen"]
    return "train_unsupervised, fasttext-bin vectors"


def _word2vec(folder: str) -> str:
    from .models import Word2Vec

    _, sentences = _corpus(Path(folder))
    for sg in (1, 0):
        for hs, negative in ((0, 5), (1, 0)):
            model = Word2Vec(sentences, sg=sg, hs=hs, negative=negative, vector_size=8,
                             min_count=1, epochs=1, workers=2, progress=False)
    model.wv.most_similar("w1", topn=2)
    return "Word2Vec"


_GROUPS = (_supervised, _word2vec, _unsupervised)


def _run(group_index: int, folder: str) -> tuple[str, float, str]:
    warnings.simplefilter("ignore")
    group = _GROUPS[group_index]
    start = time.perf_counter()
    try:
        sub = os.path.join(folder, group.__name__)
        os.makedirs(sub, exist_ok=True)
        done = group(sub)
        return done, time.perf_counter() - start, ""
    except Exception as exc:  # noqa: BLE001  (reported; the first call compiles it instead)
        return group.__name__, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"


def main(workers: int | None = None) -> int:
    """Compile every kernel group; returns the number of groups that failed."""
    start = time.perf_counter()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="firstlayer-precompile-") as folder:
        workers = workers or min(len(_GROUPS), os.cpu_count() or 1)
        with ProcessPoolExecutor(workers) as pool:
            jobs = [pool.submit(_run, i, folder) for i in range(len(_GROUPS))]
            for job in jobs:
                name, seconds, error = job.result()
                if error:
                    failed += 1
                    print(f"firstlayer: precompiling {name} failed ({error}); it will compile "
                          "on first use", file=sys.stderr)
                else:
                    print(f"firstlayer: compiled {name} ({seconds:.1f} s)", file=sys.stderr)
    print(f"firstlayer: numba kernels compiled in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    return failed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
