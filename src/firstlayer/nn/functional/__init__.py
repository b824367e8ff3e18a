"""``firstlayer.nn.functional``: the ops a model's first layer is made of, each with its backward.

text -> ids -> ``embedding`` / ``one_hot`` + ``linear`` -> activations -> ``cross_entropy``.
"""

from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .embedding import embedding, one_hot
from .embedding_bag import embedding_bag
from .linear import linear
from .loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "embedding",
    "embedding_bag",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
