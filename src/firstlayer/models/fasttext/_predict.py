"""What a fastText classifier answers about texts: :meth:`predict` (the ``k`` most likely
labels) and the scores on a labelled file (:meth:`test`, :meth:`test_label`, computed as
fastText's ``Meter``).

A mixin of :class:`FastText` (``_model``): texts are read and encoded as in training
(``_reading``, ``_dictionary``), scored by the network's layers, and the top labels picked as
fastText picks them, ties included (``_topk``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...autograd import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from ._dictionary import Lines, encode
from ._reading import (
    SupervisedFileError,
    check_readable,
    file_blocks,
    text_lines,
    tokenize,
)
from ._topk import heap_top_k, log_keys, table_sigmoid

__all__ = ["Predictions"]

PathLike = str | os.PathLike

_SCORES_AT_ONCE = 1 << 22  # predict/test score lines in batches of (lines x labels) <= this


class Predictions:
    """``predict``, ``test`` and ``test_label`` of :class:`FastText`."""

    # what FastText provides (declared for the type checker only)
    model: Any
    args: Any
    _dict: Any
    _paths: Any
    is_supervised: Any
    labels: Any
    get_labels: Any

    # -- predicting -------------------------------------------------------------------------------
    def _encode_texts(self, texts: Sequence[str]) -> Lines:
        return encode(tokenize([text_lines(texts)]), self._dict, self.args)

    def _probabilities(self, row_ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(B, labels)`` float64: each line's probability of each label.

        softmax: ``softmax(scores)``; ns and ova: ``sigmoid(scores)`` label by label, read from
        fastText's table (:func:`table_sigmoid`, as fastText predicts); hs: the product of the
        sigmoids along the label's path. ``scores = model(rows, offsets)``.
        """
        with no_grad():
            scores = self.model(_long(rows), _long(row_ptr[:-1]))
        if self.args.loss == "softmax":
            return F.softmax(scores.double(), dim=-1)._data
        if self.args.loss != "hs":
            return table_sigmoid(scores._data)
        sig = F.sigmoid(scores.double())._data
        assert self._paths is not None
        ptr, nodes, codes = self._paths
        if nodes.size == 0:  # a single label: the tree has no inner node
            return np.ones((sig.shape[0], self._dict.nlabels))
        with np.errstate(divide="ignore"):
            steps = np.where(codes == 1, np.log(sig[:, nodes]), np.log1p(-sig[:, nodes]))
        return np.exp(np.add.reduceat(steps, ptr[:-1], axis=1))

    def _top_k(
        self, lines: Lines, k: int, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(B, k)`` label ids (-1 where none) and probabilities, most likely first; lines
        without rows predict nothing, as in fastText."""
        n = lines.row_ptr.size - 1
        ids = np.full((n, k), -1, np.int64)
        probs = np.zeros((n, k), np.float64)
        nlabels = self._dict.nlabels
        batch = max(1, _SCORES_AT_ONCE // nlabels)
        for lo in range(0, n, batch):
            hi = min(n, lo + batch)
            ptr = lines.row_ptr[lo : hi + 1]
            p = self._probabilities(ptr - ptr[0], lines.rows[ptr[0] : ptr[-1]])
            kk = min(k + 1, nlabels)  # one more: a tie at the k-th place shows
            if kk < nlabels and nlabels > 64:  # many labels: find the k best before sorting
                best = np.argpartition(-p, kk - 1, axis=1)[:, :kk]
                best = np.sort(best, axis=1)  # ties keep the label order, as below
                inner = np.argsort(-np.take_along_axis(p, best, axis=1), axis=1, kind="stable")
                order = np.take_along_axis(best, inner, axis=1)
            else:
                order = np.argsort(-p, axis=1, kind="stable")[:, :kk]
            order = self._break_ties(p, order, k, threshold)
            top = np.take_along_axis(p, order, axis=1)
            keep = (top >= threshold) & (np.diff(ptr) > 0)[:, None]
            ids[lo:hi] = np.where(keep, order, -1)
            probs[lo:hi] = np.where(keep, top, 0.0)
        return ids, probs

    def _break_ties(
        self, p: np.ndarray, order: np.ndarray, k: int, threshold: float
    ) -> np.ndarray:
        """The first ``k`` of ``order``; on lines where equally likely labels compete (equal
        heap keys), fastText's choice and order of them (``_topk.heap_top_k``)."""
        keys = log_keys(np.take_along_axis(p, order, axis=1))
        tied = np.flatnonzero((keys[:, 1:] == keys[:, :-1]).any(axis=1))
        order = order[:, :k].copy()
        if self.args.loss == "hs":  # fastText's tree search orders ties its own way
            return order
        for line in tied:
            chosen = heap_top_k(p[line], k, threshold)
            order[line, : len(chosen)] = chosen
            order[line, len(chosen) :] = np.argsort(-p[line], kind="stable")[len(chosen) : k]
        return order

    def _check_k(self, k: int) -> int:
        if not self.is_supervised:
            raise ValueError(
                f"this is an unsupervised ({self.args.model}) model: it has word vectors but "  # type: ignore[attr-defined]
                "no labels to predict or test; use get_word_vector or get_sentence_vector"
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {k!r}")
        n = self._dict.nlabels
        if k == -1:
            return n
        if k < 1:
            raise ValueError(f"k needs to be 1 or higher (or -1 for all labels), got {k}")
        if k > n:
            raise ValueError(
                f"k={k} is larger than the number of labels ({n}): the model knows only "
                f"{n} label(s); use k <= {n}, or k=-1 for all of them"
            )
        return int(k)

    def predict(
        self,
        text: str | Sequence[str],
        k: int = 1,
        threshold: float = 0.0,
        on_unicode_error: str = "strict",
    ) -> tuple[Any, Any]:
        """The ``k`` most likely labels of a text and their probabilities, as fastText.

        Args:
            text: one text, or a list of texts. Newlines are read as spaces.
            k: how many labels (-1: all); at most the number of labels.
            threshold: leave out labels whose probability is below it.
            on_unicode_error: how labels that are not valid UTF-8 are decoded.

        Returns:
            For one text: ``(labels, probabilities)``, a tuple of str and a float64 array
            ``(<= k,)``. For a list: a list of label lists and a list of float32 arrays.

        >>> model.predict("how to bake bread", k=2)  # doctest: +SKIP
        (('__label__baking', '__label__bread'), array([0.71, 0.12]))
        """
        k = self._check_k(k)
        single = isinstance(text, str)
        texts: list[Any] = [text] if single else list(text)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"predict takes a str or a list of str; item {i} is "
                                f"{type(t).__name__}")
        ids, probs = self._top_k(self._encode_texts(texts), k, threshold)
        names = self.get_labels(on_unicode_error=on_unicode_error)
        out_labels, out_probs = [], []
        for row_ids, row_probs in zip(ids, probs):
            keep = row_ids >= 0
            out_labels.append([names[i] for i in row_ids[keep]])
            out_probs.append(row_probs[keep])
        if single:
            return tuple(out_labels[0]), out_probs[0]
        return out_labels, [p.astype(np.float32) for p in out_probs]

    # -- evaluating -------------------------------------------------------------------------------
    def _meter(self, source: PathLike | bytes, k: int, threshold: float) -> dict[str, Any]:
        """fastText's ``Meter`` over a labelled file (a path, or its bytes)."""
        k = self._check_k(k)
        if isinstance(source, bytes):
            path, blocks = "<stdin>", [source]
        else:
            path = check_readable(source, "test file")
            blocks = file_blocks(path)  # type: ignore[assignment]
        lines = encode(tokenize(blocks), self._dict, self.args)
        # fastText scores the lines that have a known label and at least one row
        lines = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
        n = lines.row_ptr.size - 1
        if n == 0:
            raise SupervisedFileError(
                f"{path}: no line to test: none has a label the model knows (labels start "
                f"with {self.args.label!r}; the model's are e.g. {self.labels[:3]})"
            )
        ids, _ = self._top_k(lines, k, threshold)
        m = self._dict.nlabels
        # a prediction is right when (line, label) is among the line's (line, label) pairs
        gold_pairs = np.repeat(np.arange(n), lines.num_labels) * m + lines.labels
        predicted = ids >= 0
        hit = predicted & np.isin(np.arange(n)[:, None] * m + ids, gold_pairs)
        return {
            "n": n,
            "predicted": int(predicted.sum()),
            "hits": int(hit.sum()),
            "gold": int(lines.labels.size),
            "label_predicted": np.bincount(ids[predicted], minlength=m),
            "label_hits": np.bincount(ids[hit], minlength=m),
            "label_gold": np.bincount(lines.labels, minlength=m),
        }

    def test(self, path: PathLike, k: int = 1, threshold: float = 0.0) -> tuple[int, float, float]:
        """``(N, precision@k, recall@k)`` on a labelled file, as fastText's ``test``.

        N counts the lines with a label the model knows; precision is the share of the
        predictions (at most ``k`` per line, those above ``threshold``) that are labels of
        their line; recall the share of the lines' labels that were predicted.

        >>> model.test("cooking.valid")  # doctest: +SKIP
        (3000, 0.59, 0.255)
        """
        return self._test_source(path, k, threshold)

    def _test_source(
        self, source: PathLike | bytes, k: int, threshold: float
    ) -> tuple[int, float, float]:
        m = self._meter(source, k, threshold)
        precision = m["hits"] / m["predicted"] if m["predicted"] else math.nan
        recall = m["hits"] / m["gold"] if m["gold"] else math.nan
        return m["n"], precision, recall

    def test_label(
        self, path: PathLike, k: int = 1, threshold: float = 0.0
    ) -> dict[str, dict[str, float]]:
        """Precision, recall and F1 of each label, as fastText's ``test_label``:
        ``{label: {"precision": p, "recall": r, "f1score": f}}``; NaN where a label was never
        predicted (precision) or never given (recall)."""
        m = self._meter(path, k, threshold)
        out = {}
        for j, name in enumerate(self.labels):
            pred, hits, gold = int(m["label_predicted"][j]), int(m["label_hits"][j]), int(
                m["label_gold"][j])
            out[name] = {
                "precision": hits / pred if pred else math.nan,
                "recall": hits / gold if gold else math.nan,
                "f1score": 2 * hits / (pred + gold) if pred + gold else math.nan,
            }
        return out


def _long(a: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(a, dtype=np.int64))
