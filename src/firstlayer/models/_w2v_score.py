"""``Word2Vec.score`` and ``Word2Vec.predict_output_word``, gensim 4.4's (a mixin).

``score(sentences)`` gives each sentence the log-probability that a hierarchical-softmax model
(``hs=1``) assigns to it (Taddy's "document classification by inversion"): for each word ``w``
of the sentence (words outside the vocabulary left out), the log-likelihood of ``w``'s Huffman
path given, in skip-gram, each word of its window in turn, in CBOW their mean (or sum): the
sum over the path's nodes ``n`` with code ``c`` of ``log sigmoid((-1)^c h . syn1[n])``. The
numbers are gensim's: its 1,000-entry table of ``log sigmoid`` on ``(-6, 6)`` and its rule of
leaving out a node whose ``|h . syn1[n]| >= 6``, the full window (no random shrinking), at most
10,000 words of a sentence.

``predict_output_word(context)`` is gensim's crude CBOW read-out of a negative-sampling model:
``softmax(syn1neg @ h)`` for ``h`` the mean (or sum) of the context's input vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

logger = logging.getLogger("firstlayer.models.word2vec")



class ScoreMixin:
    """``score`` and ``predict_output_word`` of :class:`~firstlayer.models.Word2Vec`."""

    def score(
        self: Any, sentences: Iterable[Sequence[str]], total_sentences: int = int(1e6),
        chunksize: int = 100, queue_factor: int = 2, report_delay: float = 1,
    ) -> np.ndarray:
        """Each sentence's log-probability under a hierarchical-softmax model (gensim's
        ``score``; see :mod:`firstlayer.models._w2v_score`). At most ``total_sentences`` are
        scored; ``chunksize``, ``queue_factor`` and ``report_delay`` (gensim's threading) are
        accepted and unused.

        Shape: ``(sentences scored,)`` float32.

        Raises:
            RuntimeError: no vocabulary, or the model is not ``hs=1``.

        >>> from firstlayer.models import Word2Vec
        >>> model = Word2Vec([["a", "b", "c"]] * 20, vector_size=4, min_count=1, hs=1,
        ...                  negative=0, progress=False)
        >>> model.score([["a", "b"], ["c", "a", "b"]]).shape
        (2,)
        """
        if not len(self.wv):
            raise RuntimeError("you must first build vocabulary before scoring new data")
        if not self.hs:
            raise RuntimeError(
                "We have currently only implemented score for the hierarchical softmax scheme, "
                "so you need to have run word2vec with hs=1 and negative=0 for this to work."
            )
        index = self.wv.key_to_index
        ids: list[int] = []
        starts = [0]
        for number, sentence in enumerate(sentences):
            if number >= total_sentences:
                logger.warning(
                    "terminating after %i sentences (set higher total_sentences if you want "
                    "more).", total_sentences,
                )
                break
            ids.extend(i for i in map(index.get, sentence) if i is not None)
            starts.append(len(ids))
        from ._w2v_score_kernels import LOG_TABLE, score_sentences  # numba: loaded on first use

        return score_sentences(
            np.ascontiguousarray(self.wv.vectors, np.float32), self.syn1, self._points,
            self._codes, self._codelens, np.array(ids, np.int64), np.array(starts, np.int64),
            self.window, bool(self.sg), bool(self.cbow_mean), LOG_TABLE,
        )

    def predict_output_word(
        self: Any, context_words_list: Sequence[str | int], topn: int = 10
    ) -> list[tuple[str, float]] | None:
        """The ``topn`` likeliest centre words given context words (keys, or row indices),
        with their probabilities (gensim's ``predict_output_word``: a CBOW read-out of a
        negative-sampling model, even a skip-gram one). ``None`` (and a logged warning) when
        no context word is in the vocabulary.

        Raises:
            RuntimeError: the model has no negative-sampling layer (``negative=0``, or the
                vectors were replaced by ones without it).

        >>> from firstlayer.models import Word2Vec
        >>> model = Word2Vec([["a", "b", "c"]] * 20, vector_size=4, min_count=1, progress=False)
        >>> len(model.predict_output_word(["a", "b"], topn=2))
        2
        """
        if not self.negative:
            raise RuntimeError(
                "We have currently only implemented predict_output_word for the negative "
                "sampling scheme, so you need to have run word2vec with negative > 0 for this "
                "to work."
            )
        vectors = self.wv.vectors
        if self.syn1neg.shape != vectors.shape or not len(vectors):
            raise RuntimeError(
                f"Parameters required for predicting the output words not found: syn1neg has "
                f"shape {self.syn1neg.shape}, the vectors {vectors.shape} (vectors loaded "
                f"alone have no output layer)"
            )
        rows = [i for i in map(lambda w: _index(self.wv, w), context_words_list) if i >= 0]
        if not rows:
            logger.warning("All the input context words are out-of-vocabulary for the current "
                           "model.")
            return None
        h = np.sum(vectors[rows], axis=0)
        if self.cbow_mean:
            h /= len(rows)
        prob = np.exp(np.dot(h, self.syn1neg.T))
        prob /= np.sum(prob)
        top = _top_indices(prob, topn)
        keys = self.wv.index_to_key
        return [(keys[i], prob[i]) for i in top.tolist()]


def _index(wv: Any, word: str | int) -> int:
    """gensim's ``get_index``: a key's row, or an int taken as a row; -1 if neither."""
    if isinstance(word, (int, np.integer)) and not isinstance(word, bool):
        return int(word) if 0 <= word < len(wv.index_to_key) else -1
    i = wv.key_to_index.get(word)
    return -1 if i is None else int(i)


def _top_indices(x: np.ndarray, topn: int) -> np.ndarray:
    """gensim's ``matutils.argsort(x, topn, reverse=True)`` (the same order among ties)."""
    if topn <= 0:
        return np.zeros(0, np.int64)
    x = -x
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most = np.argpartition(x, topn)[:topn]
    return most.take(np.argsort(x.take(most)))
