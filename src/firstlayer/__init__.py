"""firstlayer: a model's first layer from scratch on NumPy, with PyTorch's names.

Read it in the order data flows: ``tensor`` and ``autograd`` (arrays that remember how they were
made), ``ops`` (differentiable maths), ``nn.functional`` (embedding, one_hot, linear, losses),
``nn`` (Embedding and Linear layers, ``init``), ``optim`` (the update step).

>>> import firstlayer as torch
>>> import firstlayer.nn as nn
>>> emb = nn.Embedding(vocab_size=2, emb_size=2)
>>> emb(torch.tensor([0, 1])).shape
torch.Size([2, 2])
"""

from . import backends, cuda, nn, optim, return_types, text, utils
from ._device import device
from ._dtype import (
    bool_ as bool,  # noqa: A004
)
from ._dtype import (
    double,
    dtype,
    float16,
    float32,
    float64,
    half,
    int32,
    int64,
    long,
)
from ._dtype import float as float  # noqa: A004
from ._dtype import int as int  # noqa: A004
from ._functions import (
    abs,  # noqa: A004
    add,
    allclose,
    bmm,
    clamp,
    clamp_,
    clamp_max,
    clamp_min,
    clip,
    clip_,
    clone,
    detach,
    div,
    dot,
    equal,
    exp,
    fill_,
    flatten,
    flip,
    is_floating_point,
    is_tensor,
    log,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    masked_fill,
    matmul,
    mm,
    mul,
    neg,
    numel,
    outer,
    permute,
    pow,  # noqa: A004
    relu,
    relu_,
    repeat_interleave,
    reshape,
    roll,
    round,  # noqa: A004
    sigmoid,
    softmax,
    sqrt,
    square,
    squeeze,
    sub,
    t,
    tanh,
    transpose,
    tril,
    triu,
    unsqueeze,
    zero_,
)
from ._mapped import from_file
from ._printing import get_printoptions, set_printoptions
from ._random import Generator, default_generator, initial_seed, manual_seed, seed
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .idmap import IdMap
from .ops.arithmetic import eq, ge, gt, le, lt, ne
from .ops.arithmetic import ge as greater_equal
from .ops.arithmetic import gt as greater
from .ops.arithmetic import le as less_equal
from .ops.arithmetic import lt as less
from .ops.arithmetic import ne as not_equal
from .ops.extrema import amax, amin, argmax, argmin, max, maximum, min, minimum  # noqa: A004
from .ops.indexing import (
    gather,
    index_select,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    unique,
    where,
)
from .ops.join import cat, chunk, concat, concatenate, split, stack, unbind
from .ops.moments import std, std_mean, var, var_mean
from .ops.pointwise import (
    ceil,
    cos,
    floor,
    isfinite,
    isinf,
    isnan,
    log1p,
    reciprocal,
    rsqrt,
    sign,
    sin,
)
from .ops.reduction import all, any, logsumexp, mean, norm, prod, sum  # noqa: A004
from .ops.scan import cumprod, cumsum
from .ops.sorting import argsort, sort, topk
from .serialization import load, save
from .sparse import RowSparseTensor
from .tensor import (
    BoolTensor,
    DoubleTensor,
    FloatTensor,
    IntTensor,
    LongTensor,
    Size,
    Tensor,
    as_tensor,
    from_numpy,
    tensor,
)

__version__ = "0.1.0"

__all__ = [
    "load", "save",
    "BoolTensor", "DoubleTensor", "FloatTensor", "IntTensor", "LongTensor",
    "backends", "cuda", "device", "utils",
    # module-level forms of Tensor methods (_functions.py) and ops with torch's signatures
    "abs", "add", "allclose", "bmm", "cat", "chunk", "clamp", "clamp_max", "clamp_min", "clip",
    "clone", "concat", "concatenate", "div", "eq", "equal", "exp", "flatten", "gather", "ge",
    "gt", "index_select", "is_tensor", "le", "log", "log_softmax", "logical_and",
    "logical_not", "logical_or", "lt", "masked_fill", "matmul", "mm", "mul", "ne", "neg",
    "nonzero", "numel", "permute", "pow", "relu", "reshape", "scatter", "scatter_add",
    "sigmoid", "softmax", "split", "sqrt", "squeeze", "stack", "sub", "t", "tanh", "transpose",
    "unbind", "unsqueeze", "where",
    "ceil", "clamp_", "clip_", "cos", "detach", "dot", "fill_", "flip", "floor", "greater",
    "greater_equal", "is_floating_point", "isfinite", "isinf", "isnan", "less", "less_equal",
    "log1p", "masked_select", "not_equal", "outer", "reciprocal", "relu_", "repeat_interleave",
    "roll", "round", "rsqrt", "sign", "sin", "square", "tril", "triu", "unique", "zero_",
    # reductions, scans and sorting (ops/reduction, moments, extrema, scan, sorting)
    "all", "amax", "amin", "any", "argmax", "argmin", "argsort", "cumprod", "cumsum",
    "logsumexp", "max", "maximum", "mean", "min", "minimum", "norm", "prod", "return_types",
    "sort", "std", "std_mean", "sum", "topk", "var", "var_mean",
    "Generator", "IdMap", "RowSparseTensor", "Size", "Tensor", "arange", "as_tensor", "bool",
    "default_generator", "double", "dtype", "empty", "empty_like", "enable_grad", "eye",
    "float", "float16", "float32", "float64", "from_file", "from_numpy", "full", "full_like",
    "get_printoptions", "half", "initial_seed", "int", "int32", "int64", "is_grad_enabled",
    "linspace", "long", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "seed", "set_grad_enabled",
    "set_printoptions", "tensor", "text", "zeros", "zeros_like",
]

# Subpackages that are heavier to import than most scripts need (vectors' file formats, the
# trainers' compiled kernels, torch interop, the picture): loaded on first attribute access, so
# `firstlayer.vectors.load(...)` works after a bare `import firstlayer` (as `torch.nn` does)
# while `import firstlayer` stays light.
_LAZY_SUBMODULES = (
    "demo", "distributed", "interop", "models", "plot", "projector", "serialization", "vectors",
)


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
