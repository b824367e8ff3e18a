"""fastText's commands that train, compress and apply a model, with fastText's option names.

``supervised``, ``skipgram`` and ``cbow`` train on a file and save the model (``-saveOutput``:
and its output matrix as text), ``quantize`` compresses a classifier into a ``.ftz``, ``test``
prints fastText's N / P@k / R@k on a labelled file (``test-label``: each label's F1, precision
and recall first), ``predict`` / ``predict-prob`` the most likely labels of each line (those
four in :mod:`.fasttext_classify`). Options take fastText's names (``-lr`` or ``--lr``) and
their defaults are those of ``SupervisedArgs`` / ``UnsupervisedArgs`` (and of
``FastText.quantize``); as in fastText, ``-input`` names the
training file and ``-output PREFIX`` writes ``PREFIX.bin`` and ``PREFIX.vec`` (``-o FILE``:
the model alone, to FILE). The commands that only read a model (``nn``, ``dump``...) are in
:mod:`.fasttext_query`. The compiled kernels load only when a command runs.
"""

from __future__ import annotations

import argparse
import inspect
import os
from dataclasses import MISSING, fields
from typing import Any

from ..models.fasttext import FastText, SupervisedArgs, UnsupervisedArgs
from ._common import UsageError, command
from .fasttext_classify import (  # the classifier's commands: cli/__init__ lists them here
    add_predict,  # noqa: F401
    add_predict_prob,  # noqa: F401
    add_test,  # noqa: F401
    load_for_command,
)

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
# fastText's autotune options (supervised): (option, train_supervised's name, type, help)
_AUTOTUNE_OPTIONS: list[tuple[str, str, type, str]] = [
    ("autotune-validation", "autotuneValidationFile", str,
     "search the hyper-parameters that score best on this labelled file"),
    ("autotune-metric", "autotuneMetric", str,
     "what to maximise: f1, f1:LABEL, precisionAtRecall:30[:LABEL], "
     "recallAtPrecision:30[:LABEL] (default: f1)"),
    ("autotune-predictions", "autotunePredictions", int,
     "labels predicted per line when scoring (default: 1)"),
    ("autotune-duration", "autotuneDuration", float, "seconds of search (default: 300)"),
    ("autotune-modelsize", "autotuneModelSize", str,
     "quantize to at most this size, e.g. 2M; -output PREFIX then writes PREFIX.ftz "
     "(default: no quantization)"),
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
    p.add_argument("-saveOutput", "--saveOutput", dest="save_output", action="store_true",
                   help="also write the output matrix as text, one row per label (supervised) "
                        "or word, to PREFIX.output (with -o MODEL: MODEL without its extension "
                        "+ .output), as fastText")
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
    for option, name, kind, text in _AUTOTUNE_OPTIONS:
        p.add_argument(f"-{option}", f"--{option}", dest=name, type=kind, default=None,
                       help=text)
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
    params.update({name: getattr(args, name) for _, name, _, _ in _AUTOTUNE_OPTIONS
                   if getattr(args, name, None) is not None})
    prefix = args.output_prefix
    ext = ".ftz" if params.get("autotuneModelSize") else ".bin"  # fastText's choice
    path = args.output if prefix is None else prefix + ext
    try:
        _check_folder(path)
        if args.model_kind == "supervised":
            model = train_supervised(source, **params)
        else:
            model = train_unsupervised(source, model=args.model_kind, **params)
        model.save_model(path)
        if prefix is not None:
            from .fasttext_query import write_vec

            if model.is_quantized():  # autotune's -autotune-modelsize: vectors from the codes
                _write_vec_quantized(model, prefix + ".vec")
            else:
                write_vec(model, prefix + ".vec")
        if args.save_output:
            out_path = (os.path.splitext(path)[0] if prefix is None else prefix) + ".output"
            write_output(model, out_path)
    except (OSError, ValueError, TypeError, FloatingPointError) as exc:
        raise UsageError(str(exc)) from None
    d = model._dict
    also = f" and {prefix}.vec" if prefix is not None else ""
    if args.save_output:
        also += f" and {out_path}"
    print(f"Saved {path}{also}: {d.nwords} words, {d.nlabels} labels, input matrix "
          f"{d.nwords + model.args.bucket} x {model.args.dim}")
    return 0


def _write_vec_quantized(model: FastText, path: str) -> None:
    """fastText's ``saveVectors`` of a quantized model (each word's vector decoded)."""
    from .._atomic import atomic_write
    from .fasttext_query import vector_text

    words = model.words
    with atomic_write(path, "wb") as f:
        f.write(f"{len(words)} {model.args.dim}\n".encode())
        for word in words:
            f.write(f"{word} {vector_text(model.get_word_vector(word))}\n".encode(
                "utf-8", "surrogateescape"))


def write_output(model: FastText, path: str) -> None:
    """fastText's ``saveOutput``: ``rows dim``, then ``name v1 ... vn`` per row of the output
    matrix (labels of a classifier, words of word vectors), atomically."""
    from .._atomic import atomic_write
    from .fasttext_query import vector_text

    d = model._dict
    names = d.entries[d.nwords :] if model.is_supervised else d.entries[: d.nwords]
    rows = model.get_output_matrix()
    with atomic_write(path, "wb") as f:
        f.write(f"{len(names)} {model.args.dim}\n".encode())
        f.write(b"".join(name + b" " + vector_text(row).encode() + b"\n"
                         for name, row in zip(names, rows)))


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
