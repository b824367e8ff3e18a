"""``firstlayer.nn``: parameters, modules (Embedding, Linear, containers), ``functional`` ops and
``init`` schemes, with PyTorch's names (``import firstlayer.nn as nn``)."""

from . import functional, init
from .modules import (
    CrossEntropyLoss,
    Embedding,
    Identity,
    Linear,
    LogSoftmax,
    Module,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "CrossEntropyLoss", "Embedding", "Identity", "Linear", "LogSoftmax", "Module", "ModuleList",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init",
]
