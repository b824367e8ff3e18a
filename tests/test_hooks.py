"""Tensor and Module hooks against torch 2.13: the same scenario runs on both libraries and
records what each hook sees (call order, module, args, kwargs, outputs, gradients); the records
must match. Also the handles, ``prepend``, ``always_call``, the returned replacements and the
error cases with torch's exception types and messages."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import firstlayer as fl
import firstlayer.nn as fnn
from firstlayer.nn.modules import module as fl_module
from firstlayer.sparse import RowSparseTensor
from firstlayer.utils.hooks import RemovableHandle

LIBS = {"torch": (torch, torch.nn, torch.nn.modules.module), "fl": (fl, fnn, fl_module)}


def conv(x: Any) -> Any:
    """What a hook saw, in comparable form: arrays, ('sparse', dense array), names, tuples."""
    if isinstance(x, torch.Tensor):
        if x.is_sparse:
            return ("sparse", x.to_dense().detach().numpy().copy())
        return x.detach().numpy().copy()
    if isinstance(x, RowSparseTensor):
        return ("sparse", x.to_dense().numpy().copy())
    if isinstance(x, fl.Tensor):
        return x.detach().numpy().copy()
    if isinstance(x, (tuple, list)):
        return tuple(conv(v) for v in x)
    if isinstance(x, dict):
        return {k: conv(v) for k, v in x.items()}
    if isinstance(x, (torch.nn.Module, fnn.Module)):
        return type(x).__name__
    return x


def same(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{path}: {b!r} is not an array"
        assert a.shape == b.shape and a.dtype == b.dtype, f"{path}: {a.shape}/{b.shape}"
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=path)
    elif isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (u, v) in enumerate(zip(a, b)):
            same(u, v, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: {a!r} vs {b!r}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def sync(model: Any) -> None:
    """Give both libraries' models the same parameters (a fixed draw per shape)."""
    rng = np.random.default_rng(0)
    for _, p in model.named_parameters():
        arr = rng.standard_normal(tuple(p.shape)).astype(np.float32)
        if isinstance(p, torch.Tensor):
            with torch.no_grad():
                p.copy_(torch.from_numpy(arr))
        else:
            p._data[...] = arr


def both(scenario: Callable[..., list]) -> list:
    """Run ``scenario(lib, nn, module_mod, log)`` on torch and on firstlayer; compare logs."""
    logs = {}
    for name, (lib, nn, mod) in LIBS.items():
        log: list = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario(lib, nn, mod, log)
        logs[name] = [conv(e) for e in log]
    same(logs["torch"], logs["fl"])
    return logs["fl"]


def inp(lib: Any, shape: tuple, requires_grad: bool = True, seed: int = 1) -> Any:
    arr = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(arr, requires_grad=requires_grad)


# ---- module forward hooks ------------------------------------------------------------------
def test_forward_hooks_order_args_and_outputs_on_sequential() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        sync(net)
        handles = [
            mod.register_module_forward_pre_hook(lambda m, a: log.append(("gpre", m, a))),
            mod.register_module_forward_hook(lambda m, a, o: log.append(("gfwd", m, a, o))),
        ]
        for i, m in enumerate(net):
            m.register_forward_pre_hook(lambda m, a, i=i: log.append(("pre", i, a)))
            m.register_forward_hook(lambda m, a, o, i=i: log.append(("fwd", i, a, o)))
        net.register_forward_hook(lambda m, a, o: log.append(("net", a, o)))
        out = net(inp(lib, (2, 3)))
        for h in handles:
            h.remove()
        net(inp(lib, (1, 3)))  # the globals are gone
        log.append(("out", out))

    log = both(scenario)
    assert [e[0] for e in log[:6]] == ["gpre", "gpre", "pre", "gfwd", "fwd", "gpre"]


def test_forward_hook_replacements_kwargs_prepend_and_remove() -> None:
    class Scale:
        def __init__(self, nn: Any) -> None:
            class M(nn.Module):
                def forward(self, x: Any, scale: float = 1.0) -> Any:
                    return x * scale

            self.m = M()

    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        m = Scale(nn).m
        x = inp(lib, (2,), requires_grad=False)
        h1 = m.register_forward_pre_hook(lambda m, a: log.append(("p1", a)))
        m.register_forward_pre_hook(lambda m, a: a[0] + 1)  # one value -> 1-tuple
        m.register_forward_pre_hook(lambda m, a: log.append(("p0", a)), prepend=True)
        m.register_forward_pre_hook(
            lambda m, a, kw: log.append(("pk", a, dict(kw))) or (a, {**kw, "scale": 3.0}),
            with_kwargs=True,
        )
        m.register_forward_hook(lambda m, a, kw, o: log.append(("fk", a, kw, o)) or o * 2,
                                with_kwargs=True)
        h2 = m.register_forward_hook(lambda m, a, o: log.append(("f0", a, o)), prepend=True)
        log.append(("out", m(x, scale=2.0)))
        h1.remove()
        h2.remove()
        h2.remove()  # twice is fine
        with m.register_forward_hook(lambda m, a, o: log.append(("ctx", o))):
            log.append(("out", m(x)))
        log.append(("out", m(x)))
        log.append(("dicts", len(m._forward_hooks), len(m._forward_hooks_with_kwargs)))

    log = both(scenario)
    assert [e[0] for e in log[:6]] == ["p0", "p1", "pk", "f0", "fk", "out"]


def test_forward_pre_hook_with_kwargs_bad_return_raises_like_torch() -> None:
    for lib, nn, _ in LIBS.values():
        m = nn.Linear(2, 2)
        m.register_forward_pre_hook(lambda m, a, kw: 5, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
            m(lib.ones(1, 2))


def test_always_call_hooks_run_when_forward_raises() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        class Boom(nn.Module):
            def forward(self, x: Any) -> Any:
                raise ValueError("boom")

        m = Boom()
        m.register_forward_hook(lambda m, a, o: log.append(("never", o)))
        m.register_forward_hook(lambda m, a, o: log.append(("always", a, o)), always_call=True)
        m.register_forward_hook(lambda m, a, kw, o: log.append(("always_kw", kw, o)),
                                always_call=True, with_kwargs=True)

        def bad(m: Any, a: Any, o: Any) -> None:
            log.append("bad")
            raise KeyError("x")

        m.register_forward_hook(bad, always_call=True)
        g = mod.register_module_forward_hook(lambda m, a, o: log.append(("global", o)),
                                             always_call=True)
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                with pytest.raises(ValueError, match="boom"):
                    m(inp(lib, (2,), requires_grad=False))
            log.append(sorted(str(x.message)[:40] for x in w))
        finally:
            g.remove()

    both(scenario)


# ---- module backward hooks -----------------------------------------------------------------
def test_full_backward_hooks_on_sequential_linear() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        sync(net)
        for i, m in enumerate(net):
            m.register_full_backward_pre_hook(lambda m, go, i=i: log.append(("bpre", i, go)))
            m.register_full_backward_hook(lambda m, gi, go, i=i: log.append(("bw", i, gi, go)))
        gh = mod.register_module_full_backward_hook(lambda m, gi, go: log.append(("gbw", m)))
        try:
            x = inp(lib, (2, 3))
            (net(x) ** 2).sum().backward()
        finally:
            gh.remove()
        log.append(("grads", x.grad, [p.grad for p in net.parameters()]))

    log = both(scenario)
    assert [(e[0], e[1]) for e in log[:4]] == [("bpre", 2), ("gbw", "Linear"), ("bw", 2),
                                               ("bpre", 1)]


def test_full_backward_hook_replacements_are_used() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        lin = nn.Linear(3, 2)
        sync(lin)
        lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        lin.register_full_backward_hook(lambda m, gi, go: log.append(("bw", gi, go)))
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
        lin.register_full_backward_hook(lambda m, gi, go: log.append(("first", gi)),
                                        prepend=True)
        x = inp(lib, (4, 3))
        y = x * 1.5  # a non-leaf input
        y.retain_grad()
        lin(y).sum().backward()
        log.append(("grads", x.grad, y.grad, lin.weight.grad, lin.bias.grad))

    both(scenario)


def test_full_backward_hook_multiple_inputs_outputs_and_unused_output() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        class Two(nn.Module):
            def forward(self, a: Any, n: int, b: Any, c: Any) -> Any:
                return a * 2, b * a, n

        m = Two()
        m.register_full_backward_pre_hook(lambda m, go: log.append(("pre", go)))
        m.register_full_backward_hook(lambda m, gi, go: log.append(("bw", gi, go)))
        a, b = inp(lib, (3,)), inp(lib, (3,), seed=2)
        c = inp(lib, (3,), requires_grad=False, seed=3)
        out = m(a, 7, b, c)
        log.append(("names", [t.grad_fn.name() for t in out[:2]], out[2]))
        out[0].sum().backward()  # only the first output: the second's grad is None
        log.append(("grads", a.grad, b.grad))

    both(scenario)


def test_backward_hook_when_no_input_requires_grad_and_bad_returns() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        lin = nn.Linear(2, 2)
        sync(lin)
        lin.register_full_backward_hook(lambda m, gi, go: log.append(("bw", gi, go)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lin(inp(lib, (1, 2), requires_grad=False)).sum().backward()
        log.append([str(x.message)[:60] for x in w])
        lin.register_full_backward_hook(lambda m, gi, go: (lib.ones(1, 2),))
        with pytest.raises(RuntimeError, match="where no input requires gradient"):
            lin(inp(lib, (1, 2), requires_grad=False)).sum().backward()
        lin2 = nn.Linear(2, 2)
        lin2.register_full_backward_hook(lambda m, gi, go: (None, None))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but exp"):
            lin2(inp(lib, (1, 2))).sum().backward()
        lin3 = nn.Linear(2, 2)
        lin3.register_full_backward_pre_hook(lambda m, go: (None, None))
        with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but ex"):
            lin3(inp(lib, (1, 2))).sum().backward()

    both(scenario)


def test_embedding_and_embedding_bag_module_hooks() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        emb = nn.Embedding(6, 3, sparse=True)
        bag = nn.EmbeddingBag(6, 3, mode="sum")
        sync(emb)
        sync(bag)
        for m in (emb, bag):
            m.register_forward_hook(lambda m, a, o: log.append(("fwd", m, a, o)))
            m.register_full_backward_pre_hook(lambda m, go: log.append(("pre", m, go)))
            m.register_full_backward_hook(lambda m, gi, go: log.append(("bw", m, gi, go)))
        emb.weight.register_hook(lambda g: log.append(("wgrad", g)))
        bag.weight.register_hook(lambda g: log.append(("bag_wgrad", g)))
        ids = lib.tensor([1, 4, 1, 0])
        loss = (emb(ids) ** 2).sum() + (bag(ids, lib.tensor([0, 2])) * 3).sum()
        loss.backward()
        log.append(("grads", emb.weight.grad, bag.weight.grad))

    both(scenario)


# ---- tensor hooks --------------------------------------------------------------------------
def test_tensor_hooks_on_leaf_and_non_leaf_chain_in_order() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        x = inp(lib, (3,))
        x.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad)))
        x.register_hook(lambda g: log.append(("x1", g)))
        x.register_hook(lambda g: g * 3)
        x.register_hook(lambda g: log.append(("x3", g)))
        y = x * 2
        y.register_hook(lambda g: log.append(("y1", g)) or g + 1)
        y.register_hook(lambda g: log.append(("y2", g)))
        y.retain_grad()  # retained after every hook, whatever the order
        h = y.register_hook(lambda g: log.append("removed"))
        h.remove()
        z = (y * y).sum() + y.sum()  # two paths into y: its hooks see the sum, once
        z.register_hook(lambda g: log.append(("root", g)))
        z.backward()
        log.append(("grads", x.grad, y.grad, y.retains_grad, x.retains_grad))
        (x * 1).sum().backward()  # accumulates; the hooks run again
        log.append(("grads", x.grad))

    both(scenario)


def test_tensor_hook_on_sparse_embedding_weight_gets_what_grad_holds() -> None:
    def scenario(lib: Any, nn: Any, mod: Any, log: list) -> None:
        emb = nn.Embedding(5, 2, sparse=True)
        sync(emb)
        emb.weight.register_hook(lambda g: log.append(("sparse", g.is_sparse, g)) or g * 2)
        emb.weight.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad)))
        (emb(lib.tensor([1, 1, 2])).sum() + (emb(lib.tensor([3])) * 4).sum()).backward()
        log.append(("grad", emb.weight.grad))

    both(scenario)


def test_tensor_hook_errors_match_torch() -> None:
    for lib, _, _ in LIBS.values():
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
            lib.ones(2).register_hook(lambda g: None)
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
            lib.ones(2).register_post_accumulate_grad_hook(lambda p: None)
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="^post accumulate grad hooks cannot be registered"):
            (x * 2).register_post_accumulate_grad_hook(lambda p: None)
        cases: list[tuple[Callable, type, str]] = [
            (lambda g, lib=lib: lib.ones(3), RuntimeError,
             "hook '<lambda>' has changed the size of value"),
            (lambda g: g.double(), RuntimeError,
             r"hook '<lambda>' has changed the type of value \(was torch.FloatTensor got "
             r"torch.DoubleTensor\)"),
            (lambda g: 5, TypeError, "expected Variable, but hook returned 'int'"),
        ]
        for hook, exc, msg in cases:
            t = lib.ones(2, requires_grad=True)
            t.register_hook(hook)
            with pytest.raises(exc, match=msg):
                (t * 2).sum().backward()
            assert t.grad is None  # nothing was accumulated
        t = lib.ones(2, requires_grad=True)
        t.register_post_accumulate_grad_hook(lambda p: 5)
        with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
            (t * 2).sum().backward()


# ---- handles and the rest of Module's API --------------------------------------------------
def test_removable_handle_extra_dicts_and_pickle() -> None:
    m = fnn.Linear(2, 2)
    h = m.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
    assert h.id in m._forward_hooks_with_kwargs and h.id in m._forward_hooks_always_called
    h.remove()
    assert not (m._forward_hooks or m._forward_hooks_with_kwargs
                or m._forward_hooks_always_called)
    hooks: Any = {}
    h2 = RemovableHandle(hooks)
    h3 = pickle.loads(pickle.dumps(h2))
    assert h3.id == h2.id and RemovableHandle.next_id > h2.id
    m2 = pickle.loads(pickle.dumps(fnn.Linear(2, 2)))
    m2.register_forward_hook(lambda m, a, o: o * 0)
    assert m2(fl.ones(1, 2)).abs().sum().item() == 0.0


def test_module_lookup_and_buffer_methods_match_torch() -> None:
    results: dict[str, list] = {}
    for name, (lib, nn, _) in LIBS.items():
        net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
        net.register_buffer("keep", lib.ones(1))
        net.register_buffer("skip", lib.ones(1), persistent=False)
        out: list = [list(net.state_dict()), [n for n, _ in net.named_buffers()]]
        for fn, target in [("get_parameter", "0.weight"), ("get_parameter", "0.nope"),
                           ("get_parameter", "2.weight"), ("get_parameter", "0.weight.x"),
                           ("get_parameter", "0"), ("get_submodule", "1.0"),
                           ("get_submodule", ""), ("get_submodule", "0.weight"),
                           ("get_buffer", "keep"), ("get_buffer", "0.weight")]:
            try:
                out.append((fn, target, type(getattr(net, fn)(target)).__name__))
            except AttributeError as e:
                out.append((fn, target, str(e)))
        net.set_submodule("1.0", nn.Tanh())
        out.append(type(net[1][0]).__name__)
        with pytest.raises(AttributeError, match="has no attribute `x`"):
            net.set_submodule("1.x", nn.Tanh(), strict=True)
        net.half()
        out.append(str(net[0].weight.dtype).split(".")[-1])
        results[name] = out
    assert results["torch"] == results["fl"]
