"""Read a pickle as plain data, never running code from it (``torch.load(weights_only=True)``'s
idea, for gensim's files).

An ordinary unpickler imports whatever module and calls whatever function the file names:
``__reduce__`` can make it run ``os.system``. :class:`SafeUnpickler` resolves names through an
allowlist instead (:data:`ALLOWED`), and what it gives back for each name is one of this
module's stand-ins, never the named class or function:

* a gensim class -> an :class:`Instance` subclass that records the constructor arguments and the
  state the file gives (``inst.state``, usually gensim's ``__dict__``); no gensim code runs and
  gensim need not be installed;
* NumPy's array, dtype and scalar helpers -> stand-ins that check what they are given (plain
  numeric dtypes only: object arrays are refused) and build the array with ``np.frombuffer``;
* ``collections.defaultdict``/``OrderedDict`` -> plain ``dict``; ``set``, ``frozenset``,
  ``slice``, ``bytearray``, ``_codecs.encode(text, "latin1")`` -> the builtin, on plain values;
* functions a gensim object merely refers to (``hash``, ``int`` as a defaultdict's factory,
  ``gensim.utils.call_on_class_only``) -> a :class:`Reference` that refuses to be called.

Any other name is refused with :class:`UnsafePickleError` naming the ``module.name`` the file
asked for. :func:`resolve` then turns the array stand-ins into ``np.ndarray`` and the dict
stand-ins into ``dict``.

>>> import io, pickle
>>> loads(pickle.dumps({"a": [1, 2.5], "b": (None, "x")}))
{'a': [1, 2.5], 'b': (None, 'x')}
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickle
from typing import IO, Any

import numpy as np

__all__ = ["ALLOWED", "Instance", "Reference", "UnsafePickleError", "load", "loads", "resolve"]


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a class or function outside the allowlist, or asks an allowed one to do
    something it never does in a gensim file; nothing from the file was run."""


# ---- stand-ins ----------------------------------------------------------------------------------
class Instance:
    """A stand-in for an instance of an allowed (gensim) class: ``args`` given to its
    constructor, ``state`` given by the pickle's BUILD (gensim's ``__dict__``)."""

    qualname = "?"
    args: tuple
    kwargs: dict
    state: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> Instance:
        self = object.__new__(cls)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "kwargs", kwargs)
        object.__setattr__(self, "state", None)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # REDUCE calls cls(*args)
        pass

    def __setstate__(self, state: Any) -> None:
        object.__setattr__(self, "state", state)

    def __setattr__(self, name: str, value: Any) -> None:  # BUILD's slot state lands here
        raise UnsafePickleError(f"the pickle sets attribute {name!r} of {self.qualname} directly")

    def __reduce__(self) -> Any:
        raise TypeError(f"a stand-in for {self.qualname} is data read from a file, not picklable")

    def __repr__(self) -> str:
        return f"<{self.qualname} (stand-in)>"


class Reference:
    """A function or class the file refers to (e.g. ``defaultdict(int)``'s ``int``) that gensim
    never needs called: calling it is refused."""

    __slots__ = ("qualname",)

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname

    def __setstate__(self, state: Any) -> None:
        raise UnsafePickleError(f"the pickle gives state to {self.qualname}; refused")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise UnsafePickleError(f"the pickle calls {self.qualname}, which is never called in a "
                                f"gensim file; refused")

    def __repr__(self) -> str:
        return f"<reference to {self.qualname}>"


class DictData(dict):
    """``defaultdict``/``OrderedDict`` as a plain dict (``factory``: the default's name)."""

    factory: str | None = None

    def __setstate__(self, state: Any) -> None:
        if state:
            raise UnsafePickleError("the pickle gives a dict extra state; refused")

    def __reduce__(self) -> Any:
        raise TypeError("data read from a file, not picklable")


class _DType:
    """``numpy.dtype(code, align, copy)`` then BUILD ``(version, endian, subarray, names, ...)``:
    plain numeric and fixed-width string dtypes only."""

    _KINDS = frozenset("biufcSUO")  # O: only for arrays whose items are read as plain data
    dtype: np.dtype | None = None

    def __init__(self, code: Any, align: Any = False, copy: Any = True, *rest: Any) -> None:
        if isinstance(code, bytes):
            code = code.decode("latin1")
        if not isinstance(code, str) or not code or code[0] not in self._KINDS:
            raise UnsafePickleError(f"numpy dtype {code!r} refused: only plain numeric, "
                                    f"string and object dtypes (no records) are read")
        dtype = np.dtype(code)
        if dtype.kind not in self._KINDS or dtype.fields is not None or dtype.subdtype:
            raise UnsafePickleError(f"numpy dtype {code!r} refused: records and sub-arrays "
                                    f"are not read")
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        if self.dtype is None:
            raise UnsafePickleError("a numpy dtype without its type code")
        if not isinstance(state, tuple) or len(state) < 8:
            raise UnsafePickleError(f"numpy dtype state {state!r} is not a plain dtype's")
        endian, subarray, names, fields = state[1:5]
        if subarray is not None or names is not None or fields is not None:
            raise UnsafePickleError("structured numpy dtypes are refused")
        if endian in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(endian)
        elif endian not in ("|", "="):
            raise UnsafePickleError(f"numpy dtype byte order {endian!r} is not one numpy writes")


def _dtype(value: Any) -> np.dtype:
    if isinstance(value, _DType) and value.dtype is not None:
        return value.dtype
    raise UnsafePickleError(f"expected a numpy dtype, the pickle gives {type(value).__name__}")


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        value = (value,)
    if not isinstance(value, tuple) or not all(isinstance(n, int) and n >= 0 for n in value):
        raise UnsafePickleError(f"array shape {value!r} is not a tuple of sizes")
    return value


def _raw(data: Any) -> bytes:
    if isinstance(data, str):  # a Python 2 str, read as latin-1 (as gensim reads it)
        return data.encode("latin1")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise UnsafePickleError(f"array data must be bytes (object arrays are refused), the "
                            f"pickle gives {type(data).__name__}")


def _from_bytes(data: Any, dtype: np.dtype, shape: tuple[int, ...], fortran: bool) -> np.ndarray:
    if dtype.hasobject:  # never pointers from bytes
        raise UnsafePickleError("an object array or scalar from raw bytes; refused")
    raw = _raw(data)
    need = math.prod(shape) * dtype.itemsize
    if len(raw) != need:
        raise pickle.UnpicklingError(
            f"an array of shape {shape} {dtype} needs {need:,} bytes, the pickle holds "
            f"{len(raw):,}: the file is damaged")
    flat = np.frombuffer(raw, dtype=dtype).copy()  # writable, owns its memory
    return flat.reshape(shape, order="F" if fortran else "C")


class _Array:
    """``_reconstruct(ndarray, shape, typecode)`` then BUILD ``(version, shape, dtype,
    is_fortran, rawdata)``: the array, from its bytes."""

    array: np.ndarray | None = None
    # an object array (gensim 4's Huffman codes: arrays of arrays): its shape and items, made
    # an array by resolve() once the items are; items must be plain data
    objects: tuple[tuple[int, ...], list] | None = None

    def __init__(self, subtype: Any, shape: Any = (0,), typecode: Any = b"b") -> None:
        if not (isinstance(subtype, Reference) and subtype.qualname in _ARRAY_TYPES):
            raise UnsafePickleError(f"array type {subtype!r} refused (numpy.ndarray expected)")

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 5:
            state = state[1:]
        if not isinstance(state, tuple) or len(state) != 4:
            raise UnsafePickleError("an array's state is not numpy's (shape, dtype, order, data)")
        shape, dtype, fortran, data = state
        dt, shape = _dtype(dtype), _shape(shape)
        if dt.hasobject:
            if not isinstance(data, list) or len(data) != math.prod(shape) or len(shape) != 1:
                raise UnsafePickleError("an object array whose items are not a list of its size")
            self.objects = (shape, data)
        else:
            self.array = _from_bytes(data, dt, shape, bool(fortran))


def _scalar(dtype: Any, data: Any = None) -> Any:
    """``numpy.core.multiarray.scalar(dtype, bytes)``: a NumPy scalar."""
    dt = _dtype(dtype)
    return _from_bytes(data, dt, (), False)[()]


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """``numpy.core.numeric._frombuffer`` (protocol 5's in-band arrays)."""
    if order not in ("C", "F"):
        raise UnsafePickleError(f"array order {order!r} is neither 'C' nor 'F'")
    return _from_bytes(buf, _dtype(dtype), _shape(shape), order == "F")


def _codecs_encode(text: Any, encoding: Any = "utf-8", errors: Any = "strict") -> bytes:
    """``_codecs.encode(str, 'latin1')``: how protocol 2 spells ``bytes`` from Python 3."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise UnsafePickleError("_codecs.encode is read only as bytes written at protocol 2")
    return text.encode("latin1")


def _builtin(kind: type, most: int, types: tuple[type, ...]) -> Any:
    """``kind(*args)`` for at most ``most`` arguments of ``types`` (protocols 0-2 spell sets,
    slices and byte strings so); ``bytes``/``bytearray`` of text: ``_codecs.encode``'s rule."""
    def make(*args: Any) -> Any:
        if kind in (bytes, bytearray) and args and isinstance(args[0], str):
            return kind(_codecs_encode(*args))
        if len(args) > most or not all(isinstance(a, types) for a in args):
            raise UnsafePickleError(f"{kind.__name__}() of something other than plain data")
        return kind(*args)
    return make


def _defaultdict(factory: Any = None, *rest: Any) -> DictData:
    if rest or not (factory is None or isinstance(factory, Reference)):
        raise UnsafePickleError("defaultdict() with other than a factory name")
    d = DictData()
    d.factory = None if factory is None else factory.qualname
    return d


def _ordereddict(*args: Any) -> DictData:
    d = DictData()
    for items in args:  # protocol 0/1 may pass the items as a list of pairs
        if not isinstance(items, list):
            raise UnsafePickleError("OrderedDict() of something other than (key, value) pairs")
        d.update(items)
    return d


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """``copyreg._reconstructor`` (protocols 0 and 1): a stand-in object, its state to come."""
    if not (isinstance(cls, type) and issubclass(cls, Instance)) or state is not None \
            or not (isinstance(base, Reference) and base.qualname == "builtins.object"):
        raise UnsafePickleError("copyreg._reconstructor of something other than a gensim class")
    return cls.__new__(cls)


def _newobj(cls: Any, *args: Any) -> Any:
    if not (isinstance(cls, type) and issubclass(cls, Instance)):
        raise UnsafePickleError("copyreg.__newobj__ of something other than a gensim class")
    return cls.__new__(cls, *args)


# ---- the allowlist ------------------------------------------------------------------------------
_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
_ARRAY_TYPES = frozenset({"numpy.ndarray", "numpy.memmap", "numpy.core.memmap.memmap",
                          "numpy._core.memmap.memmap"})
_GENSIM = {
    "gensim.models.word2vec": "Word2Vec Vocab Word2VecVocab Word2VecTrainables",
    "gensim.models.keyedvectors": (
        "KeyedVectors Word2VecKeyedVectors EuclideanKeyedVectors BaseKeyedVectors "
        "WordEmbeddingsKeyedVectors Doc2VecKeyedVectors FastTextKeyedVectors Vocab CompatVocab"),
    "gensim.models.deprecated.word2vec": "Word2Vec Vocab",
    "gensim.models.deprecated.keyedvectors": (
        "KeyedVectors EuclideanKeyedVectors Word2VecKeyedVectors Vocab"),
    "gensim.models.deprecated.fasttext": "FastText",
    "gensim.models.deprecated.fasttext_wrapper": "FastText FastTextKeyedVectors",
    "gensim.models.deprecated.doc2vec": "Doc2Vec DocvecsArray Doctag",
    "gensim.models.fasttext": (
        "FastText FastTextKeyedVectors FastTextVocab FastTextTrainables"),
    "gensim.models.wrappers.fasttext": "FastText FastTextKeyedVectors",
    "gensim.models.doc2vec": (
        "Doc2Vec DocvecsArray Doctag Doc2VecVocab Doc2VecTrainables"),
    "gensim.utils": "SaveLoad",
}
_RANDOM = (
    "numpy.random.__RandomState_ctor numpy.random._pickle.__randomstate_ctor "
    "numpy.random._pickle.__generator_ctor numpy.random._pickle.__bit_generator_ctor "
    "numpy.random.mtrand.RandomState numpy.random._generator.Generator "
    "numpy.random._mt19937.MT19937 numpy.random._pcg64.PCG64 numpy.random._pcg64.PCG64DXSM "
    "numpy.random._philox.Philox numpy.random._sfc64.SFC64"
)
_REFERENCES = (
    "builtins.hash builtins.int builtins.float builtins.str builtins.list builtins.dict "
    "builtins.object gensim.utils.call_on_class_only numpy.ndarray numpy.memmap "
    "numpy.core.memmap.memmap numpy._core.memmap.memmap"
)
_FUNCTIONS: dict[str, Any] = {
    "numpy.dtype": _DType,
    "collections.defaultdict": _defaultdict,
    "collections.OrderedDict": _ordereddict,
    "builtins.set": _builtin(set, 1, (list, tuple, set, frozenset)),
    "builtins.frozenset": _builtin(frozenset, 1, (list, tuple, set, frozenset)),
    "builtins.slice": _builtin(slice, 3, (int, type(None))),
    "builtins.bytes": _builtin(bytes, 1, (bytes, list)),
    "builtins.bytearray": _builtin(bytearray, 1, (bytes, list)),
    "_codecs.encode": _codecs_encode,
    "copyreg._reconstructor": _reconstructor,
    "copyreg.__newobj__": _newobj,
    "numpy.core.numeric._frombuffer": _frombuffer,
    "numpy._core.numeric._frombuffer": _frombuffer,
    **{f"{m}._reconstruct": _Array for m in _NUMPY_CORE},
    **{f"{m}.scalar": _scalar for m in _NUMPY_CORE},
}
_STAND_INS: dict[str, type[Instance]] = {}


def _stand_in(qualname: str) -> type[Instance]:
    cls = _STAND_INS.get(qualname)
    if cls is None:
        cls = type(qualname.rsplit(".", 1)[1], (Instance,), {"qualname": qualname})
        _STAND_INS[qualname] = cls
    return cls


ALLOWED: frozenset[str] = frozenset(
    [f"{m}.{n}" for m, names in _GENSIM.items() for n in names.split()]
    + _RANDOM.split() + _REFERENCES.split() + list(_FUNCTIONS)
)


class SafeUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` whose ``find_class`` answers from :data:`ALLOWED` with stand-ins,
    and refuses every other name (and persistent ids) with :class:`UnsafePickleError`."""

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (__builtin__.long, copy_reg...) as the standard unpickler maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        qualname = f"{module}.{name}"
        if qualname not in ALLOWED:
            raise UnsafePickleError(
                f"the pickle asks for {qualname}, which is not a class firstlayer reads from "
                f"gensim files; refused without running anything (only gensim's word-vector "
                f"classes, NumPy arrays and plain containers are read)")
        if qualname in _FUNCTIONS:
            return _FUNCTIONS[qualname]
        if qualname in _REFERENCES.split():
            return Reference(qualname)
        return _stand_in(qualname)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("the pickle holds persistent ids; refused")


def load(stream: IO[bytes]) -> Any:
    """Unpickle ``stream`` with :class:`SafeUnpickler` (Python 2 strings read as latin-1, as
    gensim reads them), then :func:`resolve` the stand-ins into arrays and dicts."""
    return resolve(SafeUnpickler(stream, encoding="latin1").load())


def loads(data: bytes) -> Any:
    """:func:`load` of bytes."""
    return load(io.BytesIO(data))


def resolve(obj: Any) -> Any:
    """``obj`` with the array stand-ins as ``np.ndarray``, dict stand-ins as ``dict`` and
    every :class:`Instance`'s ``state`` resolved (in place; shared objects stay shared)."""
    memo: dict[int, Any] = {}
    return _resolve(obj, memo)


def _resolve(obj: Any, memo: dict[int, Any]) -> Any:
    if obj is None or isinstance(obj, (str, bytes, int, float, complex, np.generic, Reference,
                                       np.ndarray)):
        return obj
    key = id(obj)
    if key in memo:
        return memo[key]
    if isinstance(obj, _Array):
        if obj.objects is not None:
            shape, items = obj.objects
            out_arr = np.empty(shape, dtype=object)
            memo[key] = out_arr
            for i, item in enumerate(items):
                value = _resolve(item, memo)
                if not (value is None or isinstance(value, (int, float, str, bytes, np.ndarray,
                                                            np.generic))):
                    raise UnsafePickleError(f"an object array holding {type(value).__name__}")
                out_arr[i] = value
            return out_arr
        if obj.array is None:
            raise UnsafePickleError("an array without its data (no state given to it)")
        memo[key] = obj.array
        return obj.array
    if isinstance(obj, _DType):
        memo[key] = _dtype(obj)
        return memo[key]
    if isinstance(obj, Instance):
        memo[key] = obj
        object.__setattr__(obj, "args", _resolve(obj.args, memo))
        object.__setattr__(obj, "state", _resolve(obj.state, memo))
        return obj
    if isinstance(obj, dict):
        out: dict = {}
        memo[key] = out
        for k, v in obj.items():
            out[_resolve(k, memo)] = _resolve(v, memo)
        return out
    if isinstance(obj, list):
        values: list = []
        memo[key] = values
        values.extend(_resolve(v, memo) for v in obj)
        return values
    if isinstance(obj, tuple):
        result = tuple(_resolve(v, memo) for v in obj)
        memo[key] = result
        return result
    if isinstance(obj, (set, frozenset, slice, bytearray)) or (
            isinstance(obj, type) and issubclass(obj, Instance)):  # e.g. a bit generator's class
        return obj
    raise UnsafePickleError(f"unexpected {type(obj).__name__} in the pickle")
