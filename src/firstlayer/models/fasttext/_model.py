"""The trained classifier with fastText's Python API: :class:`FastText`.

What a model answers: its dictionary (``words``, ``labels``, ids), vectors
(``get_word_vector``, ``get_sentence_vector``), predictions (``predict``: the ``k`` most likely
labels) and scores on a labelled file (``test``, ``test_label``, computed as fastText's
``Meter``). Texts are read and encoded as in training (``_reading``, ``_dictionary``); scores
come from the network's layers (``_network``). Saving and loading are in ``_format``.
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
from ._args import SupervisedArgs
from ._dictionary import Dictionary, Lines, encode
from ._hash import char_ngram_rows
from ._network import FastTextClassifier, huffman_paths
from ._topk import heap_top_k, log_keys, table_sigmoid
from ._reading import (
    EOS_BYTES,
    SupervisedFileError,
    check_readable,
    file_blocks,
    text_lines,
    tokenize,
)

__all__ = ["FastText"]

PathLike = str | os.PathLike

_SCORES_AT_ONCE = 1 << 22  # predict/test score lines in batches of (lines x labels) <= this


class FastText:
    """A fastText model with fastText's Python API (``fasttext.FastText._FastText``).

    Made by :func:`train_supervised` or :func:`load_model`. ``model`` is the network (a
    :class:`FastTextClassifier`: ``model.input`` the EmbeddingBag, ``model.output`` the Linear:
    over the labels of a supervised model, over the words of an unsupervised one); ``args``
    the :class:`SupervisedArgs` it was trained with (``args.model``: ``"skipgram"`` or
    ``"cbow"`` for unsupervised models).
    """

    def __init__(
        self, model: FastTextClassifier, dictionary: Dictionary, args: SupervisedArgs
    ) -> None:
        self.model = model
        self.args = args
        self._dict = dictionary
        self._paths = (huffman_paths(self._label_counts)
                       if args.loss == "hs" and self.is_supervised else None)

    @property
    def is_supervised(self) -> bool:
        """Whether this is a classifier (``args.model`` is ``"supervised"``), not word vectors
        (``"skipgram"``/``"cbow"``)."""
        return getattr(self.args, "model", "supervised") == "supervised"

    # -- the dictionary -----------------------------------------------------------------
    @property
    def _label_counts(self) -> np.ndarray:
        return self._dict.counts[self._dict.nwords :]

    @property
    def words(self) -> list[str]:
        """The vocabulary, most frequent first (``</s>``, the end of a line, included)."""
        return self.get_words()

    @property
    def labels(self) -> list[str]:
        """The labels, most frequent first."""
        return self.get_labels()

    def get_words(self, include_freq: bool = False, on_unicode_error: str = "strict") -> Any:
        """The words, or ``(words, counts)`` with ``include_freq`` (counts an int64 array)."""
        d = self._dict
        words = [w.decode("utf-8", _errors(on_unicode_error)) for w in d.entries[: d.nwords]]
        return (words, d.counts[: d.nwords].copy()) if include_freq else words

    def get_labels(self, include_freq: bool = False, on_unicode_error: str = "strict") -> Any:
        """The labels, or ``(labels, counts)`` with ``include_freq``."""
        d = self._dict
        labels = [w.decode("utf-8", _errors(on_unicode_error)) for w in d.entries[d.nwords :]]
        return (labels, self._label_counts.copy()) if include_freq else labels

    def get_dimension(self) -> int:
        """``dim``: the size of the word and sentence vectors."""
        return self.args.dim

    def get_word_id(self, word: str) -> int:
        """The word's row in the input matrix, -1 if it is not in the vocabulary."""
        i = self._dict.index.get(_bytes(word), -1)
        return i if i < self._dict.nwords else -1

    def get_label_id(self, label: str) -> int:
        """The label's row in the output matrix, -1 if it is not a label of the model."""
        i = self._dict.index.get(_bytes(label), -1)
        return i - self._dict.nwords if i >= self._dict.nwords else -1

    def get_input_matrix(self) -> np.ndarray:
        """The input matrix ``(nwords + bucket, dim)`` (``model.input.weight``, a copy)."""
        self._check_dense()
        return self.model.input.weight._data.copy()

    def get_output_matrix(self) -> np.ndarray:
        """The output matrix ``(labels, dim)`` (``model.output.weight``, a copy)."""
        self._check_dense()
        return self.model.output.weight._data.copy()

    def __contains__(self, word: str) -> bool:
        return self.get_word_id(word) >= 0

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_word_vector(word)

    def __repr__(self) -> str:
        a = self.args
        kind = "" if self.is_supervised else f"model={a.model!r}, "  # type: ignore[attr-defined]
        return (f"FastText({kind}words={self._dict.nwords}, labels={self._dict.nlabels}, "
                f"dim={a.dim}, wordNgrams={a.wordNgrams}, bucket={a.bucket}, loss={a.loss!r})")

    # -- vectors ----------------------------------------------------------------------------------
    def _word_rows(self, word: str) -> list[int]:
        data = _bytes(word)
        i = self.get_word_id(word)
        rows = [i] if i >= 0 else []
        a = self.args
        if a.maxn > 0 and data != EOS_BYTES:
            ngrams = char_ngram_rows(data, a.minn, a.maxn, a.bucket, self._dict.nwords)
            if self._dict.pruneidx is not None:  # fastText's pushHash: the kept buckets only
                ngrams = [r for r in self._dict.pruned_rows(np.array(ngrams)).tolist() if r >= 0]
            rows += ngrams
        return rows

    def get_word_vector(self, word: str) -> np.ndarray:
        """The mean of the word's rows (its own, and its character n-grams' when ``maxn > 0``);
        zeros for a word the model has no row for. Shape ``(dim,)`` float32."""
        rows = self._word_rows(word)
        if not rows:
            return np.zeros(self.args.dim, np.float32)
        if self._qinput is not None:
            return self._qinput.bag_mean(np.asarray(rows), np.array([0, len(rows)]))[0]
        return self.model.input.weight._data[rows].mean(axis=0, dtype=np.float32)

    def get_sentence_vector(self, text: str) -> np.ndarray:
        """The vector of a text, as fastText: supervised, the hidden vector (the mean of its
        rows: words, ``</s>``, n-grams; the input of the output layer); unsupervised, the mean
        of its words' vectors, each divided by its L2 norm (words with a zero vector left out).
        Shape ``(dim,)`` float32."""
        if not self.is_supervised:
            total, count = np.zeros(self.args.dim, np.float32), 0
            for word in text.split():
                vec = self.get_word_vector(word)
                norm = np.float32(np.sqrt(np.dot(vec, vec)))
                if norm > 0:
                    total += vec * (np.float32(1) / norm)
                    count += 1
            return total * (np.float32(1) / np.float32(count)) if count else total
        lines = self._encode_texts([text])
        if lines.rows.size == 0:
            return np.zeros(self.args.dim, np.float32)
        with no_grad():
            hidden = self.model.input(_long(lines.rows), _long(lines.row_ptr[:-1]))
        return hidden._data[0]

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

    # -- saving ------------------------------------------------------------------------------------
    def save_model(self, path: PathLike) -> None:
        """Write the model to ``path`` in fastText's binary format (atomically: on any error
        an existing file is kept).

        fastText's ``load_model`` reads it and answers as this model does; so does
        :func:`load_model`. The file holds what fastText's holds: the arguments fastText
        stores (not ``lr``, ``thread``, ``label``, ``verbose``, ``seed``), the dictionary
        and the two matrices.
        """
        from ._format import save_model

        save_model(self, path)

    # -- quantization (``_quantize``) ---------------------------------------------------------------
    _qinput: Any = None  # the QuantMatrix of a quantized model's input matrix
    _qoutput: Any = None  # and of its output matrix, with qout

    def is_quantized(self) -> bool:
        """Whether the input matrix is product-quantized (:meth:`quantize`, or a ``.ftz``)."""
        return self._qinput is not None

    def quantize(
        self,
        input: PathLike | None = None,  # noqa: A002  (fastText's name)
        qout: bool = False,
        cutoff: int = 0,
        retrain: bool = False,
        epoch: int | None = None,
        lr: float | None = None,
        thread: int | None = None,
        verbose: int | None = None,
        dsub: int = 2,
        qnorm: bool = False,
    ) -> None:
        """Compress the model in place as fastText's ``quantize`` (for a ``.ftz``).

        Args:
            input: the training file, to retrain on (needed with ``retrain``).
            qout: quantize the output matrix too (it needs at least 256 labels).
            cutoff: keep only this many rows of the input matrix, those of the largest norm
                (``</s>`` first); the words and n-gram buckets left out are dropped from the
                dictionary. 0, or the number of rows: keep them all.
            retrain: after the cutoff, train the kept rows and the output matrix again on
                ``input`` (``epoch``, ``lr``, ``thread``, ``verbose``: default the model's).
            dsub: columns per sub-vector; each is stored as one byte (256 centroids).
            qnorm: quantize each row's norm apart (the rows are coded divided by their norm).

        Raises:
            ValueError: an unsupervised model, a model already quantized, ``cutoff`` larger
                than the input matrix, fewer than 256 rows to quantize, ``retrain`` without
                ``input``. The model is unchanged on any error.

        >>> model.quantize(input="train.txt", cutoff=100000, retrain=True)  # doctest: +SKIP
        >>> model.save_model("model.ftz")  # doctest: +SKIP
        """
        from ._quantize import quantize_model

        quantize_model(self, input, qout, cutoff, retrain, epoch, lr, thread, verbose, dsub,
                       qnorm)

    def _set_quantized(self, qinput: Any, qoutput: Any = None, output: Any = None) -> None:
        """Answer from the QuantMatrix ``qinput`` (and ``qoutput``, else the dense ``output``
        ``(rows, dim)``; None: keep the current output matrix)."""
        from ._quantize import QuantizedEmbeddingBag

        # the same forward(rows, offsets) as the EmbeddingBag it replaces
        self.model.input = QuantizedEmbeddingBag(qinput)  # type: ignore[assignment]
        if qoutput is not None:
            output = qoutput.to_dense()  # labels x dim: small; scores need every row anyway
        if output is not None:
            self.model.output.weight._data = np.ascontiguousarray(output, np.float32)
        self._qinput, self._qoutput = qinput, qoutput

    def _check_dense(self) -> None:
        if self._qinput is not None:
            raise ValueError("Can't get quantized Matrix: the model is quantized (its matrices "
                             "are codes); take the matrices before quantize()")

    # -- word-vector queries (``_queries``; train_unsupervised's models, and any other) ----------
    def get_nearest_neighbors(
        self, word: str, k: int = 10, on_unicode_error: str = "strict"
    ) -> list[tuple[float, str]]:
        """The ``k`` words whose vectors are nearest the word's (cosine), as fastText's ``nn``:
        ``[(score, word), ...]``, best first, the word itself left out. An unseen word is
        looked up by its n-grams.

        >>> model.get_nearest_neighbors("bread", k=2)  # doctest: +SKIP
        [(0.83, 'breads'), (0.71, 'loaf')]
        """
        from ._queries import nearest

        return nearest(self, word, k, on_unicode_error)

    def get_analogies(
        self, wordA: str, wordB: str, wordC: str, k: int = 10, on_unicode_error: str = "strict"
    ) -> list[tuple[float, str]]:
        """The ``k`` words nearest ``wordA - wordB + wordC`` (each a unit vector), as fastText:
        ``[(score, word), ...]``, the three words left out.

        >>> model.get_analogies("berlin", "germany", "france", k=1)  # doctest: +SKIP
        [(0.73, 'paris')]
        """
        from ._queries import analogies

        return analogies(self, wordA, wordB, wordC, k, on_unicode_error)

    def get_subwords(
        self, word: str, on_unicode_error: str = "strict"
    ) -> tuple[list[str], np.ndarray]:
        """``(subwords, ids)``: the word (when the dictionary has it) and its character
        n-grams, with their rows of the input matrix, as fastText.

        >>> model.get_subwords("ab")  # doctest: +SKIP
        (['ab', '<ab', 'ab>'], array([12, 1534, 9021]))
        """
        from ._queries import subwords

        return subwords(self, word, on_unicode_error)

    def get_subword_id(self, subword: str) -> int:
        """The row a subword hashes to: ``nwords + fnv1a(subword) % bucket`` (give n-grams
        with their ``<``/``>``, as ``get_subwords`` lists them)."""
        from ._queries import subword_id

        return subword_id(self, subword)

    def get_input_vector(self, ind: int) -> np.ndarray:
        """Row ``ind`` of the input matrix, shape ``(dim,)`` float32 (a copy).

        Raises:
            IndexError: ``ind`` outside ``0 .. rows - 1``.
        """
        if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)):
            raise TypeError(f"ind must be an int, got {ind!r}")
        rows = self._dict.nwords + self.args.bucket
        if not 0 <= ind < rows:
            raise IndexError(f"ind {ind} is out of range: the input matrix has {rows} rows "
                             f"(0..{rows - 1}: {self._dict.nwords} words, then "
                             f"{self.args.bucket} hash buckets)")
        qinput = getattr(self, "_qinput", None)  # a quantized model: decode the row
        if qinput is not None:
            return qinput.bag_mean(np.array([int(ind)]), np.array([0, 1]))[0]
        return self.model.input.weight._data[int(ind)].copy()

    def get_line(self, text: Any, on_unicode_error: str = "strict") -> tuple[Any, Any]:
        """``(words, labels)`` of a line as the model reads it: its words (unknown ones
        included, then ``</s>``) and the labels it knows. A list of lines gives
        ``(list of words, list of labels)``.

        Raises:
            ValueError: a text with a newline (one line at a time, as fastText).
        """
        from ._queries import lines_tokens

        return lines_tokens(self, text, on_unicode_error)


def _errors(on_unicode_error: str) -> str:
    if on_unicode_error not in ("strict", "replace", "ignore"):
        raise ValueError(
            f"on_unicode_error must be 'strict', 'replace' or 'ignore', got {on_unicode_error!r}"
        )
    return on_unicode_error


def _bytes(word: str) -> bytes:
    if not isinstance(word, str):
        raise TypeError(f"expected a str, got {type(word).__name__}")
    return word.encode("utf-8", "surrogateescape")


def _long(a: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(a, dtype=np.int64))
