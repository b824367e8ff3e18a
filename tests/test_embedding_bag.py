"""nn.EmbeddingBag and nn.functional.embedding_bag against torch 2.13 (the oracle), float64
gradcheck, and the errors.

Where torch 2.13's CPU kernels contradict their own documentation the oracle is adjusted and
the test says so:

* ``scale_grad_by_freq``: torch's CPU backward divides some rows by another id's count
  (pytorch/pytorch#190063); the oracle is torch's gradient without it, divided by each id's
  true count (what ``F.embedding``, CUDA and the fix do). torch rejects it with ``sparse=True``;
  we support it.
* ``include_last_offset`` with ``offsets[-1] < len(input)``: torch's CPU modes disagree about
  the ids after the last offset (pytorch/pytorch#191965); we follow the documented CSR meaning
  (they are in no bag), checked against torch on the input cut at ``offsets[-1]``.
* 2-D input ``(B, 0)``: torch fails ("step must be nonzero"); we give B empty bags (zeros).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.nn.functional as F
from firstlayer import _backend
from firstlayer.sparse import RowSparseTensor
from gradcheck import gradcheck

TF = torch.nn.functional


def _dense(grad) -> np.ndarray:
    if isinstance(grad, RowSparseTensor):
        return grad.to_dense()._data
    if isinstance(grad, torch.Tensor):
        return (grad.to_dense() if grad.is_sparse else grad).detach().numpy()
    return grad._data


def _tol(dtype) -> dict:
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)


@st.composite
def bag_cases(draw):
    """A random embedding_bag call: every mode and flag, 1-D input with offsets or 2-D input."""
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    num_rows = draw(st.integers(1, 9))
    dim = draw(st.integers(1, 4))
    two_d = draw(st.booleans())
    include_last = draw(st.booleans())
    if two_d:
        shape = (draw(st.integers(0, 4)), draw(st.integers(1, 5)))
        offsets = None
    else:
        n = draw(st.integers(0, 14))
        shape = (n,)
        # bag starts: 0, then non-decreasing positions in [0, n] (equal ones: empty bags)
        starts = [0] + sorted(draw(st.lists(st.integers(0, n), max_size=4)))
        offsets = starts + [n] if include_last else starts
        if not include_last and n == 0 and draw(st.booleans()):
            offsets = []  # no bags (with ids, torch 2.13 can crash on this: tested below)
    ids = draw(st.lists(st.integers(0, num_rows - 1), min_size=int(np.prod(shape)),
                        max_size=int(np.prod(shape))))
    pad = draw(st.one_of(st.none(), st.integers(-num_rows, num_rows - 1)))
    if pad is not None and draw(st.booleans()) and ids:  # bags made only of padding
        ids = [pad % num_rows if i % 2 == 0 else v for i, v in enumerate(ids)]
    return dict(
        mode=mode, num_rows=num_rows, dim=dim, shape=shape, ids=ids, offsets=offsets,
        include_last_offset=include_last, padding_idx=pad,
        psw=mode == "sum" and draw(st.booleans()),
        max_norm=draw(st.sampled_from([None, None, 0.7, 1.5])),
        sgf=mode != "max" and draw(st.booleans()),
        sparse=mode != "max" and draw(st.booleans()),
        id_dtype=draw(st.sampled_from([np.int64, np.int32])),
        off_dtype=draw(st.sampled_from([np.int64, np.int32])),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


def _kept_counts(ids: np.ndarray, offsets, include_last, pad, num_rows) -> np.ndarray:
    """How often each id occurs in the bags (padding and ids after the last bag left out)."""
    flat = ids.reshape(-1)
    if offsets is not None:
        end = offsets[-1] if include_last else (len(flat) if len(offsets) else 0)
        flat = flat[:end]
    if pad is not None:
        flat = flat[flat != pad % num_rows]
    return np.bincount(flat, minlength=num_rows)


def run_case(c: dict) -> None:
    rng = np.random.default_rng(c["seed"])
    w0 = rng.standard_normal((c["num_rows"], c["dim"])).astype(c["dtype"])
    ids = np.array(c["ids"], dtype=c["id_dtype"]).reshape(c["shape"])
    offs = None if c["offsets"] is None else np.array(c["offsets"], dtype=c["off_dtype"])
    psw = rng.standard_normal(c["shape"]).astype(c["dtype"]) if c["psw"] else None
    kw = dict(max_norm=c["max_norm"], mode=c["mode"], sparse=c["sparse"],
              include_last_offset=c["include_last_offset"], padding_idx=c["padding_idx"])

    t_w = torch.tensor(w0, requires_grad=True)
    t_psw = None if psw is None else torch.tensor(psw, requires_grad=True)
    t_out = TF.embedding_bag(torch.from_numpy(ids), t_w,
                             None if offs is None else torch.from_numpy(offs),
                             per_sample_weights=t_psw, **kw)  # sgf: see the module docstring
    f_w = fl.tensor(w0.copy(), requires_grad=True)
    f_psw = None if psw is None else fl.tensor(psw, requires_grad=True)
    f_out = F.embedding_bag(fl.from_numpy(ids), f_w, None if offs is None else fl.from_numpy(offs),
                            per_sample_weights=f_psw, scale_grad_by_freq=c["sgf"], **kw)

    tol = _tol(c["dtype"])
    assert f_out.dtype == (fl.float64 if c["dtype"] == np.float64 else fl.float32)
    assert tuple(f_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(f_out._data, t_out.detach().numpy(), **tol)
    # max_norm renormalises the referenced rows in place, in both
    np.testing.assert_allclose(f_w._data, t_w.detach().numpy(), **tol)

    g = rng.standard_normal(tuple(t_out.shape)).astype(c["dtype"])
    t_out.backward(torch.from_numpy(g))
    f_out.backward(fl.from_numpy(g))
    expected = _dense(t_w.grad)
    if c["sgf"]:
        counts = _kept_counts(ids, c["offsets"], c["include_last_offset"], c["padding_idx"],
                              c["num_rows"])
        expected = expected / np.maximum(counts, 1)[:, None]
    assert isinstance(f_w.grad, RowSparseTensor) == c["sparse"]
    np.testing.assert_allclose(_dense(f_w.grad), expected, **tol)
    if psw is not None:
        np.testing.assert_allclose(f_psw.grad._data, t_psw.grad.numpy(), **tol)


@settings(max_examples=400, deadline=None)
@given(bag_cases())
def test_matches_torch(case):
    run_case(case)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_examples_from_torch_docs(mode):
    w = np.arange(30, dtype=np.float32).reshape(10, 3) % 7
    ids, offs = [1, 2, 4, 5, 4, 3, 2, 9], [0, 4]
    for pad in [None, 2]:
        t = TF.embedding_bag(torch.tensor(ids), torch.tensor(w), torch.tensor(offs), mode=mode,
                             padding_idx=pad)
        f = F.embedding_bag(fl.tensor(ids), fl.tensor(w), fl.tensor(offs), mode=mode,
                            padding_idx=pad)
        np.testing.assert_allclose(f._data, t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_float16_matches_torch(mode):
    rng = np.random.default_rng(9)
    w = rng.standard_normal((6, 3)).astype(np.float16)
    ids, offs = [1, 2, 1, 3, 2, 5], [0, 3, 3]
    t_w, f_w = torch.tensor(w, requires_grad=True), fl.tensor(w, requires_grad=True)
    t = TF.embedding_bag(torch.tensor(ids), t_w, torch.tensor(offs), mode=mode)
    f = F.embedding_bag(fl.tensor(ids), f_w, fl.tensor(offs), mode=mode)
    assert f.dtype == fl.float16
    np.testing.assert_allclose(f._data, t.detach().numpy(), rtol=1e-3)
    g = rng.standard_normal((3, 3)).astype(np.float16)
    t.backward(torch.tensor(g))
    f.backward(fl.tensor(g))
    assert f_w.grad.dtype == fl.float16
    np.testing.assert_allclose(f_w.grad._data, t_w.grad.numpy(), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_empty_bags_first_last_and_all(mode):
    w = np.random.default_rng(1).standard_normal((5, 3))
    cases = [([1, 2], [0, 0, 2]), ([1, 2], [0, 2, 2]), ([], [0, 0, 0]), ([3], [0, 0, 1, 1])]
    for ids, offs in cases:
        t_w = torch.tensor(w, requires_grad=True)
        f_w = fl.tensor(w, requires_grad=True)
        t = TF.embedding_bag(torch.tensor(ids, dtype=torch.long), t_w, torch.tensor(offs),
                             mode=mode)
        f = F.embedding_bag(fl.tensor(ids, dtype=fl.int64), f_w, fl.tensor(offs), mode=mode)
        np.testing.assert_allclose(f._data, t.detach().numpy())
        t.sum().backward()
        f.sum().backward()
        np.testing.assert_allclose(f_w.grad._data, t_w.grad.numpy())
        assert not f._data[np.diff(offs + [len(ids)]) == 0].any()  # empty bags are zeros


def test_include_last_offset_ids_after_the_last_bag_are_in_no_bag():
    # torch's CPU modes disagree here (#191965); the CSR meaning is torch on the input cut there
    rng = np.random.default_rng(2)
    w = rng.standard_normal((6, 3))
    ids, offs = np.array([1, 2, 1, 3, 2, 5]), np.array([0, 2, 4])
    for mode in ["sum", "mean", "max"]:
        for sparse in [False, True] if mode != "max" else [False]:
            f_w = fl.tensor(w, requires_grad=True)
            t_w = torch.tensor(w, requires_grad=True)
            f = F.embedding_bag(fl.tensor(ids), f_w, fl.tensor(offs), mode=mode, sparse=sparse,
                                include_last_offset=True)
            t = TF.embedding_bag(torch.tensor(ids[:4]), t_w, torch.tensor(offs[:2]), mode=mode)
            np.testing.assert_allclose(f._data, t.detach().numpy())
            g = rng.standard_normal((2, 3))
            f.backward(fl.tensor(g))
            t.backward(torch.tensor(g))
            np.testing.assert_allclose(_dense(f_w.grad), t_w.grad.numpy())
            assert not _dense(f_w.grad)[5].any()  # id 5 is after the last bag


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_no_offsets_means_no_bags(mode):
    # torch 2.13 can crash (segmentation fault: max, or sum with per_sample_weights) on this;
    # otherwise it gives (0, D), as we do
    w = fl.randn(5, 2, requires_grad=True)
    out = F.embedding_bag(fl.tensor([1, 2, 3]), w, fl.tensor([], dtype=fl.int64), mode=mode)
    assert out.shape == (0, 2)
    out.sum().backward()
    assert not w.grad._data.any()


def test_include_last_offset_is_ignored_for_2d_input():
    w = fl.randn(5, 2)
    ids = fl.tensor([[1, 2], [3, 4]])
    a = F.embedding_bag(ids, w, mode="sum", include_last_offset=True)
    b = F.embedding_bag(ids, w, mode="sum")
    assert a.shape == (2, 2) and np.array_equal(a._data, b._data)


def test_2d_input_with_empty_rows_gives_zero_bags():
    w = fl.randn(5, 2, requires_grad=True)
    for mode in ["sum", "mean", "max"]:
        out = F.embedding_bag(fl.zeros(3, 0, dtype=fl.int64), w, mode=mode)
        assert out.shape == (3, 2) and not out._data.any()
        out.sum().backward()
        assert not w.grad._data.any()


def test_scale_grad_by_freq_divides_by_each_ids_count():
    # the case of pytorch/pytorch#190063: torch 2.13's CPU gives 0.5 for id 3 (seen once)
    w = fl.ones(4, 3, requires_grad=True)
    F.embedding_bag(fl.tensor([1, 1, 3]), w, fl.tensor([0]), mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    assert w.grad._data[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
    # and it agrees with Embedding's scale_grad_by_freq followed by a sum per bag
    ids = fl.tensor([[1, 1, 3, 0], [3, 2, 2, 2]])
    w1 = fl.randn(4, 3, requires_grad=True)
    w2 = fl.tensor(w1._data.copy(), requires_grad=True)
    g = fl.randn(2, 3)
    F.embedding_bag(ids, w1, mode="mean", scale_grad_by_freq=True).backward(g)
    (F.embedding(ids, w2, scale_grad_by_freq=True).mean(1)).backward(g)
    np.testing.assert_allclose(w1.grad._data, w2.grad._data, rtol=1e-6)


@pytest.mark.parametrize("first_nan", [True, False])
@pytest.mark.parametrize("bag_len", [5, 200])  # short bags together, long bags one by one
def test_max_follows_torch_on_ties_infinities_and_nans(first_nan, bag_len):
    rng = np.random.default_rng(3)
    w = rng.integers(-3, 3, size=(8, 4)).astype(np.float32)  # many ties between rows
    w[w == 0] = np.where(rng.random(int((w == 0).sum())) < 0.5, 0.0, -0.0)  # and 0 vs -0
    w[2, 1] = np.nan
    w[4, 0] = -np.inf
    ids = rng.integers(0, 8, size=3 * bag_len)
    ids[bag_len] = 2 if first_nan else ids[bag_len]
    offs = np.array([0, bag_len, 2 * bag_len])
    t_w = torch.tensor(w, requires_grad=True)
    f_w = fl.tensor(w, requires_grad=True)
    t = TF.embedding_bag(torch.tensor(ids), t_w, torch.tensor(offs), mode="max")
    f = F.embedding_bag(fl.tensor(ids), f_w, fl.tensor(offs), mode="max")
    np.testing.assert_array_equal(f._data, t.detach().numpy())
    np.testing.assert_array_equal(np.signbit(f._data), np.signbit(t.detach().numpy()))
    g = rng.standard_normal((3, 4)).astype(np.float32)
    t.backward(torch.tensor(g))
    f.backward(fl.tensor(g))
    np.testing.assert_allclose(f_w.grad._data, t_w.grad.numpy(), rtol=1e-6)


def test_bags_of_mixed_lengths_short_and_long_match_torch():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((50, 3))
    lens = [0, 1, 70, 3, 0, 65, 64, 2, 130]
    ids = rng.integers(0, 50, size=sum(lens))
    offs = np.concatenate([[0], np.cumsum(lens)[:-1]])
    psw = rng.standard_normal(ids.shape)
    for mode in ["sum", "mean", "max"]:
        p = psw if mode == "sum" else None
        t_w = torch.tensor(w, requires_grad=True)
        f_w = fl.tensor(w, requires_grad=True)
        t = TF.embedding_bag(torch.tensor(ids), t_w, torch.tensor(offs), mode=mode,
                             per_sample_weights=None if p is None else torch.tensor(p),
                             padding_idx=7)
        f = F.embedding_bag(fl.tensor(ids), f_w, fl.tensor(offs), mode=mode,
                            per_sample_weights=None if p is None else fl.tensor(p),
                            padding_idx=7)
        np.testing.assert_allclose(f._data, t.detach().numpy(), rtol=1e-12)
        g = rng.standard_normal((len(lens), 3))
        t.backward(torch.tensor(g))
        f.backward(fl.tensor(g))
        np.testing.assert_allclose(f_w.grad._data, t_w.grad.numpy(), rtol=1e-12)


# --- gradcheck (float64) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode,kw",
    # (scale_grad_by_freq is a rescaling, not a gradient: it has its own tests)
    [("sum", {}), ("sum", {"padding_idx": 2, "sparse": True}), ("mean", {}),
     ("mean", {"padding_idx": 0, "sparse": True}), ("max", {}), ("max", {"padding_idx": 3})],
)
def test_gradcheck_weight(mode, kw):
    rng = np.random.default_rng(5)
    # distinct values, far apart, so that a small step never changes which row wins a max
    w = fl.tensor(rng.permutation(24).reshape(6, 4).astype(np.float64), requires_grad=True)
    ids = fl.tensor([1, 2, 1, 3, 2, 5, 0, 3])
    offs = fl.tensor([0, 3, 3, 7])
    gradcheck(lambda w: F.embedding_bag(ids, w, offs, mode=mode, **kw), [w])


def test_gradcheck_per_sample_weights_and_weight():
    rng = np.random.default_rng(6)
    w = fl.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    psw = fl.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    ids = fl.tensor([[1, 2, 4, 1], [0, 4, 4, 3]])
    gradcheck(lambda w, p: F.embedding_bag(ids, w, mode="sum", per_sample_weights=p,
                                           padding_idx=4), [w, psw])


# --- sparse gradients -------------------------------------------------------------------------


def test_sparse_grad_is_coalesced_row_sparse_and_accumulates():
    bag = nn.EmbeddingBag(10, 3, mode="sum", sparse=True, padding_idx=0)
    t_bag = torch.nn.EmbeddingBag(10, 3, mode="sum", sparse=True, padding_idx=0)
    with torch.no_grad():
        t_bag.weight.copy_(torch.from_numpy(bag.weight._data))
    ids, offs = [4, 0, 4, 9, 1], [0, 2]
    for _ in range(2):  # a second backward adds to the first
        bag(fl.tensor(ids), fl.tensor(offs)).sum().backward()
        t_bag(torch.tensor(ids), torch.tensor(offs)).sum().backward()
    g = bag.weight.grad
    assert isinstance(g, RowSparseTensor) and g.shape == (10, 3)
    np.testing.assert_allclose(g.to_dense()._data, t_bag.weight.grad.to_dense().numpy())
    c = g.coalesce()
    assert c.rows.tolist() == [1, 4, 9]  # the padding row is not there


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("sparse", [False, True])
def test_training_steps_match_torch(mode, sparse):
    bag = nn.EmbeddingBag(20, 4, mode=mode, sparse=sparse, padding_idx=1)
    t_bag = torch.nn.EmbeddingBag(20, 4, mode=mode, sparse=sparse, padding_idx=1)
    with torch.no_grad():
        t_bag.weight.copy_(torch.from_numpy(bag.weight._data))
    opt, t_opt = fl.optim.SGD(bag.parameters(), lr=0.1), torch.optim.SGD(t_bag.parameters(), lr=0.1)
    rng = np.random.default_rng(7)
    for _ in range(3):
        ids = rng.integers(0, 20, size=12)
        offs = np.sort(rng.integers(0, 13, size=3))
        offs[0] = 0
        target = rng.standard_normal((3, 4)).astype(np.float32)
        opt.zero_grad()
        t_opt.zero_grad()
        out = bag(fl.tensor(ids), fl.tensor(offs))
        t_out = t_bag(torch.tensor(ids), torch.tensor(offs))
        ((out - fl.tensor(target)) ** 2).sum().backward()
        ((t_out - torch.tensor(target)) ** 2).sum().backward()
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(bag.weight._data, t_bag.weight.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert not bag.weight._data[1].any()  # the padding row stays zero


def test_threaded_products_equal_the_one_thread_ones():
    # big enough to be split between threads; ids skewed so the row pieces are uneven
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3000, 64)).astype(np.float32)
    ids = (rng.zipf(1.3, size=40000) - 1) % 3000
    offs = np.arange(0, 40000, 20)
    outs = []
    before = _backend.get_num_threads()
    try:
        for threads in [1, 2, 3]:
            _backend.set_num_threads(threads)
            f_w = fl.tensor(w, requires_grad=True)
            out = F.embedding_bag(fl.tensor(ids), f_w, fl.tensor(offs), mode="sum")
            out.backward(fl.tensor(np.ones(out.shape, np.float32)))
            outs.append((out._data, f_w.grad._data))
    finally:
        _backend.set_num_threads(before)
    for out, grad in outs[1:]:
        assert np.array_equal(out, outs[0][0]) and np.array_equal(grad, outs[0][1])
    t = TF.embedding_bag(torch.tensor(ids), torch.tensor(w), torch.tensor(offs), mode="sum")
    np.testing.assert_allclose(outs[0][0], t.numpy(), rtol=1e-4, atol=1e-4)


# --- the module -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [{}, {"mode": "sum"}, {"mode": "max", "padding_idx": -1}, {"max_norm": 1.0, "norm_type": 1},
     {"scale_grad_by_freq": True, "sparse": True, "include_last_offset": True, "padding_idx": 0}],
)
def test_repr_and_attributes_match_torch(kw):
    ours, theirs = nn.EmbeddingBag(10, 3, **kw), torch.nn.EmbeddingBag(10, 3, **kw)
    assert repr(ours) == repr(theirs)
    for name in ["num_embeddings", "embedding_dim", "max_norm", "norm_type",
                 "scale_grad_by_freq", "mode", "sparse", "include_last_offset", "padding_idx"]:
        assert getattr(ours, name) == getattr(theirs, name), name


def test_init_is_standard_normal_with_the_padding_row_zeroed():
    fl.manual_seed(0)
    bag = nn.EmbeddingBag(2000, 50, padding_idx=3, dtype=fl.float64)
    w = bag.weight._data
    assert w.dtype == np.float64 and bag.weight.requires_grad
    assert not w[3].any()
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01
    fl.manual_seed(0)
    again = nn.EmbeddingBag(2000, 50, padding_idx=3, dtype=fl.float64)
    assert np.array_equal(again.weight._data, w)  # the global seed decides


def test_forward_positional_arguments_like_torch():
    bag = nn.EmbeddingBag(10, 2, None, 2.0, False, "sum")
    out = bag(fl.tensor([1, 2, 3]), fl.tensor([0, 1]), fl.tensor([1.0, 2.0, 3.0]))
    w = bag.weight._data
    np.testing.assert_allclose(out._data, [w[1], 2 * w[2] + 3 * w[3]], rtol=1e-6)


def test_from_pretrained():
    w = torch.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3], [7.0, 8.0, 9.0]])
    ours = nn.EmbeddingBag.from_pretrained(fl.tensor(w.numpy()), padding_idx=1)
    theirs = torch.nn.EmbeddingBag.from_pretrained(w, padding_idx=1)
    assert ours.weight.requires_grad is False and repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours.weight._data[1], w[1].numpy())  # not zeroed
    x = [[1, 0], [2, 1]]
    np.testing.assert_allclose(ours(fl.tensor(x))._data, theirs(torch.tensor(x)).numpy())
    arr = np.ones((4, 2), np.float32)
    shared = nn.EmbeddingBag.from_pretrained(arr, freeze=False, mode="max")
    assert shared.weight.requires_grad and shared.mode == "max"
    arr[0, 0] = 5.0
    assert shared.weight._data[0, 0] == 5.0  # shared, not copied
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.EmbeddingBag.from_pretrained(fl.ones(3))


def test_constructor_errors():
    with pytest.raises(ValueError, match=r"one of sum, mean or max, got mode='min'"):
        nn.EmbeddingBag(10, 3, mode="min")
    with pytest.raises(ValueError, match="max mode does not support sparse"):
        nn.EmbeddingBag(10, 3, mode="max", sparse=True)
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        nn.EmbeddingBag(10, 3, mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match=r"expected \(10, 3\)"):
        nn.EmbeddingBag(10, 3, _weight=fl.ones(3, 10))


# --- errors: the message, and nothing changed -------------------------------------------------


def _call(**kw):
    args = dict(input=fl.tensor([1, 2, 3, 4]), offsets=fl.tensor([0, 2]), mode="sum")
    args.update(kw)
    return F.embedding_bag(args.pop("input"), args.pop("weight"), **args)


ERRORS = [
    (dict(offsets=fl.tensor([1, 2])), ValueError, r"offsets\[0\] has to be 0.*got 1"),
    (dict(offsets=fl.tensor([0, 3, 2])), ValueError,
     r"non-decreasing: offsets\[2\] = 2 is smaller than offsets\[1\] = 3"),
    (dict(offsets=fl.tensor([0, -1])), ValueError, r"offsets\[1\] = -1 is smaller"),
    (dict(offsets=fl.tensor([0, 5, 6])), ValueError,
     r"greater than input's length 4: offsets\[1\] = 5 is past the end"),
    (dict(offsets=fl.tensor([0, 5]), include_last_offset=True), ValueError,
     r"offsets\[1\] = 5 is past the end"),
    (dict(offsets=fl.tensor([], dtype=fl.int64), include_last_offset=True), ValueError,
     "number of offset should be at least 1"),
    (dict(offsets=fl.tensor([0.0, 2.0])), TypeError, "offsets must be an integer tensor"),
    (dict(offsets=fl.tensor([[0, 2]])), ValueError, "offsets has to be a 1D Tensor"),
    (dict(offsets=None), ValueError, "offsets has to be a 1D Tensor but got None"),
    (dict(input=fl.tensor([[1, 2], [3, 4]])), ValueError, "if input is 2D, then offsets has to"),
    (dict(input=fl.tensor([[[1, 2]]]), offsets=None), ValueError, "1D or 2D Tensor.*dimension 3"),
    (dict(input=fl.tensor([1.0, 2.0])), TypeError, "ids must be an integer tensor"),
    (dict(input=fl.tensor([1, 11, 3, -1])), IndexError,
     r"id 11 at position 1 .*not in the valid range \[0, 10\).*2 bad ids"),
    (dict(input=fl.tensor([1, 2, -1, 3])), IndexError, "negative ids are not allowed"),
    (dict(mode="min"), ValueError, r"mode has to be one of sum, mean or max, got mode='min'"),
    (dict(mode="max", sparse=True), ValueError, "max mode does not support sparse"),
    (dict(mode="max", scale_grad_by_freq=True), ValueError, "max mode does not support scaling"),
    (dict(per_sample_weights=fl.ones(3)), ValueError,
     r"per_sample_weights \(\(3,\)\).*same shape as the input \(\(4,\)\)"),
    (dict(per_sample_weights=fl.ones(4), mode="mean"), NotImplementedError,
     "only supported for mode='sum' \\(got mode='mean'\\)"),
    (dict(per_sample_weights=fl.ones(4), mode="max"), NotImplementedError, "got mode='max'"),
    (dict(per_sample_weights=fl.ones(4, dtype=fl.float64)), TypeError,
     "per_sample_weights has dtype torch.float64 but weight has torch.float32"),
    (dict(padding_idx=10), ValueError, "padding_idx must be within num_embeddings"),
    (dict(weight=fl.ones(10)), ValueError, "weight has to be a 2D Tensor.*dimension 1"),
    (dict(weight=fl.ones(10, 3, dtype=fl.int64)), TypeError, "floating-point"),
]


@pytest.mark.parametrize("kw,exc,message", ERRORS)
def test_errors_name_the_problem_and_change_nothing(kw, exc, message):
    w = fl.full((10, 3), 5.0, requires_grad=True)
    before = w._data.copy()
    kw = dict(kw)
    kw.setdefault("weight", w)
    # max_norm would shrink every referenced row: a call that fails must not get that far
    with pytest.raises(exc, match=re.compile(message, re.S)):
        _call(max_norm=1.0, **kw)
    assert np.array_equal(w._data, before) and w.grad is None


def test_torch_raises_in_the_same_places():
    # the errors above that torch has too, with torch's exception types
    w = torch.ones(10, 3)
    cases = [
        dict(offsets=torch.tensor([1, 2])), dict(offsets=torch.tensor([0, 5, 6])),
        dict(offsets=None), dict(input=torch.tensor([[1, 2], [3, 4]])),
        dict(input=torch.tensor([1, 11, 3, 4])), dict(mode="min"),
        dict(mode="max", sparse=True), dict(per_sample_weights=torch.ones(3)),
        dict(per_sample_weights=torch.ones(4), mode="mean"),
    ]
    for kw in cases:
        args = dict(input=torch.tensor([1, 2, 3, 4]), offsets=torch.tensor([0, 2]), mode="sum")
        args.update(kw)
        with pytest.raises((ValueError, RuntimeError, NotImplementedError)):
            TF.embedding_bag(args.pop("input"), w, **args)
