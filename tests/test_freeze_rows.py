"""Embedding.freeze_rows / unfreeze_rows: frozen rows stay bit-identical through training with
every optimizer (dense and row-sparse gradients, weight decay, momentum), and the other rows
train exactly as a table made of them alone would."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.nn.functional as F

V, D, N = 12, 3, 20
FROZEN = np.array([0, 3, 4, 9])
KEEP = np.setdiff1d(np.arange(V), FROZEN)

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.1, weight_decay=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, lr_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("SparseAdam", dict(lr=0.1)),
]
CASES = [(name, kw, sparse) for name, kw in CONFIGS for sparse in (False, True)
         if sparse or name != "SparseAdam"]


def _opt(name: str, module: Any, kw: dict) -> Any:
    return getattr(fl.optim, name)(module.parameters(), **kw)


@pytest.mark.parametrize("name, kw, sparse", CASES)
def test_frozen_rows_stay_bit_identical_and_others_train_as_alone(
    name: str, kw: dict, sparse: bool
) -> None:
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((V, D))
    frozen = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=sparse)
    frozen.freeze_rows(FROZEN)
    # the reference: a table of the unfrozen rows only, fed the unfrozen ids
    alone = nn.Embedding.from_pretrained(fl.tensor(w0[KEEP]), freeze=False, sparse=sparse)
    new_id = np.full(V, -1)
    new_id[KEEP] = np.arange(KEEP.size)
    o_frozen, o_alone = _opt(name, frozen, kw), _opt(name, alone, kw)
    for _ in range(5):
        ids = rng.integers(0, V, N)  # frozen ids in every batch
        g = rng.standard_normal((N, D))
        o_frozen.zero_grad()
        o_alone.zero_grad()
        frozen(fl.tensor(ids)).backward(fl.tensor(g))
        kept = new_id[ids] >= 0
        alone(fl.tensor(new_id[ids][kept])).backward(fl.tensor(g[kept]))
        o_frozen.step()
        o_alone.step()
    w = frozen.weight.detach().numpy()
    np.testing.assert_array_equal(w[FROZEN], w0[FROZEN])
    np.testing.assert_array_equal(w[KEEP], alone.weight.detach().numpy())
    for key, value in o_frozen.state.get(frozen.weight, {}).items():  # no momentum, moments
        if key != "step" and key != "sum":
            np.testing.assert_array_equal(np.asarray(value)[FROZEN], 0.0)


def test_frozen_rows_get_no_gradient_from_any_op() -> None:
    emb = nn.Embedding(6, 2)
    emb.freeze_rows([1, 5])
    ids = fl.tensor([1, 2, 5])
    # a lookup and a tied output layer (weight tying) both reach the weight
    scores = emb.as_linear(emb(ids))
    scores.sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[[1, 5]], 0.0)
    assert np.all(g[[0, 2, 3, 4]] != 0)
    sparse = nn.Embedding(6, 2, sparse=True)
    sparse.freeze_rows(fl.tensor([1, 5]))
    sparse(ids).sum().backward()
    sparse(fl.tensor([5, 3])).sum().backward()  # accumulation across backward calls
    assert sorted(sparse.weight.grad.coalesce().rows.tolist()) == [2, 3]


def test_freezing_drops_a_gradient_already_there_and_state_stays_frozen() -> None:
    rng = np.random.default_rng(1)
    emb = nn.Embedding.from_pretrained(fl.tensor(rng.standard_normal((5, 2))), freeze=False)
    opt = fl.optim.SGD(emb.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(2):  # momentum builds up on every row
        opt.zero_grad()
        emb(fl.tensor([0, 1, 2, 3, 4])).sum().backward()
        opt.step()
    opt.zero_grad()
    emb(fl.tensor([0, 1])).sum().backward()
    emb.freeze_rows(0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], 0.0)
    row0 = emb.weight.detach().numpy()[0].copy()
    buf0 = opt.state[emb.weight]["momentum_buffer"].numpy()[0].copy()
    for _ in range(3):
        opt.step()
        opt.zero_grad()
        emb(fl.tensor([0, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.detach().numpy()[0], row0)
    np.testing.assert_array_equal(opt.state[emb.weight]["momentum_buffer"].numpy()[0], buf0)


def test_unfreeze_rows_trains_them_again() -> None:
    emb = nn.Embedding(5, 2)
    emb.freeze_rows([0, 1, 2])
    emb.freeze_rows([2, 3])  # adds up
    assert emb.frozen_rows.tolist() == [0, 1, 2, 3]
    emb.unfreeze_rows([0, 3])
    assert emb.frozen_rows.tolist() == [1, 2]
    assert emb._frozen_rows.tolist() == [False, True, True, False, False]  # interop reads this
    emb.unfreeze_rows()
    assert emb.frozen_rows.tolist() == [] and emb._frozen_rows is None
    opt = fl.optim.Adam(emb.parameters(), lr=0.1)
    before = emb.weight.detach().numpy().copy()
    emb(fl.tensor([1])).sum().backward()
    opt.step()
    assert not np.array_equal(emb.weight.detach().numpy()[1], before[1])
    emb.freeze_rows([4])
    emb.unfreeze_rows([4])
    assert emb._frozen_rows is None


def test_embedding_bag_freezes_rows_the_same_way() -> None:
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((6, 2)).astype(np.float32)
    bag = nn.EmbeddingBag.from_pretrained(fl.tensor(w0), freeze=False, mode="sum", sparse=True)
    bag.freeze_rows([0, 2])
    opt = fl.optim.Adam(bag.parameters(), lr=0.1, weight_decay=0.1)
    for _ in range(3):
        opt.zero_grad()
        bag(fl.tensor(rng.integers(0, 6, (4, 3)))).sum().backward()
        opt.step()
    w = bag.weight.detach().numpy()
    np.testing.assert_array_equal(w[[0, 2]], w0[[0, 2]])
    assert not np.allclose(w[[1, 3, 4, 5]], w0[[1, 3, 4, 5]])


def test_clipping_sees_no_frozen_rows() -> None:
    emb = nn.Embedding(4, 2, sparse=True)
    emb.freeze_rows([0])
    emb(fl.tensor([0, 0, 1])).sum().backward()
    total = nn.utils.clip_grad_norm_(emb.parameters(), 1e9)
    assert total.item() == pytest.approx(np.sqrt(2.0))  # row 1 only


@pytest.mark.parametrize("ids, exc, match", [
    ([3, 12], IndexError, "id 12 at position 1"),
    (-1, IndexError, "negative ids"),
    ([0.5], TypeError, "must be integers"),
])
def test_bad_row_ids_are_rejected_and_change_nothing(ids: Any, exc: type, match: str) -> None:
    emb = nn.Embedding(V, D)
    emb.freeze_rows([1])
    with pytest.raises(exc, match=match):
        emb.freeze_rows(ids)
    with pytest.raises(exc, match=match):
        emb.unfreeze_rows(ids)
    assert emb.frozen_rows.tolist() == [1]


def test_functional_embedding_of_a_frozen_weight() -> None:
    emb = nn.Embedding(4, 2)
    emb.freeze_rows([2])
    F.embedding(fl.tensor([2, 3]), emb.weight).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [0, 0], [0, 0], [1, 1]])
