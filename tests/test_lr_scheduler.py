"""optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates, to the bit,
over 50 steps, and after a state_dict round trip."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn

STEPS = 50
LRS = [0.1, 0.03]  # two parameter groups with their own rates


def _optimizers() -> tuple[Any, Any]:
    ours = fl.optim.SGD([{"params": [nn.Parameter(fl.ones(1))], "lr": lr} for lr in LRS])
    theirs = torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in LRS]
    )
    return ours, theirs


class Halving:
    """A callable object: LambdaLR saves its __dict__ (a plain function has nothing saved)."""

    def __init__(self) -> None:
        self.every = 7

    def __call__(self, epoch: int) -> float:
        return 0.5 ** (epoch // self.every)


def _make(name: str, opt: Any, lib: Any, kw: dict) -> Any:
    cls = getattr(lib.optim.lr_scheduler, name)
    if name == "LambdaLR":
        return cls(opt, [lambda e: 0.95**e, Halving()])
    return cls(opt, **kw)


SCHEDULES = {
    "LambdaLR": st.just({}),
    "StepLR": st.fixed_dictionaries(
        {"step_size": st.integers(1, 12), "gamma": st.sampled_from([0.1, 0.5, 0.9])}
    ),
    "LinearLR": st.fixed_dictionaries({
        "start_factor": st.sampled_from([1 / 3, 0.1, 1.0]),
        "end_factor": st.sampled_from([1.0, 0.5, 0.0]),
        "total_iters": st.integers(1, 60),
    }),
    "CosineAnnealingLR": st.fixed_dictionaries(
        {"T_max": st.integers(1, 30), "eta_min": st.sampled_from([0.0, 1e-3])}
    ),
}


def _step_both(o_opt: Any, t_opt: Any, o_s: Any, t_s: Any, steps: int) -> None:
    for _ in range(steps):
        o_opt.step()
        t_opt.step()
        o_s.step()
        t_s.step()
        assert o_s.get_last_lr() == t_s.get_last_lr()  # exactly: same float operations
        assert [g["lr"] for g in o_opt.param_groups] == [g["lr"] for g in t_opt.param_groups]
        assert o_s.last_epoch == t_s.last_epoch


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedules_match_torch_over_50_steps(name: str) -> None:
    @settings(max_examples=10, deadline=None)
    @given(kw=SCHEDULES[name])
    def check(kw: dict) -> None:
        o_opt, t_opt = _optimizers()
        o_s, t_s = _make(name, o_opt, fl, kw), _make(name, t_opt, torch, kw)
        assert o_s.get_last_lr() == t_s.get_last_lr()
        assert o_s.base_lrs == t_s.base_lrs == LRS
        _step_both(o_opt, t_opt, o_s, t_s, STEPS)

    check()


@pytest.mark.parametrize("name, kw", [
    ("LambdaLR", {}), ("StepLR", dict(step_size=5, gamma=0.5)),
    ("LinearLR", dict(total_iters=30)), ("CosineAnnealingLR", dict(T_max=12, eta_min=1e-3)),
])
def test_state_dict_round_trip_resumes_the_schedule(name: str, kw: dict) -> None:
    o_opt, t_opt = _optimizers()
    o_s, t_s = _make(name, o_opt, fl, kw), _make(name, t_opt, torch, kw)
    _step_both(o_opt, t_opt, o_s, t_s, 20)
    saved_opt, saved_sched = o_opt.state_dict(), o_s.state_dict()
    assert "optimizer" not in saved_sched
    if name == "LambdaLR":
        assert saved_sched["lr_lambdas"] == [None, {"every": 7}]  # a lambda has no state
    # resume in a fresh optimizer and scheduler, as a training script restarting would
    r_opt, _ = _optimizers()
    r_s = _make(name, r_opt, fl, kw)
    if name == "LambdaLR":
        r_s.lr_lambdas[1].every = 1  # restored by load_state_dict
    r_opt.load_state_dict(saved_opt)
    r_s.load_state_dict(saved_sched)
    if name == "LambdaLR":
        assert "lr_lambdas" in saved_sched  # the caller's dict is left whole
        assert r_s.lr_lambdas[1].every == 7
    _step_both(r_opt, t_opt, r_s, t_s, STEPS - 20)


@pytest.mark.parametrize("name, kw", [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("LinearLR", dict(total_iters=10)),
    ("CosineAnnealingLR", dict(T_max=10)),
])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name: str, kw: dict) -> None:
    o_opt, t_opt = _optimizers()
    o_s, t_s = _make(name, o_opt, fl, kw), _make(name, t_opt, torch, kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [4, 7, 2, 15]:
            o_opt.step()
            t_opt.step()
            o_s.step(epoch)
            t_s.step(epoch)
            assert o_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-15)


def test_resuming_with_last_epoch() -> None:
    o_opt, t_opt = _optimizers()
    o_s, t_s = _make("StepLR", o_opt, fl, dict(step_size=2)), _make(
        "StepLR", t_opt, torch, dict(step_size=2))
    _step_both(o_opt, t_opt, o_s, t_s, 3)
    o2 = fl.optim.lr_scheduler.CosineAnnealingLR(o_opt, T_max=10, last_epoch=3)
    t2 = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=10, last_epoch=3)
    assert o2.get_last_lr() == t2.get_last_lr()
    fresh, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        fl.optim.lr_scheduler.StepLR(fresh, step_size=2, last_epoch=3)


def test_warns_when_the_scheduler_steps_before_the_optimizer() -> None:
    o_opt, _ = _optimizers()
    sched = fl.optim.lr_scheduler.StepLR(o_opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    o_opt2, _ = _optimizers()
    sched2 = fl.optim.lr_scheduler.StepLR(o_opt2, step_size=1)
    o_opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


@pytest.mark.parametrize("make, exc, match", [
    (lambda o: fl.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError,
     "Expected 2 lr_lambdas, but got 1"),
    (lambda o: fl.optim.lr_scheduler.LinearLR(o, start_factor=0.0), ValueError,
     "Starting multiplicative factor"),
    (lambda o: fl.optim.lr_scheduler.LinearLR(o, end_factor=1.5), ValueError,
     "Ending multiplicative factor"),
    (lambda o: fl.optim.lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: fl.optim.lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: fl.optim.lr_scheduler.StepLR("sgd", step_size=1), TypeError,  # type: ignore
     "str is not an Optimizer"),
])
def test_bad_arguments(make: Any, exc: type, match: str) -> None:
    o_opt, _ = _optimizers()
    with pytest.raises(exc, match=match):
        make(o_opt)
    assert [g["lr"] for g in o_opt.param_groups] == LRS


# torch checks neither step_size nor T_max: floats work (the text-classification tutorial
# writes StepLR(optimizer, 1.0, gamma=0.1)) and so do negative periods. We give the same rates.
@pytest.mark.parametrize("name, kw", [
    ("StepLR", dict(step_size=1.0, gamma=0.1)),
    ("StepLR", dict(step_size=2.5, gamma=0.5)),
    ("StepLR", dict(step_size=-3, gamma=0.5)),
    ("CosineAnnealingLR", dict(T_max=7.5, eta_min=1e-3)),
    ("CosineAnnealingLR", dict(T_max=-6)),
])
def test_float_and_negative_periods_match_torch(name: str, kw: dict) -> None:
    o_opt, t_opt = _optimizers()
    o_s, t_s = _make(name, o_opt, fl, kw), _make(name, t_opt, torch, kw)
    assert o_s.get_last_lr() == t_s.get_last_lr()
    _step_both(o_opt, t_opt, o_s, t_s, STEPS)


def test_float_step_size_in_the_closed_form_matches_torch() -> None:
    o_opt, t_opt = _optimizers()
    kw = dict(step_size=2.0, gamma=0.5)
    o_s, t_s = _make("StepLR", o_opt, fl, kw), _make("StepLR", t_opt, torch, kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [5, 2, 9]:
            o_opt.step()
            t_opt.step()
            o_s.step(epoch)
            t_s.step(epoch)
            assert o_s.get_last_lr() == t_s.get_last_lr()


def test_tutorial_steplr_one_point_zero_decays_every_step() -> None:
    o_opt, _ = _optimizers()
    sched = fl.optim.lr_scheduler.StepLR(o_opt, 1.0, gamma=0.1)
    o_opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([lr * 0.1 for lr in LRS], rel=1e-15)


@pytest.mark.parametrize("make, match", [
    (lambda o: fl.optim.lr_scheduler.StepLR(o, step_size="2"), "step_size must be a number"),
    (lambda o: fl.optim.lr_scheduler.StepLR(o, step_size=True), "step_size must be a number"),
    (lambda o: fl.optim.lr_scheduler.CosineAnnealingLR(o, T_max=None), "T_max must be a number"),
])
def test_a_period_that_is_not_a_number_is_a_type_error(make: Any, match: str) -> None:
    o_opt, _ = _optimizers()
    with pytest.raises(TypeError, match=match):
        make(o_opt)
    assert [g["lr"] for g in o_opt.param_groups] == LRS


def test_sparse_adam_takes_maximize_positionally_like_torch() -> None:
    p = nn.Parameter(fl.ones(2))
    opt = fl.optim.SparseAdam([p], 1e-3, (0.9, 0.999), 1e-8, True)
    t_opt = torch.optim.SparseAdam([torch.nn.Parameter(torch.ones(2))], 1e-3, (0.9, 0.999), 1e-8,
                                   True)
    assert opt.defaults["maximize"] is True and t_opt.defaults["maximize"] is True
