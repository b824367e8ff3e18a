"""``firstlayer plot VECTORS WORD... -o plot.png``: chosen words of a vectors file, drawn in 2-D.

The picture is ``firstlayer.plot``'s; this module reads the arguments, checks what can be
checked before the slow steps (matplotlib, the output's suffix and folder, the format name) and
turns every mistake a user can fix into a ``UsageError``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any

from ._common import PROG, UsageError, add_output, command, one_line


def add_plot(subparsers: Any) -> None:
    p = command(
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
        run=run_plot,  # matplotlib loads only when drawing
    )
    p.add_argument(
        "vectors",
        metavar="VECTORS",
        help="a word-vector file, any format that 'firstlayer vectors' reads",
    )
    p.add_argument("words", metavar="WORD", nargs="+", help="the words to draw (at least 2)")
    add_output(p, "PLOT", "the picture to write: .png (or .svg, .pdf)")
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


def run_plot(args: argparse.Namespace) -> int:
    """``firstlayer plot``: load the words' vectors, draw them, say what was written.

    Every mistake a user can fix (no matplotlib, a bad suffix or folder, a file that is not
    vectors, words the file lacks) is a ``UsageError``, checked before the slow steps where it
    can be: one line on stderr, exit status 2, nothing written.
    """
    from ..plot import MissingMatplotlibError, check_matplotlib, check_output_path, plot_words
    from ..vectors import load
    from ..vectors.formats.detect import FORMATS as VECTOR_FORMATS

    words = list(dict.fromkeys(args.words))  # once each, in the order given
    if len(words) < 2:
        raise UsageError(f"give at least 2 different words to plot, got {len(words)}")
    try:
        check_output_path(args.output)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.format not in ("auto", *VECTOR_FORMATS):
        raise UsageError(f"unknown vector format {args.format!r}; valid formats: auto, "
                         + ", ".join(VECTOR_FORMATS))
    try:
        check_matplotlib()  # before loading: no wait for a file only to learn this
    except MissingMatplotlibError as exc:
        raise UsageError(str(exc)) from None
    try:
        # Only the chosen words are kept: a 3-million-word file streams through in one pass.
        kv = load(args.vectors, format=args.format, vocab=words)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {exc.filename or args.vectors!r}") from None
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(one_line(exc)) from None
    unknown = [w for w in words if w not in kv]
    if unknown:
        raise UsageError(
            f"{len(unknown)} word(s) not in {args.vectors}: {', '.join(map(repr, unknown))}"
        )
    title = args.title if args.title is not None else os.path.basename(args.vectors)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = plot_words(words, kv[words], args.output, title=title,
                                normalize=not args.raw)
        except OSError as exc:
            raise UsageError(f"can't write {args.output!r}: {exc}") from None
    for warning in caught:
        print(f"{PROG} plot: warning: {warning.message}", file=sys.stderr)
    scaled = "as they are" if args.raw else "scaled to length 1"
    print(
        f"wrote {result.path}: {len(words)} words, vectors {scaled}; the axes hold "
        f"{result.explained[0]:.0%} and {result.explained[1]:.0%} of the variance"
    )
    if result.key:
        print("labels drawn as numbers (no installed font has their characters):")
    for number, word in result.key.items():
        print(f"  {number:>3}  {word}")
    return 0
