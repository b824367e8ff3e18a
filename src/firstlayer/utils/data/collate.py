"""Collation: a list of samples -> one batch (``default_collate``), as torch's rules.

Each sample is taken apart the same way: tensors are stacked along a new first dimension, NumPy
arrays become tensors and are stacked, Python ints become an int64 tensor and floats a float64
tensor (as torch), NumPy scalars keep their dtype, strings and bytes stay a list, and mappings,
named tuples, tuples and lists are collated field by field (a tuple of fields comes back as a
list of batches, as in torch). ``collate`` with ``collate_fn_map`` lets a type have its own rule.

Stacking is done in NumPy: collation runs on data, outside any graph, so the batch records no
history (torch's own loader stacks under the same conditions; a sample that requires grad is
rare in a dataset and would lose its graph here).

>>> batch = default_collate([(tensor([1.0, 2.0]), 0), (tensor([3.0, 4.0]), 1)])
>>> batch[0]
tensor([[1., 2.],
        [3., 4.]])
>>> batch[1]
tensor([0, 1])
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import _dtype
from ..._errors import ValueRuntimeError
from ...tensor import Tensor, from_numpy, tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

CollateFnMap = dict[Any, Callable[..., Any]]

# NumPy dtype codes for byte strings, unicode strings and Python objects: not numbers.
_NP_STR_OBJ = re.compile(r"[SaUO]")

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _stack(batch: list[Tensor]) -> Tensor:
    """``torch.stack(batch, 0)``: equal shapes required; mixed dtypes promote as torch does."""
    first = tuple(batch[0].shape)
    for i, t in enumerate(batch):
        if tuple(t.shape) != first:
            raise ValueRuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(t.shape)} at entry {i} of the batch. Samples of different lengths "
                "need a collate_fn that pads them, or one that concatenates them with offsets "
                "for nn.EmbeddingBag"
            )
    target = batch[0].dtype
    for t in batch[1:]:
        target = _dtype.promote(target, t.dtype)
    return from_numpy(np.stack([t._data for t in batch]).astype(target.np, copy=False))


def collate_tensor_fn(batch: list[Tensor], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    return _stack(batch)


def collate_numpy_array_fn(
    batch: list[np.ndarray], *, collate_fn_map: CollateFnMap | None = None
) -> Any:
    if _NP_STR_OBJ.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERR.format(batch[0].dtype))
    return collate([from_numpy(np.asarray(b)) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list[Any], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    # np.asarray keeps the scalars' own dtype (float32 scalars give a float32 batch), as torch.
    return from_numpy(np.asarray(batch))


def collate_float_fn(batch: list[float], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    return tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch: list[int], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    return tensor(batch)


def collate_str_fn(batch: list[Any], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch: Sequence[Any], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Collate ``batch`` with the rule ``collate_fn_map`` gives the first sample's type (its
    exact type first, then the first key it is an instance of), recursing into containers.

    Args:
        batch: the samples, a non-empty list.
        collate_fn_map: type (or tuple of types) -> ``fn(batch, *, collate_fn_map)``.

    Raises:
        ValueError: an empty batch.
        RuntimeError: container samples of unequal lengths.
        TypeError: a sample type with no rule.
    """
    if len(batch) == 0:
        raise ValueError("collate got an empty batch: there is no sample to take the type from")
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        return _rebuild_mapping(elem, fields)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for i, sample in enumerate(batch):
            if len(sample) != size:
                raise RuntimeError(
                    f"each element in list of batch should be of equal size: sample 0 has "
                    f"{size} fields and sample {i} has {len(sample)}"
                )
        transposed = list(zip(*batch))  # tuples: a field of strings stays a tuple, as torch
        fields_list = [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        if isinstance(elem, tuple):
            return fields_list  # a list of batches, as torch (backwards compatibility there)
        return _rebuild_sequence(elem, fields_list)
    raise TypeError(_ERR.format(elem_type))


def _rebuild_mapping(elem: Any, fields: dict[Any, Any]) -> Any:
    """A mapping of ``elem``'s type holding ``fields`` (a plain dict if the type can't)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)  # keeps extra attributes of dict subclasses
            clone.update(fields)
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def _rebuild_sequence(elem: Any, items: list[Any]) -> Any:
    """A sequence of ``elem``'s type holding ``items`` (a plain list if the type can't)."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def default_collate(batch: list[Any]) -> Any:
    """Put a list of samples together into one batch with a new first dimension (torch's rules).

    Args:
        batch: the samples the loader fetched, a non-empty list.

    Returns:
        Tensor samples -> one stacked tensor ``(B, *sample_shape)``; ints -> int64 ``(B,)``;
        floats -> float64 ``(B,)``; strings -> the list; tuples/lists -> a list (or the same
        sequence type) of batches, one per field; dicts -> a dict of batches.

    Raises:
        RuntimeError: tensors of different shapes (also a ValueError), or samples with different
            numbers of fields; TypeError: a type it can't batch (give ``collate_fn``).

    >>> default_collate([{"x": 1.5, "y": 0}, {"x": 2.5, "y": 1}])
    {'x': tensor([1.5000, 2.5000], dtype=torch.float64), 'y': tensor([0, 1])}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays (and NumPy scalars) in one sample into tensors, recursing into
    containers; everything else is returned as it is. The loader's collate_fn when
    ``batch_size=None`` (no batching).

    >>> default_convert((np.arange(2), "a"))
    [tensor([0, 1]), 'a']
    """
    if isinstance(data, Tensor):
        return data
    elem_type = type(data)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_", "string_"):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
