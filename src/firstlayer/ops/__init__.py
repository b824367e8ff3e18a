"""Differentiable tensor ops: each is a forward function with its backward closure right below.

``arithmetic`` (+ - * / ** @), ``reduction`` (sum, mean, norm), ``shape`` (reshape, transpose,
indexing, casts), ``pointwise`` (exp, log, relu, tanh, sigmoid). The first-layer ops
(embedding, linear, one_hot, softmax, losses) live in ``firstlayer.nn.functional``.
"""

from . import arithmetic, pointwise, reduction, shape

__all__ = ["arithmetic", "pointwise", "reduction", "shape"]
