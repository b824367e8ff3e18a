"""fastText's own model file (``.bin``, and ``.ftz`` for quantized models): read and write.

The layout, all little-endian, in the order fastText writes it (``FastText::saveModel``)::

    header      int32 magic 793712314, int32 version (11 or 12; this writes 12)
    args        int32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
                lrUpdateRate, float64 t          (loss: 1 hs 2 ns 3 softmax 4 ova;
                                                  model: 1 cbow 2 skipgram 3 supervised)
    dictionary  int32 size nwords nlabels, int64 ntokens pruneidx_size, then per entry
                its UTF-8 bytes + NUL, int64 count, int8 type (0 word, 1 label); then
                pruneidx_size (int32 hash, int32 row) pairs (-1: not pruned)
    input       bool quantized; dense: int64 rows, int64 cols, rows*cols float32;
                quantized: the product-quantized layout (``_quantize.read_quant_matrix``)
    output      bool qout; then a matrix as above (quantized only when both flags are set)

A version-11 supervised model uses no character n-grams (fastText sets ``maxn = 0``). Only
numbers and bytes are read (nothing can run code). The matrices are read straight into their
arrays (``readinto``: one copy, no loop over rows); the dictionary's variable-length entries are
parsed by a compiled loop (``_bin_kernels``). A short or foreign file is one
:class:`ModelFileError` that names the section being read and its byte offset.
"""

from __future__ import annotations

import io
import mmap
import os
import struct
from dataclasses import dataclass, fields
from typing import IO, Any

import numpy as np

from ._args import SupervisedArgs
from ._dictionary import Dictionary

__all__ = [
    "MAGIC",
    "VERSION",
    "BinModel",
    "ModelFileError",
    "read_bin",
    "write_bin",
]

MAGIC = 793712314
VERSION = 12
MAGIC_BYTES = MAGIC.to_bytes(4, "little")
LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODEL_NAMES = {1: "cbow", 2: "skipgram", 3: "supervised"}
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn
_ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket",
              "minn", "maxn", "lrUpdateRate", "t")
_DICT_HEAD = struct.Struct("<iiiqq")
_MATRIX_HEAD = struct.Struct("<qq")
_MAP_BYTES = 1 << 26  # matrices this large are memory-mapped (copy-on-write), not read
_DICT_BLOCK = 1 << 22  # dictionary bytes parsed at a time
_MAX_DIM = 1 << 20  # no real model has wider rows: a larger value is a damaged file
_MAX_ENTRY = 1 << 24  # a dictionary entry longer than this is a damaged file


class ModelFileError(ValueError):
    """A file that is not a model (fastText's ``.bin``/``.ftz`` or firstlayer's own), or one
    that is truncated or damaged; the message names the section and the byte offset."""


@dataclass
class BinModel:
    """The parts of a fastText model file, as read (or to be written).

    ``input``/``output`` are ``(rows, dim)`` float32 arrays, or quantized matrices
    (``_quantize.QuantMatrix``) where the flags say so; ``pruneidx`` is ``(k, 2)`` int32
    (hash bucket -> kept row) or ``None`` when the dictionary was never pruned.
    """

    version: int
    args: SupervisedArgs
    dictionary: Dictionary
    types: np.ndarray
    pruneidx: np.ndarray | None
    input: Any
    qout: bool
    output: Any


# ---- reading ---------------------------------------------------------------------------------
class _Reader:
    """A file read section by section; every short read names the section and its offset."""

    def __init__(self, f: IO[bytes], name: str) -> None:
        self.f, self.name = f, name
        self.size = os.fstat(f.fileno()).st_size if hasattr(f, "fileno") else None
        self.section = "header"

    @property
    def offset(self) -> int:
        return self.f.tell()

    def truncated(self, want: int, start: int | None = None) -> ModelFileError:
        start = self.offset if start is None else start
        have = None if self.size is None else max(self.size - start, 0)
        got = "" if have is None else f" ({have} left)"
        return ModelFileError(
            f"{self.name}: truncated fastText model: the file ends in the {self.section} "
            f"section, at byte offset {start}, which needs {want} more bytes{got}"
        )

    def damaged(self, what: str, start: int) -> ModelFileError:
        return ModelFileError(
            f"{self.name}: damaged fastText model: {what} (in the {self.section} section, at "
            f"byte offset {start})"
        )

    def take(self, n: int) -> bytes:
        start = self.offset
        data = self.f.read(n)
        if len(data) < n:
            raise self.truncated(n, start)
        return data

    def unpack(self, fmt: struct.Struct) -> tuple:
        return fmt.unpack(self.take(fmt.size))

    def array(self, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
        """``shape`` values of ``dtype`` read straight into a new array (no extra copy)."""
        start = self.offset
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if self.size is not None and self.size - start < nbytes:
            raise self.truncated(nbytes, start)  # before allocating what the file can't fill
        if nbytes >= _MAP_BYTES and self.size is not None:
            return self._mapped(dtype, shape, start, nbytes)
        out = np.empty(shape, dtype)
        if nbytes == 0:  # e.g. a .ftz whose cutoff kept no n-gram: an empty prune index
            return out
        view = memoryview(out).cast("B")  # type: ignore[arg-type]
        got = self.f.readinto(view)  # type: ignore[attr-defined]
        if got < nbytes:
            raise self.truncated(nbytes, start)
        return out


    def _mapped(self, dtype: Any, shape: tuple[int, ...], start: int, nbytes: int) -> np.ndarray:
        """A large matrix mapped copy-on-write, not read: pages come in when first used, and
        writing into the array never changes the file (a file replaced by ``save_model``
        keeps the old pages: the new one is a new file, renamed over it)."""
        mapped = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_COPY)
        self.f.seek(start + nbytes)
        return np.frombuffer(mapped, dtype, int(np.prod(shape)), start).reshape(shape)


def read_bin(f: IO[bytes], name: str) -> BinModel:
    """Read a fastText model from the binary file ``f`` (opened ``"rb"``, at its start)."""
    r = _Reader(f, name)
    magic, version = r.unpack(struct.Struct("<ii"))
    if magic != MAGIC:
        raise ModelFileError(f"{name} is not a fastText model (its first 4 bytes are not the "
                             f"magic number {MAGIC})")
    if version not in (11, 12):
        raise ModelFileError(
            f"{name}: fastText model file version {version}; fastText and firstlayer read "
            f"versions 11 and 12 (a newer fastText wrote it, or the file is damaged)"
        )
    r.section = "args"
    start = r.offset
    raw = dict(zip(_ARG_NAMES, r.unpack(_ARGS)))
    args = _args_from_header(raw, version, r, start)
    r.section = "dictionary"
    dictionary, types, pruneidx = _read_dictionary(r)
    r.section = "input matrix"
    (quant_input,) = r.unpack(struct.Struct("<?"))
    if quant_input:
        inp = _read_quant(r)
    else:
        if pruneidx is not None:
            raise r.damaged("a pruned dictionary with a dense input matrix (fastText refuses "
                            "it too: download the updated model)", r.offset)
        inp = _read_dense(r, dictionary.nwords + args.bucket, args.dim)
    r.section = "output matrix"
    (qout,) = r.unpack(struct.Struct("<?"))
    nout = dictionary.nlabels if getattr(args, "model", "supervised") == "supervised" else (
        dictionary.nwords)
    out = _read_quant(r) if (quant_input and qout) else _read_dense(r, nout, args.dim)
    return BinModel(version, args, dictionary, types, pruneidx, inp, bool(qout), out)


def _args_from_header(raw: dict, version: int, r: _Reader, start: int) -> SupervisedArgs:
    loss, model = LOSS_NAMES.get(raw.pop("loss")), MODEL_NAMES.get(raw.pop("model"))
    if loss is None or model is None:
        raise r.damaged("the loss or model code is not one fastText writes (loss 1-4, "
                        "model 1-3)", start)
    if not 0 < raw["dim"] <= _MAX_DIM or raw["bucket"] < 0 or raw["minn"] < 0 or (
            raw["maxn"] < 0):
        shown = {k: raw[k] for k in ("dim", "bucket", "minn", "maxn")}
        raise r.damaged(f"impossible arguments {shown}", start)
    if version == 11 and model == "supervised":
        raw["maxn"] = 0  # fastText: version-11 supervised models have no character n-grams
    known = {f.name for f in fields(SupervisedArgs)}
    given = {k: v for k, v in raw.items() if k in known}
    if model == "supervised":
        return SupervisedArgs(loss=loss, **given)
    from ._unsup import UnsupervisedArgs  # fastText's unsupervised defaults for the rest

    return UnsupervisedArgs(loss=loss, model=model, **given)


def _read_dictionary(r: _Reader) -> tuple[Dictionary, np.ndarray, np.ndarray | None]:
    from . import _bin_kernels as K

    start = r.offset
    size, nwords, nlabels, ntokens, prune_size = r.unpack(_DICT_HEAD)
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size or prune_size < -1:
        raise r.damaged(f"dictionary sizes size={size}, nwords={nwords}, nlabels={nlabels}, "
                        f"pruneidx_size={prune_size} do not add up", start)
    starts, ends, counts, types = (np.empty(size, np.int64), np.empty(size, np.int64),
                                   np.empty(size, np.int64), np.empty(size, np.int8))
    done, pending, parts, base = 0, b"", [], r.offset
    while done < size:
        entry_offset = r.offset - len(pending)
        block = r.f.read(_DICT_BLOCK)
        if not block:
            r.section = f"dictionary (entry {done} of {size})"
            raise r.truncated(10, entry_offset)
        buf = pending + block
        arr = np.frombuffer(buf, np.uint8)
        n, used = K.parse_entries(arr, done, starts, ends, counts, types)
        starts[done:done + n] += entry_offset - base
        ends[done:done + n] += entry_offset - base
        parts.append(buf[:used])
        pending, done = buf[used:], done + n
        if n == 0 and len(pending) > _MAX_ENTRY:
            raise r.damaged(f"dictionary entry {done} has no end within {_MAX_ENTRY} bytes",
                            entry_offset)
    r.f.seek(-len(pending), io.SEEK_CUR)
    blob = b"".join(parts)
    entries = [blob[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    bad = np.flatnonzero(types[:nwords] != 0).tolist() + (
        nwords + np.flatnonzero(types[nwords:] != 1)).tolist()
    if bad:
        raise r.damaged(f"entry {bad[0]} ({entries[bad[0]][:40]!r}) has type "
                        f"{types[bad[0]]}: words come first (type 0), then labels (type 1)",
                        start)
    pruneidx = None
    dictionary = Dictionary(entries, counts, nwords, ntokens)
    if prune_size >= 0:
        r.section = "dictionary (pruneidx)"
        pruneidx = r.array("<i4", (prune_size, 2))
        dictionary.pruneidx = dict(zip(*pruneidx.T.tolist()))  # bucket -> n-gram number
    return dictionary, types, pruneidx


def _read_dense(r: _Reader, rows: int, dim: int) -> np.ndarray:
    start = r.offset
    m, n = r.unpack(_MATRIX_HEAD)
    if (m, n) != (rows, dim):
        raise r.damaged(f"the matrix is {m} x {n}, but the args and dictionary need "
                        f"{rows} x {dim}", start)
    return r.array("<f4", (m, n))


def _read_quant(r: _Reader) -> Any:
    from ._quantize import read_quant_matrix

    start = r.offset
    try:
        return read_quant_matrix(r.f, r.section)
    except ModelFileError as exc:  # name the file, as every error here does
        raise ModelFileError(f"{r.name}: {exc} (the {r.section} starts at byte offset "
                             f"{start})") from None


# ---- writing ---------------------------------------------------------------------------------
def write_bin(f: IO[bytes], m: BinModel) -> None:
    """Write ``m`` in fastText's layout (version 12) to the binary file ``f``."""
    a, d = m.args, m.dictionary
    model = getattr(a, "model", "supervised")
    loss_code = {v: k for k, v in LOSS_NAMES.items()}[a.loss]
    model_code = {v: k for k, v in MODEL_NAMES.items()}[model]
    f.write(struct.pack("<ii", MAGIC, VERSION))
    f.write(_ARGS.pack(a.dim, a.ws, a.epoch, a.minCount, a.neg, a.wordNgrams, loss_code,
                       model_code, a.bucket, a.minn, a.maxn, a.lrUpdateRate, float(a.t)))
    prune = -1 if m.pruneidx is None else int(m.pruneidx.shape[0])
    f.write(_DICT_HEAD.pack(len(d.entries), d.nwords, d.nlabels, int(d.ntokens), prune))
    f.write(_dictionary_bytes(d.entries, d.counts, m.types))
    if m.pruneidx is not None:
        f.write(np.ascontiguousarray(m.pruneidx, "<i4").tobytes())
    quant_input = not isinstance(m.input, np.ndarray)
    f.write(struct.pack("<?", quant_input))
    _write_matrix(f, m.input)
    f.write(struct.pack("<?", m.qout))
    _write_matrix(f, m.output)


def _write_matrix(f: IO[bytes], matrix: Any) -> None:
    if isinstance(matrix, np.ndarray):
        f.write(_MATRIX_HEAD.pack(*matrix.shape))
        f.write(memoryview(np.ascontiguousarray(matrix, "<f4")).cast("B"))  # type: ignore[arg-type]
        return
    from ._quantize import write_quant_matrix

    write_quant_matrix(f, matrix)


def _dictionary_bytes(entries: list[bytes], counts: np.ndarray, types: np.ndarray) -> bytes:
    """Every entry as ``bytes + NUL + int64 count + int8 type``, built as one array."""
    n = len(entries)
    lengths = np.fromiter(map(len, entries), np.int64, n)
    record = lengths + 10
    begin = np.zeros(n, np.int64)
    np.cumsum(record[:-1], out=begin[1:])
    out = np.zeros(int(record.sum()), np.uint8)
    text = np.frombuffer(b"".join(entries), np.uint8)
    text_begin = np.zeros(n, np.int64)
    np.cumsum(lengths[:-1], out=text_begin[1:])
    out[np.repeat(begin - text_begin, lengths) + np.arange(text.size)] = text
    tail = begin + lengths + 1  # after the NUL: the count, then the type
    out[tail[:, None] + np.arange(8)] = np.ascontiguousarray(counts, "<i8").view(
        np.uint8).reshape(n, 8)
    out[tail + 8] = types
    return out.tobytes()
