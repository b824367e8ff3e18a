"""fastText's supervised text classifier, made of a first layer: ``train_supervised``.

fastText's classifier is nothing but the first layer and one Linear::

    text -> ids of its words and hashed word n-grams -> EmbeddingBag(mode="mean")   (hidden, D)
         -> Linear(D, labels, bias=False) -> softmax                                 (labels,)

:func:`train_supervised` reads a file in fastText's format (one document per line, its labels
as words that start with ``__label__``), builds fastText's dictionary, and trains those two
layers by SGD, one line at a time, on ``thread`` threads at once (Hogwild), with fastText's
names, defaults and hashing (same settings, same model size). The :class:`FastText` it returns
answers fastText's Python API: ``predict``, ``test``, ``test_label``, ``get_word_vector``,
``get_sentence_vector``, ``words``, ``labels``, ``save_model``; :func:`load_model` reads a saved
model back.

>>> from firstlayer.models import train_supervised
>>> model = train_supervised("cooking.train", epoch=25, wordNgrams=2)  # doctest: +SKIP
>>> model.predict("Which baking dish is best to bake a banana bread ?")  # doctest: +SKIP
(('__label__baking',), array([0.8125]))

Where the flow lives: ``_fasttext_hash`` (tokens and n-grams -> rows, fastText's hashes),
``_fasttext_kernels`` (the compiled loops: encoding lines, the SGD step), this file (the file
format, the dictionary, the model, the API, saving and loading).

Differences from fastText, on purpose:

- Every row of the input matrix starts at U(-1/dim, 1/dim). fastText fills only the first
  ``thread`` tenths of it (``DenseMatrix::uniform``) and leaves the rest as whatever the memory
  held (``posix_memalign`` does not zero it): where that memory held NaN, fastText stops with
  "Encountered NaN", at any learning rate (most runs on small data with 1 or 2 threads; none
  with 10 threads or more, whose tenths cover the matrix); where it held large values, its
  accuracy drops. Here training is stable, and softmax subtracts the largest score before
  ``exp``.
- ``predict`` returns the model's probabilities (fastText returns ``p + 1e-5``), and accepts
  newlines in the text (they separate words like spaces do; fastText raises ``ValueError``).
- Mistakes in a training file are errors that name the line: a line with labels but no text, a
  line with text but no label, a file with no label at all. fastText skips such lines.
- Models are saved in a safe format of our own (safetensors + JSON, no pickle); fastText's
  ``.bin`` files cannot be read.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..serialization import CheckpointError, load_metadata
from ..serialization import load as _load_tensors
from ..serialization import save as _save_tensors
from ..tensor import Tensor
from . import _fasttext_kernels as K
from ._fasttext_hash import EOS, char_ngram_rows

__all__ = [
    "FastText",
    "FastTextClassifier",
    "ModelFileError",
    "SupervisedArgs",
    "SupervisedFileError",
    "load_model",
    "train_supervised",
]

PathLike = str | os.PathLike

FORMAT = "firstlayer.fasttext.supervised"
FORMAT_VERSION = "1"
LOSSES = {"softmax": K.LOSS_SOFTMAX, "ns": K.LOSS_NS, "ova": K.LOSS_OVA, "hs": K.LOSS_HS}

_EOS = EOS.encode()
_READ_BLOCK = 1 << 24  # bytes read at a time: the token lists of one block stay small
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # the first 4 bytes of fastText's .bin
_PREDICT_BATCH = 8192  # lines read at once by the predict command
_SCORES_AT_ONCE = 1 << 22  # predict/test score lines in batches of (lines x labels) <= this
# fastText's Python aliases for some arguments (``read_args`` in its FastText.py)
_ALIASES = {
    "min_count": "minCount",
    "word_ngrams": "wordNgrams",
    "lr_update_rate": "lrUpdateRate",
    "label_prefix": "label",
    "pretrained_vectors": "pretrainedVectors",
}


class SupervisedFileError(ValueError):
    """A training or test file that cannot be used as it is; the message names the file, the
    line and the way out."""


class ModelFileError(ValueError):
    """A file that is not a model :meth:`FastText.save_model` wrote, or one that is truncated
    or damaged."""


def _default_threads() -> int:
    # fastText's Python default: all cores but one
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass
class SupervisedArgs:
    """The hyper-parameters of :func:`train_supervised`, with fastText's names and defaults.

    ``ws`` and ``t`` only matter to fastText's unsupervised models; they are kept so that
    fastText's calls run unchanged.
    """

    lr: float = 0.1
    dim: int = 100
    ws: int = 5
    epoch: int = 5
    minCount: int = 1
    minCountLabel: int = 0
    minn: int = 0
    maxn: int = 0
    neg: int = 5
    wordNgrams: int = 1
    loss: str = "softmax"
    bucket: int = 2000000
    thread: int = 1
    lrUpdateRate: int = 100
    t: float = 1e-4
    label: str = "__label__"
    verbose: int = 2
    pretrainedVectors: str = ""
    seed: int = 0

    def check(self) -> None:
        """Raise ``ValueError``/``TypeError`` naming the first argument that is out of range."""
        for name in ("dim", "ws", "epoch", "minCount", "minCountLabel", "minn", "maxn", "neg",
                     "wordNgrams", "bucket", "thread", "lrUpdateRate", "verbose", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {value!r}")
        positive = ("dim", "epoch", "wordNgrams", "thread", "lrUpdateRate")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("minCount", "minCountLabel", "minn", "maxn", "bucket", "neg", "ws"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")
        if self.loss == "ns" and self.neg < 1:
            raise ValueError("loss='ns' needs neg >= 1 negative labels per example")
        if self.maxn > 0 and self.minn > self.maxn:
            raise ValueError(f"minn ({self.minn}) must be <= maxn ({self.maxn})")
        if self.bucket == 0 and (self.wordNgrams > 1 or self.maxn > 0):
            raise ValueError(
                "bucket=0 leaves no rows for word n-grams (wordNgrams > 1) or character n-grams "
                "(maxn > 0): give bucket > 0, e.g. the default 2000000"
            )
        if not isinstance(self.label, str) or not self.label:
            raise ValueError(f"label must be a non-empty prefix such as '__label__', got "
                             f"{self.label!r}")


# ---- reading fastText's format ------------------------------------------------------------------
@dataclass
class _Tokens:
    """A file as a stream of token ids, each newline a ``</s>`` token (fastText's reading).

    ``distinct``: each distinct token once, as bytes, in order of first appearance;
    ``ids`` ``(T,)`` int32: the file's tokens as indices into ``distinct``;
    ``counts`` ``(len(distinct),)`` int64: how often each occurs;
    ``hashes`` ``(len(distinct),)`` int32: each one's ``fnv1a``, as fastText stores it.
    """

    distinct: list[bytes]
    ids: np.ndarray
    counts: np.ndarray
    hashes: np.ndarray

    def find(self, token: bytes) -> int:
        try:
            return self.distinct.index(token)
        except ValueError:
            return -1


_EOS_ARRAY = np.frombuffer(_EOS, np.uint8)


def _tokenize(blocks: Iterable[bytes]) -> _Tokens:
    """fastText's ``readWord`` over whole blocks (compiled: ``K.tokenize_block``): tokens are
    split at ASCII whitespace and NUL, and each newline is a ``</s>`` token, so that a line's
    tokens end with it, as in fastText.

    Blocks must end at a newline (or at the end of the text), so that no token is cut in two.
    """
    table = np.full(1 << 16, -1, np.int32)
    keys = np.empty(1 << 20, np.uint8)
    key_ptr = np.zeros((1 << 15) + 1, np.int64)
    key_hash = np.zeros(1 << 15, np.uint32)
    counts = np.zeros(1 << 15, np.int64)
    nkeys, eos_id = 0, -1
    parts = []
    for block in blocks:
        buf = np.frombuffer(block, np.uint8)
        # at most one token per two bytes (a byte and a separator), plus one per newline
        ids = np.empty(len(block) // 2 + 1 + block.count(b"\n"), np.int32)
        pos = nt = 0
        while True:
            pos, nt, nkeys, eos_id, status = K.tokenize_block(
                buf, pos, _EOS_ARRAY, eos_id, table, keys, key_ptr, key_hash, counts, nkeys,
                ids, nt,
            )
            if status != K.FULL:
                break
            # a new token did not fit: double whatever is full, then go on from it
            if key_ptr[nkeys] + 4096 > keys.size:
                keys = _grown(keys, 2 * keys.size + len(block))
            if nkeys + 1 >= key_hash.size:
                key_hash = _grown(key_hash, 2 * key_hash.size)
                counts = _grown(counts, key_hash.size)
                key_ptr = _grown(key_ptr, key_hash.size + 1)
            if 2 * (nkeys + 1) > table.size:
                table = K.rehash(2 * table.size, key_hash, nkeys)
        parts.append(ids[:nt])
    bounds = key_ptr[: nkeys + 1].tolist()
    blob = keys[: bounds[-1]].tobytes()
    distinct = [blob[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return _Tokens(
        distinct,
        np.concatenate(parts) if parts else np.empty(0, np.int32),
        counts[:nkeys].copy(),
        key_hash[:nkeys].view(np.int32).copy(),
    )


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, a.dtype)
    out[: a.size] = a
    return out


def _file_blocks(path: PathLike) -> Iterator[bytes]:
    """The file in blocks of about ``_READ_BLOCK`` bytes, each ending at a newline."""
    with open(path, "rb") as f:
        rest = b""
        while True:
            block = f.read(_READ_BLOCK)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
        if rest:
            yield rest


def _text_lines(texts: Sequence[str]) -> bytes:
    """Lines given as strings -> the bytes of a file with one line each (newlines in a text
    become spaces: fastText's ``predict`` would raise, and a newline separates words anyway)."""
    return b"".join(
        text.replace("\n", " ").encode("utf-8", "surrogateescape") + b"\n" for text in texts
    )


def _check_readable(path: PathLike, what: str) -> str:
    path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise TypeError(f"{what} must be a path to a text file, got {path!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path!r} is a folder, not a text file")
    return path


def _line_text(path: PathLike, lineno: int, width: int = 60) -> str:
    """Line ``lineno`` (1-based) of a file, shortened for an error message."""
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if i == lineno:
                text = line.rstrip(b"\r\n").decode("utf-8", "replace")
                return text if len(text) <= width else text[: width - 3] + "..."
    return ""


# ---- the dictionary ------------------------------------------------------------------------------
class _Dictionary:
    """fastText's dictionary: the words by decreasing count, then the labels by decreasing count.

    Entry ``i < nwords`` is a word (``</s>``, the end of a line, is one) and owns row ``i`` of
    the input matrix; entry ``nwords + j`` is label ``j``, row ``j`` of the output matrix.
    Equal counts keep the order of first appearance (fastText's order there is unspecified).
    """

    def __init__(
        self, entries: list[bytes], counts: np.ndarray, nwords: int, ntokens: int
    ) -> None:
        self.entries = entries
        self.counts = np.asarray(counts, np.int64)
        self.nwords = nwords
        self.nlabels = len(entries) - nwords
        self.ntokens = ntokens
        self.index = {entry: i for i, entry in enumerate(entries)}

    @classmethod
    def build(cls, tokens: _Tokens, args: SupervisedArgs) -> _Dictionary:
        prefix = args.label.encode("utf-8")
        is_label = np.fromiter(
            (tok.startswith(prefix) for tok in tokens.distinct), bool, len(tokens.distinct)
        )
        order = np.argsort(-tokens.counts, kind="stable")
        c = tokens.counts[order]
        words = order[~is_label[order] & (c >= args.minCount)]
        labels = order[is_label[order] & (c >= args.minCountLabel)]
        entries = [tokens.distinct[i] for i in np.concatenate([words, labels])]
        counts = np.concatenate([tokens.counts[words], tokens.counts[labels]])
        return cls(entries, counts, len(words), int(tokens.ids.size))

    def with_words(self, extra: Sequence[bytes]) -> _Dictionary:
        """fastText's handling of ``pretrainedVectors``: each of their words counts once more
        (new words enter with count 1), then the words are sorted again."""
        counts = dict(zip(self.entries[: self.nwords], self.counts[: self.nwords].tolist()))
        for word in extra:
            counts[word] = counts.get(word, 0) + 1
        words = sorted(counts, key=lambda w: -counts[w])  # stable: ties keep their order
        entries = words + self.entries[self.nwords :]
        all_counts = np.array(
            [counts[w] for w in words] + self.counts[self.nwords :].tolist(), np.int64
        )
        return _Dictionary(entries, all_counts, len(words), self.ntokens + len(extra))

    def lookup(self, distinct: Sequence[bytes], label_prefix: bytes) -> tuple:
        """For each distinct token of a file: (word id or -1, label id or -1, is a label)."""
        ids = np.fromiter((self.index.get(t, -1) for t in distinct), np.int64, len(distinct))
        known_word = (ids >= 0) & (ids < self.nwords)
        word_id = np.where(known_word, ids, -1).astype(np.int32)
        label_id = np.where(ids >= self.nwords, ids - self.nwords, -1).astype(np.int32)
        # fastText: a known token's type is its entry's; an unknown one's, its prefix's
        is_label = np.fromiter(
            (t.startswith(label_prefix) for t in distinct), bool, len(distinct)
        )
        is_label = np.where(ids >= 0, ids >= self.nwords, is_label)
        return word_id, label_id, is_label


def _joined(tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Tokens -> one uint8 buffer and the ``(n + 1,)`` offsets of each token in it."""
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    starts = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    return np.frombuffer(b"".join(tokens), np.uint8), starts


@dataclass
class _Lines:
    """A file encoded line by line (CSR): line ``i``'s input rows are
    ``rows[row_ptr[i]:row_ptr[i + 1]]``, its labels ``labels[label_ptr[i]:label_ptr[i + 1]]``;
    ``tokens``, ``words``, ``label_tokens``: per line, the tokens read (as fastText counts
    them for the learning rate), the text tokens, the label-like tokens."""

    row_ptr: np.ndarray
    rows: np.ndarray
    label_ptr: np.ndarray
    labels: np.ndarray
    tokens: np.ndarray
    words: np.ndarray
    label_tokens: np.ndarray

    @property
    def num_rows(self) -> np.ndarray:
        return np.diff(self.row_ptr)

    @property
    def num_labels(self) -> np.ndarray:
        return np.diff(self.label_ptr)

    def select(self, keep: np.ndarray) -> _Lines:
        """The lines where ``keep`` is True; each keeps the tokens of the dropped lines before
        it (and the last one those after it), so that the token counts still add up."""
        kept = np.flatnonzero(keep)
        ends = np.cumsum(self.tokens)[kept]
        tokens = np.diff(np.concatenate([[0], ends]))
        if tokens.size:
            tokens[-1] += int(self.tokens.sum()) - int(ends[-1])
        row_ptr, rows = _select_csr(self.row_ptr, self.rows, keep)
        label_ptr, labels = _select_csr(self.label_ptr, self.labels, keep)
        return _Lines(row_ptr, rows, label_ptr, labels, tokens, self.words[kept],
                      self.label_tokens[kept])


def _select_csr(
    ptr: np.ndarray, values: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.diff(ptr)
    new_ptr = np.zeros(int(keep.sum()) + 1, np.int64)
    np.cumsum(sizes[keep], out=new_ptr[1:])
    return new_ptr, values[np.repeat(keep, sizes)]


def _encode(tokens: _Tokens, d: _Dictionary, args: SupervisedArgs) -> _Lines:
    """fastText's ``getLine`` on every line: rows of the words (or of their character n-grams),
    then of the word n-grams; the ids of the known labels."""
    word_id, label_id, is_label = d.lookup(tokens.distinct, args.label.encode("utf-8"))
    eos = tokens.find(_EOS)
    use_sub = args.maxn > 0
    if use_sub:
        buf, starts = _joined(tokens.distinct)
        no_ngrams = is_label.copy()
        if eos >= 0:
            no_ngrams[eos] = True  # </s> is a word without character n-grams
        sub_ptr, sub_rows = K.subword_rows(
            buf, starts, word_id, is_label, no_ngrams, args.minn, args.maxn, args.bucket,
            d.nwords,
        )
    else:
        sub_ptr, sub_rows = np.zeros(1, np.int64), np.zeros(0, np.int32)
    out = K.encode_lines(
        tokens.ids, eos, word_id, label_id, is_label, tokens.hashes, sub_ptr, sub_rows, use_sub,
        args.wordNgrams, args.bucket, d.nwords,
    )
    return _Lines(*out)


def _check_training_lines(path: str, lines: _Lines, args: SupervisedArgs) -> None:
    """The mistakes fastText passes over silently, as one error naming the line."""
    text = lines.words > 0
    labelled = lines.label_tokens > 0
    if not labelled.any():
        first = int(np.argmax(text)) + 1
        raise SupervisedFileError(
            f"{path}: no labels: no word starts with the label prefix {args.label!r} (line "
            f"{first}: {_line_text(path, first)!r}); write each line as '{args.label}<label> "
            "<text>', or pass label= with the prefix your file uses"
        )
    only_label = np.flatnonzero(labelled & ~text)
    if only_label.size:
        n = int(only_label[0]) + 1
        raise SupervisedFileError(
            f"{path}, line {n}: the line has a label but no text ({_line_text(path, n)!r}); "
            f"{only_label.size} such line(s) in all: remove them or add their text"
        )
    unlabelled = np.flatnonzero(text & ~labelled)
    if unlabelled.size:
        n = int(unlabelled[0]) + 1
        raise SupervisedFileError(
            f"{path}, line {n}: the line has no label (no word starts with {args.label!r}): "
            f"{_line_text(path, n)!r}; {unlabelled.size} such line(s) in all: label them or "
            "remove them"
        )


# ---- the model: an EmbeddingBag and a Linear -----------------------------------------------------
class FastTextClassifier(nn.Module):
    """fastText's supervised network: the mean of a text's rows, then a Linear to the labels.

    Args:
        num_rows: rows of the input matrix, ``nwords + bucket``.
        embedding_dim: ``dim``.
        num_labels: outputs (labels; for ``loss="hs"`` the first ``num_labels - 1`` rows are
            the inner nodes of the Huffman tree over the labels).
        _input_weight: the input matrix to use, shared, ``(num_rows, embedding_dim)`` float32.

    Shape: rows ``(N,)`` int64 and offsets ``(B,)`` (where each text's rows start) -> scores
    ``(B, num_labels)``.
    Init: ``input.weight`` as given (``train_supervised``: U(-1/dim, 1/dim)), ``output.weight``
    zero, as fastText.

    >>> import firstlayer as torch
    >>> net = FastTextClassifier(10, 4, 3)
    >>> net(torch.tensor([1, 2, 5]), torch.tensor([0, 2])).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        num_rows: int,
        embedding_dim: int,
        num_labels: int,
        _input_weight: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        if _input_weight is None:
            _input_weight = np.zeros((num_rows, embedding_dim), np.float32)
        self.input = nn.EmbeddingBag(
            num_rows, embedding_dim, mode="mean", _weight=Tensor._wrap(_input_weight)
        )
        self.output = nn.Linear(embedding_dim, num_labels, bias=False)
        with no_grad():
            nn.init.zeros_(self.output.weight)

    def forward(self, rows: Tensor, offsets: Tensor) -> Tensor:
        return self.output(self.input(rows, offsets))


def _huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fastText's Huffman tree over the labels (``HierarchicalSoftmaxLoss::buildTree``).

    ``counts`` must be sorted in decreasing order (the dictionary's order). Returns, CSR by
    label, the inner nodes on the way from the label up to the root (output rows) and the code
    of each step (1: the label's side is the node's right child, scored by ``sigmoid``).
    """
    n = len(counts)
    size = max(2 * n - 1, 1)
    count = np.full(size, 1e15)
    count[:n] = counts
    parent = np.full(size, -1, np.int64)
    right = np.zeros(size, bool)
    leaf, node = n - 1, n
    for i in range(n, 2 * n - 1):
        pair = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                pair.append(leaf)
                leaf -= 1
            else:
                pair.append(node)
                node += 1
        count[i] = count[pair[0]] + count[pair[1]]
        parent[pair[0]] = parent[pair[1]] = i
        right[pair[1]] = True
    ptr, nodes, codes = [0], [], []
    for i in range(n):
        j = i
        while parent[j] != -1:
            nodes.append(parent[j] - n)
            codes.append(int(right[j]))
            j = parent[j]
        ptr.append(len(nodes))
    return np.array(ptr, np.int64), np.array(nodes, np.int32), np.array(codes, np.int8)


# ---- the user's object ---------------------------------------------------------------------------
class FastText:
    """A trained supervised model with fastText's Python API (``fasttext.FastText._FastText``).

    Made by :func:`train_supervised` or :func:`load_model`. ``model`` is the network (a
    :class:`FastTextClassifier`: ``model.input`` the EmbeddingBag, ``model.output`` the Linear);
    ``args`` the :class:`SupervisedArgs` it was trained with.
    """

    def __init__(
        self, model: FastTextClassifier, dictionary: _Dictionary, args: SupervisedArgs
    ) -> None:
        self.model = model
        self.args = args
        self._dict = dictionary
        self._paths = _huffman_paths(self._label_counts) if args.loss == "hs" else None

    # -- the dictionary -----------------------------------------------------------------
    @property
    def _label_counts(self) -> np.ndarray:
        return self._dict.counts[self._dict.nwords :]

    @property
    def words(self) -> list[str]:
        """The vocabulary, most frequent first (``</s>``, the end of a line, included)."""
        return self.get_words()

    @property
    def labels(self) -> list[str]:
        """The labels, most frequent first."""
        return self.get_labels()

    def get_words(self, include_freq: bool = False, on_unicode_error: str = "strict") -> Any:
        """The words, or ``(words, counts)`` with ``include_freq`` (counts an int64 array)."""
        d = self._dict
        words = [w.decode("utf-8", _errors(on_unicode_error)) for w in d.entries[: d.nwords]]
        return (words, d.counts[: d.nwords].copy()) if include_freq else words

    def get_labels(self, include_freq: bool = False, on_unicode_error: str = "strict") -> Any:
        """The labels, or ``(labels, counts)`` with ``include_freq``."""
        d = self._dict
        labels = [w.decode("utf-8", _errors(on_unicode_error)) for w in d.entries[d.nwords :]]
        return (labels, self._label_counts.copy()) if include_freq else labels

    def get_dimension(self) -> int:
        """``dim``: the size of the word and sentence vectors."""
        return self.args.dim

    def get_word_id(self, word: str) -> int:
        """The word's row in the input matrix, -1 if it is not in the vocabulary."""
        i = self._dict.index.get(_bytes(word), -1)
        return i if i < self._dict.nwords else -1

    def get_label_id(self, label: str) -> int:
        """The label's row in the output matrix, -1 if it is not a label of the model."""
        i = self._dict.index.get(_bytes(label), -1)
        return i - self._dict.nwords if i >= self._dict.nwords else -1

    def get_input_matrix(self) -> np.ndarray:
        """The input matrix ``(nwords + bucket, dim)`` (``model.input.weight``, a copy)."""
        return self.model.input.weight._data.copy()

    def get_output_matrix(self) -> np.ndarray:
        """The output matrix ``(labels, dim)`` (``model.output.weight``, a copy)."""
        return self.model.output.weight._data.copy()

    def is_quantized(self) -> bool:
        return False

    def __contains__(self, word: str) -> bool:
        return self.get_word_id(word) >= 0

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_word_vector(word)

    def __repr__(self) -> str:
        a = self.args
        return (f"FastText(words={self._dict.nwords}, labels={self._dict.nlabels}, dim={a.dim}, "
                f"wordNgrams={a.wordNgrams}, bucket={a.bucket}, loss={a.loss!r})")

    # -- vectors ----------------------------------------------------------------------------------
    def _word_rows(self, word: str) -> list[int]:
        data = _bytes(word)
        i = self.get_word_id(word)
        rows = [i] if i >= 0 else []
        a = self.args
        if a.maxn > 0 and data != _EOS:
            rows += char_ngram_rows(data, a.minn, a.maxn, a.bucket, self._dict.nwords)
        return rows

    def get_word_vector(self, word: str) -> np.ndarray:
        """The mean of the word's rows (its own, and its character n-grams' when ``maxn > 0``);
        zeros for a word the model has no row for. Shape ``(dim,)`` float32."""
        rows = self._word_rows(word)
        if not rows:
            return np.zeros(self.args.dim, np.float32)
        return self.model.input.weight._data[rows].mean(axis=0, dtype=np.float32)

    def get_sentence_vector(self, text: str) -> np.ndarray:
        """The hidden vector of a text: the mean of its rows (words, ``</s>``, n-grams), the
        input of the output layer. Shape ``(dim,)`` float32."""
        lines = self._encode_texts([text])
        if lines.rows.size == 0:
            return np.zeros(self.args.dim, np.float32)
        with no_grad():
            hidden = self.model.input(_long(lines.rows), _long(lines.row_ptr[:-1]))
        return hidden._data[0]

    # -- predicting -------------------------------------------------------------------------------
    def _encode_texts(self, texts: Sequence[str]) -> _Lines:
        return _encode(_tokenize([_text_lines(texts)]), self._dict, self.args)

    def _probabilities(self, row_ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(B, labels)`` float64: each line's probability of each label.

        softmax: ``softmax(scores)``; ns and ova: ``sigmoid(scores)`` label by label; hs: the
        product of the sigmoids along the label's path. ``scores = model(rows, offsets)``.
        """
        with no_grad():
            scores = self.model(_long(rows), _long(row_ptr[:-1]))
        if self.args.loss == "softmax":
            return F.softmax(scores.double(), dim=-1)._data
        sig = F.sigmoid(scores.double())._data
        if self.args.loss != "hs":
            return sig
        assert self._paths is not None
        ptr, nodes, codes = self._paths
        if nodes.size == 0:  # a single label: the tree has no inner node
            return np.ones((sig.shape[0], self._dict.nlabels))
        with np.errstate(divide="ignore"):
            steps = np.where(codes == 1, np.log(sig[:, nodes]), np.log1p(-sig[:, nodes]))
        return np.exp(np.add.reduceat(steps, ptr[:-1], axis=1))

    def _top_k(
        self, lines: _Lines, k: int, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(B, k)`` label ids (-1 where none) and probabilities, most likely first; lines
        without rows predict nothing, as in fastText."""
        n = lines.row_ptr.size - 1
        ids = np.full((n, k), -1, np.int64)
        probs = np.zeros((n, k), np.float64)
        nlabels = self._dict.nlabels
        batch = max(1, _SCORES_AT_ONCE // nlabels)
        for lo in range(0, n, batch):
            hi = min(n, lo + batch)
            ptr = lines.row_ptr[lo : hi + 1]
            p = self._probabilities(ptr - ptr[0], lines.rows[ptr[0] : ptr[-1]])
            if k < nlabels and nlabels > 64:  # many labels: find the k best before sorting
                best = np.argpartition(-p, k - 1, axis=1)[:, :k]
                best = np.sort(best, axis=1)  # ties keep the label order, as below
                inner = np.argsort(-np.take_along_axis(p, best, axis=1), axis=1, kind="stable")
                order = np.take_along_axis(best, inner, axis=1)
            else:
                order = np.argsort(-p, axis=1, kind="stable")[:, :k]
            top = np.take_along_axis(p, order, axis=1)
            keep = (top >= threshold) & (np.diff(ptr) > 0)[:, None]
            ids[lo:hi] = np.where(keep, order, -1)
            probs[lo:hi] = np.where(keep, top, 0.0)
        return ids, probs

    def _check_k(self, k: int) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {k!r}")
        n = self._dict.nlabels
        if k == -1:
            return n
        if k < 1:
            raise ValueError(f"k needs to be 1 or higher (or -1 for all labels), got {k}")
        if k > n:
            raise ValueError(
                f"k={k} is larger than the number of labels ({n}): the model knows only "
                f"{n} label(s); use k <= {n}, or k=-1 for all of them"
            )
        return int(k)

    def predict(
        self,
        text: str | Sequence[str],
        k: int = 1,
        threshold: float = 0.0,
        on_unicode_error: str = "strict",
    ) -> tuple[Any, Any]:
        """The ``k`` most likely labels of a text and their probabilities, as fastText.

        Args:
            text: one text, or a list of texts. Newlines are read as spaces.
            k: how many labels (-1: all); at most the number of labels.
            threshold: leave out labels whose probability is below it.
            on_unicode_error: how labels that are not valid UTF-8 are decoded.

        Returns:
            For one text: ``(labels, probabilities)``, a tuple of str and a float64 array
            ``(<= k,)``. For a list: a list of label lists and a list of float32 arrays.

        >>> model.predict("how to bake bread", k=2)  # doctest: +SKIP
        (('__label__baking', '__label__bread'), array([0.71, 0.12]))
        """
        k = self._check_k(k)
        single = isinstance(text, str)
        texts: list[Any] = [text] if single else list(text)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"predict takes a str or a list of str; item {i} is "
                                f"{type(t).__name__}")
        ids, probs = self._top_k(self._encode_texts(texts), k, threshold)
        names = self.get_labels(on_unicode_error=on_unicode_error)
        out_labels, out_probs = [], []
        for row_ids, row_probs in zip(ids, probs):
            keep = row_ids >= 0
            out_labels.append([names[i] for i in row_ids[keep]])
            out_probs.append(row_probs[keep])
        if single:
            return tuple(out_labels[0]), out_probs[0]
        return out_labels, [p.astype(np.float32) for p in out_probs]

    # -- evaluating -------------------------------------------------------------------------------
    def _meter(self, source: PathLike | bytes, k: int, threshold: float) -> dict[str, Any]:
        """fastText's ``Meter`` over a labelled file (a path, or its bytes)."""
        k = self._check_k(k)
        if isinstance(source, bytes):
            path, blocks = "<stdin>", [source]
        else:
            path = _check_readable(source, "test file")
            blocks = _file_blocks(path)  # type: ignore[assignment]
        lines = _encode(_tokenize(blocks), self._dict, self.args)
        # fastText scores the lines that have a known label and at least one row
        lines = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
        n = lines.row_ptr.size - 1
        if n == 0:
            raise SupervisedFileError(
                f"{path}: no line to test: none has a label the model knows (labels start "
                f"with {self.args.label!r}; the model's are e.g. {self.labels[:3]})"
            )
        ids, _ = self._top_k(lines, k, threshold)
        m = self._dict.nlabels
        # a prediction is right when (line, label) is among the line's (line, label) pairs
        gold_pairs = np.repeat(np.arange(n), lines.num_labels) * m + lines.labels
        predicted = ids >= 0
        hit = predicted & np.isin(np.arange(n)[:, None] * m + ids, gold_pairs)
        return {
            "n": n,
            "predicted": int(predicted.sum()),
            "hits": int(hit.sum()),
            "gold": int(lines.labels.size),
            "label_predicted": np.bincount(ids[predicted], minlength=m),
            "label_hits": np.bincount(ids[hit], minlength=m),
            "label_gold": np.bincount(lines.labels, minlength=m),
        }

    def test(self, path: PathLike, k: int = 1, threshold: float = 0.0) -> tuple[int, float, float]:
        """``(N, precision@k, recall@k)`` on a labelled file, as fastText's ``test``.

        N counts the lines with a label the model knows; precision is the share of the
        predictions (at most ``k`` per line, those above ``threshold``) that are labels of
        their line; recall the share of the lines' labels that were predicted.

        >>> model.test("cooking.valid")  # doctest: +SKIP
        (3000, 0.59, 0.255)
        """
        return self._test_source(path, k, threshold)

    def _test_source(
        self, source: PathLike | bytes, k: int, threshold: float
    ) -> tuple[int, float, float]:
        m = self._meter(source, k, threshold)
        precision = m["hits"] / m["predicted"] if m["predicted"] else math.nan
        recall = m["hits"] / m["gold"] if m["gold"] else math.nan
        return m["n"], precision, recall

    def test_label(
        self, path: PathLike, k: int = 1, threshold: float = 0.0
    ) -> dict[str, dict[str, float]]:
        """Precision, recall and F1 of each label, as fastText's ``test_label``:
        ``{label: {"precision": p, "recall": r, "f1score": f}}``; NaN where a label was never
        predicted (precision) or never given (recall)."""
        m = self._meter(path, k, threshold)
        out = {}
        for j, name in enumerate(self.labels):
            pred, hits, gold = int(m["label_predicted"][j]), int(m["label_hits"][j]), int(
                m["label_gold"][j])
            out[name] = {
                "precision": hits / pred if pred else math.nan,
                "recall": hits / gold if gold else math.nan,
                "f1score": 2 * hits / (pred + gold) if pred + gold else math.nan,
            }
        return out

    # -- saving ------------------------------------------------------------------------------------
    def save_model(self, path: PathLike) -> None:
        """Write the model to ``path`` (atomically: on any error an existing file is kept).

        The file is safetensors: the two matrices (``input.weight``, ``output.weight``), the
        dictionary (its entries as UTF-8 joined by newlines, their counts) and, in the header's
        metadata, the arguments as JSON. Loading it runs no code (:func:`load_model`).
        """
        d = self._dict
        tensors = {
            "input.weight": self.model.input.weight._data,
            "output.weight": self.model.output.weight._data,
            "dictionary.entries": np.frombuffer(b"\n".join(d.entries), np.uint8),
            "dictionary.counts": d.counts,
        }
        metadata = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "args": json.dumps(asdict(self.args)),
            "nwords": str(d.nwords),
            "ntokens": str(d.ntokens),
        }
        _save_tensors(tensors, path, metadata=metadata)


def _errors(on_unicode_error: str) -> str:
    if on_unicode_error not in ("strict", "replace", "ignore"):
        raise ValueError(
            f"on_unicode_error must be 'strict', 'replace' or 'ignore', got {on_unicode_error!r}"
        )
    return on_unicode_error


def _bytes(word: str) -> bytes:
    if not isinstance(word, str):
        raise TypeError(f"expected a str, got {type(word).__name__}")
    return word.encode("utf-8", "surrogateescape")


def _long(a: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(a, dtype=np.int64))


# ---- loading -------------------------------------------------------------------------------------
def load_model(path: PathLike) -> FastText:
    """Read a model :meth:`FastText.save_model` wrote.

    Raises:
        FileNotFoundError: no such file.
        ModelFileError: the file is not such a model (fastText's own ``.bin`` included), or it
            is truncated or damaged; nothing is half-loaded.

    >>> model = load_model("model.bin")  # doctest: +SKIP
    """
    path = _check_readable(path, "model file")
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] == _FASTTEXT_MAGIC:
        raise ModelFileError(
            f"{path} is a model saved by fastText itself; firstlayer reads only the models it "
            "saves (FastText.save_model): train again with firstlayer.models.train_supervised"
        )
    try:
        meta = load_metadata(path)
    except (CheckpointError, ValueError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        if "truncated" in reason:
            raise ModelFileError(f"{path}: {reason}") from None
        raise ModelFileError(
            f"{path} is not a model saved by firstlayer (FastText.save_model, 'firstlayer "
            f"supervised'): {reason}"
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is a safetensors file but not a firstlayer supervised model (its metadata "
            f"has format={meta.get('format')!r}, expected {FORMAT!r})"
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {meta.get('format_version')!r}; this firstlayer "
            f"reads version {FORMAT_VERSION}: upgrade firstlayer"
        )
    try:
        tensors = {name: t._data for name, t in _load_tensors(path).items()}
        return _from_saved(tensors, meta)
    except CheckpointError as exc:
        raise ModelFileError(str(exc)) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: the model file is inconsistent: {exc}") from None


def _from_saved(tensors: dict[str, np.ndarray], meta: dict[str, str]) -> FastText:
    names = {f.name for f in fields(SupervisedArgs)}
    saved = json.loads(meta["args"])
    args = SupervisedArgs(**{k: v for k, v in saved.items() if k in names})
    args.check()
    codes = tensors["dictionary.entries"]  # UTF-8 bytes (firstlayer loads U8 as int32)
    if codes.ndim != 1 or (codes.size and (codes.min() < 0 or codes.max() > 255)):
        raise ValueError("dictionary.entries is not a byte string")
    blob = codes.astype(np.uint8).tobytes()
    entries = blob.split(b"\n") if blob else []
    counts = tensors["dictionary.counts"]
    nwords = int(meta["nwords"])
    w_in, w_out = tensors["input.weight"], tensors["output.weight"]
    if len(entries) != counts.shape[0] or not 0 < nwords <= len(entries):
        raise ValueError(f"{len(entries)} dictionary entries, {counts.shape[0]} counts, "
                         f"{nwords} words")
    rows = nwords + args.bucket
    if w_in.shape != (rows, args.dim) or w_out.shape != (len(entries) - nwords, args.dim):
        raise ValueError(
            f"matrices {w_in.shape} and {w_out.shape} do not fit {nwords} words + "
            f"{args.bucket} buckets, {len(entries) - nwords} labels and dim {args.dim}"
        )
    d = _Dictionary(entries, counts, nwords, int(meta["ntokens"]))
    model = FastTextClassifier(rows, args.dim, d.nlabels, _input_weight=np.ascontiguousarray(
        w_in, np.float32))
    model.output.weight._data[...] = w_out
    return FastText(model, d, args)


# ---- training ------------------------------------------------------------------------------------
def train_supervised(
    input: PathLike,  # noqa: A002  (fastText's name)
    lr: float = 0.1,
    dim: int = 100,
    ws: int = 5,
    epoch: int = 5,
    minCount: int = 1,
    minCountLabel: int = 0,
    minn: int = 0,
    maxn: int = 0,
    neg: int = 5,
    wordNgrams: int = 1,
    loss: str = "softmax",
    bucket: int = 2000000,
    thread: int | None = None,
    lrUpdateRate: int = 100,
    t: float = 1e-4,
    label: str = "__label__",
    verbose: int = 2,
    pretrainedVectors: str = "",
    seed: int = 0,
    **aliases: Any,
) -> FastText:
    """Train fastText's supervised classifier on a file in fastText's format.

    Each line is one document: its labels (words starting with ``label``, e.g.
    ``__label__baking``) and its text, e.g. ``__label__baking __label__bread how to bake``.

    Args:
        input: the training file (UTF-8).
        lr: the learning rate at the start; it decays linearly to 0 over all tokens of all
            epochs.
        dim: the size of the word vectors (and of the hidden vector).
        epoch: passes over the file.
        minCount, minCountLabel: words (labels) seen fewer times are left out.
        minn, maxn: lengths of the character n-grams of each word (0: none, the default).
        neg: negative labels sampled per example (``loss="ns"``).
        wordNgrams: the longest word n-gram used (2: words and bigrams).
        loss: ``"softmax"`` (default), ``"ns"`` (negative sampling), ``"ova"`` (one-vs-all:
            independent sigmoids, for several labels per line) or ``"hs"`` (hierarchical
            softmax).
        bucket: rows the word and character n-grams are hashed into; 0 (as fastText does)
            when ``wordNgrams == 1`` and ``maxn == 0``.
        thread: Hogwild threads (default: the number of CPUs minus one, as fastText).
        lrUpdateRate: a thread publishes its progress every this many tokens.
        ws, t: unused by supervised models (kept for fastText's signature).
        label: the label prefix.
        verbose: 0 silent, 1 a summary, 2 progress (words/sec/thread, lr, loss, ETA) on stderr.
        pretrainedVectors: a word-vector text file (``.vec``) whose vectors start the words'
            rows; its words join the vocabulary, as in fastText.
        seed: the seed of the initial matrix and of each thread's draws. With ``thread=1``
            the same seed gives the same model.
        **aliases: fastText's other spellings (``min_count``, ``word_ngrams``,
            ``lr_update_rate``, ``label_prefix``, ``pretrained_vectors``).

    Returns:
        A :class:`FastText` model.

    Raises:
        FileNotFoundError: no such file.
        SupervisedFileError: an empty file, one without labels, a line with a label but no
            text or with text but no label (the line is named); no word or label left after
            ``minCount``/``minCountLabel``. Nothing is trained then.

    >>> model = train_supervised("train.txt", lr=0.5, epoch=10, wordNgrams=2)  # doctest: +SKIP
    >>> model.test("valid.txt")  # doctest: +SKIP
    (3000, 0.62, 0.62)
    """
    values: dict[str, Any] = dict(
        lr=lr, dim=dim, ws=ws, epoch=epoch, minCount=minCount, minCountLabel=minCountLabel,
        minn=minn, maxn=maxn, neg=neg, wordNgrams=wordNgrams, loss=loss, bucket=bucket,
        thread=_default_threads() if thread is None else thread, lrUpdateRate=lrUpdateRate,
        t=t, label=label, verbose=verbose, pretrainedVectors=pretrainedVectors, seed=seed,
    )
    for name, value in aliases.items():
        if name not in _ALIASES:
            hint = " (autotuning is not supported)" if name.startswith("autotune") else ""
            raise TypeError(f"train_supervised() got an unexpected keyword argument {name!r}"
                            f"{hint}")
        values[_ALIASES[name]] = value
    args = SupervisedArgs(**values)
    if args.wordNgrams <= 1 and args.maxn == 0:
        args.bucket = 0  # what fastText's train_supervised does: no n-gram, no hash row
    args.check()
    path = _check_readable(input, "training file")

    start = time.perf_counter()
    tokens = _tokenize(_file_blocks(path))
    if not set(tokens.distinct) - {_EOS}:
        raise SupervisedFileError(
            f"{path} is empty (or only whitespace): write one labelled document per line, "
            f"e.g. '{args.label}sports the match ended in a draw'"
        )
    dictionary = _Dictionary.build(tokens, args)
    pretrained = None
    if args.pretrainedVectors:
        pretrained = _read_pretrained(args.pretrainedVectors, args)
        dictionary = dictionary.with_words(list(pretrained))
    _check_dictionary(path, dictionary, tokens, args)
    lines = _encode(tokens, dictionary, args)
    _check_training_lines(path, lines, args)
    examples = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
    if examples.row_ptr.size == 1:
        raise SupervisedFileError(
            f"{path}: no line left to train on: no labelled line has a word of the vocabulary "
            f"(minCount={args.minCount}, minCountLabel={args.minCountLabel}); try smaller ones"
        )
    if args.verbose > 0:
        print(f"Read {dictionary.ntokens // 1_000_000}M words", file=sys.stderr)
        print(f"Number of words:  {dictionary.nwords}", file=sys.stderr)
        print(f"Number of labels: {dictionary.nlabels}", file=sys.stderr)

    w_in = np.empty((dictionary.nwords + args.bucket, args.dim), np.float32)
    _uniform_init(w_in, 1.0 / args.dim, args.seed, args.thread)
    if pretrained is not None:
        ids = np.array([dictionary.index[w] for w in pretrained], np.int64)
        w_in[ids] = np.stack(list(pretrained.values()))
    model = FastText(
        FastTextClassifier(w_in.shape[0], args.dim, dictionary.nlabels, _input_weight=w_in),
        dictionary, args,
    )
    _fit(model, examples, args.epoch * dictionary.ntokens, start)
    return model


def _check_dictionary(path: str, d: _Dictionary, tokens: _Tokens, args: SupervisedArgs) -> None:
    if d.nwords == 0 or (d.nwords == 1 and d.entries[0] == _EOS):
        raise SupervisedFileError(
            f"{path}: no word left: every word occurs fewer than minCount={args.minCount} "
            "times; try a smaller minCount"
        )
    if d.nlabels == 0:
        prefix = args.label.encode("utf-8")
        seen = [int(c) for tok, c in zip(tokens.distinct, tokens.counts) if tok.startswith(prefix)]
        if seen:
            raise SupervisedFileError(
                f"{path}: no label left: every label occurs fewer than "
                f"minCountLabel={args.minCountLabel} times (the most frequent {max(seen)}); "
                "try a smaller minCountLabel"
            )
        # no label at all: _check_training_lines names the first line


def _read_pretrained(path: str, args: SupervisedArgs) -> dict[bytes, np.ndarray]:
    """The word vectors of a ``.vec`` file, by word (UTF-8 bytes); their size must be dim."""
    from ..vectors import load

    kv = load(_check_readable(path, "pretrainedVectors"), progress=args.verbose > 1)
    if kv.vector_size != args.dim:
        raise ValueError(
            f"Dimension of pretrained vectors ({kv.vector_size}) does not match dimension "
            f"({args.dim}): pass dim={kv.vector_size}"
        )
    prefix = args.label
    return {
        str(key).encode("utf-8", "surrogateescape"): kv.vectors[i].astype(np.float32)
        for i, key in enumerate(kv.index_to_key)
        if not str(key).startswith(prefix)
    }


def _uniform_init(w: np.ndarray, bound: float, seed: int, threads: int) -> None:
    """``w ~ U(-bound, bound)`` on ``threads`` threads; the same for any number of threads."""
    blocks = -(-w.shape[0] // K.INIT_BLOCK)
    cuts = np.linspace(0, blocks, threads + 1).astype(np.int64)
    workers = [
        threading.Thread(target=K.uniform_rows, args=(w, bound, seed, int(lo), int(hi)))
        for lo, hi in zip(cuts[:-1], cuts[1:])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _fit(model: FastText, ex: _Lines, total_tokens: int, start: float) -> None:
    """Train ``model`` on the examples: ``thread`` Hogwild threads, progress on stderr."""
    args = model.args
    threads = args.thread
    w_in = model.model.input.weight._data
    w_out = model.model.output.weight._data
    counts = model._label_counts.astype(np.float64)
    if args.loss == "ns":
        sqrt_counts = np.sqrt(counts)  # fastText draws negatives ~ count^0.5
        neg_cdf = np.cumsum(sqrt_counts) / sqrt_counts.sum()
    else:
        neg_cdf = np.ones(1)
    paths = model._paths if model._paths is not None else (
        np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8))
    # one 64-byte cache line per thread, so that a thread's writes do not slow the others
    counters = np.zeros((threads, 8), np.int64)
    stats = np.zeros((threads, 8), np.float64)
    n = ex.row_ptr.size - 1
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            K.train_worker(
                w_in, w_out, ex.row_ptr, ex.rows, ex.label_ptr, ex.labels, ex.tokens,
                slot * n // threads, counters, slot, total_tokens, float(args.lr),
                args.lrUpdateRate, LOSSES[args.loss], args.neg, neg_cdf, *paths,
                args.seed, stats,
            )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(s,), daemon=True) for s in range(threads)]
    train_start = time.perf_counter()
    for worker in workers:
        worker.start()
    try:
        while alive := [w for w in workers if w.is_alive()]:
            alive[0].join(timeout=0.1)
            if args.verbose > 1:
                _print_progress(args, counters, stats, total_tokens, train_start, final=False)
    except KeyboardInterrupt:
        counters[0, 0] = total_tokens  # every worker stops at its next example
        for w in workers:
            w.join()
        raise
    if errors:
        raise errors[0]
    # a non-finite input row would reach the losses and the output matrix: checking those is
    # enough, and cheap (the input matrix can be gigabytes)
    if not (np.isfinite(stats[:, 0]).all() and np.isfinite(w_out).all()):
        raise FloatingPointError(  # not seen in our tests; here so that it can never go unsaid
            f"training diverged (a weight is not finite) at lr={args.lr}: try a smaller lr"
        )
    if args.verbose > 0:
        _print_progress(args, counters, stats, total_tokens, train_start, final=True)
        print(f"Trained in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def _print_progress(
    args: SupervisedArgs, counters: np.ndarray, stats: np.ndarray, total: int, start: float,
    final: bool,
) -> None:
    """fastText's progress line: progress, words/sec/thread, lr, average loss, ETA."""
    done = min(int(counters[:, 0].sum()), total)
    progress = 1.0 if final else done / total
    elapsed = max(time.perf_counter() - start, 1e-9)
    wst = done / elapsed / args.thread
    lr = args.lr * (1.0 - progress)
    examples = stats[:, 1].sum()
    avg_loss = stats[:, 0].sum() / examples if examples else 0.0
    eta = int(elapsed * (1 - progress) / progress) if progress > 0 else 0
    line = (f"\rProgress: {100 * progress:5.1f}% words/sec/thread: {wst:7.0f} lr: {lr:9.6f} "
            f"avg.loss: {avg_loss:9.6f} ETA: {eta // 3600:3d}h{eta // 60 % 60:2d}m{eta % 60:2d}s")
    print(line, end="\n" if final else "", file=sys.stderr, flush=True)


# ---- the command line: ``firstlayer supervised | test | predict`` ------------------------------
# ``firstlayer.cli`` declares the arguments (so that ``--help`` needs no compiler) and calls these.
def _usage(exc: BaseException) -> Exception:
    from ..cli import UsageError

    return UsageError(str(exc))


def run_supervised_command(args: Any) -> int:
    """``firstlayer supervised TRAIN -o MODEL [--lr ...]``: train, then save the model."""
    names = {f.name for f in fields(SupervisedArgs)}
    params = {k: v for k, v in vars(args).items() if k in names and v is not None}
    out_dir = os.path.dirname(os.path.abspath(args.output))
    try:
        if not os.path.isdir(out_dir):
            raise FileNotFoundError(f"can't write {args.output!r}: folder {out_dir!r} does not "
                                    "exist")
        model = train_supervised(args.input, **params)
        model.save_model(args.output)
    except (OSError, ValueError, TypeError, FloatingPointError) as exc:
        raise _usage(exc) from None
    d = model._dict
    print(f"Saved {args.output}: {d.nwords} words, {d.nlabels} labels, input matrix "
          f"{d.nwords + model.args.bucket} x {model.args.dim}")
    return 0


def _load_for_command(path: str) -> FastText:
    try:
        return load_model(path)
    except (OSError, ValueError) as exc:
        raise _usage(exc) from None


def run_test_command(args: Any) -> int:
    """``firstlayer test MODEL FILE [--k K] [--threshold T]``: fastText's ``test`` output."""
    model = _load_for_command(args.model)
    try:
        source = sys.stdin.buffer.read() if args.file == "-" else args.file
        n, precision, recall = model._test_source(source, args.k, args.threshold)
    except (OSError, ValueError, TypeError) as exc:
        raise _usage(exc) from None
    k = model._check_k(args.k)
    print(f"N\t{n}")
    print(f"P@{k}\t{precision:.3g}")
    print(f"R@{k}\t{recall:.3g}")
    return 0


def run_predict_command(args: Any) -> int:
    """``firstlayer predict MODEL [FILE|-] [--k K] [--threshold T] [--prob]``: one line of
    labels (with ``--prob``: label probability pairs) per input line, as fastText's
    ``predict`` / ``predict-prob``."""
    model = _load_for_command(args.model)
    try:
        model._check_k(args.k)
        stream = sys.stdin.buffer if args.file == "-" else open(
            _check_readable(args.file, "input file"), "rb")
    except (OSError, ValueError, TypeError) as exc:
        raise _usage(exc) from None
    with stream:
        batch: list[str] = []
        for raw in stream:
            batch.append(raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape"))
            if len(batch) == _PREDICT_BATCH:
                _print_predictions(model, batch, args)
                batch = []
        if batch:
            _print_predictions(model, batch, args)
    return 0


def _print_predictions(model: FastText, texts: list[str], args: Any) -> None:
    labels, probs = model.predict(texts, k=args.k, threshold=args.threshold)
    out = []
    for names, p in zip(labels, probs):
        if args.prob:
            out.append(" ".join(f"{name} {float(q):g}" for name, q in zip(names, p)))
        else:
            out.append(" ".join(names))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
