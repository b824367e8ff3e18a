"""``firstlayer word2vec CORPUS -o VECTORS``: train word vectors on a text file and write them.

``firstlayer.cli`` declares the arguments (``_add_word2vec``) and calls
:func:`run_word2vec_command`. Mistakes the user can fix (a missing or empty corpus, a
``--min-count`` that leaves no words, a bad option value, a folder that does not exist) become
``UsageError``: one line on stderr, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..cli import UsageError
from ..vectors.formats.detect import FORMATS


def run_word2vec_command(args: argparse.Namespace) -> int:
    """Train :class:`Word2Vec` on ``args.corpus`` and save the vectors to ``args.output``."""
    from ._corpus import LineSentence
    from .word2vec import Word2Vec

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
        raise UsageError(" ".join(str(exc).split())) from None
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
