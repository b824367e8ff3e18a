"""``Word2Vec.train``'s machinery (a mixin): corpus -> jobs -> threads -> kernels, epoch by epoch.

``Word2Vec.train`` checks its arguments and settles the learning rates; then
``_train_epochs`` runs the epochs. Each epoch:

1. ``_batches``: the corpus as batches of word ids, whole sentences up to ``batch_words``
   tokens each (gensim's rule), unknown words as -1. A list or tuple of sentences is looked up
   once: its batches are kept for the later epochs (4 bytes a token); the corpus that
   ``build_vocab`` just read as ids (``_scanned``) is not looked up at all.
2. ``_jobs``: each batch with its learning rate and random seed. The rate falls linearly from
   ``alpha`` to ``min_alpha`` over all epochs, following the share of sentences (else of
   words) handed out so far (gensim's ``_job_producer``); the seeds come from the model's
   generator, so ``workers=1`` runs repeat exactly.
3. ``_run_epoch``: the jobs, in this thread for one worker, else in ``workers`` threads fed
   through a short queue (``_threads.run_jobs``; Hogwild, as gensim); ``_train_job`` runs one
   through the compiled kernels (``_w2v_kernels``, which release the GIL) or, with
   ``backend="reference"``, through autograd (``_w2v_reference``). A ``_Tally`` adds up the
   loss and word counts, and drives the progress bar.
4. ``_check_epoch_counts``: gensim's warnings when the epoch read another amount of corpus
   than ``train`` was told.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import _w2v_vocab as vocab_tools
from ._threads import run_jobs

if TYPE_CHECKING:
    from .word2vec import Word2Vec

logger = logging.getLogger("firstlayer.models.word2vec")

_Self = Any  # the mixin's methods run on a Word2Vec (typed as Any, as in the other mixins)
_Batch = tuple[np.ndarray, np.ndarray, int, int]  # (ids, sentence starts, raw words, sentences)


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
    sentences: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class TrainMixin:
    """The training loop of :class:`~firstlayer.models.Word2Vec` (see the module)."""

    _scanned: Any  # the corpus build_vocab just read as ids (Word2Vec types it)

    def _train_epochs(
        self: _Self, corpus: Iterable[Sequence[str]], total_examples: int | None,
        total_words: int | None, from_file: bool,
    ) -> tuple[int, int]:
        """``self.epochs`` passes over ``corpus``: ``(effective words, raw words)`` trained."""
        # Lists are in memory already: their word ids are kept for the later epochs (4 bytes a
        # token) instead of being looked up again.
        cache: list[_Batch] | None = (
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
                    batches: Iterator[_Batch] = iter(cache)
                else:
                    batches = self._batches(corpus, cache)
                jobs = self._jobs(batches, epoch, total_examples, total_words)
                tally = self._run_epoch(jobs, with_loss, bar, epoch)
                trained += tally.effective_words
                raw += tally.raw_words
                _check_epoch_counts(self, tally, epoch, total_examples, total_words, from_file)
                if with_loss:
                    self.epoch_losses.append(tally.loss)
                    self.running_training_loss += tally.loss
        finally:
            bar.close()
            self.wv.vectors = self.input.weight._data  # drops the cached unit vectors
        self.train_count += 1
        return trained, raw

    def _batches(
        self: _Self, corpus: Iterable[Sequence[str]], cache: list | None
    ) -> Iterator[_Batch]:
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
            if number == 0:
                vocab_tools.warn_if_string(sentence)
            vocab_tools.check_sentence(sentence, number)
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
        self: _Self, batches: Iterable[_Batch], epoch: int,
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

    def _next_alpha(self: _Self, epoch_progress: float, epoch: int) -> float:
        """The rate at ``epoch_progress`` (0 to 1) into ``epoch``: linear from ``alpha`` to
        ``min_alpha`` over all epochs (kept as ``min_alpha_yet_reached``)."""
        progress = (epoch + epoch_progress) / self.epochs
        alpha = self.alpha - (self.alpha - self.min_alpha) * progress
        alpha = max(self.min_alpha, alpha)
        self.min_alpha_yet_reached = alpha
        return alpha

    def _run_epoch(
        self: _Self, jobs: Iterator[_Job], with_loss: bool, bar: Any, epoch: int
    ) -> _Tally:
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
                tally.sentences += job.sentences
                bar.update(job.raw_words)
                if with_loss and tally.examples:
                    bar.set_postfix(epoch=epoch + 1, loss=f"{tally.loss / tally.examples:.4f}",
                                    refresh=False)

        # the reference backend is autograd on shared layers: one thread
        workers = 1 if self.backend == "reference" else self.workers
        run_jobs(jobs, run, workers)
        return tally

    def _train_job(self: _Self, job: _Job, with_loss: bool) -> tuple[float, int, int]:
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
                self._noise_buckets, self._noise_shift, self._lockf(),
            )
        else:
            loss, examples, _ = kernels.train_batch_cbow(
                self.input.weight._data, self.syn1neg, self.syn1, self.cum_table,
                self._points, self._codes, self._codelens, idx, bounds, reduced,
                self.window, self.negative, bool(self.hs), bool(self.cbow_mean), job.alpha,
                state, with_loss, no_fixed, self._noise_buckets, self._noise_shift,
                self._lockf(),
            )
        return loss, examples, len(idx)

    def _lockf(self: _Self) -> np.ndarray | None:
        """gensim's ``wv.vectors_lockf``: a factor on each input row's steps, if set."""
        lockf = getattr(self.wv, "vectors_lockf", None)
        return None if lockf is None else np.asarray(lockf, np.float32)


# ---- helpers ------------------------------------------------------------------------------------
def kernels_locks(lockf: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """``_w2v_kernels._locks``: the lock factors, and whether any is not 1."""
    from ._w2v_kernels import _locks

    return _locks(lockf)


class _Lookup(dict):
    """word -> id, with -1 for unknown words (``map(lookup.__getitem__, words)`` runs in C)."""

    def __missing__(self, key: str) -> int:
        return -1


def _batches_of_ids(
    words: np.ndarray, offsets: np.ndarray, batch_words: int
) -> list[_Batch]:
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
) -> _Batch:
    lo, hi = int(offsets[first]), int(offsets[end])
    return words[lo:hi], offsets[first : end + 1] - lo, hi - lo, end - first


def _check_epoch_counts(
    model: Word2Vec, tally: _Tally, epoch: int, total_examples: int | None,
    total_words: int | None, from_file: bool,
) -> None:
    """gensim's warnings when an epoch read another amount than ``train`` was told (not for a
    corpus file, where gensim's counts are approximate)."""
    if not tally.sentences and not model.train_count and epoch == 0:
        logger.warning(
            "train() called with an empty iterator (if not intended, be sure to provide a corpus "
            "that offers restartable iteration = an iterable)."
        )
    if from_file:
        return
    if total_examples and total_examples != tally.sentences:
        logger.warning("EPOCH %i: supplied example count (%i) did not equal expected count (%i)",
                       epoch, tally.sentences, total_examples)
    if total_words and total_words != tally.raw_words:
        logger.warning("EPOCH %i: supplied raw word count (%i) did not equal expected count (%i)",
                       epoch, tally.raw_words, total_words)


def _progress_bar(model: Word2Vec, total: int | None) -> Any:
    from tqdm.auto import tqdm

    kind = "skip-gram" if model.sg else "CBOW"
    return tqdm(
        total=total, desc=f"word2vec {kind}", unit=" words", unit_scale=True,
        disable=not model.progress, mininterval=0.5, smoothing=0.1,
    )
