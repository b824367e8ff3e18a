"""The compiled loops that turn text into fastText's examples (numba, ``nogil``).

Each works on whole arrays, so that Python never loops per token:

* ``tokenize_block``: fastText's reading of a file: bytes -> tokens -> ids of distinct tokens,
  with each token's FNV-1a hash (``_hash.fnv1a``) and count;
* ``subword_rows``: the character n-gram rows of many tokens at once (``maxn > 0``);
* ``encode_lines``: a file's token stream (ids into the file's own list of distinct tokens)
  -> one *example* per line: the line's input rows (word ids or their character n-grams, then
  the hashed word n-grams, in fastText's order) and its label ids.

The hashing is ``_hash_kernels``' (``_hash``'s arithmetic, compiled: the tests compare the two).
Training's loops are in ``_train_kernels``.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from ._hash_kernels import FNV_OFFSET, char_ngram_rows, fnv_step, word_ngram_rows

# Reassociation lets LLVM vectorise the dot products and row updates; no "nnan"/"ninf", so
# that infinities and NaN keep their meaning in the checks.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
JIT_OPTIONS: dict[str, Any] = dict(nogil=True, cache=True, fastmath=_FASTMATH)


# ---- reading: bytes -> tokens ---------------------------------------------------------------
@numba.njit(inline="always")
def _is_space(c: int) -> bool:
    # fastText's readWord splits at exactly these: space, \n, \r, \t, \v, \f, NUL
    return c == 32 or c == 10 or c == 13 or c == 9 or c == 11 or c == 12 or c == 0


@numba.njit(inline="always")
def _slot(
    table: np.ndarray, keys: np.ndarray, key_ptr: np.ndarray, key_hash: np.ndarray,
    src: np.ndarray, start: int, stop: int, h: np.uint32,
) -> int:
    """Open addressing (fastText's ``Dictionary::find``): the slot holding the token
    ``src[start:stop]``, or the empty slot where it goes. ``table`` size is a power of two."""
    mask = table.shape[0] - 1
    i = int(h) & mask
    size = stop - start
    while True:
        k = table[i]
        if k == -1:
            return i
        if key_hash[k] == h and key_ptr[k + 1] - key_ptr[k] == size:
            same = True
            base = key_ptr[k]
            for q in range(size):
                if keys[base + q] != src[start + q]:
                    same = False
                    break
            if same:
                return i
        i = (i + 1) & mask


@numba.njit(inline="always")
def _store(
    table: np.ndarray, keys: np.ndarray, key_ptr: np.ndarray, key_hash: np.ndarray,
    src: np.ndarray, start: int, stop: int, h: np.uint32, slot: int, nkeys: int,
) -> None:
    """Put the new distinct token ``src[start:stop]`` at index ``nkeys`` and ``table[slot]``."""
    base = key_ptr[nkeys]
    for q in range(stop - start):
        keys[base + q] = src[start + q]
    key_ptr[nkeys + 1] = base + stop - start
    key_hash[nkeys] = h
    table[slot] = nkeys


@numba.njit(inline="always")
def _has_room(
    table: np.ndarray, keys: np.ndarray, key_ptr: np.ndarray, key_hash: np.ndarray,
    nkeys: int, size: int,
) -> bool:
    # the table stays at most half full, so that probe sequences stay short
    return (
        key_ptr[nkeys] + size <= keys.shape[0]
        and nkeys + 1 < key_hash.shape[0]
        and 2 * (nkeys + 1) <= table.shape[0]
    )


FULL = -1  # tokenize_block's status when an array must grow before it can go on


@numba.njit(**JIT_OPTIONS)
def tokenize_block(
    buf: np.ndarray,
    pos: int,
    eos: np.ndarray,
    eos_id: int,
    table: np.ndarray,
    keys: np.ndarray,
    key_ptr: np.ndarray,
    key_hash: np.ndarray,
    counts: np.ndarray,
    nkeys: int,
    ids: np.ndarray,
    nt: int,
) -> tuple:
    """fastText's reading of ``buf[pos:]``: tokens split at whitespace, each newline a ``</s>``
    token (the bytes ``eos``), each token written to ``ids[nt:]`` as its distinct token's id.

    The distinct tokens so far are the state carried from call to call: their bytes back to
    back in ``keys`` (token ``k`` is ``keys[key_ptr[k]:key_ptr[k + 1]]``), their ``fnv1a`` in
    ``key_hash``, their ``counts``, and ``table``, an open-addressing index of them (-1: an
    empty slot; fastText's ``Dictionary::find``). ``eos_id`` is the id of ``</s>`` (-1: not
    yet seen). ``ids`` must have room for every token of ``buf``.

    Returns ``(pos, nt, nkeys, eos_id, status)``: ``status`` is ``FULL`` when a new token did
    not fit (the caller grows the arrays, rehashes ``table`` if it grew, and calls again from
    ``pos``), else 0 (the block is done).
    """
    n = buf.shape[0]
    i = pos
    while i < n:
        c = buf[i]
        if c == 10:
            if eos_id < 0:
                h = FNV_OFFSET
                for q in range(eos.shape[0]):
                    h = fnv_step(h, eos[q])
                s = _slot(table, keys, key_ptr, key_hash, eos, 0, eos.shape[0], h)
                if table[s] == -1:
                    if not _has_room(table, keys, key_ptr, key_hash, nkeys, eos.shape[0]):
                        return i, nt, nkeys, eos_id, FULL
                    _store(table, keys, key_ptr, key_hash, eos, 0, eos.shape[0], h, s, nkeys)
                    nkeys += 1
                eos_id = table[s]
            counts[eos_id] += 1
            ids[nt] = eos_id
            nt += 1
            i += 1
            continue
        if _is_space(c):
            i += 1
            continue
        start = i
        h = FNV_OFFSET
        while i < n and not _is_space(buf[i]):
            h = fnv_step(h, buf[i])
            i += 1
        s = _slot(table, keys, key_ptr, key_hash, buf, start, i, h)
        k = table[s]
        if k == -1:
            if not _has_room(table, keys, key_ptr, key_hash, nkeys, i - start):
                return start, nt, nkeys, eos_id, FULL
            _store(table, keys, key_ptr, key_hash, buf, start, i, h, s, nkeys)
            k = nkeys
            nkeys += 1
        counts[k] += 1
        ids[nt] = k
        nt += 1
    return i, nt, nkeys, eos_id, 0


@numba.njit(**JIT_OPTIONS)
def rehash(size: int, key_hash: np.ndarray, nkeys: int) -> np.ndarray:
    """A new ``table`` of ``size`` slots (a power of two) for the first ``nkeys`` tokens."""
    table = np.full(size, -1, np.int32)
    mask = size - 1
    for k in range(nkeys):
        i = int(key_hash[k]) & mask
        while table[i] != -1:
            i = (i + 1) & mask
        table[i] = k
    return table


# ---- character n-grams ----------------------------------------------------------------------
@numba.njit(**JIT_OPTIONS)
def subword_rows(
    buf: np.ndarray,
    starts: np.ndarray,
    word_id: np.ndarray,
    is_label: np.ndarray,
    no_ngrams: np.ndarray,
    minn: int,
    maxn: int,
    bucket: int,
    nwords: int,
) -> tuple:
    """Each token's input rows when ``maxn > 0``: its word id (if in the vocabulary), then the
    rows of the character n-grams of ``"<" + token + ">"`` (``_hash.char_ngram_rows``).
    Labels get no rows; tokens marked ``no_ngrams`` (``</s>``) only their id.

    Returns ``(ptr, rows)``: token ``t``'s rows are ``rows[ptr[t]:ptr[t + 1]]``.
    """
    n = starts.shape[0] - 1
    longest = 0
    for t in range(n):
        longest = max(longest, starts[t + 1] - starts[t])
    word = np.empty(longest + 2, np.uint8)
    ptr = np.zeros(n + 1, np.int64)
    unused = np.empty(0, np.int32)  # pass 1 writes no row (ptr as `out`: 5% slower)
    for t in range(n):  # pass 1: how many rows each token has (counting needs no % bucket)
        count = 0
        if not is_label[t]:
            count = 1 if word_id[t] >= 0 else 0
            if not no_ngrams[t]:
                count = char_ngram_rows(buf, starts[t], starts[t + 1], word, minn, maxn, bucket,
                                        nwords, unused, count, False)
        ptr[t + 1] = ptr[t] + count
    rows = np.empty(ptr[n], np.int32)
    for t in range(n):  # pass 2: the rows
        if is_label[t]:
            continue
        pos = ptr[t]
        if word_id[t] >= 0:
            rows[pos] = word_id[t]
            pos += 1
        if not no_ngrams[t]:
            char_ngram_rows(buf, starts[t], starts[t + 1], word, minn, maxn, bucket, nwords, rows,
                            pos, True)
    return ptr, rows


# ---- a file's tokens -> examples ------------------------------------------------------------
@numba.njit(**JIT_OPTIONS)
def encode_lines(
    tokens: np.ndarray,
    eos: int,
    word_id: np.ndarray,
    label_id: np.ndarray,
    is_label: np.ndarray,
    hashes: np.ndarray,
    sub_ptr: np.ndarray,
    sub_rows: np.ndarray,
    use_sub: bool,
    n: int,
    bucket: int,
    nwords: int,
) -> tuple:
    """Cut a token stream into lines at ``eos`` and encode each line as fastText's ``getLine``.

    Args:
        tokens: ``(T,)`` int32 ids into the file's distinct tokens ("raw" ids).
        eos: the raw id of ``</s>`` (every newline became one), or -1 if none.
        word_id: ``(R,)`` the vocabulary id of each raw token, -1 if none (a label, or a word
            outside the vocabulary).
        label_id: ``(R,)`` the label id of each raw token, -1 if not a known label.
        is_label: ``(R,)`` whether the token starts with the label prefix.
        hashes: ``(R,)`` int32 ``fnv1a`` of each raw token.
        sub_ptr, sub_rows: with ``use_sub``, the input rows of raw token ``t`` are
            ``sub_rows[sub_ptr[t]:sub_ptr[t + 1]]`` (its id, then its character n-grams).
        n, bucket, nwords: ``wordNgrams``, the hash rows, the vocabulary size.

    Returns ``(row_ptr, rows, label_ptr, labels, tokens_per_line, words_per_line,
    label_tokens_per_line)``: line ``i`` has input rows ``rows[row_ptr[i]:row_ptr[i + 1]]``
    and labels ``labels[label_ptr[i]:label_ptr[i + 1]]``; ``words_per_line`` counts the text
    tokens (not labels, not ``</s>``), ``label_tokens_per_line`` every label-like token.
    """
    total = tokens.shape[0]
    nlines = 0
    for k in range(total):
        if tokens[k] == eos:
            nlines += 1
    if total > 0 and tokens[total - 1] != eos:
        nlines += 1  # a last line without a newline
    ntok = np.zeros(nlines, np.int64)
    nwrd = np.zeros(nlines, np.int64)
    nlab_tok = np.zeros(nlines, np.int64)
    row_ptr = np.zeros(nlines + 1, np.int64)
    label_ptr = np.zeros(nlines + 1, np.int64)
    # pass 1: sizes
    line = 0
    nh = 0  # the line's non-label tokens, whose hashes make the word n-grams
    longest = 0
    for k in range(total):
        t = tokens[k]
        ntok[line] += 1
        if is_label[t]:
            nlab_tok[line] += 1
            if label_id[t] >= 0:
                label_ptr[line + 1] += 1
        else:
            nh += 1
            if t != eos:
                nwrd[line] += 1
            if use_sub:
                row_ptr[line + 1] += sub_ptr[t + 1] - sub_ptr[t]
            elif word_id[t] >= 0:
                row_ptr[line + 1] += 1
        if t == eos or k == total - 1:
            if n > 1:
                for i in range(nh):
                    row_ptr[line + 1] += min(n - 1, nh - 1 - i)
            longest = max(longest, nh)
            nh = 0
            line += 1
    for i in range(nlines):
        row_ptr[i + 1] += row_ptr[i]
        label_ptr[i + 1] += label_ptr[i]
    rows = np.empty(row_ptr[nlines], np.int32)
    labels = np.empty(label_ptr[nlines], np.int32)
    # pass 2: fill
    line_hashes = np.empty(max(longest, 1), np.int32)
    line = 0
    nh = 0
    rpos = 0
    lpos = 0
    for k in range(total):
        t = tokens[k]
        if is_label[t]:
            if label_id[t] >= 0:
                labels[lpos] = label_id[t]
                lpos += 1
        else:
            line_hashes[nh] = hashes[t]
            nh += 1
            if use_sub:
                for s in range(sub_ptr[t], sub_ptr[t + 1]):
                    rows[rpos] = sub_rows[s]
                    rpos += 1
            elif word_id[t] >= 0:
                rows[rpos] = word_id[t]
                rpos += 1
        if t == eos or k == total - 1:
            if n > 1:
                rpos = word_ngram_rows(line_hashes, nh, n, bucket, nwords, rows, rpos)
            nh = 0
            line += 1
    return row_ptr, rows, label_ptr, labels, ntok, nwrd, nlab_tok
