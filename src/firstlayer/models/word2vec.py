"""``Word2Vec``: gensim's word2vec, made of two first layers.

The model is an ``nn.Embedding`` of input vectors (``model.input``; ``model.wv.vectors`` is its
weight) and an output layer over the vocabulary: with negative sampling, a second
``nn.Embedding`` (``model.output``, gensim's ``syn1neg``) whose rows are gathered as the rows of
a ``Linear(D, V)`` for the few words scored per example; with hierarchical softmax, one row per
inner node of a Huffman tree (``model.output_hs``, gensim's ``syn1``).

Training streams the corpus in jobs of about ``batch_words`` words, each with its learning rate
(decaying linearly from ``alpha`` to ``min_alpha`` over all epochs) and its own random seed.
A list of sentences is looked up once: its word ids are kept for the later epochs, and
``Word2Vec(sentences)`` trains its first epoch on the ids read while counting the vocabulary.
``workers`` threads train on different jobs at once with compiled kernels that release the GIL
(``_w2v_kernels``; Hogwild, as gensim). ``backend="reference"`` trains the same jobs with the
same random draws through autograd instead: one ``loss.backward()`` and ``SGD.step()`` per
example (``_w2v_reference``), slowly, to show and to test what the kernels compute.

>>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 100
>>> model = Word2Vec(sentences, vector_size=10, min_count=1, workers=1, progress=False)
>>> model.wv.most_similar("cat", topn=1)[0][0] in {"dog", "the", "sat"}
True
>>> model.save("/tmp/w2v-doc.safetensors")
>>> Word2Vec.load("/tmp/w2v-doc.safetensors").wv.index_to_key
['sat', 'the', 'dog', 'cat']
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np

from .. import _check as check
from ..nn.modules.embedding import Embedding
from ..tensor import from_numpy
from ..vectors.keyed import KeyedVectors
from . import _w2v_vocab as vocab_tools
from ._corpus import MAX_WORDS_IN_BATCH, check_corpus, check_sentence
from ._threads import run_jobs

__all__ = ["Word2Vec"]

_FORMAT = "firstlayer-word2vec"
_FORMAT_VERSION = "1"
# The constructor arguments that are saved with the model and given back to it on load.
_CONFIG = (
    "vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers",
    "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "shrink_windows",
    "max_final_vocab", "progress", "compute_loss", "batch_words", "backend",
)
_BACKENDS = ("fast", "reference")


class _Job(NamedTuple):
    """One batch of sentences, ready for a kernel."""

    words: np.ndarray  # (n,) int32 word ids, -1 for words outside the vocabulary
    starts: np.ndarray  # (sentences + 1,) int64 offsets of the sentences in ``words``
    raw_words: int  # tokens in the batch, counted before dropping unknown words
    sentences: int
    alpha: float
    seed: int  # the batch's 48-bit generator seed


@dataclass
class _Tally:
    """What the workers of one epoch have done so far (updated under ``lock``)."""

    loss: float = 0.0
    examples: int = 0
    effective_words: int = 0
    raw_words: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Word2Vec:
    """Word vectors by word2vec (skip-gram or CBOW), with gensim 4.4's API, defaults and numbers.

    Given ``sentences`` or ``corpus_file``, builds the vocabulary and trains at once, as gensim
    does; otherwise call :meth:`build_vocab` and :meth:`train` yourself.

    Args:
        sentences: a re-iterable of sentences, each a list of tokens (strings).
        corpus_file: instead, a text file with one sentence per line, tokens separated by
            whitespace (gzip/bz2/xz compressed files too).
        vector_size: D, the length of the word vectors.
        alpha: the learning rate at the start; it falls linearly to ``min_alpha``.
        window: the largest distance between the centre word and a context word.
        min_count: words seen fewer times are dropped from the vocabulary.
        max_vocab_size: while counting, prune the rarest words whenever there are more than this.
        sample: downsampling: frequent words are kept with probability
            ``(sqrt(c / t) + 1) * t / c`` for a word seen ``c`` times, ``t = sample * tokens``;
            0 turns it off.
        seed: seeds the initial vectors and every random draw of training.
        workers: training threads. With 1, training is reproducible bit for bit.
        min_alpha: the learning rate at the end of training.
        sg: 1 for skip-gram (a word predicts its context), 0 for CBOW (the context predicts it).
        hs: 1 for hierarchical softmax.
        negative: noise words per example for negative sampling (0: none; 5-20 is usual).
        ns_exponent: noise words are drawn with probability proportional to ``count ** this``.
        cbow_mean: 1: CBOW uses the mean of the context vectors; 0: their sum.
        epochs: passes over the corpus.
        shrink_windows: each centre word uses a window of random size in ``[1, window]``.
        max_final_vocab: raise ``min_count`` as needed to keep at most this many words.
        progress: a progress bar on stderr (words/s, loss, time left).
        compute_loss: keep the training loss (:meth:`get_latest_training_loss`).
        batch_words: words per training job.
        backend: ``"fast"`` (compiled kernels) or ``"reference"`` (autograd, one thread, slow).

    Attributes:
        wv: the word vectors, a :class:`firstlayer.vectors.KeyedVectors` whose ``vectors`` is
            ``input.weight``'s array (training updates it in place).
        input: ``nn.Embedding(V, D)``, the input vectors.
        output: ``nn.Embedding(V, D)``, the negative-sampling output vectors (``syn1neg``).
        output_hs: ``nn.Embedding(V, D)``, the hierarchical-softmax inner nodes (``syn1``; the
            last row is unused, as in gensim).
        counts: ``(V,)`` int64, each word's count in the corpus.
        epoch_losses: the loss summed over each epoch of the latest :meth:`train`.

    Differences from gensim, each deliberate: ``sigmoid`` is exact (gensim uses a table and
    skips the update when ``|h . v| >= 6``); when a noise word is drawn twice for one example
    both gradients are taken before the row moves; the loss is summed in float64 and kept per
    epoch (gensim's float32 sum stops growing on big corpora); random draws are seeded per job,
    so ``workers=1`` runs repeat exactly; sentences are never cut at 10,000 words; a
    ``str`` given as a sentence is an error (gensim trains on its characters).

    Shape: ``wv.vectors``: ``(V, vector_size)`` float32.

    >>> model = Word2Vec([["a", "b"]] * 20, vector_size=4, min_count=1, progress=False)
    >>> model.wv["a"].shape
    (4,)
    """

    # settings (gensim's names)
    vector_size: int
    alpha: float
    window: int
    min_count: int
    max_vocab_size: int | None
    sample: float
    seed: int
    workers: int
    min_alpha: float
    sg: int
    hs: int
    negative: int
    ns_exponent: float
    cbow_mean: int
    epochs: int
    shrink_windows: bool
    max_final_vocab: int | None
    progress: bool
    compute_loss: bool
    batch_words: int
    backend: str
    layer1_size: int
    # what the corpus and training gave
    corpus_count: int
    corpus_total_words: int
    effective_min_count: int
    train_count: int
    running_training_loss: float
    epoch_losses: list[float]
    min_alpha_yet_reached: float
    # the vocabulary's tables and the layers
    counts: np.ndarray
    sample_ints: np.ndarray
    cum_table: np.ndarray
    wv: KeyedVectors
    input: Embedding
    output: Embedding
    output_hs: Embedding
    _random: np.random.Generator
    _points: np.ndarray
    _codes: np.ndarray
    _codelens: np.ndarray
    _noise_buckets: np.ndarray
    _noise_shift: np.uint64
    # (corpus, its word ids, sentence offsets): kept by __init__'s build_vocab for its train
    _scanned: tuple[Iterable[Sequence[str]], np.ndarray, np.ndarray] | None

    def __init__(
        self,
        sentences: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        sg: int = 0,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        epochs: int = 5,
        shrink_windows: bool = True,
        max_final_vocab: int | None = None,
        progress: bool = True,
        *,
        compute_loss: bool = False,
        batch_words: int = MAX_WORDS_IN_BATCH,
        backend: str = "fast",
    ) -> None:
        self.vector_size = check.positive_int("vector_size", vector_size)
        self.alpha = check.number("alpha", alpha, low=0, low_open=True)
        self.window = check.positive_int("window", window)
        self.min_count = check.non_negative_int("min_count", min_count)
        self.max_vocab_size = (
            None if max_vocab_size is None else check.positive_int("max_vocab_size", max_vocab_size)
        )
        self.sample = check.number("sample", sample, low=0.0)
        self.seed = check.integer("seed", seed)
        self.workers = check.positive_int("workers", workers)
        self.min_alpha = check.number("min_alpha", min_alpha, low=0.0)
        self.sg = check.flag("sg", sg)
        self.hs = check.flag("hs", hs)
        self.negative = check.non_negative_int("negative", negative)
        if not self.hs and not self.negative:
            raise ValueError(
                "hs=0 and negative=0 leave nothing to train: use negative sampling (negative=5, "
                "the default) or hierarchical softmax (hs=1)"
            )
        self.ns_exponent = check.number("ns_exponent", ns_exponent)
        self.cbow_mean = check.flag("cbow_mean", cbow_mean)
        self.epochs = check.positive_int("epochs", epochs)
        self.shrink_windows = bool(shrink_windows)
        self.max_final_vocab = (
            None if max_final_vocab is None
            else check.positive_int("max_final_vocab", max_final_vocab)
        )
        self.progress = bool(progress)
        self.compute_loss = bool(compute_loss)
        self.batch_words = check.positive_int("batch_words", batch_words)
        self.backend = check.one_of("backend", backend, _BACKENDS)
        self.layer1_size = self.vector_size

        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = self.min_count
        self.train_count = 0
        self.running_training_loss = 0.0
        self.epoch_losses = []
        self.min_alpha_yet_reached = self.alpha
        self.counts = np.zeros(0, np.int64)
        self.sample_ints = np.zeros(0, np.uint32)
        self.cum_table = np.zeros(0, np.uint32)
        self._random = np.random.default_rng(self.seed)  # each training job's seed comes from it
        self._set_vocab([], np.zeros((0, self.vector_size), np.float32))
        self._scanned = None

        if sentences is not None or corpus_file is not None:
            corpus = check_corpus(sentences, corpus_file, passes=self.epochs + 1)
            # The corpus goes to train() unchanged in between: the word ids read while counting
            # are its first epoch's (_build_vocab keeps them; train uses and drops them).
            self._build_vocab(corpus, update=False, keep_ids=True)
            self.train(
                corpus, total_examples=self.corpus_count, total_words=self.corpus_total_words,
                epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                compute_loss=self.compute_loss,
            )

    # ---- the layers ---------------------------------------------------------------------------
    def _set_vocab(
        self, keys: list[str], vectors: np.ndarray, output: np.ndarray | None = None,
        output_hs: np.ndarray | None = None,
    ) -> None:
        """Install a vocabulary and the three weight matrices (zeros where not given)."""
        shape = vectors.shape
        self.input = _embedding(vectors)
        self.output = _embedding(output if output is not None else np.zeros(shape, np.float32))
        self.output_hs = _embedding(
            output_hs if output_hs is not None else np.zeros(shape if self.hs else (0, shape[1]),
                                                             np.float32)
        )
        self.wv = KeyedVectors.from_arrays(keys, self.input.weight._data)

    @property
    def syn1neg(self) -> np.ndarray:
        """gensim's name for the negative-sampling output vectors: ``output.weight``'s array."""
        return self.output.weight._data

    @property
    def syn1(self) -> np.ndarray:
        """gensim's name for the hierarchical-softmax node vectors: ``output_hs.weight``'s array."""
        return self.output_hs.weight._data

    # ---- vocabulary ---------------------------------------------------------------------------
    def build_vocab(
        self,
        corpus_iterable: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        update: bool = False,
    ) -> None:
        """Count the corpus's words, keep the frequent ones and set up the weights (gensim's
        ``build_vocab``).

        With ``update=True``, new words are appended to an existing vocabulary (their vectors
        start fresh, the others are kept) and counts grow; otherwise the vocabulary and every
        weight start over.

        Raises:
            ValueError: the corpus has no tokens, or ``min_count`` leaves no words (the message
                gives the highest count and the ``min_count`` that would keep words).
            RuntimeError: ``update=True`` on a model without a vocabulary.
        """
        corpus = check_corpus(corpus_iterable, corpus_file, passes=1)
        self._build_vocab(corpus, update, keep_ids=False)

    def _build_vocab(
        self, corpus: Iterable[Sequence[str]], update: bool, keep_ids: bool
    ) -> None:
        """:meth:`build_vocab` of a checked corpus; with ``keep_ids`` (and a list corpus), the
        corpus as word ids is kept in ``_scanned`` for the next :meth:`train` of it."""
        self._scanned = None
        if update and not len(self.wv):
            raise RuntimeError(
                "build_vocab(update=True) adds words to an existing vocabulary, and this model "
                "has none yet: call build_vocab(corpus) first"
            )
        scanned = None
        if isinstance(corpus, (list, tuple)) and not self.max_vocab_size:
            with _progress_counter(self, "counting words") as bar:
                scanned = vocab_tools.scan_ids(corpus, bar.update)
            raw, total_words, sentences = scanned.raw, scanned.total_words, scanned.sentences
        else:
            raw, total_words, sentences = vocab_tools.scan_vocab(
                self._sentences_with_progress(corpus, "counting words"), self.max_vocab_size
            )
        if total_words == 0 and not update:
            raise ValueError(
                f"the corpus is empty: {sentences} sentences and no tokens; each sentence must be "
                f"a list of tokens, e.g. [['the', 'cat', 'sat'], ...]"
            )
        self.corpus_count = sentences
        self.corpus_total_words = total_words
        self.effective_min_count = vocab_tools.effective_min_count(
            raw, self.min_count, self.max_final_vocab
        )
        selected = vocab_tools.select_vocab(raw, self.effective_min_count)
        if not selected.words and not update:
            raise ValueError(_no_words_message(raw, total_words, self))
        if update:
            self._update_vocab(raw, selected)
        else:
            self.counts = selected.counts
            self.sample_ints = vocab_tools.sample_ints(
                selected.counts, self.sample, selected.retained_tokens
            )
            vectors = vocab_tools.init_vectors(len(selected.words), self.vector_size, self.seed)
            self._set_vocab(selected.words, vectors)
            if keep_ids and scanned is not None:
                remap = np.full(len(raw), -1, np.int32)  # position in raw -> word id, or -1
                remap[selected.raw_index] = np.arange(len(selected.words), dtype=np.int32)
                self._scanned = (corpus, remap[scanned.ids], scanned.offsets)
        self._make_tables()

    def _update_vocab(self, raw: dict[str, int], selected: vocab_tools.Selected) -> None:
        """gensim's ``prepare_vocab(update=True)`` then ``update_weights``."""
        old = len(self.wv)
        keys = list(self.wv.index_to_key)
        # New words in the order gensim adds them: first seen first (raw order), not by count.
        known = self.wv.key_to_index
        new_words = [w for w, c in raw.items() if c >= self.effective_min_count and w not in known]
        keys.extend(new_words)
        index = {w: i for i, w in enumerate(keys)}
        counts = np.concatenate([self.counts, np.zeros(len(new_words), np.int64)])
        for word, count in raw.items():
            i = index.get(word)
            if i is not None:
                counts[i] += count
        # Downsampling thresholds from the new corpus's counts, for the words it keeps.
        retained = [w for w, c in raw.items() if c >= self.effective_min_count]
        sample_ints = np.concatenate([self.sample_ints, np.zeros(len(new_words), np.uint32)])
        if retained:
            fresh = vocab_tools.sample_ints(
                np.array([raw[w] for w in retained], np.int64), self.sample,
                selected.retained_tokens,
            )
            sample_ints[[index[w] for w in retained]] = fresh
        self.counts, self.sample_ints = counts, sample_ints
        vectors = vocab_tools.init_vectors(len(keys), self.vector_size, self.seed,
                                           prior=self.input.weight._data)
        pad = np.zeros((len(keys) - old, self.vector_size), np.float32)
        output = np.vstack([self.syn1neg, pad])
        output_hs = np.vstack([self.syn1, pad]) if self.hs else None
        self._set_vocab(keys, vectors, output, output_hs)

    def _make_tables(self) -> None:
        """The negative-sampling table and the Huffman tree, from the counts."""
        self.cum_table = (
            vocab_tools.make_cum_table(self.counts, self.ns_exponent)
            if self.negative else np.zeros(1, np.uint32)
        )
        self._noise_buckets, self._noise_shift = vocab_tools.noise_buckets(self.cum_table)
        if self.hs:
            self._points, self._codes, self._codelens = vocab_tools.huffman_tree(self.counts)
        else:
            self._points = np.zeros((1, 1), np.int32)
            self._codes = np.zeros((1, 1), np.uint8)
            self._codelens = np.zeros(1, np.int32)

    # ---- training -----------------------------------------------------------------------------
    def train(
        self,
        corpus_iterable: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        total_examples: int | None = None,
        total_words: int | None = None,
        epochs: int | None = None,
        start_alpha: float | None = None,
        end_alpha: float | None = None,
        compute_loss: bool = False,
    ) -> tuple[int, int]:
        """Train on a corpus for ``epochs`` passes; call again to continue training.

        As in gensim, say how long the corpus is (``total_examples`` sentences or
        ``total_words`` tokens: the learning rate falls with the share of it done) and how many
        ``epochs`` to run; for the corpus given to :meth:`build_vocab`,
        ``total_examples=model.corpus_count, epochs=model.epochs``.

        Args:
            start_alpha, end_alpha: the learning rate's start and end for this call (default:
                ``alpha`` and ``min_alpha``; given values replace them, as in gensim).
            compute_loss: keep the loss (:meth:`get_latest_training_loss`, ``epoch_losses``).

        Returns:
            ``(effective words trained, raw words)``, summed over epochs: words kept after
            dropping unknown ones and downsampling, and all tokens read.

        Raises:
            RuntimeError: no vocabulary yet.
            ValueError: no ``total_examples``/``total_words``, or no valid ``epochs``.
        """
        if not len(self.wv):
            raise RuntimeError(
                "the model has no vocabulary yet: call build_vocab(corpus) before train(), or "
                "pass the corpus to Word2Vec(...)"
            )
        if epochs is None or isinstance(epochs, bool) or not isinstance(epochs, Integral) \
                or epochs < 1:
            raise ValueError(
                f"train() needs an explicit epochs >= 1, got {epochs!r}; the usual value is "
                f"epochs=model.epochs"
            )
        if total_examples is None and total_words is None:
            raise ValueError(
                "train() needs total_examples (sentences) or total_words (tokens) for the "
                "learning-rate decay and the progress bar; for the corpus given to "
                "build_vocab: total_examples=model.corpus_count"
            )
        corpus = check_corpus(corpus_iterable, corpus_file, passes=int(epochs))
        if start_alpha:
            self.alpha = check.number("start_alpha", start_alpha, low=0, low_open=True)
        if end_alpha:
            self.min_alpha = check.number("end_alpha", end_alpha, low=0.0)
        self.epochs = int(epochs)
        self.compute_loss = bool(compute_loss)
        if self.alpha > self.min_alpha_yet_reached + 1e-12 and self.train_count:
            warnings.warn(
                f"training again with alpha={self.alpha}, higher than the "
                f"{self.min_alpha_yet_reached} reached before", stacklevel=2,
            )
        self.running_training_loss = 0.0
        self.epoch_losses = []
        # Lists are in memory already: their word ids are kept for the later epochs (4 bytes a
        # token) instead of being looked up again.
        cache: list[tuple[np.ndarray, np.ndarray, int, int]] | None = (
            [] if isinstance(corpus, (list, tuple)) else None
        )
        scanned, self._scanned = self._scanned, None
        from_ids = scanned is not None and scanned[0] is corpus
        if from_ids:  # the corpus as build_vocab read it: no word to look up again
            assert scanned is not None
            cache = _batches_of_ids(scanned[1], scanned[2], self.batch_words)
        with_loss = self.compute_loss or self.progress
        # The progress bar's total: known for the corpus build_vocab counted, or when told.
        per_epoch = total_words or (
            self.corpus_total_words if total_examples == self.corpus_count else None
        )
        bar = _progress_bar(self, per_epoch * self.epochs if per_epoch else None)
        trained = raw = 0
        try:
            for epoch in range(self.epochs):
                if cache is not None and (epoch > 0 or from_ids):
                    batches: Iterator[tuple[np.ndarray, np.ndarray, int, int]] = iter(cache)
                else:
                    batches = self._batches(corpus, cache)
                jobs = self._jobs(batches, epoch, total_examples, total_words)
                tally = self._run_epoch(jobs, with_loss, bar, epoch)
                trained += tally.effective_words
                raw += tally.raw_words
                if with_loss:
                    self.epoch_losses.append(tally.loss)
                    self.running_training_loss += tally.loss
        finally:
            bar.close()
            self.wv.vectors = self.input.weight._data  # drops the cached unit vectors
        self.train_count += 1
        return trained, raw

    def get_latest_training_loss(self) -> float:
        """The loss summed over every example of the latest :meth:`train` call (0.0 unless
        ``compute_loss`` or the progress bar was on). In float64: it keeps growing on big corpora,
        so per-epoch differences are right; ``epoch_losses`` has them directly."""
        return self.running_training_loss

    def _sentences_with_progress(
        self, corpus: Iterable[Sequence[str]], what: str
    ) -> Iterator[Sequence[str]]:
        """The corpus's sentences, counted by a progress bar when ``progress`` is on."""
        if not self.progress:
            yield from corpus
            return
        from tqdm.auto import tqdm

        # delay: a corpus counted in under a second (or a mistake found at once) prints nothing
        with tqdm(desc=f"word2vec: {what}", unit=" sentences", unit_scale=True,
                  mininterval=0.5, delay=1.0) as bar:
            pending = 0
            for sentence in corpus:
                yield sentence
                pending += 1
                if pending == 4096:
                    bar.update(pending)
                    pending = 0
            bar.update(pending)

    def _batches(
        self, corpus: Iterable[Sequence[str]], cache: list | None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
        """The corpus as batches of word ids: ``(ids, sentence starts, raw words, sentences)``.

        A batch is filled with whole sentences up to ``batch_words`` tokens (gensim's rule: a
        sentence that does not fit starts the next batch). Unknown words become -1.
        """
        lookup = _Lookup(self.wv.key_to_index)
        get = lookup.__getitem__
        ids: list[int] = []
        starts = [0]
        size = 0
        for number, sentence in enumerate(corpus):
            check_sentence(sentence, number)
            n = len(sentence)
            if size + n > self.batch_words and len(starts) > 1:
                batch = (np.array(ids, np.int32), np.array(starts, np.int64), size, len(starts) - 1)
                if cache is not None:
                    cache.append(batch)
                yield batch
                ids, starts, size = [], [0], 0
            ids.extend(map(get, sentence))
            starts.append(len(ids))
            size += n
        if len(starts) > 1:
            batch = (np.array(ids, np.int32), np.array(starts, np.int64), size, len(starts) - 1)
            if cache is not None:
                cache.append(batch)
            yield batch

    def _jobs(
        self, batches: Iterable[tuple[np.ndarray, np.ndarray, int, int]], epoch: int,
        total_examples: int | None, total_words: int | None,
    ) -> Iterator[_Job]:
        """Each batch with its learning rate and seed (gensim's ``_job_producer`` schedule: the
        rate of the next job follows the share of sentences, else of words, handed out)."""
        pushed_examples = pushed_words = 0
        alpha = self._next_alpha(0.0, epoch)
        for words, starts, raw_words, sentences in batches:
            seed = int(self._random.integers(1, 2**48))
            yield _Job(words, starts, raw_words, sentences, alpha, seed)
            if total_examples:
                pushed_examples += sentences
                progress = pushed_examples / total_examples
            else:
                pushed_words += raw_words
                progress = pushed_words / total_words if total_words else 1.0
            alpha = self._next_alpha(progress, epoch)

    def _next_alpha(self, epoch_progress: float, epoch: int) -> float:
        progress = (epoch + epoch_progress) / self.epochs
        alpha = self.alpha - (self.alpha - self.min_alpha) * progress
        alpha = max(self.min_alpha, alpha)
        self.min_alpha_yet_reached = alpha
        return alpha

    def _run_epoch(self, jobs: Iterator[_Job], with_loss: bool, bar: Any, epoch: int) -> _Tally:
        """Train one epoch's jobs: in this thread for one worker (or the reference backend),
        else in ``workers`` threads fed through a short queue (``_threads.run_jobs``)."""
        tally = _Tally()

        def run(job: _Job) -> None:
            loss, examples, effective = self._train_job(job, with_loss)
            with tally.lock:
                tally.loss += loss
                tally.examples += examples
                tally.effective_words += effective
                tally.raw_words += job.raw_words
                bar.update(job.raw_words)
                if with_loss and tally.examples:
                    bar.set_postfix(epoch=epoch + 1, loss=f"{tally.loss / tally.examples:.4f}",
                                    refresh=False)

        # the reference backend is autograd on shared layers: one thread
        workers = 1 if self.backend == "reference" else self.workers
        run_jobs(jobs, run, workers)
        return tally

    def _train_job(self, job: _Job, with_loss: bool) -> tuple[float, int, int]:
        """One job through the kernels (or the reference): ``(loss, examples, kept words)``."""
        if self.backend == "reference":
            from ._w2v_reference import train_job_reference

            return train_job_reference(self, job, with_loss)
        from . import _w2v_kernels as kernels

        idx, bounds, reduced, state = kernels.subsample_and_windows(
            job.words, job.starts, self.sample_ints, bool(self.sample), self.window,
            self.shrink_windows, np.uint64(job.seed),
        )
        no_fixed = np.zeros((0, 0), np.int64)
        if self.sg:
            loss, examples, _ = kernels.train_batch_sg(
                self.input.weight._data, self.syn1neg, self.syn1, self.cum_table,
                self._points, self._codes, self._codelens, idx, bounds, reduced,
                self.window, self.negative, bool(self.hs), job.alpha, state, with_loss, no_fixed,
                self._noise_buckets, self._noise_shift,
            )
        else:
            loss, examples, _ = kernels.train_batch_cbow(
                self.input.weight._data, self.syn1neg, self.syn1, self.cum_table,
                self._points, self._codes, self._codelens, idx, bounds, reduced,
                self.window, self.negative, bool(self.hs), bool(self.cbow_mean), job.alpha,
                state, with_loss, no_fixed, self._noise_buckets, self._noise_shift,
            )
        return loss, examples, len(idx)

    # ---- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` atomically: weights, counts and settings, no pickle.

        A safetensors file (``.npz`` if the name ends so) whose metadata holds the vocabulary and
        settings as JSON; :meth:`load` gives back the same model, random state included, so
        training continues as if never stopped. For the vectors alone, use
        ``model.wv.save(path, format=...)``.
        """
        from ..serialization import save

        arrays = {
            "input.weight": self.input.weight._data,
            "output.weight": self.syn1neg,
            "output_hs.weight": self.syn1,
            "counts": self.counts,
            "sample_ints": self.sample_ints,
        }
        state = {
            "corpus_count": self.corpus_count,
            "corpus_total_words": self.corpus_total_words,
            "effective_min_count": self.effective_min_count,
            "train_count": self.train_count,
            "running_training_loss": self.running_training_loss,
            "epoch_losses": self.epoch_losses,
            "min_alpha_yet_reached": self.min_alpha_yet_reached,
            "random": self._random.bit_generator.state,
        }
        metadata = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "config": json.dumps({name: getattr(self, name) for name in _CONFIG}),
            "state": json.dumps(state),
            "index_to_key": json.dumps(self.wv.index_to_key, ensure_ascii=False),
        }
        save(arrays, path, metadata=metadata)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Word2Vec:
        """Read a model written by :meth:`save`.

        Raises:
            ValueError: the file is not a firstlayer Word2Vec model, or is damaged (truncated
                files are ``firstlayer.serialization.CheckpointError``, a ``ValueError``).
            FileNotFoundError: no such file.
        """
        from ..serialization import load, load_metadata

        name = os.fspath(path)
        if not os.path.exists(name):
            raise FileNotFoundError(f"no such file: {name!r}")
        try:
            metadata = load_metadata(path)
        except ValueError as exc:
            raise ValueError(
                f"{name} is not a firstlayer Word2Vec model ({exc}); gensim's model.save() "
                f"files are pickles, which firstlayer never loads: export the vectors with "
                f"model.wv.save_word2vec_format() and read them with firstlayer.vectors.load"
            ) from None
        if metadata.get("format") != _FORMAT:
            raise ValueError(
                f"{name} is not a firstlayer Word2Vec model (no {_FORMAT!r} marker; files of "
                f"word vectors load with firstlayer.vectors.load)"
            )
        if metadata.get("version") != _FORMAT_VERSION:
            raise ValueError(
                f"{name} is a firstlayer Word2Vec model of format version "
                f"{metadata.get('version')!r}; this firstlayer reads version {_FORMAT_VERSION}"
            )
        arrays = {k: t._data for k, t in load(path).items()}
        try:
            config = json.loads(metadata["config"])
            state = json.loads(metadata["state"])
            keys = json.loads(metadata["index_to_key"])
            model = cls(**config)
            _check_arrays(arrays, len(keys), model)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{name}: damaged Word2Vec model ({type(exc).__name__}: {exc})") \
                from None
        model.counts = arrays["counts"].astype(np.int64)
        model.sample_ints = arrays["sample_ints"].astype(np.uint32)
        model._set_vocab(keys, _writable_f32(arrays["input.weight"]),
                         _writable_f32(arrays["output.weight"]),
                         _writable_f32(arrays["output_hs.weight"]))
        for key in ("corpus_count", "corpus_total_words", "effective_min_count", "train_count"):
            setattr(model, key, int(state[key]))
        model.running_training_loss = float(state["running_training_loss"])
        model.epoch_losses = [float(x) for x in state["epoch_losses"]]
        model.min_alpha_yet_reached = float(state["min_alpha_yet_reached"])
        model._random.bit_generator.state = state["random"]
        model._make_tables()
        return model

    def __str__(self) -> str:
        return (
            f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
            f"alpha={self.alpha}>"
        )

    __repr__ = __str__


# ---- helpers ------------------------------------------------------------------------------------
class _Lookup(dict):
    """word -> id, with -1 for unknown words (``map(lookup.__getitem__, words)`` runs in C)."""

    def __missing__(self, key: str) -> int:
        return -1


def _batches_of_ids(
    words: np.ndarray, offsets: np.ndarray, batch_words: int
) -> list[tuple[np.ndarray, np.ndarray, int, int]]:
    """``Word2Vec._batches`` of a corpus already read as word ids (``words``, sentence
    ``offsets``): the same batches, by the same rule, as views of ``words``."""
    batches = []
    first = size = 0
    for number, n in enumerate(np.diff(offsets).tolist()):
        if size + n > batch_words and number > first:
            batches.append(_batch_of_ids(words, offsets, first, number))
            first, size = number, 0
        size += n
    if len(offsets) - 1 > first:
        batches.append(_batch_of_ids(words, offsets, first, len(offsets) - 1))
    return batches


def _batch_of_ids(
    words: np.ndarray, offsets: np.ndarray, first: int, end: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    lo, hi = int(offsets[first]), int(offsets[end])
    return words[lo:hi], offsets[first : end + 1] - lo, hi - lo, end - first


def _embedding(weight: np.ndarray) -> Embedding:
    """An ``Embedding(sparse=True)`` whose weight *is* ``weight`` (no copy, no init)."""
    num, dim = weight.shape
    return Embedding(num, dim, sparse=True, _weight=from_numpy(weight))


def _writable_f32(arr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=np.float32).copy()


def _check_arrays(arrays: dict[str, np.ndarray], count: int, model: Word2Vec) -> None:
    dim = model.vector_size
    expected = {
        "input.weight": (count, dim),
        "output.weight": (count, dim),
        "output_hs.weight": (count if model.hs else 0, dim),
        "counts": (count,),
        "sample_ints": (count,),
    }
    for key, shape in expected.items():
        if key not in arrays:
            raise KeyError(f"no {key!r} array")
        if arrays[key].shape != shape:
            raise TypeError(f"{key!r} has shape {arrays[key].shape}, expected {shape}")


def _no_words_message(raw: dict[str, int], total_words: int, model: Word2Vec) -> str:
    top_word, top = max(raw.items(), key=lambda kv: kv[1])
    why = f"min_count={model.min_count}"
    if model.effective_min_count != model.min_count:
        why += f" (raised to {model.effective_min_count} by max_final_vocab)"
    return (
        f"{why} leaves no words: the corpus has {len(raw):,} distinct words in "
        f"{total_words:,} tokens and the most frequent, {top_word!r}, appears {top} times; "
        f"use min_count={top} or lower (min_count=1 keeps every word)"
    )


def _progress_counter(model: Word2Vec, what: str) -> Any:
    """A bar counting sentences (shown after a second, and only with ``progress``)."""
    from tqdm.auto import tqdm

    return tqdm(desc=f"word2vec: {what}", unit=" sentences", unit_scale=True,
                mininterval=0.5, delay=1.0, disable=not model.progress)


def _progress_bar(model: Word2Vec, total: int | None) -> Any:
    from tqdm.auto import tqdm

    kind = "skip-gram" if model.sg else "CBOW"
    return tqdm(
        total=total, desc=f"word2vec {kind}", unit=" words", unit_scale=True,
        disable=not model.progress, mininterval=0.5, smoothing=0.1,
    )
