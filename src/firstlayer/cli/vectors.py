"""``firstlayer vectors ...``: inspect, convert, query and evaluate word-vector files.

:func:`add_vectors` declares the ``vectors`` command and its subcommands; each subcommand is a
``_run_<name>(args)`` function here. A mistake the user can fix (a missing file, an unknown
word, a bad format name, a file that does not parse) becomes a ``UsageError``: one line on
stderr, exit status 2, no traceback.

    firstlayer vectors info glove.6B.50d.txt
    firstlayer vectors convert glove.6B.50d.txt glove.cache --to cache
    firstlayer vectors neighbors glove.cache king queen --topn 5
    firstlayer vectors evaluate glove.cache --pairs wordsim353.tsv --analogies questions-words.txt
"""

from __future__ import annotations

import argparse
import os
import unicodedata
from typing import TYPE_CHECKING, Any

from ..vectors.formats.detect import FORMATS  # the format names load() and save() take
from ._common import UsageError, user_errors

if TYPE_CHECKING:
    from ..vectors.keyed import KeyedVectors

_KEYS_SHOWN = 8


def _check_format(name: str, allow_auto: bool) -> str:
    valid = (("auto",) if allow_auto else ()) + FORMATS
    if name not in valid:
        raise UsageError(
            f"unknown vector format {name!r}; valid formats: {', '.join(valid)}"
        )
    return name


def _load(path: str, fmt: str = "auto", **kw: Any) -> KeyedVectors:
    """``firstlayer.vectors.load``, with a missing file reported as a usage error."""
    from ..vectors import load

    fmt = _check_format(fmt, allow_auto=True)
    try:
        kv: KeyedVectors = load(path, format=fmt, **kw)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {exc.filename or path!r}") from None
    return kv


def _columns(text: str) -> int:
    """Terminal columns of ``text``: CJK (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _size(path: str) -> str:
    """The size of a file, or of the files in a folder (the cache format), for people."""
    if os.path.isdir(path):
        entries = (os.path.join(path, name) for name in os.listdir(path))
        size = float(sum(os.path.getsize(e) for e in entries if os.path.isfile(e)))
    else:
        size = float(os.path.getsize(path))
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""  # unreachable


# ---- the subcommands --------------------------------------------------------------------------
@user_errors
def _run_info(args: argparse.Namespace) -> int:
    # The head of the file is enough where a header holds the count (word2vec text and
    # binary: the first keys, the dim; a header that miscounts is shown as it says, a full
    # load would warn or raise); other formats are read whole.
    kv = _load(args.file, args.format, limit=_KEYS_SHOWN + 1, progress=False)
    report = kv.load_report  # type: ignore[attr-defined]
    count = report.header_count
    if count is None:
        kv = _load(args.file, args.format)
        report = kv.load_report  # type: ignore[attr-defined]
        count = len(kv)
    fmt = report.format + (f", {report.compression}-compressed" if report.compression else "")
    keys = ", ".join(repr(k) for k in kv.index_to_key[:_KEYS_SHOWN])
    more = ", ..." if count > _KEYS_SHOWN else ""
    print(f"file    {args.file} ({_size(args.file)})")
    print(f"format  {fmt}")
    print(f"count   {count:,}")
    print(f"dim     {kv.vector_size}")
    print(f"dtype   {kv.vectors.dtype}")
    print(f"keys    {keys}{more}")
    return 0


@user_errors
def _run_convert(args: argparse.Namespace) -> int:
    fmt = _check_format(args.to, allow_auto=False)
    if os.path.abspath(args.input) == os.path.abspath(args.output):
        raise UsageError(f"input and output are the same file ({args.input!r})")
    kv = _load(args.input, args.from_format, limit=args.limit)
    kv.save(args.output, format=fmt)
    print(f"wrote {args.output}: {len(kv):,} vectors of dim {kv.vector_size}, format {fmt}")
    return 0


@user_errors
def _run_neighbors(args: argparse.Namespace) -> int:
    from ..vectors._suggest import closest_keys

    if args.topn < 1:
        raise UsageError(f"--topn must be at least 1, got {args.topn}")
    kv = _load(args.file, args.format)
    for word in args.words:  # check every word before printing anything
        if word not in kv:
            close = closest_keys(word, kv.index_to_key, kv.key_to_index)
            hint = f"; closest keys: {', '.join(repr(k) for k in close)}" if close else ""
            raise UsageError(f"{word!r} is not in {args.file} ({len(kv):,} keys){hint}")
    for n, word in enumerate(args.words):
        if n:
            print()
        print(word)
        results = kv.most_similar(word, topn=args.topn, restrict_vocab=args.restrict_vocab)
        width = max((_columns(str(k)) for k, _ in results), default=0)
        for rank, (key, score) in enumerate(results, 1):
            pad = " " * (width - _columns(str(key)))
            print(f"  {rank:>3}  {key}{pad}  {score:7.4f}")
    return 0


@user_errors
def _run_evaluate(args: argparse.Namespace) -> int:
    if args.pairs is None and args.analogies is None:
        raise UsageError("give --pairs FILE and/or --analogies FILE to evaluate against")
    for path in (args.pairs, args.analogies):
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"no such file: {path!r}")
    kv = _load(args.file, args.format)
    options = {
        "restrict_vocab": args.restrict_vocab,
        "case_insensitive": not args.case_sensitive,
        "dummy4unknown": args.dummy4unknown,
    }
    if args.pairs is not None:
        pearson, spearman, oov = kv.evaluate_word_pairs(
            args.pairs, delimiter=args.delimiter, **options
        )
        print(
            f"pairs      {args.pairs}: Pearson {pearson[0]:.4f} (p={pearson[1]:.2g}), "
            f"Spearman {spearman[0]:.4f} (p={spearman[1]:.2g}), "
            f"unknown words in {oov:.1f}% of the pairs"
        )
    if args.analogies is not None:
        score, sections = kv.evaluate_word_analogies(args.analogies, **options)
        total = sections[-1]
        answered = len(total["correct"]) + len(total["incorrect"])
        print(
            f"analogies  {args.analogies}: {100 * score:.1f}% correct "
            f"({len(total['correct']):,} of {answered:,})"
        )
        width = max((len(s["section"]) for s in sections[:-1]), default=0)
        for s in sections[:-1]:
            n = len(s["correct"]) + len(s["incorrect"])
            share = f"{100 * len(s['correct']) / n:5.1f}%" if n else "    -"
            print(f"  {s['section']:<{width}}  {share}  ({len(s['correct'])}/{n})")
    return 0


def _run_no_subcommand(args: argparse.Namespace) -> int:
    raise UsageError(
        "a subcommand is required: info, convert, neighbors or evaluate "
        "(see 'firstlayer vectors --help')"
    )


# ---- the parser -------------------------------------------------------------------------------
def add_vectors(subparsers: Any) -> None:
    """Add ``vectors`` and its subcommands to ``firstlayer``'s subparsers."""
    p = subparsers.add_parser(
        "vectors",
        help="inspect, convert, query and evaluate word-vector files",
        description=(
            "Word-vector files (word2vec text or binary, fastText .vec, GloVe, firstlayer's "
            "memory-mapped cache; gzip/bz2/xz compressed too): what they hold, conversion "
            "between formats, nearest neighbours, and the standard evaluations."
        ),
    )
    p.set_defaults(run=_run_no_subcommand)
    sub = p.add_subparsers(title="subcommands", dest="vectors_command", metavar="SUBCOMMAND")
    fmt_help = f"the input's format: auto (detected from the content), {', '.join(FORMATS)}"

    info = sub.add_parser("info", help="format, count, dimension and the first keys of a file")
    info.add_argument("file", metavar="FILE")
    info.add_argument("--format", default="auto", help=fmt_help)
    info.set_defaults(run=_run_info)

    convert = sub.add_parser("convert", help="rewrite a vector file in another format")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT",
                         help="the file to write (.gz, .bz2, .xz: compressed)")
    convert.add_argument("--to", required=True, metavar="FORMAT",
                         help=f"the output format: {', '.join(FORMATS)}")
    convert.add_argument("--from", dest="from_format", default="auto", metavar="FORMAT",
                         help=fmt_help)
    convert.add_argument("--limit", type=int, default=None, help="keep the first N vectors")
    convert.set_defaults(run=_run_convert)

    neighbors = sub.add_parser("neighbors", help="the nearest keys of each WORD by cosine")
    neighbors.add_argument("file", metavar="FILE")
    neighbors.add_argument("words", metavar="WORD", nargs="+")
    neighbors.add_argument("--topn", type=int, default=10, help="how many (default: 10)")
    neighbors.add_argument("--restrict-vocab", type=int, default=None, metavar="N",
                           help="search the first N keys only")
    neighbors.add_argument("--format", default="auto", help=fmt_help)
    neighbors.set_defaults(run=_run_neighbors)

    evaluate = sub.add_parser(
        "evaluate", help="word-pair correlations and analogy accuracy, as gensim computes them"
    )
    evaluate.add_argument("file", metavar="FILE")
    evaluate.add_argument("--pairs", metavar="F",
                          help="word1<TAB>word2<TAB>score lines (WordSim-353, SimLex-999)")
    evaluate.add_argument("--analogies", metavar="F",
                          help="': section' lines and 'a b c d' questions (questions-words.txt)")
    evaluate.add_argument("--restrict-vocab", type=int, default=300000, metavar="N",
                          help="use the first N keys only (default: 300000)")
    evaluate.add_argument("--case-sensitive", action="store_true",
                          help="compare words as written (default: upper-cased)")
    evaluate.add_argument("--dummy4unknown", action="store_true",
                          help="count questions with unknown words as wrong (default: skip)")
    evaluate.add_argument("--delimiter", default="\t", help="of the pairs file (default: tab)")
    evaluate.add_argument("--format", default="auto", help=fmt_help)
    evaluate.set_defaults(run=_run_evaluate)
