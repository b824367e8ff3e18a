"""Regenerate the small fastText models in tests/fixtures/fasttext/ with fastText itself.

    python tools/make_fasttext_fixtures.py

Needs ``fasttext-numpy2`` (the test extra). Writes, for every loss and for word and character
n-grams, a supervised ``.bin``, an unsupervised ``.bin`` (skipgram, cbow), a quantized ``.ftz``
(once firstlayer reads them), and ``expected.json``: fastText's answers on those files
(predictions, word vectors of known and unseen words, sentence vectors, test scores), so that
tests/test_fasttext_format.py checks firstlayer against fastText without fastText installed.
A few hundred KB in all (dim 8, small buckets).
"""

from __future__ import annotations

import json
from pathlib import Path

import fasttext
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "fasttext"
TEXTS = ["t0w1 t0w2 n3", "t2w5 zzz t1w1", "unknown words only", "t1w3 t1w4 t1w5 n1", ""]
WORDS = ["t0w1", "n3", "zzz", "t1w3x", "</s>", "é山"]
SUPERVISED = {
    "softmax": dict(loss="softmax"),
    "ns_char": dict(loss="ns", minn=2, maxn=4, bucket=997),
    "hs_bigram": dict(loss="hs", wordNgrams=2, bucket=1009),
    "ova_both": dict(loss="ova", wordNgrams=2, minn=3, maxn=5, bucket=1013),
}
UNSUPERVISED = {
    "skipgram": dict(model="skipgram", bucket=1019),
    "cbow": dict(model="cbow", bucket=1021, minn=2, maxn=3),
}


def corpus(labels: bool, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(300):
        k = int(rng.integers(3))
        words = [f"t{k}w{j}" for j in rng.integers(0, 20, 6)] + [
            f"n{j}" for j in rng.integers(0, 10, 3)] + (["é山"] if rng.random() < 0.1 else [])
        lines.append((f"__label__c{k} " if labels else "") + " ".join(words))
    return lines


def train(fn, path: Path, **kw):  # fastText may hit uninitialised memory: retry
    for _ in range(30):
        try:
            return fn(str(path), verbose=0, thread=12, dim=8, epoch=3, **kw)
        except RuntimeError:
            continue
    raise RuntimeError("fastText failed 30 times")


def answers(model, supervised: bool) -> dict:
    out = {
        "words": model.words,
        "labels": model.labels if supervised else [],
        "word_vectors": {w: model.get_word_vector(w).tolist() for w in WORDS},
        "sentence_vectors": {t: model.get_sentence_vector(t).tolist() for t in TEXTS},
    }
    if supervised:
        pred = {}
        for t in TEXTS:
            labels, probs = model.predict(t, k=-1)
            pred[t] = [list(labels), (np.asarray(probs) - 1e-5).tolist()]  # fastText adds 1e-5
        out["predict"] = pred
        out["test"] = list(model.test(str(OUT / "sup.txt"), k=2))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sup.txt").write_text("\n".join(corpus(True)) + "\n", encoding="utf-8")
    (OUT / "plain.txt").write_text("\n".join(corpus(False, 1)) + "\n", encoding="utf-8")
    expected = {}
    for name, kw in SUPERVISED.items():
        model = train(fasttext.train_supervised, OUT / "sup.txt", **kw)
        model.save_model(str(OUT / f"{name}.bin"))
        expected[f"{name}.bin"] = answers(fasttext.load_model(str(OUT / f"{name}.bin")), True)
    for name, kw in UNSUPERVISED.items():
        model = train(fasttext.train_unsupervised, OUT / "plain.txt", minCount=1, **kw)
        model.save_model(str(OUT / f"{name}.bin"))
        expected[f"{name}.bin"] = answers(fasttext.load_model(str(OUT / f"{name}.bin")), False)
    model = train(fasttext.train_supervised, OUT / "sup.txt", loss="softmax", wordNgrams=2,
                  bucket=2003)
    model.quantize(input=str(OUT / "sup.txt"), qnorm=True, cutoff=300, retrain=True, dsub=2)
    model.save_model(str(OUT / "quantized.ftz"))
    expected["quantized.ftz"] = answers(fasttext.load_model(str(OUT / "quantized.ftz")), True)
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=0),
                                       encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total / 1024:.0f} KB, to {OUT}")


if __name__ == "__main__":
    main()
