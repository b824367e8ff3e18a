"""The points of a projector page: which keys, their vectors, groups and nearest neighbours.

Everything the page shows about the vectors themselves is computed here, in the original space:
the projections (``projections.py``) only place the points on the screen. A page's neighbours
are those of the KeyedVectors of its points, with :meth:`KeyedVectors.most_similar`'s query,
scores and tie rule (:func:`neighbours`), so the list a reader sees is the one ``most_similar``
gives.

>>> import numpy as np
>>> from firstlayer.vectors import KeyedVectors
>>> kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32) + 0.1)
>>> points = select_points(kv)
>>> points.keys, neighbours(points.kv, 1)[0].tolist()
(['a', 'b', 'c'], [[1], [0], [0]])
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..vectors import KeyedVectors
from ..vectors import similarity as sim

# Shown for points that --labels gives no group.
NO_GROUP = "(no label)"
# How many missing keys a warning names before it says "and N more".
_NAMED = 20


class ProjectorWarning(UserWarning):
    """Something about the input that the page works around: keys missing, fewer points."""


@dataclass
class Points:
    """The points of a page.

    Attributes:
        keys: the keys, in the page's order (row order of ``kv``).
        kv: KeyedVectors over exactly these keys: the space the neighbours are computed in.
        missing: keys that were asked for (``keys=``) but that the vectors lack.
    """

    keys: list[Any]
    kv: KeyedVectors
    missing: list[Any]


def _fasttext_vectors(model: Any, keys: Sequence[Any] | None, limit: int | None) -> KeyedVectors:
    """A fastText model's word vectors (``get_word_vector``: subwords included); any word has
    one, so every asked key is found."""
    words = list(keys) if keys is not None else list(model.words)[:limit]
    matrix = np.stack([model.get_word_vector(w) for w in words]) if words else None
    if matrix is None:
        matrix = np.zeros((0, model.get_dimension()), np.float32)
    return KeyedVectors.from_arrays(words, matrix)


def _embedding_vectors(embedding: Any, vocab: Any) -> KeyedVectors:
    """``(embedding, vocab)``: an ``nn.Embedding`` (firstlayer's or torch's), a weight tensor or
    an array, with a vocabulary (a ``Vocab``, a list of tokens, a dict token -> id)."""
    from ..vectors.embedding import vocab_tokens

    weight = getattr(embedding, "weight", embedding)
    if hasattr(weight, "detach"):  # a tensor that may require grad: firstlayer's or torch's
        weight = weight.detach()
    if hasattr(weight, "cpu"):
        weight = weight.cpu()
    matrix = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
    if matrix.ndim != 2:
        raise ValueError(f"an embedding's weight is 2-D (num_embeddings, dim), got {matrix.shape}")
    tokens = vocab_tokens(vocab)
    if len(tokens) != matrix.shape[0]:
        raise ValueError(
            f"the vocabulary has {len(tokens):,} tokens but the embedding {matrix.shape[0]:,} "
            "rows; give one token per row"
        )
    if not np.issubdtype(matrix.dtype, np.floating):
        matrix = matrix.astype(np.float32)
    return KeyedVectors.from_arrays(tokens, matrix)


def as_keyed_vectors(
    source: Any, keys: Sequence[Any] | None = None, limit: int | None = None
) -> tuple[KeyedVectors, str]:
    """``source`` as KeyedVectors, and a name for the page's title.

    ``source``: a vectors file (any format :func:`firstlayer.vectors.load` reads), a
    KeyedVectors, a model with ``.wv`` (Word2Vec), a fastText model, or ``(embedding, vocab)``.
    A file is read only as far as needed: the ``keys`` asked for, else its first ``limit``.
    """
    if isinstance(source, KeyedVectors):
        return source, type(source).__name__
    wv = getattr(source, "wv", None)
    if isinstance(wv, KeyedVectors):
        return wv, type(source).__name__
    if hasattr(source, "get_word_vector") and hasattr(source, "words"):
        return _fasttext_vectors(source, keys, limit), type(source).__name__
    if isinstance(source, tuple) and len(source) == 2:
        return _embedding_vectors(*source), type(getattr(source[0], "weight", source[0])).__name__
    if isinstance(source, (str, os.PathLike)):
        from ..vectors import load

        if keys is not None:
            kv = load(source, vocab=list(dict.fromkeys(keys)))
        else:
            kv = load(source, limit=limit)
        return kv, Path(source).name
    raise TypeError(
        "source must be a vectors file's path, a KeyedVectors, a Word2Vec or fastText model, or "
        f"(embedding, vocab); got {type(source).__name__}"
    )


def check_limit(limit: int | None) -> None:
    """Raise ``ValueError`` unless ``limit`` is ``None`` or at least 1."""
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise ValueError(f"limit must be a whole number of points, at least 1; got {limit!r}")


def select_points(
    kv: KeyedVectors, keys: Sequence[Any] | None = None, limit: int | None = 10000
) -> Points:
    """The points of a page: ``keys`` (those the vectors have), else the first ``limit`` keys.

    Keys the vectors lack are left out with a :class:`ProjectorWarning` naming them; more keys
    than ``limit`` are cut to the first ``limit``, also with a warning.

    Raises:
        ValueError: ``limit`` below 1, no keys at all, or none of ``keys`` in the vectors.
    """
    check_limit(limit)
    missing: list[Any] = []
    if keys is None:
        chosen = list(kv.index_to_key[: limit if limit is not None else len(kv)])
    else:
        wanted = list(dict.fromkeys(keys))  # once each, in the order given
        chosen = [k for k in wanted if k in kv]
        missing = [k for k in wanted if k not in kv]
        if not chosen:
            raise ValueError(f"none of the {len(wanted):,} keys asked for are in the vectors")
        if missing:
            named = ", ".join(map(repr, missing[:_NAMED]))
            more = f" and {len(missing) - _NAMED:,} more" if len(missing) > _NAMED else ""
            warnings.warn(
                f"keys not in the vectors, left out ({len(missing):,} of {len(wanted):,}): "
                f"{named}{more}",
                ProjectorWarning,
                stacklevel=3,
            )
        if limit is not None and len(chosen) > limit:
            warnings.warn(
                f"{len(chosen):,} keys asked for, drawing the first {limit:,} (limit={limit:,})",
                ProjectorWarning,
                stacklevel=3,
            )
            chosen = chosen[:limit]
    if not chosen:
        raise ValueError("the vectors hold no keys: nothing to draw")
    if len(chosen) == len(kv) and all(a == b for a, b in zip(chosen, kv.index_to_key)):
        subset = kv
    else:
        subset = KeyedVectors.from_arrays(chosen, np.asarray(kv[chosen]))
    return Points(chosen, subset, missing)


def neighbours(kv: KeyedVectors, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each key's ``k`` nearest keys by cosine, as ``kv.most_similar(key, topn=k)`` ranks them.

    One blocked matrix product for all keys rather than one ``most_similar`` call each (10,000
    calls take ~20 s; this, under a second). The query of each key is ``most_similar``'s (its
    unit row, normalised again in float64), its scores are compared with the same unit rows,
    the key itself is excluded and ties go to the lower index; only the summation order of the
    products differs, by float32 rounding (~1e-7).

    Shape: ``kv`` of V keys -> indices ``(V, min(k, V - 1))`` int64, best first, and their
    cosines, float64.
    """
    if k < 0:
        raise ValueError(f"neighbors must be 0 or more, got {k}")
    n = len(kv)
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), np.int64), np.zeros((n, 0))
    normed = kv.get_normed_vectors()
    rows = normed.astype(np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    queries = (rows / np.where(norms > 0, norms, 1.0)).astype(normed.dtype)
    index, score = sim.batch_top_k(normed, queries, k, [[i] for i in range(n)])
    return index, score.astype(np.float64)


def read_labels(path: str | os.PathLike) -> dict[str, str]:
    """A labels file: one ``key<TAB>group`` per line (or ``key group``, split at the first
    space when a line has no tab). Empty lines and a ``key<TAB>group`` header line are skipped.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "labels.tsv")
    >>> _ = open(p, "w", encoding="utf-8").write("猫\\tanimal\\n红 colour\\n")
    >>> read_labels(p)
    {'猫': 'animal', '红': 'colour'}
    """
    labels: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            key, sep, group = line.partition("\t") if "\t" in line else line.partition(" ")
            if not sep or not group.strip():
                raise ValueError(
                    f"{os.fspath(path)}, line {number}: expected 'key<TAB>group', got {line!r}"
                )
            if number == 1 and (key.lower(), group.strip().lower()) in (
                ("key", "group"), ("word", "label"), ("key", "label"), ("word", "group"),
            ):
                continue  # a header
            labels[key] = group.strip()
    return labels


def point_groups(
    keys: Sequence[Any], labels: Mapping[Any, str] | Sequence[str] | str | os.PathLike
) -> list[str]:
    """The group of each point: ``labels`` is a key -> group mapping, a labels file (see
    :func:`read_labels`) or one group per point; keys without one get ``NO_GROUP``."""
    if isinstance(labels, (str, os.PathLike)):
        labels = read_labels(labels)
    if isinstance(labels, Mapping):
        return [str(labels.get(k, labels.get(str(k), NO_GROUP))) for k in keys]
    groups = [str(g) for g in labels]
    if len(groups) != len(keys):
        raise ValueError(
            f"labels: got {len(groups):,} groups for {len(keys):,} points; give one per point "
            "or a mapping key -> group"
        )
    return groups
