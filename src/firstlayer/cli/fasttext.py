"""``firstlayer supervised | test | predict``: fastText's classifier from the command line.

``supervised`` trains a model on a labelled file and saves it, ``test`` prints fastText's
N / P@k / R@k on a labelled file, ``predict`` the most likely labels of each line; options take
fastText's names (``-lr`` or ``--lr``) and their defaults are ``SupervisedArgs``'. The compiled
kernels load only when a command runs (``firstlayer.models.fasttext``).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any

from ..models.fasttext._args import SupervisedArgs
from ._common import UsageError, add_output, command

if TYPE_CHECKING:
    from ..models.fasttext import FastText

_PREDICT_BATCH = 8192  # lines read at once by the predict command


# fastText's training options: (name, type, help); ``{default}`` in a help is the default of
# ``SupervisedArgs``, the one place defaults are written
_SUPERVISED_OPTIONS: list[tuple[str, type, str]] = [
    ("lr", float, "learning rate at the start, decaying linearly to 0 (default: {default})"),
    ("dim", int, "size of the word vectors (default: {default})"),
    ("ws", int, "unused by supervised models, accepted for fastText's command line"),
    ("epoch", int, "passes over the training file (default: {default})"),
    ("minCount", int, "leave out words seen fewer times (default: {default})"),
    ("minCountLabel", int, "leave out labels seen fewer times (default: {default})"),
    ("minn", int, "shortest character n-gram (default: {default})"),
    ("maxn", int, "longest character n-gram; 0: none (default: {default})"),
    ("neg", int, "negative labels sampled per example with --loss ns (default: {default})"),
    ("wordNgrams", int, "longest word n-gram: 2 adds bigrams (default: {default})"),
    (
        "loss",
        str,
        "softmax, ns, ova (one-vs-all, for several labels per line) or hs (default: {default})",
    ),
    ("bucket", int, "rows for hashed n-grams (default: {default}; 0 without n-grams)"),
    ("thread", int, "training threads (default: {default})"),
    ("lrUpdateRate", int, "tokens between two updates of the learning rate (default: {default})"),
    ("t", float, "unused by supervised models, accepted for fastText's command line"),
    ("label", str, "the labels' prefix (default: {default})"),
    ("verbose", int, "0 silent, 1 summary, 2 progress (default: {default})"),
    ("pretrainedVectors", str, "a .vec file of word vectors to start from (default: {default})"),
    (
        "seed",
        int,
        "random seed; with --thread 1 the same seed gives the same model (default: {default})",
    ),
]


def _shown_default(name: str) -> str:
    """``SupervisedArgs``' default of ``name`` as the help shows it."""
    default = SupervisedArgs.default(name)
    if default is MISSING:  # thread: it depends on the machine (default_threads)
        return "the number of CPUs minus one"
    return str(default) if default != "" else "none"


def _add_classifier(p: Any) -> None:
    """MODEL and the label options of the commands that apply a trained classifier."""
    p.add_argument("model", metavar="MODEL", help="a model saved by 'firstlayer supervised'")
    p.add_argument(
        "-k",
        "--k",
        type=int,
        default=1,
        help="how many labels to predict per line; -1: all (default: 1)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.0,
        help="leave out labels less likely than this (default: 0.0)",
    )


def add_supervised(subparsers: Any) -> None:
    p = command(
        subparsers,
        "supervised",
        help="train a fastText text classifier on a labelled file",
        description=(
            "Train fastText's supervised classifier (an EmbeddingBag over words and hashed word "
            "n-grams, then a Linear over the labels) on TRAIN, one document per line with its "
            "labels first ('__label__sports the match ended in a draw'), and save it to MODEL. "
            "Options take fastText's names, with one or two dashes (-lr 0.5 or --lr 0.5)."
        ),
        run=run_supervised,
    )
    p.add_argument("input", metavar="TRAIN", help="the training file (UTF-8)")
    add_output(p, "MODEL", "where to save the model (e.g. model.bin)")
    for name, kind, text in _SUPERVISED_OPTIONS:
        # default=None: an option not given is not passed, so train_supervised's default holds
        p.add_argument(f"--{name}", f"-{name}", dest=name, type=kind, default=None,
                       help=text.format(default=_shown_default(name)))


def add_test(subparsers: Any) -> None:
    p = command(
        subparsers,
        "test",
        help="precision and recall at k of a classifier on a labelled file",
        description=(
            "Score a model that 'firstlayer supervised' saved on a labelled FILE ('-': standard "
            "input) and print, as fastText does, N (the lines with a known label), P@k (the "
            "share of predicted labels that are right) and R@k (the share of true labels "
            "predicted)."
        ),
        run=run_test,
    )
    _add_classifier(p)
    p.add_argument("file", metavar="FILE", help="a labelled file, or - for standard input")


def add_predict(subparsers: Any) -> None:
    p = command(
        subparsers,
        "predict",
        help="the most likely labels of each line of a text",
        description=(
            "Print, for each line of FILE (default: standard input), its k most likely labels "
            "separated by spaces; with --prob, each followed by its probability (fastText's "
            "predict and predict-prob)."
        ),
        run=run_predict,
    )
    _add_classifier(p)
    p.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        default="-",
        help="the texts, one per line; - for standard input (the default)",
    )
    p.add_argument("--prob", action="store_true", help="print each label's probability")


# ---- running them ----------------------------------------------------------------------------
def run_supervised(args: argparse.Namespace) -> int:
    """``firstlayer supervised TRAIN -o MODEL [--lr ...]``: train, then save the model."""
    from ..models.fasttext import train_supervised

    names = {f.name for f in fields(SupervisedArgs)}
    params = {k: v for k, v in vars(args).items() if k in names and v is not None}
    out_dir = os.path.dirname(os.path.abspath(args.output))
    try:
        if not os.path.isdir(out_dir):
            raise FileNotFoundError(f"can't write {args.output!r}: folder {out_dir!r} does not "
                                    "exist")
        model = train_supervised(args.input, **params)
        model.save_model(args.output)
    except (OSError, ValueError, TypeError, FloatingPointError) as exc:
        raise UsageError(str(exc)) from None
    d = model._dict
    print(f"Saved {args.output}: {d.nwords} words, {d.nlabels} labels, input matrix "
          f"{d.nwords + model.args.bucket} x {model.args.dim}")
    return 0


def _load_for_command(path: str) -> FastText:
    from ..models.fasttext import load_model

    try:
        return load_model(path)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def run_test(args: argparse.Namespace) -> int:
    """``firstlayer test MODEL FILE [--k K] [--threshold T]``: fastText's ``test`` output."""
    model = _load_for_command(args.model)
    try:
        source = sys.stdin.buffer.read() if args.file == "-" else args.file
        n, precision, recall = model._test_source(source, args.k, args.threshold)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    k = model._check_k(args.k)
    print(f"N\t{n}")
    print(f"P@{k}\t{precision:.3g}")
    print(f"R@{k}\t{recall:.3g}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """``firstlayer predict MODEL [FILE|-] [--k K] [--threshold T] [--prob]``: one line of
    labels (with ``--prob``: label probability pairs) per input line, as fastText's
    ``predict`` / ``predict-prob``."""
    from ..models.fasttext._reading import check_readable

    model = _load_for_command(args.model)
    try:
        model._check_k(args.k)
        stream = sys.stdin.buffer if args.file == "-" else open(
            check_readable(args.file, "input file"), "rb")
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    with stream:
        batch: list[str] = []
        for raw in stream:
            batch.append(raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape"))
            if len(batch) == _PREDICT_BATCH:
                _print_predictions(model, batch, args)
                batch = []
        if batch:
            _print_predictions(model, batch, args)
    return 0


def _print_predictions(model: FastText, texts: list[str], args: argparse.Namespace) -> None:
    labels, probs = model.predict(texts, k=args.k, threshold=args.threshold)
    out = []
    for names, p in zip(labels, probs):
        if args.prob:
            out.append(" ".join(f"{name} {float(q):g}" for name, q in zip(names, p)))
        else:
            out.append(" ".join(names))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
