"""``KeyedVectors``: words (keys) and their vectors, with gensim's names and numbers.

The class holds the lookup (``index_to_key``, ``key_to_index``, ``vectors``) and the cached unit
rows; the rest lives in small modules beside it: ``_queries`` (the code of ``most_similar`` and
the other similarity queries), ``similarity`` (cosines, top-k), ``evaluate`` (word-pair and
analogy benchmarks), ``embedding`` (into ``nn.Embedding``),
``_vecattr`` (per-key attributes such as word counts: ``expandos``) and ``_w2vformat``
(gensim's ``load_word2vec_format``/``save_word2vec_format`` with the vocabulary-count file).

>>> import numpy as np
>>> kv = KeyedVectors.from_arrays(["我", "你", "他"], np.eye(3, dtype=np.float32))
>>> kv["你"].tolist(), "她" in kv, len(kv)
([0.0, 1.0, 0.0], False, 3)
>>> kv.most_similar("我", topn=1)
[('你', 0.0)]

Differences from gensim 4.4, all where gensim gives a wrong or no answer:
    - a zero vector has similarity 0 to everything (gensim: NaN);
    - ``add_vectors`` clears the cached norms (gensim keeps stale ones, and the next query fails
      or answers with the old vectors); duplicate keys in one call are an error;
    - ``n_similarity`` raises ``KeyError`` for a missing key (gensim silently drops it);
    - ``most_similar_cosmul`` honours ``restrict_vocab`` (gensim ignores it);
    - a missing key's ``KeyError`` names the closest existing keys;
    - ``similarity(w, w)`` is exactly 1 and ``distance(w, w)`` exactly 0 (gensim: a few ulps off
      for about one vector in five);
    - ``add_vectors`` grows ``expandos`` (new keys get 0; gensim leaves them short, and
      ``get_vecattr`` of a new key fails) and takes ``extras`` as documented;
    - ``load_word2vec_format``: a word missing from ``fvocab`` gets count 0 with a warning
      (gensim fails on it), ``fvocab`` is decoded with ``encoding`` (gensim: always UTF-8), and
      a bool as ``fvocab`` is a ``TypeError`` (it is the old ``(fname, binary)`` order);
    - ``save_word2vec_format`` writes a leading run of int keys once (gensim writes them twice);
    - ``wmdistance`` needs no POT (scipy solves the transport problem), and documents whose
      words all have the same vector are 0 apart (gensim: ``inf``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from . import _queries as queries
from . import _w2vformat
from . import similarity as sim
from ._lazykeys import KeyIndex, KeyList
from ._queries import _KEY_TYPES, _ensure_list  # noqa: F401  (_ensure_list: for fasttext.py)
from ._suggest import KeyNotFoundError
from ._vecattr import VecAttrs, copy_vecattrs_to, descending_counts, grown_vectors

if TYPE_CHECKING:
    from .._random import Generator
    from ..nn import Embedding
    from .embedding import Coverage

class KeyedVectors(VecAttrs):
    """A vocabulary of keys, each with a vector: gensim's ``KeyedVectors``.

    Args:
        vector_size: D, the length of every vector.
        count: rows to preallocate (zeros, keys ``None``) for ``add_vector`` to fill.
        dtype: the vectors' dtype.
        mapfile_path: unused (gensim's signature; gensim does not use it either).

    Attributes:
        index_to_key: list of keys; ``index_to_key[i]`` is the key of row ``i``. Loaded from
            a cache: a read-only :class:`~firstlayer.vectors._lazykeys.KeyList` that decodes
            keys when asked (a list again as soon as keys are added).
        key_to_index: dict key -> row. Loaded from a cache: a ``KeyIndex``, a read-only
            mapping answered by the cache's hash table (a dict again as soon as keys are
            added).
        vectors: the ``(V, D)`` matrix (may be a read-only memory map: never written into).
        vector_size: D.
        norms: ``(V,)`` L2 norms of the rows, once ``fill_norms()`` has run (else ``None``).
        expandos: per-key attributes, ``{name: (V,) array}``, e.g. ``"count"`` (word counts);
            use :meth:`get_vecattr` / :meth:`set_vecattr`.

    Most users get one from ``firstlayer.vectors.load(path)`` or build it with
    :meth:`from_arrays`.

    >>> kv = KeyedVectors(2)
    >>> kv.add_vectors(["a", "b"], np.array([[1.0, 0.0], [1.0, 1.0]]))
    >>> round(kv.similarity("a", "b"), 4)
    0.7071
    """

    def __init__(
        self, vector_size: int, count: int = 0, dtype: DTypeLike = np.float32,
        mapfile_path: str | None = None,
    ) -> None:
        self.vector_size = int(vector_size)
        self.index_to_key: list[Any] | KeyList = [None] * count
        self.key_to_index: dict[Any, int] | KeyIndex = {}
        self.next_index = 0  # where add_vector puts the next key (gensim's preallocation)
        self._vectors: np.ndarray = np.zeros((count, self.vector_size), dtype=dtype)
        self._normed: np.ndarray | None = None
        self.norms: np.ndarray | None = None
        self.expandos: dict[str, np.ndarray] = {}
        self.mapfile_path = mapfile_path

    @classmethod
    def from_arrays(cls, keys: Sequence[str], vectors: np.ndarray) -> KeyedVectors:
        """KeyedVectors over ``keys`` and ``vectors`` as they are: the matrix is not copied.

        ``vectors`` may be a read-only ``np.memmap`` (the cache format); nothing ever writes into
        it (``add_vectors`` makes a new matrix). ``keys`` may be a cache's :class:`KeyList`:
        it is kept as ``index_to_key``, with a ``KeyIndex`` over its hash table as
        ``key_to_index`` (no dict is built; a cache's keys are unique by construction).

        Shape: ``keys`` of length V, ``vectors`` ``(V, D)`` floating point.

        Raises:
            ValueError: the lengths differ, ``vectors`` is not 2-D, or a key appears twice.
            TypeError: ``vectors`` is not floating point.

        >>> kv = KeyedVectors.from_arrays(["a", "b"], np.zeros((2, 3), np.float32))
        >>> kv.key_to_index, kv.vector_size
        ({'a': 0, 'b': 1}, 3)
        """
        if not isinstance(vectors, np.ndarray):
            vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D (keys, dim) array, got shape {vectors.shape}")
        if not np.issubdtype(vectors.dtype, np.floating):
            raise TypeError(f"vectors must be floating point, got dtype {vectors.dtype}")
        keys = keys if isinstance(keys, (list, KeyList)) else list(keys)
        if len(keys) != vectors.shape[0]:
            raise ValueError(
                f"got {len(keys):,} keys but {vectors.shape[0]:,} vectors; they must match"
            )
        key_to_index: dict[Any, int] | KeyIndex
        if isinstance(keys, KeyList):
            key_to_index = KeyIndex(keys)
        else:
            key_to_index = dict(zip(keys, range(len(keys))))
            if len(key_to_index) != len(keys):
                raise ValueError(_duplicates_message(keys))
        kv = cls(vectors.shape[1])
        kv.index_to_key = keys
        kv.key_to_index = key_to_index
        kv.next_index = len(keys)
        kv._vectors = vectors
        return kv

    # ---- the matrix and its cached unit rows ---------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """The ``(V, D)`` matrix, row ``i`` for key ``index_to_key[i]``."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        self._vectors = value
        self._clear_norms()

    def _clear_norms(self) -> None:
        self._normed = None
        self.norms = None

    def fill_norms(self, force: bool = False) -> None:
        """Compute the rows' norms and unit rows once (``force=True``: again).

        Call with ``force=True`` after writing into ``vectors`` in place; ``add_vectors`` and
        assigning ``vectors`` clear the cache themselves.
        """
        if self._normed is None or force:
            self._normed, self.norms = sim.unit_rows(self._vectors)

    def get_normed_vectors(self) -> np.ndarray:
        """Every row divided by its L2 norm (zero rows stay zero): read-only, computed once.

        Shape: ``(V, D)``, float32 (float64 for float64 vectors).
        """
        self.fill_norms()
        assert self._normed is not None
        return self._normed

    def _unit_rows_head(self, stop: int) -> np.ndarray:
        """Unit rows of the first ``stop`` keys, for a one-off batch (the evaluations).

        From the cache when it is filled or ``stop`` covers every row; otherwise only those
        rows are normalised, so that ``restrict_vocab=300000`` on a 3M-word file does not
        allocate 3M unit rows.
        """
        if self._normed is None and stop < len(self):
            return sim.unit_rows(self._vectors[:stop])[0]
        return self.get_normed_vectors()[:stop]

    # ---- lookup --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __iter__(self) -> Iterator[Any]:
        """The keys, in row order."""
        return iter(self.index_to_key)

    def __contains__(self, key: Any) -> bool:
        return self.has_index_for(key)

    def __str__(self) -> str:
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    def get_index(self, key: Any, default: int | None = None) -> int:
        """The row of ``key``; an int that is not a key is taken as a row number (gensim).

        Raises ``KeyError`` (naming the closest keys) when missing and ``default`` is None.
        """
        index = self.key_to_index.get(key, -1)
        if index >= 0:
            return index
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyNotFoundError(key, self.index_to_key, self.key_to_index)

    def has_index_for(self, key: Any) -> bool:
        """Whether ``key`` has a row (``key in kv``)."""
        return self.get_index(key, -1) >= 0

    def get_vector(self, key: Any, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (a read-only view); ``norm=True``: divided by its length.

        Shape: ``(D,)``.
        """
        index = self.get_index(key)
        if norm:
            return self.get_normed_vectors()[index]
        row = self._vectors[index]
        row.setflags(write=False)  # a view into the matrix: writing would stale the norms
        return row

    def __getitem__(self, key_or_keys: Any) -> np.ndarray:
        """``kv[key]`` -> ``(D,)``; ``kv[[k1, k2, ...]]`` -> ``(n, D)`` (a copy)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        rows = [self.get_index(key) for key in key_or_keys]
        return self._vectors[np.asarray(rows, dtype=np.int64)]

    def __setitem__(self, keys: Any, weights: Any) -> None:
        """``kv[key] = vector`` (or lists): add, replacing existing vectors."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    # ---- growing -------------------------------------------------------------------------------
    def _materialise_keys(self) -> tuple[list[Any], dict[Any, int]]:
        """Turn a cache's read-only lazy keys into a real list and dict, before anything is
        added: gensim's ``index_to_key``/``key_to_index`` are a list and a dict that grow.
        (Decodes every key once: ~0.5 s for 1M keys.)"""
        if isinstance(self.index_to_key, KeyList):
            self.index_to_key = self.index_to_key.tolist()
        if isinstance(self.key_to_index, KeyIndex):
            self.key_to_index = dict(zip(self.index_to_key, range(len(self.index_to_key))))
        return self.index_to_key, self.key_to_index

    def add_vectors(
        self, keys: Any, weights: Any, extras: dict[str, Any] | None = None, replace: bool = False
    ) -> None:
        """Append new keys with their vectors; an existing key keeps its vector unless ``replace``.

        The matrix is rebuilt (a memory-mapped one is never written into) and the cached norms
        are cleared. ``extras``: per-key attributes for these keys, ``{name: n values}`` (see
        :meth:`set_vecattr`); new keys get 0 for the attributes not given.

        Shape: ``keys`` n keys (or one key), ``weights`` ``(n, D)`` (or ``(D,)``).
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(
                f"add_vectors needs one {self.vector_size}-long vector per key: got {len(keys)} "
                f"keys and weights of shape {weights.shape}"
            )
        if len(set(keys)) != len(keys):
            raise ValueError(_duplicates_message(keys))
        extras = {attr: np.asarray(v) for attr, v in (extras or {}).items()}
        for attr, values in extras.items():
            if values.shape != (len(keys),):
                raise ValueError(
                    f"extras[{attr!r}] needs one value per key ({len(keys)}), got shape "
                    f"{values.shape}"
                )
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])  # types first
        index_to_key, key_to_index = self._materialise_keys()
        known = np.array([key in key_to_index for key in keys], dtype=bool)
        for key in (k for k, old in zip(keys, known) if not old):
            key_to_index[key] = len(index_to_key)
            index_to_key.append(key)
        vectors = np.concatenate([self._vectors, weights[~known].astype(self._vectors.dtype)])
        self.allocate_vecattrs()  # one value per key again (0 for the new keys)
        new_rows = np.arange(len(index_to_key) - int((~known).sum()), len(index_to_key))
        for attr, values in extras.items():
            self.expandos[attr][new_rows] = values[~known]
        if replace and known.any():
            rows = [key_to_index[k] for k, old in zip(keys, known) if old]
            vectors[rows] = weights[known]
            for attr, values in extras.items():
                self.expandos[attr][rows] = values[known]
        self.vectors = vectors  # the setter clears the cached norms

    def add_vector(self, key: Any, vector: Any) -> int:
        """Add one key (into a preallocated slot if there is one); returns its row."""
        if key in self.key_to_index:
            return self.key_to_index[key]
        index_to_key, key_to_index = self._materialise_keys()
        target = self.next_index
        if target < len(self) and index_to_key[target] is None:
            if not self._vectors.flags.writeable:
                self._vectors = self._vectors.copy()
            index_to_key[target] = key
            key_to_index[key] = target
            self._vectors[target] = vector
            self._clear_norms()
        else:
            target = len(self)
            self.add_vectors([key], np.asarray(vector).reshape(1, -1))  # grows expandos too
        self.next_index = target + 1
        return target

    def resize_vectors(self, seed: int = 0) -> None:
        """Give every key a row: new rows (keys added to ``index_to_key`` without vectors) are
        drawn uniformly from ``[-1/D, 1/D)`` by ``np.random.default_rng(seed)``, as gensim."""
        target = (len(self.index_to_key), self.vector_size)
        if self._vectors.shape != target:
            self.vectors = grown_vectors(self._vectors, target, seed)  # clears the cached norms
        self.allocate_vecattrs()

    def vectors_for_all(
        self, keys: Iterable[Any], allow_inference: bool = True, copy_vecattrs: bool = False
    ) -> KeyedVectors:
        """A new ``KeyedVectors`` of the given keys that have a vector, once each, in the order
        given. ``allow_inference``: keys a subclass can make a vector for (fastText's unseen
        words) count too. ``copy_vecattrs``: the keys' attributes are copied; else each gets
        gensim's made-up count, ``n - i``.

        >>> kv = KeyedVectors.from_arrays(["a", "b"], np.eye(2, dtype=np.float32))
        >>> kv.vectors_for_all(["b", "zzz", "b"]).index_to_key
        ['b']
        """
        known = self if allow_inference else self.key_to_index
        chosen = [key for key in dict.fromkeys(keys) if key in known]  # once each, in order
        vectors = (self[chosen] if chosen
                   else np.zeros((0, self.vector_size), self._vectors.dtype))
        kv = KeyedVectors.from_arrays(chosen, np.array(vectors, dtype=self._vectors.dtype))
        kv.expandos["count"] = descending_counts(len(chosen))
        if copy_vecattrs and self.expandos:
            copy_vecattrs_to(kv, self, chosen)
        return kv

    def unit_normalize_all(self) -> None:
        """Scale every vector to length 1, for good (zero vectors stay zero). The matrix is
        written in place when it is writable (a model's vectors change with it), else
        replaced. Training cannot sensibly continue afterwards."""
        normed, norms = sim.unit_rows(self._vectors)
        if self._vectors.flags.writeable:
            self._vectors[...] = normed
        else:  # a read-only memory map (cache)
            self._vectors = np.array(normed, dtype=self._vectors.dtype)
        self._normed = normed
        self.norms = (norms > 0).astype(norms.dtype)  # gensim: ones (a zero row stays 0)
        self.norms.setflags(write=False)

    def init_sims(self, replace: bool = False) -> None:
        """gensim 3's name: ``fill_norms()``; ``replace=True``: ``unit_normalize_all()``."""
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    # ---- similarity queries --------------------------------------------------------------------
    def get_mean_vector(
        self,
        keys: Any,
        weights: Any = None,
        pre_normalize: bool = True,
        post_normalize: bool = False,
        ignore_missing: bool = True,
    ) -> np.ndarray:
        """``sum_i w_i v_i / sum_i |w_i|`` over keys (unit vectors if ``pre_normalize``) and raw
        vectors; ``post_normalize``: scaled to length 1. Missing keys are skipped if
        ``ignore_missing``, else ``KeyError``.

        Shape: n keys or ``(D,)`` vectors -> ``(D,)``.
        """
        return queries.get_mean_vector(self, keys, weights, pre_normalize, post_normalize,
                                       ignore_missing)

    def _query(self, positive: Any, negative: Any) -> tuple[np.ndarray, list[int]]:
        """The unit query vector of most_similar and the rows of its input keys."""
        return queries.query(self, positive, negative)

    def most_similar(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> Any:
        """The ``topn`` keys most similar to the mean of ``positive`` minus ``negative``.

        Each key is a unit vector weighted +1 (positive) or -1 (negative); a raw vector is used
        as given; ``(key, weight)`` sets the weight. The weighted mean, normalised, is compared
        by cosine with every row (one product with the cached unit rows, then a partial sort);
        the input keys are never returned. ``restrict_vocab=N`` searches the first N rows only.

        Returns a list of ``(key, cosine)``, best first; ``topn=None``: the cosines with every
        row (``(V,)`` or ``(N,)``), inputs included, like gensim.

        >>> kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32) + 0.1)
        >>> [k for k, _ in kv.most_similar("a", topn=2)]
        ['b', 'c']
        """
        return queries.most_similar(self, positive, negative, topn, restrict_vocab)

    def similar_by_word(
        self, word: Any, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> Any:
        """``most_similar(positive=[word], ...)``."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similar_by_vector(
        self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> Any:
        """The keys most similar to ``vector`` (shape ``(D,)``)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> Any:
        """Levy & Goldberg's 3CosMul: score(w) = prod_p c(w, p) / (prod_n c(w, n) + 1e-6), with
        c = (1 + cos) / 2 in [0, 1], so that no single term dominates.

        Keys become unit vectors, raw vectors are used as given; inputs are not returned.
        ``topn=None`` returns every score. (gensim ignores ``restrict_vocab`` here; we apply it.)
        """
        return queries.most_similar_cosmul(self, positive, negative, topn, restrict_vocab)

    def similarity(self, w1: Any, w2: Any) -> float:
        """The cosine of the vectors of two keys, in [-1, 1]; exactly 1 for a key with itself."""
        return sim.cosine(self[w1], self[w2])

    def relative_cosine_similarity(self, wa: Any, wb: Any, topn: int = 10) -> float:
        """``similarity(wa, wb)`` divided by the sum of ``wa``'s ``topn`` best similarities
        (Leeuwenberg et al. 2016: above ~0.10 with ``topn=10``, a likely synonym).

        Raises:
            ValueError: ``wa`` has no neighbour to compare with.
        """
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError(
                f"relative_cosine_similarity needs neighbours of {wa!r}: topn={topn} found none"
            )
        return float(self.similarity(wa, wb)) / sum(score for _, score in sims)

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """The cosine of ``vector_1`` with each row of ``vectors_all`` (0 for a zero row).

        Shape: ``(D,)``, ``(n, D)`` -> ``(n,)``.
        """
        normed, _ = sim.unit_rows(np.asarray(vectors_all))
        return normed @ sim.unit(vector_1).astype(normed.dtype)

    def n_similarity(self, ws1: Sequence[Any], ws2: Sequence[Any]) -> float:
        """The cosine of the means of two lists of keys (raw vectors, as gensim)."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("n_similarity needs two non-empty lists of keys")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return sim.cosine(mean1, mean2)

    def distance(self, w1: Any, w2: Any) -> float:
        """``1 - similarity(w1, w2)``, in [0, 2]; exactly 0 for a key with itself."""
        return 1 - self.similarity(w1, w2)

    def wmdistance(self, document1: Sequence[Any], document2: Sequence[Any], norm: bool = True
                   ) -> float:
        """Word Mover's Distance between two documents (lists of keys): the least cost of
        moving one's words onto the other's, by the distances of their vectors (unit vectors
        if ``norm``). Unknown words are left out; a document left empty gives ``inf``.

        See :mod:`firstlayer.vectors._wmd` (gensim needs POT for this; scipy solves it here).
        """
        from ._wmd import wmdistance

        return wmdistance(self, document1, document2, norm=norm)

    def distances(self, word_or_vector: Any, other_words: Iterable[Any] = ()) -> np.ndarray:
        """Cosine distances from a key or vector to ``other_words`` (default: every key).

        Shape: ``(len(other_words),)`` or ``(V,)``.
        """
        return queries.distances(self, word_or_vector, other_words)

    def closer_than(self, key1: Any, key2: Any) -> list[Any]:
        """Every key closer to ``key1`` than ``key2`` is (``key1`` itself left out)."""
        dists = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(dists < dists[i2]) if i != i1]

    def rank(self, key1: Any, key2: Any) -> int:
        """1 + the number of keys closer to ``key1`` than ``key2`` (1: the nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1: Any, keys_list: Sequence[Any]) -> Any:
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def rank_by_centrality(
        self, words: Sequence[Any], use_norm: bool = True
    ) -> list[tuple[float, Any]]:
        """``(cosine with the normalised mean, word)`` for each known word, most central first.

        Unknown words are left out with a warning.
        """
        return queries.rank_by_centrality(self, words, use_norm)

    def doesnt_match(self, words: Sequence[Any]) -> Any:
        """The word furthest from the mean of the words (unknown words are ignored)."""
        return self.rank_by_centrality(words)[-1][1]

    # ---- evaluation ----------------------------------------------------------------------------
    def evaluate_word_pairs(
        self,
        pairs: str | os.PathLike,
        delimiter: str = "\t",
        encoding: str = "utf8",
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
    ) -> tuple[Any, Any, float]:
        """Correlation of the model's cosines with human similarity scores (e.g. WordSim-353).

        See :func:`firstlayer.vectors.evaluate.evaluate_word_pairs`. Returns
        ``(pearson, spearman, oov_ratio)``: scipy's results (``statistic``, ``pvalue``) and the
        percentage of pairs with an unknown word, as gensim.
        """
        from .evaluate import evaluate_word_pairs

        return evaluate_word_pairs(
            self,
            pairs,
            delimiter=delimiter,
            encoding=encoding,
            restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown,
        )

    def evaluate_word_analogies(
        self,
        analogies: str | os.PathLike,
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        similarity_function: str = "most_similar",
    ) -> tuple[float, list[dict[str, Any]]]:
        """Accuracy on "a is to b as c is to d" questions (e.g. questions-words.txt).

        See :func:`firstlayer.vectors.evaluate.evaluate_word_analogies`. Returns
        ``(score, sections)`` as gensim: the overall accuracy and, per ": section" of the file
        and a final "Total accuracy", a dict with its ``correct`` and ``incorrect`` questions.
        ``similarity_function`` is accepted and, as in gensim 4.4 (whose 3CosMul here is a
        TODO), does not change the answers: they are always 3CosAdd (``most_similar``).
        """
        del similarity_function  # gensim's own tests check that both names give one answer
        from .evaluate import evaluate_word_analogies

        return evaluate_word_analogies(
            self,
            analogies,
            restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown,
        )

    # ---- into the first layer ------------------------------------------------------------------
    def to_embedding(
        self,
        vocab: Any,
        freeze: bool = True,
        oov: str | Callable[[str], Any] = "random",
        lower_case_backup: bool = False,
        padding_idx: int | None = None,
        generator: Generator | None = None,
    ) -> Embedding:
        """An ``nn.Embedding`` whose row i is the vector of ``vocab``'s token i.

        See :func:`firstlayer.vectors.embedding.to_embedding` for the ``oov`` rules.
        """
        from .embedding import to_embedding

        return to_embedding(
            self,
            vocab,
            freeze=freeze,
            oov=oov,
            lower_case_backup=lower_case_backup,
            padding_idx=padding_idx,
            generator=generator,
        )

    def coverage(self, words: Any, lower_case_backup: bool = False) -> Coverage:
        """Which of ``words`` (a Vocab, a list, a dict token -> index) have a vector.

        See :func:`firstlayer.vectors.embedding.coverage`.
        """
        from .embedding import coverage

        return coverage(self, words, lower_case_backup=lower_case_backup)

    # ---- files ---------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, format: str = "word2vec", **kw: Any) -> None:  # noqa: A002
        """Write the vectors to ``path`` atomically, in ``format`` ("word2vec", "glove",
        "word2vec-binary", "cache"; gzip/bz2/xz by the file's extension)."""
        from .formats import save_vectors
        from .formats._open import compression_from_name

        keys = self.index_to_key
        if format == "cache" and isinstance(keys, KeyList) and not kw:
            if compression_from_name(path) is None:  # else save_vectors says why it can't
                from .formats.cache import write_cache

                # Keys loaded from a cache go back as they are stored: their bytes and tables
                # are copied, not decoded, escaped and hashed again (3M keys: 0.4 s, not 4 s).
                write_cache(path, keys, self._vectors)
                return
        save_vectors(keys, self._vectors, path, format=format, **kw)

    def save_word2vec_format(
        self,
        fname: str | os.PathLike,
        fvocab: str | os.PathLike | None = None,
        binary: bool = False,
        total_vec: int | None = None,
        write_header: bool = True,
        prefix: str = "",
        append: bool = False,
        sort_attr: str = "count",
    ) -> None:
        """Write the vectors as word2vec's text (or ``binary``) file, as gensim does.

        Args:
            fname: the file (compressed by its extension: ``.gz``, ``.bz2``, ``.xz``).
            fvocab: also write ``word count`` lines (``sort_attr``'s values) to this file.
            binary: word2vec's binary format instead of text.
            total_vec: the count written in the header (default: the number of keys).
            write_header: write the ``count dim`` line (``False``: GloVe's layout).
            prefix: put before every key.
            append: add to the end of ``fname`` (and ``fvocab``) instead of replacing it.
            sort_attr: keys are written by descending value of this attribute (most frequent
                first); without that attribute, in row order (a warning is logged).

        Raises:
            ValueError: ``fvocab`` is given but no key has ``sort_attr``; a key the format
                can't hold (a space in a binary file, a line break in a text file).
            TypeError: a bool as ``fvocab`` (``binary`` is the third argument).
        """
        _w2vformat.save_word2vec_format(
            self, fname, fvocab, binary, total_vec=total_vec, write_header=write_header,
            prefix=prefix, append=append, sort_attr=sort_attr,
        )

    @classmethod
    def load_word2vec_format(
        cls,
        fname: str | os.PathLike,
        fvocab: str | os.PathLike | None = None,
        binary: bool = False,
        encoding: str = "utf8",
        unicode_errors: str = "strict",
        limit: int | None = None,
        datatype: DTypeLike = np.float32,
        no_header: bool = False,
        **kw: Any,
    ) -> KeyedVectors:
        """Read a word2vec text (or ``binary``) file, as gensim does, with the fast readers of
        :func:`firstlayer.vectors.load`.

        Args:
            fname: the file (plain, gzip, bz2, xz).
            fvocab: a vocabulary file of ``word count`` lines (word2vec's ``-save-vocab``):
                the counts become ``get_vecattr(word, "count")``. Without it, the counts are
                made up as gensim does: ``V - i`` for row ``i``.
            binary: the file is word2vec's binary format.
            encoding: how words are decoded.
            unicode_errors: what a bad byte in a word does (``"replace"``/``"ignore"`` load a
                file with bad bytes; ``"strict"`` raises a ``UnicodeDecodeError`` naming them).
            limit: read only the first ``limit`` vectors (``None`` or 0: all).
            datatype: the vectors' dtype (``dtype=`` is accepted too).
            no_header: the file has no ``count dim`` line (text only).
            **kw: keyword-only extras of :func:`firstlayer.vectors.load` (``vocab``,
                ``progress``, ``on_bad_lines``, ...).

        Raises:
            EOFError: (a ``TruncatedVectorFileError``) fewer vectors than the header says.
            TypeError: a bool as ``fvocab`` (``binary`` is the third argument).
        """
        return _w2vformat.load_word2vec_format(
            cls, fname, fvocab, binary, encoding=encoding, unicode_errors=unicode_errors,
            limit=limit, datatype=datatype, no_header=no_header, **kw,
        )

    @classmethod
    def load(cls, fname: str | os.PathLike, mmap: str | None = None) -> KeyedVectors:
        """gensim's ``KeyedVectors.load``: read what :meth:`save` wrote (any format of
        :func:`firstlayer.vectors.load`, detected from the content).

        ``mmap="r"``: map the arrays read-only instead of reading them, where the format
        allows it.
        """
        from . import load

        return load(fname, mmap=mmap)


def _duplicates_message(keys: Sequence[Any]) -> str:
    counts = Counter(keys)
    dups = [k for k, c in counts.items() if c > 1]
    shown = ", ".join(repr(k) for k in dups[:5])
    more = f" and {len(dups) - 5} more" if len(dups) > 5 else ""
    return f"keys must be unique; {len(dups)} appear more than once: {shown}{more}"
