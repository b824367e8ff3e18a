"""``firstlayer.nn.functional``: the ops a model's first layer is made of, each with its backward.

text -> ids -> ``embedding`` / ``one_hot`` + ``linear`` -> activations -> ``cross_entropy``.
"""

from .activation import gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, tanh
from .conv import conv1d
from .distance import cosine_similarity, normalize, pairwise_distance
from .dropout import dropout
from .embedding import embedding, one_hot
from .embedding_bag import embedding_bag
from .linear import linear
from .loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .normalization import layer_norm
from .padding import pad
from .pooling import adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, max_pool1d

__all__ = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "avg_pool1d", "conv1d", "cosine_similarity",
    "dropout", "gelu", "layer_norm", "leaky_relu", "max_pool1d", "normalize", "pad",
    "pairwise_distance", "silu",
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
