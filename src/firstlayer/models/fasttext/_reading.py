"""Reading text the way fastText reads it: files in blocks, tokens, one ``</s>`` per newline.

``tokenize`` turns blocks of bytes into :class:`Tokens` (each distinct token once, with its
count and fastText's hash, and the text as ids into them), through the compiled
``_read_kernels.tokenize_block``. The helpers around it read a file in blocks that end at a
newline, turn strings into such a block, and quote a file's line in an error message.

>>> t = tokenize([b"a b a\\n"])
>>> t.distinct, t.ids.tolist()
([b'a', b'b', b'</s>'], [0, 1, 0, 2])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ._hash import EOS

__all__ = ["EOS_BYTES", "SupervisedFileError", "Tokens", "tokenize"]

PathLike = str | os.PathLike

EOS_BYTES = EOS.encode()
_READ_BLOCK = 1 << 24  # bytes read at a time: the token lists of one block stay small
_EOS_ARRAY = np.frombuffer(EOS_BYTES, np.uint8)


class SupervisedFileError(ValueError):
    """A training or test file that cannot be used as it is; the message names the file, the
    line and the way out."""


@dataclass
class Tokens:
    """A file as a stream of token ids, each newline a ``</s>`` token (fastText's reading).

    ``distinct``: each distinct token once, as bytes, in order of first appearance;
    ``ids`` ``(T,)`` int32: the file's tokens as indices into ``distinct``;
    ``counts`` ``(len(distinct),)`` int64: how often each occurs;
    ``hashes`` ``(len(distinct),)`` int32: each one's ``fnv1a``, as fastText stores it.
    """

    distinct: list[bytes]
    ids: np.ndarray
    counts: np.ndarray
    hashes: np.ndarray

    def find(self, token: bytes) -> int:
        try:
            return self.distinct.index(token)
        except ValueError:
            return -1




def tokenize(blocks: Iterable[bytes]) -> Tokens:
    """fastText's ``readWord`` over whole blocks (compiled: ``_read_kernels.tokenize_block``):
    tokens are split at ASCII whitespace and NUL, and each newline is a ``</s>`` token, so that
    a line's tokens end with it, as in fastText.

    Blocks must end at a newline (or at the end of the text), so that no token is cut in two.
    """
    from . import _read_kernels as K  # numba loads only when text is read

    table = np.full(1 << 16, -1, np.int32)
    keys = np.empty(1 << 20, np.uint8)
    key_ptr = np.zeros((1 << 15) + 1, np.int64)
    key_hash = np.zeros(1 << 15, np.uint32)
    counts = np.zeros(1 << 15, np.int64)
    nkeys, eos_id = 0, -1
    parts = []
    for block in blocks:
        buf = np.frombuffer(block, np.uint8)
        # at most one token per two bytes (a byte and a separator), plus one per newline
        ids = np.empty(len(block) // 2 + 1 + block.count(b"\n"), np.int32)
        pos = nt = 0
        while True:
            pos, nt, nkeys, eos_id, status = K.tokenize_block(
                buf, pos, _EOS_ARRAY, eos_id, table, keys, key_ptr, key_hash, counts, nkeys,
                ids, nt,
            )
            if status != K.FULL:
                break
            # a new token did not fit: double whatever is full, then go on from it
            if key_ptr[nkeys] + 4096 > keys.size:
                keys = _grown(keys, 2 * keys.size + len(block))
            if nkeys + 1 >= key_hash.size:
                key_hash = _grown(key_hash, 2 * key_hash.size)
                counts = _grown(counts, key_hash.size)
                key_ptr = _grown(key_ptr, key_hash.size + 1)
            if 2 * (nkeys + 1) > table.size:
                table = K.rehash(2 * table.size, key_hash, nkeys)
        parts.append(ids[:nt])
    bounds = key_ptr[: nkeys + 1].tolist()
    blob = keys[: bounds[-1]].tobytes()
    distinct = [blob[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return Tokens(
        distinct,
        np.concatenate(parts) if parts else np.empty(0, np.int32),
        counts[:nkeys].copy(),
        key_hash[:nkeys].view(np.int32).copy(),
    )


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, a.dtype)
    out[: a.size] = a
    return out


def file_blocks(path: PathLike) -> Iterator[bytes]:
    """The file in blocks of about ``_READ_BLOCK`` bytes, each ending at a newline."""
    with open(path, "rb") as f:
        rest = b""
        while True:
            block = f.read(_READ_BLOCK)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
        if rest:
            yield rest


def text_lines(texts: Sequence[str]) -> bytes:
    """Lines given as strings -> the bytes of a file with one line each (newlines in a text
    become spaces: fastText's ``predict`` would raise, and a newline separates words anyway)."""
    return b"".join(
        text.replace("\n", " ").encode("utf-8", "surrogateescape") + b"\n" for text in texts
    )


def check_readable(path: PathLike, what: str) -> str:
    path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise TypeError(f"{what} must be a path to a text file, got {path!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path!r} is a folder, not a text file")
    return path


def line_text(path: PathLike, lineno: int, width: int = 60) -> str:
    """Line ``lineno`` (1-based) of a file, shortened for an error message."""
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if i == lineno:
                text = line.rstrip(b"\r\n").decode("utf-8", "replace")
                return text if len(text) <= width else text[: width - 3] + "..."
    return ""
