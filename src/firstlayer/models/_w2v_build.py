"""``Word2Vec``'s vocabulary steps, with gensim 4.4's names and semantics (a mixin).

gensim builds a vocabulary in three steps, each public, and so here:

* :meth:`~VocabMixin.scan_vocab`: count the corpus's words into ``raw_vocab``;
* :meth:`~VocabMixin.prepare_vocab`: keep the words that ``min_count`` (raised by
  ``max_final_vocab``) and ``trim_rule`` allow, most frequent first (or, with ``update=True``,
  append the new ones to the vocabulary, adding the new counts to the old), compute each word's
  downsampling threshold and the tables (negative sampling, Huffman tree); returns gensim's
  report (``drop_unique``, ``retain_total``, ``downsample_unique``, ``downsample_total``,
  ``num_retained_words``);
* :meth:`~VocabMixin.prepare_weights`: fresh weights (``init_weights``), or the old ones with
  rows added for the new words (``update_weights``).

:meth:`~VocabMixin.build_vocab` runs the three; :meth:`~VocabMixin.build_vocab_from_freq` the
last two on a given ``{word: count}``; :meth:`~VocabMixin.reset_from` takes another model's
vocabulary with fresh weights.

A list of sentences is read once by ``build_vocab``: its word ids are kept for the first
epoch of the ``train`` that ``Word2Vec(sentences)`` runs next (``_scanned``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _w2v_vocab as vocab_tools
from ._corpus import check_corpus
from ._w2v_vocab import TrimRule

if TYPE_CHECKING:
    from .word2vec import Word2Vec

logger = logging.getLogger("firstlayer.models.word2vec")

_Self = Any  # the mixin's methods run on a Word2Vec (typed as Any to keep mypy simple here)


class VocabMixin:
    """The vocabulary methods of :class:`~firstlayer.models.Word2Vec` (see the module)."""

    raw_vocab: dict[str, int]
    _scanned: Any
    _why_empty: str = ""  # why prepare_vocab kept no word (train's error says it)
    _kept_raw_index: np.ndarray  # each kept word's position in raw_vocab (a fresh vocabulary)

    def build_vocab(
        self: _Self,
        corpus_iterable: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        update: bool = False,
        progress_per: int = 10000,
        keep_raw_vocab: bool = False,
        trim_rule: TrimRule | None = None,
        **kwargs: Any,
    ) -> None:
        """Count the corpus's words, keep the frequent ones and set up the weights (gensim's
        ``build_vocab``: :meth:`scan_vocab`, :meth:`prepare_vocab`, :meth:`prepare_weights`).

        Args:
            update: append the corpus's new words to the vocabulary (their vectors start fresh,
                the others are kept) and add its counts; otherwise everything starts over.
            progress_per: accepted for gensim's signature (the progress bar is ``progress``).
            keep_raw_vocab: keep ``raw_vocab``, the counts of every word seen.
            trim_rule: ``trim_rule(word, count, min_count)`` returning ``RULE_KEEP``,
                ``RULE_DISCARD`` or ``RULE_DEFAULT`` (apply ``min_count``); not stored.
            **kwargs: ``min_count``, ``sample``, ``dry_run`` for :meth:`prepare_vocab`.

        A vocabulary left empty (``min_count`` too high) is logged as a warning, and ``train``
        raises; gensim does the same.

        Raises:
            RuntimeError: ``update=True`` on a model without a vocabulary.
        """
        corpus = check_corpus(corpus_iterable, corpus_file, passes=1)
        self._build_vocab(corpus, update, False, keep_raw_vocab, trim_rule, **kwargs)

    def _build_vocab(
        self: _Self, corpus: Iterable[Sequence[str]], update: bool, keep_ids: bool,
        keep_raw_vocab: bool = False, trim_rule: TrimRule | None = None, **kwargs: Any,
    ) -> None:
        """:meth:`build_vocab` of a checked corpus; with ``keep_ids`` (and a list corpus), the
        corpus as word ids is kept in ``_scanned`` for the next ``train`` of it."""
        self._scanned = None
        _check_update(self, update)
        scanned = self._scan(corpus, trim_rule)
        self.prepare_vocab(update=update, keep_raw_vocab=True, trim_rule=trim_rule, **kwargs)
        if kwargs.get("dry_run"):
            return
        self.prepare_weights(update=update)
        if keep_ids and scanned is not None and len(self.wv) and not update:
            remap = np.full(len(self.raw_vocab), -1, np.int32)  # position in raw -> id, or -1
            remap[self._kept_raw_index] = np.arange(len(self.wv), dtype=np.int32)
            self._scanned = (corpus, remap[scanned.ids], scanned.offsets)
        if not keep_raw_vocab:
            self.raw_vocab = {}

    def _scan(
        self: _Self, corpus: Iterable[Sequence[str]], trim_rule: TrimRule | None
    ) -> vocab_tools.Scanned | None:
        """Count ``corpus`` into ``raw_vocab``, ``corpus_count``, ``corpus_total_words``; a list
        without pruning is read as word ids too (returned)."""
        from .word2vec import _progress_counter

        scanned = None
        if isinstance(corpus, (list, tuple)) and not self.max_vocab_size:
            with _progress_counter(self, "counting words") as bar:
                scanned = vocab_tools.scan_ids(corpus, bar.update)
        if scanned is not None:
            raw, total_words, sentences = scanned.raw, scanned.total_words, scanned.sentences
        else:
            raw, total_words, sentences = vocab_tools.scan_vocab(
                self._sentences_with_progress(corpus, "counting words"), self.max_vocab_size,
                trim_rule,
            )
        self.raw_vocab = raw
        self.corpus_count = sentences
        self.corpus_total_words = total_words
        return scanned

    def scan_vocab(
        self: _Self,
        corpus_iterable: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        progress_per: int = 10000,
        workers: int | None = None,
        trim_rule: TrimRule | None = None,
    ) -> tuple[int, int]:
        """Count the corpus's words into ``raw_vocab`` (gensim's ``scan_vocab``; pruned by
        ``max_vocab_size`` and ``trim_rule`` while counting). Returns ``(tokens, sentences)``.

        >>> from firstlayer.models import Word2Vec
        >>> Word2Vec(progress=False).scan_vocab([["a", "b"], ["a"]])
        (3, 2)
        """
        corpus = check_corpus(corpus_iterable, corpus_file, passes=1)
        self._scan(corpus, trim_rule)
        return self.corpus_total_words, self.corpus_count

    def prepare_vocab(
        self: _Self,
        update: bool = False,
        keep_raw_vocab: bool = False,
        trim_rule: TrimRule | None = None,
        min_count: int | None = None,
        sample: float | None = None,
        dry_run: bool = False,
    ) -> dict[str, int]:
        """Apply ``min_count`` (raised to honour ``max_final_vocab``), ``trim_rule`` and
        ``sample`` to ``raw_vocab`` (gensim's ``prepare_vocab``): the new vocabulary, counts,
        downsampling thresholds and tables; the weights follow in :meth:`prepare_weights`.

        ``dry_run=True`` changes nothing but ``effective_min_count`` and reports.

        Returns:
            gensim's report: ``drop_unique`` (distinct words dropped), ``retain_total`` (tokens
            of the words kept), ``downsample_unique``, ``downsample_total`` (expected tokens left
            by downsampling), ``num_retained_words``.
        """
        min_count = min_count or self.min_count
        sample = sample or self.sample
        raw = self.raw_vocab
        self.effective_min_count = vocab_tools.effective_min_count(
            raw, min_count, self.max_final_vocab
        )
        if not update:
            selected = vocab_tools.select_vocab(raw, self.effective_min_count, trim_rule)
            keys, counts, retained_counts = selected.words, selected.counts, selected.counts
            drop_unique, retain_total = selected.dropped_words, selected.retained_tokens
            sample_ints = vocab_tools.sample_ints(counts, sample, retain_total)
            if not dry_run:
                self.min_count, self.sample = min_count, sample
                self._kept_raw_index = selected.raw_index
        else:
            kept = vocab_tools.kept_mask(raw, self.effective_min_count, trim_rule)
            every = np.fromiter(raw.values(), np.int64, len(raw))
            drop_unique = int((~kept).sum())
            retain_total = int(every[kept].sum())
            keys, counts, sample_ints, retained_counts = _updated(self, raw, kept, sample,
                                                                   retain_total)
        down_unique, down_total = vocab_tools.downsampling_report(retained_counts, sample,
                                                                  retain_total)
        if not dry_run:
            self._pending_keys = keys
            self.counts, self.sample_ints = counts, sample_ints
            self._make_tables()
            if not keep_raw_vocab:
                self.raw_vocab = {}
            self._why_empty = "" if len(keys) else _no_words_message(raw, self)
            if self._why_empty:
                logger.warning("%s", self._why_empty)
        return {
            "drop_unique": drop_unique, "retain_total": retain_total,
            "downsample_unique": down_unique, "downsample_total": down_total,
            "num_retained_words": len(retained_counts),
        }

    def build_vocab_from_freq(
        self: _Self,
        word_freq: dict[str, int],
        keep_raw_vocab: bool = False,
        corpus_count: int | None = None,
        trim_rule: TrimRule | None = None,
        update: bool = False,
    ) -> None:
        """Build the vocabulary from ``{word: count}`` instead of a corpus (gensim's
        ``build_vocab_from_freq``); ``corpus_count`` sets the number of sentences.

        >>> from firstlayer.models import Word2Vec
        >>> model = Word2Vec(min_count=1, progress=False)
        >>> model.build_vocab_from_freq({"a": 3, "b": 5})
        >>> model.wv.index_to_key
        ['b', 'a']
        """
        _check_update(self, update)
        self._scanned = None
        self.raw_vocab = dict(word_freq)
        self.corpus_count = corpus_count or 0
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)
        self.prepare_weights(update=update)

    def prepare_weights(self: _Self, update: bool = False) -> None:
        """The weights for the vocabulary :meth:`prepare_vocab` made: fresh ones
        (:meth:`init_weights`), or with ``update`` the old ones plus rows for the new words."""
        if update:
            self.update_weights()
        else:
            self.init_weights()

    def init_weights(self: _Self) -> None:
        """Fresh weights for the vocabulary: input vectors ``U[-1, 1) / vector_size`` from
        ``seed`` (gensim's numbers), output layers zero."""
        keys = self._take_pending_keys()
        vectors = vocab_tools.init_vectors(len(keys), self.vector_size, self.seed)
        self._set_vocab(keys, vectors)

    def update_weights(self: _Self) -> None:
        """Keep the trained rows; the new words get fresh input rows and zero output rows.

        Raises:
            RuntimeError: the model has no vocabulary to extend.
        """
        _check_update(self, True)
        keys = self._take_pending_keys()
        old = self.wv.vectors
        added = len(keys) - old.shape[0]
        vectors = vocab_tools.init_vectors(len(keys), self.vector_size, self.seed, prior=old)
        pad = np.zeros((added, self.vector_size), np.float32)
        output = np.vstack([self.syn1neg, pad]) if self.syn1neg.shape[0] == old.shape[0] \
            else None
        output_hs = np.vstack([self.syn1, pad]) if self.hs and self.syn1.shape[0] == \
            old.shape[0] else None
        self._set_vocab(keys, vectors, output, output_hs)

    def _take_pending_keys(self: _Self) -> list[str]:
        keys = self.__dict__.pop("_pending_keys", None)
        return list(self.wv.index_to_key) if keys is None else keys

    def reset_from(self: _Self, other_model: Word2Vec) -> None:
        """Take ``other_model``'s vocabulary (keys, counts, downsampling, tables, corpus
        length) and start fresh weights (gensim's ``reset_from``).

        >>> from firstlayer.models import Word2Vec
        >>> a = Word2Vec([["x", "y"]] * 5, min_count=1, vector_size=4, progress=False)
        >>> b = Word2Vec(vector_size=4, progress=False)
        >>> b.reset_from(a)
        >>> b.wv.index_to_key == a.wv.index_to_key
        True
        """
        self.counts = np.array(other_model.counts, np.int64)
        self.sample_ints = np.array(other_model.sample_ints, np.uint32)
        self.corpus_count = other_model.corpus_count
        self._pending_keys = list(other_model.wv.index_to_key)
        self._make_tables()
        self.init_weights()

    def make_cum_table(self: _Self, domain: int = 2**31 - 1) -> None:
        """The negative-sampling table from the counts (gensim's ``make_cum_table``)."""
        self.cum_table = vocab_tools.make_cum_table(self.counts, self.ns_exponent, domain)
        self._noise_buckets, self._noise_shift = vocab_tools.noise_buckets(self.cum_table)

    def create_binary_tree(self: _Self) -> None:
        """The Huffman tree of hierarchical softmax from the counts (gensim's
        ``create_binary_tree``); each word's ``code`` and ``point`` go to ``wv``'s vecattrs."""
        self._points, self._codes, self._codelens = vocab_tools.huffman_tree(self.counts)

    def _make_tables(self: _Self) -> None:
        """The negative-sampling table and the Huffman tree, from the counts."""
        if self.negative:
            self.make_cum_table()
        else:
            self.cum_table = np.zeros(1, np.uint32)
            self._noise_buckets, self._noise_shift = vocab_tools.noise_buckets(self.cum_table)
        if self.hs:
            self.create_binary_tree()
            expandos = getattr(getattr(self, "wv", None), "expandos", None)
            if isinstance(expandos, dict) and len(self.wv) == len(self._codelens):
                from .word2vec import _paths

                expandos["code"], expandos["point"] = _paths(self)
        else:
            self._points = np.zeros((1, 1), np.int32)
            self._codes = np.zeros((1, 1), np.uint8)
            self._codelens = np.zeros(1, np.int32)


def _check_update(model: Any, update: bool) -> None:
    if update and not len(model.wv):
        raise RuntimeError(
            "You cannot do an online vocabulary-update of a model which has no prior vocabulary: "
            "build_vocab(update=True) adds words to an existing vocabulary; call "
            "build_vocab(corpus) first"
        )


def _updated(
    model: Any, raw: dict[str, int], kept: np.ndarray, sample: float, retain_total: int
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """gensim's ``prepare_vocab(update=True)``: the words kept that are new are appended (in
    the order first seen), every known word's count grows by its new count, and the words
    kept get thresholds from the new counts. Returns ``(keys, counts, sample_ints, counts of
    the words kept)``."""
    keys = list(model.wv.index_to_key)
    known = model.wv.key_to_index
    words = list(raw)
    kept_words = [words[i] for i in np.flatnonzero(kept).tolist()]
    keys.extend(w for w in kept_words if w not in known)
    index = {w: i for i, w in enumerate(keys)}
    counts = np.zeros(len(keys), np.int64)
    counts[: len(model.counts)] = model.counts[: len(keys)]
    for word, count in raw.items():
        i = index.get(word)
        if i is not None:
            counts[i] += count
    sample_ints = np.zeros(len(keys), np.uint32)
    sample_ints[: len(model.sample_ints)] = model.sample_ints[: len(keys)]
    kept_counts = np.array([raw[w] for w in kept_words], np.int64)
    if kept_words:
        sample_ints[[index[w] for w in kept_words]] = vocab_tools.sample_ints(
            kept_counts, sample, retain_total
        )
    return keys, counts, sample_ints, kept_counts


def _no_words_message(raw: dict[str, int], model: Any) -> str:
    if not raw:
        return (
            f"the corpus is empty: {model.corpus_count} sentences and no tokens; each sentence "
            f"must be a list of tokens, e.g. [['the', 'cat', 'sat'], ...]"
        )
    top_word, top = max(raw.items(), key=lambda kv: kv[1])
    why = f"min_count={model.min_count}"
    if model.effective_min_count != model.min_count:
        why += f" (raised to {model.effective_min_count} by max_final_vocab)"
    return (
        f"{why} leaves no words: the corpus has {len(raw):,} distinct words in "
        f"{sum(raw.values()):,} tokens and the most frequent, {top_word!r}, appears {top} times; "
        f"use min_count={top} or lower (min_count=1 keeps every word)"
    )
