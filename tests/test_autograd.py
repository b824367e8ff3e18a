"""The backward pass against torch: accumulation, shared subexpressions, ``gradient=``, the
errors, ``retain_grad``, ``is_leaf``, ``grad_fn`` and ``requires_grad_`` rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import firstlayer as fl
import firstlayer.nn as nn
from gradcheck import gradcheck

Graph = Callable[[Any, Any, Any], Any]


def leaves(m: Any, x: np.ndarray, w: np.ndarray) -> tuple[Any, Any]:
    return (m.tensor(x, requires_grad=True), m.tensor(w, requires_grad=True))


def assert_grads_equal(ours: list[fl.Tensor], theirs: list[torch.Tensor]) -> None:
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert (o.grad is None) == (t.grad is None), f"leaf {i}"
        if t.grad is not None:
            # atol: float32 rounding, e.g. 1 - tanh(x)^2 where tanh(x) is within 1e-6 of 1
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5,
                                       err_msg=f"leaf {i}")


# Graphs where one tensor feeds several paths: the gradients of all paths must add up.
GRAPHS: dict[str, Graph] = {
    "x*x": lambda m, x, w: (x * x).sum(),
    "x+x+x": lambda m, x, w: (x + x + x).sum(),
    "x@x.T": lambda m, x, w: (x @ x.t()).sum(),
    "diamond": lambda m, x, w: ((x * 2) * (x * 2).tanh() + (x * 2).exp()).mean(),
    "shared_middle": lambda m, x, w: _shared_middle(x, w),
    "linear_softmax": lambda m, x, w: (x @ w).log_softmax(-1)[:, 0].sum(),
    "reused_weight": lambda m, x, w: ((x @ w) @ w.t()).tanh().sum() + w.sum(),
    "index_twice": lambda m, x, w: (x[0] * x[-1]).sum() + x[[0, 0, 1]].sum(),
}


def _shared_middle(x: Any, w: Any) -> Any:
    h = x @ w  # h is used by three consumers
    return (h * h).sum() + h.sigmoid().sum() + h[0].exp().sum()  # smooth: no kinks for gradcheck


@pytest.mark.parametrize("name", sorted(GRAPHS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_shared_subexpressions_sum_gradients(name: str, data: st.DataObject) -> None:
    n, d, k = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 4)), data.draw(
        st.integers(1, 3))
    vals = st.floats(-2, 2, width=32)
    x = data.draw(hnp.arrays(np.float64, (n, d), elements=vals))
    w = data.draw(hnp.arrays(np.float64, (d, k), elements=vals))
    graph = GRAPHS[name]
    fx, fw = leaves(fl, x.astype(np.float32), w.astype(np.float32))
    tx, tw = leaves(torch, x.astype(np.float32), w.astype(np.float32))
    out_f, out_t = graph(fl, fx, fw), graph(torch, tx, tw)
    np.testing.assert_allclose(out_f.item(), out_t.item(), rtol=1e-5, atol=1e-5)
    out_f.backward()
    out_t.backward()
    assert_grads_equal([fx, fw], [tx, tw])
    gradcheck(lambda a, b: graph(fl, a, b), list(leaves(fl, x, w)))


def test_gradients_accumulate_across_backward_calls() -> None:
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 2)).astype(np.float32)
    results = []
    for m in (fl, torch):
        x = m.tensor(x0, requires_grad=True)
        (x * x).sum().backward()
        (x * 3).sum().backward()  # a second graph: adds to .grad
        y = x.tanh().sum()
        y.backward(retain_graph=True)
        y.backward()  # the same graph again, as torch allows with retain_graph=True
        results.append(x)
    assert_grads_equal([results[0]], [results[1]])


def test_grad_reset_and_zero() -> None:
    x = fl.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_parameter_gradient_accumulates_over_uses() -> None:
    w = nn.Parameter(fl.tensor([1.0, 2.0]))
    tw = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    for p in (w, tw):
        (p * p).sum().backward()
        (p * 2).sum().backward()
    assert w.grad.tolist() == tw.grad.tolist()


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 0), ()])
def test_backward_with_gradient_argument(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(shape).astype(np.float32)
    g0 = rng.standard_normal(shape).astype(np.float32)
    fx, tx = fl.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (fx.exp() * 2).backward(gradient=fl.tensor(g0))
    (tx.exp() * 2).backward(gradient=torch.tensor(g0))
    assert_grads_equal([fx], [tx])


def test_backward_gradient_as_array_or_list() -> None:
    x = fl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(np.array([1.0, -1.0]))
    (x * 3).backward([2.0, 0.0])
    assert x.grad.tolist() == [9.0, -3.0]


def test_backward_errors_like_torch() -> None:
    cases: list[Callable[[Any], None]] = [
        lambda m: (m.ones(2, requires_grad=True) * 2).backward(),  # non-scalar, no gradient
        lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(3)),  # wrong shape
        lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(2, 1)),
        lambda m: m.ones(2).sum().backward(),  # nothing requires grad
        lambda m: m.ones(()).backward(),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(RuntimeError) as torch_err:
            case(torch)
        with pytest.raises(RuntimeError) as our_err:
            case(fl)
        # torch's message leads ours (ours may add how to fix it)
        assert str(our_err.value).startswith(str(torch_err.value)[:40]), i


def test_backward_under_no_grad_result_has_no_graph() -> None:
    x = fl.ones(2, requires_grad=True)
    with fl.no_grad():
        y = (x * 2).sum()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_retain_grad() -> None:
    results = []
    for m in (fl, torch):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        k = h.relu()  # not retained: .grad stays None
        (k * k).sum().backward()
        assert k.grad is None if m is fl else True
        results.append((x, h))
    (fx, fh), (tx, th) = results
    assert_grads_equal([fx, fh], [tx, th])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        fl.ones(2).retain_grad()


def test_retain_grad_on_leaf_is_harmless() -> None:
    x = fl.ones(2, requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_is_leaf_and_grad_fn() -> None:
    for m in (fl, torch):
        x = m.ones(2, requires_grad=True)
        c = m.ones(2)
        assert x.is_leaf and x.grad_fn is None
        assert c.is_leaf and (c * 2).is_leaf and (c * 2).grad_fn is None
        y = x * c
        assert not y.is_leaf and y.grad_fn is not None
        assert y.detach().is_leaf
        with m.no_grad():
            z = x * 2
        assert z.is_leaf and z.grad_fn is None and not z.requires_grad
        p = (nn if m is fl else torch.nn).Parameter(m.ones(2))
        assert p.is_leaf and p.grad_fn is None


def test_grad_fn_name_and_next_functions() -> None:
    x = fl.ones(2, requires_grad=True)
    y = (x * 2).exp()
    assert y.grad_fn.name() == "ExpBackward0"
    assert repr(y.grad_fn).startswith("<ExpBackward0 object at 0x")
    (inner, _), = y.grad_fn.next_functions
    assert inner.name() == "MulBackward0"


def test_requires_grad_flag_rules() -> None:
    x = fl.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    assert y.requires_grad_(True) is y and y.requires_grad  # a no-op on a non-leaf, as torch
    c = fl.ones(2)
    assert c.requires_grad_() is c and c.requires_grad and c.is_leaf
    c.requires_grad_(False)
    assert not c.requires_grad


def test_detach_and_constant_leaves_stop_gradients() -> None:
    results = []
    for m in (fl, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        c = m.tensor([3.0, 4.0])  # a leaf that does not require grad
        ((x.detach() * x) + c * x).sum().backward()
        assert c.grad is None
        results.append(x)
    assert_grads_equal([results[0]], [results[1]])


def test_gradient_dtype_follows_the_leaf() -> None:
    """A float32 leaf used in float64 maths gets a float32 gradient (ToCopyBackward0)."""
    results = []
    for m in (fl, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        (x.double() * 3).sum().backward()
        results.append(x)
    assert repr(results[0].grad.dtype) == repr(results[1].grad.dtype) == "torch.float32"
    assert_grads_equal([results[0]], [results[1]])


def test_broadcast_gradients_reduce_to_leaf_shape() -> None:
    rng = np.random.default_rng(2)
    a0 = rng.standard_normal((3, 1)).astype(np.float32)
    b0 = rng.standard_normal((4,)).astype(np.float32)
    results = []
    for m in (fl, torch):
        a, b = m.tensor(a0, requires_grad=True), m.tensor(b0, requires_grad=True)
        s = m.tensor(2.0, requires_grad=True)  # a 0-d leaf broadcast over everything
        ((a * b + s) ** 2).mean().backward()
        results.append([a, b, s])
    assert_grads_equal(results[0], results[1])


def test_zero_size_graph() -> None:
    for m in (fl, torch):
        x = m.zeros(0, 3, requires_grad=True)
        (x * 2).sum().backward()
        assert tuple(x.grad.shape) == (0, 3)


def test_create_graph_is_refused() -> None:
    x = fl.ones((), requires_grad=True)
    with pytest.raises(RuntimeError, match="create_graph"):
        (x * x).backward(create_graph=True)


def test_a_fresh_gradient_becomes_grad_without_a_copy_but_never_shared() -> None:
    # The first dense gradient of a leaf is kept as it is when nothing else holds it (no copy);
    # two leaves that receive the same array from one backward (a + b) must not share it, nor
    # may a leaf share a gradient array the caller passed in.
    a = fl.ones(3, requires_grad=True)
    b = fl.ones(3, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not None and b.grad is not None
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad._data += 1  # an in-place change to one leaves the other as it was
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])
    x = fl.ones(2, requires_grad=True)
    given_grad = np.array([2.0, 3.0], dtype=np.float32)
    x.backward(gradient=fl.tensor(given_grad))
    assert x.grad is not None and not np.shares_memory(x.grad._data, given_grad)
    # the gradient buffer of an embedding (dense) is used as it is: one fewer full-size copy
    emb = nn.Embedding(10, 4)
    emb(fl.tensor([1, 2, 2])).sum().backward()
    expected = np.zeros((10, 4), np.float32)
    expected[1], expected[2] = 1, 2
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)
    emb(fl.tensor([3])).sum().backward()  # accumulation still adds in place
    expected[3] = 1
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)
