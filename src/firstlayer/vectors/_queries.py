"""The code of ``KeyedVectors``' similarity queries (gensim's names and answers).

``KeyedVectors`` keeps each query's signature and documentation and calls the function of the
same name here: ``get_mean_vector``, ``most_similar`` (its query vector: ``query``),
``most_similar_cosmul``, ``distances``, ``rank_by_centrality``. Every query is a product with
the cached unit rows (``kv.get_normed_vectors()``) and a partial sort; the maths (unit rows,
cosines, weighted means, top-k) is :mod:`firstlayer.vectors.similarity`'s. The functions call
``kv``'s methods (``get_vector``, ``get_mean_vector``, ``_query``), so that a subclass's
versions (fastText's vectors for unseen words) take part. gensim's rules for a query's
arguments (``_KEY_TYPES``: one key; ``_ensure_list``) are here too; ``keyed`` uses them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from . import similarity as sim

if TYPE_CHECKING:
    from .keyed import KeyedVectors

# What gensim accepts as one key (anything else is a list of keys, or a vector).
_KEY_TYPES = (str, int, np.integer)


def _ensure_list(value: Any) -> list[Any]:
    """gensim's rule: ``None`` -> [], one key or one 1-D vector -> [it], a 2-D array -> its rows."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def get_mean_vector(
    kv: KeyedVectors, keys: Any, weights: Any, pre_normalize: bool, post_normalize: bool,
    ignore_missing: bool,
) -> np.ndarray:
    """``KeyedVectors.get_mean_vector``: the weighted mean of keys' and vectors' rows."""
    keys = list(keys)  # a 2-D array: its rows
    if len(keys) == 0:
        raise ValueError("cannot compute a mean of no keys or vectors")
    w = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(keys),):
        raise ValueError(f"got {len(keys)} keys but weights of shape {w.shape}")
    rows, used = [], []
    for key, weight in zip(keys, w):
        if isinstance(key, np.ndarray):
            if key.shape != (kv.vector_size,):
                raise ValueError(
                    f"a query vector must have shape ({kv.vector_size},), got {key.shape}"
                )
            rows.append(key)
        elif kv.has_index_for(key):
            rows.append(kv.get_vector(key, norm=pre_normalize))
        elif ignore_missing:
            continue
        else:
            kv.get_index(key)  # raises the KeyError naming the closest keys
        used.append(weight)
    dtype = sim.float_dtype(kv._vectors.dtype)
    if not rows:
        return np.zeros(kv.vector_size, dtype)
    mean = sim.weighted_mean(np.stack(rows), np.asarray(used))
    return (sim.unit(mean) if post_normalize else mean).astype(dtype)


def query(kv: KeyedVectors, positive: Any, negative: Any) -> tuple[np.ndarray, list[int]]:
    """``KeyedVectors._query``: the unit query vector of most_similar and the rows of its
    input keys."""
    positive, negative = _ensure_list(positive), _ensure_list(negative)
    terms: list[Any] = []
    weights = np.concatenate([np.ones(len(positive)), -np.ones(len(negative))])
    for i, item in enumerate(positive + negative):
        if isinstance(item, (*_KEY_TYPES, np.ndarray)):
            terms.append(item)
        else:  # (key or vector, weight): gensim takes the weight as given, sign included
            terms.append(item[0])
            weights[i] = item[1]
    if not terms:
        raise ValueError(
            "most_similar needs at least one key or vector in positive= or negative="
        )
    query = kv.get_mean_vector(terms, weights, post_normalize=True, ignore_missing=False)
    inputs = [kv.get_index(t) for t in terms if isinstance(t, _KEY_TYPES)]
    return query, inputs


def most_similar(
    kv: KeyedVectors, positive: Any, negative: Any, topn: int | None, restrict_vocab: int | None
) -> Any:
    """``KeyedVectors.most_similar``: cosines with the query, then a partial sort."""
    if isinstance(topn, Integral) and topn < 1:
        return []
    query, inputs = kv._query(positive, negative)
    scores = kv.get_normed_vectors()[: restrict_vocab or len(kv)] @ query
    if not topn:
        return scores
    best = sim.top_k(scores, int(topn), exclude=set(inputs))
    return [(kv.index_to_key[i], float(scores[i])) for i in best]


def most_similar_cosmul(
    kv: KeyedVectors, positive: Any, negative: Any, topn: int | None, restrict_vocab: int | None
) -> Any:
    """``KeyedVectors.most_similar_cosmul``: 3CosMul scores, then a partial sort."""
    if isinstance(topn, Integral) and topn < 1:
        return []
    positive, negative = _ensure_list(positive), _ensure_list(negative)
    if not positive:
        raise ValueError("most_similar_cosmul needs at least one key or vector in positive=")
    normed = kv.get_normed_vectors()[: restrict_vocab or len(kv)]
    dtype = normed.dtype

    def shifted_cosines(terms: list[Any]) -> np.ndarray:
        # (1 + cos) / 2 of every row with each term, multiplied over the terms.
        out = np.ones(normed.shape[0], dtype)
        for term in terms:
            vec = term if isinstance(term, np.ndarray) else kv.get_vector(term, norm=True)
            out *= (1 + normed @ np.asarray(vec, dtype)) / 2
        return out

    scores = shifted_cosines(positive) / (shifted_cosines(negative) + dtype.type(1e-6))
    if not topn:
        return scores
    inputs = {kv.get_index(t) for t in positive + negative if isinstance(t, _KEY_TYPES)}
    best = sim.top_k(scores, int(topn), exclude=inputs)
    return [(kv.index_to_key[i], float(scores[i])) for i in best]


def distances(kv: KeyedVectors, word_or_vector: Any, other_words: Iterable[Any]) -> np.ndarray:
    """``KeyedVectors.distances``: ``1 - cosine`` with each of ``other_words`` (or every key)."""
    if isinstance(word_or_vector, _KEY_TYPES):
        word_or_vector = kv.get_vector(word_or_vector)
    query = sim.unit(word_or_vector)
    others = list(other_words)
    if not others:
        normed = kv.get_normed_vectors()
    else:
        normed, _ = sim.unit_rows(kv[others])
    return 1 - normed @ query.astype(normed.dtype)


def rank_by_centrality(
    kv: KeyedVectors, words: Sequence[Any], use_norm: bool
) -> list[tuple[float, Any]]:
    """``KeyedVectors.rank_by_centrality``: each known word's cosine with the mean."""
    used = [w for w in words if w in kv]
    if len(used) != len(words):
        missing = sorted({repr(w) for w in words if w not in kv})
        warnings.warn(
            f"words not in the vocabulary, ignored: {', '.join(missing)}", stacklevel=3
        )
    if not used:
        raise ValueError("cannot select a word from an empty list (none is in the vocabulary)")
    rows = kv[used]
    if use_norm:
        rows, _ = sim.unit_rows(rows)
    centre = sim.unit(rows.mean(axis=0, dtype=np.float64)).astype(rows.dtype)
    scores = rows @ centre
    return sorted(zip((float(s) for s in scores), used), reverse=True)
