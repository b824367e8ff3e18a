"""``dropout``: during training, zero each element with probability ``p`` and scale the rest by
``1 / (1 - p)`` (inverted dropout), so that the expected value of every element is unchanged and
evaluation needs no rescaling: in eval mode dropout is the identity.
"""

from __future__ import annotations

import numpy as np

from ... import _random
from ..._errors import TypeRuntimeError
from ..._random import Generator
from ...tensor import Tensor


def check_probability(p: float) -> None:
    """torch's check, shared with ``nn.Dropout``: ``p`` must lie in [0, 1]."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p`` and multiply the others by ``1 / (1 - p)``.

    ``out = input * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)`` drawn anew at each call;
    the gradient is ``mask / (1 - p)`` times the output's. With ``training=False``, ``p = 0`` or
    an empty input, ``input`` itself is returned; ``p = 1`` gives zeros (``input * 0``).

    Args:
        input: a floating point tensor of any shape.
        p: the probability of an element to be zeroed, in [0, 1].
        training: apply dropout (``True``) or return ``input`` unchanged (``False``); layers
            pass their ``self.training``.
        inplace: write the result into ``input`` and return it.
        generator: the ``firstlayer.Generator`` the mask is drawn from (firstlayer's
            extension; default: the global one that ``firstlayer.manual_seed`` seeds).

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> out = dropout(torch.ones(8), 0.5, generator=g)
    >>> sorted(set(out.tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    check_probability(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if not input.dtype.is_floating_point:
        raise TypeRuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{input.dtype.scalar_name}: dropout needs a floating point input, got "
            f"{input.dtype}; call .float() first"
        )
    x = input._data
    t = x.dtype.type
    if p == 1:
        noise = np.zeros((), x.dtype)  # as torch: input * 0, so nan and inf give nan
    else:
        # float32 draws whatever the input's dtype: one seed, one mask.
        keep = _random.rng(generator).random(x.shape, dtype=np.float32) < np.float32(1 - p)
        noise = keep.astype(x.dtype) / t(1 - p)

    def op(a: Tensor) -> Tensor:
        def backward(g: np.ndarray) -> tuple:
            return (g * noise,)

        with np.errstate(invalid="ignore"):  # inf * 0 = nan, as in torch
            out = a._data * noise
        return Tensor._make(out, (a,), backward, "MulBackward0")

    return input._inplace("dropout_", op) if inplace else op(input)
