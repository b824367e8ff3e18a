"""``PathLineSentences``: gensim's reader of every file in a directory as one corpus.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with open(os.path.join(folder, "a.txt"), "w") as f:
...     _ = f.write("the cat\\n")
>>> list(PathLineSentences(folder))
[['the', 'cat']]
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ._corpus import MAX_WORDS_IN_BATCH, LineSentence

__all__ = ["PathLineSentences"]


class PathLineSentences:
    """The sentences of every file in a directory, file after file in name order (or of one
    file), each read as :class:`~firstlayer.models.LineSentence` reads it: one sentence per
    line, cut into pieces of ``max_sentence_length`` tokens; compressed files (gzip, bz2, xz)
    are read directly. ``limit``: the first lines of each file only. gensim's class.

    Raises:
        ValueError: ``source`` is neither a file nor a directory.
    """

    def __init__(
        self, source: str | os.PathLike, max_sentence_length: int = MAX_WORDS_IN_BATCH,
        limit: int | None = None,
    ) -> None:
        self.source = os.fspath(source)
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        if os.path.isfile(self.source):
            self.input_files = [self.source]
        elif os.path.isdir(self.source):
            self.input_files = sorted(
                os.path.join(self.source, name) for name in os.listdir(self.source)
            )
        else:
            raise ValueError(f"input is neither a file nor a path: {self.source!r}")

    def __repr__(self) -> str:
        return f"PathLineSentences({self.source!r})"

    def __iter__(self) -> Iterator[list[str]]:
        for name in self.input_files:
            for sentence in LineSentence(name, self.max_sentence_length, self.limit):
                yield list(sentence)
