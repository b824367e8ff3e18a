"""``Dropout``: zero random elements while training (``module.train()``), nothing in eval."""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional.dropout import check_probability
from .module import Module


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)``; in eval mode (``model.eval()``) return the input itself.

    Args:
        p: the probability of an element to be zeroed, in [0, 1].
        inplace: write the result into the input.

    Shape: any; the output has the input's shape.

    >>> import firstlayer as torch
    >>> drop = Dropout(0.5).eval()
    >>> x = torch.ones(3)
    >>> drop(x) is x
    True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
