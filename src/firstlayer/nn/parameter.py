"""``Parameter``: a tensor that a Module registers as trainable when assigned to an attribute."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered by ``Module.__setattr__``.

    It shares memory with the tensor it is made from, like ``torch.nn.Parameter``.

    >>> import firstlayer as torch
    >>> p = Parameter(torch.zeros(2))
    >>> p.requires_grad
    True
    """

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
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
