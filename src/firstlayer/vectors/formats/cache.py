"""``"cache"``: firstlayer's own format, a directory whose matrix opens in a millisecond at any
size.

::

    vectors/            the path given to save/load
        vectors.npy     the (count, dim) matrix, NumPy's .npy format (no pickle)
        keys.txt        one key per line, UTF-8
        meta.json       {"format": "firstlayer-vectors-cache", "version": 1, "count", "dim",
                         "dtype"}

Loading memory-maps ``vectors.npy`` read-only (``np.load(mmap_mode="r")``): nothing is read
until rows are used, so the matrix costs no time and no memory up front. Reading the keys is
the only work that grows with the size (~0.05 us per key, plus the key index KeyedVectors
builds: ~30 ms for 200k keys in all).

``keys.txt`` escapes the three characters that would break "one key per line": a backslash is
written ``\\\\``, a newline ``\\n``, a carriage return ``\\r``. A file with no backslash (the
usual case) is split on newlines and nothing else.

Saving writes into a temporary directory beside the target and renames it into place, so a
failure leaves an existing cache as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._rows import GrowingRows
from ._select import RowSelector
from .detect import CACHE_MARKER, CACHE_META
from .errors import VectorFileError

VERSION = 1
VECTORS_FILE = "vectors.npy"
KEYS_FILE = "keys.txt"


# ---- keys.txt -----------------------------------------------------------------------------------
def escape_key(key: str) -> str:
    r"""One key as one line of ``keys.txt``.

    >>> escape_key("a\nb\\c")
    'a\\nb\\\\c'
    """
    return key.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def unescape_key(line: str) -> str:
    r"""The key a ``keys.txt`` line stands for (the inverse of :func:`escape_key`).

    >>> unescape_key('a\\nb\\\\c') == "a\nb\\c"
    True
    """
    if "\\" not in line:
        return line
    out, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(line[i + 1], "\\" + line[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _read_keys(path: Path, count: int) -> list[str]:
    text = path.read_text(encoding="utf-8")
    keys = text.split("\n")
    if keys and keys[-1] == "":
        keys.pop()
    if "\\" in text:
        keys = [unescape_key(k) for k in keys]
    if len(keys) != count:
        raise VectorFileError(
            f"{str(path)!r} holds {len(keys):,} keys but meta.json says {count:,}: the cache "
            "is damaged; save it again"
        )
    return keys


# ---- reading ------------------------------------------------------------------------------------
def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The checked contents of a cache's ``meta.json``."""
    meta_path = Path(path) / CACHE_META
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise VectorFileError(f"{str(meta_path)!r} can't be read: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != CACHE_MARKER:
        raise VectorFileError(f"{str(meta_path)!r} is not a firstlayer vector cache's meta.json")
    if meta.get("version", 0) > VERSION:
        raise VectorFileError(
            f"{str(path)!r} is a cache of version {meta.get('version')}; this firstlayer reads "
            f"version {VERSION}: upgrade firstlayer"
        )
    return meta


def read_cache(
    path: str | os.PathLike, *, selector: RowSelector, dtype: np.dtype
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Open a cache: ``(keys, matrix, report fields)``. The matrix is a read-only memory map
    unless ``vocab=`` picks rows or ``dtype`` differs from the stored one (then a copy)."""
    root = Path(path)
    meta = read_meta(root)
    count, dim = int(meta["count"]), int(meta["dim"])
    vectors = np.load(root / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
    if vectors.shape != (count, dim):
        raise VectorFileError(
            f"{str(root)!r}: vectors.npy has shape {vectors.shape} but meta.json says "
            f"({count}, {dim}): the cache is damaged; save it again"
        )
    keys = _read_keys(root / KEYS_FILE, count)
    if selector.limit is not None and selector.limit < count:
        keys, vectors = keys[: selector.limit], vectors[: selector.limit]
    if selector.words is None:  # every key of a cache is unique: no selection to do
        selector.read = len(keys)
        selector.keys = keys
        if vectors.dtype != dtype:
            vectors = vectors.astype(dtype)
        return keys, vectors, {"duplicates_dropped": 0}
    keep = selector.choose(keys)
    rows, fields = selector.finish(str(root))
    picked = np.arange(len(keys)) if keep is None else keep
    if rows is not None:
        picked = picked[rows]
    out = GrowingRows(dim, dtype, len(picked))
    for lo in range(0, len(picked), 4096):  # a block at a time (increasing rows)
        out.append(vectors[picked[lo : lo + 4096]])
    return selector.keys, out.finish(), fields


# ---- writing ------------------------------------------------------------------------------------
def write_cache(path: str | os.PathLike, keys: Sequence[str], vectors: np.ndarray) -> None:
    """Save ``keys`` and ``vectors`` as a cache directory at ``path``, atomically."""
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise FileNotFoundError(
            f"can't write {str(target)!r}: folder {str(parent)!r} does not exist"
        )
    if target.exists() and not (target.is_dir() and (target / CACHE_META).is_file()):
        kind = "a directory" if target.is_dir() else "a file"
        raise FileExistsError(
            f"{str(target)!r} exists and is {kind}, not a firstlayer cache; refusing to "
            "replace it: remove it or pick another path"
        )
    count, dim = vectors.shape
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        with open(tmp / VECTORS_FILE, "wb") as f:
            np.save(f, np.ascontiguousarray(vectors), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        with open(tmp / KEYS_FILE, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(escape_key(k) + "\n" for k in keys))
            f.flush()
            os.fsync(f.fileno())
        meta = {
            "format": CACHE_MARKER,
            "version": VERSION,
            "count": count,
            "dim": dim,
            "dtype": str(vectors.dtype),
        }
        (tmp / CACHE_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing ``target`` cache is moved aside first and
    deleted after (a directory can't be renamed over a non-empty one)."""
    if not target.exists():
        os.replace(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(old, target)  # put the old cache back
        raise
    shutil.rmtree(old, ignore_errors=True)
