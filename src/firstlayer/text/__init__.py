"""Text -> tokens -> ids: the step before the first layer.

``tokenize`` splits text into tokens (characters, words, whitespace, torchtext's
``basic_english``, or jieba for Chinese words); ``vocab`` turns tokens into ids and back with
torchtext's ``Vocab`` API. The ids go into ``nn.Embedding``.

>>> from firstlayer.text import build_vocab_from_iterator, char_tokenize
>>> lines = ["我 你", "我"]
>>> v = build_vocab_from_iterator(map(char_tokenize, lines), specials=["<unk>"])
>>> v.set_default_index(v["<unk>"])
>>> v(char_tokenize("你我他"))
[2, 1, 0]

``firstlayer.text.vocab`` is the module (as ``torchtext.vocab`` is): torchtext's factory
function of the same name is ``firstlayer.text.vocab.vocab``.
"""

from . import tokenize, vocab
from .tokenize import (
    basic_english_tokenize,
    char_tokenize,
    get_tokenizer,
    jieba_tokenize,
    whitespace_tokenize,
    word_tokenize,
)
from .vocab import Vocab, VocabIndexError, VocabKeyError, build_vocab_from_iterator

__all__ = [
    "Vocab",
    "VocabIndexError",
    "VocabKeyError",
    "basic_english_tokenize",
    "build_vocab_from_iterator",
    "char_tokenize",
    "get_tokenizer",
    "jieba_tokenize",
    "tokenize",
    "vocab",
    "whitespace_tokenize",
    "word_tokenize",
]
