"""fastText's commands that apply a classifier: ``test``, ``test-label``, ``predict`` and
``predict-prob``, with fastText's arguments (``MODEL FILE [K] [TH]``; ``-`` for standard input)
and output. :mod:`.fasttext` registers them beside the training commands.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._common import UsageError, command

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..models.fasttext import FastText

_PREDICT_BATCH = 8192  # lines read at once by the predict command


def _add_classifier(p: Any, file_help: str, optional_file: bool) -> None:
    """MODEL, FILE and fastText's optional K and TH (also as ``-k`` and ``--threshold``)."""
    p.add_argument("model", metavar="MODEL", help="a model saved by 'firstlayer supervised'")
    p.add_argument("file", metavar="FILE", help=file_help,
                   **({"nargs": "?", "default": "-"} if optional_file else {}))
    p.add_argument("k_pos", metavar="K", type=int, nargs="?",
                   help="as fastText: the same as -k")
    p.add_argument("th_pos", metavar="TH", type=float, nargs="?",
                   help="as fastText: the same as --threshold")
    p.add_argument("-k", "--k", type=int, default=1,
                   help="how many labels to predict per line; -1: all (default: 1)")
    p.add_argument("--threshold", type=float, default=0.0,
                   help="leave out labels less likely than this (default: 0.0)")


def add_test(subparsers: Any) -> None:
    p = command(
        subparsers,
        "test",
        help="precision and recall at k of a classifier on a labelled file",
        description=(
            "Score a model that 'firstlayer supervised' saved on a labelled FILE ('-': standard "
            "input) and print, as fastText does, N (the lines with a known label), P@k (the "
            "share of predicted labels that are right) and R@k (the share of true labels "
            "predicted). As fastText: firstlayer test MODEL FILE [K] [TH]."
        ),
        run=run_test,
    )
    _add_classifier(p, "a labelled file, or - for standard input", optional_file=False)
    p = command(
        subparsers,
        "test-label",
        help="precision, recall and F1 of each label on a labelled file",
        description=(
            "As 'test', and before it one line per label of the model, as fastText prints "
            "them: its F1-score, precision and recall at k ('--------' where undefined). As "
            "fastText: firstlayer test-label MODEL FILE [K] [TH]."
        ),
        run=run_test,
    )
    _add_classifier(p, "a labelled file, or - for standard input", optional_file=False)
    p.set_defaults(per_label=True)


def add_predict(subparsers: Any) -> None:
    _add_predict(subparsers, "predict", prob=False)


def add_predict_prob(subparsers: Any) -> None:
    _add_predict(subparsers, "predict-prob", prob=True)


def _add_predict(subparsers: Any, name: str, prob: bool) -> None:
    p = command(
        subparsers,
        name,
        help=("the most likely labels of each line, with their probabilities" if prob
              else "the most likely labels of each line of a text"),
        description=(
            "Print, for each line of FILE (default: standard input), its k most likely labels "
            "separated by spaces" + (", each followed by its probability" if prob else
                                     "; with --prob, each followed by its probability")
            + f". As fastText: firstlayer {name} MODEL FILE|- [K] [TH]."
        ),
        run=run_predict,
    )
    _add_classifier(p, "the texts, one per line; - for standard input (the default)",
                    optional_file=True)
    if prob:
        p.set_defaults(prob=True)
    else:
        p.add_argument("--prob", action="store_true", help="print each label's probability")


# ---- running them --------------------------------------------------------------------------------
def load_for_command(path: str) -> FastText:
    """The model at ``path``; a file that can't be read is a ``UsageError``."""
    from ..models.fasttext import load_model

    try:
        return load_model(path)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _k_threshold(args: argparse.Namespace) -> tuple[int, float]:
    k = args.k if args.k_pos is None else args.k_pos
    return k, (args.threshold if args.th_pos is None else args.th_pos)


def run_test(args: argparse.Namespace) -> int:
    """``firstlayer test MODEL FILE [K] [TH]``: fastText's ``test`` output."""
    model = load_for_command(args.model)
    k, threshold = _k_threshold(args)
    per_label = getattr(args, "per_label", False)
    try:
        source = sys.stdin.buffer.read() if args.file == "-" else args.file
        n, precision, recall = model._test_source(source, k, threshold)
        labels = model._test_label_source(source, k, threshold) if per_label else {}
        k = model._check_k(k)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    for name, m in labels.items():  # fastText: fixed, 6 decimals; "--------" for NaN
        print("".join(f"{what} : {_fixed(m[key], 6)}  " for what, key in (
            ("F1-Score", "f1score"), ("Precision", "precision"), ("Recall", "recall")))
            + f" {name}")
    print(f"N\t{n}")
    # test-label leaves the stream in std::fixed: 3 decimals, where test prints 3 digits
    print(f"P@{k}\t{precision:.3f}" if per_label else f"P@{k}\t{precision:.3g}")
    print(f"R@{k}\t{recall:.3f}" if per_label else f"R@{k}\t{recall:.3g}")
    return 0


def _fixed(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if value == value and abs(value) != float("inf") else (
        "--------")


def run_predict(args: argparse.Namespace) -> int:
    """``firstlayer predict[-prob] MODEL [FILE|-] [K] [TH]``: one line of labels (with
    probabilities: label probability pairs) per input line, as fastText's ``predict`` /
    ``predict-prob``."""
    from ..models.fasttext._reading import check_readable

    model = load_for_command(args.model)
    k, threshold = _k_threshold(args)
    try:
        model._check_k(k)
        stream = sys.stdin.buffer if args.file == "-" else open(
            check_readable(args.file, "input file"), "rb")
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    show: Callable[[list[str]], None] = lambda texts: _print_predictions(  # noqa: E731
        model, texts, k, threshold, args.prob)
    with stream:
        batch: list[str] = []
        for raw in stream:
            batch.append(raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape"))
            if len(batch) == _PREDICT_BATCH:
                show(batch)
                batch = []
        if batch:
            show(batch)
    return 0


def _print_predictions(
    model: FastText, texts: list[str], k: int, threshold: float, prob: bool
) -> None:
    labels, probs = model.predict(texts, k=k, threshold=threshold)
    out = []
    for names, p in zip(labels, probs):
        if prob:
            out.append(" ".join(f"{name} {float(q):g}" for name, q in zip(names, p)))
        else:
            out.append(" ".join(names))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
