"""The model file: :func:`load_model` and :func:`save_model`.

:func:`save_model` writes fastText's own binary format (``_bin``), which fastText's
``load_model`` reads; :func:`load_model` tells by the first bytes whether a file is fastText's
(``.bin``/``.ftz``, magic 793712314) or the safetensors file earlier firstlayer versions wrote
(no pickle in either: loading runs no code)::

    input.weight         (nwords + bucket, dim) float32
    output.weight        (labels, dim) float32
    dictionary.entries   uint8: the entries (words, then labels) as UTF-8, joined by newlines
    dictionary.counts    int64: each entry's count
    metadata             format, format_version, args (JSON), nwords, ntokens

Writing is atomic (an existing file is kept on any error); reading checks every shape against
the arguments, so that a truncated or damaged file is one :class:`ModelFileError`.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, fields

import numpy as np

from ..._atomic import atomic_write
from ...serialization import CheckpointError, load_metadata
from ...serialization import load as _load_tensors
from ...serialization import save as _save_tensors
from ._args import SupervisedArgs
from ._bin import MAGIC_BYTES, BinModel, ModelFileError, read_bin, write_bin
from ._dictionary import Dictionary
from ._model import FastText
from ._network import FastTextClassifier
from ._reading import check_readable

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "load_model", "save_model"]

PathLike = str | os.PathLike

FORMAT = "firstlayer.fasttext.supervised"
FORMAT_VERSION = "1"


def save_model(model: FastText, path: PathLike) -> None:
    """Write ``model`` to ``path`` in fastText's binary format (:meth:`FastText.save_model`),
    atomically."""
    parts = bin_parts(model)
    with atomic_write(path, "wb") as f:
        write_bin(f, parts)


def save_safetensors(model: FastText, path: PathLike) -> None:
    """Write ``model`` in the safetensors format of firstlayer 0.x (still read by
    :func:`load_model`)."""
    d = model._dict
    tensors = {
        "input.weight": model.model.input.weight._data,
        "output.weight": model.model.output.weight._data,
        "dictionary.entries": np.frombuffer(b"\n".join(d.entries), np.uint8),
        "dictionary.counts": d.counts,
    }
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "args": json.dumps(asdict(model.args)),
        "nwords": str(d.nwords),
        "ntokens": str(d.ntokens),
    }
    _save_tensors(tensors, path, metadata=metadata)


def load_model(path: PathLike) -> FastText:
    """Read a model: fastText's ``.bin``/``.ftz`` (supervised or unsupervised, written by
    fastText or by :meth:`FastText.save_model`), or firstlayer's older safetensors file.

    Raises:
        FileNotFoundError: no such file.
        ModelFileError: the file is not a model, or it is truncated or damaged (the message
            names the section and the byte offset); nothing is half-loaded.

    >>> model = load_model("lid.176.bin")  # doctest: +SKIP
    """
    path = check_readable(path, "model file")
    with open(path, "rb") as f:
        head = f.read(8)
        if head[:4] == MAGIC_BYTES:
            f.seek(0)
            return model_from_bin(read_bin(f, str(path)))
    if _looks_like_text(head):
        raise ModelFileError(
            f"{path} is not a model: it starts like a text file ({head!r}); a .vec file of "
            "word vectors loads with firstlayer.vectors.load, a training file with "
            "train_supervised"
        )
    try:
        meta = load_metadata(path)
    except (CheckpointError, ValueError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        if "truncated" in reason:
            raise ModelFileError(f"{path}: {reason}") from None
        raise ModelFileError(
            f"{path} is not a model saved by firstlayer (FastText.save_model, 'firstlayer "
            f"supervised'): {reason}"
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is a safetensors file but not a firstlayer supervised model (its metadata "
            f"has format={meta.get('format')!r}, expected {FORMAT!r})"
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {meta.get('format_version')!r}; this firstlayer "
            f"reads version {FORMAT_VERSION}: upgrade firstlayer"
        )
    try:
        tensors = {name: t._data for name, t in _load_tensors(path).items()}
        return _from_saved(tensors, meta)
    except CheckpointError as exc:
        raise ModelFileError(str(exc)) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: the model file is inconsistent: {exc}") from None


def model_from_bin(parts: BinModel) -> FastText:
    """The :class:`FastText` of a file ``read_bin`` read."""
    d, a = parts.dictionary, parts.args
    quantized = not isinstance(parts.input, np.ndarray)
    rows, nout = parts.input.shape[0], parts.output.shape[0]
    # an empty Linear, then the file's rows: no random init of a (2M, 300) matrix to discard
    with warnings.catch_warnings():  # "Initializing zero-element tensors is a no-op": known
        warnings.simplefilter("ignore", UserWarning)
        net = FastTextClassifier(0 if quantized else rows, a.dim, 0,
                                 _input_weight=None if quantized else parts.input)
    if not parts.qout:
        net.output.weight._data = parts.output
        net.output.out_features = nout
    model = FastText(net, d, a)
    if quantized:  # answers through the product quantizer (``_quantize``)
        model._set_quantized(parts.input, parts.output if parts.qout else None)
    return model


def bin_parts(model: FastText) -> BinModel:
    """What fastText's file holds of ``model``, for :func:`write_bin`."""
    d = model._dict
    types = np.zeros(len(d.entries), np.int8)
    types[d.nwords :] = 1
    prune = None
    if d.pruneidx is not None:  # in the order read (fastText writes its hash map's order)
        prune = np.array(list(d.pruneidx.items()), np.int32).reshape(-1, 2)
    qin, qout = model._qinput, model._qoutput
    return BinModel(12, model.args, d, types, prune,
                    model.model.input.weight._data if qin is None else qin, qout is not None,
                    model.model.output.weight._data if qout is None else qout)


def _looks_like_text(head: bytes) -> bool:
    return bool(head) and all(b >= 32 or b in b"\t\r\n" for b in head) and not head.startswith(
        b"{") and head[:1] not in (b"\x00",)


def _from_saved(tensors: dict[str, np.ndarray], meta: dict[str, str]) -> FastText:
    names = {f.name for f in fields(SupervisedArgs)}
    saved = json.loads(meta["args"])
    args = SupervisedArgs(**{k: v for k, v in saved.items() if k in names})
    args.check()
    codes = tensors["dictionary.entries"]  # UTF-8 bytes (firstlayer loads U8 as int32)
    if codes.ndim != 1 or (codes.size and (codes.min() < 0 or codes.max() > 255)):
        raise ValueError("dictionary.entries is not a byte string")
    blob = codes.astype(np.uint8).tobytes()
    entries = blob.split(b"\n") if blob else []
    counts = tensors["dictionary.counts"]
    nwords = int(meta["nwords"])
    w_in, w_out = tensors["input.weight"], tensors["output.weight"]
    if len(entries) != counts.shape[0] or not 0 < nwords <= len(entries):
        raise ValueError(f"{len(entries)} dictionary entries, {counts.shape[0]} counts, "
                         f"{nwords} words")
    rows = nwords + args.bucket
    if w_in.shape != (rows, args.dim) or w_out.shape != (len(entries) - nwords, args.dim):
        raise ValueError(
            f"matrices {w_in.shape} and {w_out.shape} do not fit {nwords} words + "
            f"{args.bucket} buckets, {len(entries) - nwords} labels and dim {args.dim}"
        )
    d = Dictionary(entries, counts, nwords, int(meta["ntokens"]))
    model = FastTextClassifier(rows, args.dim, d.nlabels, _input_weight=np.ascontiguousarray(
        w_in, np.float32))
    model.output.weight._data[...] = w_out
    return FastText(model, d, args)
