"""``firstlayer.utils.data``: datasets, samplers and the ``DataLoader``, with torch's names.

Read in the order a batch is made: ``dataset`` (where samples come from, ``random_split``),
``sampler`` (in which order), ``collate`` (samples -> one batch), ``dataloader`` (the loop that
ties them together).

>>> from firstlayer.utils.data import DataLoader, TensorDataset
>>> import firstlayer as torch
>>> loader = DataLoader(TensorDataset(torch.arange(6).view(3, 2)), batch_size=2)
>>> [tuple(x.shape) for (x,) in loader]
[(2, 2), (1, 2)]
"""

from . import dataset, sampler
from .collate import collate, default_collate, default_collate_fn_map, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    DatasetSizeError,
    DatasetTypeError,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DatasetSizeError",
    "DatasetTypeError",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "collate",
    "dataset",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "get_worker_info",
    "random_split",
    "sampler",
]
