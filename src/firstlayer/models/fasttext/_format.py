"""The model file: :func:`load_model` and :func:`save_model`, a safe format of our own.

A model is one safetensors file (no pickle: loading it runs no code)::

    input.weight         (nwords + bucket, dim) float32
    output.weight        (labels, dim) float32
    dictionary.entries   uint8: the entries (words, then labels) as UTF-8, joined by newlines
    dictionary.counts    int64: each entry's count
    metadata             format, format_version, args (JSON), nwords, ntokens

Writing is atomic (an existing file is kept on any error); reading checks every shape against
the arguments, so that a truncated or damaged file is one :class:`ModelFileError`, and
fastText's own ``.bin`` (its magic number) is told apart.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields

import numpy as np

from ...serialization import CheckpointError, load_metadata
from ...serialization import load as _load_tensors
from ...serialization import save as _save_tensors
from ._args import SupervisedArgs
from ._dictionary import Dictionary
from ._model import FastText
from ._network import FastTextClassifier
from ._reading import check_readable

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "load_model", "save_model"]

PathLike = str | os.PathLike

FORMAT = "firstlayer.fasttext.supervised"
FORMAT_VERSION = "1"
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # the first 4 bytes of fastText's .bin


class ModelFileError(ValueError):
    """A file that is not a model :meth:`FastText.save_model` wrote, or one that is truncated
    or damaged."""


def save_model(model: FastText, path: PathLike) -> None:
    """Write ``model`` to ``path`` (:meth:`FastText.save_model`)."""
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
    """Read a model :meth:`FastText.save_model` wrote.

    Raises:
        FileNotFoundError: no such file.
        ModelFileError: the file is not such a model (fastText's own ``.bin`` included), or it
            is truncated or damaged; nothing is half-loaded.

    >>> model = load_model("model.bin")  # doctest: +SKIP
    """
    path = check_readable(path, "model file")
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] == _FASTTEXT_MAGIC:
        raise ModelFileError(
            f"{path} is a model saved by fastText itself; firstlayer reads only the models it "
            "saves (FastText.save_model): train again with firstlayer.models.train_supervised"
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
