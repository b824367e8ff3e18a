"""``Word2Vec.save`` and ``Word2Vec.load``: the model in a safetensors file, no pickle.

The main file (safetensors, or ``.npz`` if the name ends so) holds the arrays and, as JSON
metadata, the settings, the vocabulary and the training state. As in gensim's ``save``, arrays
larger than ``sep_limit`` bytes (or named in ``separately``) go to files of their own beside it,
named as gensim names them (``model.wv.vectors.npy``, ``model.syn1neg.npy``, ``model.syn1.npy``),
plain ``.npy`` files that ``load(mmap="r")`` memory-maps instead of reading.

>>> from firstlayer.models import Word2Vec
>>> model = Word2Vec([["a", "b"]] * 10, vector_size=4, min_count=1, progress=False)
>>> model.save("/tmp/w2v-files-doc.model", sep_limit=0)
>>> Word2Vec.load("/tmp/w2v-files-doc.model", mmap="r").wv.vectors.shape
(2, 4)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .word2vec import Word2Vec

FORMAT = "firstlayer-word2vec"
FORMAT_VERSION = "1"
# The constructor arguments that are saved with the model and given back to it on load.
CONFIG = (
    "vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers",
    "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "shrink_windows",
    "max_final_vocab", "progress", "compute_loss", "batch_words", "backend",
)
STATE = ("corpus_count", "corpus_total_words", "effective_min_count", "train_count",
         "running_training_loss", "epoch_losses", "min_alpha_yet_reached")
# array in the main file -> gensim's attribute name (that of a file saved apart)
_GENSIM_NAMES = {
    "input.weight": "wv.vectors", "output.weight": "syn1neg", "output_hs.weight": "syn1",
    "counts": "wv.expandos.count", "sample_ints": "wv.expandos.sample_int",
    "vectors_lockf": "wv.vectors_lockf",
}
DEFAULT_SEP_LIMIT = 10 * 1024**2  # gensim's: arrays over 10 MB go to files of their own


class NotAModelError(AttributeError, ValueError):
    """The file holds something else than a Word2Vec model (gensim raises ``AttributeError``
    there; the bad value makes it a ``ValueError`` too)."""


T = TypeVar("T")


class class_only(Generic[T]):  # noqa: N801  (used as a decorator)
    """A classmethod that cannot be called on an instance: ``model.load(path)`` would read a
    new model and leave ``model`` as it was, so it is an ``AttributeError``, as in gensim."""

    def __init__(self, func: Callable[..., T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: type) -> Callable[..., T]:
        if obj is not None:
            raise AttributeError(
                f"{self.func.__name__}() is called on the class: "
                f"model = {owner.__name__}.{self.func.__name__}(path), not on a model"
            )
        return self.func.__get__(owner, owner)  # type: ignore[attr-defined, no-any-return]


def save_model(
    model: Word2Vec, path: str | os.PathLike, separately: Iterable[str] | None = None,
    sep_limit: int = DEFAULT_SEP_LIMIT, ignore: Iterable[str] = frozenset(),
) -> None:
    """:meth:`Word2Vec.save`."""
    from ..serialization import save

    arrays = {
        "input.weight": model.input.weight._data,
        "output.weight": model.syn1neg,
        "output_hs.weight": model.syn1,
        "counts": model.counts,
        "sample_ints": model.sample_ints,
        "vectors_lockf": np.asarray(getattr(model.wv, "vectors_lockf", np.ones(1, np.float32)),
                                    np.float32),
    }
    named = set(separately or ())
    unknown = named - set(arrays) - set(_GENSIM_NAMES.values())
    if unknown:
        raise ValueError(
            f"separately names {sorted(unknown)}; the model's arrays are "
            f"{sorted(_GENSIM_NAMES.values())}"
        )
    apart = [name for name, arr in arrays.items()
             if name in named or _GENSIM_NAMES[name] in named
             or (separately is None and arr.nbytes > sep_limit)]
    base = os.fspath(path)
    for name in apart:
        _save_npy(f"{base}.{_GENSIM_NAMES[name]}.npy", arrays.pop(name))
    state = {key: getattr(model, key) for key in STATE}
    state["random"] = model._random.bit_generator.state
    metadata = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": json.dumps({name: getattr(model, name) for name in CONFIG}),
        "state": json.dumps(state),
        "index_to_key": json.dumps(list(model.wv.index_to_key), ensure_ascii=False),
        "apart": json.dumps(apart),
    }
    save(arrays, path, metadata=metadata)


def _save_npy(path: str, arr: np.ndarray) -> None:
    from .._atomic import atomic_write

    with atomic_write(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)


def load_model(cls: type[Word2Vec], path: str | os.PathLike, mmap: str | None = None) -> Word2Vec:
    """:meth:`Word2Vec.load` of a file that :func:`save_model` wrote."""
    from ..serialization import load, load_metadata

    name = os.fspath(path)
    try:
        metadata = load_metadata(path)
    except ValueError as exc:
        raise NotAModelError(
            f"{name} is not a firstlayer Word2Vec model ({exc}); files of word vectors load "
            f"with firstlayer.vectors.load"
        ) from None
    if metadata.get("format") != FORMAT:
        raise NotAModelError(
            f"{name} is not a firstlayer Word2Vec model (no {FORMAT!r} marker; files of "
            f"word vectors load with firstlayer.vectors.load)"
        )
    if metadata.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{name} is a firstlayer Word2Vec model of format version "
            f"{metadata.get('version')!r}; this firstlayer reads version {FORMAT_VERSION}"
        )
    arrays = {k: t._data for k, t in load(path, mmap=bool(mmap)).items()}
    try:
        config = json.loads(metadata["config"])
        state = json.loads(metadata["state"])
        keys = json.loads(metadata["index_to_key"])
        for key in json.loads(metadata.get("apart", "[]")):
            arrays[key] = np.load(f"{name}.{_GENSIM_NAMES[key]}.npy",
                                  mmap_mode=mmap, allow_pickle=False)  # type: ignore[arg-type]
        _check_arrays(arrays, len(keys), config)
        random_state = state.pop("random")
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{name}: damaged Word2Vec model ({type(exc).__name__}: {exc})") \
            from None
    model = cls._from_parts(
        config, keys, _weights(arrays["input.weight"], mmap),
        syn1neg=_weights(arrays["output.weight"], mmap),
        syn1=_weights(arrays["output_hs.weight"], mmap),
        counts=arrays["counts"], sample_ints=arrays["sample_ints"], state=state,
        lockf=arrays.get("vectors_lockf"),
    )
    model._random.bit_generator.state = random_state
    return model


def _weights(arr: np.ndarray, mmap: str | None) -> np.ndarray:
    """The array itself when memory-mapped as asked (read-only with ``"r"``), else a writable
    float32 copy."""
    if mmap and isinstance(arr, np.memmap):
        return arr
    return np.ascontiguousarray(arr, dtype=np.float32).copy()


def _check_arrays(arrays: dict[str, np.ndarray], count: int, config: dict[str, Any]) -> None:
    dim = config["vector_size"]
    expected = {
        "input.weight": (count, dim),
        "output.weight": (count, dim),
        "output_hs.weight": (count if config["hs"] else 0, dim),
        "counts": (count,),
        "sample_ints": (count,),
    }
    for key, shape in expected.items():
        if key not in arrays:
            raise KeyError(f"no {key!r} array")
        if arrays[key].shape != shape:
            raise TypeError(f"{key!r} has shape {arrays[key].shape}, expected {shape}")
