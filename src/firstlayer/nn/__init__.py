"""``firstlayer.nn``: parameters, modules (Embedding, Linear, containers), ``functional`` ops and
``init`` schemes, with PyTorch's names (``import firstlayer.nn as nn``)."""

from . import functional, init, utils
from .modules import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Embedding,
    EmbeddingBag,
    Identity,
    Linear,
    LogSoftmax,
    Module,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "EmbeddingBag",
    "utils",
    "BCEWithLogitsLoss", "MSELoss", "NLLLoss",
    "CrossEntropyLoss", "Embedding", "Identity", "Linear", "LogSoftmax", "Module", "ModuleList",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init",
]
