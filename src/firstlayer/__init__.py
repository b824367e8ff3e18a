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

from . import nn, optim, text
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
from .serialization import load, save
from .sparse import RowSparseTensor
from .tensor import Size, Tensor, as_tensor, from_numpy, tensor

__version__ = "0.1.0"

__all__ = [
    "load", "save",
    "Generator", "RowSparseTensor", "Size", "Tensor", "arange", "as_tensor", "bool",
    "default_generator", "double", "dtype", "empty", "empty_like", "enable_grad", "eye",
    "float", "float16", "float32", "float64", "from_numpy", "full", "full_like",
    "get_printoptions", "half", "initial_seed", "int", "int32", "int64", "is_grad_enabled",
    "linspace", "long", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "seed", "set_grad_enabled",
    "set_printoptions", "tensor", "text", "zeros", "zeros_like",
]
