"""Layers: thin shells that own ``Parameter``s and call ``nn.functional``."""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .container import (
    Identity,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from .conv import Conv1d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .flatten import Flatten, Unflatten
from .linear import Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .pooling import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, MaxPool1d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AvgPool1d", "Conv1d", "CosineSimilarity",
    "Dropout", "Flatten", "GELU", "LayerNorm", "LeakyReLU", "MaxPool1d", "ModuleDict",
    "PairwiseDistance", "ParameterDict", "ParameterList", "SiLU", "Unflatten",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase",
    "EmbeddingBag",
    "BCEWithLogitsLoss", "MSELoss", "NLLLoss",
    "CrossEntropyLoss", "Embedding", "Identity", "Linear", "LogSoftmax", "Module", "ModuleList",
    "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]
