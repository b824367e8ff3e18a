"""The ``firstlayer`` command: ``firstlayer demo``, ``firstlayer --version``, ``--help``.

Each subcommand is one ``_add_<name>(subparsers)`` function that declares its arguments and
sets ``run=`` to the function that does the work; add it to ``COMMANDS`` and it is wired in.
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
from typing import Any, NoReturn

PROG = "firstlayer"


class UsageError(Exception):
    """A mistake in the command line: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block) pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---- subcommands: one function each ----------------------------------------------------------
def _add_demo(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="a guided tour of a model's first layer, after the seed document",
        description=(
            "A guided, printed tour of the seed document: one-hot vectors, nn.Linear and "
            "nn.Embedding (and proof that they are the same layer), three ways to initialise "
            "them, a few training steps, and the time and memory of one-hot + Linear against "
            "Embedding at V=50,000; then word2vec learning character vectors from a generated "
            "Chinese corpus, with a picture of them. Needs no files; takes about 15 s."
        ),
    )
    p.add_argument(
        "--seed", type=int, default=0,
        help="seed for every random number; the same seed prints the same text (default: 0)",
    )
    p.add_argument(
        "--quick", action="store_true",
        help="measure section 5 at a small size (V=5,000): the whole tour in a few seconds",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--plot", metavar="PATH", default=True,
        help="write the picture of section 6 to PATH (.png, .svg or .pdf; default: "
        "firstlayer-demo.png in the temporary folder, so that nothing lands here)",
    )
    where.add_argument(
        "--no-plot", dest="plot", action="store_false", help="draw no picture",
    )
    p.set_defaults(run=_run_demo)


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
    p = subparsers.add_parser(
        "plot",
        help="draw chosen words of a vectors file in 2-D (PCA), labelled",
        description=(
            "Draw WORDs at their coordinates on the first two principal components of their "
            "vectors (PCA), each labelled, and write the picture. Chinese, Japanese and Korean "
            "labels use an installed CJK font (e.g. apt-get install fonts-noto-cjk); without "
            "one they are drawn as numbers and the key is printed. Needs matplotlib: "
            'pip install "firstlayer[plot]".'
        ),
    )
    p.add_argument("vectors", metavar="VECTORS", help="a word-vector file, any format that "
                   "'firstlayer vectors' reads")
    p.add_argument("words", metavar="WORD", nargs="+", help="the words to draw (at least 2)")
    p.add_argument("-o", "--output", required=True, metavar="PLOT",
                   help="the picture to write: .png (or .svg, .pdf)")
    p.add_argument("--format", default="auto",
                   help="the vectors file's format (default: auto, from the content)")
    p.add_argument("--title", help="a title above the picture (default: the file's name)")
    p.add_argument("--raw", action="store_true",
                   help="PCA of the vectors as they are (default: each scaled to length 1 "
                   "first, the directions that cosine similarity compares)")
    p.set_defaults(run=_run_plot)


def _run_plot(args: argparse.Namespace) -> int:
    from .plot import run_plot_command  # matplotlib is imported only when drawing

    return run_plot_command(args)


COMMANDS.append(_add_plot)


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
