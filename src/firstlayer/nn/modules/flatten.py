"""``Flatten`` and ``Unflatten``: merge a range of dims into one, or split one dim into several
(between a conv/pooling stack and a Linear, say)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..._errors import ValueRuntimeError
from ...tensor import Tensor
from .module import Module


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one (``input.flatten(start_dim, end_dim)``).

    Shape: ``(N, *dims)`` -> ``(N, prod(dims))`` with the defaults.

    >>> import firstlayer as torch
    >>> Flatten()(torch.zeros(2, 3, 4)).shape
    torch.Size([2, 12])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        start, end = input._dim_index(self.start_dim), input._dim_index(self.end_dim)
        if start > end:
            raise ValueRuntimeError(
                f"flatten() has invalid args: start_dim cannot come after end_dim (start_dim="
                f"{self.start_dim}, end_dim={self.end_dim} for a {input.dim()}-d input)"
            )
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (one entry may be -1: inferred).

    Shape: ``(*, d, *)`` -> ``(*, *unflattened_size, *)`` with ``prod(unflattened_size) == d``.

    >>> import firstlayer as torch
    >>> Unflatten(1, (2, 3))(torch.zeros(4, 6)).shape
    torch.Size([4, 2, 3])
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, str):
            raise TypeError(
                f"Unflatten: named dims (dim={dim!r}) need named tensors, which firstlayer "
                "doesn't have; pass the dim's index"
            )
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                "unflattened_size must be a tuple of ints, but found type "
                f"{type(unflattened_size).__name__}"
            )
        for i, s in enumerate(unflattened_size):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(
                    f"unflattened_size must be tuple of ints, but found element of type "
                    f"{type(s).__name__} at pos {i}"
                )
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        d = input._dim_index(self.dim)
        n = input.shape[d]
        sizes = [int(s) for s in self.unflattened_size]
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
            raise ValueRuntimeError(
                f"unflatten: at most one size may be -1 and none below, got {sizes}"
            )
        known = int(np.prod([s for s in sizes if s != -1]))
        if -1 in sizes:
            sizes[sizes.index(-1)] = n // known if known else 0
        if int(np.prod(sizes)) != n:
            raise ValueRuntimeError(
                f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up to "
                f"the size of dim {self.dim} ({n}) in the input tensor"
            )
        shape = tuple(input.shape)
        return input.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
