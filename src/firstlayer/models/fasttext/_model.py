"""The trained classifier with fastText's Python API: :class:`FastText`.

What a model answers: its dictionary (``words``, ``labels``, ids), vectors
(``get_word_vector``, ``get_sentence_vector``), predictions (``predict``: the ``k`` most likely
labels) and scores on a labelled file (``test``, ``test_label``, computed as fastText's
``Meter``). Texts are read and encoded as in training (``_reading``, ``_dictionary``); scores
come from the network's layers (``_network``). Saving and loading are in ``_format``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ...autograd import no_grad
from ._args import SupervisedArgs
from ._dictionary import Dictionary
from ._hash import char_ngram_rows
from ._network import FastTextClassifier, huffman_paths
from ._predict import Predictions, _long
from ._reading import (
    EOS_BYTES,
)

__all__ = ["FastText"]

PathLike = str | os.PathLike


class FastText(Predictions):
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
        from ._queries import mean_rows

        return mean_rows(self.model.input.weight._data, np.array([0, len(rows)]),
                         np.asarray(rows))[0]

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

    # -- quantization (``_quantize``) ------------------------------------------------------------
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

