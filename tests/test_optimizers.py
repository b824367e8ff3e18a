"""Adam, AdamW, Adagrad, SparseAdam, RMSprop (and SGD where the base class changed) against
torch.optim over several steps; the lazy sparse rules; state_dict; errors that change nothing.

torch is the oracle for dense gradients (every optimizer) and for row-sparse ones where torch
takes them (SGD, Adagrad, SparseAdam). Where torch rejects row-sparse gradients (Adam, AdamW,
RMSprop, SGD with momentum), the lazy rule is checked against our dense update on batches that
touch every row, and rows absent from a batch must keep their value and state.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn

STEPS = 5
unit = st.sampled_from([0.0, 0.5, 0.9, 0.99])

# name -> hypothesis strategy of keyword arguments valid for both libraries
# (RMSprop's alpha = 0 is left out: centered, it takes the sqrt of v - a*a = g*g - g*g, a
# rounding error whose sign differs between libraries.)
DENSE_CONFIGS: dict[str, Any] = {
    "Adam": st.fixed_dictionaries({
        "lr": st.sampled_from([0.0, 1e-3, 0.1]), "betas": st.tuples(unit, unit),
        "eps": st.sampled_from([1e-8, 0.1]), "weight_decay": st.sampled_from([0.0, 0.1]),
        "amsgrad": st.booleans(), "maximize": st.booleans(),
    }),
    "AdamW": st.fixed_dictionaries({
        "lr": st.sampled_from([1e-3, 0.1]), "betas": st.tuples(unit, unit),
        "weight_decay": st.sampled_from([0.0, 1e-2, 0.5]), "amsgrad": st.booleans(),
        "maximize": st.booleans(),
    }),
    "Adagrad": st.fixed_dictionaries({
        "lr": st.sampled_from([1e-2, 0.5]), "lr_decay": st.sampled_from([0.0, 0.1]),
        "weight_decay": st.sampled_from([0.0, 0.1]),
        "initial_accumulator_value": st.sampled_from([0.0, 0.5]),
        "eps": st.sampled_from([1e-10, 1e-3]), "maximize": st.booleans(),
    }),
    "RMSprop": st.fixed_dictionaries({
        "lr": st.sampled_from([1e-2, 0.1]), "alpha": st.sampled_from([0.5, 0.99, 1.0]),
        "eps": st.sampled_from([1e-8, 0.1]), "weight_decay": st.sampled_from([0.0, 0.1]),
        "momentum": st.sampled_from([0.0, 0.9]), "centered": st.booleans(),
        "maximize": st.booleans(),
    }),
}


def _fl_opt(name: str, params: Any, **kw: Any) -> Any:
    return getattr(fl.optim, name)(params, **kw)


def _torch_opt(name: str, params: Any, **kw: Any) -> Any:
    return getattr(torch.optim, name)(params, **kw)


def _run_dense(name: str, kw: dict, dtype: type, seed: int) -> None:
    """Two parameters in two groups (the second with its own lr), STEPS steps, gradients drawn
    anew each step; the parameters must agree with torch's after each step."""
    rng = np.random.default_rng(seed)
    w0 = [rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(5).astype(dtype)]
    ours = [nn.Parameter(fl.tensor(w)) for w in w0]
    theirs = [torch.nn.Parameter(torch.tensor(w)) for w in w0]
    lr2 = 0.05
    o_opt = _fl_opt(name, [{"params": [ours[0]]}, {"params": [ours[1]], "lr": lr2}], **kw)
    t_opt = _torch_opt(name, [{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": lr2}], **kw)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for _ in range(STEPS):
        for o, t in zip(ours, theirs):
            g = rng.standard_normal(o.shape).astype(dtype)
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
        o_opt.step()
        t_opt.step()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), **tol)
    # the state holds what torch's holds, with the same values
    for o, t in zip(ours, theirs):
        o_state, t_state = o_opt.state.get(o, {}), t_opt.state.get(t, {})
        assert set(o_state) == set(t_state)
        for key, value in t_state.items():
            np.testing.assert_allclose(np.asarray(o_state[key]), value.numpy(), **tol)


@pytest.mark.parametrize("name", list(DENSE_CONFIGS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_steps_match_torch(name: str, dtype: type) -> None:
    @settings(max_examples=12, deadline=None)
    @given(kw=DENSE_CONFIGS[name], seed=st.integers(0, 2**16))
    def check(kw: dict, seed: int) -> None:
        # RMSprop with alpha = 1 never moves its square average off 0, so each step divides by
        # eps: with eps = 1e-8 the weights grow ~1e8-fold a step and float32 rounding (order of
        # operations) decides the digits. float64 still checks that configuration.
        assume(not (dtype == np.float32 and kw.get("alpha") == 1.0 and kw.get("eps") == 1e-8))
        _run_dense(name, kw, dtype, seed)

    check()


def test_defaults_match_torch() -> None:
    for name in ["Adam", "AdamW", "Adagrad", "RMSprop", "SGD"]:
        _run_dense(name, {}, np.float64, 0)


def test_step_count_and_state_layout_like_torch() -> None:
    p = nn.Parameter(fl.ones(3))
    opt = fl.optim.Adam([p], amsgrad=True)
    for _ in range(3):
        p.grad = fl.ones(3)
        opt.step()
    step = opt.state[p]["step"]
    assert isinstance(step, fl.Tensor) and step.dtype == fl.float32 and step.item() == 3.0
    assert sorted(opt.state[p]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    # Adagrad creates its state up front, as torch does
    q = nn.Parameter(fl.ones(2))
    ada = fl.optim.Adagrad([q], initial_accumulator_value=0.25)
    assert ada.state[q]["step"].item() == 0.0
    np.testing.assert_array_equal(ada.state[q]["sum"].numpy(), [0.25, 0.25])


def test_closure_is_called_with_grad_enabled_and_its_loss_returned() -> None:
    p = nn.Parameter(fl.tensor([1.0, 2.0]))
    opt = fl.optim.Adam([p], lr=0.1)

    def closure() -> Any:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with fl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert opt.state[p]["step"].item() == 1.0


# --- row-sparse gradients ------------------------------------------------------------------

def _embedding_pair(w0: np.ndarray, sparse: bool = True) -> tuple[Any, Any]:
    ours = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=sparse)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, sparse=sparse)
    return ours, theirs


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(["SparseAdam", "Adagrad", "SGD"]),
    lr=st.sampled_from([1e-3, 0.1]),
    maximize=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_sparse_steps_match_torch_where_torch_takes_sparse(
    name: str, lr: float, maximize: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    V, D = 12, 3
    ours, theirs = _embedding_pair(rng.standard_normal((V, D)))
    kw: dict[str, Any] = dict(lr=lr, maximize=maximize)
    if name == "Adagrad":
        kw.update(lr_decay=0.1, initial_accumulator_value=0.1)
    if name == "SparseAdam":
        kw.update(betas=(0.8, 0.9))
    o_opt = _fl_opt(name, ours.parameters(), **kw)
    t_opt = _torch_opt(name, theirs.parameters(), **kw)
    for _ in range(STEPS):
        ids = rng.integers(0, V, 8)  # duplicates: coalescing must sum them
        g = rng.standard_normal((8, D))
        for emb, opt, lib in ((ours, o_opt, fl), (theirs, t_opt, torch)):
            opt.zero_grad()
            emb(lib.tensor(ids)).backward(lib.tensor(g))
            opt.step()
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                   rtol=1e-12, atol=1e-14)
    if name == "SparseAdam":
        assert o_opt.state[ours.weight]["step"] == t_opt.state[theirs.weight]["step"] == STEPS


LAZY_CONFIGS = [
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.1, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, lr_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)),
]


@pytest.mark.parametrize("name, kw", LAZY_CONFIGS)
def test_lazy_sparse_rule_equals_dense_when_every_row_is_present(name: str, kw: dict) -> None:
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 3))
    dense = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False)
    sparse = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    od, osp = _fl_opt(name, dense.parameters(), **kw), _fl_opt(name, sparse.parameters(), **kw)
    for _ in range(STEPS):
        ids = np.concatenate([rng.permutation(6), rng.integers(0, 6, 5)])  # all rows, duplicates
        g = rng.standard_normal((11, 3))
        for emb, opt in ((dense, od), (sparse, osp)):
            opt.zero_grad()
            emb(fl.tensor(ids)).backward(fl.tensor(g))
            opt.step()
        np.testing.assert_allclose(sparse.weight.detach().numpy(), dense.weight.detach().numpy(),
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, kw", LAZY_CONFIGS + [("SparseAdam", dict(lr=0.1))])
def test_lazy_sparse_rule_leaves_absent_rows_and_their_state_alone(name: str, kw: dict) -> None:
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((8, 2))
    emb = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    opt = _fl_opt(name, emb.parameters(), **kw)
    w = emb.weight
    for step in range(4):
        # rows 6 and 7 never appear; rows 4 and 5 only in the first two steps
        ids = rng.integers(0, 6 if step < 2 else 4, 10)
        before_w = w.detach().numpy().copy()
        before_state = copy.deepcopy({k: np.asarray(v) for k, v in opt.state.get(w, {}).items()
                                      if k != "step"})
        opt.zero_grad()
        emb(fl.tensor(ids)).backward(fl.tensor(rng.standard_normal((10, 2))))
        opt.step()
        absent = np.setdiff1d(np.arange(8), ids)
        np.testing.assert_array_equal(w.detach().numpy()[absent], before_w[absent])
        for key, arr in before_state.items():
            np.testing.assert_array_equal(np.asarray(opt.state[w][key])[absent], arr[absent])
    np.testing.assert_array_equal(w.detach().numpy()[6:], w0[6:])


def test_sparse_adam_rejects_dense_gradients_and_changes_nothing() -> None:
    a, b = nn.Parameter(fl.ones(2, 2)), nn.Parameter(fl.ones(2, 2))
    emb = nn.Embedding.from_pretrained(a, freeze=False, sparse=True)
    opt = fl.optim.SparseAdam([a, b], lr=0.1)
    emb(fl.tensor([0])).sum().backward()
    b.grad = fl.ones(2, 2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients.*Adam"):
        opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), np.ones((2, 2)))
    assert opt.state == {}
    tb = torch.nn.Parameter(torch.ones(2))
    tb.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        torch.optim.SparseAdam([tb]).step()


def test_a_bad_gradient_fails_the_step_before_anything_changes() -> None:
    a, b = nn.Parameter(fl.ones(3)), nn.Parameter(fl.ones(3))
    opt = fl.optim.Adam([a, b], lr=0.1)
    a.grad = fl.ones(3)
    opt.step()
    saved, saved_a = opt.state_dict(), a.detach().numpy().copy()
    a.grad, b.grad = fl.ones(3), fl.ones(4)
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(4,\)"):
        opt.step()
    b.grad = fl.ones(3, dtype=fl.float64)
    with pytest.raises(TypeError, match="dtype"):
        opt.step()
    after = opt.state_dict()
    np.testing.assert_array_equal(a.detach().numpy(), saved_a)
    assert saved_a.tolist() == pytest.approx([0.9, 0.9, 0.9])
    assert after["state"].keys() == saved["state"].keys() == {0}
    for key in ("step", "exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(np.asarray(after["state"][0][key]),
                                      np.asarray(saved["state"][0][key]))


# --- state_dict ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kw", [
    ("Adam", dict(lr=0.1, amsgrad=True)), ("AdamW", {}), ("Adagrad", dict(lr_decay=0.1)),
    ("RMSprop", dict(momentum=0.9, centered=True)), ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SparseAdam", {}),
])
def test_state_dict_round_trip_continues_identically(name: str, kw: dict) -> None:
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((6, 2))
    batches = [(rng.integers(0, 6, 5), rng.standard_normal((5, 2))) for _ in range(6)]

    def train(emb: Any, opt: Any, part: list) -> None:
        for ids, g in part:
            opt.zero_grad()
            emb(fl.tensor(ids)).backward(fl.tensor(g))
            opt.step()

    ref = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    ref_opt = _fl_opt(name, ref.parameters(), **kw)
    train(ref, ref_opt, batches)

    first = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    first_opt = _fl_opt(name, first.parameters(), **kw)
    train(first, first_opt, batches[:3])
    saved = first_opt.state_dict()
    saved_weight = first.weight.detach().numpy().copy()
    snapshot = copy.deepcopy({k: np.asarray(v) for k, v in saved["state"][0].items()})
    train(first, first_opt, batches[3:4])  # the saved dict holds copies: unchanged by this
    for k, v in snapshot.items():
        np.testing.assert_array_equal(np.asarray(saved["state"][0][k]), v)

    resumed = nn.Embedding.from_pretrained(fl.tensor(saved_weight), freeze=False, sparse=True)
    resumed_opt = _fl_opt(name, resumed.parameters(), **kw)
    resumed_opt.load_state_dict(saved)
    train(resumed, resumed_opt, batches[3:])
    np.testing.assert_array_equal(resumed.weight.detach().numpy(), ref.weight.detach().numpy())


def test_state_dict_matches_torch_layout() -> None:
    ours, theirs = nn.Parameter(fl.ones(2)), torch.nn.Parameter(torch.ones(2))
    o_opt, t_opt = fl.optim.Adam([ours], lr=0.1), torch.optim.Adam([theirs], lr=0.1)
    ours.grad, theirs.grad = fl.ones(2), torch.ones(2)
    o_opt.step()
    t_opt.step()
    o_sd, t_sd = o_opt.state_dict(), t_opt.state_dict()
    assert o_sd["state"].keys() == t_sd["state"].keys() == {0}
    assert set(o_sd["state"][0]) == set(t_sd["state"][0])
    assert o_sd["param_groups"][0]["params"] == t_sd["param_groups"][0]["params"] == [0]
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"):
        assert o_sd["param_groups"][0][key] == t_sd["param_groups"][0][key]


def _bad_state_dicts(sd: dict) -> list[tuple[dict, type, str]]:
    out = []
    two_groups = copy.deepcopy(sd)
    two_groups["param_groups"].append(copy.deepcopy(sd["param_groups"][0]))
    out.append((two_groups, ValueError, "different number of parameter groups"))
    short = copy.deepcopy(sd)
    short["param_groups"][0]["params"] = [0]
    out.append((short, ValueError, "doesn't match the size"))
    shape = copy.deepcopy(sd)
    shape["state"][1]["exp_avg"] = fl.zeros(5)
    out.append((shape, ValueError, r"'exp_avg' of shape \(5,\)"))
    unknown = copy.deepcopy(sd)
    unknown["state"][1]["momentum_buffer"] = fl.zeros(3)
    out.append((unknown, ValueError, "'momentum_buffer'.*another optimizer"))
    stray = copy.deepcopy(sd)
    stray["state"][7] = {}
    out.append((stray, ValueError, "parameter 7"))
    bad_lr = copy.deepcopy(sd)
    bad_lr["param_groups"][0]["lr"] = -1.0
    out.append((bad_lr, ValueError, "Invalid learning rate: -1.0"))
    out.append(({"state": {}}, ValueError, "'param_groups'"))
    return out


def test_a_mismatching_state_dict_raises_and_loads_nothing() -> None:
    a, b = nn.Parameter(fl.ones(2)), nn.Parameter(fl.ones(3))
    opt = fl.optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = fl.ones(2), fl.ones(3)
    opt.step()
    good = opt.state_dict()
    b.grad = fl.ones(3) * 2
    opt.step()  # the optimizer's current state now differs from `good`
    current = opt.state_dict()
    for bad, exc, match in _bad_state_dicts(good):
        with pytest.raises(exc, match=match):
            opt.load_state_dict(bad)
        now = opt.state_dict()
        assert now["param_groups"] == current["param_groups"]
        for i in (0, 1):
            for key, value in current["state"][i].items():
                np.testing.assert_array_equal(np.asarray(now["state"][i][key]), np.asarray(value))
    opt.load_state_dict(good)  # and a good one loads, cast and copied
    assert opt.state[b]["step"].item() == 1.0
    assert opt.state[b]["exp_avg"] is not good["state"][1]["exp_avg"]


# --- bad hyper-parameters --------------------------------------------------------------------

BAD = [
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1", True),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08", True),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0", True),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1", True),
    ("Adam", dict(weight_decay=-1e-2), "Invalid weight_decay value: -0.01", True),
    ("Adam", dict(lr=float("nan")), "Invalid learning rate: nan", False),
    ("Adam", dict(betas=(0.9,)), "betas must be a pair", False),
    ("AdamW", dict(lr=-1.0), "Invalid learning rate: -1.0", True),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5", True),
    ("AdamW", dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5", True),
    ("Adagrad", dict(lr=-0.1), "Invalid learning rate: -0.1", True),
    ("Adagrad", dict(lr_decay=-1.0), "Invalid lr_decay value: -1.0", True),
    ("Adagrad", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0", True),
    ("Adagrad", dict(initial_accumulator_value=-1.0),
     "Invalid initial_accumulator_value value: -1.0", True),
    ("Adagrad", dict(eps=-1.0), "Invalid epsilon value: -1.0", True),
    ("SparseAdam", dict(lr=0.0), "Invalid learning rate: 0.0", True),
    ("SparseAdam", dict(eps=0.0), "Invalid epsilon value: 0.0", True),
    ("SparseAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0", True),
    ("RMSprop", dict(lr=-0.1), "Invalid learning rate: -0.1", True),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5", True),
    ("RMSprop", dict(eps=-1.0), "Invalid epsilon value: -1.0", True),
    ("RMSprop", dict(momentum=-0.9), "Invalid momentum value: -0.9", True),
    ("RMSprop", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0", True),
    ("RMSprop", dict(lr="0.1"), "Invalid learning rate: '0.1'", False),
]


@pytest.mark.parametrize("name, kw, match, torch_rejects", BAD)
def test_invalid_hyper_parameters_are_rejected(
    name: str, kw: dict, match: str, torch_rejects: bool
) -> None:
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        _fl_opt(name, [nn.Parameter(fl.ones(1))], **kw)
    if torch_rejects:
        with pytest.raises(ValueError, match=match):
            _torch_opt(name, [torch.nn.Parameter(torch.ones(1))], **kw)


def test_param_group_overrides_are_validated_too() -> None:
    p, q = nn.Parameter(fl.ones(1)), nn.Parameter(fl.ones(1))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        fl.optim.Adam([{"params": [p]}, {"params": [q], "lr": -1}])
    opt = fl.optim.RMSprop([p])
    with pytest.raises(ValueError, match="Invalid alpha value: -2"):
        opt.add_param_group({"params": [q], "alpha": -2})
    assert len(opt.param_groups) == 1


def test_zero_grad_clears_dense_and_sparse_gradients() -> None:
    emb = nn.Embedding(4, 2, sparse=True)
    lin = nn.Linear(2, 1)
    opt = fl.optim.Adam(list(emb.parameters()) + list(lin.parameters()))
    lin(emb(fl.tensor([1, 2]))).sum().backward()
    assert emb.weight.grad.is_sparse and lin.weight.grad is not None
    grad = emb.weight.grad
    opt.zero_grad(set_to_none=False)
    # as torch: the sparse gradient stays, emptied in place (no entries), and the next backward
    # adds its rows to it
    assert emb.weight.grad is grad and grad.is_sparse and grad._nnz() == 0
    np.testing.assert_array_equal(grad.to_dense().numpy(), np.zeros((4, 2)))
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.zeros((1, 2)))
    lin(emb(fl.tensor([3]))).sum().backward()
    assert emb.weight.grad.is_sparse and emb.weight.grad.coalesce().indices().tolist() == [[3]]
    emb.zero_grad(set_to_none=False)
    assert emb.weight.grad._nnz() == 0
    opt.zero_grad()
    assert lin.weight.grad is None and emb.weight.grad is None


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "SparseAdam"])
def test_steps_after_zero_grad_keeping_sparse_grads_match_torch(name: str) -> None:
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    out = []
    for lib in (fl, torch):
        emb = lib.nn.Embedding.from_pretrained(lib.tensor(w), freeze=False, sparse=True)
        opt = getattr(lib.optim, name)(emb.parameters(), lr=0.1)
        for ids in ([1, 2, 2], [3], [1, 5]):
            opt.zero_grad(set_to_none=False)
            emb(lib.tensor(ids)).pow(2).sum().backward()
            opt.step()
        out.append(emb.weight.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6, atol=1e-7)


def test_a_torch_state_dict_loads_and_training_continues_alike() -> None:
    rng = np.random.default_rng(6)
    w0 = rng.standard_normal((3, 2))
    ours, theirs = nn.Parameter(fl.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    t_opt = torch.optim.Adam([theirs], lr=0.1, amsgrad=True)
    for _ in range(2):
        theirs.grad = torch.tensor(rng.standard_normal((3, 2)))
        t_opt.step()
    with torch.no_grad():
        ours.data = fl.tensor(theirs.detach().numpy().copy())
    o_opt = fl.optim.Adam([ours], lr=0.1, amsgrad=True)
    o_opt.load_state_dict(t_opt.state_dict())
    assert o_opt.state[ours]["step"].item() == 2.0
    for _ in range(3):
        g = rng.standard_normal((3, 2))
        ours.grad, theirs.grad = fl.tensor(g), torch.tensor(g)
        o_opt.step()
        t_opt.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
