"""The two standard intrinsic benchmarks of word vectors, with gensim's rules and numbers.

- :func:`evaluate_word_pairs`: do the cosines of word pairs rank like human similarity scores
  (WordSim-353, SimLex-999)? Pearson and Spearman correlations.
- :func:`evaluate_word_analogies`: does ``b - a + c`` land nearest to ``d`` ("man is to king as
  woman is to queen", questions-words.txt)? Accuracy per section.

Both restrict the vocabulary to the first ``restrict_vocab`` keys (the most frequent ones in a
file sorted by frequency) and, by default, compare words in upper case, where the first key of
each upper-cased spelling wins. gensim answers analogies one ``most_similar`` call at a time;
here all the questions go through one blocked matrix product (same answers, much faster).
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import logging
import lzma
import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from . import similarity as sim

if TYPE_CHECKING:
    from .keyed import KeyedVectors

logger = logging.getLogger(__name__)

_OPENERS: dict[str, Callable[..., IO[Any]]] = {
    ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open,
}


def _open(path: str | os.PathLike, mode: str, encoding: str | None = None) -> IO[Any]:
    """Open a benchmark file, decompressing ``.gz``/``.bz2``/``.xz`` by its extension."""
    opener = _OPENERS.get(os.path.splitext(os.fspath(path))[1].lower())
    if opener is None:
        return open(path, mode, encoding=encoding)  # noqa: SIM115
    return opener(path, mode, encoding=encoding)


def _ok_vocab(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> dict:
    """word -> row over the first ``restrict_vocab`` keys; upper-cased, the first key wins."""
    ok_keys = kv.index_to_key[:restrict_vocab]
    if case_insensitive:
        # Reversed, so that the first (most frequent) spelling overwrites the later ones.
        return {k.upper(): i for i, k in reversed(list(enumerate(ok_keys)))}
    return {k: i for i, k in enumerate(ok_keys)}


def evaluate_word_pairs(
    kv: KeyedVectors,
    pairs: str | os.PathLike,
    delimiter: str = "\t",
    encoding: str = "utf8",
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
) -> tuple[Any, Any, float]:
    """Pearson and Spearman correlation of ``kv``'s cosines with human scores for word pairs.

    ``pairs`` is a text file of ``word1<delimiter>word2<delimiter>score`` lines; lines starting
    with ``#`` and malformed lines are skipped. A pair with a word outside the first
    ``restrict_vocab`` keys is skipped, or with ``dummy4unknown`` scored 0.

    Returns ``(pearson, spearman, oov_ratio)``: ``scipy.stats.pearsonr`` and ``spearmanr``
    results (``.statistic``, ``.pvalue``; they also unpack as pairs) and the percentage of
    pairs with an unknown word (of the pairs used when ``dummy4unknown``, as gensim).

    >>> # pearson, spearman, oov = kv.evaluate_word_pairs("wordsim353.tsv")
    """
    from scipy import stats

    ok_vocab = _ok_vocab(kv, restrict_vocab, case_insensitive)
    gold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    dummies = 0  # pairs scored 0 for an unknown word (dummy4unknown)
    oov = 0
    with _open(pairs, "rt", encoding=encoding) as lines:
        for line_no, line in enumerate(lines):
            if not line or line.startswith("#"):
                continue
            fields = line.split(delimiter)
            if case_insensitive:
                fields = [f.upper() for f in fields]
            try:
                a, b, score_text = fields
                score = float(score_text)
            except ValueError:
                logger.info("skipping invalid line %d of %s", line_no + 1, pairs)
                continue
            if a not in ok_vocab or b not in ok_vocab:
                oov += 1
                if dummy4unknown:
                    gold.append(score)
                    left.append(-1)
                    right.append(-1)
                    dummies += 1
                continue
            gold.append(score)
            left.append(ok_vocab[a])
            right.append(ok_vocab[b])
    if not gold:
        raise ValueError(
            f"no usable word pairs in {os.fspath(pairs)!r}: every line is malformed (expected "
            f"word1{delimiter!r}word2{delimiter!r}score) or has a word outside the first "
            f"{restrict_vocab} keys of {kv}"
        )
    # The cosine of each pair: both rows as unit vectors, one dot product per pair.
    rows_a = np.asarray(left)
    rows_b = np.asarray(right)
    known = rows_a >= 0
    model = np.zeros(len(gold), sim.float_dtype(kv.vectors.dtype))
    if known.any():
        unit_a, _ = sim.unit_rows(kv.vectors[rows_a[known]])
        unit_b, _ = sim.unit_rows(kv.vectors[rows_b[known]])
        model[known] = np.einsum("ij,ij->i", unit_a, unit_b)
    spearman = stats.spearmanr(gold, model)
    pearson = stats.pearsonr(gold, model)
    if dummy4unknown:
        oov_ratio = oov / len(gold) * 100
    else:
        oov_ratio = oov / (len(gold) + oov) * 100
    logger.info(
        "pairs %s: pearson %.4f, spearman %.4f, unknown words in %.1f%% of the pairs",
        pairs, pearson[0], spearman[0], oov_ratio,
    )
    return pearson, spearman, oov_ratio


def evaluate_word_analogies(
    kv: KeyedVectors,
    analogies: str | os.PathLike,
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
) -> tuple[float, list[dict[str, Any]]]:
    """Accuracy on analogy questions ``a b c d``: is ``d`` the word nearest to ``b - a + c``?

    The file (UTF-8) has ": section name" lines, each followed by questions of four words. As in
    gensim (3CosAdd): the query is the normalised mean of the unit vectors ``+b +c -a``; the
    five best words among the first ``restrict_vocab`` keys, other than the rows of ``a, b, c``,
    are scanned for the first one whose spelling (upper-cased if ``case_insensitive``) is not
    one of ``a, b, c``; the question is correct when that word is ``d``. A question with a word
    outside the first ``restrict_vocab`` keys is skipped (``dummy4unknown``: counted wrong).

    Returns ``(score, sections)``: the overall accuracy (0.0 when nothing was answered) and a
    list of ``{"section": name, "correct": [(a, b, c, d), ...], "incorrect": [...]}``, one per
    section of the file, then ``"Total accuracy"`` over all of them.

    >>> # score, sections = kv.evaluate_word_analogies("questions-words.txt")
    """
    ok_vocab = _ok_vocab(kv, restrict_vocab, case_insensitive)
    sections: list[dict[str, Any]] = []
    section: dict[str, Any] | None = None
    # Every question in file order: (its section, the four words, answerable?). Unknown-word
    # questions stay in place so that each section lists its questions in file order.
    questions: list[tuple[dict[str, Any], tuple[str, str, str, str], bool]] = []
    with _open(analogies, "rb") as lines:
        for line_no, raw in enumerate(lines):
            line = raw.decode("utf8")
            if line.startswith(": "):
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                sections.append(section)
                continue
            if section is None:
                raise ValueError(
                    f"{os.fspath(analogies)!r} line {line_no + 1}: a question before the first "
                    f"': section name' line"
                )
            words = [w.upper() for w in line.split()] if case_insensitive else line.split()
            if len(words) != 4:
                logger.info("skipping invalid line %d of %s", line_no + 1, analogies)
                continue
            quad = (words[0], words[1], words[2], words[3])
            questions.append((section, quad, all(w in ok_vocab for w in quad)))
    if not questions:
        raise ValueError(f"no analogy questions (lines of four words) in {os.fspath(analogies)!r}")

    known = [quad for _, quad, ok in questions if ok]
    answers = iter(_answer(kv, ok_vocab, known, restrict_vocab, case_insensitive))
    oov = 0
    for sec, quad, ok in questions:
        if ok:
            sec["correct" if next(answers) else "incorrect"].append(quad)
        else:
            oov += 1
            if dummy4unknown:
                sec["incorrect"].append(quad)
    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    for s in sections:
        logger.info("%s: %.1f%% of %d", s["section"], 100 * _accuracy(s),
                    len(s["correct"]) + len(s["incorrect"]))
    logger.info("questions with unknown words: %.1f%%", 100 * oov / len(questions))
    sections.append(total)
    return _accuracy(total), sections


def _accuracy(section: dict[str, Any]) -> float:
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    return correct / (correct + incorrect) if correct + incorrect else 0.0


def _answer(
    kv: KeyedVectors,
    ok_vocab: dict,
    questions: list[tuple[str, str, str, str]],
    restrict_vocab: int | None,
    case_insensitive: bool,
) -> list[bool]:
    """Whether each in-vocabulary question is answered right, all queries in one batch."""
    if not questions:
        return []
    normed = kv._unit_rows_head(restrict_vocab or len(kv))
    rows = np.array([[ok_vocab[w] for w in quad[:3]] for quad in questions])  # (Q, 3): a, b, c
    # 3CosAdd: +b +c -a on unit vectors, mean over |weights| = 3, normalised.
    queries = (normed[rows[:, 1]].astype(np.float64) + normed[rows[:, 2]] - normed[rows[:, 0]]) / 3
    lengths = np.linalg.norm(queries, axis=1, keepdims=True)
    queries = queries / np.where(lengths > 0, lengths, 1)
    inputs = [sorted(set(r)) for r in rows.tolist()]  # rows never to answer (a, b, c)
    best, _ = sim.batch_top_k(normed, queries.astype(normed.dtype), 5, inputs)
    results = []
    for (a, b, c, expected), candidates in zip(questions, best):
        ignore = {a, b, c}
        predicted = None
        for i in candidates[candidates >= 0]:
            key = kv.index_to_key[i]
            predicted = key.upper() if case_insensitive else key
            if predicted in ok_vocab and predicted not in ignore:
                break
        results.append(predicted == expected)
    return results
