"""IdMap: raw ids -> rows in order of first appearance, checked against a dict, and in training.

The reference is the obvious Python: ``rows.setdefault(id, len(rows))`` for each id in order.
"""

from __future__ import annotations

import doctest
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
from firstlayer import idmap, nn
from firstlayer.idmap import IdMap, IdMapFullError


def reference(batches: list[np.ndarray]) -> tuple[dict[int, int], list[np.ndarray]]:
    rows: dict[int, int] = {}
    out = []
    for b in batches:
        out.append(np.array([rows.setdefault(int(i), len(rows)) for i in b.ravel()],
                            np.int64).reshape(b.shape))
    return rows, out


def test_docstrings() -> None:
    result = doctest.testmod(idmap, extraglobs={"tensor": fl.tensor}, verbose=False)
    assert result.attempted >= 4 and result.failed == 0


int64s = st.integers(-(2**63), 2**63 - 1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(-5, 40), int64s), max_size=60), max_size=8))
def test_matches_a_dict(batches: list[list[int]]) -> None:
    arrays = [np.array(b, np.int64) for b in batches]
    rows, want = reference(arrays)
    m = IdMap(capacity=1000)
    for a, w in zip(arrays, want, strict=True):
        got = m(fl.tensor(a))
        assert got.dtype == fl.int64 and np.array_equal(got.numpy(), w)
    assert len(m) == len(rows)
    assert m.keys().tolist() == list(rows)
    for a, w in zip(arrays, want, strict=True):  # a second pass only reads
        assert np.array_equal(m.lookup(a).numpy(), w)
        assert np.array_equal(m(a).numpy(), w)
    assert len(m) == len(rows)


def test_many_ids_grow_the_table_and_collide() -> None:
    rng = np.random.default_rng(0)
    # ids that share their low and high bits, batches with many repeats, 200k ids in all
    batches = [np.concatenate([rng.integers(0, 2**20, 5000) << 40, rng.integers(0, 50, 5000)])
               for _ in range(20)]
    rows, want = reference(batches)
    m = IdMap(capacity=2**20)
    for b, w in zip(batches, want, strict=True):
        assert np.array_equal(m(b).numpy(), w)
    assert len(m) == len(rows) and m.keys().tolist() == list(rows)
    assert np.array_equal(m.lookup(np.array(list(rows))).numpy(), np.arange(len(rows)))


def test_shapes_and_dtypes() -> None:
    m = IdMap(100)
    assert m(fl.tensor([[5, 6], [6, 7]])).tolist() == [[0, 1], [1, 2]]
    assert m(np.array(9, np.int32)).tolist() == 3  # a 0-d input gives a 0-d output
    assert m([]).shape == (0,)
    assert m(fl.zeros(0, 3, dtype=fl.int64)).shape == (0, 3)
    assert m(np.array([5, 6], np.uint8)).tolist() == [0, 1]
    big = np.array([2**64 - 1, 2**63], np.uint64)  # 64-bit hashes keep every bit
    assert m(big).tolist() == [4, 5] and m(big[::-1]).tolist() == [5, 4]
    assert 2**64 - 1 in m and -1 in m  # the same 64 bits, read as int64
    assert 5 in m and 1234 not in m and "5" not in m and True not in m
    assert repr(m) == "IdMap(6 ids, capacity=100)"


@pytest.mark.parametrize("bad", [[1.5], [True, False], ["a"], fl.tensor([1.0])])
def test_non_integer_ids_are_refused(bad: object) -> None:
    m = IdMap(10)
    with pytest.raises(TypeError, match="ids must be integers"):
        m(bad)
    assert len(m) == 0


@pytest.mark.parametrize("capacity", [-1, 2.5, True, "10"])
def test_bad_capacity(capacity: object) -> None:
    with pytest.raises((TypeError, ValueError), match="capacity"):
        IdMap(capacity)  # type: ignore[arg-type]


def test_full_map_raises_and_changes_nothing() -> None:
    m = IdMap(3)
    m([10, 11])
    with pytest.raises(IdMapFullError) as e:
        m([[10, 12], [13, 12]])
    msg = str(e.value)
    assert "capacity 3" in msg and "would need 4 rows" in msg
    assert "the first, 12, at position 1" in msg  # flat position of the first new id
    assert isinstance(e.value, ValueError) and isinstance(e.value, RuntimeError)
    assert len(m) == 2 and m.keys().tolist() == [10, 11] and 12 not in m
    assert m([12, 10]).tolist() == [2, 0]  # exactly full is fine
    with pytest.raises(IdMapFullError):
        IdMap(0)([1])
    assert IdMap(0)([]).shape == (0,)


def test_lookup_never_inserts() -> None:
    m = IdMap(10)
    m([7, 8])
    assert m.lookup([8, 99, 7], default=-1).tolist() == [1, -1, 0]
    with pytest.raises(KeyError, match=r"id 99 \(at position \(1, 0\)\) was never mapped"):
        m.lookup([[8, 7], [99, 7]])
    assert len(m) == 2


def test_save_load_round_trip(tmp_path: os.PathLike) -> None:
    m = IdMap(50)
    m([-3, 2**62, 17, -3])
    p = os.path.join(tmp_path, "ids.npz")
    m.save(p)
    back = IdMap.load(p)
    assert back == m and back.capacity == 50 and back([17, 5]).tolist() == [2, 3]
    assert IdMap.from_keys(m.keys(), 50) == m
    with pytest.raises(ValueError, match="id 4 appears twice"):
        IdMap.from_keys([4, 5, 4], 10)
    with pytest.raises(IdMapFullError):
        IdMap.from_keys([1, 2, 3], 2)


def test_load_refuses_other_files(tmp_path: os.PathLike) -> None:
    p = os.path.join(tmp_path, "other.npz")
    np.savez(p, weights=np.zeros(3))
    with pytest.raises(ValueError, match="not an IdMap file"):
        IdMap.load(p)
    q = os.path.join(tmp_path, "pickled.npz")
    np.savez(q, keys=np.array([object()]), capacity=np.int64(3))
    with pytest.raises(ValueError, match="pickle"):  # numpy refuses object arrays unpickled
        IdMap.load(q)


def test_failed_save_keeps_the_old_file(tmp_path: os.PathLike) -> None:
    p = os.path.join(tmp_path, "ids.npz")
    IdMap(5).save(p)
    before = open(p, "rb").read()
    m = IdMap(5)
    m([1])
    m._keys = None  # type: ignore[assignment]  # makes the write fail half-way
    with pytest.raises(TypeError):
        m.save(p)
    assert open(p, "rb").read() == before
    assert [f for f in os.listdir(tmp_path) if f != "ids.npz"] == []


def test_training_through_the_map_is_training_the_rows(tmp_path: os.PathLike) -> None:
    """An EmbeddingBag on a compact mapped table fed through an IdMap learns what a full
    table fed raw ids learns, row for row (the map only moves rows)."""
    V, D = 5000, 8
    g = fl.Generator().manual_seed(0)
    full = fl.empty(V, D)
    nn.init.normal_(full, generator=g)
    rng = np.random.default_rng(1)
    batches = [rng.zipf(1.3, (16, 4)) % V for _ in range(30)]
    m = IdMap(V)
    keys = reference(batches)[0]
    path = os.path.join(tmp_path, "table.f32")
    compact = fl.from_file(path, shared=True, size=len(keys) * D).view(len(keys), D)
    with fl.no_grad():
        compact.copy_(full[fl.tensor(list(keys))])
    a = nn.EmbeddingBag.from_pretrained(full.clone(), freeze=False, sparse=True, mode="mean")
    b = nn.EmbeddingBag.from_pretrained(compact, freeze=False, sparse=True, mode="mean")
    opt_a = fl.optim.Adagrad(a.parameters(), lr=0.1)
    opt_b = fl.optim.Adagrad(b.parameters(), lr=0.1)
    for ids in batches:
        for model, opt, x in ((a, opt_a, fl.tensor(ids)), (b, opt_b, m(ids))):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
    assert m.keys().tolist() == list(keys)
    np.testing.assert_array_equal(b.weight.detach().numpy(),
                                  a.weight.detach().numpy()[m.keys().numpy()])
    del b, compact
    on_disk = np.fromfile(path, np.float32).reshape(len(keys), D)
    np.testing.assert_array_equal(on_disk, a.weight.detach().numpy()[m.keys().numpy()])
