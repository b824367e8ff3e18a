"""The named pairs that ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return, as in
``torch.return_types``: tuples (``values, indices = t.max(1)``) whose fields also have names
(``t.max(1).indices``), printed the way torch prints them.

>>> import firstlayer as torch
>>> torch.tensor([[1.0, 3.0], [4.0, 2.0]]).max(1)
torch.return_types.max(
values=tensor([3., 4.]),
indices=tensor([1, 0]))
"""

from __future__ import annotations

from typing import NamedTuple

from .tensor import Tensor


def _repr(pair: tuple, name: str) -> str:
    values, indices = pair
    return f"torch.return_types.{name}(\nvalues={values!r},\nindices={indices!r})"


class max(NamedTuple):  # noqa: N801  (torch's names)
    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self, "max")


class min(NamedTuple):  # noqa: N801
    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self, "min")


class sort(NamedTuple):  # noqa: N801
    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self, "sort")


class topk(NamedTuple):  # noqa: N801
    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self, "topk")


__all__ = ["max", "min", "sort", "topk"]
