"""``Word2Vec``: gensim's word2vec, made of two first layers.

The model is an ``nn.Embedding`` of input vectors (``model.input``; ``model.wv.vectors`` is its
weight) and an output layer over the vocabulary: with negative sampling, a second
``nn.Embedding`` (``model.output``, gensim's ``syn1neg``) whose rows are gathered as the rows of
a ``Linear(D, V)`` for the few words scored per example; with hierarchical softmax, one row per
inner node of a Huffman tree (``model.output_hs``, gensim's ``syn1``).

Training (``_w2v_train``) streams the corpus in jobs of about ``batch_words`` words, each with
its learning rate (decaying linearly from ``alpha`` to ``min_alpha`` over all epochs) and its
own random seed.
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

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from .. import _check as check
from .._errors import ValueRuntimeError
from ..nn.modules.embedding import Embedding
from ..tensor import from_numpy
from ..vectors.keyed import KeyedVectors
from . import _w2v_files as files
from ._corpus import MAX_WORDS_IN_BATCH, check_corpus
from ._w2v_build import VocabMixin
from ._w2v_score import ScoreMixin
from ._w2v_train import TrainMixin, kernels_locks
from ._w2v_vocab import TrimRule

__all__ = ["Word2Vec"]

logger = logging.getLogger(__name__)
_BACKENDS = ("fast", "reference")


class Word2Vec(VocabMixin, TrainMixin, ScoreMixin):
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
        trim_rule: ``trim_rule(word, count, min_count)`` returning ``RULE_KEEP``,
            ``RULE_DISCARD`` or ``RULE_DEFAULT`` (apply ``min_count``) decides which words stay
            (gensim's; ``firstlayer.models.RULE_*`` are ``gensim.utils``'s values); not stored.

    Vocabulary steps (gensim's): :meth:`build_vocab` (= :meth:`scan_vocab`,
    :meth:`prepare_vocab`, :meth:`prepare_weights`), :meth:`build_vocab_from_freq`,
    :meth:`reset_from`; after training, :meth:`score` (``hs=1``) and
    :meth:`predict_output_word` (``negative > 0``). Setting ``wv.vectors_lockf`` (float32,
    one factor per word, or one for all) scales each input row's steps (0 freezes it).

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
    so ``workers=1`` runs repeat exactly; sentences are never cut at 10,000 words. As in
    gensim, a ``str`` given as a sentence is taken as its characters, with a logged warning.

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
        trim_rule: TrimRule | None = None,
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
        self.raw_vocab: dict[str, int] = {}
        self._random = np.random.default_rng(self.seed)  # each training job's seed comes from it
        self._make_tables()
        self._set_vocab([], np.zeros((0, self.vector_size), np.float32))
        self._scanned = None

        if sentences is None and corpus_file is None:
            if trim_rule is not None:
                logger.warning(
                    "The rule, if given, is only used to prune vocabulary during build_vocab() "
                    "and is not stored as part of the model. Model initialized without "
                    "sentences. trim_rule provided, if any, will be ignored."
                )
        else:
            corpus = check_corpus(sentences, corpus_file, passes=self.epochs + 1)
            # The corpus goes to train() unchanged in between: the word ids read while counting
            # are its first epoch's (_build_vocab keeps them; train uses and drops them).
            self._build_vocab(corpus, update=False, keep_ids=True, trim_rule=trim_rule)
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
        """Install a vocabulary and the three weight matrices (zeros where not given); the
        counts and downsampling thresholds go along as ``wv``'s vecattrs (gensim's
        ``expandos``), and ``wv.vectors_lockf`` starts as gensim's ``ones(1)``."""
        shape = vectors.shape
        self.input = _embedding(vectors)
        self.output = _embedding(output if output is not None else np.zeros(shape, np.float32))
        self.output_hs = _embedding(
            output_hs if output_hs is not None else np.zeros(shape if self.hs else (0, shape[1]),
                                                             np.float32)
        )
        self.wv = KeyedVectors.from_arrays(keys, self.input.weight._data)
        self.wv.vectors_lockf = np.ones(1, np.float32)  # type: ignore[attr-defined]
        if len(self.counts) == len(keys):
            expandos = getattr(self.wv, "expandos", None)
            if not isinstance(expandos, dict):
                expandos = self.wv.expandos = {}  # type: ignore[attr-defined]
            expandos["count"] = self.counts
            expandos["sample_int"] = self.sample_ints
            if self.hs and len(self._codelens) == len(keys):
                expandos["code"], expandos["point"] = _paths(self)

    @classmethod
    def _from_parts(
        cls, config: dict[str, Any], keys: list[str], vectors: np.ndarray,
        syn1neg: np.ndarray | None = None, syn1: np.ndarray | None = None,
        counts: np.ndarray | None = None, sample_ints: np.ndarray | None = None,
        state: dict[str, Any] | None = None, lockf: np.ndarray | None = None,
    ) -> Word2Vec:
        """A model with these settings (constructor arguments), vocabulary and weights (kept,
        not copied), and training state (``corpus_count``, ``train_count``, ...): what
        :meth:`load` builds. Counts default to 1 each, thresholds to keeping every word."""
        model = cls(**config)
        n = len(keys)
        model.counts = np.ones(n, np.int64) if counts is None else np.asarray(counts, np.int64)
        model.sample_ints = (np.full(n, 2**32 - 1, np.uint32) if sample_ints is None
                             else np.asarray(sample_ints, np.uint32))
        for key, value in (state or {}).items():
            setattr(model, key, value)
        model._make_tables()
        model._set_vocab(keys, vectors, syn1neg, syn1)
        if lockf is not None:
            model.wv.vectors_lockf = np.array(lockf, np.float32)  # type: ignore[attr-defined]
        return model

    @property
    def syn1neg(self) -> np.ndarray:
        """gensim's name for the negative-sampling output vectors: ``output.weight``'s array."""
        return self.output.weight._data

    @property
    def syn1(self) -> np.ndarray:
        """gensim's name for the hierarchical-softmax node vectors: ``output_hs.weight``'s array."""
        return self.output_hs.weight._data

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
            start_alpha: the learning rate's start for this call (default: ``alpha``; a
                given value replaces it, as in gensim).
            end_alpha: the learning rate's end for this call (default: ``min_alpha``; a given
                value replaces it, as in gensim).
            compute_loss: keep the loss (:meth:`get_latest_training_loss`, ``epoch_losses``).

        Returns:
            ``(effective words trained, raw words)``, summed over epochs: words kept after
            dropping unknown ones and downsampling, and all tokens read.

        As gensim, logs a warning when both ``hs`` and ``negative`` are on, when ``alpha`` is
        higher than the rate a previous training reached, and when an epoch read another number
        of sentences (words) than ``total_examples`` (``total_words``) said.

        Raises:
            RuntimeError: no vocabulary yet (none built, or ``min_count`` left none: then a
                ``ValueRuntimeError``, a ``ValueError`` too, saying why).
            ValueError: no ``total_examples``/``total_words``, or no valid ``epochs``.
        """
        if not len(self.wv):
            raise ValueRuntimeError(
                "you must first build vocabulary before training the model: "
                + (self._why_empty or "the model has no vocabulary yet (call build_vocab(corpus) "
                   "first, or pass the corpus to Word2Vec(...))")
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
        if len(self.wv) != len(self.counts) or self.wv.vectors is not self.input.weight._data:
            raise RuntimeError(
                f"the model's vocabulary ({len(self.counts)} words) and its wv "
                f"({len(self.wv)} vectors) differ: wv was replaced (vectors loaded alone have no "
                f"counts or output layer to train with); build_vocab a corpus instead"
            )
        if not all(w.flags.writeable for w in (self.wv.vectors, self.syn1neg, self.syn1)):
            raise ValueError(
                "the model's weights are read-only (loaded with mmap='r'): load it without mmap "
                "to train it"
            )
        if self.backend == "reference" and kernels_locks(self._lockf())[1]:
            raise ValueError(
                "backend='reference' trains every row freely: wv.vectors_lockf (frozen or scaled "
                "rows) needs backend='fast'"
            )
        corpus = check_corpus(corpus_iterable, corpus_file, passes=int(epochs))
        alpha = self.alpha if not start_alpha else \
            check.number("start_alpha", start_alpha, low=0, low_open=True)
        min_alpha = self.min_alpha if not end_alpha else \
            check.number("end_alpha", end_alpha, low=0.0)
        self.alpha, self.min_alpha = alpha, min_alpha
        self.epochs = int(epochs)
        self.compute_loss = bool(compute_loss)
        if self.hs and self.negative:
            logger.warning(
                "Both hierarchical softmax and negative sampling are activated. This is probably "
                "a mistake. You should set either 'hs=0' or 'negative=0' to disable one of them. "
            )
        if self.alpha > self.min_alpha_yet_reached:
            logger.warning(
                "Effective 'alpha' higher than previous training cycles (alpha=%s, the rate "
                "reached before: %s)", self.alpha, self.min_alpha_yet_reached,
            )
        self.running_training_loss = 0.0
        self.epoch_losses = []
        return self._train_epochs(corpus, total_examples, total_words, corpus_file is not None)

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

    # ---- files --------------------------------------------------------------------------------
    def save(
        self, fname_or_handle: str | os.PathLike, separately: Iterable[str] | None = None,
        sep_limit: int = files.DEFAULT_SEP_LIMIT, ignore: Iterable[str] = frozenset(),
        pickle_protocol: int = 4,
    ) -> None:
        """Write the model to a file atomically: weights, counts and settings, no pickle.

        A safetensors file (``.npz`` if the name ends so) whose metadata holds the vocabulary and
        settings as JSON; :meth:`load` gives back the same model, random state included, so
        training continues as if never stopped. For the vectors alone, use
        ``model.wv.save(path, format=...)``.

        Args:
            separately: arrays to write to files of their own beside it, by gensim's names
                (``"wv.vectors"``, ``"syn1neg"``, ``"syn1"``); ``None``: those larger than
                ``sep_limit`` bytes (gensim's rule), as ``<fname>.<name>.npy``.
            ignore: gensim's, accepted (nothing is pickled).
            pickle_protocol: gensim's, accepted (nothing is pickled).
        """
        files.save_model(self, fname_or_handle, separately, sep_limit, ignore)

    @files.class_only
    def load(cls: type[Word2Vec], path: str | os.PathLike,  # type: ignore[misc]
             mmap: str | None = None) -> Word2Vec:
        """Read a model written by :meth:`save`, or by gensim's ``model.save()`` (gensim 0.12 to
        4.x: read as data, the pickle never run; ``mmap`` as gensim's, see ``_gensim_load``).
        Called on the class: ``Word2Vec.load(path)`` (on a model, an ``AttributeError``).

        Args:
            mmap: ``"r"``: arrays saved apart are memory-mapped read-only, not read.

        Raises:
            ValueError: the file is not a firstlayer Word2Vec model, or is damaged (truncated
                files are ``firstlayer.serialization.CheckpointError``, a ``ValueError``); a file
                of another kind raises ``NotAModelError``, an ``AttributeError`` as in gensim.
            FileNotFoundError: no such file.
        """
        name = os.fspath(path)
        if not os.path.exists(name):
            raise FileNotFoundError(f"no such file: {name!r}")
        # gensim pickles:
        from ._gensim_load import is_gensim_file, load_gensim_word2vec

        if is_gensim_file(path):
            return load_gensim_word2vec(cls, path, mmap=mmap)
        return files.load_model(cls, path, mmap)

    def __str__(self) -> str:
        return (
            f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
            f"alpha={self.alpha}>"
        )

    __repr__ = __str__


# ---- helpers ------------------------------------------------------------------------------------
def _embedding(weight: np.ndarray) -> Embedding:
    """An ``Embedding(sparse=True)`` whose weight *is* ``weight`` (no copy, no init)."""
    num, dim = weight.shape
    return Embedding(num, dim, sparse=True, _weight=from_numpy(weight))


def _paths(model: Word2Vec) -> tuple[np.ndarray, np.ndarray]:
    """Each word's Huffman ``code`` and ``point`` as gensim keeps them in ``wv.expandos``:
    object arrays of uint8 / uint32 arrays."""
    n = len(model._codelens)
    codes, points = np.empty(n, object), np.empty(n, object)
    for i, length in enumerate(model._codelens.tolist()):
        codes[i] = model._codes[i, :length].copy()
        points[i] = model._points[i, :length].astype(np.uint32)
    return codes, points


def _progress_counter(model: Word2Vec, what: str) -> Any:
    """A bar counting sentences (shown after a second, and only with ``progress``)."""
    from tqdm.auto import tqdm

    return tqdm(desc=f"word2vec: {what}", unit=" sentences", unit_scale=True,
                mininterval=0.5, delay=1.0, disable=not model.progress)
