"""Differentiable tensor ops: each is a forward function with its backward closure right below.

``arithmetic`` (+ - * / ** @), ``reduction`` (sum, mean, prod, logsumexp, norm, any, all),
``moments`` (var, std), ``extrema`` (max, min, amax, argmax, maximum), ``sorting`` (sort,
argsort, topk), ``scan`` (cumsum, cumprod), ``shape`` (reshape, transpose,
indexing, casts, repeat), ``pointwise`` (exp, log, relu, tanh, sigmoid, clamp), ``join`` (cat,
stack, split, chunk, unbind), ``indexing`` (where, masked_fill, gather, index_select, scatter,
scatter_add). The first-layer ops
(embedding, linear, one_hot, softmax, losses) live in ``firstlayer.nn.functional``.
"""

from . import (
    arithmetic,
    extrema,
    indexing,
    join,
    moments,
    pointwise,
    reduction,
    scan,
    shape,
    sorting,
)

__all__ = ["arithmetic", "indexing", "join", "pointwise", "reduction", "shape"]
__all__ += ["extrema", "moments", "scan", "sorting"]
