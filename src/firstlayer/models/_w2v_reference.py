"""word2vec trained through autograd: the reference for the compiled kernels (``_w2v_kernels``).

Every example is one small model run forward and backward:

    h = input(context ids)            skip-gram: one row; CBOW: their mean (or sum)
    scores = output(targets) @ h      the output layer's rows for the scored words only: the
                                      same numbers as output.as_linear(h)[targets]
    loss = BCEWithLogits(scores, labels, reduction="sum")
    loss.backward(); SGD(lr=alpha).step()

Both layers are ``nn.Embedding(sparse=True)``, so the gradients are row-sparse and SGD moves
only the rows used. The random draws (downsampling, window sizes, noise words) replay the
kernels' generator in plain Python, so the two paths make the same updates; they are meant for
tests and for reading, at a few thousand words per second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import optim
from ..nn import functional as F
from ..tensor import tensor
from ._w2v_kernels import LCG_ADD, LCG_MASK, LCG_MUL

if TYPE_CHECKING:
    from ..nn import Embedding
    from ._w2v_train import _Job
    from .word2vec import Word2Vec

_MUL, _ADD, _MASK = int(LCG_MUL), int(LCG_ADD), int(LCG_MASK)


def _advance(state: int) -> int:
    return (state * _MUL + _ADD) & _MASK


def subsample_and_windows_reference(
    words: np.ndarray, starts: np.ndarray, sample_ints: np.ndarray, use_sample: bool,
    window: int, shrink_windows: bool, state: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """:func:`_w2v_kernels.subsample_and_windows` in plain Python (unknown words, id -1, are
    dropped without a draw)."""
    kept: list[int] = []
    kept_starts = [0]
    for s in range(len(starts) - 1):
        for w in words[starts[s] : starts[s + 1]].tolist():
            if w < 0:
                continue
            if use_sample:
                draw = state >> 16
                state = _advance(state)
                if int(sample_ints[w]) < draw:
                    continue
            kept.append(w)
        kept_starts.append(len(kept))
    reduced = []
    if shrink_windows:
        for _ in kept:
            reduced.append((state >> 16) % window)
            state = _advance(state)
    else:
        reduced = [0] * len(kept)
    return (np.array(kept, np.int32), np.array(kept_starts, np.int64),
            np.array(reduced, np.int32), state)


def examples(
    idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray, window: int, sg: bool
) -> list[tuple[list[int], int]]:
    """The training examples in the kernels' order: ``(input rows, centre word)``.

    Skip-gram: one example per (centre, context) pair, the context word's row as input.
    CBOW: one per centre word, all context rows as input; a centre word without context gets
    an empty list (no example, but the kernels draw its noise words).
    """
    out: list[tuple[list[int], int]] = []
    ids = idx.tolist()
    for s in range(len(bounds) - 1):
        lo, hi = int(bounds[s]), int(bounds[s + 1])
        for i in range(lo, hi):
            b = int(reduced[i])
            context = [j for j in range(max(lo, i - window + b), min(hi, i + window + 1 - b))
                       if j != i]
            if sg:
                out.extend(([ids[j]], ids[i]) for j in context)
            else:
                out.append(([ids[j] for j in context], ids[i]))
    return out


def _draw_negatives(
    cum_table: np.ndarray, negative: int, state: int
) -> tuple[list[int], int]:
    total = int(cum_table[-1])
    drawn = []
    for _ in range(negative):
        drawn.append(int(np.searchsorted(cum_table, (state >> 16) % total, side="left")))
        state = _advance(state)
    return drawn, state


def _sgd_step(
    model: Word2Vec, out_layer: Embedding, rows: list[int], targets: list[int],
    labels: list[float], alpha: float, with_loss: bool,
) -> float:
    """One example's forward, backward and SGD step on ``input`` and ``out_layer``."""
    vectors = model.input(tensor(rows))  # (c, D)
    h = vectors.mean(0) if (not model.sg and model.cbow_mean) else vectors.sum(0)  # (D,)
    scores = (out_layer(tensor(targets)) * h).sum(-1)  # (T,)
    loss = F.binary_cross_entropy_with_logits(
        scores, tensor(labels, dtype=scores.dtype), reduction="sum"
    )
    loss.backward()
    # word2vec.c's CBOW moves each context vector by the step of h itself: for the mean, that is
    # c times the vector's gradient; for the sum, 1/c of it. Skip-gram: c == 1.
    c = len(rows)
    input_lr = alpha * c if model.cbow_mean else alpha / c
    opt = optim.SGD(
        [{"params": [model.input.weight], "lr": input_lr if not model.sg else alpha},
         {"params": [out_layer.weight], "lr": alpha}],
        lr=alpha,
    )
    opt.step()
    opt.zero_grad()
    return float(loss.item()) if with_loss else 0.0


def train_batch_reference(
    model: Word2Vec, idx: np.ndarray, bounds: np.ndarray, reduced: np.ndarray, alpha: float,
    state: int, with_loss: bool, fixed_negatives: Any = None,
) -> tuple[float, int, int]:
    """:func:`_w2v_kernels.train_batch_sg` / ``train_batch_cbow`` through autograd.

    ``fixed_negatives``: ``(examples, negative)`` noise words to use instead of drawing.
    Returns ``(loss, examples, generator state)``.
    """
    loss = 0.0
    todo = examples(idx, bounds, reduced, model.window, bool(model.sg))
    n = 0  # examples trained (the fixed noise words are per trained example)
    for rows, centre in todo:
        if not rows:  # CBOW without context: its noise words are drawn, nothing is learnt
            if model.negative and fixed_negatives is None:
                state = _draw_negatives(model.cum_table, model.negative, state)[1]
            continue
        if model.hs:
            length = int(model._codelens[centre])
            points = model._points[centre, :length].tolist()
            labels = (1.0 - model._codes[centre, :length].astype(np.float64)).tolist()
            loss += _sgd_step(model, model.output_hs, rows, points, labels, alpha, with_loss)
        if model.negative:
            if fixed_negatives is not None:
                drawn = [int(t) for t in fixed_negatives[n]]
            else:
                drawn, state = _draw_negatives(model.cum_table, model.negative, state)
            noise = [t for t in drawn if t != centre]  # as gensim: the word itself is no noise
            targets = [centre, *noise]
            labels = [1.0] + [0.0] * len(noise)
            loss += _sgd_step(model, model.output, rows, targets, labels, alpha, with_loss)
        n += 1
    return loss, n, state


def train_job_reference(model: Word2Vec, job: _Job, with_loss: bool) -> tuple[float, int, int]:
    """One training job, as ``Word2Vec._train_job`` does it with the kernels."""
    idx, bounds, reduced, state = subsample_and_windows_reference(
        job.words, job.starts, model.sample_ints, bool(model.sample), model.window,
        model.shrink_windows, job.seed,
    )
    loss, count, _ = train_batch_reference(
        model, idx, bounds, reduced, job.alpha, state, with_loss
    )
    return loss, count, len(idx)
