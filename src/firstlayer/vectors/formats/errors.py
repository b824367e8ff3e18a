"""What goes wrong reading a vector file, as exception types a caller can catch.

Every message names the file, the line (text) or byte offset (binary), what was found, and the
way out.
"""

from __future__ import annotations


class VectorFileError(ValueError):
    """The file's content is not what its format promises: a short row, a non-number, a header
    that disagrees with the rows, bytes that are not valid in the encoding."""


class TruncatedVectorFileError(VectorFileError, EOFError):
    """The file ends before the vectors its header promises (gensim raises ``EOFError``
    here; this is one)."""
