"""optim.SGD against torch.optim.SGD over several steps, dense and row-sparse."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn


def _run_both(opts: dict, steps: int = 4, seed: int = 0) -> None:
    """Train the same quadratic-ish objective in both libraries; parameters must agree."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((5, 3))
    targets = [rng.standard_normal((5, 3)) for _ in range(steps)]
    ours = nn.Parameter(fl.tensor(w0))
    theirs = torch.nn.Parameter(torch.tensor(w0))
    o_opt = fl.optim.SGD([ours], **opts)
    t_opt = torch.optim.SGD([theirs], **opts)
    for tgt in targets:
        o_opt.zero_grad()
        t_opt.zero_grad()
        ((ours - fl.tensor(tgt)) ** 2).sum().backward()
        ((theirs - torch.tensor(tgt)) ** 2).sum().backward()
        o_opt.step()
        t_opt.step()
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    lr=st.sampled_from([0.0, 0.01, 0.1]),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    dampening=st.sampled_from([0.0, 0.3]),
    weight_decay=st.sampled_from([0.0, 0.01]),
    nesterov=st.booleans(),
    maximize=st.booleans(),
)
def test_dense_sgd_matches_torch(lr, momentum, dampening, weight_decay, nesterov, maximize) -> None:  # type: ignore[no-untyped-def]
    if nesterov and (momentum == 0 or dampening != 0):
        return  # invalid for torch too (tested below)
    _run_both(dict(lr=lr, momentum=momentum, dampening=dampening,
                   weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))


def test_plain_sparse_sgd_matches_torch_sparse() -> None:
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((20, 4)).astype(np.float32)
    ours = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, sparse=True)
    o_opt = fl.optim.SGD(ours.parameters(), lr=0.3)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.3)
    for _ in range(3):
        ids = rng.integers(0, 20, (6, 5))  # duplicates across and within rows
        g = rng.standard_normal((6, 5, 4)).astype(np.float32)
        o_opt.zero_grad()
        t_opt.zero_grad()
        ours(fl.tensor(ids)).backward(fl.tensor(g))
        theirs(torch.tensor(ids)).backward(torch.tensor(g))
        assert ours.weight.grad.is_sparse and theirs.weight.grad.is_sparse
        o_opt.step()
        t_opt.step()
        np.testing.assert_allclose(ours.weight.detach().numpy(),
                                   theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opts", [
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    dict(lr=0.05, momentum=0.5, dampening=0.2, weight_decay=0.1),
])
def test_sparse_lazy_rule_equals_dense_when_every_row_is_touched(opts: dict) -> None:
    """The lazy rule only differs from the dense one for rows absent from a batch."""
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((6, 3))
    dense = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False)
    sparse = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    od, osp = fl.optim.SGD(dense.parameters(), **opts), fl.optim.SGD(sparse.parameters(), **opts)
    for _ in range(4):
        ids = np.concatenate([np.arange(6), rng.integers(0, 6, 4)])
        g = rng.standard_normal((10, 3))
        for emb, opt in ((dense, od), (sparse, osp)):
            opt.zero_grad()
            emb(fl.tensor(ids)).backward(fl.tensor(g))
            opt.step()
        np.testing.assert_allclose(sparse.weight.detach().numpy(),
                                   dense.weight.detach().numpy(), rtol=1e-12)


def test_sparse_lazy_rule_leaves_untouched_rows_alone() -> None:
    w0 = np.arange(12, dtype=np.float64).reshape(4, 3)
    emb = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    opt = fl.optim.SGD(emb.parameters(), lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        emb(fl.tensor([0, 2, 2])).sum().backward()
        opt.step()
    after = emb.weight.detach().numpy()
    np.testing.assert_array_equal(after[[1, 3]], w0[[1, 3]])
    assert not np.allclose(after[[0, 2]], w0[[0, 2]])


def test_param_groups_and_state_dict_round_trip() -> None:
    a, b = nn.Parameter(fl.ones(2)), nn.Parameter(fl.ones(2))
    opt = fl.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9])
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5])
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1]
    opt2 = fl.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    np.testing.assert_array_equal(opt2.state[b]["momentum_buffer"], opt.state[b]["momentum_buffer"])


def test_zero_grad_and_skipping_params_without_grad() -> None:
    a = nn.Parameter(fl.ones(2))
    b = nn.Parameter(fl.ones(2))
    opt = fl.optim.SGD([a, b], lr=1.0)
    a.sum().backward()
    opt.step()  # b has no grad: left alone
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate: -0.1"),
    (dict(lr=0.1, momentum=-1), "momentum value: -1"),
    (dict(lr=0.1, weight_decay=-1e-3), "weight_decay value: -0.001"),
    (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
])
def test_invalid_hyper_parameters_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fl.optim.SGD([nn.Parameter(fl.ones(1))], **kwargs)
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], **kwargs)


def test_bad_params_arguments() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        fl.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        fl.optim.SGD(nn.Parameter(fl.ones(1)), lr=0.1)  # type: ignore[arg-type]
    p = nn.Parameter(fl.ones(1))
    with pytest.raises(ValueError, match="more than one parameter group"):
        fl.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
