"""fastText's commands that ask a saved model: vectors, n-grams, neighbours, analogies, dump.

As fastText's, byte for byte: ``print-word-vectors`` reads words from standard input and
prints ``word v1 v2 ... vn `` (5 significant digits, a space after each number),
``print-sentence-vectors`` one vector per input line, ``print-ngrams MODEL WORD`` each n-gram
of the word with its row, ``nn`` and ``analogies`` prompt on standard output and answer each
query with ``word score`` lines, ``dump MODEL args|dict|input|output`` prints what the model
holds (matrices with 6 significant digits). Text goes out as the model's bytes (UTF-8, or
whatever bytes its dictionary holds).

Where fastText's commands misbehave, these don't: ``print-ngrams`` prints each n-gram's row
(fastText adds it to an uninitialised vector, so some numbers are garbage; on a ``.ftz`` it
also pairs n-grams with the wrong rows), ``analogies`` stops at the end of its input (fastText
repeats the last query forever), and ``dump input|output`` of a quantized model is an error,
exit status 2 (fastText prints its message and exits 0). ``print-sentence-vectors`` of a
classifier counts the end of the line (``</s>``) also on a last line without a newline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._common import UsageError, command

if TYPE_CHECKING:
    import numpy as np

    from ..models.fasttext import FastText

_ROWS_AT_ONCE = 4096  # matrix rows formatted per write by dump and the .vec writer
# fastText's names for its loss and model in ``dump MODEL args``
_LOSS_NAMES = {"ova": "one-vs-all"}
_MODEL_NAMES = {"skipgram": "sg", "supervised": "sup"}


def _model_arg(p: Any) -> None:
    p.add_argument("model", metavar="MODEL", help="a model (.bin or .ftz, fastText's or ours)")


def add_print_word_vectors(subparsers: Any) -> None:
    p = command(subparsers, "print-word-vectors",
                help="the vectors of the words read from standard input",
                description="Read words from standard input (separated by spaces or newlines) "
                            "and print, for each, 'word v1 v2 ... vn' as fastText does; words "
                            "the model has never seen get the mean of their n-grams' rows.",
                run=run_print_word_vectors)
    _model_arg(p)


def add_print_sentence_vectors(subparsers: Any) -> None:
    p = command(subparsers, "print-sentence-vectors",
                help="the vector of each line read from standard input",
                description="Read lines from standard input and print one vector per line, as "
                            "fastText's get_sentence_vector computes it (a classifier: the mean "
                            "of the line's rows; word vectors: the mean of its words' unit "
                            "vectors).",
                run=run_print_sentence_vectors)
    _model_arg(p)


def add_print_ngrams(subparsers: Any) -> None:
    p = command(subparsers, "print-ngrams", help="the n-grams of a word and their vectors",
                description="Print the word (when the model knows it) and each of its character "
                            "n-grams with its row of the input matrix, one per line.",
                run=run_print_ngrams)
    _model_arg(p)
    p.add_argument("word", metavar="WORD", help="the word")


def add_nn(subparsers: Any) -> None:
    p = command(subparsers, "nn", help="nearest neighbours of the words read from standard input",
                description="Prompt 'Query word? ' and print, for each word read from standard "
                            "input, its K nearest words by cosine, 'word score' per line, as "
                            "fastText's nn.",
                run=run_nn)
    _model_arg(p)
    p.add_argument("k", metavar="K", type=int, nargs="?", default=10,
                   help="neighbours per word (default: 10)")


def add_analogies(subparsers: Any) -> None:
    p = command(subparsers, "analogies", help="analogies A - B + C read from standard input",
                description="Prompt 'Query triplet (A - B + C)? ' and print, for each three "
                            "words read from standard input, the K words nearest A - B + C, "
                            "'word score' per line, as fastText's analogies.",
                run=run_analogies)
    _model_arg(p)
    p.add_argument("k", metavar="K", type=int, nargs="?", default=10,
                   help="words per query (default: 10)")


def add_dump(subparsers: Any) -> None:
    p = command(subparsers, "dump", help="print a model's arguments, dictionary or a matrix",
                description="Print, as fastText's dump: args (the training arguments the file "
                            "keeps), dict (each entry with its count and type), input or "
                            "output (the matrix: its size, then one row per line).",
                run=run_dump)
    _model_arg(p)
    p.add_argument("option", metavar="OPTION", choices=("args", "dict", "input", "output"),
                   help="args, dict, input or output")


# ---- writing as fastText ---------------------------------------------------------------------
def _write(text: str) -> None:
    """Write ``text`` to standard output as bytes (words that are not UTF-8 come out as the
    bytes they were)."""
    data = text.encode("utf-8", "surrogateescape")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8", "replace"))
    else:
        sys.stdout.flush()
        buffer.write(data)


def _flush() -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.flush()


def vector_text(vec: np.ndarray) -> str:
    """fastText's ``operator<<(Vector)``: each number with 5 significant digits, then a space."""
    return "".join(f"{x:.5g} " for x in vec.tolist())


def _rows_text(rows: np.ndarray) -> str:
    """fastText's ``DenseMatrix::dump`` rows: 6 significant digits, spaces between."""
    return "".join(" ".join(f"{x:g}" for x in row) + "\n" for row in rows.tolist())


def _decode(word: bytes) -> str:
    return word.decode("utf-8", "surrogateescape")


def _stdin_words() -> Iterator[str]:
    """The words of standard input, split as C++'s ``cin >> word`` splits them, a line at a
    time (so that an interactive session answers each line as it comes)."""
    for line in sys.stdin.buffer:
        for word in line.split():
            yield _decode(word)


def _load(path: str) -> FastText:
    from .fasttext import load_for_command

    return load_for_command(path)


def _word_vectors(model: FastText) -> np.ndarray:
    """``(nwords, dim)``: every word's vector of a dense model, computed as fastText's
    ``getWordVector`` does (its rows added one after the other in float32, the sum times
    ``float(1/n)``), so that the ``.vec`` holds fastText's digits."""
    from ..models.fasttext._queries import mean_rows
    from ..models.fasttext._unsup import word_subwords

    ptr, rows = word_subwords(model._dict, model.args)
    return mean_rows(model.model.input.weight._data, ptr, rows)


def write_vec(model: FastText, path: str) -> None:
    """fastText's ``saveVectors``: ``nwords dim``, then ``word v1 ... vn`` per word (atomic)."""
    from .._atomic import atomic_write

    vecs = _word_vectors(model)
    words = model._dict.entries[: model._dict.nwords]
    with atomic_write(path, "wb") as f:
        f.write(f"{len(words)} {model.args.dim}\n".encode())
        for lo in range(0, len(words), _ROWS_AT_ONCE):
            chunk = vecs[lo : lo + _ROWS_AT_ONCE]
            f.write(b"".join(w + b" " + vector_text(v).encode() + b"\n"
                             for w, v in zip(words[lo : lo + _ROWS_AT_ONCE], chunk)))


# ---- running them ----------------------------------------------------------------------------
def run_print_word_vectors(args: argparse.Namespace) -> int:
    """``firstlayer print-word-vectors MODEL < words``."""
    model = _load(args.model)
    for word in _stdin_words():
        _write(f"{word} {vector_text(model.get_word_vector(word))}\n")
        _flush()
    return 0


def run_print_sentence_vectors(args: argparse.Namespace) -> int:
    """``firstlayer print-sentence-vectors MODEL < lines``."""
    model = _load(args.model)
    for line in sys.stdin.buffer:
        text = _decode(line.rstrip(b"\n"))
        _write(vector_text(model.get_sentence_vector(text)) + "\n")
        _flush()
    return 0


def run_print_ngrams(args: argparse.Namespace) -> int:
    """``firstlayer print-ngrams MODEL WORD``."""
    import numpy as np

    from ..models.fasttext._hash import char_ngrams, fnv1a

    model = _load(args.model)
    d, a = model._dict, model.args
    data = args.word.encode("utf-8", "surrogateescape")
    rows: list[tuple[bytes, int]] = []
    i = d.index.get(data, -1)
    if i >= 0:
        rows.append((data, i))
    if data != b"</s>" and a.maxn > 0:
        pruned = d.pruneidx if d.pruneidx is not None else getattr(model, "_pruneidx", None)
        for ngram in char_ngrams(data, a.minn, a.maxn):
            h = fnv1a(ngram) % a.bucket
            # an n-gram whose row quantize's cutoff dropped: a zero vector
            row = d.nwords + h if pruned is None else d.nwords + pruned.get(h, -1 - d.nwords)
            rows.append((ngram, row))
    zero = np.zeros(a.dim, np.float32)
    for ngram, row in rows:
        vec = model.get_input_vector(row) if row >= 0 else zero
        _write(f"{_decode(ngram)} {vector_text(vec)}\n")
    return 0


def _print_answers(answers: list[tuple[float, str]]) -> None:
    _write("".join(f"{word} {score:g}\n" for score, word in answers))


def run_nn(args: argparse.Namespace) -> int:
    """``firstlayer nn MODEL [K] < words``: fastText's prompt and answers."""
    model = _load(args.model)
    prompt = "Query word? "
    _write(prompt)
    _flush()
    for word in _stdin_words():
        _print_answers(model.get_nearest_neighbors(word, k=args.k, on_unicode_error="replace"))
        _write(prompt)
        _flush()
    return 0


def run_analogies(args: argparse.Namespace) -> int:
    """``firstlayer analogies MODEL [K] < triplets``: fastText's prompt and answers (at the end
    of the input it stops, where fastText repeats the last query forever)."""
    if args.k <= 0:
        raise UsageError(f"k needs to be 1 or higher, got {args.k}")
    _write(f"Loading model {args.model}\n")
    model = _load(args.model)
    prompt = "Query triplet (A - B + C)? "
    _write(prompt)
    _flush()
    words: list[str] = []
    for word in _stdin_words():
        words.append(word)
        if len(words) == 3:
            a, b, c = words
            _print_answers(model.get_analogies(a, b, c, k=args.k, on_unicode_error="replace"))
            _write(prompt)
            _flush()
            words = []
    return 0


def run_dump(args: argparse.Namespace) -> int:
    """``firstlayer dump MODEL args|dict|input|output``."""
    model = _load(args.model)
    if args.option == "args":
        a = model.args
        model_name = getattr(a, "model", "supervised")
        values = [("dim", a.dim), ("ws", a.ws), ("epoch", a.epoch), ("minCount", a.minCount),
                  ("neg", a.neg), ("wordNgrams", a.wordNgrams),
                  ("loss", _LOSS_NAMES.get(a.loss, a.loss)),
                  ("model", _MODEL_NAMES.get(model_name, model_name)), ("bucket", a.bucket),
                  ("minn", a.minn), ("maxn", a.maxn), ("lrUpdateRate", a.lrUpdateRate),
                  ("t", f"{a.t:g}")]
        _write("".join(f"{name} {value}\n" for name, value in values))
    elif args.option == "dict":
        d = model._dict
        lines = [f"{len(d.entries)}\n"]
        for i, (entry, count) in enumerate(zip(d.entries, d.counts.tolist())):
            lines.append(f"{_decode(entry)} {count} {'word' if i < d.nwords else 'label'}\n")
        _write("".join(lines))
    else:
        if model.is_quantized():
            raise UsageError(f"dump {args.option}: not supported for quantized models (as "
                             "fastText); dump the .bin the model was quantized from")
        weight = (model.model.input if args.option == "input" else model.model.output).weight
        matrix = weight._data
        _write(f"{matrix.shape[0]} {matrix.shape[1]}\n")
        for lo in range(0, matrix.shape[0], _ROWS_AT_ONCE):
            _write(_rows_text(matrix[lo : lo + _ROWS_AT_ONCE]))
    return 0
