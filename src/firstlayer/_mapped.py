"""Tensors over memory-mapped files: ``from_file``, and tables larger than memory trained in place.

A table of 2^27 rows x 64 float32 is 34 GB. Mapped from a file, it costs no anonymous memory:
the operating system reads in the pages a batch touches and writes back or drops them when
memory is short. Everything that trains an ``Embedding(sparse=True)`` / ``EmbeddingBag(sparse=
True)`` works on such a weight and touches only the batch's rows: the lookup gathers them, the
gradient is row-sparse, and every optimizer's sparse step gathers, updates and writes back the
present rows (``optim.optimizer.for_present_rows``), so nothing as large as the table is made.

The two modes, as torch's ``from_file`` (``mmap(2)``'s ``MAP_SHARED`` / ``MAP_PRIVATE``):

- ``shared=True``: every change goes to the file (the OS writes dirty pages back on its own; the
  file is complete when the tensor is deleted or the process exits). The file is created or
  grown to the mapping's size, and its blocks are **reserved** (``posix_fallocate``) before the
  mapping is made: a full disk is then a clear ``OSError`` at ``from_file``, with the file left
  as it was, instead of a ``SIGBUS`` in the middle of an optimizer step when the OS first writes
  a page that has no block (which would leave the step half-written).
- ``shared=False`` (or ``None``): copy-on-write. The tensor is writable; a page that is written
  becomes private anonymous memory (so training a private mapping costs memory for the pages it
  has touched), and the file never changes.

What copies or densifies a mapped table (allowed, but as large as the table, in anonymous
memory): a dense gradient (``sparse=False``: a ``(V, D)`` array each backward; a one-time
warning for tables over ~1 GB), ``.clone()``, arithmetic on the whole weight, a per-weight
optimizer state (``Adagrad``/``Adam``/``RMSprop``/momentum keep one or two numbers per weight;
zero-filled states are allocated lazily, so only their touched pages count), and
``load_state_dict`` into it (it copies values in place: fine, no extra memory). ``save`` of a
``state_dict()`` holding the table streams it through the page cache into the new file.
"""

from __future__ import annotations

import errno
import os
import warnings
from typing import Any

import numpy as np

from . import _dtype
from ._errors import ValueRuntimeError

__all__ = ["from_file"]

# Dense gradients of tables at least this large warn once (see warn_dense_table_grad).
DENSE_GRAD_WARN_BYTES = 1 << 30
_warned_dense = False


class FileNotFoundRuntimeError(FileNotFoundError, RuntimeError):
    """No file to map copy-on-write (torch raises RuntimeError; this is both)."""


def from_file(
    filename: str | os.PathLike,
    shared: bool | None = None,
    size: int = 0,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
) -> Any:
    """A 1-D tensor of ``size`` elements over a memory-mapped file (torch's ``from_file``).

    The file's first ``size * dtype.itemsize`` bytes are the tensor's elements (raw, native
    byte order, as ``ndarray.tofile`` writes). Reshape it with ``.view(rows, dim)`` to make a
    table for ``nn.Embedding(..., _weight=...)`` or ``Embedding.from_pretrained(..., freeze=
    False, sparse=True)``; nothing is read until it is used.

    Args:
        filename: the file to map.
        shared: ``True``: changes are written to the file, which is created or grown to the
            required size (its blocks reserved, so a full disk fails here, not mid-training).
            ``False``/``None``: copy-on-write; the file must exist and hold at least the
            required bytes, and it is never changed.
        size: the number of elements (0: an empty tensor, and no file is touched).
        dtype: the element type (default: the default float type, float32).
        layout, device, pin_memory: accepted for torch's signature: strided CPU memory only.

    Returns:
        A tensor of shape ``(size,)`` sharing its memory with the mapping.

    Raises:
        ValueRuntimeError: the file is smaller than ``size`` elements need (both sizes named).
        FileNotFoundRuntimeError: ``shared`` is not True and the file does not exist.
        PermissionError: ``shared=True`` on a file this process may not write.
        OSError: ``shared=True`` and the disk has no room for the file (it is left as it was).

    Shape: ``(size,)``.

    >>> import numpy as np, firstlayer as torch
    >>> np.arange(6, dtype=np.float32).tofile("/tmp/firstlayer-doc.bin")
    >>> torch.from_file("/tmp/firstlayer-doc.bin", shared=False, size=6).view(2, 3)
    tensor([[0., 1., 2.],
            [3., 4., 5.]])
    """
    from ._device import check_cpu
    from .tensor import Tensor

    if shared is not None and not isinstance(shared, (bool, np.bool_)):
        raise TypeError(
            f"from_file(): argument 'shared' (position 2) must be bool, not {type(shared).__name__}"
        )
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"from_file(): argument 'size' (position 3) must be int, not "
                        f"{type(size).__name__}")
    size = int(size)
    if size < 0:
        raise ValueRuntimeError(f"from_file(): size must be >= 0 (a number of elements), got "
                                f"{size}")
    if layout not in (None, "torch.strided", "strided") and str(layout) != "torch.strided":
        raise ValueError(f"from_file(): only the strided layout can be mapped, got {layout!r}")
    if pin_memory:
        raise ValueRuntimeError("from_file(): a memory-mapped tensor can't be in pinned memory")
    if device is not None:
        check_cpu(device)
    d = _dtype.default_float if dtype is None else _dtype.to_dtype(dtype)
    if size == 0:  # torch maps nothing (and creates no file) for an empty tensor
        return Tensor._wrap(np.empty(0, d.np))
    nbytes = size * d.itemsize
    path = os.fspath(filename)
    if shared:
        _reserve(path, nbytes, size, d)
        arr = np.memmap(path, dtype=d.np, mode="r+", shape=(size,))
    else:
        _check_big_enough(path, nbytes, size, d)
        arr = np.memmap(path, dtype=d.np, mode="c", shape=(size,))
    # A plain ndarray view (not np.memmap), so results of ops on it are ordinary arrays; the
    # memmap stays alive as its base, and mapped_file() finds it there.
    return Tensor._wrap(arr.view(np.ndarray))


def _check_big_enough(path: str, nbytes: int, size: int, d: _dtype.dtype) -> None:
    try:
        have = os.path.getsize(path)
    except FileNotFoundError:
        raise FileNotFoundRuntimeError(
            errno.ENOENT,
            f"from_file(): no file {path!r} to map read-only (shared=False); pass shared=True to "
            "create it",
            path,
        ) from None
    if have < nbytes:
        fits = have // d.itemsize
        raise ValueRuntimeError(
            f"from_file(): file {path!r} is {have} bytes, smaller than the {nbytes} bytes that "
            f"size={size} elements of {d} need; it holds {fits} element(s) of {d}: pass "
            f"size={fits} (or the dtype it was written with), or shared=True to grow the file"
        )


def _reserve(path: str, nbytes: int, size: int, d: _dtype.dtype) -> None:
    """Create or grow ``path`` to at least ``nbytes`` with its blocks allocated; on failure
    leave it as it was (removed if it did not exist, else truncated back to its old size)."""
    existed = os.path.exists(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError as exc:
        raise PermissionError(
            exc.errno,
            f"from_file(): can't open {path!r} for writing (shared=True writes every change "
            "back to the file): make it writable, or map it with shared=False (copy-on-write: "
            "training changes stay in memory and the file is unchanged)",
            path,
        ) from None
    try:
        old = os.fstat(fd).st_size
        try:
            # Reserve blocks for the whole mapping, including holes of an existing sparse file:
            # a write to a page without a block on a full disk would be a SIGBUS mid-step.
            _fallocate(fd, nbytes)
        except OSError as exc:
            os.ftruncate(fd, old)  # a failed fallocate may have grown the file part-way
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                free = _free_bytes(path)
                raise OSError(
                    exc.errno,
                    f"from_file(): no room to map {path!r} with shared=True: size={size} "
                    f"elements of {d} need {nbytes} bytes on disk ({max(nbytes - old, 0)} more "
                    f"than the file has), and the disk has {free} bytes free ({exc.strerror}); "
                    "free space or put the file on another disk. The file is left as it was",
                    path,
                ) from None
            raise
    except BaseException:
        os.close(fd)
        if not existed:
            os.unlink(path)
        raise
    os.close(fd)


def _fallocate(fd: int, nbytes: int) -> None:
    """Allocate the file's blocks up to ``nbytes`` (growing it if shorter)."""
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(fd, 0, nbytes)
    elif os.fstat(fd).st_size < nbytes:  # no fallocate (macOS): grow it, blocks not reserved
        os.ftruncate(fd, nbytes)


def _free_bytes(path: str) -> int:
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(path)))
        return st.f_bavail * st.f_frsize
    except OSError:
        return -1


# --- used by the rest of the package ------------------------------------------------------


def mapped_file(arr: np.ndarray) -> tuple[str, str] | None:
    """``(filename, mode)`` of the ``np.memmap`` behind ``arr`` (through its views), or None."""
    a: Any = arr
    while a is not None:
        if isinstance(a, np.memmap):
            return str(a.filename), str(a.mode)
        a = getattr(a, "base", None)
    return None


def read_only_message(arr: np.ndarray, what: str) -> str:
    """Why ``arr`` (not writeable) can't be trained, and which mode to map it with."""
    where = mapped_file(arr)
    if where is not None:
        return (
            f"{what}: the parameter is mapped read-only from {where[0]!r} (mode {where[1]!r}), "
            "so it can't be trained in place: map it with firstlayer.from_file(path, "
            "shared=True, ...) to write the training back to the file, or shared=False to train "
            "a copy-on-write mapping (changes in memory, the file unchanged)"
        )
    return (
        f"{what}: the parameter's memory is read-only (a read-only NumPy array or mapping), so "
        "it can't be trained in place: give it a writable copy (.clone()), or map its file with "
        "firstlayer.from_file(path, shared=True or False, ...)"
    )


def warn_dense_table_grad(weight: np.ndarray, layer: str) -> None:
    """Warn (once per process) that a dense gradient as large as a big table is being made."""
    global _warned_dense
    if _warned_dense or weight.nbytes < DENSE_GRAD_WARN_BYTES:
        return
    _warned_dense = True
    mapped = mapped_file(weight)
    where = f" (mapped from {mapped[0]!r})" if mapped else ""
    warnings.warn(
        f"{layer}: a dense gradient of a {weight.nbytes / 2**30:.1f} GiB table{where} is being "
        f"made: {weight.nbytes} bytes of memory every backward, and an optimizer step over "
        f"every row. Build the layer with sparse=True (nn.{layer}(..., sparse=True) or "
        f"from_pretrained(..., freeze=False, sparse=True)): its gradient holds only the "
        "batch's rows, and SGD, Adagrad, RowWiseAdagrad, Adam, SparseAdam and RMSprop update "
        "only those rows. This warning is shown once",
        UserWarning,
        stacklevel=4,
    )
