"""``"cache"``: firstlayer's own format, a directory that opens in about a millisecond at any
size, keys included.

::

    vectors/              the path given to save/load
        vectors.npy       the (count, dim) matrix, NumPy's .npy format (no pickle)
        keys.txt          one key per line, UTF-8 (escaped: see below)
        keys.offsets.npy  (count + 1,) int64: the byte where each line of keys.txt starts
        keys.hash.npy     an open-addressing hash table: key -> row (see vectors/_lazykeys.py)
        meta.json         {"format": "firstlayer-vectors-cache", "version": 2, "count", "dim",
                           "dtype", "keys_escaped"}

Loading memory-maps ``vectors.npy``, the two key tables and ``keys.txt`` read-only: nothing is
read until it is used, so neither the matrix nor the keys cost time or memory up front. The
keys come as a :class:`~firstlayer.vectors._lazykeys.KeyList` (``index_to_key``: decodes one
line when asked) and a ``KeyIndex`` (``key_to_index``: one walk along the hash table, ~1 us),
instead of a list of every key and a dict over them (~0.3 s for 1M keys, ~1 s for 3M).

``keys.txt`` escapes the three characters that would break "one key per line": a backslash is
written ``\\\\``, a newline ``\\n``, a carriage return ``\\r``. ``"keys_escaped": false`` (the
usual case) says that no line holds a backslash, so none needs unescaping.

Version 1 caches (no ``keys.offsets.npy``/``keys.hash.npy``) still load: their keys are read
into a list.

Saving a new cache writes version 2 into a temporary directory beside the target and renames it
into place. Replacing an existing cache never leaves a moment without one, for a reader in
another thread or process: the new files go into the same directory under fresh names
(``vectors.<token>.npy``, ``keys.<token>.txt``, ...), then ``meta.json`` is replaced by one that
names them (version 3: ``"files": {"vectors": ..., "keys": ..., "offsets": ..., "hash": ...}``)
in one ``os.replace``, and only then are the old files deleted. ``meta.json`` is the pointer: a
reader sees the old cache or the new one, whole. A reader that read the old ``meta.json`` just
before the old files went reads ``meta.json`` again and opens the new ones (POSIX keeps files it
already mapped readable after their deletion). A failure leaves an existing cache as it was.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..._atomic import atomic_write
from .._lazykeys import (
    KeyList,
    build_table,
    escape_key,
    line_hashes,
    line_offsets,
    table_size,
    unescape_key,
)
from ._rows import GrowingRows
from ._select import RowSelector
from .detect import CACHE_MARKER, CACHE_META
from .errors import VectorFileError

__all__ = ["escape_key", "read_cache", "read_meta", "unescape_key", "write_cache"]

VERSION = 3  # the newest this firstlayer reads; a new cache is written as version 2
VECTORS_FILE = "vectors.npy"
KEYS_FILE = "keys.txt"
OFFSETS_FILE = "keys.offsets.npy"
HASH_FILE = "keys.hash.npy"
# The data files' roles and their names in a version 1 or 2 cache (version 3: meta's "files").
DEFAULT_FILES = {
    "vectors": VECTORS_FILE, "keys": KEYS_FILE, "offsets": OFFSETS_FILE, "hash": HASH_FILE,
}
# How often a reader opens a cache again when its files vanished because it was replaced.
_OPEN_ATTEMPTS = 8


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


def file_names(meta: dict[str, Any]) -> dict[str, str]:
    """The names of the data files (roles as in ``DEFAULT_FILES``) that ``meta`` points to."""
    if meta.get("version", 1) < 3:
        return dict(DEFAULT_FILES)
    files = meta.get("files")
    if not isinstance(files, dict) or set(files) != set(DEFAULT_FILES) or not all(
        isinstance(n, str) and n and os.path.basename(n) == n and n != CACHE_META
        for n in files.values()
    ):
        raise VectorFileError(
            f"meta.json of a version 3 cache must name its files as {{'vectors', 'keys', "
            f"'offsets', 'hash'}} -> a file name in the cache, got {files!r}: the cache is "
            "damaged; save it again"
        )
    return dict(files)


def _damaged(root: Path, what: str) -> VectorFileError:
    return VectorFileError(f"{str(root)!r}: {what}: the cache is damaged; save it again")


def _map_npy(root: Path, name: str) -> np.ndarray:
    """``root/name`` memory-mapped read-only (a missing or unreadable file: the cache is
    damaged)."""
    try:
        return np.load(root / name, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise _damaged(root, f"{name} is missing") from None
    except (OSError, ValueError) as err:
        raise _damaged(root, f"{name} can't be read ({err})") from None


def _open_keys(root: Path, count: int, escaped: bool, files: dict[str, str]) -> KeyList:
    """The keys of a version-2 or 3 cache, opened without reading them: the keys file and the
    two tables are memory-mapped, and only their sizes are checked (no work per key)."""
    # Plain ndarray views of the maps: indexing an np.memmap is several times slower.
    offsets_file, hash_file, keys_file = files["offsets"], files["hash"], files["keys"]
    offsets = _map_npy(root, offsets_file).view(np.ndarray)
    if offsets.dtype != np.int64 or offsets.shape != (count + 1,):
        raise _damaged(
            root,
            f"{offsets_file} holds {offsets.shape} {offsets.dtype} but {count:,} keys need "
            f"({count + 1},) int64",
        )
    table = _map_npy(root, hash_file).view(np.ndarray)
    if table.dtype not in (np.int32, np.int64) or table.shape != (table_size(count),):
        raise _damaged(
            root,
            f"{hash_file} holds {table.shape} {table.dtype} but {count:,} keys need "
            f"({table_size(count)},) int32 or int64",
        )
    keys_path = root / keys_file
    try:
        size = keys_path.stat().st_size
    except FileNotFoundError:
        raise _damaged(root, f"{keys_file} is missing") from None
    if offsets[0] != 0 or offsets[-1] != size:
        raise _damaged(
            root,
            f"{keys_file} has {size:,} bytes but {offsets_file} says {int(offsets[-1]):,}",
        )
    data: bytes | mmap.mmap = b""
    if size:  # mmap can't map an empty file
        with open(keys_path, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return KeyList(data, offsets, table, escaped=escaped, source=str(keys_path))


def _read_keys(path: Path, count: int) -> list[str]:
    """The keys of a version-1 cache (no offsets or hash table): read and split them."""
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


def read_cache(
    path: str | os.PathLike, *, selector: RowSelector, dtype: np.dtype
) -> tuple[Sequence[str], np.ndarray, dict[str, Any]]:
    """Open a cache: ``(keys, matrix, report fields)``.

    The matrix is a read-only memory map unless ``vocab=`` picks rows or ``dtype`` differs
    from the stored one (then a copy). The keys are a :class:`KeyList` (nothing decoded yet;
    ``limit=`` gives a shorter one) for a version-2 cache, a list for ``vocab=`` or a
    version-1 cache.
    """
    root = Path(path)
    keys, vectors = _open_current(root)
    count, dim = vectors.shape
    if selector.limit is not None and selector.limit < count:
        limit = selector.limit
        keys = keys.head(limit) if isinstance(keys, KeyList) else keys[:limit]
        vectors = vectors[:limit]
    selector.read = len(keys)
    if selector.words is None:  # every key of a cache is unique: no selection to do
        if vectors.dtype != dtype:
            vectors = vectors.astype(dtype)
        return keys, vectors, {"duplicates_dropped": 0}
    if isinstance(keys, KeyList):
        # Look the vocabulary words (and their lower case) up in the hash index and offer the
        # selector only the rows found, in file order: ~1 us a word instead of decoding every
        # key of the cache.
        wanted = set(selector.words)
        if selector.lower_case_backup:
            wanted |= {w.lower() for w in wanted}
        found = sorted(row for row in map(keys.find, wanted) if row >= 0)
        chosen = selector.choose([keys[row] for row in found])
        keep: np.ndarray | None = np.asarray(found, dtype=np.int64)[chosen]
        selector.read = len(keys)
    else:
        keep = selector.choose(list(keys))
    rows, fields = selector.finish(str(root))
    picked = np.arange(len(keys)) if keep is None else keep
    if rows is not None:
        picked = picked[rows]
    out = GrowingRows(dim, dtype, len(picked))
    for lo in range(0, len(picked), 4096):  # a block at a time (increasing rows)
        out.append(vectors[picked[lo : lo + 4096]])
    return selector.keys, out.finish(), fields


def _open_current(root: Path) -> tuple[Sequence[str], np.ndarray]:
    """The keys and the memory-mapped matrix of the cache ``meta.json`` points to now.

    A writer replacing the cache deletes the old files once the new ``meta.json`` is in place;
    a reader that read the old one just before finds a file missing: it reads ``meta.json``
    again and, if it points elsewhere now, opens the new files (a damaged cache, whose
    ``meta.json`` stays the same, fails as it is)."""
    meta = read_meta(root)
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            return _open_files(root, meta)
        except (FileNotFoundError, VectorFileError):
            try:
                newer = read_meta(root)
            except VectorFileError:
                newer = meta
            if newer == meta or attempt == _OPEN_ATTEMPTS - 1:
                raise
            meta = newer
    raise AssertionError("unreachable")


def _open_files(root: Path, meta: dict[str, Any]) -> tuple[Sequence[str], np.ndarray]:
    """The keys and matrix of the files ``meta`` names (all opened or mapped before this
    returns: from then on, deleting them does not affect the reader on POSIX)."""
    count, dim = int(meta["count"]), int(meta["dim"])
    files = file_names(meta)
    vectors = _map_npy(root, files["vectors"])
    if vectors.shape != (count, dim):
        raise VectorFileError(
            f"{str(root)!r}: {files['vectors']} has shape {vectors.shape} but meta.json says "
            f"({count}, {dim}): the cache is damaged; save it again"
        )
    keys: Sequence[str]
    if meta.get("version", 1) >= 2:
        # No "keys_escaped" (a hand-made meta.json): unescape to be safe, only slower.
        escaped = bool(meta.get("keys_escaped", True))
        keys = _open_keys(root, count, escaped, files)
    else:
        keys = _read_keys(root / files["keys"], count)
    return keys, vectors


# ---- writing ------------------------------------------------------------------------------------
def _key_files(keys: Sequence[str]) -> tuple[bytes, np.ndarray, np.ndarray, bool]:
    """``(keys.txt bytes, offsets, hash table, escaped)`` for ``keys``.

    A :class:`KeyList` (a loaded cache being saved again) hands over its stored bytes and
    tables; other keys are escaped, encoded and hashed here (~1 s for 3M keys).
    """
    if isinstance(keys, KeyList):
        data, offsets, table = keys.file_parts()
        return data, offsets, table, keys.escaped
    escaped = [escape_key(k) for k in keys]
    lines = [line.encode("utf-8") for line in escaped]
    data = b"\n".join(lines) + b"\n" if lines else b""
    table = build_table(line_hashes(lines, len(lines)))
    return data, line_offsets(lines), table, b"\\" in data


def _write_synced(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a new file (never over one: "x") and flush it to the disk before it is put in
    use (its directory renamed into place, or meta.json pointed at it)."""
    with open(path, "xb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def write_cache(path: str | os.PathLike, keys: Sequence[str], vectors: np.ndarray) -> None:
    """Save ``keys`` (unique: ``save_vectors`` checks) and ``vectors`` as a cache directory at
    ``path``, atomically: a reader, even one in another process, sees the old cache or the new
    one, never a missing or partial one."""
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
    if len(keys) != count:
        raise ValueError(f"got {len(keys):,} keys but {count:,} vectors; they must match")
    data, offsets, table, escaped = _key_files(keys)
    meta: dict[str, Any] = {
        "format": CACHE_MARKER,
        "version": 2,
        "count": count,
        "dim": dim,
        "dtype": str(vectors.dtype),
        "keys_escaped": escaped,
    }
    parts = (vectors, data, offsets, table)
    if target.exists():
        _replace_cache(target, meta, parts)
        return
    # A new cache: a whole directory, renamed into place.
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        _write_files(tmp, DEFAULT_FILES, parts)
        (tmp / CACHE_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_files(root: Path, names: dict[str, str], parts: tuple) -> None:
    """The four data files, under ``names``, each flushed to the disk."""
    vectors, data, offsets, table = parts

    def save_array(array: np.ndarray) -> Callable[[IO[bytes]], None]:
        return lambda f: np.save(f, np.ascontiguousarray(array), allow_pickle=False)

    _write_synced(root / names["vectors"], save_array(vectors))
    _write_synced(root / names["keys"], lambda f: f.write(data))
    _write_synced(root / names["offsets"], save_array(offsets))
    _write_synced(root / names["hash"], save_array(table))


def _replace_cache(target: Path, meta: dict[str, Any], parts: tuple) -> None:
    """Replace the cache at ``target`` without a moment when it is missing: the new files
    beside the old ones under fresh names, then ``meta.json`` (the pointer) replaced in one
    rename, then the old files deleted."""
    try:
        old_names = file_names(read_meta(target))
    except VectorFileError:  # a damaged cache is replaced too; its files may be anywhere
        old_names = dict(DEFAULT_FILES)
    token = secrets.token_hex(6)
    names = {role: _token_name(default, token) for role, default in DEFAULT_FILES.items()}
    try:
        _write_files(target, names, parts)
        meta = dict(meta, version=3, files=names)
        with atomic_write(target / CACHE_META, "w", encoding="utf-8") as f:
            f.write(json.dumps(meta, indent=1) + "\n")
    except BaseException:
        for name in set(names.values()) - set(old_names.values()):  # only what was new
            with contextlib.suppress(OSError):
                os.unlink(target / name)
        raise
    for name in set(old_names.values()) - set(names.values()):
        # Readers that opened them keep their maps (POSIX); where an open file can't be
        # deleted (Windows), it is left behind: unused, as meta.json no longer names it.
        with contextlib.suppress(OSError):
            os.unlink(target / name)


def _token_name(name: str, token: str) -> str:
    """``keys.offsets.npy`` -> ``keys.<token>.offsets.npy``: the files of one version."""
    stem, _, rest = name.partition(".")
    return f"{stem}.{token}.{rest}"
