"""``firstlayer demo``: the guided tour of a model's first layer (``firstlayer.demo``)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import UsageError, command


def add_demo(subparsers: Any) -> None:
    p = command(
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
        run=run_demo,
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
    p.add_argument(
        "--lang",
        choices=["en", "zh"],
        default=None,
        help="the language of the tour: en (English) or zh (Chinese, the words of the Chinese "
        "tutorial); default: zh when LC_ALL, LC_MESSAGES or LANG starts with zh, else en",
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


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo as tour  # imported here so that --help stays fast

    if isinstance(args.plot, str):  # --plot PATH: a mistake in it stops the demo at once
        from ..plot import check_output_path

        try:
            check_output_path(args.plot)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    tour(seed=args.seed, quick=args.quick, plot=args.plot, lang=args.lang)
    return 0
