"""``save`` and ``load`` for state dicts, without pickle: loading a file can never run code.

Two formats, chosen by the file's extension:

- ``.safetensors`` (the default for any other extension too), written here byte by byte:

  ``[8 bytes: N, little-endian u64][N bytes: JSON header, padded with spaces][data]``

  The header maps each name to ``{"dtype": "F32", "shape": [V, D], "data_offsets": [b, e]}``
  (``b``/``e`` count from the start of the data), plus an optional ``"__metadata__"`` of
  str -> str. The data holds every tensor's raw little-endian bytes, back to back. Files open
  with the ``safetensors`` package (``safetensors.numpy.load_file``, or ``torch`` through
  ``safetensors.torch.load_file``), and files it writes open here.
- ``.npz``: the zip of ``.npy`` files ``np.savez`` writes, read with pickling disabled.

Every write is atomic (``_atomic.atomic_write``: a temporary file renamed over the target), so
an error or a crash mid-write leaves an existing file as it was. Every read is validated before
any tensor is made: the sizes, the header, the offsets (in bounds, back to back, no overlap),
the dtypes and the shapes; a truncated file is reported with its expected and actual size.

``load(path, mmap=True)`` maps a safetensors file instead of reading it: a tensor's pages are
read when first used, so a table larger than memory loads at once and trains in place
(``Embedding(sparse=True)`` touches only the batch's rows). The mapping is copy-on-write
(``mmap.MAP_PRIVATE``, torch's default): tensors are writable, and the file never changes. To
write changes back to the file, map it shared, as in torch::

    with firstlayer.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        sd = firstlayer.load("table.safetensors", mmap=True)

(or call ``set_default_mmap_options(mmap.MAP_SHARED)`` once). Tensors that had to be converted
on load (BF16, a misaligned or big-endian layout) are copies, not mappings, in either mode.

Tied weights (two names sharing memory, as ``Module.state_dict()`` gives for a tied model) are
written once per name; ``Module.load_state_dict`` then copies the same values into the shared
parameter twice, so the model stays tied.
"""

from __future__ import annotations

import json
import mmap as _mmap
import os
import struct
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write
from ._errors import ValueRuntimeError
from .tensor import Tensor, from_numpy

__all__ = ["CheckpointError", "load", "load_metadata", "save", "set_default_mmap_options"]

PathLike = str | os.PathLike

# safetensors dtype name -> the little-endian NumPy dtype of its bytes. BF16 is read too (NumPy
# has no bfloat16): its 16 bits are the top half of a float32, so it becomes float32 exactly.
_ST_DTYPES: dict[str, np.dtype] = {
    name: np.dtype(code) for name, code in [
        ("BOOL", "|b1"), ("U8", "|u1"), ("I8", "|i1"), ("I16", "<i2"), ("U16", "<u2"),
        ("F16", "<f2"), ("BF16", "<u2"), ("I32", "<i4"), ("U32", "<u4"), ("F32", "<f4"),
        ("I64", "<i8"), ("U64", "<u8"), ("F64", "<f8"),
    ]
}
_ST_NAMES = {dt.newbyteorder("="): name for name, dt in _ST_DTYPES.items() if name != "BF16"}
_ST_NAMES[np.dtype(np.bool_)] = "BOOL"
_HEADER_LIMIT = 100_000_000  # the safetensors package's own bound on a header's size
_METADATA = "__metadata__"


# How ``load(..., mmap=True)`` maps files: set_default_mmap_options changes it.
_mmap_flags: int = _mmap.MAP_PRIVATE


class set_default_mmap_options:  # noqa: N801  (torch's spelling: a function or a context)
    """Set how ``load(..., mmap=True)`` maps files: ``mmap.MAP_PRIVATE`` (the default:
    copy-on-write, the file never changes) or ``mmap.MAP_SHARED`` (changes to the tensors are
    written to the file). torch's ``torch.serialization.set_default_mmap_options``: call it, or
    use it as a context manager to restore the previous setting on exit.

    Args:
        flags: ``mmap.MAP_PRIVATE`` or ``mmap.MAP_SHARED``.

    >>> import mmap
    >>> with set_default_mmap_options(mmap.MAP_SHARED):
    ...     pass  # load(path, mmap=True) here writes changes back to the file
    """

    def __init__(self, flags: int) -> None:
        global _mmap_flags
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError(
                "Invalid argument in function set_default_mmap_options, expected "
                f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}"
            )
        self.prev = _mmap_flags
        _mmap_flags = flags

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        global _mmap_flags
        _mmap_flags = self.prev


class CheckpointError(ValueRuntimeError):
    """A file that is not a valid checkpoint: truncated, a corrupt header, bad offsets, an
    unknown dtype, or (``.npz``) a pickled object. The message names the file and the fault."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def save(obj: Any, path: PathLike, metadata: dict[str, str] | None = None) -> None:
    """Write a state_dict (name -> Tensor or ndarray) or a Module's state_dict to ``path``.

    The format follows the extension: ``.npz`` for NumPy's archive, safetensors for anything
    else (``.safetensors`` by convention). The write is atomic: if anything fails, an existing
    file at ``path`` is left as it was.

    Args:
        obj: a mapping from str to ``Tensor``/``np.ndarray`` (e.g. ``model.state_dict()``), or a
            ``Module`` (its ``state_dict()`` is saved).
        path: where to write.
        metadata: optional str -> str pairs stored in the file (``load_metadata`` reads them).

    >>> import firstlayer as torch
    >>> torch.save({"w": torch.ones(2)}, "/tmp/firstlayer-doc.safetensors")
    >>> torch.load("/tmp/firstlayer-doc.safetensors")
    {'w': tensor([1., 1.])}
    """
    arrays = _state_arrays(obj)
    metadata = _check_metadata(metadata)
    if _is_npz(path):
        _save_npz(arrays, path, metadata)
    else:
        _save_safetensors(arrays, path, metadata)


def load(
    path: PathLike, map_location: Any = None, *, weights_only: bool | None = None,
    mmap: bool | None = None,
) -> dict[str, Tensor]:
    """Read the tensors ``save`` wrote (or the ``safetensors`` package, or ``np.savez``).

    Returns a dict name -> Tensor in the file's order, ready for ``model.load_state_dict``.
    Nothing in the file is executed (there is no pickle); ``weights_only`` is accepted for
    torch's signature and is always in effect.

    Args:
        path: a ``.safetensors`` file (any extension but ``.npz``) or a ``.npz`` archive.
        map_location: ``None`` or ``"cpu"`` (firstlayer runs on the CPU).
        mmap: map a safetensors file instead of reading it: tensors are loaded lazily and
            copy-on-write (writing to them never changes the file), or written back to the
            file under ``set_default_mmap_options(mmap.MAP_SHARED)``. ``.npz`` files are
            always read.

    Raises:
        CheckpointError: a truncated or corrupt file, naming the file and what is wrong.

    >>> import firstlayer as torch
    >>> torch.save({"b": torch.tensor([1, 2])}, "/tmp/firstlayer-doc.safetensors")
    >>> torch.load("/tmp/firstlayer-doc.safetensors")["b"]
    tensor([1, 2])
    """
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        raise ValueError(f"firstlayer runs on the CPU only; got map_location={map_location!r}")
    if _is_npz(path):
        arrays, _ = _load_npz(path)
    else:
        arrays, _ = _load_safetensors(path, bool(mmap), _mmap_flags == _mmap.MAP_SHARED)
    out = {}
    for name, arr in arrays.items():
        try:
            out[name] = from_numpy(arr)
        except TypeError as exc:
            raise CheckpointError(f"{os.fspath(path)}: tensor {name!r}: {exc}") from None
    return out


def load_metadata(path: PathLike) -> dict[str, str]:
    """The ``metadata`` a file was saved with (``{}`` if none), without reading its tensors."""
    if _is_npz(path):
        return _load_npz(path, tensors=False)[1]
    return _read_safetensors_header(path)[1]


# --------------------------------------------------------------------------------------------
# Checking what is saved
# --------------------------------------------------------------------------------------------


def _state_arrays(obj: Any) -> dict[str, np.ndarray]:
    """name -> ndarray from a Module or a mapping, with a clear error for anything else."""
    from .nn.modules.module import Module  # here: nn imports this package's tensor first

    if isinstance(obj, Module):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"save expects a state_dict (a mapping from names to tensors) or a Module, got "
            f"{type(obj).__name__}"
        )
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"state_dict keys must be str, got {name!r} ({type(name).__name__})")
        if name == _METADATA:
            raise ValueError(f"{_METADATA!r} is reserved for the file's metadata; rename it")
        if isinstance(value, Tensor):
            arr = value._data
        elif isinstance(value, np.ndarray):
            arr = value
        else:
            hint = "; save value.to_dense()" if getattr(value, "is_sparse", False) else ""
            raise TypeError(
                f"state_dict[{name!r}] is a {type(value).__name__}; only Tensors and NumPy "
                f"arrays can be saved{hint}"
            )
        if arr.dtype.newbyteorder("=") not in _ST_NAMES:
            raise TypeError(
                f"state_dict[{name!r}] has dtype {arr.dtype}, which can't be saved; supported: "
                "bool, (u)int8/16/32/64, float16/32/64"
            )
        arrays[name] = arr
    return arrays


def _check_metadata(metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise TypeError(
            f"metadata must be a dict of str -> str (convert numbers with str()), got {metadata!r}"
        )
    return dict(metadata)


def _is_npz(path: PathLike) -> bool:
    return Path(path).suffix.lower() == ".npz"


def _le_bytes(arr: np.ndarray) -> memoryview:
    """The array's bytes, C order, little-endian: what a file stores."""
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return arr.reshape(-1).view(np.uint8).data


# --------------------------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------------------------


def _save_safetensors(
    arrays: dict[str, np.ndarray], path: PathLike, metadata: dict[str, str]
) -> None:
    # Lay the data out by decreasing item size (a stable sort: ties keep their order), so that
    # every tensor starts at a multiple of its item size without padding (the format forbids
    # gaps): the reader can then use the bytes in place. The header keeps the caller's order.
    layout = sorted(arrays, key=lambda n: -arrays[n].dtype.itemsize)
    offsets, pos = {}, 0
    for name in layout:
        offsets[name] = (pos, pos + arrays[name].nbytes)
        pos += arrays[name].nbytes
    header: dict[str, Any] = {_METADATA: metadata} if metadata else {}
    for name, arr in arrays.items():
        header[name] = {
            "dtype": _ST_NAMES[arr.dtype.newbyteorder("=")],
            "shape": list(arr.shape),
            "data_offsets": list(offsets[name]),
        }
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the spec's padding: the data starts 8-byte aligned
    with atomic_write(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in layout:
            if arrays[name].size:
                f.write(_le_bytes(arrays[name]))


def _corrupt(path: PathLike, what: str) -> CheckpointError:
    return CheckpointError(f"{os.fspath(path)}: not a valid safetensors file: {what}")


def _truncated(
    path: PathLike, expected: int, actual: int, at_least: bool = False
) -> CheckpointError:
    return CheckpointError(
        f"{os.fspath(path)}: the file is truncated (an interrupted write or copy?): its header "
        f"says it is {'at least ' if at_least else ''}{expected} bytes long, but it is {actual} "
        "bytes"
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        raise ValueError(f"duplicate key(s) in the header: {dups}")
    return dict(pairs)


def _read_safetensors_header(
    path: PathLike,
) -> tuple[list[tuple[str, str, tuple[int, ...], int, int]], dict[str, str], int, int]:
    """Read and validate the header: the entries ``(name, dtype, shape, begin, end)`` in the
    header's order, the metadata, where the data starts and how long it is."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise _truncated(path, 8, size, at_least=True)
        (n,) = struct.unpack("<Q", prefix)
        if n > _HEADER_LIMIT:
            hint = ""
            if prefix.startswith(b"PK\x03\x04"):
                hint = (" (this is a zip archive: a torch.save pickle or an .npz? firstlayer "
                        "never unpickles; convert it with safetensors, or name an .npz '.npz')")
            raise _corrupt(path, f"the header length {n} is implausible{hint}")
        if 8 + n > size:
            raise _truncated(path, 8 + n, size, at_least=True)
        raw = f.read(n)
    try:
        text = raw.decode("utf-8")
        if not text.startswith("{"):
            raise ValueError("the header does not start with '{'")
        header = json.loads(text, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _corrupt(path, f"the {n}-byte JSON header does not parse: {exc}") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    metadata = header.pop(_METADATA, None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _corrupt(path, f"{_METADATA} must map str to str, got {metadata!r}")
    entries = [_header_entry(path, name, info) for name, info in header.items()]
    data_len = _check_layout(path, entries)
    if 8 + n + data_len != size:
        if 8 + n + data_len > size:
            raise _truncated(path, 8 + n + data_len, size)
        raise _corrupt(
            path, f"{size - 8 - n - data_len} unexpected bytes after the last tensor (the header "
            f"describes {8 + n + data_len} bytes, the file has {size})"
        )
    return entries, metadata, 8 + n, data_len


def _header_entry(
    path: PathLike, name: str, info: Any
) -> tuple[str, str, tuple[int, ...], int, int]:
    """One tensor's header entry, checked: known dtype, valid shape and offsets that agree."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _corrupt(
            path, f"tensor {name!r}: expected the fields dtype, shape, data_offsets, got {info!r}"
        )
    dtype, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in _ST_DTYPES:
        raise _corrupt(
            path, f"tensor {name!r} has unknown dtype {dtype!r}; known: {sorted(_ST_DTYPES)}"
        )

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if not isinstance(shape, list) or not all(is_int(s) for s in shape):
        raise _corrupt(path, f"tensor {name!r}: shape must be a list of sizes >= 0, got {shape!r}")
    if not (isinstance(offs, list) and len(offs) == 2 and all(is_int(o) for o in offs)
            and offs[0] <= offs[1]):
        raise _corrupt(
            path, f"tensor {name!r}: data_offsets must be [begin, end] with 0 <= begin <= end, "
            f"got {offs!r}"
        )
    numel = 1
    for s in shape:
        numel *= s
    nbytes = numel * _ST_DTYPES[dtype].itemsize
    if nbytes != offs[1] - offs[0]:
        raise _corrupt(
            path, f"tensor {name!r}: shape {shape} of {dtype} needs {nbytes} bytes, but its "
            f"data_offsets {offs} span {offs[1] - offs[0]}"
        )
    return name, dtype, tuple(shape), offs[0], offs[1]


def _check_layout(path: PathLike, entries: list[tuple[str, str, tuple[int, ...], int, int]]) -> int:
    """The tensors must tile the data exactly: sorted by offset, each begins where the one
    before ends (no overlap, no gap). Returns the data's length."""
    pos, prev = 0, None
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin < pos:
            raise _corrupt(path, f"tensor {name!r} at bytes [{begin}, {end}) overlaps {prev!r} "
                                 f"(which ends at {pos})")
        if begin > pos:
            where = f"after {prev!r}" if prev is not None else "at the start of the data"
            raise _corrupt(path, f"a gap of {begin - pos} bytes {where} (tensor {name!r} begins "
                                 f"at {begin}, not {pos})")
        pos, prev = end, name
    return pos


def _load_safetensors(
    path: PathLike, mmap: bool, shared: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    entries, metadata, start, data_len = _read_safetensors_header(path)
    buf: np.ndarray
    if data_len == 0:
        buf = np.empty(0, np.uint8)
    elif mmap:
        # copy-on-write ("c": the tensors are writable, the file never changes) or shared ("r+":
        # writes reach the file); a plain ndarray view (not np.memmap) so that results of ops on
        # them are ordinary arrays (the memmap stays alive as their base)
        if shared:
            buf = np.memmap(path, np.uint8, mode="r+", offset=start, shape=(data_len,))
        else:
            buf = np.memmap(path, np.uint8, mode="c", offset=start, shape=(data_len,))
        buf = buf.view(np.ndarray)
    else:
        buf = np.empty(data_len, np.uint8)  # NumPy's allocation is aligned for any dtype
        with open(path, "rb") as f:
            f.seek(start)
            got = f.readinto(buf.data)
        if got != data_len:  # the file shrank since we measured it
            raise _truncated(path, start + data_len, start + got)
    out = {}
    for name, dtype, shape, begin, end in entries:
        raw = buf[begin:end]
        if dtype == "BF16":  # the top 16 bits of a float32
            arr = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
        else:
            arr = raw.view(_ST_DTYPES[dtype]).reshape(shape)
            if not arr.flags.aligned or not arr.dtype.isnative:  # a foreign layout: copy once
                arr = arr.astype(arr.dtype.newbyteorder("="))
                if mmap and shared:
                    _warn_copied(path, name, "its bytes are misaligned or big-endian")
        if dtype == "BF16" and mmap and shared:
            _warn_copied(path, name, "BF16 is converted to float32")
        if dtype == "U64" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            raise CheckpointError(
                f"{os.fspath(path)}: tensor {name!r} (U64) holds values above the int64 range"
            )
        out[name] = arr
    return out, metadata


def _warn_copied(path: PathLike, name: str, why: str) -> None:
    warnings.warn(
        f"{os.fspath(path)}: tensor {name!r} is a copy, not a shared mapping ({why}): changes to "
        "it will not be written to the file",
        UserWarning,
        stacklevel=4,
    )


# --------------------------------------------------------------------------------------------
# .npz
# --------------------------------------------------------------------------------------------


def _save_npz(arrays: dict[str, np.ndarray], path: PathLike, metadata: dict[str, str]) -> None:
    # What np.savez writes (stored zip, one member "<name>.npy" each), done here so that any
    # name works (np.savez's own keyword "file" can't be a tensor name) and writes are atomic.
    with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        members = dict(arrays)
        if metadata:  # a 0-d unicode array: np.load reads it without pickle
            members[_METADATA] = np.array(json.dumps(metadata))
        for name, arr in members.items():
            if zipfile.ZipInfo(name + ".npy").filename != name + ".npy":
                raise ValueError(
                    f"the name {name!r} can't be stored in a .npz: zip member names can't "
                    "hold NUL characters (or backslashes, on Windows); use .safetensors"
                )
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                arr = np.asarray(arr)  # little-endian, as in a safetensors file
                arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
                np.lib.format.write_array(member, arr, allow_pickle=False)


def _load_npz(
    path: PathLike, tensors: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read every ``.npy`` member with pickling disabled; zip errors become CheckpointError."""
    where = os.fspath(path)
    size = os.path.getsize(path)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            f"{where}: not a valid .npz archive ({size} bytes; truncated or corrupt?): {exc}"
        ) from None
    out, metadata = {}, {}
    with zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise CheckpointError(f"{where}: unexpected member {info.filename!r} (not .npy)")
            name = info.filename[:-4]
            if not tensors and name != _METADATA:
                continue
            try:
                with zf.open(info) as member:
                    arr = np.lib.format.read_array(member, allow_pickle=False)
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise CheckpointError(
                        f"{where}: member {name!r} holds pickled Python objects (dtype=object); "
                        "firstlayer never unpickles, since loading a pickle can run code"
                    ) from None
                raise CheckpointError(f"{where}: member {name!r} is corrupt: {exc}") from None
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise CheckpointError(
                    f"{where}: member {name!r} can't be read ({size} bytes; truncated or "
                    f"corrupt?): {exc}"
                ) from None
            if name == _METADATA:
                metadata = _parse_npz_metadata(where, arr)
            else:
                out[name] = arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
    return out, metadata


def _parse_npz_metadata(where: str, arr: np.ndarray) -> dict[str, str]:
    try:
        meta = json.loads(str(arr[()])) if arr.dtype.kind == "U" and arr.ndim == 0 else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise CheckpointError(f"{where}: {_METADATA} is not a JSON object of str -> str")
    return meta
