"""gensim's own files (``kv.save(path)``, ``model.save(path)``), read without unpickling them.

gensim's ``SaveLoad.save`` writes a pickle of the object, and each large array beside it as
``<path>.<attribute>.npy`` (``<path>.<attribute>.npz`` when the path ends in ``.gz``/``.bz2``;
a nested object's arrays as ``<path>.<object>.<attribute>.npy``). Here the pickle goes through
:mod:`firstlayer._safe_pickle` (an allowlist of gensim's classes and NumPy arrays, rebuilt as
plain data; nothing from the file runs), the arrays beside it through
``np.load(allow_pickle=False)``, memory-mapped with ``mmap="r"``.

Every layout from gensim 0.12 to 4.x is read: the vectors are ``vectors`` or ``syn0``, the keys
``index_to_key``, ``index2word`` or ``index2entity``, the counts in ``expandos`` (4.x) or in the
``vocab`` dict of ``Vocab`` objects (earlier), on a ``KeyedVectors`` or, before gensim 1.0, on
the model itself. Doc2Vec and FastText files give their word vectors.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ... import _safe_pickle
from ..._safe_pickle import Instance, UnsafePickleError
from ._open import sniff_compression
from .errors import VectorFileError

__all__ = ["GensimData", "UnsafePickleError", "keyed_data", "looks_like_gensim", "read_gensim"]

# pickles start with PROTO (protocol 2-5); gensim's name one of its classes near the start
_PROTOCOLS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
# protocols 0 and 1 (gensim's save(pickle_protocol=0)): an object, through copyreg or its class
_OLD_STARTS = (b"ccopy_reg\n_reconstructor\n", b"ccopyreg\n_reconstructor\n", b"cgensim.",
               b"(cgensim.", b"(igensim.")
_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` (a file's first decompressed bytes) starts a pickle (of protocol 2-5,
    or of an object at protocol 0 or 1)."""
    return head[:2] in _PROTOCOLS or head.startswith(_OLD_STARTS)


def looks_like_gensim(head: bytes) -> bool:
    """Whether ``head`` starts a pickle of a gensim object (gensim's ``save()``).

    >>> looks_like_gensim(b"\\x80\\x02cgensim.models.word2vec\\nWord2Vec\\n")
    True
    """
    return is_pickle(head) and b"gensim.models." in head[:512]


def read_gensim(path: str | os.PathLike, mmap: str | None = None) -> Instance:
    """The object a gensim ``save()`` wrote at ``path``, as a stand-in whose ``state`` holds
    its attributes, with the arrays saved beside it filled in.

    Raises:
        UnsafePickleError: the pickle names a class outside the allowlist (named).
        VectorFileError: a damaged or cut-off pickle, not a gensim object, an object array in
            a side file.
        FileNotFoundError: the file, or an array saved beside it (named), is missing.
    """
    p = Path(path)
    name = repr(str(p))
    if mmap not in (None, "r", "r+", "c"):
        raise ValueError(f"mmap must be None, 'r', 'r+' or 'c' (numpy's modes), got {mmap!r}")
    with open(p, "rb") as f:
        compression = sniff_compression(f.read(8))
    opener: Any = _OPENERS.get(compression or "", open)
    try:
        with opener(p, "rb") as stream:
            obj = _safe_pickle.load(stream)
    except UnsafePickleError as err:
        raise UnsafePickleError(f"{name}: {err}") from None
    except (EOFError, pickle.UnpicklingError, zlib.error, lzma.LZMAError, OSError, ValueError,
            TypeError, AttributeError, IndexError, KeyError, RecursionError,
            UnicodeError) as err:
        raise VectorFileError(
            f"{name} is a damaged or cut-off pickle ({type(err).__name__}: {err})") from None
    if not isinstance(obj, Instance) or not isinstance(obj.state, dict):
        raise VectorFileError(f"{name} is a pickle of {type(obj).__name__}, not of a gensim "
                              f"model or KeyedVectors")
    # gensim names the side files by the path's suffix (compressed side files: .npz)
    compressed = p.suffix in (".gz", ".bz2")
    if compressed and mmap:
        raise ValueError(f"{name} is compressed: its arrays can't be memory-mapped; use mmap=None")
    _load_specials(obj, str(p), mmap, compressed)
    return obj


def _load_specials(obj: Instance, fname: str, mmap: str | None, compressed: bool) -> None:
    """gensim's ``SaveLoad._load_specials``: the arrays saved beside the pickle."""
    state = obj.state
    for attrib in _names(state, "__recursive_saveloads", fname):
        child = state.get(attrib)
        if isinstance(child, Instance) and isinstance(child.state, dict):
            _load_specials(child, f"{fname}.{attrib}", mmap, compressed)
    for attrib in _names(state, "__numpys", fname):
        state[attrib] = _side_array(fname, attrib, mmap, compressed)
    scipys = _names(state, "__scipys", fname)
    if scipys:
        raise VectorFileError(
            f"{fname!r}: the attributes {scipys} were saved as scipy sparse matrices, which "
            f"firstlayer does not read (no word vectors are stored so)")
    for attrib in _names(state, "__ignoreds", fname):
        state[attrib] = None


def _names(state: dict, key: str, fname: str) -> list[str]:
    names = state.get(key) or []
    if not isinstance(names, (list, tuple)) or not all(
            isinstance(n, str) and n.isidentifier() for n in names):
        raise VectorFileError(f"{fname!r}: {key} is not a list of attribute names: {names!r}")
    return list(names)


def _side_array(fname: str, attrib: str, mmap: str | None, compressed: bool) -> np.ndarray:
    side = f"{fname}.{attrib}.{'npz' if compressed else 'npy'}"
    if not os.path.exists(side):
        raise FileNotFoundError(
            2, f"{fname!r} keeps its {attrib!r} array in {side!r}, which is missing: copy the "
            f"files saved beside the model along with it", side)
    try:
        if compressed:
            with np.load(side, allow_pickle=False) as npz:
                return npz["val"]  # type: ignore[no-any-return]
        mode: Any = mmap
        return np.load(side, mmap_mode=mode, allow_pickle=False)  # type: ignore[no-any-return]
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):
            raise VectorFileError(
                f"{side!r} holds Python objects (a pickle inside the .npy), which firstlayer "
                f"never loads") from None
        raise VectorFileError(f"{side!r} is not a valid .npy file ({err})") from None
    except (OSError, EOFError, KeyError, zlib.error) as err:
        raise VectorFileError(f"{side!r} is damaged or cut off ({err})") from None


class GensimData:
    """The word-vector part of a gensim object, normalised across gensim versions.

    Attributes:
        kind: the gensim class of the whole object (``"gensim.models.word2vec.Word2Vec"``).
        keys: keys in gensim's order (row order).
        vectors: ``(V, D)``.
        attrs: per-key arrays gensim keeps (``"count"``, ``"sample_int"``; gensim's vecattrs).
        codes, points: hierarchical softmax's Huffman paths per key, when the file has them.
        model: the model's attributes (``{}`` for a file of KeyedVectors).
        subwords: for gensim 3.8+/4 FastText: ``vectors_vocab``, ``vectors_ngrams``, ``min_n``,
            ``max_n``, ``bucket`` (fastText's hashing; older files hash differently: ``None``).
    """

    def __init__(self, kind: str, keys: list, vectors: np.ndarray, attrs: dict[str, np.ndarray],
                 codes: list | None, points: list | None, model: dict,
                 subwords: dict | None = None) -> None:
        self.kind, self.keys, self.vectors, self.attrs = kind, keys, vectors, attrs
        self.codes, self.points, self.model = codes, points, model
        self.subwords = subwords


def keyed_data(obj: Instance, name: str) -> GensimData:
    """The keys, vectors and per-key attributes of a gensim model or KeyedVectors stand-in."""
    state = obj.state
    wv = state.get("wv")
    model = state if (wv is not None or "syn1neg" in state or "syn1" in state
                      or obj.qualname.rsplit(".", 1)[1] in _MODELS) else {}
    kv = wv.state if isinstance(wv, Instance) and isinstance(wv.state, dict) else state
    keys = next((kv[k] for k in ("index_to_key", "index2word", "index2entity") if k in kv), None)
    subwords = _subwords(kv, keys)
    vectors = next((kv[k] for k in ("vectors", "syn0") if kv.get(k) is not None), None)
    if vectors is None and subwords is not None:  # gensim 4 FastText saves no word vectors
        vectors = _fasttext_word_vectors(keys, **subwords)  # type: ignore[arg-type]
    if not isinstance(keys, list) or not isinstance(vectors, np.ndarray):
        raise VectorFileError(
            f"{name} is a {obj.qualname} without word vectors (no index_to_key/index2word list "
            f"and vectors/syn0 array)")
    if vectors.ndim != 2 or vectors.shape[0] < len(keys) or vectors.dtype.kind != "f":
        raise VectorFileError(f"{name}: {len(keys)} keys but vectors of shape {vectors.shape} "
                              f"{vectors.dtype}")
    vectors = vectors[: len(keys)] if vectors.shape[0] > len(keys) else vectors
    attrs: dict[str, np.ndarray] = {}
    codes = points = None
    expandos = kv.get("expandos")
    if isinstance(expandos, dict):  # gensim 4
        for attr, values in expandos.items():
            if isinstance(values, np.ndarray) and values.dtype != object:
                attrs[attr] = values[: len(keys)]
        codes, points = _object_column(expandos.get("code")), _object_column(expandos.get("point"))
    elif isinstance(kv.get("vocab"), dict):  # before gensim 4: word -> Vocab(count, index, ...)
        attrs, codes, points = _from_vocab(kv["vocab"], keys, name)
    return GensimData(obj.qualname, keys, vectors, attrs, codes, points, model, subwords)


def _subwords(kv: dict, keys: Any) -> dict | None:
    """FastText's n-gram part, when hashed as fastText does (gensim 4; 3.8's
    ``compatible_hash``); ``None`` otherwise."""
    needed = ("vectors_vocab", "vectors_ngrams", "min_n", "max_n", "bucket")
    if not isinstance(keys, list) or not all(k in kv for k in needed):
        return None
    if not ("key_to_index" in kv or kv.get("compatible_hash") is True):
        return None
    vocab, ngrams = kv["vectors_vocab"], kv["vectors_ngrams"]
    if not (isinstance(vocab, np.ndarray) and isinstance(ngrams, np.ndarray)
            and vocab.ndim == ngrams.ndim == 2 and vocab.shape[0] >= len(keys)
            and vocab.shape[1] == ngrams.shape[1] and all(isinstance(kv[k], int) for k in
                                                           ("min_n", "max_n", "bucket"))
            and ngrams.shape[0] == kv["bucket"] and not kv.get("hash2index")):
        return None  # not fastText's layout (gensim 3's trimmed n-gram rows): vectors only
    return {k: kv[k] for k in needed}


def _fasttext_word_vectors(keys: list, vectors_vocab: np.ndarray, vectors_ngrams: np.ndarray,
                           min_n: int, max_n: int, bucket: int) -> np.ndarray:
    """gensim's ``FastTextKeyedVectors.adjust_vectors``: each word's own row plus its n-grams'
    rows, added in gensim's order (in the rows' dtype), divided by their number."""
    from ...models.fasttext._hash import char_ngram_rows

    out = np.array(vectors_vocab[: len(keys)], copy=True)
    if not bucket:
        return out
    rows = [char_ngram_rows(str(k), int(min_n), int(max_n), int(bucket), 0) for k in keys]
    lengths = np.array([len(r) for r in rows], np.int64)
    table = np.zeros((len(keys), int(lengths.max(initial=0))), np.int64)
    for i, r in enumerate(rows):
        table[i, : len(r)] = r
    for k in range(table.shape[1]):  # one n-gram position at a time: gensim's order of sums
        has = np.flatnonzero(lengths > k)
        out[has] += vectors_ngrams[table[has, k]]
    out /= (lengths + 1)[:, None].astype(out.dtype)
    return out


_MODELS = frozenset({"Word2Vec", "Doc2Vec", "FastText"})


def _object_column(values: Any) -> list | None:
    if isinstance(values, np.ndarray) and values.dtype == object:
        return list(values)
    return None


def _from_vocab(vocab: dict, keys: list, name: str) -> tuple[dict, list | None, list | None]:
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    count = np.zeros(n, np.int64)
    sample_int = np.zeros(n, np.uint32)
    has_sample = False
    codes: list | None = [None] * n
    points: list | None = [None] * n
    for key, item in vocab.items():
        i = index.get(key)
        fields = item.state if isinstance(item, Instance) else None
        if i is None or not isinstance(fields, dict):
            continue  # a word gensim dropped from the vectors (kept out here too)
        if fields.get("index", i) != i:
            raise VectorFileError(f"{name}: the vocabulary puts {key!r} at row "
                                  f"{fields.get('index')}, the key list at {i}")
        count[i] = int(fields.get("count", 0))
        if "sample_int" in fields:
            # gensim before 1.0 wrote 2**32 for "always keep"; the largest uint32 says the same
            sample_int[i] = min(int(fields["sample_int"]), 2**32 - 1)
            has_sample = True
        if codes is not None and points is not None and "code" in fields and "point" in fields:
            codes[i], points[i] = fields["code"], fields["point"]
        else:
            codes = points = None
    attrs: dict[str, np.ndarray] = {"count": count}
    if has_sample:
        attrs["sample_int"] = sample_int
    return attrs, codes, points


def load_gensim_vectors(
    path: str | os.PathLike, **kw: Any
) -> tuple[list, np.ndarray, Any, dict[str, np.ndarray]]:
    """``(keys, vectors, report, attrs)`` of a gensim file: :func:`load_vectors`'s result for
    format ``"gensim"``, plus the per-key arrays (``attrs["count"]``...) of the rows kept.

    ``vectors`` stays a memory map (read-only with ``mmap="r"``) unless a selection or a dtype
    change makes a new array.
    """
    keys, vectors, report, attrs, _ = _load(path, **kw)
    return keys, vectors, report, attrs


def _load(
    path: str | os.PathLike, *, limit: int | None = None, vocab: Any = None,
    lower_case_backup: bool = False, dtype: Any = None, mmap: str | None = None,
) -> tuple[list, np.ndarray, Any, dict[str, np.ndarray], dict | None]:
    from ._select import RowSelector
    from .report import LoadReport

    p = Path(path)
    name = repr(str(p))
    selector = RowSelector(limit, vocab, lower_case_backup)
    with open(p, "rb") as f:
        compression = sniff_compression(f.read(8))
    data = keyed_data(read_gensim(p, mmap=mmap), name)
    keys, vectors, attrs, subwords = data.keys, data.vectors, data.attrs, data.subwords
    room = selector.room()
    offered = keys if room is None else keys[:room]
    keep = selector.choose([k if isinstance(k, str) else str(k) for k in offered]
                           if selector.words is not None else offered)
    rows, fields = selector.finish(name)
    index: np.ndarray | None = None
    if keep is not None:
        index = keep if rows is None else keep[rows]
    elif rows is not None:
        index = rows
    elif len(offered) < len(keys):
        index = np.arange(len(offered))
    if index is not None:
        keys = [keys[i] for i in index.tolist()]
        vectors = vectors[index]
        attrs = {a: v[index] for a, v in attrs.items()}
        if subwords is not None:
            subwords = {**subwords, "vectors_vocab": subwords["vectors_vocab"][index]}
    if dtype is not None and np.dtype(dtype) != vectors.dtype:
        vectors = vectors.astype(dtype)
    report = LoadReport("gensim", compression, len(keys), vectors.shape[1], **fields)
    return keys, vectors, report, attrs, subwords


def load_gensim_keyedvectors(path: str | os.PathLike, **kw: Any) -> Any:
    """A :class:`~firstlayer.vectors.KeyedVectors` from a gensim file, with its per-key
    attributes (``"count"``, ``"sample_int"``) in ``expandos`` (gensim's vecattrs) and
    ``load_report``; ``kw`` as :func:`load_gensim_vectors`."""
    from ..fasttext import FastTextKeyedVectors
    from ..keyed import KeyedVectors

    keys, vectors, report, attrs, subwords = _load(path, **kw)
    kv = (FastTextKeyedVectors if subwords else KeyedVectors).from_arrays(keys, vectors)
    if subwords and isinstance(kv, FastTextKeyedVectors):  # unseen words through n-grams
        kv.vectors_vocab = subwords["vectors_vocab"]
        kv.vectors_ngrams = subwords["vectors_ngrams"]
        kv.min_n, kv.max_n, kv.bucket = (int(subwords[k]) for k in ("min_n", "max_n", "bucket"))
    expandos = getattr(kv, "expandos", None)
    if isinstance(expandos, dict):
        expandos.update(attrs)
    else:
        kv.expandos = dict(attrs)  # type: ignore[attr-defined]
    kv.load_report = report  # type: ignore[attr-defined]
    return kv
