"""Word vectors: :func:`train_unsupervised`, fastText's skip-gram and CBOW with subwords.

The steps: read the file into tokens and build fastText's dictionary (``_reading``,
``_dictionary``, as for the classifier: words by decreasing count, ``minCount``), give every
word its rows (its own, then its character n-grams', ``minn``..``maxn``, hashed into
``bucket`` rows: ``_read_kernels.subword_rows``), encode the file as fastText's ``getLine``
reads it (the tokens of the dictionary, a line cut at ``</s>`` or after 1025 tokens), build
the subsampling probabilities and the negative table, start the input matrix at
U(-1/dim, 1/dim) and the output matrix at zero, then train on ``thread`` Hogwild threads
(``_unsup_kernels.train_worker``, run by ``.._threads.run_threads``).

>>> model = train_unsupervised("text.txt", model="skipgram", epoch=10)  # doctest: +SKIP
>>> model.get_nearest_neighbors("king", k=3)  # doctest: +SKIP
[(0.81, 'queen'), (0.77, 'kings'), (0.74, 'prince')]
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._threads import run_threads
from ._args import ALIASES, LOSSES, SupervisedArgs
from ._dictionary import Dictionary, joined
from ._model import FastText
from ._network import FastTextClassifier, huffman_paths
from ._reading import EOS_BYTES, SupervisedFileError, Tokens, check_readable, file_blocks, tokenize
from ._train import _print_progress, _read_pretrained, _uniform_init

__all__ = ["UnsupervisedArgs", "train_unsupervised"]

PathLike = str | os.PathLike

MODELS = ("skipgram", "cbow")
UNSUP_LOSSES = ("ns", "hs", "softmax")
MAX_LINE_SIZE = 1024  # fastText's getLine stops after this many tokens + 1
NEGATIVE_TABLE_SIZE = 10_000_000  # fastText's NegativeSamplingLoss table


@dataclass
class UnsupervisedArgs(SupervisedArgs):
    """The hyper-parameters of :func:`train_unsupervised`: fastText's names and its
    ``unsupervised_default``; ``model`` is ``"skipgram"`` or ``"cbow"``."""

    model: str = "skipgram"
    lr: float = 0.05
    minCount: int = 5
    minn: int = 3
    maxn: int = 6
    loss: str = "ns"

    def check(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be 'skipgram' or 'cbow', got {self.model!r} "
                             "(train_supervised trains the classifier)")
        if self.loss not in UNSUP_LOSSES:
            raise ValueError(f"loss must be one of {UNSUP_LOSSES} for word vectors, got "
                             f"{self.loss!r}")
        super().check()


_DEFAULT = UnsupervisedArgs(thread=1)


def train_unsupervised(
    input: PathLike,  # noqa: A002  (fastText's name)
    model: str = _DEFAULT.model,
    lr: float = _DEFAULT.lr,
    dim: int = _DEFAULT.dim,
    ws: int = _DEFAULT.ws,
    epoch: int = _DEFAULT.epoch,
    minCount: int = _DEFAULT.minCount,
    minCountLabel: int = _DEFAULT.minCountLabel,
    minn: int = _DEFAULT.minn,
    maxn: int = _DEFAULT.maxn,
    neg: int = _DEFAULT.neg,
    wordNgrams: int = _DEFAULT.wordNgrams,
    loss: str = _DEFAULT.loss,
    bucket: int = _DEFAULT.bucket,
    thread: int | None = None,
    lrUpdateRate: int = _DEFAULT.lrUpdateRate,
    t: float = _DEFAULT.t,
    label: str = _DEFAULT.label,
    verbose: int = _DEFAULT.verbose,
    pretrainedVectors: str = _DEFAULT.pretrainedVectors,
    seed: int = _DEFAULT.seed,
    **aliases: Any,
) -> FastText:
    """Train fastText's word vectors (skip-gram or CBOW, with character n-grams) on a text file.

    Args:
        input: the training text (UTF-8, words separated by whitespace).
        model: ``"skipgram"`` (predict each context word from a word) or ``"cbow"`` (predict
            a word from the mean of its context).
        lr: the learning rate at the start; it decays linearly to 0 over all tokens of all
            epochs.
        dim: the size of the vectors.
        ws: the largest window half-width (each position draws one in ``1..ws``).
        epoch: passes over the file.
        minCount: words seen fewer times are left out.
        minCountLabel: the same for labels (tokens starting with ``label``), which count as
            tokens but are not trained.
        minn: the shortest character n-grams of ``"<" + word + ">"``.
        maxn: the longest character n-grams of ``"<" + word + ">"`` (``maxn=0``: none; the
            word is then its own row only, and ``bucket`` becomes 0, as fastText).
        neg: words drawn per step as negatives (``loss="ns"``), in proportion to count^0.5.
        wordNgrams: unused by word vectors (kept for fastText's signature).
        loss: ``"ns"`` (negative sampling), ``"hs"`` (hierarchical softmax over a Huffman tree
            of the words) or ``"softmax"`` (over every word: slow on a large vocabulary).
        bucket: rows the character n-grams are hashed into.
        thread: Hogwild threads (default: the number of CPUs minus one, as fastText).
        lrUpdateRate: a thread publishes its progress every this many tokens.
        t: the subsampling threshold: a word of frequency ``f`` is kept with probability
            ``sqrt(t/f) + t/f``, drawn each time its line is read.
        label: the label prefix. verbose: 0 silent, 1 a summary, 2 progress on stderr.
        pretrainedVectors: a ``.vec`` file whose vectors start their words' rows.
        seed: the seed of the initial matrix and of each thread's draws; with ``thread=1``
            the same seed gives the same model.
        **aliases: fastText's other spellings (``min_count``, ``lr_update_rate``, ...).

    Returns:
        A :class:`FastText` model (``args.model`` is ``model``): ``get_word_vector`` (also for
        unseen words, from their n-grams), ``get_nearest_neighbors``, ``get_analogies``...

    Raises:
        FileNotFoundError: no such file.
        SupervisedFileError: an empty file, or no word seen ``minCount`` times.

    Shape: the input matrix is ``(nwords + bucket, dim)``, the output matrix ``(nwords, dim)``.

    >>> model = train_unsupervised("text.txt", model="cbow", dim=50)  # doctest: +SKIP
    >>> model.get_word_vector("unseen").shape  # doctest: +SKIP
    (50,)
    """
    given = dict(model=model, lr=lr, dim=dim, ws=ws, epoch=epoch, minCount=minCount,
                 minCountLabel=minCountLabel, minn=minn, maxn=maxn, neg=neg,
                 wordNgrams=wordNgrams, loss=loss, bucket=bucket, thread=thread,
                 lrUpdateRate=lrUpdateRate, t=t, label=label, verbose=verbose,
                 pretrainedVectors=pretrainedVectors, seed=seed)
    args = _args_from_call(given, aliases)
    path = check_readable(input, "training file")

    start = time.perf_counter()
    tokens = tokenize(file_blocks(path))
    dictionary = Dictionary.build(tokens, args)
    pretrained = None
    if args.pretrainedVectors:
        pretrained = _read_pretrained(args.pretrainedVectors, args)
        dictionary = dictionary.with_words(list(pretrained))
    if dictionary.nwords == 0:
        raise SupervisedFileError(
            f"{path}: no word left: the file is empty or every word occurs fewer than "
            f"minCount={args.minCount} times; try a smaller minCount"
        )
    if args.verbose > 0:
        print(f"Read {dictionary.ntokens // 1_000_000}M words", file=sys.stderr)
        print(f"Number of words:  {dictionary.nwords}", file=sys.stderr)
        print(f"Number of labels: {dictionary.nlabels}", file=sys.stderr)

    w_in = np.empty((dictionary.nwords + args.bucket, args.dim), np.float32)
    _uniform_init(w_in, 1.0 / args.dim, args.seed, args.thread)
    if pretrained is not None:
        ids = np.array([dictionary.index[w] for w in pretrained], np.int64)
        w_in[ids] = np.stack(list(pretrained.values()))
    net = FastTextClassifier(w_in.shape[0], args.dim, dictionary.nwords, _input_weight=w_in)
    result = FastText(net, dictionary, args)
    _fit(result, tokens, start)
    return result


def _args_from_call(given: dict[str, Any], aliases: dict[str, Any]) -> UnsupervisedArgs:
    if given["thread"] is None:
        del given["thread"]
    for name, value in aliases.items():
        if name not in ALIASES:
            raise TypeError(f"train_unsupervised() got an unexpected keyword argument {name!r}")
        given[ALIASES[name]] = value
    args = UnsupervisedArgs(**given)
    if args.wordNgrams <= 1 and args.maxn == 0:
        args.bucket = 0  # fastText's Python module does this: no n-gram, no hash row
    args.check()
    return args


def word_subwords(d: Dictionary, args: SupervisedArgs) -> tuple[np.ndarray, np.ndarray]:
    """Each word's rows (CSR): its own id, then its character n-grams' (none for ``</s>``)."""
    from . import _read_kernels as K

    words = d.entries[: d.nwords]
    buf, starts = joined(words)
    no_ngrams = np.full(len(words), args.maxn <= 0)
    no_ngrams |= np.array([w == EOS_BYTES for w in words], bool)
    return K.subword_rows(buf, starts, np.arange(len(words), dtype=np.int32),
                          np.zeros(len(words), bool), no_ngrams, args.minn, args.maxn,
                          max(args.bucket, 1), d.nwords)


def _gain(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per word, ``sum_r m_r^2 / len(rows)``: how far the mean of its rows moves when every
    entry of its row list moves by one unit (1 when no row repeats)."""
    n = ptr.size - 1
    sizes = np.diff(ptr)
    owner = np.repeat(np.arange(n, dtype=np.int64), sizes)
    _, inverse, mult = np.unique(owner * (int(rows.max(initial=0)) + 1) + rows,
                                 return_inverse=True, return_counts=True)
    per_entry = mult[inverse].astype(np.float64)  # m_r for each entry: summing gives sum m_r^2
    return (np.bincount(owner, per_entry, minlength=n) / np.maximum(sizes, 1)).astype(np.float32)


def encode_stream(tokens: Tokens, d: Dictionary, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The file as fastText's ``getLine`` reads it for word vectors: ``(seq, line_ptr)``.

    ``seq`` holds the tokens of the dictionary in file order (word ids; -1 for labels, which
    count for the learning rate but are not trained); tokens outside the dictionary are
    skipped. A line ends after ``</s>`` (when ``</s>`` is in the dictionary) or after
    ``MAX_LINE_SIZE + 1`` tokens.
    """
    word_id, label_id, _ = d.lookup(tokens.distinct, label.encode("utf-8"))
    entry = np.where(word_id >= 0, word_id, np.where(label_id >= 0, -1, -2)).astype(np.int32)
    seq = entry[tokens.ids]
    seq = seq[seq != -2]
    eos = d.index.get(EOS_BYTES, -1)
    is_end = seq == eos if 0 <= eos < d.nwords else np.zeros(seq.size, bool)
    idx = np.arange(seq.size)
    starts_line = np.zeros(seq.size, bool)
    if seq.size:
        starts_line[0] = True
        starts_line[1:] = is_end[:-1]
    line_start = np.maximum.accumulate(np.where(starts_line, idx, 0)) if seq.size else idx
    cuts = np.flatnonzero((idx - line_start) % (MAX_LINE_SIZE + 1) == 0)
    return seq, np.append(cuts, seq.size).astype(np.int64)


def negative_table(counts: np.ndarray) -> np.ndarray:
    """fastText's table: word ``i`` ``ceil(sqrt(c_i) * 1e7 / sum sqrt(c))`` times (float32)."""
    c = np.sqrt(counts.astype(np.float32))
    repeats = np.ceil(c * np.float32(NEGATIVE_TABLE_SIZE) / c.sum(dtype=np.float32))
    return np.repeat(np.arange(counts.size, dtype=np.int32), repeats.astype(np.int64))


def _fit(model: FastText, tokens: Tokens, start: float) -> None:
    from . import _unsup_kernels as K

    args: Any = model.args
    d = model._dict
    counts = d.counts[: d.nwords]
    seq, line_ptr = encode_stream(tokens, d, args.label)
    if line_ptr.size == 1:  # a dictionary of labels only: nothing to train, as fastText
        return
    sub_ptr, sub_rows = word_subwords(d, args)
    f = counts.astype(np.float64) / d.ntokens
    keep = np.sqrt(args.t / f) + args.t / f
    paths = huffman_paths(counts) if args.loss == "hs" else (
        np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8))
    threads = args.thread
    total = args.epoch * d.ntokens
    arrays = K.UnsupArrays(
        w_in=model.model.input.weight._data, w_out=model.model.output.weight._data,
        seq=seq, line_ptr=line_ptr, sub_ptr=sub_ptr, sub_rows=sub_rows,
        gain=_gain(sub_ptr, sub_rows), keep=keep,
        neg_table=negative_table(counts) if args.loss == "ns" else np.zeros(1, np.int32),
        path_ptr=paths[0], path_nodes=paths[1], path_codes=paths[2],
        counters=np.zeros((threads, 8), np.int64), stats=np.zeros((threads, 8), np.float64),
    )
    settings = K.UnsupSettings(
        total_tokens=int(total), lr=float(args.lr), lr_update_rate=args.lrUpdateRate,
        model=K.SKIPGRAM if args.model == "skipgram" else K.CBOW, loss=LOSSES[args.loss],
        neg=args.neg, ws=max(args.ws, 1), seed=args.seed,
    )
    n = line_ptr.size - 1
    train_start = time.perf_counter()

    def work(slot: int) -> None:
        K.train_worker(arrays, settings, slot, slot * n // threads)

    def stop() -> None:
        arrays.counters[0, 0] = total

    def progress() -> None:
        if args.verbose > 1:
            _print_progress(args, arrays.counters, arrays.stats, total, train_start, final=False)

    run_threads(work, threads, stop=stop, poll=progress)
    if not (np.isfinite(arrays.stats[:, 0]).all() and np.isfinite(arrays.w_out).all()):
        raise FloatingPointError(
            f"training diverged (a weight is not finite) at lr={args.lr}: try a smaller lr"
        )
    if args.verbose > 0:
        _print_progress(args, arrays.counters, arrays.stats, total, train_start, final=True)
        print(f"Trained in {time.perf_counter() - start:.1f} s", file=sys.stderr)
