"""``firstlayer word2vec CORPUS -o VECTORS``: train word vectors on a text file and write them.

The options are ``Word2Vec``'s, under command-line names, with its defaults (read from its
signature). Mistakes the user can fix (a missing or empty corpus, a ``--min-count`` that leaves
no words, a bad option value, a folder that does not exist) become ``UsageError``: one line on
stderr, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Any

from ..models.word2vec import Word2Vec  # no compiled kernel: they load when training starts
from ..vectors.formats.detect import FORMATS
from ._common import UsageError, add_output, command, one_line

# word2vec's numeric options: (flag, Word2Vec's parameter, type, help); the help ends with the
# parameter's default
_WORD2VEC_OPTIONS: list[tuple[str, str, type, str]] = [
    ("--dim", "vector_size", int, "vector size"),
    ("--window", "window", int, "context window"),
    ("--epochs", "epochs", int, "passes over the corpus"),
    ("--min-count", "min_count", int, "leave out words seen fewer times"),
    ("--negative", "negative", int, "noise words per example; 0: none"),
    ("--sample", "sample", float, "downsampling of frequent words; 0: off"),
    ("--alpha", "alpha", float, "learning rate at the start"),
    ("--workers", "workers", int, "training threads"),
    ("--seed", "seed", int, "random seed; with --workers 1 the same seed gives the same vectors"),
]


def add_word2vec(subparsers: Any) -> None:
    p = command(
        subparsers,
        "word2vec",
        help="train word vectors (word2vec) on a text file",
        description=(
            "Train word2vec (gensim's defaults: CBOW, negative sampling, 5 epochs) on CORPUS, "
            "one sentence per line with tokens separated by spaces (gzip/bz2/xz files are read "
            "directly), and write the vectors to VECTORS. Shows progress (words/s, loss, time "
            "left) on stderr."
        ),
        run=run_word2vec,
    )
    p.add_argument("corpus", metavar="CORPUS", help="the training text, one sentence per line")
    add_output(p, "VECTORS", "the vectors file to write (.gz/.bz2/.xz: compressed)")
    p.add_argument(
        "--format",
        default="word2vec",
        help="word2vec (text, the default), glove, word2vec-binary or cache",
    )
    p.add_argument("--sg", action="store_true", help="skip-gram (default: CBOW)")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax (with --negative 0)")
    defaults = inspect.signature(Word2Vec).parameters
    for flag, name, kind, text in _WORD2VEC_OPTIONS:
        default = defaults[name].default
        p.add_argument(flag, type=kind, default=default, help=f"{text} (default: {default})")
    p.add_argument(
        "--save-model",
        metavar="MODEL",
        help="also save the whole model (to train it further from Python)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run_word2vec(args: argparse.Namespace) -> int:
    """Train :class:`Word2Vec` on ``args.corpus`` and save the vectors to ``args.output``."""
    from ..models._corpus import LineSentence

    if args.format not in FORMATS:
        raise UsageError(f"unknown --format {args.format!r}; valid formats: {', '.join(FORMATS)}")
    if not os.path.isfile(args.corpus):
        raise UsageError(f"no such file: {args.corpus!r}")
    for path in (args.output, args.save_model):
        if path is not None:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise UsageError(f"can't write {path!r}: folder {folder!r} does not exist")
    corpus = LineSentence(args.corpus)
    try:
        model = Word2Vec(
            vector_size=args.dim, window=args.window, min_count=args.min_count,
            sample=args.sample, seed=args.seed, workers=args.workers, alpha=args.alpha,
            sg=int(args.sg), hs=int(args.hs), negative=args.negative, epochs=args.epochs,
            progress=not args.quiet,
        )
        model.build_vocab(corpus)
        model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    except (ValueError, TypeError) as exc:
        raise UsageError(one_line(exc)) from None
    model.wv.save(args.output, format=args.format)
    if args.save_model:
        model.save(args.save_model)
    if not args.quiet:
        print(
            f"{len(model.wv):,} words x {model.vector_size} dimensions from "
            f"{model.corpus_total_words:,} tokens -> {args.output}"
            + (f" (model: {args.save_model})" if args.save_model else ""),
            file=sys.stderr,
        )
    return 0
