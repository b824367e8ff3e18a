"""The compiled loop of fastText's unsupervised training: skip-gram and CBOW (numba, ``nogil``).

``train_worker`` is one Hogwild thread. Its inputs come in two records: :class:`UnsupArrays`
(the weights and the encoded text, shared by the threads) and :class:`UnsupSettings` (the
numbers of the run). A word ``w`` is the rows ``subwords(w)`` of the input matrix: its own row,
then the rows of its character n-grams. For each line, as fastText's ``getLine``, ``skipgram``
and ``cbow`` (``src/fasttext.cc``, ``src/dictionary.cc``):

1. Subsampling: each word of the line stays with probability ``keep[w] = sqrt(t/f) + t/f``
   (``f``: its share of the file's tokens), drawn again each time the line is read.
2. For each position ``i`` a window half-width ``b`` uniform in ``1..ws``; the context is the
   words at ``i +- 1..b``. The step of one (input rows, target word) pair::

       hidden = mean(W_in[rows])
       loss over the target: ns (the target and ``neg`` words drawn from the negative table,
           never the target), hs (the target's Huffman path) or softmax (every word)
       for each unit j of the loss: g_j = lr * ([j is positive] - sigmoid(W_out[j] . hidden))
           (ns and hs: fastText's sigmoid table: 0 below -8, 1 above 8, 512 steps between)
           grad += g_j * W_out[j];  W_out[j] += g_j * hidden      (grad before W_out moves)
       W_in[r] += grad   for each r in rows      (not divided by len(rows): fastText normalises
                                                  only the supervised model's gradient)

   skipgram: rows = subwords(line[i]), one step per context word as target.
   cbow: rows = the subwords of every context word together, target line[i].

skipgram's steps for one centre word share their rows, and each step moves every row by the
same ``grad``, so the next step's hidden vector is known without reading the rows again:
``mean(rows + grad) = hidden + gain * grad``, ``gain = sum_r m_r^2 / len(rows)`` (``m_r``: how
often row ``r`` is in the list; 1 without repeats). The rows are then written once, with the sum
of the steps' gradients: the same arithmetic as fastText's step-by-step updates, with a half to
a fifth of the memory traffic.

The learning rate is ``lr * (1 - tokens done / total)``, taken at the start of each line; each
thread publishes its token count every ``lr_update_rate`` tokens (a line counts its tokens of
the dictionary, labels and ``</s>`` included, discarded ones too), as fastText.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from ._args import LOSS_HS, LOSS_NS
from ._read_kernels import JIT_OPTIONS
from ._train_kernels import _uniform01, softmax_step, stream_start

# fastText's sigmoid (``Loss::sigmoid``): 0 below -8, 1 above 8, else the table entry
# ``int((x + 8) * 512 / 16)`` of 513 values sigmoid(-8 + 16 i / 512)
_SIGMOID = (1.0 / (1.0 + np.exp(-(np.arange(513) * 16.0 / 512.0 - 8.0)))).astype(np.float32)

CBOW, SKIPGRAM = 0, 1


class UnsupArrays(NamedTuple):
    """The arrays of one unsupervised run, shared by its threads."""

    w_in: np.ndarray  # (nwords + bucket, dim) float32, updated in place
    w_out: np.ndarray  # (nwords, dim) float32, updated in place
    seq: np.ndarray  # int32: the file's tokens of the dictionary: word ids, -1 for labels
    line_ptr: np.ndarray  # (lines + 1,) int64: line l is seq[line_ptr[l]:line_ptr[l + 1]]
    sub_ptr: np.ndarray  # (nwords + 1,) int64: word w's rows are sub_rows[ptr[w]:ptr[w + 1]]
    sub_rows: np.ndarray  # int32 rows of each word: its own, then its character n-grams'
    gain: np.ndarray  # (nwords,) float32: sum of squared multiplicities / len(rows) (skipgram)
    keep: np.ndarray  # (nwords,) float64: the probability that subsampling keeps the word
    neg_table: np.ndarray  # int32: words in proportion to count^0.5 (ns)
    path_ptr: np.ndarray  # (nwords + 1,) int64: Huffman paths, as in _train_kernels (hs)
    path_nodes: np.ndarray  # int32
    path_codes: np.ndarray  # int8
    counters: np.ndarray  # (threads, 8) int64: column 0, the tokens each thread has done
    stats: np.ndarray  # (threads, 8) float64: columns 0 and 1, loss sum and steps per thread


class UnsupSettings(NamedTuple):
    """The numbers of one unsupervised run."""

    total_tokens: int  # epoch * the file's tokens
    lr: float
    lr_update_rate: int
    model: int  # CBOW or SKIPGRAM
    loss: int  # LOSS_NS, LOSS_HS or LOSS_SOFTMAX
    neg: int
    ws: int
    seed: int


@numba.njit(inline="always")
def _binary_logistic(
    w_out: np.ndarray, node: int, hidden: np.ndarray, grad: np.ndarray, positive: bool, lr: float
) -> float:
    """One sigmoid unit's step (fastText's ``binaryLogistic``, its sigmoid table); its loss."""
    dim = hidden.shape[0]
    f = np.float32(0.0)
    for c in range(dim):
        f += w_out[node, c] * hidden[c]
    if f < -8.0:
        score = np.float32(0.0)
    elif f > 8.0:
        score = np.float32(1.0)
    else:
        score = _SIGMOID[int((f + np.float32(8.0)) * np.float32(32.0))]
    alpha = np.float32(lr * ((1.0 if positive else 0.0) - score))
    for c in range(dim):
        grad[c] += alpha * w_out[node, c]
        w_out[node, c] += alpha * hidden[c]
    if positive:
        return -math.log(score + 1e-5)
    return -math.log(1.0 - score + 1e-5)


@numba.njit(inline="always")
def _target_step(
    a: UnsupArrays, s: UnsupSettings, target: int, hidden: np.ndarray, grad: np.ndarray,
    scores: np.ndarray, lr: float, state: np.uint64,
) -> tuple:
    """One step of the loss on ``target`` (grad accumulates, W_out moves); (state, loss)."""
    w_out = a.w_out
    loss = 0.0
    if s.loss == LOSS_NS:
        loss = _binary_logistic(w_out, target, hidden, grad, True, lr)
        size = a.neg_table.shape[0]
        for _ in range(s.neg):
            for _tries in range(1000):  # only a one-word vocabulary makes this loop long
                state, u = _uniform01(state)
                negative = a.neg_table[min(int(u * size), size - 1)]
                if negative != target:
                    loss += _binary_logistic(w_out, negative, hidden, grad, False, lr)
                    break
    elif s.loss == LOSS_HS:
        for q in range(a.path_ptr[target], a.path_ptr[target + 1]):
            loss += _binary_logistic(w_out, a.path_nodes[q], hidden, grad, a.path_codes[q] == 1,
                                     lr)
    else:  # softmax over every word
        loss = softmax_step(w_out, target, hidden, grad, scores, lr)
    return state, loss


@numba.njit(**JIT_OPTIONS)
def train_worker(a: UnsupArrays, s: UnsupSettings, slot: int, first: int) -> None:
    """One Hogwild thread: lines from ``first`` on (cyclically) until the threads together
    have counted ``s.total_tokens`` tokens."""
    w_in = a.w_in
    dim = w_in.shape[1]
    n_lines = a.line_ptr.shape[0] - 1
    longest = 1
    for line in range(n_lines):
        longest = max(longest, a.line_ptr[line + 1] - a.line_ptr[line])
    words = np.empty(longest, np.int32)
    hidden = np.empty(dim, np.float32)
    grad = np.empty(dim, np.float32)
    total_grad = np.empty(dim, np.float32)
    scores = np.empty(a.w_out.shape[0] if s.loss not in (LOSS_NS, LOSS_HS) else 1, np.float64)
    state = stream_start(s.seed, slot)
    line = first
    local = 0
    loss_sum = 0.0
    steps = 0
    while True:
        done = 0
        for t in range(a.counters.shape[0]):
            done += a.counters[t, 0]
        if done >= s.total_tokens:
            break
        lr = s.lr * (1.0 - done / s.total_tokens)
        lo, hi = a.line_ptr[line], a.line_ptr[line + 1]
        n = 0
        for k in range(lo, hi):  # subsampling, drawn anew at every reading
            w = a.seq[k]
            if w >= 0:
                state, u = _uniform01(state)
                if u <= a.keep[w]:
                    words[n] = w
                    n += 1
        for i in range(n):
            state, u = _uniform01(state)
            b = 1 + min(int(u * s.ws), s.ws - 1)
            if s.model == SKIPGRAM:
                r_lo, r_hi = a.sub_ptr[words[i]], a.sub_ptr[words[i] + 1]
                for c in range(dim):
                    hidden[c] = 0.0
                    total_grad[c] = 0.0
                for q in range(r_lo, r_hi):
                    r = a.sub_rows[q]
                    for c in range(dim):
                        hidden[c] += w_in[r, c]
                inv = np.float32(1.0 / (r_hi - r_lo))
                for c in range(dim):
                    hidden[c] *= inv
                gain = a.gain[words[i]]
                for j in range(max(0, i - b), min(n, i + b + 1)):
                    if j == i:
                        continue
                    for c in range(dim):
                        grad[c] = 0.0
                    state, loss = _target_step(a, s, words[j], hidden, grad, scores, lr, state)
                    loss_sum += loss
                    steps += 1
                    for c in range(dim):  # the rows moved by grad: so did their mean
                        total_grad[c] += grad[c]
                        hidden[c] += gain * grad[c]
                if n > 1:
                    for q in range(r_lo, r_hi):
                        r = a.sub_rows[q]
                        for c in range(dim):
                            w_in[r, c] += total_grad[c]
            else:  # CBOW
                size = 0
                for c in range(dim):
                    hidden[c] = 0.0
                    grad[c] = 0.0
                for j in range(max(0, i - b), min(n, i + b + 1)):
                    if j == i:
                        continue
                    for q in range(a.sub_ptr[words[j]], a.sub_ptr[words[j] + 1]):
                        r = a.sub_rows[q]
                        for c in range(dim):
                            hidden[c] += w_in[r, c]
                        size += 1
                if size == 0:
                    continue
                inv = np.float32(1.0 / size)
                for c in range(dim):
                    hidden[c] *= inv
                state, loss = _target_step(a, s, words[i], hidden, grad, scores, lr, state)
                loss_sum += loss
                steps += 1
                for j in range(max(0, i - b), min(n, i + b + 1)):
                    if j == i:
                        continue
                    for q in range(a.sub_ptr[words[j]], a.sub_ptr[words[j] + 1]):
                        r = a.sub_rows[q]
                        for c in range(dim):
                            w_in[r, c] += grad[c]
        local += hi - lo
        if local > s.lr_update_rate:
            a.counters[slot, 0] += local
            local = 0
            a.stats[slot, 0] = loss_sum
            a.stats[slot, 1] = steps
        line += 1
        if line == n_lines:
            line = 0
    a.counters[slot, 0] += local
    a.stats[slot, 0] = loss_sum
    a.stats[slot, 1] = steps
