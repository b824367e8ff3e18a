"""firstlayer.utils.data against torch.utils.data: collation (types, shapes, dtypes, values),
the loader's order, batches and len() wherever they are deterministic, random_split's lengths,
reproducible shuffling, and the errors for bad arguments."""

from __future__ import annotations

import collections
import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.data as td
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.utils.data as fd

Point = collections.namedtuple("Point", "x y")


def assert_same(ours: Any, theirs: Any) -> None:
    """Same structure, container types, tensor dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, fl.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert ours == theirs


def _both(make: Any) -> tuple[Any, Any]:
    """make(lib) for firstlayer and torch (tensors built with each library)."""
    return make(fl), make(torch)


SAMPLES = {
    "ints": lambda lib: [1, 2, 3],
    "floats": lambda lib: [1.5, 2.5],
    "bools": lambda lib: [True, False],
    "int then float": lambda lib: [1, 2.5],
    "numpy float32 scalars": lambda lib: [np.float32(1), np.float32(2)],
    "numpy int32 scalars": lambda lib: [np.int32(3), np.int32(4)],
    "numpy arrays": lambda lib: [np.arange(6, dtype=np.float32).reshape(2, 3)] * 2,
    "numpy int64 arrays": lambda lib: [np.arange(3), np.arange(3) * 2],
    "strings": lambda lib: ["a", "b"],
    "bytes": lambda lib: [b"a", b"b"],
    "dicts": lambda lib: [{"a": 1, "b": 2.0}, {"a": 3, "b": 4.0}],
    "tuples": lambda lib: [(1, 2.0, "x"), (3, 4.0, "y")],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "float tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "2-d tensors": lambda lib: [lib.ones(2, 3), lib.zeros(2, 3)],
    "0-d tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "mixed dtype tensors": lambda lib: [lib.tensor([1, 2]), lib.tensor([3.0, 4.0])],
    "float64 tensors": lambda lib: [lib.tensor([1.0], dtype=lib.float64)] * 3,
    "(tensor, label) pairs": lambda lib: [(lib.tensor([1, 2]), 0), (lib.tensor([3, 4]), 1)],
    "nested dict of tuples": lambda lib: [{"x": (lib.ones(2), 1)}, {"x": (lib.zeros(2), 2)}],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_torch(name: str) -> None:
    ours, theirs = _both(SAMPLES[name])
    assert_same(fd.default_collate(ours), td.default_collate(theirs))


@pytest.mark.parametrize("sample", [
    np.arange(3), np.float64(2.5), (np.arange(2), "a"), {"k": np.ones(2, np.float32)},
    [np.int32(1), 2], "text", 7, np.array(["a", "b"]),
])
def test_default_convert_matches_torch(sample: Any) -> None:
    ours, theirs = fd.default_convert(sample), td.default_convert(sample)
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours is sample  # strings stay NumPy
    else:
        assert_same(ours, theirs)


def test_default_collate_errors() -> None:
    with pytest.raises(RuntimeError, match=r"equal size.*\[2\] at entry 0 and \[1\] at entry 1"):
        fd.default_collate([fl.tensor([1, 2]), fl.tensor([3])])
    with pytest.raises(ValueError, match="EmbeddingBag"):  # also a ValueError, with the fix
        fd.default_collate([fl.tensor([1, 2]), fl.tensor([3])])
    with pytest.raises(RuntimeError, match="equal size"):
        fd.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        td.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        fd.default_collate([object(), object()])
    with pytest.raises(TypeError, match="found"):
        fd.default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(ValueError, match="empty batch"):
        fd.default_collate([])


def test_collate_fn_map_gives_a_type_its_own_rule() -> None:
    rule = {int: lambda batch, *, collate_fn_map: sum(batch)}
    assert fd.collate([(1, 2), (3, 4)], collate_fn_map=rule) == [4, 6]
    assert td._utils.collate.collate([(1, 2), (3, 4)], collate_fn_map=rule) == [4, 6]


# ---- the loader: order, batches, len() ------------------------------------------------------

def _tensor_dataset(lib: Any, n: int) -> Any:
    data = lib.arange(n * 2, dtype=lib.float32).reshape(n, 2)
    labels = lib.tensor([i % 3 for i in range(n)], dtype=lib.int64)
    return lib.utils.data.TensorDataset(data, labels)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 23), batch_size=st.integers(1, 7), drop_last=st.booleans())
def test_sequential_loader_matches_torch(n: int, batch_size: int, drop_last: bool) -> None:
    ours = fd.DataLoader(_tensor_dataset(fl, n), batch_size=batch_size, drop_last=drop_last)
    theirs = td.DataLoader(_tensor_dataset(torch, n), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs) == len(iter(ours)) == len(iter(theirs))
    got, want = list(ours), list(theirs)
    assert len(got) == len(want) == len(ours)
    for a, b in zip(got, want):
        assert_same(a, b)


def test_loader_on_a_plain_list_of_pairs_matches_torch() -> None:
    rows = [(i * 0.5, i % 2, f"s{i}") for i in range(7)]
    for kw in [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)]:
        ours, theirs = fd.DataLoader(rows, **kw), td.DataLoader(rows, **kw)
        assert len(ours) == len(theirs)
        for a, b in zip(list(ours), list(theirs), strict=True):
            assert_same(a, b)


def test_custom_sampler_batch_sampler_and_collate_fn_match_torch() -> None:
    ds_o, ds_t = _tensor_dataset(fl, 10), _tensor_dataset(torch, 10)
    order = [9, 2, 5, 0, 7, 1]
    pairs = [
        (fd.DataLoader(ds_o, batch_size=4, sampler=order),
         td.DataLoader(ds_t, batch_size=4, sampler=order)),
        (fd.DataLoader(ds_o, batch_sampler=[[3, 1], [0], [9, 8, 7]]),
         td.DataLoader(ds_t, batch_sampler=[[3, 1], [0], [9, 8, 7]])),
        (fd.DataLoader(ds_o, batch_size=3, collate_fn=lambda b: [x.tolist() for x, _ in b]),
         td.DataLoader(ds_t, batch_size=3, collate_fn=lambda b: [x.tolist() for x, _ in b])),
        (fd.DataLoader(ds_o, batch_size=None, sampler=order),
         td.DataLoader(ds_t, batch_size=None, sampler=order)),
    ]
    for ours, theirs in pairs:
        assert len(ours) == len(theirs)
        for a, b in zip(list(ours), list(theirs), strict=True):
            assert_same(a, b)


def test_samplers_match_torch() -> None:
    for drop_last in (False, True):
        ours = fd.BatchSampler(fd.SequentialSampler(range(10)), 3, drop_last)
        theirs = td.BatchSampler(td.SequentialSampler(range(10)), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(fd.SequentialSampler("abcd")) == list(td.SequentialSampler("abcd"))


class Stream(fd.IterableDataset):
    def __init__(self, n: int, sized: bool = True) -> None:
        self.n, self.sized = n, sized

    def __iter__(self) -> Any:
        return iter(range(self.n))

    def __len__(self) -> int:
        if not self.sized:
            raise TypeError("no len")
        return self.n


class TorchStream(td.IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Any:
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


@pytest.mark.parametrize("kw", [
    dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_size=7),
])
def test_iterable_dataset_matches_torch(kw: dict) -> None:
    ours, theirs = fd.DataLoader(Stream(7), **kw), td.DataLoader(TorchStream(7), **kw)
    assert len(ours) == len(theirs)
    for a, b in zip(list(ours), list(theirs), strict=True):
        assert_same(a, b)


def test_iterable_dataset_errors_and_chaining() -> None:
    for kw in [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])]:
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
            fd.DataLoader(Stream(3), **kw)
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
            td.DataLoader(TorchStream(3), **kw)
    assert list(Stream(2) + Stream(3)) == [0, 1, 0, 1, 2]
    with pytest.raises(TypeError):
        len(fd.DataLoader(Stream(3, sized=False)))


def test_dataset_getitems_is_used_for_a_whole_batch() -> None:
    calls: list[list[int]] = []

    class Batched(fd.Dataset):
        def __len__(self) -> int:
            return 5

        def __getitems__(self, indices: list[int]) -> list[int]:
            calls.append(list(indices))
            return [i * 10 for i in indices]

    assert [b.tolist() for b in fd.DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30],
                                                                              [40]]
    assert calls == [[0, 1], [2, 3], [4]]
    sub = fd.Subset(Batched(), [4, 0])
    assert sub.__getitems__([0, 1]) == [40, 0] and calls[-1] == [4, 0]


def test_num_workers_runs_in_process_with_the_same_batches() -> None:
    ds = _tensor_dataset(fl, 9)
    plain = [x.tolist() for x, _ in fd.DataLoader(ds, batch_size=4)]
    workers = fd.DataLoader(ds, batch_size=4, num_workers=4, pin_memory=True, timeout=5,
                            prefetch_factor=2, persistent_workers=True,
                            worker_init_fn=lambda i: None)
    assert [x.tolist() for x, _ in workers] == plain
    assert fd.get_worker_info() is None


# ---- shuffling ------------------------------------------------------------------------------

def _epoch(loader: Any) -> list[int]:
    return [int(v) for (x,) in loader for v in x.tolist()]


def test_shuffle_is_reproducible_with_manual_seed_and_with_a_generator() -> None:
    ds = fd.TensorDataset(fl.arange(50))
    fl.manual_seed(3)
    loader = fd.DataLoader(ds, batch_size=8, shuffle=True)
    first, second = _epoch(loader), _epoch(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second  # a new order each epoch
    fl.manual_seed(3)
    assert [_epoch(loader), _epoch(loader)] == [first, second]
    with_gen = [_epoch(fd.DataLoader(ds, batch_size=8, shuffle=True,
                                     generator=fl.Generator().manual_seed(7))) for _ in range(2)]
    assert with_gen[0] == with_gen[1] and sorted(with_gen[0]) == list(range(50))
    assert len(fd.DataLoader(ds, batch_size=8, shuffle=True)) == 7


def test_random_sampler_replacement_and_num_samples() -> None:
    g = fl.Generator().manual_seed(0)
    many = list(fd.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(many) == 10 and sorted(many[:4]) == sorted(many[4:8]) == [0, 1, 2, 3]
    drawn = list(fd.RandomSampler(range(3), replacement=True, num_samples=40, generator=g))
    assert len(drawn) == 40 and set(drawn) <= {0, 1, 2}
    assert len(fd.RandomSampler(range(3), replacement=True, num_samples=40)) == 40
    assert sorted(fd.SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]


# ---- random_split ---------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), cuts=st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_random_split_fraction_lengths_match_torch(n: int, cuts: list[int]) -> None:
    fractions = [c / sum(cuts) for c in cuts]
    if not (math.isclose(sum(fractions), 1) and sum(fractions) <= 1):
        return  # torch reads these as lengths; covered below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length parts warn in both
        ours = fd.random_split(range(n), fractions, generator=fl.Generator().manual_seed(0))
        theirs = td.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(i for p in ours for i in p) == list(range(n))


def test_random_split_lengths_reproducibility_and_warning() -> None:
    parts = fd.random_split(range(10), [3, 7], generator=fl.Generator().manual_seed(42))
    again = fd.random_split(range(10), [3, 7], generator=fl.Generator().manual_seed(42))
    assert [list(p) for p in parts] == [list(p) for p in again]
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    fl.manual_seed(5)
    a = [list(p) for p in fd.random_split(range(10), [5, 5])]
    fl.manual_seed(5)
    assert a == [list(p) for p in fd.random_split(range(10), [5, 5])]
    # torch's rounding: floor each, then the remainder round-robin from the first part
    assert [len(p) for p in fd.random_split(range(5), [0.5, 0.5])] == [3, 2]
    assert [len(p) for p in fd.random_split(range(30), [0.3, 0.3, 0.4])] == [9, 9, 12]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        fd.random_split(range(2), [0.9, 0.1])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        td.random_split(range(2), [0.9, 0.1])


@pytest.mark.parametrize("lengths, match", [
    ([3, 3], "Sum of input lengths does not equal the length of the input dataset"),
    ([0.5, 0.6], "Sum of input lengths does not equal"),
    ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1"),
])
def test_random_split_errors_like_torch(lengths: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fd.random_split(range(10), lengths)
    with pytest.raises(ValueError, match=match):
        td.random_split(range(10), lengths)


def test_random_split_rejects_a_negative_length() -> None:
    with pytest.raises(ValueError, match="negative"):
        fd.random_split(range(10), [-1, 11])  # torch returns parts of 9 and 1 items here


# ---- datasets -------------------------------------------------------------------------------

def test_tensor_subset_and_concat_datasets_match_torch() -> None:
    ours, theirs = _tensor_dataset(fl, 5), _tensor_dataset(torch, 5)
    assert len(ours) == len(theirs) == 5
    assert_same(ours[3], theirs[3])
    assert_same(fd.Subset(ours, [4, 1])[0], td.Subset(theirs, [4, 1])[0])
    cat_o, cat_t = fd.ConcatDataset([ours, ours]), td.ConcatDataset([theirs, theirs])
    assert len(cat_o) == len(cat_t) == 10 and cat_o.cumulative_sizes == cat_t.cumulative_sizes
    for i in [0, 4, 5, 9, -1, -10]:
        assert_same(cat_o[i], cat_t[i])
    assert len(ours + ours) == 10
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        cat_o[-11]


def test_dataset_errors() -> None:
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        td.TensorDataset(torch.ones(2), torch.ones(3))
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\[2, 3\]"):
        fd.TensorDataset(fl.ones(2), fl.ones(3))
    with pytest.raises(ValueError, match="Size mismatch"):
        fd.TensorDataset(fl.ones(2), fl.ones(3))
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        fd.ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        fd.ConcatDataset([Stream(2)])
    with pytest.raises(NotImplementedError):
        fd.Dataset()[0]


# ---- bad arguments --------------------------------------------------------------------------

def test_empty_dataset_sequential_is_fine_shuffled_is_an_error_like_torch() -> None:
    assert list(fd.DataLoader([], batch_size=2)) == list(td.DataLoader([], batch_size=2)) == []
    assert len(fd.DataLoader([], batch_size=2)) == 0
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        td.DataLoader([], shuffle=True)
    with pytest.raises(ValueError, match=r"got num_samples=0 \(the dataset list \[\] is empty"):
        fd.DataLoader([], shuffle=True)


@pytest.mark.parametrize("kw, match", [
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(batch_size=-2), "batch_size should be a positive integer value"),
    (dict(batch_size=2.0), "batch_size should be a positive integer value"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(drop_last=1), "drop_last should be a boolean value"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_bad_loader_arguments_are_rejected_like_torch(kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fd.DataLoader(list(range(4)), **kw)
    with pytest.raises(ValueError, match=match):
        td.DataLoader(list(range(4)), **kw)


def test_loader_attributes_are_frozen_after_init() -> None:
    loader = fd.DataLoader(range(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.collate_fn = fd.default_collate  # not frozen in torch either


def test_a_failing_collate_fn_names_the_batch_and_chains_the_error() -> None:
    def collate(batch: list[int]) -> Any:
        if 4 in batch:
            raise KeyError("no rule for 4")
        return batch

    loader = fd.DataLoader(list(range(6)), batch_size=2, collate_fn=collate)
    it = iter(loader)
    assert next(it) == [0, 1]
    assert next(it) == [2, 3]
    with pytest.raises(KeyError, match=r"batch 2 \(dataset indices \[4, 5\]\).*no rule for 4") \
            as info:
        next(it)
    assert isinstance(info.value.__cause__, KeyError)
    assert str(info.value.__cause__) == "'no rule for 4'"

    class Picky(Exception):
        def __init__(self, code: int, text: str) -> None:
            super().__init__(code, text)

    def picky(batch: list[int]) -> Any:
        raise Picky(3, "bad")

    with pytest.raises(RuntimeError, match="collate_fn picky failed on batch 0") as info2:
        list(fd.DataLoader([1, 2], batch_size=2, collate_fn=picky))
    assert isinstance(info2.value.__cause__, Picky)
    # default_collate's own errors get the same treatment
    with pytest.raises(RuntimeError, match=r"batch 0 \(dataset indices \[0, 1\]\).*equal size"):
        list(fd.DataLoader([fl.ones(2), fl.ones(3)], batch_size=2))
