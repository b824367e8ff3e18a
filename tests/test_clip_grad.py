"""nn.utils.clip_grad_norm_ / clip_grad_value_ against torch (dense gradients), and row-sparse
gradients against their dense equivalents."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn

SHAPES = [(4, 3), (5,), (2, 2, 2)]


def _params(rng: np.random.Generator, dtype: type, scale: float) -> tuple[list, list]:
    """Three parameters, the last without a gradient (skipped by both libraries)."""
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        w = rng.standard_normal(shape).astype(dtype)
        o, t = nn.Parameter(fl.tensor(w)), torch.nn.Parameter(torch.tensor(w))
        if i < 2:
            g = (scale * rng.standard_normal(shape)).astype(dtype)
            o.grad, t.grad = fl.tensor(g), torch.tensor(g)
        ours.append(o)
        theirs.append(t)
    return ours, theirs


@settings(max_examples=40, deadline=None)
@given(
    norm_type=st.sampled_from([0.5, 1.0, 2.0, 3.0, math.inf, -math.inf, 0.0]),
    max_norm=st.sampled_from([0.0, 0.1, 1.0, 10.0, math.inf]),
    scale=st.sampled_from([1e-3, 1.0, 100.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_clip_grad_norm_matches_torch(
    norm_type: float, max_norm: float, scale: float, dtype: type, seed: int
) -> None:
    ours, theirs = _params(np.random.default_rng(seed), dtype, scale)
    o_total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert isinstance(o_total, fl.Tensor) and o_total.dim() == 0
    assert o_total.dtype.is_floating_point and str(o_total.dtype) == str(t_total.dtype)
    np.testing.assert_allclose(o_total.item(), t_total.item(), rtol=rtol)
    for o, t in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-30)
    assert ours[2].grad is None


def test_single_tensor_and_generator_arguments() -> None:
    p = nn.Parameter(fl.zeros(2))
    p.grad = fl.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    with pytest.warns(UserWarning, match="empty generator"):
        total = nn.utils.clip_grad_norm_((q for q in []), 1.0)
    assert total.item() == 0.0
    assert nn.utils.clip_grad_norm_([nn.Parameter(fl.ones(1))], 1.0).item() == 0.0  # no grads


def _embedding_pair(seed: int) -> tuple[Any, Any, np.ndarray]:
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((10, 3))
    sparse = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False, sparse=True)
    dense = nn.Embedding.from_pretrained(fl.tensor(w0), freeze=False)
    ids = rng.integers(0, 10, 15)  # duplicates: the norm is that of the summed rows
    g = rng.standard_normal((15, 3))
    for emb in (sparse, dense):
        emb(fl.tensor(ids)).backward(fl.tensor(g))
    return sparse, dense, ids


@pytest.mark.parametrize("norm_type", [1.0, 2.0, math.inf])
def test_sparse_gradient_norm_and_clip_equal_the_dense_equivalent(norm_type: float) -> None:
    sparse, dense, _ = _embedding_pair(0)
    values = sparse.weight.grad._values_arr  # the backward's array (it may be shared)
    values_before = values.copy()
    s_total = nn.utils.clip_grad_norm_(sparse.parameters(), 0.5, norm_type=norm_type)
    d_total = nn.utils.clip_grad_norm_(dense.parameters(), 0.5, norm_type=norm_type)
    assert s_total.item() == pytest.approx(d_total.item(), rel=1e-12)
    assert s_total.item() > 0.5
    assert sparse.weight.grad.is_sparse
    np.testing.assert_allclose(sparse.weight.grad.to_dense().numpy(), dense.weight.grad.numpy(),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(values, values_before)  # replaced, not scaled in place


def test_sparse_and_dense_gradients_together_match_torch() -> None:
    sparse, dense, ids = _embedding_pair(1)
    t_emb = torch.nn.Embedding.from_pretrained(torch.tensor(dense.weight.detach().numpy()),
                                               freeze=False)
    t_emb.weight.grad = torch.tensor(dense.weight.grad.numpy())
    lin = nn.Parameter(fl.ones(3))
    lin.grad = fl.tensor([1.0, -2.0, 0.5], dtype=fl.float64)
    t_lin = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    t_lin.grad = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    o_total = nn.utils.clip_grad_norm_([sparse.weight, lin], 1.0)
    t_total = torch.nn.utils.clip_grad_norm_([t_emb.weight, t_lin], 1.0)
    assert o_total.item() == pytest.approx(t_total.item(), rel=1e-12)
    np.testing.assert_allclose(sparse.weight.grad.to_dense().numpy(), t_emb.weight.grad.numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(lin.grad.numpy(), t_lin.grad.numpy(), rtol=1e-12)


def test_non_finite_norm() -> None:
    def make() -> tuple[Any, Any]:
        o, t = nn.Parameter(fl.zeros(3)), torch.nn.Parameter(torch.zeros(3))
        o.grad, t.grad = fl.tensor([1.0, math.inf, 2.0]), torch.tensor([1.0, math.inf, 2.0])
        return o, t

    o, t = make()
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([o], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        torch.nn.utils.clip_grad_norm_([t], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(o.grad.numpy(), [1.0, math.inf, 2.0])  # unchanged
    o_total = nn.utils.clip_grad_norm_([o], 1.0)
    t_total = torch.nn.utils.clip_grad_norm_([t], 1.0)
    assert o_total.item() == t_total.item() == math.inf
    np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())  # torch's nan/0 pattern


def test_get_total_norm_and_clip_grads_with_norm_match_torch() -> None:
    tensors = [fl.tensor([3.0, 0.0]), fl.tensor([[4.0]])]
    t_tensors = [torch.tensor([3.0, 0.0]), torch.tensor([[4.0]])]
    for p in (1.0, 2.0, math.inf):
        assert nn.utils.get_total_norm(tensors, p).item() == pytest.approx(
            torch.nn.utils.get_total_norm(t_tensors, p).item())
    o, t = nn.Parameter(fl.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    o.grad, t.grad = fl.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])
    nn.utils.clip_grads_with_norm_([o], 2.0, fl.tensor(5.0))
    torch.nn.utils.clip_grads_with_norm_([t], 2.0, torch.tensor(5.0))
    np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


@settings(max_examples=20, deadline=None)
@given(clip=st.sampled_from([0.0, 0.1, 1.0, 5.0]), seed=st.integers(0, 2**16))
def test_clip_grad_value_matches_torch(clip: float, seed: int) -> None:
    ours, theirs = _params(np.random.default_rng(seed), np.float32, 2.0)
    assert nn.utils.clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip)
    for o, t in zip(ours[:2], theirs[:2]):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


def test_clip_grad_value_of_a_sparse_gradient_clamps_the_summed_rows() -> None:
    sparse, dense, _ = _embedding_pair(2)
    nn.utils.clip_grad_value_(sparse.parameters(), 0.7)
    nn.utils.clip_grad_value_(dense.parameters(), 0.7)
    np.testing.assert_array_equal(sparse.weight.grad.to_dense().numpy(), dense.weight.grad.numpy())


@pytest.mark.parametrize("call, match", [
    (lambda ps: nn.utils.clip_grad_norm_(ps, -1.0), "max_norm must be >= 0, got -1.0"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, float("nan")), "max_norm must be >= 0"),
    (lambda ps: nn.utils.clip_grad_value_(ps, -0.5), "clip_value must be >= 0, got -0.5"),
])
def test_bad_limits_are_rejected_and_change_nothing(call: Any, match: str) -> None:
    p = nn.Parameter(fl.zeros(2))
    p.grad = fl.tensor([3.0, 4.0])
    with pytest.raises(ValueError, match=match):
        call([p])
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 4.0])
