"""fastText's arithmetic of predictions, where it decides which labels come out.

* :func:`table_sigmoid`: ``ns``/``ova`` models predict with fastText's sigmoid *table* (512
  steps over [-8, 8]), not the exact function: up to 0.008 apart, and many labels then share a
  probability (all those beyond 8 are exactly 1).
* :func:`heap_top_k`: which of equally likely labels fastText returns, and in which order, is
  decided by its heap (``Loss::findKBest``: ``std::push_heap``/``pop_heap`` on
  ``(log(p + 1e-5), label)`` pairs, then ``std::sort_heap``); this replays libstdc++'s heap
  step by step. Lines without ties never need it.

``_topk_kernels`` is the compiled version ``predict`` runs (every line, ties or not); this is
the readable reference, and ``_queries`` uses its heap for nearest neighbours.
"""

from __future__ import annotations

import numpy as np

__all__ = ["heap_top_k", "log_keys", "table_sigmoid"]


def _sigmoid_table() -> np.ndarray:
    x = (np.arange(513, dtype=np.float32) * np.float32(16) / np.float32(512)) - np.float32(8)
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


_SIGMOID_TABLE = _sigmoid_table()


def table_sigmoid(x: np.ndarray) -> np.ndarray:
    """fastText's ``Loss::sigmoid``: 0 below -8, 1 above 8, else table entry
    ``int((x + 8) * 512 / 8 / 2)`` (float32 arithmetic). float64 out, the shape of ``x``.

    >>> table_sigmoid(np.array([-9.0, 0.0, 9.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.asarray(x, np.float32)
    i = (x + np.float32(8)) * np.float32(512) / np.float32(8) / np.float32(2)
    out = _SIGMOID_TABLE[np.clip(i, 0, 512).astype(np.int64)].astype(np.float64)
    return np.where(x < -8, 0.0, np.where(x > 8, 1.0, out))


def log_keys(p: np.ndarray) -> np.ndarray:
    """fastText's heap keys: ``std_log(p) = log(p + 1e-5)`` of the float32 probability, as
    float32 (where two labels tie, fastText's heap decides)."""
    return np.log(np.asarray(p, np.float32).astype(np.float64) + 1e-5).astype(np.float32)


def _before(a: tuple, b: tuple) -> bool:
    return bool(a[0] > b[0])  # fastText's comparePairs: the heap's front is the smallest key


def _push(heap: list, hole: int, top: int, value: tuple) -> None:
    parent = (hole - 1) // 2
    while hole > top and _before(heap[parent], value):
        heap[hole] = heap[parent]
        hole = parent
        parent = (hole - 1) // 2
    heap[hole] = value


def _adjust(heap: list, hole: int, length: int, value: tuple) -> None:
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _before(heap[child], heap[child - 1]):
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        heap[hole] = heap[child - 1]
        hole = child - 1
    _push(heap, hole, top, value)


def _pop(heap: list, last: int) -> None:
    """``std::pop_heap(heap[:last + 1])``: the front moves to ``heap[last]``."""
    value = heap[last]
    heap[last] = heap[0]
    _adjust(heap, 0, last, value)


def heap_top_k(p: np.ndarray, k: int, threshold: float) -> list[int]:
    """The labels fastText predicts from one line's probabilities ``p`` (``(labels,)``), best
    first, ties broken exactly as its heap breaks them.

    >>> heap_top_k(np.array([1.0, 1.0, 1.0, 0.2]), 2, 0.0)
    [2, 1]
    """
    keys = log_keys(p).tolist()
    p32 = np.asarray(p, np.float32).tolist()
    heap: list[tuple] = []
    for i, (prob, key) in enumerate(zip(p32, keys)):
        if prob < threshold:
            continue
        if len(heap) == k and key < heap[0][0]:
            continue
        heap.append((key, i))
        _push(heap, len(heap) - 1, 0, heap[-1])
        if len(heap) > k:
            _pop(heap, len(heap) - 1)
            heap.pop()
    for last in range(len(heap) - 1, 0, -1):  # std::sort_heap
        _pop(heap, last)
    return [i for _, i in heap]
