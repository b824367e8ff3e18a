"""The optimizers take torch 2.13's exact constructor arguments and keep what torch keeps.

Against torch: signatures (names, order, kinds, defaults), ``param_groups`` and ``defaults``
(keys in torch's order, values), ``repr``, ``state_dict`` layout; steps with ``foreach`` /
``fused`` True, False or None (they choose torch's implementation; ours has one, so the values
must equal torch's for each), dense and row-sparse; ``lr`` as a tensor; RMSprop with
``alpha > 1``; the combinations torch refuses, with torch's exception types; ``(name, param)``
pairs; the step / state-dict hooks; and a torch state dict carrying the new keys.
"""

from __future__ import annotations

import inspect
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn

NAMES = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "SparseAdam"]

# Options that make each update exercise most of its formula.
OPTIONS: dict[str, dict[str, Any]] = {
    "SGD": dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    "Adam": dict(lr=0.05, weight_decay=0.01, amsgrad=True),
    "AdamW": dict(lr=0.05, betas=(0.8, 0.9)),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    "SparseAdam": dict(lr=0.05),
}


def _has(name: str, arg: str) -> bool:
    return arg in inspect.signature(getattr(torch.optim, name).__init__).parameters


def _flag_sets(name: str) -> list[dict[str, Any]]:
    """Every value of ``foreach`` and ``fused`` the optimizer takes, one at a time."""
    out: list[dict[str, Any]] = [{}]
    for arg in ("foreach", "fused"):
        if _has(name, arg):
            out += [{arg: True}, {arg: False}, {arg: None}]
    return out


def _pair(name: str, w0: list[np.ndarray], **kw: Any) -> tuple[list, Any, list, Any]:
    """Our and torch's parameters and optimizers, two groups (the second with its own lr)."""
    ours = [nn.Parameter(fl.tensor(w)) for w in w0]
    theirs = [torch.nn.Parameter(torch.tensor(w)) for w in w0]
    o_opt = getattr(fl.optim, name)([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.02}], **kw)
    t_opt = getattr(torch.optim, name)(
        [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.02}], **kw
    )
    return ours, o_opt, theirs, t_opt


def _tol(dtype: Any) -> dict[str, float]:
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)


def _params_of(name: str) -> tuple[Any, Any]:
    return nn.Parameter(fl.ones(2)), torch.nn.Parameter(torch.ones(2))


# --- signatures, groups, repr, state_dict ----------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_signature_is_torchs(name: str) -> None:
    def described(cls: Any) -> list[tuple]:
        sig = inspect.signature(cls.__init__)
        return [(p.name, p.kind, p.default, type(p.default)) for p in sig.parameters.values()]

    assert described(getattr(fl.optim, name)) == described(getattr(torch.optim, name))


def _group_kwargs(name: str) -> list[dict[str, Any]]:
    out = [{}, OPTIONS[name]] + _flag_sets(name)[1:]
    if _has(name, "capturable"):
        out.append(dict(capturable=True, foreach=False))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_groups_defaults_repr_and_state_dict_layout_are_torchs(name: str) -> None:
    for kw in _group_kwargs(name):
        ours, o_opt, theirs, t_opt = _pair(name, [np.ones(2), np.ones(3)], **kw)
        assert list(o_opt.defaults.items()) == list(t_opt.defaults.items()), kw
        for og, tg in zip(o_opt.param_groups, t_opt.param_groups):
            assert list(og) == list(tg), kw  # same keys, in torch's order
            assert {k: v for k, v in og.items() if k != "params"} == {
                k: v for k, v in tg.items() if k != "params"
            }
        assert repr(o_opt) == repr(t_opt), kw
        o_sd, t_sd = o_opt.state_dict(), t_opt.state_dict()
        assert list(o_sd) == list(t_sd)
        assert o_sd["param_groups"] == t_sd["param_groups"], kw


@pytest.mark.parametrize("name", NAMES)
def test_a_group_added_later_gets_torchs_keys_and_stays_the_dict_given(name: str) -> None:
    (a, ta), (b, tb) = _params_of(name), _params_of(name)
    o_opt = getattr(fl.optim, name)([a], lr=0.1)
    t_opt = getattr(torch.optim, name)([ta], lr=0.1)
    o_group, t_group = {"params": b, "eps": 0.5}, {"params": tb, "eps": 0.5}
    o_opt.add_param_group(o_group)
    t_opt.add_param_group(t_group)
    assert o_opt.param_groups[1] is o_group
    assert list(o_group) == list(t_group)
    assert repr(o_opt) == repr(t_opt)
    for lib, opt in ((fl, o_opt), (torch, t_opt)):
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {lib.nn.Parameter(lib.ones(1))}})


# --- steps: foreach / fused change nothing --------------------------------------------------

DENSE_CASES = [
    (name, flags, dtype)
    for name in NAMES if name != "SparseAdam"
    for flags in _flag_sets(name)
    for dtype in (np.float32, np.float64)
]


@pytest.mark.parametrize("name, flags, dtype", DENSE_CASES)
def test_dense_steps_equal_torchs_whatever_foreach_and_fused(
    name: str, flags: dict, dtype: Any
) -> None:
    rng = np.random.default_rng(0)
    w0 = [rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(5).astype(dtype)]
    ours, o_opt, theirs, t_opt = _pair(name, w0, **OPTIONS[name], **flags)
    for _ in range(3):
        for o, t in zip(ours, theirs):
            g = rng.standard_normal(o.shape).astype(dtype)
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
        o_opt.step()
        t_opt.step()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), **_tol(dtype))
    for o, t in zip(ours, theirs):
        assert set(o_opt.state[o]) == set(t_opt.state[t])
        for key, value in t_opt.state[t].items():
            np.testing.assert_allclose(np.asarray(o_opt.state[o][key]), value.numpy(),
                                       **_tol(dtype))


SPARSE_CASES = [
    (name, kw, flags, dtype)
    for name, kw in [("SGD", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
                     ("SparseAdam", dict(lr=0.05))]
    for flags in _flag_sets(name) if not flags.get("fused")
    for dtype in (np.float32, np.float64)
]


@pytest.mark.parametrize("name, kw, flags, dtype", SPARSE_CASES)
def test_sparse_steps_equal_torchs_whatever_foreach(
    name: str, kw: dict, flags: dict, dtype: Any
) -> None:
    rng = np.random.default_rng(1)
    V, D = 8, 3
    w0 = rng.standard_normal((V, D)).astype(dtype)
    ours = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, sparse=True)
    o_opt = getattr(fl.optim, name)(ours.parameters(), **kw, **flags)
    t_opt = getattr(torch.optim, name)(theirs.parameters(), **kw, **flags)
    for _ in range(3):
        ids = rng.integers(0, V, 5)  # duplicates included
        g = rng.standard_normal((5, D)).astype(dtype)
        for emb, opt, lib in ((ours, o_opt, fl), (theirs, t_opt, torch)):
            opt.zero_grad()
            emb(lib.tensor(ids)).backward(lib.tensor(g))
            opt.step()
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                   **_tol(dtype))


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam", "AdamW"])
def test_fused_refuses_sparse_gradients_like_torch_and_changes_nothing(name: str) -> None:
    w0 = np.ones((4, 2), dtype=np.float32)
    ours = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, sparse=True)
    for emb, lib in ((ours, fl), (theirs, torch)):
        opt = getattr(lib.optim, name)(emb.parameters(), lr=0.1, fused=True)
        emb(lib.tensor([1, 1, 3])).sum().backward()
        with pytest.raises(RuntimeError):
            opt.step()
        np.testing.assert_array_equal(emb.weight.detach().numpy(), w0)


# --- lr as a tensor --------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_a_tensor_lr_steps_like_torch(name: str) -> None:
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((3, 2))
    if name == "SparseAdam":
        ours = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
        theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, sparse=True)
        o, t = ours.weight, theirs.weight
    else:
        o, t = nn.Parameter(fl.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    o_opt = getattr(fl.optim, name)([o], lr=fl.tensor(0.05))
    t_opt = getattr(torch.optim, name)([t], lr=torch.tensor(0.05))
    assert repr(o_opt) == repr(t_opt)
    assert isinstance(o_opt.param_groups[0]["lr"], fl.Tensor)
    for _ in range(3):
        if name == "SparseAdam":
            for emb, opt, lib in ((ours, o_opt, fl), (theirs, t_opt, torch)):
                opt.zero_grad()
                emb(lib.tensor([0, 2, 2])).sum().backward()
                opt.step()
        else:
            g = rng.standard_normal((3, 2))
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
            o_opt.step()
            t_opt.step()
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10)


def test_tensor_hyper_parameters_refused_where_torch_refuses_them() -> None:
    cases: list[tuple[str, dict, str]] = [
        ("SGD", dict(lr="tensor2"), "Tensor lr must be 1-element"),
        ("Adam", dict(lr="tensor1", foreach=True), "lr as a Tensor is not supported"),
        ("Adam", dict(betas=("tensor1", 0.999)), "betas must be either both"),
        ("AdamW", dict(betas=("tensor1", "tensor1"), foreach=True),
         r"betas\[0\] as a Tensor is not supported"),
    ]
    for name, kw, match in cases:
        for lib in (fl, torch):
            made = {k: (lib.tensor([0.5, 0.5]) if v == "tensor2" else lib.tensor(0.5)
                        if v == "tensor1" else v) for k, v in kw.items()}
            if "betas" in kw:
                made["betas"] = tuple(
                    lib.tensor(0.5) if b == "tensor1" else b for b in kw["betas"]
                )
            with pytest.raises(ValueError, match=match):
                getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(1))], **made)
    # tensors allowed with capturable=True (accepted at construction, as in torch)
    p = nn.Parameter(fl.ones(1))
    opt = fl.optim.Adam([p], lr=fl.tensor(0.1), foreach=True, capturable=True)
    assert opt.defaults["capturable"] is True


# --- RMSprop alpha > 1 -----------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [1.5, 2.0])
@pytest.mark.parametrize("opts", [{}, dict(centered=True), dict(momentum=0.9, weight_decay=0.1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rmsprop_alpha_above_one_is_accepted_and_steps_like_torch(
    alpha: float, opts: dict, dtype: Any
) -> None:
    rng = np.random.default_rng(4)
    w0 = [rng.standard_normal((3, 2)).astype(dtype), rng.standard_normal(2).astype(dtype)]
    ours, o_opt, theirs, t_opt = _pair("RMSprop", w0, alpha=alpha, **opts)
    for step in range(3):
        for o, t in zip(ours, theirs):
            g = rng.standard_normal(o.shape).astype(dtype)
            if step == 0:
                g[0] = 0  # a zero first gradient keeps that row finite for a step
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
        o_opt.step()
        t_opt.step()
        for o, t in zip(ours, theirs):
            a, b = o.detach().numpy(), t.detach().numpy()
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))  # where it turns NaN
            np.testing.assert_allclose(a, b, **_tol(dtype))  # NaN compared equal to NaN
    assert o_opt.param_groups[0]["alpha"] == t_opt.param_groups[0]["alpha"] == alpha


# --- any combination of arguments: the same outcome as torch's ------------------------------

CHOICES: dict[str, list] = {
    "lr": [0.01, 0.1], "momentum": [0, 0.5], "dampening": [0, 0.1], "weight_decay": [0, 0.05],
    "nesterov": [False, True], "maximize": [False, True], "foreach": [None, False, True],
    "fused": [None, False, True], "capturable": [False, True],
    "betas": [(0.9, 0.999), (0.5, 0.8)], "eps": [1e-8, 0.1], "amsgrad": [False, True],
    "decoupled_weight_decay": [False, True], "lr_decay": [0, 0.1],
    "initial_accumulator_value": [0, 0.2], "alpha": [0.99, 0.5, 1.5], "centered": [False, True],
}


def _outcome(lib: Any, name: str, kw: dict, w0: np.ndarray, grads: list) -> tuple:
    """What happens: ("ctor" or "step", the exception kind) or ("ok", repr, the values)."""
    def kind(e: Exception) -> str:
        return next(c.__name__ for c in (AssertionError, ValueError, RuntimeError, TypeError)
                    if isinstance(e, c))

    p = lib.nn.Parameter(lib.tensor(w0))
    try:
        opt = getattr(lib.optim, name)([p], **kw)
    except Exception as e:  # noqa: BLE001 (compared with torch's)
        return ("ctor", kind(e))
    try:
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
    except Exception as e:  # noqa: BLE001
        return ("step", kind(e))
    return ("ok", repr(opt), p.detach().numpy())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_any_combination_of_arguments_ends_as_torchs(name: str) -> None:
    params = inspect.signature(getattr(torch.optim, name).__init__).parameters
    optional = {k: st.sampled_from(CHOICES[k]) for k in params if k in CHOICES}

    @settings(max_examples=25, deadline=None)
    @given(kw=st.fixed_dictionaries({}, optional=optional),
           dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
    def check(kw: dict, dtype: Any, seed: int) -> None:
        rng = np.random.default_rng(seed)
        w0 = rng.standard_normal((3, 2)).astype(dtype)
        grads = [rng.standard_normal((3, 2)).astype(dtype) for _ in range(3)]
        ours, theirs = _outcome(fl, name, kw, w0, grads), _outcome(torch, name, kw, w0, grads)
        assert ours[:2] == theirs[:2], kw
        if ours[0] == "ok":
            np.testing.assert_allclose(ours[2], theirs[2], **_tol(dtype))

    check()


# --- the combinations torch refuses ----------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
@pytest.mark.parametrize("other", ["foreach", "differentiable"])
def test_fused_with_foreach_or_differentiable_is_torchs_runtime_error(
    name: str, other: str
) -> None:
    for lib in (fl, torch):
        with pytest.raises(RuntimeError, match="`fused`") as info:
            getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(1))], fused=True, **{other: True})
        if lib is fl:
            assert f"{other}=True" in str(info.value) and "fused=True" in str(info.value)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_differentiable_true_raises_not_implemented(name: str) -> None:
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        getattr(fl.optim, name)([nn.Parameter(fl.ones(1))], differentiable=True)
    opt = getattr(fl.optim, name)([nn.Parameter(fl.ones(1))])
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.add_param_group({"params": [nn.Parameter(fl.ones(1))], "differentiable": True})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(
    "name, fused", [("Adam", None), ("Adam", True), ("AdamW", None), ("AdamW", True),
                    ("RMSprop", None)]
)
def test_capturable_on_the_cpu_behaves_as_torchs(name: str, fused: Any) -> None:
    kw = dict(lr=0.1, capturable=True, **({"fused": fused} if fused else {}))
    results = []
    for lib in (fl, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = getattr(lib.optim, name)([p], **kw)  # accepted at construction
        p.grad = lib.tensor([0.5, 0.25])
        if fused:  # torch's fused CPU kernel takes capturable=True
            opt.step()
            opt.step()
            results.append(p.detach().numpy().copy())
        else:
            with pytest.raises(AssertionError, match="capturable=True"):
                opt.step()
            np.testing.assert_array_equal(p.detach().numpy(), [1.0, -2.0])
    if fused:
        np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


# --- named parameters, hooks, state dicts ----------------------------------------------------

def test_named_parameters_give_param_names_as_in_torch() -> None:
    fl.manual_seed(0)
    o_lin, t_lin = nn.Linear(2, 1), torch.nn.Linear(2, 1)
    o_opt = fl.optim.SGD(o_lin.named_parameters(), lr=0.1)
    t_opt = torch.optim.SGD(t_lin.named_parameters(), lr=0.1)
    assert o_opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert list(o_opt.param_groups[0]) == list(t_opt.param_groups[0])
    assert repr(o_opt) == repr(t_opt)
    assert o_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    for lib, opt in ((fl, o_opt), (torch, t_opt)):
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [lib.nn.Parameter(lib.ones(1))]})
        with pytest.raises(ValueError, match="Some param names are missing"):
            type(opt)([("a", lib.nn.Parameter(lib.ones(1))), lib.nn.Parameter(lib.ones(1))])


def _hook_log(lib: Any) -> list:
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    log: list = []
    handles = [
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", len(a), a[0] is o, k))),
        opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a), k))),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre")),
        opt.register_state_dict_post_hook(lambda o, sd: log.append(("sd_post", sorted(sd)))),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre_first"), prepend=True),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load_pre")),
        opt.register_load_state_dict_post_hook(lambda o: log.append("load_post")),
    ]
    p.grad = lib.ones(2)
    opt.step()
    opt.step(closure=None)
    opt.load_state_dict(opt.state_dict())
    for h in handles:
        h.remove()
    opt.step()
    opt.load_state_dict(opt.state_dict())
    # a pre-hook may replace the step's arguments (here: a closure whose loss step returns)
    opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 7.0}))
    log.append(opt.step())
    return log


def test_hooks_run_as_torchs() -> None:
    assert _hook_log(fl) == _hook_log(torch)


def test_global_step_hooks() -> None:
    from firstlayer.optim.optimizer import register_optimizer_step_post_hook

    seen: list = []
    handle = register_optimizer_step_post_hook(lambda o, a, k: seen.append(type(o).__name__))
    try:
        p = nn.Parameter(fl.ones(1))
        p.grad = fl.ones(1)
        fl.optim.Adam([p]).step()
        fl.optim.RMSprop([p]).step()
    finally:
        handle.remove()
    fl.optim.SGD([p]).step()
    assert seen == ["Adam", "RMSprop"]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_a_torch_state_dict_with_the_new_keys_loads_and_training_continues_alike(
    name: str,
) -> None:
    rng = np.random.default_rng(5)
    w0 = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    kw = dict(OPTIONS[name], foreach=False)
    ours, o_opt, theirs, t_opt = _pair(name, w0, **kw)
    for _ in range(2):
        for t in theirs:
            t.grad = torch.tensor(rng.standard_normal(tuple(t.shape)))
        t_opt.step()
    for o, t in zip(ours, theirs):
        o.data = fl.tensor(t.detach().numpy().copy())
    fresh = getattr(fl.optim, name)(
        [{"params": ours[:1]}, {"params": ours[1:], "lr": 0.02}]
    )  # other options: loaded from torch's dict
    fresh.load_state_dict(t_opt.state_dict())
    assert repr(fresh) == repr(t_opt)
    assert fresh.param_groups[0]["foreach"] is False
    for _ in range(2):
        for o, t in zip(ours, theirs):
            g = rng.standard_normal(o.shape)
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
        fresh.step()
        t_opt.step()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10)
    # and ours saves a dict with torch's layout
    o_sd, t_sd = fresh.state_dict(), t_opt.state_dict()
    assert o_sd["param_groups"] == t_sd["param_groups"]
    assert {i: sorted(s) for i, s in o_sd["state"].items()} == {
        i: sorted(s) for i, s in t_sd["state"].items()
    }


def test_an_optimizer_pickles_without_its_hooks_as_torchs() -> None:
    p = nn.Parameter(fl.ones(2))
    opt = fl.optim.Adam([p], lr=0.1, foreach=True)
    opt.register_step_pre_hook(lambda o, a, k: None)
    p.grad = fl.ones(2)
    opt.step()
    copy = pickle.loads(pickle.dumps(opt))
    assert repr(copy) == repr(opt)
    assert not copy._optimizer_step_pre_hooks
    (q,) = copy.param_groups[0]["params"]
    assert copy.state[q]["step"].item() == 1.0


def test_a_scheduler_fills_a_tensor_lr_in_place_as_torchs() -> None:
    results = []
    for lib in (fl, torch):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=lib.tensor(0.1))
        lr = opt.param_groups[0]["lr"]
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        for _ in range(3):
            p.grad = lib.ones(2)
            opt.step()
            sched.step()
        assert opt.param_groups[0]["lr"] is lr  # the same tensor, filled
        assert sched.get_last_lr()[0] is not lr and opt.param_groups[0]["initial_lr"] is not lr
        results.append((repr(opt), repr(sched.get_last_lr()), repr(sched.base_lrs),
                        p.detach().numpy().tolist()))
    assert results[0] == results[1]


def test_a_users_optimizer_subclass_runs_as_under_torch() -> None:
    """The usual custom optimizer: its own step, ``self.state[p]`` filled on first use (a
    defaultdict, as torch's), step hooks run around its step."""

    def make(lib: Any) -> Any:
        class Momentum(lib.optim.Optimizer):
            def __init__(self, params: Any, lr: float = 0.1, beta: float = 0.9) -> None:
                super().__init__(params, dict(lr=lr, beta=beta))

            def step(self, closure: Any = None) -> Any:
                with lib.no_grad():
                    for group in self.param_groups:
                        for p in group["params"]:
                            if p.grad is None:
                                continue
                            state = self.state[p]
                            if len(state) == 0:
                                state["buf"] = lib.zeros_like(p)
                            state["buf"].mul_(group["beta"]).add_(p.grad)
                            p.add_(state["buf"], alpha=-group["lr"])
                return None

        return Momentum

    out = []
    for lib in (fl, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, -1.0]))
        opt = make(lib)([p], lr=0.5)
        calls: list = []
        opt.register_step_post_hook(lambda o, a, k, calls=calls: calls.append(len(a)))
        for _ in range(2):
            p.grad = lib.tensor([0.5, 0.25])
            opt.step()
        out.append((p.detach().numpy().tolist(), calls, repr(opt)))
    assert out[0] == out[1]


def test_row_wise_adagrad_takes_adagrads_switches() -> None:
    w = nn.Parameter(fl.ones(3, 2))
    opt = fl.optim.RowWiseAdagrad([w], lr=0.1, foreach=True)
    assert {k: opt.defaults[k] for k in ("foreach", "fused", "differentiable")} == dict(
        foreach=True, fused=None, differentiable=False
    )
    w.grad = fl.ones(3, 2)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), np.full((3, 2), 0.9), rtol=1e-6)
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        fl.optim.RowWiseAdagrad([w], fused=True, foreach=True)


def test_a_torch_state_dict_with_a_tensor_lr_loads_as_our_tensor() -> None:
    w0 = np.array([1.0, -2.0], dtype=np.float32)
    o, t = nn.Parameter(fl.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    t_opt = torch.optim.Adam([t], lr=torch.tensor(0.1), betas=(0.8, 0.9))
    t.grad = torch.tensor([0.5, 0.25])
    t_opt.step()
    o.data = fl.tensor(t.detach().numpy().copy())
    o_opt = fl.optim.Adam([o])
    o_opt.load_state_dict(t_opt.state_dict())
    assert isinstance(o_opt.param_groups[0]["lr"], fl.Tensor)
    assert repr(o_opt) == repr(t_opt)
    o.grad, t.grad = fl.tensor([0.5, 0.25]), torch.tensor([0.5, 0.25])
    o_opt.step()
    t_opt.step()
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-6)
