"""``firstlayer.optim``: optimizers that take dense and row-sparse gradients."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]
