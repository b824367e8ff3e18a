"""fastText's dictionary, and lines of text encoded as the rows and labels of examples.

:class:`Dictionary` holds the words by decreasing count, then the labels; :func:`encode` turns
the tokens of a text (``_reading.Tokens``) into :class:`Lines`, fastText's ``getLine`` for
every line at once: each line's input rows (its words, or their character n-grams, then its
hashed word n-grams) and its label ids, stored CSR.

>>> from firstlayer.models.fasttext._args import SupervisedArgs
>>> from firstlayer.models.fasttext._reading import tokenize
>>> tokens = tokenize([b"__label__x a b\\n__label__y b c\\n"])
>>> d = Dictionary.build(tokens, SupervisedArgs())
>>> d.entries
[b'b', b'</s>', b'a', b'c', b'__label__x', b'__label__y']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._args import SupervisedArgs
from ._reading import EOS_BYTES, Tokens

__all__ = ["Dictionary", "Lines", "encode", "joined"]


class Dictionary:
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
        # a quantized model's pruned n-grams (fastText's pruneidx): bucket -> n-gram number
        # (its row is nwords + number); None when nothing was pruned (every bucket has a row)
        self.pruneidx: dict[int, int] | None = None

    def pruned_rows(self, rows: np.ndarray) -> np.ndarray:
        """Hashed rows (``nwords + bucket``) as a pruned dictionary has them: ``nwords +
        pruneidx[bucket]``, -1 for a bucket it dropped; unchanged without ``pruneidx``."""
        rows = np.asarray(rows, np.int64)
        if self.pruneidx is None:
            return rows
        keys = np.fromiter(self.pruneidx.keys(), np.int64, len(self.pruneidx))
        values = np.fromiter(self.pruneidx.values(), np.int64, len(self.pruneidx))
        order = np.argsort(keys)
        keys, values = np.append(keys[order], -1), np.append(values[order], -1)
        out = rows.copy()
        hashed = rows >= self.nwords
        buckets = rows[hashed] - self.nwords
        pos = np.searchsorted(keys[:-1], buckets)  # == len(pruneidx): not there (-1 at the end)
        found = keys[pos] == buckets
        out[hashed] = np.where(found, self.nwords + values[pos], -1)
        return out

    @classmethod
    def build(cls, tokens: Tokens, args: SupervisedArgs) -> Dictionary:
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

    def with_words(self, extra: Sequence[bytes]) -> Dictionary:
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
        return Dictionary(entries, all_counts, len(words), self.ntokens + len(extra))

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


def joined(tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Tokens -> one uint8 buffer and the ``(n + 1,)`` offsets of each token in it."""
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    starts = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    return np.frombuffer(b"".join(tokens), np.uint8), starts


@dataclass
class Lines:
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

    def select(self, keep: np.ndarray) -> Lines:
        """The lines where ``keep`` is True; each keeps the tokens of the dropped lines before
        it (and the last one those after it), so that the token counts still add up."""
        kept = np.flatnonzero(keep)
        ends = np.cumsum(self.tokens)[kept]
        tokens = np.diff(np.concatenate([[0], ends]))
        if tokens.size:
            tokens[-1] += int(self.tokens.sum()) - int(ends[-1])
        row_ptr, rows = _select_csr(self.row_ptr, self.rows, keep)
        label_ptr, labels = _select_csr(self.label_ptr, self.labels, keep)
        return Lines(row_ptr, rows, label_ptr, labels, tokens, self.words[kept],
                      self.label_tokens[kept])


def _select_csr(
    ptr: np.ndarray, values: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.diff(ptr)
    new_ptr = np.zeros(int(keep.sum()) + 1, np.int64)
    np.cumsum(sizes[keep], out=new_ptr[1:])
    return new_ptr, values[np.repeat(keep, sizes)]


def encode(tokens: Tokens, d: Dictionary, args: SupervisedArgs) -> Lines:
    """fastText's ``getLine`` on every line: rows of the words (or of their character n-grams),
    then of the word n-grams; the ids of the known labels."""
    from . import _read_kernels as K  # numba loads only when text is encoded

    word_id, label_id, is_label = d.lookup(tokens.distinct, args.label.encode("utf-8"))
    eos = tokens.find(EOS_BYTES)
    use_sub = args.maxn > 0
    if use_sub:
        buf, starts = joined(tokens.distinct)
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
    lines = Lines(*out)
    if d.pruneidx is not None:  # a quantized model's dictionary: drop and renumber n-grams
        rows = d.pruned_rows(lines.rows)
        keep = rows >= 0
        kept = np.zeros(lines.rows.size + 1, np.int64)
        np.cumsum(keep, out=kept[1:])
        lines.row_ptr = kept[lines.row_ptr]
        lines.rows = rows[keep].astype(lines.rows.dtype)
    return lines
