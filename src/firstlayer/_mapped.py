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

Speed: nothing to switch on. A mapping is advised random access (``MADV_RANDOM``: no
"fault-around" of 16 pages and no 128 KiB read-ahead around each row touched, both wasted on
hashed ids; this made the forward of a table in the page cache as fast as in memory), and when
the last batch of a mapped table read pages from disk, the pages of the next batch's rows are
requested all at once before the lookup (``posix_fadvise(WILLNEED)``), so that the disk serves
them in parallel instead of one page fault after another. The table stays the file's pages:
what other code reads from the tensor is always current, no cache to flush.

What sets the pace of a table larger than memory is where its rows in use lie. Raw hashed ids
scatter them one to a 4 KiB page: each row written dirties a page the OS must write back, at
the disk's random-write rate (0.1-0.2 of in-memory speed on a 34 GB table). Feed the ids
through an ``IdMap`` (``firstlayer.idmap``): rows are given out in order of first appearance,
so the rows in use are packed at the start of the table, the hot ones share pages that stay in
memory, and the same 34 GB table trains as fast as an in-memory one. See ``BENCHMARKS.md``
(tables on disk) for the measurements.

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
import mmap as _mmap
import os
import warnings
import weakref
from typing import Any

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no getrusage, so no prefetch either
    resource = None  # type: ignore[assignment]

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
        layout: accepted for torch's signature: strided memory only.
        device: accepted for torch's signature: CPU memory only.
        pin_memory: accepted for torch's signature (CPU memory is not pinned).

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
    advise_random(arr)
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


# --- access pattern: random rows ------------------------------------------------------------
#
# Measured on a 4.3 GB shared table in the page cache (2^24 x 64 float32, batches of 16k Zipf
# ids, ~6.4k distinct rows): the forward took 8.1 ms against 1.3 ms on the same table in
# anonymous memory, the SGD step 3.1 against 0.7. Not our code: each first touch of a page is a
# page fault, and on a file mapping the kernel's "fault-around" maps the 16 pages around it
# (8 us a fault, measured in C); on a page that is not in memory it also reads ahead 128 KiB
# (32 pages) around the one asked for. Rows of a hashed table are used at random, so both are
# wasted work: ``MADV_RANDOM`` turns them off (2 us a fault; forward 1.35 ms, step 2.3 ms).


def _memmap_of(arr: np.ndarray) -> Any:
    """The ``np.memmap`` that made the mapping behind ``arr`` (the root of its views: slices of
    a memmap are memmaps too, but keep their parent's ``offset``), or None."""
    a: Any = arr
    found = None
    while a is not None:
        if isinstance(a, np.memmap):
            found = a
        a = getattr(a, "base", None)
    return found


# Shared mappings of at least this many bytes start with the file's clean cached pages dropped.
# Also tables that fit in memory: a 4.3 GB table written by ``dd`` and kept in the page cache
# (2048 folios of 2 MiB) had every folio dirtied by every batch of ~6.4k rows, and spent
# 0.9-1.3 s a batch in ``balance_dirty_pages``; dropped, its first few hundred batches read
# from disk (~23 ms each), then run as from the page cache.
SMALL_FOLIOS_BYTES = 64 << 20


def _drop_clean_pages(m: Any) -> None:
    """Drop the clean pages of ``m``'s file range from the page cache (``POSIX_FADV_DONTNEED``)
    so that the pages the training reads come back one 4 KiB page at a time.

    Why: Linux 6.16+ caches ext4 files (XFS: 5.18+) in *large folios* (up to 2 MiB) when they
    are written or read sequentially (``ndarray.tofile``, ``cp``, ``dd``, a ``save``). A write
    through a shared mapping marks the whole folio dirty, and writeback then writes all of it:
    measured on a 34 GB table created by ``dd``, each batch of 16k ids (~6.8k rows, 1.7 MB of
    values) dirtied ~1M pages (4 GB) and the process spent its time throttled in
    ``balance_dirty_pages``: 2 s a batch (0.01M ids/s). Dropped and read again under
    ``MADV_RANDOM`` (and ``prefetch_rows``' read-ahead of single pages), folios are single pages:
    ~2.5-4k pages dirtied per batch (one per row written), 78-90 ms a batch on that table.
    Dirty pages are not dropped (DONTNEED starts their writeback and keeps them). The cost: the
    rows of a table that was in the page cache are read from disk again as batches use them."""
    if not hasattr(os, "posix_fadvise"):
        return
    fd = _read_fd(m)
    if fd >= 0:
        try:
            os.posix_fadvise(fd, m.offset, m.nbytes, os.POSIX_FADV_DONTNEED)
        except OSError:  # a hint
            pass


def advise_random(arr: np.ndarray) -> bool:
    """Tell the OS that the mapping behind ``arr`` is read at random (``MADV_RANDOM``: no
    fault-around, no read-ahead), once per mapping; a shared mapping of 64 MiB or more
    (``SMALL_FOLIOS_BYTES``) also drops its file's clean cached pages (``_drop_clean_pages``:
    no large folios, so a row written dirties one page, not up to 2 MiB). True if ``arr`` is
    mapped."""
    m = _memmap_of(arr)
    if m is None:
        return False
    if getattr(m, "_firstlayer_advised", False):
        return True
    mm = getattr(m, "_mmap", None)
    advice = getattr(_mmap, "MADV_RANDOM", None)
    if mm is not None and advice is not None and hasattr(mm, "madvise"):
        try:
            mm.madvise(advice)
        except (OSError, ValueError):  # an advice is a hint: the mapping works without it
            pass
    if m.mode == "r+" and m.nbytes >= SMALL_FOLIOS_BYTES:
        _drop_clean_pages(m)
    try:
        m._firstlayer_advised = True
    except AttributeError:  # pragma: no cover - np.memmap instances take attributes
        pass
    return True


# --- reading a batch's rows from disk in parallel ---------------------------------------------
#
# A row that is not in memory is a major page fault: the thread waits for one 4 KiB read
# (~100 us on the benchmark's virtio disk, which serves ~80k reads/s with 16 in flight and ~10k
# with one), one row after the other. When the previous batch of a mapped table read pages
# from disk, the pages of the batch's rows are first asked for all at once (``posix_fadvise
# (WILLNEED)``, one call per run of consecutive pages), so that the disk serves them together;
# the lookup that follows waits only for the last. On a 4.3 GB table evicted from the page
# cache (~3.6k pages read per batch): 304 ms per batch without, ~146 ms with (the disk's
# parallel rate; the machine was shared). Tables in the page cache read nothing, and pay a
# getrusage call per batch.

# Read rows in parallel only when the last batch read at least this many pages from disk.
PREFETCH_MIN_READS = 8
# Pages read ahead past the highest row yet, at least (see prefetch_rows)
READ_AHEAD_MIN_PAGES = 32
# _disk_reads() at the last call, and the pages it asked to read ahead
_fault_state = {"last": 0, "ahead": 0}


def _disk_reads() -> int:
    """Pages this process has read from disk (faults and reads alike), so far."""
    if resource is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_inblock // 8  # 512-byte blocks


def prepare_lookup(W: np.ndarray, ids: np.ndarray) -> None:
    """Before a lookup of rows ``ids`` of ``W``: nothing for an in-memory table; for a mapped
    one, advise random access (once: a table from ``load(mmap=True)`` gets it here) and
    prefetch the rows if the table misses memory (``prefetch_rows``)."""
    if _memmap_of(W) is None:
        return
    advise_random(W)
    prefetch_rows(W, ids)


def _read_fd(m: Any) -> int:
    """A read-only descriptor of the file behind memmap ``m`` (opened once), or -1."""
    fd = getattr(m, "_firstlayer_fd", None)
    if fd is None:
        try:
            fd = os.open(m.filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except (OSError, TypeError):
            fd = -1
        if fd >= 0:  # closed with the mapping (m is kept alive by the arrays over it)
            weakref.finalize(m, os.close, fd)
        m._firstlayer_fd = fd
    return int(fd)


def prefetch_rows(W: np.ndarray, ids: np.ndarray) -> None:
    """Start reading from disk, all at once, the pages of rows ``W[ids]`` of a mapped table
    when the last batch missed pages (the table is larger than the memory the OS gives its
    page cache), and the pages just past the highest row yet (the next rows an ``IdMap``
    gives out). Does nothing for an in-memory ``W``. ``ids`` must be in range."""
    m = _memmap_of(W)
    if W.ndim == 0 or m is None or ids.size == 0 or not hasattr(os, "posix_fadvise"):
        return
    fd = _read_fd(m)
    if fd < 0:
        return
    # Pages read from disk since the last call (the previous batch's lookup and step), less
    # those read ahead on purpose then
    now = _disk_reads()
    missed = now - _fault_state["last"] - _fault_state["ahead"]
    _fault_state["last"], _fault_state["ahead"] = now, 0
    page = _mmap.PAGESIZE
    base = W.__array_interface__["data"][0] - m.__array_interface__["data"][0] + m.offset
    runs: list[tuple[int, int]] = []
    if missed >= PREFETCH_MIN_READS:
        # the pages of the batch's rows (their first byte: a row straddling two pages has its
        # second page read by the lookup), sorted, then one request per run of consecutive
        # pages: asynchronous reads that the disk serves together; the lookup then waits only
        # for the last. (16 threads of pread did no better on 2 cores.)
        pages = np.unique((base + ids.reshape(-1).astype(np.int64) * W.strides[0]) // page)
        starts = np.flatnonzero(np.diff(pages, prepend=-2) != 1)
        lengths = np.diff(starts, append=pages.size)
        runs = list(zip(pages[starts].tolist(), lengths.tolist(), strict=True))
    # Read ahead of the highest page yet: an IdMap gives out new rows in order, so the next
    # batches' new rows lie just past this one's. Four batches' growth ahead, asked for when
    # half of it is used, comes in while the batches compute.
    end = (base + int(ids.max()) * W.strides[0]) // page + 1
    last_end = getattr(m, "_firstlayer_end", end)
    frontier = getattr(m, "_firstlayer_frontier", end)
    window = max(4 * (end - last_end), READ_AHEAD_MIN_PAGES)
    if end + window // 2 > frontier:
        start = max(frontier, end)
        runs.append((start, end + window - start))
        _fault_state["ahead"] = end + window - start
        m._firstlayer_frontier = end + window
    m._firstlayer_end = max(end, last_end)
    try:
        for p, n in runs:
            os.posix_fadvise(fd, p * page, n * page, os.POSIX_FADV_WILLNEED)
    except OSError:  # a hint: the lookup reads the rows anyway
        pass
