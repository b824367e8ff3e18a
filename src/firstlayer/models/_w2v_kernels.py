"""word2vec's hot loops, compiled by numba: one call trains on one batch of ~10,000 words.

This is the fast path of :class:`firstlayer.models.Word2Vec`. Each training example is one SGD
step on the example's loss, exactly the step the reference path takes through autograd
(``_w2v_reference``); the tests check that the two agree. Per example:

* skip-gram: the input vector ``h = syn0[context word]`` predicts the centre word;
* CBOW: ``h`` = the mean (``cbow_mean=1``) or sum of the context words' input vectors predicts
  the centre word.

Negative sampling scores the centre word (label 1) and ``negative`` words drawn from the
unigram^0.75 table (label 0) with ``f = h . syn1neg[t]``; the loss is
``-sum(log sigmoid(f_pos)) - sum(log sigmoid(-f_neg))``. Hierarchical softmax scores the inner
nodes on the centre word's Huffman path (``syn1[point]``, label ``1 - code``). For each target
``t`` with label ``y``: ``g = alpha * (y - sigmoid(f))``, then ``syn1neg[t] += g * h`` and
``work += g * syn1neg[t]`` (the *old* row: all gradients are taken before any row moves, as
autograd does; gensim moves a row before reusing it when a negative is drawn twice), and at
the end ``syn0[input rows] += work``.

Like word2vec.c and gensim, CBOW moves *every* context vector by ``work`` when ``h`` is their
mean, and by ``work / count`` when ``h`` is their sum: that is ``count`` times (resp. exactly)
the true gradient of the mean (resp. 1/count of the sum's), a known quirk that the published
learning rates were tuned with, so we keep it. Unlike them, ``sigmoid`` is computed exactly
(no 1,000-entry table, no skipped update when ``|f| >= 6``).

Random numbers come from word2vec.c's 48-bit linear congruential generator, seeded per batch:
first one draw per word for downsampling (keep word ``w`` when ``draw <= sample_int[w]``), then
one per kept word for its window reduction ``b`` in ``[0, window)``, then ``negative`` draws per
example for negative sampling, in training order. The reference path replays the same draws.
A noise draw ``x`` picks the word ``bisect_left(cum_table, x)``, as in gensim, but the bisection
runs only over the words of ``x``'s slice of the table (``_w2v_vocab.noise_buckets``; usually
one word): the full bisection's ~log2(V) unpredictable branches were skip-gram's costliest part.

Where the speed comes from (skip-gram, 500k tokens of Zipfian text, one epoch, one thread: 0.81
CPU-seconds with whole-table bisection, 0.45 with the slices; gensim's Cython 0.82): the draws,
then one pass over each scored row (read for ``work`` and moved at once, unless a noise word
repeats), and the loss (for the progress bar) as one log an example, not a log1p a target.

The functions release the GIL (``nogil=True``), so ``workers`` Python threads train on different
batches at once, updating the shared matrices without locks (Hogwild, as gensim does).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

# word2vec.c's generator: state' = (state * 25214903917 + 11) mod 2^48; a draw is state >> 16.
LCG_MUL = np.uint64(25214903917)
LCG_ADD = np.uint64(11)
LCG_MASK = np.uint64((1 << 48) - 1)
_SHIFT = np.uint64(16)
_NO_SHIFT = np.uint64(0)

# Reassociation lets LLVM vectorise the dot products (sums in a different order, the same on
# every run); "contract" allows fused multiply-adds. No "nnan"/"ninf": infinities stay exact.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@numba.njit(inline="always")
def _advance(state: np.uint64) -> np.uint64:
    return (state * LCG_MUL + LCG_ADD) & LCG_MASK


@numba.njit(inline="always")
def _bisect_left(table: np.ndarray, x: np.uint64, lo: int, hi: int) -> int:
    """Python's ``bisect_left(table, x, lo, hi)``."""
    while hi > lo:
        mid = (lo + hi) >> 1
        if np.uint64(table[mid]) >= x:
            hi = mid
        else:
            lo = mid + 1
    return lo


@numba.njit(nogil=True, cache=True, fastmath=_FASTMATH)
def subsample_and_windows(
    words: np.ndarray, starts: np.ndarray, sample_ints: np.ndarray, use_sample: bool,
    window: int, shrink_windows: bool, state: np.uint64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.uint64]:
    """Downsample a batch, then draw each kept word's window reduction.

    Args:
        words: ``(n,)`` int32 word ids of the batch, sentences back to back; -1 marks a word
            outside the vocabulary (dropped, as if absent: windows reach across it).
        starts: ``(s + 1,)`` int64 offsets of the sentences in ``words``.
        sample_ints: ``(V,)`` uint32 keep thresholds; ``use_sample=False`` keeps every word.

    Returns:
        ``(kept ids, kept sentence offsets, window reductions, generator state)``.
    """
    kept = np.empty(words.shape[0], np.int32)
    kept_starts = np.empty(starts.shape[0], np.int64)
    n = 0
    kept_starts[0] = 0
    for s in range(starts.shape[0] - 1):
        for p in range(starts[s], starts[s + 1]):
            w = words[p]
            if w < 0:  # not in the vocabulary: dropped before any draw, as in gensim
                continue
            if use_sample:
                draw = state >> _SHIFT
                state = _advance(state)
                if np.uint64(sample_ints[w]) < draw:
                    continue
            kept[n] = w
            n += 1
        kept_starts[s + 1] = n
    reduced = np.zeros(n, np.int32)
    if shrink_windows:
        for i in range(n):
            reduced[i] = np.int32((state >> _SHIFT) % np.uint64(window))
            state = _advance(state)
    return kept[:n], kept_starts, reduced, state


@numba.njit(inline="always")
def _loss(scores: np.ndarray, labels: np.ndarray, nt: int) -> float:
    """The targets' logistic loss. -log sigmoid(f) = log(1 + e) and -log sigmoid(-f) =
    log(1 + e) + f, e = exp(-f): the logs are summed as the log of the product of the (1 + e),
    one log an example instead of one a target (with a log1p a target, the loss, on for the
    progress bar, cost skip-gram half again its time). The product stays in float64's range."""
    loss = 0.0
    product = 1.0
    for k in range(nt):
        f = float(scores[k])
        if f > -15.0:
            product *= 1.0 + math.exp(-f)
        else:  # log(1 + e) = -f to float64 precision, and e could overflow
            loss -= f
        if labels[k] < 0.5:
            loss += f
        if product > 1e250:  # a long hierarchical-softmax path
            loss += math.log(product)
            product = 1.0
    return loss + math.log(product)


@numba.njit(inline="always")
def _score_and_step(
    h: np.ndarray, out: np.ndarray, targets: np.ndarray, labels: np.ndarray, nt: int,
    alpha: float, grads: np.ndarray, scores: np.ndarray, work: np.ndarray, compute_loss: bool,
) -> float:
    """One SGD step of the targets' logistic losses: gradients first, then every row moves.

    ``work`` accumulates ``g * out[t]`` (the rows before they move), the step for ``h``.
    """
    dim = h.shape[0]
    for k in range(nt):
        row = out[targets[k]]
        f = np.float32(0.0)
        for d in range(dim):
            f += h[d] * row[d]
        scores[k] = f
        # float32 throughout: expf is several times cheaper than exp, and this runs per target
        e = math.exp(-f)
        grads[k] = np.float32(alpha) * (labels[k] - np.float32(1.0) / (np.float32(1.0) + e))
    loss = _loss(scores, labels, nt) if compute_loss else 0.0
    repeated = False  # a noise word drawn twice: its second step must not see the first
    for k in range(1, nt):
        for q in range(k):
            repeated |= targets[q] == targets[k]
    if repeated:
        for k in range(nt):
            row = out[targets[k]]
            g = grads[k]
            for d in range(dim):
                work[d] += g * row[d]
        for k in range(nt):
            row = out[targets[k]]
            g = grads[k]
            for d in range(dim):
                row[d] += g * h[d]
    else:  # one pass over each row: read it for ``work``, then move it
        for k in range(nt):
            row = out[targets[k]]
            g = grads[k]
            for d in range(dim):
                r = row[d]
                work[d] += g * r
                row[d] = r + g * h[d]
    return loss


@numba.njit(inline="always")
def _negative_targets(
    centre: int, negative: int, cum_table: np.ndarray, state: np.uint64,
    fixed_negatives: np.ndarray, example: int, targets: np.ndarray, labels: np.ndarray,
    buckets: np.ndarray, shift: np.uint64,
) -> tuple[int, np.uint64]:
    """The centre word (label 1) then ``negative`` drawn words (label 0), those equal to the
    centre word left out (as gensim does). Returns (how many targets, generator state)."""
    targets[0] = centre
    labels[0] = 1.0
    nt = 1
    use_fixed = fixed_negatives.shape[0] > 0
    total = np.uint64(cum_table[cum_table.shape[0] - 1])
    for d in range(negative):
        if use_fixed:
            t = fixed_negatives[example, d]
        else:
            x = (state >> _SHIFT) % total
            b = x >> shift
            t = _bisect_left(cum_table, x, buckets[b], buckets[b + 1])
            state = _advance(state)
        if t == centre:
            continue
        targets[nt] = t
        labels[nt] = 0.0
        nt += 1
    return nt, state


@numba.njit(inline="always")
def _hs_targets(
    centre: int, points: np.ndarray, codes: np.ndarray, codelens: np.ndarray,
    targets: np.ndarray, labels: np.ndarray,
) -> int:
    n = codelens[centre]
    for k in range(n):
        targets[k] = points[centre, k]
        labels[k] = 1.0 - codes[centre, k]
    return n


def _locks(lockf: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """gensim's ``vectors_lockf`` for the kernels, and whether it changes anything."""
    if lockf is None or (lockf.size and bool(np.all(lockf == 1.0))):
        return np.ones(1, np.float32), False
    return np.ascontiguousarray(lockf, np.float32).reshape(-1), True


@numba.njit(inline="always")
def _step_row(
    row: np.ndarray, work: np.ndarray, w: int, locks: np.ndarray, use_locks: bool
) -> None:
    """``row += work``, scaled by the row's lock factor when there are locks."""
    if use_locks:
        lock = locks[w % locks.shape[0]]
        for d in range(work.shape[0]):
            row[d] += lock * work[d]
    else:
        for d in range(work.shape[0]):
            row[d] += work[d]


def _whole_table(
    cum_table: np.ndarray, buckets: np.ndarray | None, shift: np.uint64
) -> tuple[np.ndarray, np.uint64]:
    """The slice table given, else one slice spanning the whole table. (Decided here, not in
    the kernels: an optional array argument made numba's skip-gram 10% slower.)"""
    if buckets is None:
        return np.array([0, len(cum_table), len(cum_table)], np.int32), np.uint64(40)
    return buckets, np.uint64(shift)


def train_batch_sg(
    syn0: np.ndarray, syn1neg: np.ndarray, syn1: np.ndarray, cum_table: np.ndarray,
    points: np.ndarray, codes: np.ndarray, codelens: np.ndarray,
    idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray,
    window: int, negative: int, hs: bool, alpha: float, state: np.uint64,
    compute_loss: bool, fixed_negatives: np.ndarray, buckets: np.ndarray | None = None,
    bucket_shift: np.uint64 = _NO_SHIFT, lockf: np.ndarray | None = None,
) -> tuple[float, int, np.uint64]:
    """Skip-gram on one downsampled batch (``idx``, ``bounds``, ``reduced`` from
    :func:`subsample_and_windows`). Returns ``(loss, examples, generator state)``.

    ``fixed_negatives`` (``(examples, negative)`` int64, or ``(0, 0)`` to draw) replaces the
    draws: the tests inject them. ``buckets, bucket_shift`` (``_w2v_vocab.noise_buckets`` of
    ``cum_table``) make the draws faster; without them every draw bisects the whole table.
    ``lockf`` (gensim's ``vectors_lockf``, float32): input row ``w`` moves by
    ``lockf[w % len(lockf)]`` times its step (0 freezes it); ``None`` or all ones: plain steps.
    """
    starts, shift = _whole_table(cum_table, buckets, bucket_shift)
    locks, use_locks = _locks(lockf)
    kernel = _train_batch_sg_locked if use_locks else _train_batch_sg
    return kernel(  # type: ignore[no-any-return]
        syn0, syn1neg, syn1, cum_table, points, codes, codelens, idx, bounds, reduced, window,
        negative, hs, alpha, state, compute_loss, fixed_negatives, starts, shift, locks,
    )


def _sg_kernel(use_locks: bool) -> Any:
    """The skip-gram kernel, with or without ``vectors_lockf``: ``use_locks`` is a constant of
    the closure, so the plain kernel compiles without any lock code (a run-time flag cost
    CBOW a third of its speed)."""

    @numba.njit(nogil=True, cache=True, fastmath=_FASTMATH)
    def train_batch_sg(
        syn0: np.ndarray, syn1neg: np.ndarray, syn1: np.ndarray, cum_table: np.ndarray,
        points: np.ndarray, codes: np.ndarray, codelens: np.ndarray,
        idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray,
        window: int, negative: int, hs: bool, alpha: float, state: np.uint64,
        compute_loss: bool, fixed_negatives: np.ndarray, starts: np.ndarray, shift: np.uint64,
        locks: np.ndarray,
    ) -> tuple[float, int, np.uint64]:
        dim = syn0.shape[1]
        work = np.empty(dim, np.float32)
        size = max(negative + 1, codes.shape[1])
        targets = np.empty(size, np.int64)
        labels = np.empty(size, np.float32)
        grads = np.empty(size, np.float32)
        scores = np.empty(size, np.float32)
        loss = 0.0
        example = 0
        for s in range(bounds.shape[0] - 1):
            lo = bounds[s]
            hi = bounds[s + 1]
            for i in range(lo, hi):
                centre = idx[i]
                b = reduced[i]
                for j in range(max(lo, i - window + b), min(hi, i + window + 1 - b)):
                    if j == i:
                        continue
                    h = syn0[idx[j]]
                    if hs:
                        work[:] = 0.0
                        nt = _hs_targets(centre, points, codes, codelens, targets, labels)
                        loss += _score_and_step(
                            h, syn1, targets, labels, nt, alpha, grads, scores, work, compute_loss
                        )
                        _step_row(h, work, idx[j], locks, use_locks)
                    if negative > 0:
                        work[:] = 0.0
                        nt, state = _negative_targets(
                            centre, negative, cum_table, state, fixed_negatives, example,
                            targets, labels, starts, shift,
                        )
                        loss += _score_and_step(
                            h, syn1neg, targets, labels, nt, alpha, grads, scores, work,
                            compute_loss,
                        )
                        _step_row(h, work, idx[j], locks, use_locks)
                    example += 1
        return loss, example, state

    return train_batch_sg


_train_batch_sg = _sg_kernel(False)
_train_batch_sg_locked = _sg_kernel(True)


@numba.njit(inline="always")
def _context_mean(
    syn0: np.ndarray, idx: np.ndarray, i: int, j0: int, j1: int, cbow_mean: bool, neu1: np.ndarray,
) -> int:
    """``neu1`` = sum (or mean) of the context's input vectors; returns the context size."""
    dim = neu1.shape[0]
    neu1[:] = 0.0
    count = 0
    for m in range(j0, j1):
        if m == i:
            continue
        row = syn0[idx[m]]
        for d in range(dim):
            neu1[d] += row[d]
        count += 1
    if cbow_mean and count > 0:
        inv = np.float32(1.0 / count)
        for d in range(dim):
            neu1[d] *= inv
    return count


@numba.njit(inline="always")
def _move_context(
    syn0: np.ndarray, idx: np.ndarray, i: int, j0: int, j1: int, cbow_mean: bool,
    count: int, work: np.ndarray, locks: np.ndarray, use_locks: bool,
) -> None:
    dim = work.shape[0]
    if not cbow_mean:  # word2vec.c: the sum's step is shared out over the context
        inv = np.float32(1.0 / count)
        for d in range(dim):
            work[d] *= inv
    for m in range(j0, j1):
        if m == i:
            continue
        _step_row(syn0[idx[m]], work, idx[m], locks, use_locks)


def train_batch_cbow(
    syn0: np.ndarray, syn1neg: np.ndarray, syn1: np.ndarray, cum_table: np.ndarray,
    points: np.ndarray, codes: np.ndarray, codelens: np.ndarray,
    idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray,
    window: int, negative: int, hs: bool, cbow_mean: bool, alpha: float, state: np.uint64,
    compute_loss: bool, fixed_negatives: np.ndarray, buckets: np.ndarray | None = None,
    bucket_shift: np.uint64 = _NO_SHIFT, lockf: np.ndarray | None = None,
) -> tuple[float, int, np.uint64]:
    """CBOW on one downsampled batch; as :func:`train_batch_sg`. A centre word without context
    words (a one-word sentence) is not an example, though its noise words are drawn (and
    dropped), as gensim does, so that the draws stay in step with gensim's."""
    starts, shift = _whole_table(cum_table, buckets, bucket_shift)
    locks, use_locks = _locks(lockf)
    kernel = _train_batch_cbow_locked if use_locks else _train_batch_cbow
    return kernel(  # type: ignore[no-any-return]
        syn0, syn1neg, syn1, cum_table, points, codes, codelens, idx, bounds, reduced, window,
        negative, hs, cbow_mean, alpha, state, compute_loss, fixed_negatives, starts, shift,
        locks,
    )


def _cbow_kernel(use_locks: bool) -> Any:
    """The CBOW kernel, with or without ``vectors_lockf`` (as :func:`_sg_kernel`)."""

    @numba.njit(nogil=True, cache=True, fastmath=_FASTMATH)
    def train_batch_cbow(
        syn0: np.ndarray, syn1neg: np.ndarray, syn1: np.ndarray, cum_table: np.ndarray,
        points: np.ndarray, codes: np.ndarray, codelens: np.ndarray,
        idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray,
        window: int, negative: int, hs: bool, cbow_mean: bool, alpha: float, state: np.uint64,
        compute_loss: bool, fixed_negatives: np.ndarray, starts: np.ndarray, shift: np.uint64,
        locks: np.ndarray,
    ) -> tuple[float, int, np.uint64]:
        dim = syn0.shape[1]
        work = np.empty(dim, np.float32)
        neu1 = np.empty(dim, np.float32)
        size = max(negative + 1, codes.shape[1])
        targets = np.empty(size, np.int64)
        labels = np.empty(size, np.float32)
        grads = np.empty(size, np.float32)
        scores = np.empty(size, np.float32)
        loss = 0.0
        example = 0
        for s in range(bounds.shape[0] - 1):
            lo = bounds[s]
            hi = bounds[s + 1]
            for i in range(lo, hi):
                centre = idx[i]
                b = reduced[i]
                j0 = max(lo, i - window + b)
                j1 = min(hi, i + window + 1 - b)
                if j1 - j0 < 2:  # no context word: nothing to learn, but gensim's draws are made
                    if negative > 0 and fixed_negatives.shape[0] == 0:
                        for _ in range(negative):
                            state = _advance(state)
                    continue
                if hs:
                    count = _context_mean(syn0, idx, i, j0, j1, cbow_mean, neu1)
                    work[:] = 0.0
                    nt = _hs_targets(centre, points, codes, codelens, targets, labels)
                    loss += _score_and_step(
                        neu1, syn1, targets, labels, nt, alpha, grads, scores, work, compute_loss
                    )
                    _move_context(syn0, idx, i, j0, j1, cbow_mean, count, work, locks, use_locks)
                if negative > 0:
                    count = _context_mean(syn0, idx, i, j0, j1, cbow_mean, neu1)
                    work[:] = 0.0
                    nt, state = _negative_targets(
                        centre, negative, cum_table, state, fixed_negatives, example, targets,
                        labels, starts, shift,
                    )
                    loss += _score_and_step(
                        neu1, syn1neg, targets, labels, nt, alpha, grads, scores, work, compute_loss
                    )
                    _move_context(syn0, idx, i, j0, j1, cbow_mean, count, work, locks, use_locks)
                example += 1
        return loss, example, state

    return train_batch_cbow


_train_batch_cbow = _cbow_kernel(False)
_train_batch_cbow_locked = _cbow_kernel(True)
