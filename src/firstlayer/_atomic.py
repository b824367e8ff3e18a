"""Atomic file writes: write to a temporary file beside the target, then rename it over.

A crash or an exception mid-write leaves an existing file exactly as it was, and readers never
see a half-written file (``os.replace`` is atomic on POSIX and Windows within one directory).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing; on success rename it to ``path``, on error delete it.

    >>> with atomic_write("/tmp/firstlayer-example.txt", "w") as f:
    ...     _ = f.write("hello")
    """
    if "w" not in mode and "x" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            f"can't write {str(target)!r}: folder {str(directory)!r} does not exist"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode.replace("x", "w"), **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
