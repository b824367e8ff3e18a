"""``Word2Vec.load`` of a gensim model file (``model.save(path)``, gensim 0.12 to 4.x), without
unpickling it: :mod:`firstlayer.vectors.formats.gensim_pickle` reads the plain data, this turns
it into a firstlayer :class:`~firstlayer.models.Word2Vec` that answers as gensim's loaded model
and trains on.

What comes over: the vectors (``syn0``/``wv.vectors``), ``syn1neg`` and ``syn1``, the words in
gensim's order with their counts and downsampling thresholds (``sample_int``), the Huffman
paths of hierarchical softmax as the file has them (gensim's tie-breaking changed between
versions; the rows of ``syn1`` were learned along these paths), and the settings: ``sg``,
``hs``, ``negative``, ``window``, ``vector_size``, ``alpha``, ``min_alpha``, ``min_count``,
``sample``, ``ns_exponent``, ``cbow_mean``, ``epochs`` (``iter`` before gensim 4), ``seed``,
``workers``, ``batch_words``... gensim 3's ``vocabulary``/``trainables`` parts included.
The noise table (``cum_table``) is rebuilt from the counts, as gensim does on load.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .._safe_pickle import Instance
from ..vectors.formats.errors import VectorFileError
from ..vectors.formats.gensim_pickle import GensimData, keyed_data, read_gensim
from . import _w2v_vocab as vocab_tools

if TYPE_CHECKING:
    from .word2vec import Word2Vec

__all__ = ["is_gensim_file", "load_gensim_word2vec"]

# gensim 3 moved these into model.vocabulary / model.trainables (gensim 4 moves them back)
_VOCABULARY = ("max_vocab_size", "min_count", "sample", "ns_exponent", "max_final_vocab")
_TRAINABLES = ("layer1_size", "seed", "syn1neg", "syn1")
# firstlayer's setting <- gensim's attribute (first one present), and the default if none is
_SETTINGS: dict[str, tuple[tuple[str, ...], Any]] = {
    "vector_size": (("vector_size", "layer1_size"), None),
    "alpha": (("alpha",), 0.025),
    "window": (("window",), 5),
    "min_count": (("min_count",), 5),
    "max_vocab_size": (("max_vocab_size",), None),
    "sample": (("sample",), 1e-3),
    "seed": (("seed",), 1),
    "workers": (("workers",), 3),
    "min_alpha": (("min_alpha",), 0.0001),
    "sg": (("sg",), 0),
    "hs": (("hs",), 0),
    "negative": (("negative",), 5),
    "ns_exponent": (("ns_exponent",), 0.75),
    "cbow_mean": (("cbow_mean",), 1),
    "epochs": (("epochs", "iter"), 5),
    "shrink_windows": (("shrink_windows",), True),
    "max_final_vocab": (("max_final_vocab",), None),
    "batch_words": (("batch_words",), 10000),
}


def is_gensim_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file gensim's ``save()`` wrote (a pickle naming gensim's classes,
    plain or compressed)."""
    from ..vectors.formats._open import read_head
    from ..vectors.formats.gensim_pickle import looks_like_gensim

    try:
        return looks_like_gensim(read_head(path, 512)[0])
    except (OSError, ValueError, EOFError):
        return False


def load_gensim_word2vec(cls: type[Word2Vec], path: str | os.PathLike,
                         mmap: str | None = None) -> Word2Vec:
    """A ``cls`` (firstlayer ``Word2Vec``) from gensim's ``model.save(path)`` file.

    ``mmap`` is read as gensim reads it (the side ``.npy`` files are opened memory-mapped), but
    a model trains in place, so its weights are then copied into memory.

    Raises:
        UnsafePickleError: the pickle names a class outside the allowlist (named).
        VectorFileError: not a gensim Word2Vec model (a Doc2Vec or FastText one: named), or a
            damaged one.
        FileNotFoundError: an array saved beside the file is missing (named).
    """
    name = repr(os.fspath(path))
    obj = read_gensim(path, mmap=mmap)
    kind = obj.qualname.rsplit(".", 1)[1]
    if kind != "Word2Vec":
        raise VectorFileError(
            f"{name} is a gensim {obj.qualname}, not a Word2Vec model; firstlayer reads its "
            f"word vectors: firstlayer.vectors.load({name})")
    data = keyed_data(obj, name)
    state = _model_state(obj)
    config = {key: _setting(state, names, default) for key, (names, default) in _SETTINGS.items()}
    if config["vector_size"] is None:
        config["vector_size"] = data.vectors.shape[1]
    if int(config["vector_size"]) != data.vectors.shape[1]:
        raise VectorFileError(f"{name}: vector_size {config['vector_size']} but vectors of "
                              f"shape {data.vectors.shape}")
    try:
        model = cls(**config)
    except (TypeError, ValueError) as err:
        raise VectorFileError(f"{name}: a setting of the gensim model is out of range ({err})") \
            from None
    _install(model, data, state, name)
    return model


def _model_state(obj: Instance) -> dict:
    state = dict(obj.state)
    for part, names in (("vocabulary", _VOCABULARY), ("trainables", _TRAINABLES)):
        inner = state.get(part)
        if isinstance(inner, Instance) and isinstance(inner.state, dict):
            for key in names:
                if key in inner.state:
                    state[key] = inner.state[key]
    return state


def _setting(state: dict, names: tuple[str, ...], default: Any) -> Any:
    for key in names:
        value = state.get(key)
        if value is not None:
            return value.item() if isinstance(value, np.generic) else value
    return default


def _matrix(state: dict, key: str, shape: tuple[int, int], name: str) -> np.ndarray:
    value = state.get(key)
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[1] != shape[1] \
            or value.shape[0] < shape[0]:
        got = value.shape if isinstance(value, np.ndarray) else type(value).__name__
        raise VectorFileError(f"{name}: {key} should be a {shape} matrix, the file has {got}")
    return np.ascontiguousarray(value[: shape[0]], dtype=np.float32).copy()


def _install(model: Word2Vec, data: GensimData, state: dict, name: str) -> None:
    keys = list(data.keys)
    n, dim = len(keys), data.vectors.shape[1]
    counts = data.attrs.get("count")
    if counts is None:
        raise VectorFileError(f"{name}: the model has no word counts (no vocab)")
    counts = np.asarray(counts, np.int64)
    sample_ints = data.attrs.get("sample_int")
    if sample_ints is None:  # counts kept, thresholds not: gensim's formula
        sample_ints = vocab_tools.sample_ints(counts, model.sample, int(counts.sum()))
    syn1neg = _matrix(state, "syn1neg", (n, dim), name) if model.negative else None
    syn1 = _matrix(state, "syn1", (n, dim), name) if model.hs else None
    model.counts = counts
    model.sample_ints = np.asarray(sample_ints, np.uint32)
    model._set_vocab(keys, np.ascontiguousarray(data.vectors, dtype=np.float32).copy(),
                     syn1neg, syn1)
    model.corpus_count = int(state.get("corpus_count") or 0)
    total = state.get("corpus_total_words")  # unknown before gensim 3.3: None, as gensim
    model.corpus_total_words = None if total is None else int(total)  # type: ignore[assignment]
    model.effective_min_count = int(state.get("effective_min_count") or model.min_count)
    model.train_count = int(state.get("train_count") or 0)
    model.running_training_loss = float(state.get("running_training_loss") or 0.0)
    model.min_alpha_yet_reached = float(state.get("min_alpha_yet_reached") or model.alpha)
    model._make_tables()
    if model.hs and data.codes is not None and data.points is not None:
        model._points, model._codes, model._codelens = _tree(data.codes, data.points, n, name)


def _tree(codes: list, points: list, n: int, name: str) -> tuple[np.ndarray, ...]:
    """The file's Huffman paths in the layout of ``_w2v_vocab.huffman_tree``."""
    lengths = np.array([len(c) for c in codes], np.int32)
    depth = max(int(lengths.max(initial=0)), 1)
    points_arr = np.zeros((n, depth), np.int32)
    codes_arr = np.zeros((n, depth), np.uint8)
    for i, (code, point) in enumerate(zip(codes, points)):
        code, point = np.asarray(code), np.asarray(point)
        if len(point) != len(code) or (len(point) and (point.min() < 0 or point.max() >= n)):
            raise VectorFileError(f"{name}: word {i}'s Huffman path is damaged")
        codes_arr[i, : len(code)] = code
        points_arr[i, : len(point)] = point
    return points_arr, codes_arr, lengths
