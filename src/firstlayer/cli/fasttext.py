"""fastText's commands that train, compress and apply a model, with fastText's option names.

``supervised``, ``skipgram`` and ``cbow`` train on a file and save the model, ``quantize``
compresses a classifier into a ``.ftz``, ``test`` prints fastText's N / P@k / R@k on a labelled
file, ``predict`` / ``predict-prob`` the most likely labels of each line. Options take fastText's
names (``-lr`` or ``--lr``) and their defaults are those of ``SupervisedArgs`` /
``UnsupervisedArgs`` (and of ``FastText.quantize``); as in fastText, ``-input`` names the
training file and ``-output PREFIX`` writes ``PREFIX.bin`` and ``PREFIX.vec`` (``-o FILE``:
the model alone, to FILE). The commands that only read a model (``nn``, ``dump``...) are in
:mod:`.fasttext_query`. The compiled kernels load only when a command runs.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any

from ..models.fasttext import FastText, SupervisedArgs, UnsupervisedArgs
from ._common import UsageError, command

if TYPE_CHECKING:
    from collections.abc import Callable

_PREDICT_BATCH = 8192  # lines read at once by the predict command


# fastText's training options: (name, type, help); ``{default}`` in a help is the default of
# the command's dataclass (``SupervisedArgs``, ``UnsupervisedArgs``), the one place defaults
# are written
_TRAIN_OPTIONS: list[tuple[str, type, str]] = [
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
# where word vectors (skipgram, cbow) read an option differently
_UNSUP_HELP = {
    "ws": "largest half-width of the context window (default: {default})",
    "neg": "negative words sampled per target with --loss ns (default: {default})",
    "wordNgrams": "unused by word vectors, accepted for fastText's command line",
    "loss": "ns (negative sampling), hs (hierarchical softmax) or softmax (default: {default})",
    "t": "sampling threshold: frequent words are dropped more often (default: {default})",
}


def _shown_default(cls: type, name: str) -> str:
    """The dataclass ``cls``' default of ``name`` as the help shows it."""
    default = next(f.default for f in fields(cls) if f.name == name)
    if default is MISSING:  # thread: it depends on the machine (default_threads)
        return "the number of CPUs minus one"
    return str(default) if default != "" else "none"


def _add_training(p: Any, cls: type, what: str, helps: dict[str, str]) -> None:
    """TRAIN (or ``-input``), the output (``-o FILE`` or ``-output PREFIX``) and the options
    of ``cls``."""
    p.add_argument("input", metavar="TRAIN", nargs="?", help=f"the training file ({what})")
    p.add_argument("-input", "--input", dest="input_option", metavar="TRAIN",
                   help="the training file, fastText's way (instead of TRAIN)")
    p.add_argument("-o", "--output", dest="output", metavar="MODEL",
                   help="where to save the model (e.g. model.bin)")
    p.add_argument("-output", dest="output_prefix", metavar="PREFIX",
                   help="fastText's way: write PREFIX.bin (the model) and PREFIX.vec (the word "
                        "vectors, as text)")
    for name, kind, text in _TRAIN_OPTIONS:
        # default=None: an option not given is not passed, so the function's default holds
        p.add_argument(f"--{name}", f"-{name}", dest=name, type=kind, default=None,
                       help=helps.get(name, text).format(default=_shown_default(cls, name)))


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
        run=run_train,
    )
    _add_training(p, SupervisedArgs, "UTF-8, labels first", {})
    p.set_defaults(model_kind="supervised")


def add_skipgram(subparsers: Any) -> None:
    _add_word_vectors(subparsers, "skipgram", "predicts each context word from a word")


def add_cbow(subparsers: Any) -> None:
    _add_word_vectors(subparsers, "cbow", "predicts a word from the mean of its context")


def _add_word_vectors(subparsers: Any, kind: str, how: str) -> None:
    p = command(
        subparsers,
        kind,
        help=f"train fastText word vectors ({kind}) on a text file",
        description=(
            f"Train fastText's {kind} word vectors ({how}; each word is the mean of its own row "
            "and its character n-grams' rows) on TRAIN, words separated by spaces, and save "
            "the model. As fastText: firstlayer " + kind + " -input data.txt -output vectors "
            "(writes vectors.bin and vectors.vec). Options take fastText's names."
        ),
        run=run_train,
    )
    _add_training(p, UnsupervisedArgs, "UTF-8 text", _UNSUP_HELP)
    p.set_defaults(model_kind=kind)


def add_quantize(subparsers: Any) -> None:
    p = command(
        subparsers,
        "quantize",
        help="compress a classifier into a .ftz (product quantization)",
        description=(
            "fastText's quantize: read the classifier PREFIX.bin and write PREFIX.ftz, its "
            "input matrix (and with -qout its output matrix) product-quantized, with -cutoff "
            "only the rows of largest norm kept, and with -retrain those rows trained again on "
            "-input. Example: firstlayer quantize -output model -input train.txt -cutoff "
            "100000 -retrain -qnorm."
        ),
        run=run_quantize,
    )
    defaults = inspect.signature(FastText.quantize).parameters
    p.add_argument("-output", "--output", dest="output", required=True, metavar="PREFIX",
                   help="the model to read is PREFIX.bin, the one written PREFIX.ftz")
    p.add_argument("-input", "--input", dest="input", metavar="TRAIN",
                   help="the training file, to retrain on (needed with -retrain)")
    for name, text in (("qnorm", "quantize each row's norm apart"),
                       ("qout", "quantize the output matrix too (256 labels or more)"),
                       ("retrain", "train the kept rows again on -input")):
        p.add_argument(f"-{name}", f"--{name}", dest=name, action="store_true", help=text)
    for name, kind, text in (
        ("cutoff", int, "keep only this many rows, those of largest norm; 0: all"),
        ("dsub", int, "columns per sub-vector, each stored as one byte"),
        ("epoch", int, "passes of -retrain"),
        ("lr", float, "learning rate of -retrain"),
        ("thread", int, "threads of -retrain"),
        ("verbose", int, "0 silent, 2 progress of -retrain"),
    ):
        default = defaults[name].default
        shown = "the model's" if default is None else default
        p.add_argument(f"-{name}", f"--{name}", dest=name, type=kind, default=default,
                       help=f"{text} (default: {shown})")


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


# ---- running them ----------------------------------------------------------------------------
def _check_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"can't write {path!r}: folder {folder!r} does not exist")


def _one(args: argparse.Namespace, a: str, b: str, what: str) -> Any:
    """The value of exactly one of two spellings of an argument."""
    first, second = getattr(args, a), getattr(args, b)
    if (first is None) == (second is None):
        raise UsageError(f"give {what}" if first is None else f"give {what} once")
    return first if second is None else second


def run_train(args: argparse.Namespace) -> int:
    """``firstlayer supervised|skipgram|cbow TRAIN -o MODEL`` (or ``-input TRAIN -output
    PREFIX``, as fastText): train, then save the model (and with ``-output``, the vectors)."""
    from ..models.fasttext import train_supervised, train_unsupervised

    source = _one(args, "input", "input_option", "the training file: TRAIN or -input TRAIN")
    _one(args, "output", "output_prefix", "where to save: -o MODEL or -output PREFIX")
    names = {f.name for f in fields(UnsupervisedArgs)}
    params = {k: v for k, v in vars(args).items() if k in names and v is not None}
    prefix = args.output_prefix
    path = args.output if prefix is None else prefix + ".bin"
    try:
        _check_folder(path)
        if args.model_kind == "supervised":
            model = train_supervised(source, **params)
        else:
            model = train_unsupervised(source, model=args.model_kind, **params)
        model.save_model(path)
        if prefix is not None:
            from .fasttext_query import write_vec

            write_vec(model, prefix + ".vec")
    except (OSError, ValueError, TypeError, FloatingPointError) as exc:
        raise UsageError(str(exc)) from None
    d = model._dict
    also = f" and {prefix}.vec" if prefix is not None else ""
    print(f"Saved {path}{also}: {d.nwords} words, {d.nlabels} labels, input matrix "
          f"{d.nwords + model.args.bucket} x {model.args.dim}")
    return 0


def run_quantize(args: argparse.Namespace) -> int:
    """``firstlayer quantize -output PREFIX [-input TRAIN] [-cutoff N] ...``: PREFIX.bin ->
    PREFIX.ftz, as fastText."""
    prefix = args.output[:-4] if args.output.endswith((".bin", ".ftz")) else args.output
    model = load_for_command(prefix + ".bin")
    try:
        _check_folder(prefix + ".ftz")
        model.quantize(input=args.input, qout=args.qout, cutoff=args.cutoff,
                       retrain=args.retrain, epoch=args.epoch, lr=args.lr, thread=args.thread,
                       verbose=args.verbose, dsub=args.dsub, qnorm=args.qnorm)
        model.save_model(prefix + ".ftz")
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Saved {prefix}.ftz ({os.path.getsize(prefix + '.ftz')} bytes)")
    return 0


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
    try:
        source = sys.stdin.buffer.read() if args.file == "-" else args.file
        n, precision, recall = model._test_source(source, k, threshold)
        k = model._check_k(k)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    print(f"N\t{n}")
    print(f"P@{k}\t{precision:.3g}")
    print(f"R@{k}\t{recall:.3g}")
    return 0


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
