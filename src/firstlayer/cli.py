"""The ``firstlayer`` command: ``firstlayer demo``, ``firstlayer --version``, ``--help``.

Each subcommand is one ``_add_<name>(subparsers)`` function that creates its parser with
``_command`` (name, help, description and ``run=``, the function that does the work) and
declares its arguments; add it to ``COMMANDS`` and it is wired in. Arguments that several
commands share are added by one small function each (``_add_output``, ``_add_classifier``).
A command's function takes the parsed arguments and returns the exit status; it raises
``UsageError`` for a mistake in the command line, which ``main`` prints as one line on stderr
with exit status 2 (argparse's own errors look the same).

>>> main(["demo", "--quick"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, NoReturn

PROG = "firstlayer"


class UsageError(Exception):
    """A mistake in the command line: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block) pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---- what several subcommands share ---------------------------------------------------------
def _command(
    subparsers: Any, name: str, help: str, description: str, run: Callable[[Any], int]
) -> Any:
    """The parser of the subcommand ``name``: ``help`` is its line in ``firstlayer --help``,
    ``description`` heads ``firstlayer <name> --help``, ``run(args)`` does the work."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def _run_from(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """``run=`` for a command whose work is the function ``name`` of ``module`` (relative to
    this package), imported only when the command runs: ``--help`` stays fast, and numba or
    matplotlib load only for the commands that need them."""

    def run(args: argparse.Namespace) -> int:
        command: Callable[[argparse.Namespace], int] = getattr(
            import_module(module, __package__), name
        )
        return command(args)

    return run


def _add_output(p: Any, metavar: str, help: str) -> None:
    """The required ``-o/--output`` file of the commands that write one."""
    p.add_argument("-o", "--output", required=True, metavar=metavar, help=help)


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


# ---- subcommands: one function each ----------------------------------------------------------
def _add_demo(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "demo",
        help="a guided tour of a model's first layer, after the seed document",
        description=(
            "A guided, printed tour of the seed document: one-hot vectors, nn.Linear and "
            "nn.Embedding (and proof that they are the same layer), three ways to initialise "
            "them, a few training steps, and the time and memory of one-hot + Linear against "
            "Embedding at V=50,000; then word2vec learning character vectors from a generated "
            "Chinese corpus, with a picture of them. Needs no files; takes about 15 s."
        ),
        run=_run_demo,
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for every random number; the same seed prints the same text (default: 0)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="measure section 5 at a small size (V=5,000): the whole tour in a few seconds",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--plot",
        metavar="PATH",
        default=True,
        help="write the picture of section 6 to PATH (.png, .svg or .pdf; default: "
        "firstlayer-demo.png in the temporary folder, so that nothing lands here)",
    )
    where.add_argument("--no-plot", dest="plot", action="store_false", help="draw no picture")


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo  # imported here so that --help stays fast

    if isinstance(args.plot, str):  # --plot PATH: a mistake in it stops the demo at once
        from .plot import check_output_path

        try:
            check_output_path(args.plot)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    run_demo(seed=args.seed, quick=args.quick, plot=args.plot)
    return 0


COMMANDS: list[Callable[[Any], None]] = [_add_demo]


def _add_vectors(subparsers: Any) -> None:
    """``firstlayer vectors info|convert|neighbors|evaluate``: see ``firstlayer.vectors.cli``."""
    from .vectors.cli import add_parser

    add_parser(subparsers)


COMMANDS.append(_add_vectors)


def _add_plot(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "plot",
        help="draw chosen words of a vectors file in 2-D (PCA), labelled",
        description=(
            "Draw WORDs at their coordinates on the first two principal components of their "
            "vectors (PCA), each labelled, and write the picture. Chinese, Japanese and Korean "
            "labels use an installed CJK font (e.g. apt-get install fonts-noto-cjk); without "
            "one they are drawn as numbers and the key is printed. Needs matplotlib: "
            'pip install "firstlayer[plot]".'
        ),
        run=_run_from(".plot", "run_plot_command"),  # matplotlib only when drawing
    )
    p.add_argument(
        "vectors",
        metavar="VECTORS",
        help="a word-vector file, any format that 'firstlayer vectors' reads",
    )
    p.add_argument("words", metavar="WORD", nargs="+", help="the words to draw (at least 2)")
    _add_output(p, "PLOT", "the picture to write: .png (or .svg, .pdf)")
    p.add_argument(
        "--format",
        default="auto",
        help="the vectors file's format (default: auto, from the content)",
    )
    p.add_argument("--title", help="a title above the picture (default: the file's name)")
    p.add_argument(
        "--raw",
        action="store_true",
        help="PCA of the vectors as they are (default: each scaled to length 1 "
        "first, the directions that cosine similarity compares)",
    )


COMMANDS.append(_add_plot)


# fastText's training options: (name, type, help); defaults live in train_supervised only
_SUPERVISED_OPTIONS: list[tuple[str, type, str]] = [
    ("lr", float, "learning rate at the start, decaying linearly to 0 (default: 0.1)"),
    ("dim", int, "size of the word vectors (default: 100)"),
    ("ws", int, "unused by supervised models, accepted for fastText's command line"),
    ("epoch", int, "passes over the training file (default: 5)"),
    ("minCount", int, "leave out words seen fewer times (default: 1)"),
    ("minCountLabel", int, "leave out labels seen fewer times (default: 0)"),
    ("minn", int, "shortest character n-gram (default: 0)"),
    ("maxn", int, "longest character n-gram; 0: none (default: 0)"),
    ("neg", int, "negative labels sampled per example with --loss ns (default: 5)"),
    ("wordNgrams", int, "longest word n-gram: 2 adds bigrams (default: 1)"),
    (
        "loss",
        str,
        "softmax, ns, ova (one-vs-all, for several labels per line) or hs (default: softmax)",
    ),
    ("bucket", int, "rows for hashed n-grams (default: 2000000; 0 without n-grams)"),
    ("thread", int, "training threads (default: the number of CPUs minus one)"),
    ("lrUpdateRate", int, "tokens between two updates of the learning rate (default: 100)"),
    ("t", float, "unused by supervised models, accepted for fastText's command line"),
    ("label", str, "the labels' prefix (default: __label__)"),
    ("verbose", int, "0 silent, 1 summary, 2 progress (default: 2)"),
    ("pretrainedVectors", str, "a .vec file of word vectors to start from (default: none)"),
    ("seed", int, "random seed; with --thread 1 the same seed gives the same model (default: 0)"),
]


def _add_supervised(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "supervised",
        help="train a fastText text classifier on a labelled file",
        description=(
            "Train fastText's supervised classifier (an EmbeddingBag over words and hashed word "
            "n-grams, then a Linear over the labels) on TRAIN, one document per line with its "
            "labels first ('__label__sports the match ended in a draw'), and save it to MODEL. "
            "Options take fastText's names, with one or two dashes (-lr 0.5 or --lr 0.5)."
        ),
        run=_run_from(".models.fasttext", "run_supervised_command"),
    )
    p.add_argument("input", metavar="TRAIN", help="the training file (UTF-8)")
    _add_output(p, "MODEL", "where to save the model (e.g. model.bin)")
    for name, kind, text in _SUPERVISED_OPTIONS:
        p.add_argument(f"--{name}", f"-{name}", dest=name, type=kind, default=None, help=text)


def _add_test(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "test",
        help="precision and recall at k of a classifier on a labelled file",
        description=(
            "Score a model that 'firstlayer supervised' saved on a labelled FILE ('-': standard "
            "input) and print, as fastText does, N (the lines with a known label), P@k (the "
            "share of predicted labels that are right) and R@k (the share of true labels "
            "predicted)."
        ),
        run=_run_from(".models.fasttext", "run_test_command"),
    )
    _add_classifier(p)
    p.add_argument("file", metavar="FILE", help="a labelled file, or - for standard input")


def _add_predict(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "predict",
        help="the most likely labels of each line of a text",
        description=(
            "Print, for each line of FILE (default: standard input), its k most likely labels "
            "separated by spaces; with --prob, each followed by its probability (fastText's "
            "predict and predict-prob)."
        ),
        run=_run_from(".models.fasttext", "run_predict_command"),
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


COMMANDS += [_add_supervised, _add_test, _add_predict]


# word2vec's numeric options: (flag, type, default, help); the help ends with the default
_WORD2VEC_OPTIONS: list[tuple[str, type, Any, str]] = [
    ("--dim", int, 100, "vector size"),
    ("--window", int, 5, "context window"),
    ("--epochs", int, 5, "passes over the corpus"),
    ("--min-count", int, 5, "leave out words seen fewer times"),
    ("--negative", int, 5, "noise words per example; 0: none"),
    ("--sample", float, 1e-3, "downsampling of frequent words; 0: off"),
    ("--alpha", float, 0.025, "learning rate at the start"),
    ("--workers", int, 3, "training threads"),
    ("--seed", int, 1, "random seed; with --workers 1 the same seed gives the same vectors"),
]


def _add_word2vec(subparsers: Any) -> None:
    p = _command(
        subparsers,
        "word2vec",
        help="train word vectors (word2vec) on a text file",
        description=(
            "Train word2vec (gensim's defaults: CBOW, negative sampling, 5 epochs) on CORPUS, "
            "one sentence per line with tokens separated by spaces (gzip/bz2/xz files are read "
            "directly), and write the vectors to VECTORS. Shows progress (words/s, loss, time "
            "left) on stderr."
        ),
        run=_run_from(".models._w2v_command", "run_word2vec_command"),
    )
    p.add_argument("corpus", metavar="CORPUS", help="the training text, one sentence per line")
    _add_output(p, "VECTORS", "the vectors file to write (.gz/.bz2/.xz: compressed)")
    p.add_argument(
        "--format",
        default="word2vec",
        help="word2vec (text, the default), glove, word2vec-binary or cache",
    )
    p.add_argument("--sg", action="store_true", help="skip-gram (default: CBOW)")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax (with --negative 0)")
    for flag, kind, default, text in _WORD2VEC_OPTIONS:
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default: {default})")
    p.add_argument(
        "--save-model",
        metavar="MODEL",
        help="also save the whole model (to train it further from Python)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


COMMANDS.append(_add_word2vec)


# ---- the entry point --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The ``firstlayer`` parser with every command of ``COMMANDS``."""
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="A model's first layer (Embedding, Linear) from scratch on NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def _utf8_stdout() -> None:
    """Make sure the demo's Chinese characters cannot crash printing.

    A terminal or pipe whose encoding cannot represent them (ASCII, Latin-1) gets UTF-8 with
    unencodable characters replaced, rather than a UnicodeEncodeError halfway through.
    """
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "我你".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``firstlayer`` with ``argv`` (default: the process's arguments); return the status.

    0 on success, 2 for a usage error (one line on stderr), 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required, e.g. 'firstlayer demo'")
    _utf8_stdout()
    try:
        status: int = args.run(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `firstlayer demo | head`: the reader left. Point stdout at /dev/null so that Python's
        # final flush does not report the broken pipe again (the recipe of the signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
