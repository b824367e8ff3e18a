"""What goes wrong reading a vector file, as exception types a caller can catch.

Every message names the file, the line (text) or byte offset (binary), what was found, and the
way out.
"""

from __future__ import annotations


class VectorFileError(ValueError):
    """The file's content is not what its format promises: a short row, a non-number, a header
    that disagrees with the rows, bytes that are not valid in the encoding."""


class VectorDecodeError(VectorFileError, UnicodeDecodeError):
    """A key's bytes are not valid in the encoding (with ``unicode_errors="strict"``). Also a
    ``UnicodeDecodeError``, which is what gensim raises here; ``str()`` is the message naming
    the file, the place and the way out."""

    def __init__(self, message: str, word: bytes, encoding: str) -> None:
        try:
            word.decode(encoding)
            start, end, reason = 0, len(word), "invalid data"
        except UnicodeDecodeError as err:
            start, end, reason = err.start, err.end, err.reason
        except LookupError:  # an unknown encoding fails earlier; keep the message usable
            start, end, reason = 0, len(word), "unknown encoding"
        UnicodeDecodeError.__init__(self, encoding, word, start, end, reason)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.object, self.encoding))


class TruncatedVectorFileError(VectorFileError, EOFError):
    """The file ends before the vectors its header promises (gensim raises ``EOFError``
    here; this is one)."""
