"""Decoding a batch of words (the keys of a vector file) from bytes: fast when they are valid.

The text and binary readers both gather a batch's words, separated by newlines, into one
buffer. Valid words, the usual case, are decoded with one ``bytes.decode`` and one
``str.split`` (C speed, no Python call per word). Only when that fails (an invalid byte, or a
word that holds a newline) are the words decoded one by one, to name the bad word in the error
or to repair it as ``unicode_errors`` says.

>>> decode_words(b"a\\nb", 2, lambda: [b"a", b"b"], "utf-8", "strict", None)
(['a', 'b'], 0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["decode_words"]

# how many bytes around an invalid one an error message quotes
_CONTEXT = 12


def decode_words(
    joined: bytes,
    count: int,
    words: Callable[[], Sequence[bytes]],
    encoding: str,
    unicode_errors: str,
    invalid: Callable[[int, bytes, bytes], Exception] | None,
) -> tuple[list[str], int]:
    """The ``count`` words of ``joined`` (separated by ``b"\\n"``) as ``str``, and how many of
    them were repaired.

    Args:
        joined: the words separated by newlines.
        count: how many words ``joined`` holds.
        words: gives the words one by one (called only when the fast path fails).
        encoding: their encoding.
        unicode_errors: ``"strict"`` (an invalid word raises ``invalid(...)``), or how to
            repair it (``"replace"``, ``"ignore"``, as ``bytes.decode``).
        invalid: ``invalid(i, word, bad)`` is the error for word ``i`` (``bad``: the invalid
            bytes with a few around them); needed with ``"strict"``.
    """
    try:
        keys = joined.decode(encoding).split("\n")
        if len(keys) == count:  # else a word holds a newline: decode them one by one
            return keys, 0
    except UnicodeDecodeError:
        pass
    keys, repaired = [], 0
    for i, word in enumerate(words()):
        try:
            keys.append(word.decode(encoding))
        except UnicodeDecodeError as err:
            if unicode_errors == "strict":
                assert invalid is not None, "strict decoding needs an error to raise"
                bad = word[max(err.start - _CONTEXT, 0) : err.end + _CONTEXT]
                raise invalid(i, word, bad) from None
            keys.append(word.decode(encoding, unicode_errors))
            repaired += 1
    return keys, repaired
