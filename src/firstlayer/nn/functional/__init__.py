"""``firstlayer.nn.functional``: the ops a model's first layer is made of, each with its backward.

text -> ids -> ``embedding`` / ``one_hot`` + ``linear`` -> activations -> ``cross_entropy``.
"""

from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .embedding import embedding, one_hot
from .linear import linear
from .loss import cross_entropy, nll_loss

__all__ = [
    "cross_entropy",
    "embedding",
    "linear",
    "log_softmax",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
