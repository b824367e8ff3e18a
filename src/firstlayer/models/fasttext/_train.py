"""Training: :func:`train_supervised`, fastText's supervised classifier on a labelled file.

The steps: read the file into tokens (``_reading``), build the dictionary and encode each line
as an example (``_dictionary``), check the file for the mistakes fastText passes over, start
the input matrix at U(-1/dim, 1/dim), then SGD over the examples on ``thread`` threads at once
(Hogwild, ``_train_kernels.train_worker``; ``.._threads.run_threads`` starts, stops and
reports them), with fastText's progress line on stderr.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import numpy as np

from .._threads import run_threads
from ._args import LOSSES, SupervisedArgs, from_call
from ._dictionary import Dictionary, Lines, encode
from ._model import FastText
from ._network import FastTextClassifier
from ._reading import (
    EOS_BYTES,
    SupervisedFileError,
    Tokens,
    check_readable,
    file_blocks,
    line_text,
    tokenize,
)

__all__ = ["train_supervised"]

PathLike = str | os.PathLike

_DEFAULT = SupervisedArgs(thread=1)  # the defaults of train_supervised's arguments


def train_supervised(
    input: PathLike,  # noqa: A002  (fastText's name)
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
    """Train fastText's supervised classifier on a file in fastText's format.

    Each line is one document: its labels (words starting with ``label``, e.g.
    ``__label__baking``) and its text, e.g. ``__label__baking __label__bread how to bake``.

    Args:
        input: the training file (UTF-8).
        lr: the learning rate at the start; it decays linearly to 0 over all tokens of all
            epochs.
        dim: the size of the word vectors (and of the hidden vector).
        epoch: passes over the file.
        minCount: words seen fewer times are left out.
        minCountLabel: labels seen fewer times are left out.
        minn: the shortest character n-grams of each word (0: none, the default).
        maxn: the longest character n-grams of each word (0: none, the default).
        neg: negative labels sampled per example (``loss="ns"``).
        wordNgrams: the longest word n-gram used (2: words and bigrams).
        loss: ``"softmax"`` (default), ``"ns"`` (negative sampling), ``"ova"`` (one-vs-all:
            independent sigmoids, for several labels per line) or ``"hs"`` (hierarchical
            softmax).
        bucket: rows the word and character n-grams are hashed into; 0 (as fastText does)
            when ``wordNgrams == 1`` and ``maxn == 0``.
        thread: Hogwild threads (default: the number of CPUs minus one, as fastText).
        lrUpdateRate: a thread publishes its progress every this many tokens.
        ws: unused by supervised models (kept for fastText's signature).
        t: unused by supervised models (kept for fastText's signature).
        label: the label prefix.
        verbose: 0 silent, 1 a summary, 2 progress (words/sec/thread, lr, loss, ETA) on stderr.
        pretrainedVectors: a word-vector text file (``.vec``) whose vectors start the words'
            rows; its words join the vocabulary, as in fastText.
        seed: the seed of the initial matrix and of each thread's draws. With ``thread=1``
            the same seed gives the same model.
        **aliases: fastText's other spellings (``min_count``, ``word_ngrams``,
            ``lr_update_rate``, ``label_prefix``, ``pretrained_vectors``), and fastText's
            autotune arguments (``autotuneValidationFile``, ``autotuneMetric``,
            ``autotunePredictions``, ``autotuneDuration``, ``autotuneModelSize``: the
            search of ``_autotune``).

    Returns:
        A :class:`FastText` model.

    Raises:
        FileNotFoundError: no such file.
        SupervisedFileError: an empty file, one without labels, a line with a label but no
            text or with text but no label (the line is named); no word or label left after
            ``minCount``/``minCountLabel``. Nothing is trained then.

    >>> model = train_supervised("train.txt", lr=0.5, epoch=10, wordNgrams=2)  # doctest: +SKIP
    >>> model.test("valid.txt")  # doctest: +SKIP
    (3000, 0.62, 0.62)
    """
    values = dict(lr=lr, dim=dim, ws=ws, epoch=epoch, minCount=minCount,
                  minCountLabel=minCountLabel, minn=minn, maxn=maxn, neg=neg,
                  wordNgrams=wordNgrams, loss=loss, bucket=bucket, thread=thread,
                  lrUpdateRate=lrUpdateRate, t=t, label=label, verbose=verbose,
                  pretrainedVectors=pretrainedVectors, seed=seed)
    if any(name.startswith("autotune") for name in aliases):  # fastText's autotune* arguments
        from ._autotune import train_autotuned

        return train_autotuned(input, values, aliases)
    args = from_call(values, aliases)
    path = check_readable(input, "training file")

    start = time.perf_counter()
    tokens = tokenize(file_blocks(path))
    if not set(tokens.distinct) - {EOS_BYTES}:
        raise SupervisedFileError(
            f"{path} is empty (or only whitespace): write one labelled document per line, "
            f"e.g. '{args.label}sports the match ended in a draw'"
        )
    dictionary = Dictionary.build(tokens, args)
    pretrained = None
    if args.pretrainedVectors:
        pretrained = _read_pretrained(args.pretrainedVectors, args)
        dictionary = dictionary.with_words(list(pretrained))
    _check_dictionary(path, dictionary, tokens, args)
    lines = encode(tokens, dictionary, args)
    _check_training_lines(path, lines, args)
    examples = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
    if examples.row_ptr.size == 1:
        raise SupervisedFileError(
            f"{path}: no line left to train on: no labelled line has a word of the vocabulary "
            f"(minCount={args.minCount}, minCountLabel={args.minCountLabel}); try smaller ones"
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
    model = FastText(
        FastTextClassifier(w_in.shape[0], args.dim, dictionary.nlabels, _input_weight=w_in),
        dictionary, args,
    )
    _fit(model, examples, args.epoch * dictionary.ntokens, start)
    return model


def _check_training_lines(path: str, lines: Lines, args: SupervisedArgs) -> None:
    """The mistakes fastText passes over silently, as one error naming the line."""
    text = lines.words > 0
    labelled = lines.label_tokens > 0
    if not labelled.any():
        first = int(np.argmax(text)) + 1
        raise SupervisedFileError(
            f"{path}: no labels: no word starts with the label prefix {args.label!r} (line "
            f"{first}: {line_text(path, first)!r}); write each line as '{args.label}<label> "
            "<text>', or pass label= with the prefix your file uses"
        )
    only_label = np.flatnonzero(labelled & ~text)
    if only_label.size:
        n = int(only_label[0]) + 1
        raise SupervisedFileError(
            f"{path}, line {n}: the line has a label but no text ({line_text(path, n)!r}); "
            f"{only_label.size} such line(s) in all: remove them or add their text"
        )
    unlabelled = np.flatnonzero(text & ~labelled)
    if unlabelled.size:
        n = int(unlabelled[0]) + 1
        raise SupervisedFileError(
            f"{path}, line {n}: the line has no label (no word starts with {args.label!r}): "
            f"{line_text(path, n)!r}; {unlabelled.size} such line(s) in all: label them or "
            "remove them"
        )




def _check_dictionary(path: str, d: Dictionary, tokens: Tokens, args: SupervisedArgs) -> None:
    if d.nwords == 0 or (d.nwords == 1 and d.entries[0] == EOS_BYTES):
        raise SupervisedFileError(
            f"{path}: no word left: every word occurs fewer than minCount={args.minCount} "
            "times; try a smaller minCount"
        )
    if d.nlabels == 0:
        prefix = args.label.encode("utf-8")
        seen = [int(c) for tok, c in zip(tokens.distinct, tokens.counts) if tok.startswith(prefix)]
        if seen:
            raise SupervisedFileError(
                f"{path}: no label left: every label occurs fewer than "
                f"minCountLabel={args.minCountLabel} times (the most frequent {max(seen)}); "
                "try a smaller minCountLabel"
            )
        # no label at all: _check_training_lines names the first line


def _read_pretrained(path: str, args: SupervisedArgs) -> dict[bytes, np.ndarray]:
    """The word vectors of a ``.vec`` file, by word (UTF-8 bytes); their size must be dim."""
    from ...vectors import load

    kv = load(check_readable(path, "pretrainedVectors"), progress=args.verbose > 1)
    if kv.vector_size != args.dim:
        raise ValueError(
            f"Dimension of pretrained vectors ({kv.vector_size}) does not match dimension "
            f"({args.dim}): pass dim={kv.vector_size}"
        )
    prefix = args.label
    return {
        str(key).encode("utf-8", "surrogateescape"): kv.vectors[i].astype(np.float32)
        for i, key in enumerate(kv.index_to_key)
        if not str(key).startswith(prefix)
    }


def _uniform_init(w: np.ndarray, bound: float, seed: int, threads: int) -> None:
    """``w ~ U(-bound, bound)`` on ``threads`` threads; the same for any number of threads."""
    from . import _train_kernels as K  # numba loads only when a model is trained

    blocks = -(-w.shape[0] // K.INIT_BLOCK)
    cuts = np.linspace(0, blocks, threads + 1).astype(np.int64).tolist()

    def fill(slot: int) -> None:
        K.uniform_rows(w, bound, seed, cuts[slot], cuts[slot + 1])

    run_threads(fill, threads)


# autotune's end (time.perf_counter()), for the trainings of the thread that set it
autotune_clock = threading.local()


def _fit(model: FastText, ex: Lines, total_tokens: int, start: float) -> None:
    """Train ``model`` on the examples: ``thread`` Hogwild threads, progress on stderr."""
    from . import _train_kernels as K

    args = model.args
    threads = args.thread
    counts = model._label_counts.astype(np.float64)
    if args.loss == "ns":
        sqrt_counts = np.sqrt(counts)  # fastText draws negatives ~ count^0.5
        neg_cdf = np.cumsum(sqrt_counts) / sqrt_counts.sum()
    else:
        neg_cdf = np.ones(1)
    paths = model._paths if model._paths is not None else (
        np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8))
    arrays = K.TrainArrays(
        w_in=model.model.input.weight._data, w_out=model.model.output.weight._data,
        row_ptr=ex.row_ptr, rows=ex.rows, label_ptr=ex.label_ptr, labels=ex.labels,
        tokens=ex.tokens, neg_cdf=neg_cdf, path_ptr=paths[0], path_nodes=paths[1],
        path_codes=paths[2],
        # one 64-byte cache line per thread, so that a thread's writes do not slow the others
        counters=np.zeros((threads, 8), np.int64), stats=np.zeros((threads, 8), np.float64),
    )
    settings = K.TrainSettings(
        total_tokens=int(total_tokens), lr=float(args.lr), lr_update_rate=args.lrUpdateRate,
        loss=LOSSES[args.loss], neg=args.neg, seed=args.seed,
    )
    n = ex.row_ptr.size - 1
    train_start = time.perf_counter()

    def work(slot: int) -> None:
        K.train_worker(arrays, settings, slot, slot * n // threads)

    def stop() -> None:
        arrays.counters[0, 0] = total_tokens  # every worker stops at its next example

    timed_out: list[bool] = []
    deadline = getattr(autotune_clock, "deadline", None)

    def progress() -> None:
        if deadline is not None and time.perf_counter() > deadline and not timed_out:
            timed_out.append(True)  # autotune's time is up: stop this trial
            stop()
        if args.verbose > 1:
            _print_progress(args, arrays.counters, arrays.stats, total_tokens, train_start,
                            final=False)

    run_threads(work, threads, stop=stop, poll=progress)
    if timed_out:
        raise TimeoutError("the autotune duration ran out during this training")
    # a non-finite input row would reach the losses and the output matrix: checking those is
    # enough, and cheap (the input matrix can be gigabytes)
    if not (np.isfinite(arrays.stats[:, 0]).all() and np.isfinite(arrays.w_out).all()):
        raise FloatingPointError(  # not seen in our tests; here so that it can never go unsaid
            f"training diverged (a weight is not finite) at lr={args.lr}: try a smaller lr"
        )
    if args.verbose > 0:
        _print_progress(args, arrays.counters, arrays.stats, total_tokens, train_start,
                        final=True)
        print(f"Trained in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def _print_progress(
    args: SupervisedArgs, counters: np.ndarray, stats: np.ndarray, total: int, start: float,
    final: bool,
) -> None:
    """fastText's progress line: progress, words/sec/thread, lr, average loss, ETA."""
    done = min(int(counters[:, 0].sum()), total)
    progress = 1.0 if final else done / total
    elapsed = max(time.perf_counter() - start, 1e-9)
    wst = done / elapsed / args.thread
    lr = args.lr * (1.0 - progress)
    examples = stats[:, 1].sum()
    avg_loss = stats[:, 0].sum() / examples if examples else 0.0
    eta = int(elapsed * (1 - progress) / progress) if progress > 0 else 0
    line = (f"\rProgress: {100 * progress:5.1f}% words/sec/thread: {wst:7.0f} lr: {lr:9.6f} "
            f"avg.loss: {avg_loss:9.6f} ETA: {eta // 3600:3d}h{eta // 60 % 60:2d}m{eta % 60:2d}s")
    print(line, end="\n" if final else "", file=sys.stderr, flush=True)
