"""The ``firstlayer`` command: ``firstlayer demo``, ``firstlayer --version``, ``--help``.

One module per family of commands, each with the functions that declare a command's arguments
(``add_*(subparsers)``) and the function that runs it (``run=``, by reference)::

    demo            firstlayer demo
    vectors         firstlayer vectors info | convert | neighbors | evaluate
    plot            firstlayer plot
    projector       firstlayer projector
    fasttext        firstlayer supervised | skipgram | cbow | quantize | test | predict |
                    predict-prob
    fasttext_query  firstlayer print-word-vectors | print-sentence-vectors | print-ngrams |
                    nn | analogies | dump
    word2vec        firstlayer word2vec

The command line imports the library, never the reverse. Declaring the arguments imports
nothing heavy, so that ``firstlayer --help`` is fast; numba and matplotlib load inside the
commands that need them. A command raises ``UsageError`` for a mistake in the command line,
which :func:`main` prints as one line on stderr with exit status 2.

>>> main(["demo", "--quick"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import demo, fasttext, fasttext_query, plot, projector, vectors, word2vec
from ._common import PROG, UsageError

__all__ = ["COMMANDS", "PROG", "UsageError", "build_parser", "main"]

# each adds one command (or one family) to the parser, in the order of ``firstlayer --help``
COMMANDS: list[Callable[[Any], None]] = [
    demo.add_demo,
    vectors.add_vectors,
    plot.add_plot,
    projector.add_projector,
    fasttext.add_supervised,
    fasttext.add_skipgram,
    fasttext.add_cbow,
    fasttext.add_quantize,
    fasttext.add_test,
    fasttext.add_predict,
    fasttext.add_predict_prob,
    fasttext_query.add_print_word_vectors,
    fasttext_query.add_print_sentence_vectors,
    fasttext_query.add_print_ngrams,
    fasttext_query.add_nn,
    fasttext_query.add_analogies,
    fasttext_query.add_dump,
    word2vec.add_word2vec,
]


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block) pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``firstlayer`` parser with every command of ``COMMANDS``."""
    from .. import __version__

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
