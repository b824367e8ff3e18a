"""Atomic file writes: write to a temporary file beside the target, then rename it over.

A crash or an exception mid-write leaves an existing file exactly as it was, and readers never
see a half-written file (``os.replace`` is atomic on POSIX and Windows within one directory).

Exclusive creation (mode ``"x"``, as ``open``'s) never replaces a file: the finished temporary
file is hard-linked to the target, which fails if the target exists, also when another process
made it while this one was writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _current_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: put it back at once
    os.umask(mask)
    return mask


# Read once, at import: setting it twice at every write would race with other threads' files.
_UMASK = _current_umask()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing; on success rename it to ``path``, on error delete it.

    ``mode`` is ``open``'s: ``"w"``/``"wb"`` replace ``path``; ``"x"``/``"xb"`` create it and
    raise ``FileExistsError`` if it exists, checked before anything is written and again,
    atomically, when the file is put in place (if it appeared in between, it is left as it is
    and the new content is dropped).

    >>> with atomic_write("/tmp/firstlayer-example.txt", "w") as f:
    ...     _ = f.write("hello")
    """
    if "w" not in mode and "x" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    exclusive = "x" in mode
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            f"can't write {str(target)!r}: folder {str(directory)!r} does not exist"
        )
    if exclusive and os.path.lexists(target):
        # early, so the caller does not compute and write content that cannot be kept
        raise FileExistsError(errno.EEXIST, "File exists (mode 'x' never replaces)", str(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the mode that open() would have: the
        # replaced file's, or 0666 less the umask (usually 0644) for a new one.
        try:
            permissions = target.stat().st_mode & 0o7777
        except OSError:
            permissions = 0o666 & ~_UMASK
        os.chmod(tmp, permissions)
        with os.fdopen(fd, mode.replace("x", "w"), **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            _link_new(tmp, target)
        else:
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _link_new(tmp: str, target: Path) -> None:
    """Put the finished ``tmp`` at ``target`` only if nothing is there (``FileExistsError``
    otherwise), atomically: ``link`` never replaces, unlike ``rename``/``replace``."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        # a file system without hard links (some network and FUSE mounts, FAT): claim the
        # name with O_EXCL, then move the content over it. Still never replaces another's
        # file; a reader may only see the claimed name empty for a moment.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            os.replace(tmp, target)
        except BaseException:
            os.unlink(target)  # the empty file claimed just above, no one else's
            raise
        return
    os.unlink(tmp)
