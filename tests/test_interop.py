"""``firstlayer.interop``: ``to_torch``/``from_torch`` round trips are exact (values, dtypes,
flags, reprs equal to torch's, forward outputs and gradients equal on the same input), memory is
shared both ways, tied parameters stay tied, unknown types are refused, and ``import firstlayer``
does not import torch."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
from firstlayer.interop import from_torch, to_torch


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return (t.to_dense() if t.is_sparse else t).detach().numpy()
    if isinstance(t, fl.RowSparseTensor):
        return t.to_dense()._data
    return t._data


def shares(a: Any, b: Any) -> bool:
    return bool(np.shares_memory(arr(a), arr(b)))


def test_import_firstlayer_does_not_import_torch() -> None:
    code = (
        "import sys, firstlayer, firstlayer.nn, firstlayer.interop, firstlayer.serialization\n"
        "firstlayer.save({'w': firstlayer.ones(2)}, sys.argv[1])\n"
        "firstlayer.load(sys.argv[1])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, "-c", code, f"{d}/w.safetensors"], check=True)


# --------------------------------------------------------------------------------------------
# Tensors
# --------------------------------------------------------------------------------------------

DTYPES = [fl.bool, fl.int32, fl.int64, fl.float16, fl.float32, fl.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 3)])
def test_tensor_round_trip_shares_memory(dtype: Any, shape: tuple[int, ...]) -> None:
    t = (fl.rand(*shape) * 10).to(dtype)
    tt = to_torch(t)
    assert isinstance(tt, torch.Tensor) and str(tt.dtype) == str(t.dtype)
    assert tuple(tt.shape) == tuple(t.shape)
    np.testing.assert_array_equal(tt.numpy(), t._data)
    back = from_torch(tt)
    assert back._data.dtype == t._data.dtype and back.shape == t.shape
    if t.numel():
        assert shares(tt, t) and shares(back, t)


def test_mutation_shows_on_both_sides() -> None:
    t = fl.zeros(3)
    tt = to_torch(t)
    tt[1] = 5.0  # torch in place -> firstlayer
    assert t.tolist() == [0.0, 5.0, 0.0]
    t[2] = 7.0  # firstlayer in place -> torch
    assert tt.tolist() == [0.0, 5.0, 7.0]
    back = from_torch(tt)
    back.add_(1.0)
    assert t.tolist() == tt.tolist() == [1.0, 6.0, 8.0]


def test_requires_grad_and_parameters_carried() -> None:
    t = fl.ones(2, requires_grad=True)
    tt = to_torch(t)
    assert tt.requires_grad and tt.is_leaf and not isinstance(tt, torch.nn.Parameter)
    p = nn.Parameter(fl.ones(2))
    tp = to_torch(p)
    assert isinstance(tp, torch.nn.Parameter) and tp.requires_grad
    frozen = nn.Parameter(fl.ones(2), requires_grad=False)
    assert not to_torch(frozen).requires_grad
    back = from_torch(torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert isinstance(back, nn.Parameter) and not back.requires_grad
    back = from_torch(torch.ones(2, requires_grad=True) * 2)  # a non-leaf: a fresh leaf here
    assert back.requires_grad and back.is_leaf and back.tolist() == [2.0, 2.0]
    assert not from_torch(torch.ones(2)).requires_grad


def test_views_and_dtypes_torch_and_numpy_disagree_on() -> None:
    base = torch.arange(12.0).reshape(3, 4)
    tr = from_torch(base.T)  # strided: still a view
    assert shares(tr, base) and tr.tolist() == base.T.tolist()
    bf = from_torch(torch.tensor([1.5, -2.25], dtype=torch.bfloat16))
    assert bf.dtype == fl.float32 and bf.tolist() == [1.5, -2.25]
    for dt in (torch.int8, torch.uint8, torch.int16):
        t = from_torch(torch.tensor([1, 2], dtype=dt))
        assert t.dtype == fl.int32 and t.tolist() == [1, 2]
    # torch can't view read-only or negative-stride memory: those are copied
    ro = fl.from_numpy(np.broadcast_to(np.arange(3.0), (2, 3)))
    assert to_torch(ro).tolist() == ro.tolist()
    rev = fl.from_numpy(np.arange(4.0)[::-1])
    assert to_torch(rev).tolist() == [3.0, 2.0, 1.0, 0.0]
    with pytest.raises(TypeError, match="to_dense"):
        from_torch(torch.eye(2).to_sparse())
    with pytest.raises(TypeError, match="complex"):
        from_torch(torch.zeros(2, dtype=torch.complex64))


def test_state_dicts_convert_both_ways() -> None:
    fl.manual_seed(0)
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 2))
    theirs = torch.nn.Sequential(torch.nn.Embedding(5, 3), torch.nn.Linear(3, 2))
    theirs.load_state_dict(to_torch(model.state_dict()))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(theirs.state_dict()[k].numpy(), v._data)
    back = from_torch(theirs.state_dict())
    assert list(back) == list(model.state_dict()) and shares(back["0.weight"], theirs[0].weight)


# --------------------------------------------------------------------------------------------
# Modules: every flag, reprs, forward and backward
# --------------------------------------------------------------------------------------------


def check_pair(ours: nn.Module, theirs: torch.nn.Module) -> None:
    """Same repr, training flags, parameters (names, values, flags, shared memory)."""
    assert repr(theirs) == repr(ours)
    assert [m.training for m in theirs.modules()] == [m.training for m in ours.modules()]
    mine = dict(ours.named_parameters())
    other = dict(theirs.named_parameters())
    assert list(mine) == list(other)
    for k, p in mine.items():
        q = other[k]
        assert isinstance(q, torch.nn.Parameter) and q.requires_grad == p.requires_grad
        assert str(q.dtype) == str(p.dtype)
        np.testing.assert_array_equal(q.detach().numpy(), p._data)
        assert p.numel() == 0 or shares(p, q)
    assert list(dict(ours.named_buffers())) == list(dict(theirs.named_buffers()))


def compare_forward(
    ours: nn.Module, theirs: torch.nn.Module, *inputs: np.ndarray | None, backward: bool = True
) -> None:
    """Same outputs and same parameter gradients on the same input."""
    ours.zero_grad()
    theirs.zero_grad()
    out = ours(*[fl.from_numpy(x.copy()) if x is not None else None for x in inputs])
    ref = theirs(*[torch.from_numpy(x.copy()) if x is not None else None for x in inputs])
    np.testing.assert_allclose(arr(out), arr(ref), rtol=1e-5, atol=1e-6)
    if not ref.requires_grad or not backward:
        return
    g = np.random.default_rng(0).standard_normal(tuple(ref.shape)).astype(arr(ref).dtype)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert (p.grad is None) == (q.grad is None), k
        if p.grad is not None:
            assert p.grad.is_sparse == q.grad.is_sparse, k
            np.testing.assert_allclose(arr(p.grad), arr(q.grad), rtol=1e-5, atol=1e-6)


@st.composite
def embedding_args(draw: st.DrawFn) -> dict[str, Any]:
    V = draw(st.integers(1, 8))
    return {
        "num_embeddings": V,
        "embedding_dim": draw(st.integers(1, 4)),
        "padding_idx": draw(st.sampled_from([None, 0, -1, V - 1])),
        "max_norm": draw(st.sampled_from([None, 1.0, 0.5])),
        "norm_type": draw(st.sampled_from([2.0, 1.0, 3.0])),
        "scale_grad_by_freq": draw(st.booleans()),
        "sparse": draw(st.booleans()),
    }


@settings(max_examples=30, deadline=None)
@given(
    kw=embedding_args(), freeze=st.booleans(), train=st.booleans(),
    dtype=st.sampled_from([fl.float32, fl.float64]), seed=st.integers(0, 2**16),
)
def test_embedding_every_flag(
    kw: dict[str, Any], freeze: bool, train: bool, dtype: Any, seed: int
) -> None:
    fl.manual_seed(seed)
    ours = nn.Embedding(**kw, dtype=dtype).train(train)
    ours.weight.requires_grad_(not freeze)
    theirs = to_torch(ours)
    assert type(theirs) is torch.nn.Embedding
    check_pair(ours, theirs)
    assert repr(theirs) == repr(torch.nn.Embedding(**kw))
    for flag in ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse"):
        assert getattr(theirs, flag) == getattr(ours, flag), flag
    back = from_torch(theirs)
    assert type(back) is nn.Embedding and back.weight is not ours.weight
    check_pair(back, theirs)
    for flag in ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse"):
        assert getattr(back, flag) == getattr(ours, flag), flag
    ids = np.random.default_rng(seed).integers(0, kw["num_embeddings"], (3, 4))
    # torch can't scale a sparse gradient by frequency (firstlayer can)
    compare_forward(ours, theirs, ids, backward=not (kw["sparse"] and kw["scale_grad_by_freq"]))


@st.composite
def bag_args(draw: st.DrawFn) -> dict[str, Any]:
    V = draw(st.integers(1, 8))
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    return {
        "num_embeddings": V,
        "embedding_dim": draw(st.integers(1, 4)),
        "max_norm": draw(st.sampled_from([None, 1.0])),
        "norm_type": draw(st.sampled_from([2.0, 1.0])),
        # torch refuses max with scale_grad_by_freq or sparse
        "scale_grad_by_freq": mode != "max" and draw(st.booleans()),
        "mode": mode,
        "sparse": mode != "max" and draw(st.booleans()),
        "include_last_offset": draw(st.booleans()),
        "padding_idx": draw(st.sampled_from([None, 0, -1])),
    }


@settings(max_examples=30, deadline=None)
@given(kw=bag_args(), weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_embedding_bag_every_flag(kw: dict[str, Any], weighted: bool, seed: int) -> None:
    fl.manual_seed(seed)
    ours = nn.EmbeddingBag(**kw)
    theirs = to_torch(ours)
    assert type(theirs) is torch.nn.EmbeddingBag
    check_pair(ours, theirs)
    assert repr(theirs) == repr(torch.nn.EmbeddingBag(**kw))
    for flag in kw:
        assert getattr(theirs, flag) == getattr(ours, flag), flag
    back = from_torch(theirs)
    assert type(back) is nn.EmbeddingBag
    check_pair(back, theirs)
    for flag in kw:
        assert getattr(back, flag) == getattr(ours, flag), flag
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, kw["num_embeddings"], 7)
    offsets = np.array([0, 2, 2, 5] + ([7] if kw["include_last_offset"] else []))
    psw = rng.random(7).astype(np.float32) if weighted and kw["mode"] == "sum" else None
    # with scale_grad_by_freq torch 2.13's CPU bag backward divides by the wrong id's count
    # (pytorch/pytorch#190063; firstlayer divides by the right one): outputs only, then
    compare_forward(ours, theirs, ids, offsets, psw, backward=not kw["scale_grad_by_freq"])


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [fl.float32, fl.float64], ids=str)
def test_linear(bias: bool, dtype: Any) -> None:
    ours = nn.Linear(4, 3, bias=bias, dtype=dtype)
    theirs = to_torch(ours)
    assert type(theirs) is torch.nn.Linear and theirs.weight.device.type == "cpu"
    check_pair(ours, theirs)
    back = from_torch(theirs)
    check_pair(back, theirs)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(dtype.np)
    compare_forward(ours, theirs, x)
    compare_forward(back, theirs, x)


def make_stack() -> nn.Module:
    fl.manual_seed(3)
    return nn.Sequential(OrderedDict([
        ("emb", nn.Embedding(12, 4, padding_idx=0)),
        ("body", nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Identity())),
        ("heads", nn.ModuleList([nn.Linear(4, 4, bias=False)] * 2 + [nn.ReLU()])),
        ("act", nn.Sigmoid()),
        ("out", nn.Linear(4, 3)),
        ("norm", nn.LogSoftmax(dim=-1)),
    ]))


def run_stack(model: Any, ids: Any) -> Any:
    h = model.body(model.emb(ids))
    for layer in model.heads:
        h = layer(h)
    return model.norm(model.out(model.act(h)))


def test_containers_recursively_with_names_and_modes() -> None:
    ours = make_stack()
    ours.body.eval()
    theirs = to_torch(ours)
    check_pair(ours, theirs)
    assert "(0-1): 2 x Linear(in_features=4, out_features=4, bias=False)" in repr(theirs)
    assert theirs.heads[0] is theirs.heads[1]  # one module used twice stays one module
    ids = np.array([[1, 0, 5], [11, 2, 2]])
    np.testing.assert_allclose(
        arr(run_stack(ours, fl.from_numpy(ids))), arr(run_stack(theirs, torch.from_numpy(ids))),
        rtol=1e-6, atol=1e-6,
    )
    back = from_torch(theirs)
    check_pair(back, theirs)
    assert back.heads[0] is back.heads[1]


LOSS_MODULES = [
    nn.CrossEntropyLoss(),
    nn.CrossEntropyLoss(fl.tensor([1.0, 2.0, 0.5]), ignore_index=1, reduction="sum",
                        label_smoothing=0.2),
    nn.NLLLoss(fl.tensor([1.0, 2.0, 0.5]), ignore_index=0, reduction="none"),
    nn.BCEWithLogitsLoss(fl.tensor([1.0, 2.0, 0.5]), pos_weight=fl.tensor([3.0, 1.0, 2.0])),
    nn.MSELoss(reduction="sum"),
    nn.Softmax(dim=1),
    nn.Softmax(),
    nn.ReLU(),
]


@pytest.mark.parametrize("ours", LOSS_MODULES, ids=repr)
def test_losses_and_activations(ours: nn.Module) -> None:
    theirs = to_torch(ours)
    assert type(theirs).__name__ == type(ours).__name__
    check_pair(ours, theirs)
    for k, b in ours.named_buffers():  # class weights: shared buffers, as torch registers them
        assert shares(b, dict(theirs.named_buffers())[k])
    for attr in ("reduction", "ignore_index", "label_smoothing", "dim"):
        assert getattr(theirs, attr, None) == getattr(ours, attr, None), attr
    back = from_torch(theirs)
    assert type(back) is type(ours) and repr(back) == repr(ours)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)  # the class weights' dtype
    if isinstance(ours, (nn.CrossEntropyLoss, nn.NLLLoss)):
        inputs: tuple = (x, np.array([0, 2, 1, 2]))
    elif isinstance(ours, (nn.BCEWithLogitsLoss, nn.MSELoss)):
        inputs = (x, rng.random((4, 3)).astype(np.float32))
    else:
        inputs = (x,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Softmax(): both warn about the implicit dim
        np.testing.assert_allclose(
            arr(ours(*[fl.from_numpy(a) for a in inputs])),
            arr(theirs(*[torch.from_numpy(a) for a in inputs])), rtol=1e-6,
        )


# --------------------------------------------------------------------------------------------
# Tied weights, shared updates
# --------------------------------------------------------------------------------------------


def test_tied_parameters_stay_tied_both_ways() -> None:
    fl.manual_seed(0)
    emb, out = nn.Embedding(10, 4), nn.Linear(4, 10, bias=False)
    out.weight = emb.weight  # weight tying
    ours = nn.Sequential(emb, out)
    theirs = to_torch(ours)
    assert theirs[0].weight is theirs[1].weight
    assert len(list(theirs.parameters())) == len(list(ours.parameters())) == 1
    ids = np.array([[1, 2, 2], [9, 0, 3]])
    compare_forward(ours, theirs, ids)  # both uses add into the one gradient
    back = from_torch(theirs)
    assert back[0].weight is back[1].weight and shares(back[0].weight, emb.weight)


def test_from_a_tied_model_built_in_torch() -> None:
    torch.manual_seed(0)
    emb = torch.nn.Embedding(10, 4, padding_idx=2, scale_grad_by_freq=True)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    theirs = torch.nn.Sequential(emb, torch.nn.ReLU(), head).eval()
    ours = from_torch(theirs)
    assert ours[0].weight is ours[2].weight and not ours.training
    check_pair(ours, theirs)
    compare_forward(ours, theirs, np.array([[1, 2, 2, 9], [0, 3, 3, 3]]))


def test_optimizer_steps_show_on_both_sides() -> None:
    ours = nn.Embedding(6, 3, sparse=True)
    theirs = to_torch(ours)
    before = ours.weight._data.copy()
    theirs(torch.tensor([1, 4])).sum().backward()
    torch.optim.SGD(theirs.parameters(), lr=0.5).step()  # torch updates in place
    np.testing.assert_allclose(ours.weight._data[[1, 4]], before[[1, 4]] - 0.5)
    ours(fl.tensor([2])).sum().backward()
    fl.optim.SGD(ours.parameters(), lr=1.0).step()  # and so does firstlayer
    np.testing.assert_allclose(theirs.weight.detach().numpy()[2], before[2] - 1.0)


def test_frozen_rows_warn_that_torch_has_no_equivalent() -> None:
    emb = nn.Embedding(5, 2)
    emb.freeze_rows([0, 1])
    with pytest.warns(UserWarning, match="frozen rows"):
        to_torch(emb)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


class MyLinear(nn.Linear):
    def forward(self, input: fl.Tensor) -> fl.Tensor:  # noqa: A002
        return super().forward(input) * 2


class TheirLinear(torch.nn.Linear):
    pass


def test_unknown_types_are_refused_with_the_supported_list() -> None:
    with pytest.raises(TypeError, match=r"test_interop.MyLinear: supported .*Embedding.*Linear"):
        to_torch(MyLinear(2, 2))
    with pytest.raises(TypeError, match=r"torch.nn.modules.conv.Conv2d: supported .*torch.nn.Emb"):
        from_torch(torch.nn.Conv2d(1, 1, 1))
    with pytest.raises(TypeError, match=r"TheirLinear: supported"):
        from_torch(TheirLinear(2, 2))
    with pytest.raises(TypeError, match=r"MyLinear"):  # also deep inside a container
        to_torch(nn.Sequential(nn.ReLU(), MyLinear(2, 2)))
    with pytest.raises(TypeError, match="expects a firstlayer Tensor.*got int"):
        to_torch(3)
    with pytest.raises(TypeError, match="expects a torch Tensor.*got str"):
        from_torch("weights")
