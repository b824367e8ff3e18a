"""Layers: thin shells that own ``Parameter``s and call ``nn.functional``."""

from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import Identity, ModuleList, Sequential
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .linear import Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module

__all__ = [
    "EmbeddingBag",
    "BCEWithLogitsLoss", "MSELoss", "NLLLoss",
    "CrossEntropyLoss", "Embedding", "Identity", "Linear", "LogSoftmax", "Module", "ModuleList",
    "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]
