"""``Parameter``: a tensor that a Module registers as trainable when assigned to an attribute."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered by ``Module.__setattr__``.

    It shares memory with the tensor it is made from, like ``torch.nn.Parameter``.

    >>> import firstlayer as torch
    >>> p = Parameter(torch.zeros(2))
    >>> p.requires_grad
    True
    """

    _frozen_rows: np.ndarray | None  # see Embedding.freeze_rows

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            arr = np.empty(0, np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            raise TypeError(
                f"Parameter(data) expects a Tensor, got {type(data).__name__}; "
                "wrap arrays with firstlayer.tensor(...) or from_numpy(...) first"
            )
        p = object.__new__(cls)
        p._data = arr
        p._requires_grad = False
        p.grad = None
        p.grad_fn = None
        p._retains_grad = False
        # rows that get no gradient and that no optimizer moves (Embedding.freeze_rows): a
        # (rows,) bool mask, or None
        p._frozen_rows = None
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def _accumulate_grad(self, g: Any, owned: bool = False) -> None:
        # Frozen rows get no gradient from any op (a lookup, a tied output layer, ...): a
        # row-sparse gradient drops them, a dense one has them zeroed.
        super()._accumulate_grad(g, owned)
        if self._frozen_rows is not None:
            self._drop_frozen_grad()

    def _drop_frozen_grad(self) -> None:
        """Remove the frozen rows from ``.grad`` (dense: zero them; row-sparse: drop them)."""
        frozen = self._frozen_rows
        if frozen is None or self.grad is None:
            return
        if isinstance(self.grad, RowSparseTensor):
            self.grad = frozen_rows_dropped(self.grad, frozen)
        else:
            self.grad._data[frozen] = 0


def frozen_rows_dropped(grad: RowSparseTensor, frozen: np.ndarray) -> RowSparseTensor:
    """``grad`` without the rows marked in ``frozen`` (a ``(rows,)`` bool mask); ``grad``
    itself when none of its rows is frozen."""
    keep = ~frozen[grad.rows]
    if keep.all():
        return grad
    return RowSparseTensor(grad.rows[keep], grad._values_arr[keep], tuple(grad.shape),
                           grad.is_coalesced())
