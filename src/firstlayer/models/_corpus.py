"""Sentences for the trainers: a list of token lists, or a file with one sentence per line.

gensim's conventions: a corpus is an iterable of sentences, each a list of tokens (strings),
that can be iterated again for every epoch; ``corpus_file`` names a text file in
``LineSentence`` format (tokens separated by whitespace, one sentence per line; here it may be
gzip/bz2/xz compressed too).

>>> sentences = [["the", "cat"], ["a", "dog"]]
>>> list(check_corpus(sentences, None, passes=1))
[['the', 'cat'], ['a', 'dog']]
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import itertools
import lzma
import os
from collections.abc import Iterable, Iterator, Sequence
from types import GeneratorType
from typing import IO, Any

# gensim's MAX_WORDS_IN_BATCH: the size of one training job, and LineSentence's longest sentence.
MAX_WORDS_IN_BATCH = 10000

Sentence = Sequence[str]


class LineSentence:
    """The sentences of a text file: one per line, tokens separated by whitespace (gensim's
    ``LineSentence``). Lines longer than ``max_sentence_length`` tokens come out in pieces of
    that length; gzip, bz2 and xz files are read directly (detected from their first bytes).

    Args:
        source: a path, or a binary or text file object that can ``seek(0)``.
        max_sentence_length: the longest sentence yielded.
        limit: read only the first ``limit`` lines.

    Raises (while iterating):
        ValueError: a line that is not UTF-8, naming the file and line number.

    >>> import io
    >>> list(LineSentence(io.BytesIO(b"the cat sat\\non the mat\\n")))
    [['the', 'cat', 'sat'], ['on', 'the', 'mat']]
    """

    def __init__(
        self, source: Any, max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None
    ) -> None:
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __repr__(self) -> str:
        return f"LineSentence({self.source!r})"

    def __iter__(self) -> Iterator[Sentence]:
        if hasattr(self.source, "seek"):
            self.source.seek(0)
            yield from self._sentences(self.source, getattr(self.source, "name", "<file>"))
            return
        with _open_text_bytes(self.source) as stream:
            yield from self._sentences(stream, os.fspath(self.source))

    def _sentences(self, lines: Iterable[Any], name: str) -> Iterator[Sentence]:
        step = self.max_sentence_length
        for number, line in enumerate(itertools.islice(lines, self.limit), start=1):
            if isinstance(line, bytes):
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(
                        f"{name}: line {number} is not UTF-8 ({exc.reason} at byte "
                        f"{exc.start}); convert the file, e.g. iconv -f latin1 -t utf-8"
                    ) from None
            tokens = line.split()
            for i in range(0, len(tokens), step):
                yield tokens[i : i + step]


# A compressed file is recognised by its first bytes, not its name.
_MAGIC = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}


@contextlib.contextmanager
def _open_text_bytes(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes, decompressed if it is gzip, bz2 or xz."""
    with open(path, "rb") as raw:
        head = raw.read(8)
    opener: Any = open
    for magic, compressed_open in _MAGIC.items():
        if head.startswith(magic):
            opener = compressed_open
    with opener(path, "rb") as stream:
        yield stream


def check_corpus(
    corpus_iterable: Iterable[Sentence] | None, corpus_file: str | os.PathLike | None, passes: int
) -> Iterable[Sentence]:
    """The corpus to iterate: ``corpus_iterable``, or a :class:`LineSentence` over ``corpus_file``.

    Raises:
        TypeError: neither or both given; not an iterable; a one-shot generator for several
            passes; a str given where a list of sentences is expected.
        FileNotFoundError: ``corpus_file`` does not exist.
    """
    if corpus_iterable is None and corpus_file is None:
        raise TypeError(
            "no corpus: pass corpus_iterable (a list of token lists) or corpus_file (a text file, "
            "one sentence per line)"
        )
    if corpus_iterable is not None and corpus_file is not None:
        raise TypeError("pass corpus_iterable or corpus_file, not both")
    if corpus_file is not None:
        if not isinstance(corpus_file, (str, os.PathLike)):
            raise TypeError(f"corpus_file must be a path, got {type(corpus_file).__name__}")
        if not os.path.isfile(corpus_file):
            raise FileNotFoundError(f"corpus_file {os.fspath(corpus_file)!r} does not exist")
        return LineSentence(corpus_file)
    if isinstance(corpus_iterable, (str, bytes)):
        raise TypeError(
            "the corpus is a single string; pass a list of sentences, each a list of tokens, "
            "e.g. [text.split()] or [line.split() for line in lines]"
        )
    if isinstance(corpus_iterable, (io.IOBase,)):
        return LineSentence(corpus_iterable)
    if not isinstance(corpus_iterable, Iterable):
        raise TypeError(
            f"the corpus must be an iterable of sentences (lists of tokens), got "
            f"{type(corpus_iterable).__name__}"
        )
    if isinstance(corpus_iterable, (GeneratorType, Iterator)) and passes > 1:
        raise TypeError(
            f"the corpus is a one-shot iterator (a generator), but training needs {passes} passes "
            f"over it; pass a list, or a class whose __iter__ starts over (like LineSentence)"
        )
    return corpus_iterable


def check_sentence(sentence: Any, number: int) -> None:
    """A sentence must be a list (or tuple) of tokens, not a string (which would iterate over
    its characters)."""
    if isinstance(sentence, (str, bytes)):
        shown = sentence[:40]
        raise TypeError(
            f"sentence {number} is a string ({shown!r}), not a list of tokens; split it first "
            f"(text.split() for words, list(text) for characters)"
        )
