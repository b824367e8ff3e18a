"""The compiled loops of training fastText's classifier (numba, ``nogil``).

* ``uniform_rows``: the input matrix's U(-1/dim, 1/dim) start, block by block;
* ``train_worker``: Hogwild SGD over the examples, one thread per call. Its inputs come in two
  records: :class:`TrainArrays` (the weights and the encoded examples, shared by the threads)
  and :class:`TrainSettings` (the numbers of the run); each thread adds its ``slot`` and the
  example it starts from.

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
from typing import NamedTuple

import numba
import numpy as np

from ._args import LOSS_NS, LOSS_OVA, LOSS_SOFTMAX
from ._read_kernels import JIT_OPTIONS


class TrainArrays(NamedTuple):
    """The arrays of one training run, shared by its threads (numba takes it as one tuple)."""

    w_in: np.ndarray  # (nwords + bucket, dim) float32, the input matrix, updated in place
    w_out: np.ndarray  # (labels, dim) float32, the output matrix, updated in place
    row_ptr: np.ndarray  # (examples + 1,) int64: example e's rows are rows[row_ptr[e]:row_ptr[e+1]]
    rows: np.ndarray  # int32 input rows of every example
    label_ptr: np.ndarray  # (examples + 1,) int64, as row_ptr for labels
    labels: np.ndarray  # int32 label ids of every example
    tokens: np.ndarray  # (examples,) int64: tokens each example counts for the learning rate
    neg_cdf: np.ndarray  # float64 cumulative distribution negatives are drawn from (ns)
    path_ptr: np.ndarray  # (labels + 1,) int64: label j's Huffman path is path_nodes[ptr[j]:..]
    path_nodes: np.ndarray  # int32 inner nodes (output rows) on each label's path (hs)
    path_codes: np.ndarray  # int8 code of each step: 1 where the label is the right child
    counters: np.ndarray  # (threads, 8) int64: column 0, the tokens each thread has done
    stats: np.ndarray  # (threads, 8) float64: columns 0 and 1, each thread's loss sum, examples


class TrainSettings(NamedTuple):
    """The numbers of one training run."""

    total_tokens: int  # stop when the threads together have done this many (epoch * tokens)
    lr: float  # the learning rate at the start; it decays linearly to 0
    lr_update_rate: int  # a thread publishes its token count every this many tokens
    loss: int  # LOSS_SOFTMAX, LOSS_NS, LOSS_OVA or LOSS_HS
    neg: int  # negatives per example (ns)
    seed: int  # each thread's generator starts from (seed, slot)


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


@numba.njit(**JIT_OPTIONS)
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
def stream_start(seed: int, slot: int) -> np.uint64:
    """The first state of thread ``slot``'s stream: a hash of (seed, slot), so that streams of
    nearby seeds do not overlap (a start of ``seed * step + slot`` would make seed 1's stream
    seed 0's, one draw later)."""
    _, state = _splitmix64(np.uint64(seed & 0xFFFFFFFF) << np.uint64(32) | np.uint64(slot))
    return state


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


@numba.njit(inline="always")
def softmax_step(w_out: np.ndarray, target: int, hidden: np.ndarray, grad: np.ndarray,
                 scores: np.ndarray, lr: float) -> float:
    """One softmax step over every output row (the largest score subtracted before exp): adds
    the gradient of ``hidden`` into ``grad``, updates ``w_out``, returns the loss."""
    n, dim = w_out.shape
    top = -np.inf
    for i in range(n):
        f = np.float32(0.0)
        for c in range(dim):
            f += w_out[i, c] * hidden[c]
        scores[i] = f
        top = max(top, f)
    z = 0.0
    for i in range(n):
        scores[i] = math.exp(scores[i] - top)
        z += scores[i]
    loss = 0.0
    for i in range(n):
        p = scores[i] / z
        alpha = np.float32(lr * ((1.0 if i == target else 0.0) - p))
        if alpha != 0.0:
            for c in range(dim):
                grad[c] += alpha * w_out[i, c]
                w_out[i, c] += alpha * hidden[c]
        if i == target:
            loss = -math.log(p + 1e-5)
    return loss


@numba.njit(**JIT_OPTIONS)
def train_worker(arrays: TrainArrays, settings: TrainSettings, slot: int, first: int) -> None:
    """One Hogwild thread: SGD over the examples from ``first`` on (cyclically) until the
    threads together have seen ``settings.total_tokens`` tokens.

    ``arrays.counters[slot, 0]`` gets this thread's token count every ``lr_update_rate``
    tokens, ``arrays.stats[slot]`` its (loss sum, example count), for the progress report.
    """
    w_in, w_out = arrays.w_in, arrays.w_out
    row_ptr, rows, label_ptr, labels = arrays.row_ptr, arrays.rows, arrays.label_ptr, arrays.labels
    ex_tokens, neg_cdf = arrays.tokens, arrays.neg_cdf
    path_ptr, path_nodes, path_codes = arrays.path_ptr, arrays.path_nodes, arrays.path_codes
    counters, stats = arrays.counters, arrays.stats
    total_tokens, lr0 = settings.total_tokens, settings.lr
    lr_update_rate, loss_kind = settings.lr_update_rate, settings.loss
    neg, seed = settings.neg, settings.seed
    n_examples = row_ptr.shape[0] - 1
    dim = w_in.shape[1]
    nlabels = w_out.shape[0]
    hidden = np.empty(dim, np.float32)
    grad = np.empty(dim, np.float32)
    scores = np.empty(nlabels, np.float64)
    state = stream_start(seed, slot)
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
                loss = softmax_step(w_out, target, hidden, grad, scores, lr)
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
