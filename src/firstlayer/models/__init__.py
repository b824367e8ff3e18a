"""Models that are nothing but a first layer, trained with the model.

- :class:`Word2Vec`: gensim's word2vec (skip-gram and CBOW, negative sampling or hierarchical
  softmax). Its input vectors are an ``nn.Embedding``; its output vectors are a second
  ``nn.Embedding`` used as the output ``Linear`` over the vocabulary.
- :func:`train_supervised`: fastText's text classifier, an ``nn.EmbeddingBag`` (the mean of the
  words' and hashed word n-grams' rows) and an ``nn.Linear`` over the labels; :func:`load_model`.
- :func:`train_unsupervised`: fastText's word vectors (skip-gram, CBOW), each word the mean of
  its own row and its character n-grams' rows.

>>> from firstlayer.models import Word2Vec
>>> model = Word2Vec([["a", "b", "c"]] * 50, vector_size=8, min_count=1, progress=False)
>>> model.wv.vectors.shape
(3, 8)
"""

from ._corpus import LineSentence
from ._w2v_paths import PathLineSentences
from ._w2v_vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP
from .fasttext import FastText, load_model, train_supervised, train_unsupervised
from .word2vec import Word2Vec

__all__ = [
    "RULE_DEFAULT",
    "RULE_DISCARD",
    "RULE_KEEP",
    "FastText",
    "LineSentence",
    "PathLineSentences",
    "Word2Vec",
    "load_model",
    "train_supervised",
    "train_unsupervised",
]
