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


# --- max_norm and every other flag with frozen rows ---------------------------------------------
#
# ``max_norm`` rescales looked-up rows in place in the forward (torch's embedding_renorm_), a
# write no gradient or optimizer goes through: frozen rows must be left out of it. The oracle
# for every flag is a run with no frozen rows (torch where its CPU kernels are right, else
# firstlayer's own unfrozen path, itself tested against torch) in which the rows are "pinned"
# by hand: before each forward the referenced rows that are not frozen are rescaled (a NumPy
# rescaling written here), the lookup runs without max_norm, and after each step the frozen rows
# are put back. Optimizers act on each row alone, so the other rows must then agree.

NORM_TYPES = [1.0, 2.0, 3.5, float("inf")]
MAX_NORM = 1.0
FROZEN_MN = np.array([0, 1, 4])  # rows 0, 1: the example; 0 is also a padding_idx below
# optimizers that torch accepts for the gradient kind, weight decay and momentum included
DENSE_OPTS = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
]
SPARSE_OPTS = [("SGD", dict(lr=0.1)), ("Adagrad", dict(lr=0.1)), ("SparseAdam", dict(lr=0.1))]


def _renorm_unfrozen(w: np.ndarray, ids: np.ndarray, norm_type: float) -> None:
    """The reference rescaling: each referenced, not frozen row over MAX_NORM, in place."""
    rows = np.setdiff1d(np.unique(ids), FROZEN_MN)
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    over = rows[norms > MAX_NORM]
    w[over] *= (MAX_NORM / (norms[norms > MAX_NORM] + 1e-7))[:, None]


def _table(rng: np.random.Generator) -> np.ndarray:
    w0 = rng.standard_normal((V, D))
    w0[FROZEN_MN] = 3.0 * np.sign(w0[FROZEN_MN])  # frozen rows far over max_norm
    return w0


def _run_pinned(lib: Any, w0: np.ndarray, call: Any, opt: tuple, batches: list) -> tuple:
    """The oracle: ``lib`` (torch or firstlayer) with no frozen rows, pinned by hand."""
    w = lib.nn.Parameter(lib.tensor(w0.copy()))
    view = w.detach().numpy()  # shares memory with w
    o = getattr(lib.optim, opt[0])([w], **opt[1])
    outs, psw_grads = [], []
    for batch in batches:
        _renorm_unfrozen(view, batch["ids"], batch["norm_type"])
        o.zero_grad()
        out, psw = call(lib, w, batch, max_norm=None)
        out.backward(lib.tensor(batch["g"]))
        o.step()
        view[FROZEN_MN] = w0[FROZEN_MN]
        outs.append(out.detach().numpy().copy())
        psw_grads.append(None if psw is None else psw.grad.numpy().copy())
    return view.copy(), outs, psw_grads


def _run_frozen(module: Any, w0: np.ndarray, call: Any, opt: tuple, batches: list) -> tuple:
    """firstlayer with ``freeze_rows`` and ``max_norm``; the frozen rows checked every step."""
    module.freeze_rows(FROZEN_MN)
    o = getattr(fl.optim, opt[0])(module.parameters(), **opt[1])
    outs, psw_grads = [], []
    for batch in batches:
        o.zero_grad()
        out, psw = call(fl, module, batch)
        np.testing.assert_array_equal(module.weight.detach().numpy()[FROZEN_MN], w0[FROZEN_MN])
        out.backward(fl.tensor(batch["g"]))
        o.step()
        np.testing.assert_array_equal(module.weight.detach().numpy()[FROZEN_MN], w0[FROZEN_MN])
        outs.append(out.detach().numpy().copy())
        psw_grads.append(None if psw is None else psw.grad.numpy().copy())
    return module.weight.detach().numpy().copy(), outs, psw_grads


def _agree(ours: tuple, ref: tuple, w0: np.ndarray) -> None:
    w, outs, psw_grads = ours
    w_ref, outs_ref, psw_ref = ref
    np.testing.assert_array_equal(w[FROZEN_MN], w0[FROZEN_MN])
    tol = dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(w, w_ref, **tol)
    for a, b in zip(outs, outs_ref):
        np.testing.assert_allclose(a, b, **tol)
    for a, b in zip(psw_grads, psw_ref):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **tol)
    assert not np.allclose(np.delete(w, FROZEN_MN, 0), np.delete(w0, FROZEN_MN, 0))


def test_max_norm_leaves_frozen_rows_bit_identical() -> None:
    # the example: one forward used to rescale row 0 to 0.2887
    emb = nn.Embedding(6, 3, max_norm=0.5)
    with fl.no_grad():
        emb.weight.fill_(3.0)
    emb.freeze_rows([0, 1])
    out = emb(fl.tensor([0, 1, 2, 3]))
    w = emb.weight.detach().numpy()
    np.testing.assert_array_equal(w[[0, 1]], 3.0)  # untouched, and looked up as they are
    np.testing.assert_array_equal(out.detach().numpy()[:2], 3.0)
    np.testing.assert_allclose(w[[2, 3]], 0.5 / (np.sqrt(27.0) + 1e-7) * 3.0, rtol=1e-6)
    np.testing.assert_array_equal(w[[4, 5]], 3.0)  # not looked up: not rescaled (as torch)
    # the functional forms read the mask on the weight as well
    F.embedding(fl.tensor([0, 1, 4]), emb.weight, max_norm=0.5)
    bag = F.embedding_bag(fl.tensor([[0, 1, 5]]), emb.weight, max_norm=0.5, mode="max")
    w = emb.weight.detach().numpy()
    np.testing.assert_array_equal(w[[0, 1]], 3.0)
    np.testing.assert_array_equal(bag.detach().numpy(), [[3.0, 3.0, 3.0]])
    assert np.all(w[[4, 5]] < 0.3)
    emb.unfreeze_rows()  # unfrozen, they are rescaled again, as in torch
    emb(fl.tensor([0]))
    np.testing.assert_allclose(emb.weight.detach().numpy()[0], w[2], rtol=1e-6)


EMB_CASES = [
    (norm_type, padding_idx, sgf, sparse)
    for norm_type in NORM_TYPES
    for padding_idx in (None, 0, 2)  # none, a frozen row, a trained row
    for sgf in (False, True)
    for sparse in (False, True)
]


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
@pytest.mark.parametrize("norm_type, padding_idx, sgf, sparse", EMB_CASES)
def test_embedding_flags_with_frozen_rows(
    norm_type: float, padding_idx: int | None, sgf: bool, sparse: bool
) -> None:
    import torch

    case = EMB_CASES.index((norm_type, padding_idx, sgf, sparse))
    opts = SPARSE_OPTS if sparse else DENSE_OPTS
    opt = opts[case % len(opts)]
    rng = np.random.default_rng(case)
    w0 = _table(rng)
    batches = [
        dict(ids=np.concatenate([rng.integers(0, V, 6), FROZEN_MN, [2, 2, 5]]).reshape(4, 3),
             g=rng.standard_normal((4, 3, D)), norm_type=norm_type)
        for _ in range(3)
    ]
    kw = dict(padding_idx=padding_idx, norm_type=norm_type, scale_grad_by_freq=sgf, sparse=sparse)

    def call(lib: Any, w: Any, batch: dict, max_norm: Any = MAX_NORM) -> tuple:
        ids = lib.tensor(batch["ids"])
        if isinstance(w, nn.Module):
            return w(ids), None
        return lib.nn.functional.embedding(ids, w, max_norm=max_norm, **kw), None

    module = nn.Embedding.from_pretrained(fl.tensor(w0.copy()), freeze=False, max_norm=MAX_NORM,
                                          **kw)
    ours = _run_frozen(module, w0, call, opt, batches)
    # torch refuses scale_grad_by_freq with sparse: there the oracle is firstlayer unfrozen
    ref_lib = fl if sgf and sparse else torch
    _agree(ours, _run_pinned(ref_lib, w0, call, opt, batches), w0)


BAG_CASES = [
    (mode, psw, padding_idx, sgf, sparse)
    for mode, psw in (("sum", False), ("sum", True), ("mean", False), ("max", False))
    for padding_idx in (None, 0, 2)
    for sgf in ((False,) if mode == "max" else (False, True))
    for sparse in ((False,) if mode == "max" else (False, True))
]


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
@pytest.mark.parametrize("mode, psw, padding_idx, sgf, sparse", BAG_CASES)
def test_embedding_bag_flags_with_frozen_rows(
    mode: str, psw: bool, padding_idx: int | None, sgf: bool, sparse: bool
) -> None:
    import torch

    case = BAG_CASES.index((mode, psw, padding_idx, sgf, sparse))
    norm_type = NORM_TYPES[case % len(NORM_TYPES)]
    opts = SPARSE_OPTS if sparse else DENSE_OPTS
    opt = opts[case % len(opts)]
    one_d = case % 2 == 0  # 1-D ids with offsets (an empty bag among them), or 2-D bags
    rng = np.random.default_rng(100 + case)
    w0 = _table(rng)
    batches = []
    for _ in range(3):
        ids = np.concatenate([FROZEN_MN, [2, 5], rng.integers(0, V, 7)])
        rng.shuffle(ids)
        batches.append(dict(
            ids=ids if one_d else ids.reshape(4, 3), offsets=np.array([0, 3, 3, 8]),
            psw=rng.standard_normal(ids.shape if one_d else (4, 3)) if psw else None,
            g=rng.standard_normal((4, D)), norm_type=norm_type,
        ))
    kw = dict(norm_type=norm_type, scale_grad_by_freq=sgf, mode=mode, sparse=sparse,
              padding_idx=padding_idx)

    def call(lib: Any, w: Any, batch: dict, max_norm: Any = MAX_NORM) -> tuple:
        ids = lib.tensor(batch["ids"])
        offsets = lib.tensor(batch["offsets"]) if one_d else None
        weights = None if batch["psw"] is None else lib.tensor(batch["psw"], requires_grad=True)
        if isinstance(w, nn.Module):
            return w(ids, offsets, weights), weights
        return lib.nn.functional.embedding_bag(
            ids, w, offsets, max_norm=max_norm, per_sample_weights=weights, **kw
        ), weights

    module = nn.EmbeddingBag.from_pretrained(fl.tensor(w0.copy()), freeze=False,
                                             max_norm=MAX_NORM, **kw)
    ours = _run_frozen(module, w0, call, opt, batches)
    # torch 2.13's CPU embedding_bag gets scale_grad_by_freq wrong (pytorch/pytorch#190063, see
    # test_embedding_bag.py) and refuses it with sparse: there the oracle is firstlayer unfrozen
    ref_lib = fl if sgf else torch
    _agree(ours, _run_pinned(ref_lib, w0, call, opt, batches), w0)
