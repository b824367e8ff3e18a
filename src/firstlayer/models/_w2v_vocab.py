"""word2vec's vocabulary and tables, as gensim 4.4 builds them (gensim/models/word2vec.py).

* ``RULE_DEFAULT``, ``RULE_DISCARD``, ``RULE_KEEP`` and :func:`keep_vocab_item`: gensim's
  ``trim_rule`` protocol (``gensim.utils``' values, so gensim's rules work as they are).
* :func:`scan_vocab`: count every token, pruning the rarest when ``max_vocab_size`` is passed;
  :func:`scan_ids`: the same count of a list of sentences, keeping each token's word id, so
  that training need not look the words up again.
* :func:`select_vocab`: keep words with ``count >= min_count`` (raised to honour
  ``max_final_vocab``), sorted by descending count; equal counts keep gensim's order (the word
  first seen *later* comes first, from its ``lexsort((-first_seen, -count))``).
* :func:`sample_ints`: each word's downsampling threshold.
* :func:`make_cum_table`: the cumulative unigram^0.75 table that negative samples are drawn from;
  :func:`noise_buckets`: an index into it that makes each draw cheap.
* :func:`huffman_tree`: the binary codes and inner-node paths of hierarchical softmax.
* :func:`init_vectors`: the input vectors' start, ``U[-1, 1) / vector_size``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

logger = logging.getLogger("firstlayer.models.word2vec")

# gensim.utils' trim_rule answers: what a rule returns for a word (its values, so that rules
# written for gensim, returning gensim.utils.RULE_*, work unchanged).
RULE_DEFAULT = 0  # apply min_count
RULE_DISCARD = 1  # drop the word
RULE_KEEP = 2  # keep the word, whatever its count

TrimRule = Callable[[str, int, int], Any]


def keep_vocab_item(
    word: str, count: int, min_count: int, trim_rule: TrimRule | None = None
) -> bool:
    """Whether ``word`` seen ``count`` times stays in the vocabulary (gensim's rule): ``trim_rule``
    decides if it answers ``RULE_KEEP`` or ``RULE_DISCARD``; otherwise ``count >= min_count``.

    >>> keep_vocab_item("a", 1, 5, lambda word, count, min_count: RULE_KEEP)
    True
    """
    if trim_rule is not None:
        answer = trim_rule(word, count, min_count)
        if answer == RULE_KEEP:
            return True
        if answer == RULE_DISCARD:
            return False
    return count >= min_count


def check_sentence(sentence: Any, number: int) -> None:
    """A sentence must have a length (a list or tuple of tokens; a string counts as its
    characters, as in gensim, which :func:`warn_if_string` says once)."""
    if not hasattr(sentence, "__len__") or not hasattr(sentence, "__iter__"):
        raise TypeError(
            f"sentence {number} is of type {type(sentence).__name__}, not a list of tokens; each "
            f"sentence must be a list (or tuple) of strings"
        )


def warn_if_string(sentence: Any) -> None:
    """gensim's warning when the first sentence is a string (its characters are its tokens)."""
    if isinstance(sentence, (str, bytes)):
        logger.warning(
            "Each 'sentences' item should be a list of words (usually unicode strings). First "
            "item here is instead plain %s: its characters are taken as its words; pass "
            "text.split() for words.", type(sentence),
        )


def scan_vocab(
    sentences: Iterable[Sequence[str]], max_vocab_size: int | None = None,
    trim_rule: TrimRule | None = None,
) -> tuple[dict[str, int], int, int]:
    """Count the tokens of a corpus: ``(word -> count in first-seen order, tokens, sentences)``.

    With ``max_vocab_size``, whenever more than that many distinct words are held, the words
    seen fewer than ``k`` times are dropped, ``k`` = 1, 2, 3, ... at successive prunings (gensim's
    ``prune_vocab``, ``trim_rule`` deciding as in :func:`keep_vocab_item`; the counts that remain
    can be lower than the true ones).

    >>> scan_vocab([["a", "b", "a"], ["c"]])
    ({'a': 2, 'b': 1, 'c': 1}, 4, 2)
    """
    counts: Counter[str] = Counter()
    total = 0
    number = -1
    min_reduce = 1
    for number, sentence in enumerate(sentences):
        if number == 0:
            warn_if_string(sentence)
        check_sentence(sentence, number)
        counts.update(sentence)  # C loop; keeps first-seen order, which the sort's ties use
        total += len(sentence)
        if max_vocab_size and len(counts) > max_vocab_size:
            for word in [w for w, c in counts.items()
                         if not keep_vocab_item(w, c, min_reduce, trim_rule)]:
                del counts[word]
            min_reduce += 1
    return dict(counts), total, number + 1


_SCAN_CHUNK = 1 << 16  # sentences counted between two progress ticks


class _NewIds(dict):
    """word -> id, giving an unseen word the next id (first-seen order) when looked up."""

    def __missing__(self, key: str) -> int:
        i = self[key] = len(self)
        return i


class Scanned(NamedTuple):
    """What :func:`scan_ids` read: the counts as :func:`scan_vocab` gives them, and the corpus
    as word ids (in ``raw``'s order) with each sentence's offset."""

    raw: dict[str, int]
    total_words: int
    sentences: int
    ids: np.ndarray  # (tokens,) int32
    offsets: np.ndarray  # (sentences + 1,) int64


def scan_ids(
    sentences: Sequence[Sequence[str]], tick: Callable[[int], object] | None = None
) -> Scanned | None:
    """:func:`scan_vocab` of a list of sentences (no pruning), keeping the tokens as ids.

    C-level passes (``map`` over the chained tokens into ``np.fromiter``) instead of a Python
    loop over sentences: about as fast as counting alone, and training's first epoch then needs
    no lookups (``Word2Vec`` keeps the ids when it is given the corpus). ``tick(n)`` is called
    after each chunk of ``n`` sentences (a progress bar).

    Returns ``None`` when a sentence is not a list or tuple (the caller counts with
    :func:`scan_vocab` instead, which says what is wrong or warns about strings).

    >>> s = scan_ids([["a", "b", "a"], ["c"]])
    >>> s.raw, s.ids.tolist(), s.offsets.tolist()
    ({'a': 2, 'b': 1, 'c': 1}, [0, 1, 0, 2], [0, 3, 4])
    """
    if not set(map(type, sentences)) <= {list, tuple}:
        return None
    count = len(sentences)
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(np.fromiter(map(len, sentences), np.int64, count), out=offsets[1:])
    ids = np.empty(int(offsets[-1]), np.int32)
    index = _NewIds()
    get = index.__getitem__
    for lo in range(0, count, _SCAN_CHUNK):
        hi = min(lo + _SCAN_CHUNK, count)
        chunk = itertools.chain.from_iterable(itertools.islice(sentences, lo, hi))
        ids[offsets[lo]:offsets[hi]] = np.fromiter(map(get, chunk), np.int32,
                                                   int(offsets[hi] - offsets[lo]))
        if tick is not None:
            tick(hi - lo)
    counts = np.bincount(ids, minlength=len(index))
    return Scanned(dict(zip(index, counts.tolist())), int(offsets[-1]), count, ids, offsets)


def effective_min_count(
    raw_counts: dict[str, int], min_count: int, max_final_vocab: int | None
) -> int:
    """``min_count``, raised so that at most ``max_final_vocab`` words pass it (gensim's rule: one
    more than the count of the word ranked ``max_final_vocab``; ties can leave fewer words)."""
    if max_final_vocab is None:
        return min_count
    calc = 1
    if max_final_vocab < len(raw_counts):
        ranked = sorted(raw_counts.values(), reverse=True)
        calc = ranked[max_final_vocab] + 1
    return max(calc, min_count)


class Selected(NamedTuple):
    """What :func:`select_vocab` keeps: the words in training order, their counts, the number of
    tokens they cover, and the distinct words and tokens dropped."""

    words: list[str]
    counts: np.ndarray
    retained_tokens: int
    dropped_words: int
    dropped_tokens: int
    raw_index: np.ndarray  # (len(words),) int64: each word's position in ``raw_counts``


def kept_mask(
    raw_counts: dict[str, int], min_count: int, trim_rule: TrimRule | None = None
) -> np.ndarray:
    """Which words of ``raw_counts`` (in its order) :func:`keep_vocab_item` keeps."""
    every = np.fromiter(raw_counts.values(), np.int64, len(raw_counts))
    if trim_rule is None:
        return every >= min_count
    return np.fromiter(
        (keep_vocab_item(w, c, min_count, trim_rule) for w, c in raw_counts.items()),
        bool, len(raw_counts),
    )


def select_vocab(
    raw_counts: dict[str, int], min_count: int, trim_rule: TrimRule | None = None
) -> Selected:
    """The words :func:`keep_vocab_item` keeps, most frequent first (gensim's order, ties
    included).

    >>> select_vocab({"a": 1, "b": 3, "c": 1, "d": 1}, min_count=1).words
    ['b', 'd', 'c', 'a']
    """
    every = np.fromiter(raw_counts.values(), np.int64, len(raw_counts))
    kept = np.flatnonzero(kept_mask(raw_counts, min_count, trim_rule))
    counts = every[kept]
    # gensim's KeyedVectors.sort_by_descending_frequency: lexsort((-index, -count)).
    index = kept[np.lexsort((-np.arange(len(kept)), -counts))]
    keys = list(raw_counts)
    words = [keys[i] for i in index.tolist()]
    retained = int(counts.sum())
    total = int(every.sum())
    return Selected(words, every[index], retained, len(raw_counts) - len(kept), total - retained,
                    index)


def _keep_probability(counts: np.ndarray, sample: float, retained_tokens: int) -> np.ndarray:
    """gensim's chance of keeping each word when downsampling, before clipping at 1.

    With ``t = sample * retained_tokens`` (or ``t = int(sample * (3 + sqrt 5) / 2)`` when
    ``sample >= 1``, or no downsampling when ``sample == 0``), a word seen ``c`` times is kept
    with probability ``min(1, (sqrt(c / t) + 1) * t / c)``.
    """
    if not sample:
        threshold = float(retained_tokens)
    elif sample < 1.0:
        threshold = sample * retained_tokens
    else:
        threshold = float(int(sample * (3 + np.sqrt(5)) / 2))
    with np.errstate(divide="ignore"):
        return (np.sqrt(counts / threshold) + 1) * (threshold / counts)


def sample_ints(counts: np.ndarray, sample: float, retained_tokens: int) -> np.ndarray:
    """Each word's keep threshold for downsampling, as uint32: a word is kept when a random
    32-bit draw is ``<= sample_int`` (gensim's formula, ``_keep_probability``)."""
    keep = _keep_probability(np.asarray(counts, np.float64), sample, retained_tokens)
    return (np.minimum(keep, 1.0) * (2**32 - 1)).astype(np.uint32)


def downsampling_report(counts: np.ndarray, sample: float, retained_tokens: int) -> tuple[int, int]:
    """gensim's ``prepare_vocab`` figures: ``(words downsampled, expected tokens kept)``."""
    counts = np.asarray(counts, np.float64)
    if not len(counts):
        return 0, 0
    keep = _keep_probability(counts, sample, retained_tokens)
    down = keep < 1.0
    return int(down.sum()), int(float(np.where(down, keep * counts, counts).sum()))


def make_cum_table(counts: np.ndarray, ns_exponent: float, domain: int = 2**31 - 1) -> np.ndarray:
    """The cumulative table of ``count ** ns_exponent``, scaled to end at ``domain``: word ``i``
    is drawn when a uniform integer in ``[0, domain)`` falls in ``[table[i-1], table[i])``.

    >>> make_cum_table(np.array([3, 1]), 1.0, domain=100).tolist()
    [75, 100]
    """
    # Running sums in float64 in index order, then Python's round(): gensim's exact numbers.
    powered = [float(c) ** float(ns_exponent) for c in np.asarray(counts).tolist()]
    cumulative = np.cumsum(np.array(powered, np.float64))
    if len(cumulative) == 0:
        return np.zeros(0, np.uint32)
    # np.rint rounds half to even, as round() does, of the same float64 quotients and products
    return np.rint(cumulative / cumulative[-1] * domain).astype(np.uint32)


# Noise words are drawn by bisecting the cumulative table, as gensim does: ~log2(V) dependent,
# unpredictable branches a draw, which made the draws the costliest part of skip-gram. A table
# of where each of 2^16 equal slices of the draw's range starts in ``cum_table`` narrows the
# bisection to the few words of one slice (usually one: the answer at once) with the same result.
NOISE_BUCKET_BITS = 16


def noise_buckets(cum_table: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """The slice table for the kernels' draws (``_w2v_kernels.train_batch_sg``): ``(starts,
    shift)`` where a draw ``x`` lies in slice ``x >> shift`` and its word among
    ``cum_table[starts[slice] : starts[slice + 1] + 1]``.

    Shape: ``starts`` ``((total >> shift) + 2,)`` int32, at most ``2^16 + 2`` entries.
    """
    total = int(cum_table[-1]) if cum_table.shape[0] else 0
    shift = max(0, total.bit_length() - NOISE_BUCKET_BITS)
    edges = np.arange((total >> shift) + 2, dtype=np.uint64) << np.uint64(shift)
    starts = np.searchsorted(cum_table.astype(np.uint64), edges, side="left")
    return starts.astype(np.int32), np.uint64(shift)


class _Node:
    """A Huffman tree node, compared by count alone (gensim's ``Heapitem``), so that heapq breaks
    ties exactly as gensim's does."""

    __slots__ = ("count", "index", "left", "right")

    def __init__(self, count: int, index: int, left: _Node | None, right: _Node | None) -> None:
        self.count, self.index, self.left, self.right = count, index, left, right

    def __lt__(self, other: _Node) -> bool:
        return self.count < other.count


def huffman_tree(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hierarchical softmax's tree: ``(points, codes, lengths)``.

    Word ``i``'s path from the root visits inner nodes ``points[i, :lengths[i]]`` (rows of the
    ``(V - 1, D)`` output matrix) and turns ``codes[i, :lengths[i]]`` (0 left, 1 right) there.
    Frequent words get short codes.

    Shape: ``points`` ``(V, L)`` int32, ``codes`` ``(V, L)`` uint8 (padded with 0), ``lengths``
    ``(V,)`` int32, ``L`` the deepest path (at least 1).
    """
    n = len(counts)
    heap = [_Node(int(c), i, None, None) for i, c in enumerate(np.asarray(counts).tolist())]
    heapq.heapify(heap)
    for i in range(n - 1):
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(heap, _Node(a.count + b.count, i + n, a, b))
    paths: list[tuple[list[int], list[int]]] = [([], [])] * n
    if heap:
        stack: list[tuple[_Node, list[int], list[int]]] = [(heap[0], [], [])]
        while stack:
            node, codes, points = stack.pop()
            if node.index < n:
                paths[node.index] = (codes, points)
            else:
                inner = points + [node.index - n]
                assert node.left is not None and node.right is not None
                stack.append((node.left, codes + [0], inner))
                stack.append((node.right, codes + [1], inner))
    depth = max([len(c) for c, _ in paths] + [1])
    points_arr = np.zeros((n, depth), np.int32)
    codes_arr = np.zeros((n, depth), np.uint8)
    lengths = np.zeros(n, np.int32)
    for i, (codes, points) in enumerate(paths):
        lengths[i] = len(codes)
        points_arr[i, : len(points)] = points
        codes_arr[i, : len(codes)] = codes
    return points_arr, codes_arr, lengths


def init_vectors(count: int, dim: int, seed: int, prior: np.ndarray | None = None) -> np.ndarray:
    """Input vectors for ``count`` words: ``U[-1, 1) / dim`` in float32, from
    ``np.random.default_rng(seed)``, with the rows of ``prior`` (a smaller matrix) kept on top.

    The numbers are gensim 4.4's (``prep_vectors``) for the same vocabulary and seed.

    Shape: ``(count, dim)``.
    """
    rng = np.random.default_rng(seed=seed)
    vectors = rng.random((count, dim), dtype=np.float32)
    vectors *= 2.0
    vectors -= 1.0
    vectors /= dim
    if prior is not None:
        vectors[: prior.shape[0]] = prior
    return vectors
