"""The supervised fastText model's hot loops, compiled by numba.

Each works on whole arrays, so that Python never loops per token:

* ``tokenize_block``: fastText's reading of a file: bytes -> tokens -> ids of distinct tokens,
  with each token's FNV-1a hash (``_fasttext_hash.fnv1a``) and count;
* ``subword_rows``: the character n-gram rows of many tokens at once (``maxn > 0``);
* ``encode_lines``: a file's token stream (ids into the file's own list of distinct tokens)
  -> one *example* per line: the line's input rows (word ids or their character n-grams, then
  the hashed word n-grams, in fastText's order) and its label ids;
* ``uniform_rows``: the input matrix's U(-1/dim, 1/dim) start, block by block;
* ``train_worker``: Hogwild SGD over the examples, one thread per call (``nogil``).

The model is ``hidden = mean(W_in[rows])`` (an ``EmbeddingBag(mode="mean")``), ``scores =
W_out @ hidden`` (a ``Linear`` without bias) and a loss over the labels. Each example is one
SGD step on its loss with the learning rate of the moment, exactly the step autograd would take
(the tests check it against ``EmbeddingBag`` + ``Linear`` + ``cross_entropy`` + ``SGD``)::

    softmax:  p = softmax(scores);   g_i = p_i - [i == target]            for every label i
    ns:       g_i = sigmoid(scores_i) - [i == target] for the target and ``neg`` sampled labels
    ova:      g_i = sigmoid(scores_i) - [i in labels]                     for every label i
    hs:       g_n = sigmoid(scores_n) - code_n        for the inner nodes n of target's path

    grad_hidden = sum_i g_i * W_out[i]    (taken before W_out moves)
    W_out[i]   -= lr * g_i * hidden
    W_in[r]    -= lr * grad_hidden / len(rows)   for each row r of the example (repeats add up)

``softmax`` subtracts the largest score before ``exp`` (it cannot overflow); ``sigmoid`` is
exact (fastText uses a 512-entry table clipped at +-8). ``target`` is one of the line's labels
drawn uniformly (``ova`` uses them all), as fastText does.

The learning rate decays linearly over all the tokens of all epochs: ``lr * (1 - progress)``,
``progress = tokens done / (epoch * tokens in the file)``. Each thread adds its token count to
its own slot of a shared ``counters`` array every ``lrUpdateRate`` tokens; every thread reads
the sum, as fastText's threads read one shared counter.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

# Reassociation lets LLVM vectorise the dot products and row updates; no "nnan"/"ninf", so
# that infinities and NaN keep their meaning in the checks.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
_JIT: dict[str, Any] = dict(nogil=True, cache=True, fastmath=_FASTMATH)

LOSS_SOFTMAX, LOSS_NS, LOSS_OVA, LOSS_HS = 0, 1, 2, 3

_FNV_OFFSET = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)
_NGRAM_MUL = np.uint64(116049371)


@numba.njit(inline="always")
def _fnv_step(h: np.uint32, byte: np.uint8) -> np.uint32:
    """One byte of FNV-1a: XOR in the byte as a signed char widened to 32 bits, multiply.

    numba widens uint32 arithmetic to 64 bits, so the product is cut back to 32 explicitly.
    """
    return np.uint32((h ^ np.uint32(np.int32(np.int8(byte)))) * _FNV_PRIME)


# ---- word n-grams ---------------------------------------------------------------------------
@numba.njit(inline="always")
def _push_word_ngrams(
    hashes: np.ndarray, count: int, n: int, bucket: int, nwords: int, out: np.ndarray, pos: int
) -> int:
    """fastText's ``addWordNgrams``: rows of the 2..n-grams of ``hashes[:count]`` at ``pos``."""
    ub = np.uint64(bucket)
    for i in range(count):
        # the int32 hash, sign-extended to 64 bits, as fastText's ``uint64_t h = hashes[i]``
        h = np.uint64(np.int64(hashes[i]))
        for j in range(i + 1, min(count, i + n)):
            h = h * _NGRAM_MUL + np.uint64(np.int64(hashes[j]))
            out[pos] = nwords + np.int64(h % ub)
            pos += 1
    return pos


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


@numba.njit(**_JIT)
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
                h = _FNV_OFFSET
                for q in range(eos.shape[0]):
                    h = _fnv_step(h, eos[q])
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
        h = _FNV_OFFSET
        while i < n and not _is_space(buf[i]):
            h = _fnv_step(h, buf[i])
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


@numba.njit(**_JIT)
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
@numba.njit(**_JIT)
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
    rows of the character n-grams of ``"<" + token + ">"`` (``_fasttext_hash.char_ngram_rows``,
    compiled). Labels get no rows; tokens marked ``no_ngrams`` (``</s>``) only their id.

    Returns ``(ptr, rows)``: token ``t``'s rows are ``rows[ptr[t]:ptr[t + 1]]``.
    """
    n = starts.shape[0] - 1
    ptr = np.zeros(n + 1, np.int64)
    longest = 0
    for t in range(n):
        longest = max(longest, starts[t + 1] - starts[t])
    word = np.empty(longest + 2, np.uint8)
    ub = np.uint32(bucket)
    for fill in range(2):  # pass 0 counts, pass 1 writes
        if fill == 1:
            for t in range(n):
                ptr[t + 1] += ptr[t]
            rows = np.empty(ptr[n], np.int32)
        else:
            rows = np.empty(0, np.int32)
        for t in range(n):
            pos = ptr[t]
            count = 0
            if is_label[t]:
                continue
            if word_id[t] >= 0:
                if fill == 1:
                    rows[pos + count] = word_id[t]
                count += 1
            if not no_ngrams[t]:
                size = starts[t + 1] - starts[t] + 2
                word[0] = 60  # "<"
                for k in range(size - 2):
                    word[k + 1] = buf[starts[t] + k]
                word[size - 1] = 62  # ">"
                for i in range(size):
                    if word[i] & 0xC0 == 0x80:
                        continue
                    h = _FNV_OFFSET
                    j = i
                    m = 1
                    while j < size and m <= maxn:
                        h = _fnv_step(h, word[j])
                        j += 1
                        while j < size and word[j] & 0xC0 == 0x80:
                            h = _fnv_step(h, word[j])
                            j += 1
                        if m >= minn and not (m == 1 and (i == 0 or j == size)):
                            if fill == 1:
                                rows[pos + count] = nwords + np.int64(h % ub)
                            count += 1
                        m += 1
            if fill == 0:
                ptr[t + 1] = count
    return ptr, rows


# ---- a file's tokens -> examples ------------------------------------------------------------
@numba.njit(**_JIT)
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
                rpos = _push_word_ngrams(line_hashes, nh, n, bucket, nwords, rows, rpos)
            nh = 0
            line += 1
    return row_ptr, rows, label_ptr, labels, ntok, nwrd, nlab_tok


# ---- initialisation -------------------------------------------------------------------------
INIT_BLOCK = 4096  # rows per independently seeded block: the result is the same at any threads


@numba.njit(inline="always")
def _mix32(x: np.uint32) -> np.uint32:
    """A 32-bit integer hash (``lowbias32``): consecutive inputs give unrelated outputs."""
    x = np.uint32(x ^ (x >> np.uint32(16)))
    x = np.uint32(x * np.uint32(0x7FEB352D))
    x = np.uint32(x ^ (x >> np.uint32(15)))
    x = np.uint32(x * np.uint32(0x846CA68B))
    return np.uint32(x ^ (x >> np.uint32(16)))


@numba.njit(**_JIT)
def uniform_rows(weight: np.ndarray, bound: float, seed: int, block_lo: int, block_hi: int) -> None:
    """``weight[rows of blocks block_lo..block_hi-1] ~ U(-bound, bound)``, in place.

    Counter-based: the value at column ``c`` of row ``r`` of block ``b`` is a hash of
    ``(seed, b, r, c)``, so blocks can be filled by any threads in any order (the matrix does
    not depend on how many did) and the loop vectorises. 24 random bits per value.
    """
    rows, dim = weight.shape
    scale = np.float32(2.0 * bound / 16777216.0)
    shift = np.float32(bound)
    for b in range(block_lo, block_hi):
        key = _mix32(np.uint32(seed & 0xFFFFFFFF) ^ _mix32(np.uint32(b)))
        for r in range(b * INIT_BLOCK, min(rows, (b + 1) * INIT_BLOCK)):
            first = np.uint32((r - b * INIT_BLOCK) * dim)
            for c in range(dim):
                x = _mix32(key ^ np.uint32(first + np.uint32(c)))
                weight[r, c] = np.float32(x >> np.uint32(8)) * scale - shift


# ---- training -------------------------------------------------------------------------------
@numba.njit(inline="always")
def _splitmix64(state: np.uint64) -> tuple:
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(inline="always")
def _uniform01(state: np.uint64) -> tuple:
    """The next state of a thread's generator (splitmix64) and a float64 uniform in [0, 1):
    which label of a line is the target, which labels are the negatives."""
    state, z = _splitmix64(state)
    return state, np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(inline="always")
def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@numba.njit(inline="always")
def _binary_logistic(
    w_out: np.ndarray, node: int, hidden: np.ndarray, grad: np.ndarray, positive: bool, lr: float
) -> float:
    """One sigmoid unit's step (fastText's ``binaryLogistic``); returns its loss."""
    dim = hidden.shape[0]
    f = np.float32(0.0)
    for c in range(dim):
        f += w_out[node, c] * hidden[c]
    score = _sigmoid(f)
    label = 1.0 if positive else 0.0
    alpha = np.float32(lr * (label - score))
    for c in range(dim):
        grad[c] += alpha * w_out[node, c]
        w_out[node, c] += alpha * hidden[c]
    if positive:
        return -math.log(score + 1e-5)
    return -math.log(1.0 - score + 1e-5)


@numba.njit(**_JIT)
def train_worker(
    w_in: np.ndarray,
    w_out: np.ndarray,
    row_ptr: np.ndarray,
    rows: np.ndarray,
    label_ptr: np.ndarray,
    labels: np.ndarray,
    ex_tokens: np.ndarray,
    first: int,
    counters: np.ndarray,
    slot: int,
    total_tokens: int,
    lr0: float,
    lr_update_rate: int,
    loss_kind: int,
    neg: int,
    neg_cdf: np.ndarray,
    path_ptr: np.ndarray,
    path_nodes: np.ndarray,
    path_codes: np.ndarray,
    seed: int,
    stats: np.ndarray,
) -> None:
    """One Hogwild thread: SGD over the examples from ``first`` on (cyclically) until the
    threads together have seen ``total_tokens`` tokens.

    ``stats[slot]`` gets this thread's (loss sum, example count) as it goes, for progress.
    ``neg_cdf`` is the cumulative distribution negatives are drawn from (``ns``); ``path_*``
    the Huffman paths of the labels (``hs``, CSR by label).
    """
    n_examples = row_ptr.shape[0] - 1
    dim = w_in.shape[1]
    nlabels = w_out.shape[0]
    hidden = np.empty(dim, np.float32)
    grad = np.empty(dim, np.float32)
    scores = np.empty(nlabels, np.float64)
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(slot + 1)
    e = first
    local = 0
    loss_sum = 0.0
    count = 0
    while True:
        done = 0
        for s in range(counters.shape[0]):
            done += counters[s, 0]
        if done >= total_tokens:
            break
        lr = lr0 * (1.0 - done / total_tokens)
        start = row_ptr[e]
        stop = row_ptr[e + 1]
        size = stop - start
        # hidden = mean of the rows (EmbeddingBag, mode="mean")
        for c in range(dim):
            hidden[c] = 0.0
            grad[c] = 0.0
        for k in range(start, stop):
            r = rows[k]
            for c in range(dim):
                hidden[c] += w_in[r, c]
        inv = np.float32(1.0 / size)
        for c in range(dim):
            hidden[c] *= inv
        lab_lo = label_ptr[e]
        nlab = label_ptr[e + 1] - lab_lo
        loss = 0.0
        if loss_kind == LOSS_OVA:
            for i in range(nlabels):
                positive = False
                for q in range(lab_lo, lab_lo + nlab):
                    if labels[q] == i:
                        positive = True
                loss += _binary_logistic(w_out, i, hidden, grad, positive, lr)
        else:
            if nlab == 1:
                target = labels[lab_lo]
            else:
                state, u = _uniform01(state)
                target = labels[lab_lo + min(int(u * nlab), nlab - 1)]
            if loss_kind == LOSS_SOFTMAX:
                top = -np.inf
                for i in range(nlabels):
                    f = np.float32(0.0)
                    for c in range(dim):
                        f += w_out[i, c] * hidden[c]
                    scores[i] = f
                    top = max(top, f)
                z = 0.0
                for i in range(nlabels):
                    scores[i] = math.exp(scores[i] - top)
                    z += scores[i]
                for i in range(nlabels):
                    p = scores[i] / z
                    alpha = np.float32(lr * ((1.0 if i == target else 0.0) - p))
                    if alpha != 0.0:
                        for c in range(dim):
                            grad[c] += alpha * w_out[i, c]
                            w_out[i, c] += alpha * hidden[c]
                    if i == target:
                        loss = -math.log(p + 1e-5)
            elif loss_kind == LOSS_NS:
                loss = _binary_logistic(w_out, target, hidden, grad, True, lr)
                for _ in range(neg):
                    while True:
                        state, u = _uniform01(state)
                        negative = np.searchsorted(neg_cdf, u, side="right")
                        negative = min(negative, nlabels - 1)
                        if negative != target or nlabels == 1:
                            break
                    if negative != target:
                        loss += _binary_logistic(w_out, negative, hidden, grad, False, lr)
            else:  # LOSS_HS
                for q in range(path_ptr[target], path_ptr[target + 1]):
                    loss += _binary_logistic(
                        w_out, path_nodes[q], hidden, grad, path_codes[q] == 1, lr
                    )
        # every row of the example moves by grad / size (fastText's normalizeGradient)
        for c in range(dim):
            grad[c] *= inv
        for k in range(start, stop):
            r = rows[k]
            for c in range(dim):
                w_in[r, c] += grad[c]
        loss_sum += loss
        count += 1
        local += ex_tokens[e]
        if local > lr_update_rate:
            counters[slot, 0] += local
            local = 0
            stats[slot, 0] = loss_sum
            stats[slot, 1] = count
        e += 1
        if e == n_examples:
            e = 0
    counters[slot, 0] += local
    stats[slot, 0] = loss_sum
    stats[slot, 1] = count
