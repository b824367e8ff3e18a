"""The questions fastText's Python API answers from word vectors, computed as fastText does.

:class:`~._model.FastText`'s ``get_nearest_neighbors``, ``get_analogies``, ``get_subwords``,
``get_subword_id`` and ``get_line`` are thin calls into these functions (``src/fasttext.cc``:
``getNN``, ``getAnalogies``, ``precomputeWordVectors``; ``src/dictionary.cc``:
``getSubwords``; the Python module's ``getLineText``):

- a word's vector is the mean of its rows (``get_word_vector``); the candidates of a search
  are the vocabulary's words, each vector divided by its norm (zero vectors stay zero), computed
  once and kept (fastText's ``lazyComputeWordVectors``);
- a search scores ``unit_vectors @ query / |query|`` (``|query|`` taken as 1 below 1e-8),
  leaves out the query words themselves and returns the ``k`` best as ``[(score, word)]``,
  best first;
- an analogy's query is ``a / (|a| + 1e-8) - b / (|b| + 1e-8) + c / (|c| + 1e-8)``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from ._hash import char_ngrams, fnv1a
from ._reading import EOS_BYTES

if TYPE_CHECKING:
    from ._model import FastText

__all__ = ["analogies", "line_tokens", "nearest", "subword_id", "subwords"]

_ROWS_AT_ONCE = 1 << 20  # rows gathered at a time when all word vectors are computed
# fastText's readWord splits at exactly these bytes (str.split would also split at U+00A0...)
_SPACE = re.compile(r"[ \n\r\t\v\f\0]+")


def _all_word_vectors(model: FastText) -> np.ndarray:
    """``(nwords, dim)`` float32: ``get_word_vector`` of every word of the vocabulary."""
    from ._unsup import word_subwords

    d = model._dict
    if d.pruneidx is not None:
        rows_of = [model._word_rows(w.decode("utf-8", "surrogateescape"))
                   for w in d.entries[: d.nwords]]
        ptr = np.zeros(d.nwords + 1, np.int64)
        np.cumsum([len(r) for r in rows_of], out=ptr[1:])
        rows = np.fromiter((r for rs in rows_of for r in rs), np.int64, int(ptr[-1]))
    else:
        ptr, rows = word_subwords(d, model.args)
    out = np.zeros((d.nwords, model.args.dim), np.float32)
    qinput = getattr(model, "_qinput", None)
    lo = 0
    while lo < d.nwords:  # words in chunks of about _ROWS_AT_ONCE rows
        hi = int(np.searchsorted(ptr, ptr[lo] + _ROWS_AT_ONCE, side="right")) - 1
        hi = min(max(hi, lo + 1), d.nwords)
        sub_ptr = ptr[lo : hi + 1] - ptr[lo]
        sub_rows = rows[ptr[lo] : ptr[hi]]
        if qinput is not None:
            out[lo:hi] = qinput.bag_mean(np.asarray(sub_rows, np.int64), sub_ptr)
        elif sub_rows.size:
            weight = model.model.input.weight._data
            out[lo:hi] = mean_rows(weight, sub_ptr, sub_rows)
        lo = hi
    return out


def mean_rows(weight: np.ndarray, ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``(len(ptr) - 1, dim)`` float32: for each word, the mean of its rows
    ``rows[ptr[i]:ptr[i + 1]]`` of ``weight``, computed as fastText's ``getWordVector`` does
    (the rows added one after the other in float32, the sum times ``float(1 / n)``), so that
    the digits are fastText's; zeros for a word without rows."""
    sizes = np.diff(ptr)
    out = np.zeros((sizes.size, weight.shape[1]), np.float32)
    for j in range(int(sizes.max(initial=0))):  # the j-th row of every word that has one
        have = np.flatnonzero(sizes > j)
        out[have] += weight[rows[ptr[have] + j]]
    scale = np.zeros(sizes.size, np.float32)
    scale[sizes > 0] = (1.0 / sizes[sizes > 0]).astype(np.float32)
    return out * scale[:, None]


def unit_word_vectors(model: FastText) -> np.ndarray:
    """The vocabulary's word vectors, each divided by its norm; computed on first use and
    kept while the input matrix is the same array."""
    weight = model.model.input.weight._data
    key = (id(weight), id(getattr(model, "_qinput", None)))
    cached = getattr(model, "_unit_vectors", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    vecs = _all_word_vectors(model)
    norms = np.linalg.norm(vecs, axis=1).astype(np.float32)
    vecs = np.divide(vecs, norms[:, None], out=np.zeros_like(vecs), where=norms[:, None] > 0)
    model._unit_vectors = (key, vecs)  # type: ignore[attr-defined]
    return vecs


def _search(
    model: FastText, query: np.ndarray, k: int, banned: set[str], on_unicode_error: str
) -> list[tuple[float, str]]:
    """fastText's ``getNN``: the ``k`` words whose unit vectors score highest with ``query``
    (``k < 0``: all), ``banned`` left out."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    from ._model import _errors

    errors = _errors(on_unicode_error)
    vecs = unit_word_vectors(model)
    norm = np.float32(np.linalg.norm(query))
    if abs(norm) < 1e-8:
        norm = np.float32(1.0)
    scores = (vecs @ query.astype(np.float32)) / norm
    index = model._dict.index
    ban = [i for i in (index.get(w.encode("utf-8", "surrogateescape"), -1) for w in banned)
           if 0 <= i < model._dict.nwords]
    allowed = np.ones(scores.size, bool)
    allowed[ban] = False
    n = int(allowed.sum())
    take = n if k < 0 else min(int(k), n)
    if take == 0:
        return []
    ranked = np.flatnonzero(allowed)
    if take < n // 2:
        ranked = ranked[np.argpartition(-scores[ranked], take)[: take + 1]]
    ranked = ranked[np.argsort(-scores[ranked], kind="stable")]
    top = scores[ranked[: take + 1]]
    if np.unique(top).size < top.size:  # equal scores: their order is that of fastText's heap
        best = _heap_order(scores, allowed, k)
    else:
        best = ranked[:take].tolist()
    words = model._dict.entries
    return [(float(scores[i]), words[i].decode("utf-8", errors)) for i in best]


def _heap_order(scores: np.ndarray, allowed: np.ndarray, k: int) -> list[int]:
    """fastText's ``getNN`` loop as it runs (its heap, replayed by ``_topk``'s libstdc++
    ``push_heap``/``pop_heap``), for the order of equal scores (a query with no vector scores
    0 with every word). Plain Python: used only when scores tie."""
    from ._topk import _pop, _push

    s = scores.tolist()
    heap: list[tuple] = []
    for i in np.flatnonzero(allowed).tolist():
        if len(heap) == k and s[i] < heap[0][0]:
            continue
        heap.append((s[i], i))
        _push(heap, len(heap) - 1, 0, heap[-1])
        if 0 <= k < len(heap):  # k < 0 (a huge size_t in fastText): keep every word
            _pop(heap, len(heap) - 1)
            heap.pop()
    for last in range(len(heap) - 1, 0, -1):  # std::sort_heap
        _pop(heap, last)
    return [i for _, i in heap]


def nearest(model: FastText, word: str, k: int, on_unicode_error: str) -> list[tuple[float, str]]:
    """``get_nearest_neighbors``: the query is the word's vector (unseen words: n-grams)."""
    return _search(model, model.get_word_vector(word), k, {word}, on_unicode_error)


def analogies(
    model: FastText, a: str, b: str, c: str, k: int, on_unicode_error: str
) -> list[tuple[float, str]]:
    """``get_analogies``: the words nearest ``a - b + c``, each taken as a unit vector."""
    query = np.zeros(model.args.dim, np.float32)
    for word, sign in ((a, 1.0), (b, -1.0), (c, 1.0)):
        vec = model.get_word_vector(word)
        query += vec * np.float32(sign / (np.linalg.norm(vec) + 1e-8))
    return _search(model, query, k, {a, b, c}, on_unicode_error)


def subwords(model: FastText, word: str, on_unicode_error: str) -> tuple[list[str], np.ndarray]:
    """``get_subwords``: the word itself when the dictionary has it (a label too, as fastText),
    then its character n-grams, with their rows."""
    from ._model import _bytes, _errors

    data, errors = _bytes(word), _errors(on_unicode_error)
    d, a = model._dict, model.args
    names: list[bytes] = []
    ids: list[int] = []
    i = d.index.get(data, -1)
    if i >= 0:
        names.append(data)
        ids.append(i)
    if data != EOS_BYTES and a.maxn > 0:
        pruned = d.pruneidx if d.pruneidx is not None else getattr(model, "_pruneidx", None)
        for ngram in char_ngrams(data, a.minn, a.maxn):
            names.append(ngram)  # fastText lists the n-gram even where pruning drops its row
            h = fnv1a(ngram) % a.bucket
            if pruned is None:
                ids.append(d.nwords + h)
            elif h in pruned:
                ids.append(d.nwords + pruned[h])
    return [n.decode("utf-8", errors) for n in names], np.array(ids)


def subword_id(model: FastText, subword: str) -> int:
    """``get_subword_id``: the row ``nwords + fnv1a(subword) % bucket`` (no ``<``/``>`` added)."""
    from ._model import _bytes

    data = _bytes(subword)
    if model.args.bucket <= 0:
        raise ValueError(
            "the model has no hash rows (bucket=0: trained without character or word n-grams), "
            "so no subword has an id"
        )
    return model._dict.nwords + fnv1a(data) % model.args.bucket


def line_tokens(model: FastText, text: str, on_unicode_error: str) -> tuple[list[str], list[str]]:
    """``get_line`` of one line: its words (unknown ones too, then ``</s>``) and the labels the
    model knows."""
    from ._model import _errors

    _errors(on_unicode_error)
    if not isinstance(text, str):
        raise TypeError(f"get_line takes a str or a list of str, got {type(text).__name__}")
    if "\n" in text:
        raise ValueError("get_line processes one line at a time (remove '\\n')")
    d = model._dict
    prefix = model.args.label
    words, labels = [], []
    for token in [*(t for t in _SPACE.split(text) if t), EOS_BYTES.decode()]:
        i = d.index.get(token.encode("utf-8", "surrogateescape"), -1)
        is_label = i >= d.nwords if i >= 0 else token.startswith(prefix)
        if not is_label:
            words.append(token)
        elif i >= 0:
            labels.append(token)
        if token == "</s>":  # fastText stops there, also at a "</s>" written in the text
            break
    return words, labels


def lines_tokens(model: FastText, texts: Any, on_unicode_error: str) -> tuple[Any, Any]:
    """``get_line`` of a str or of a list of str (``(words lists, labels lists)``)."""
    if isinstance(texts, list):
        pairs = [line_tokens(model, t, on_unicode_error) for t in texts]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return line_tokens(model, texts, on_unicode_error)
