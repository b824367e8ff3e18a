"""Module registration, traversal, modes, state_dict/load_state_dict and repr, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import firstlayer as fl
import firstlayer.nn as nn


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(5, 3, padding_idx=0)
        self.fc = nn.Linear(3, 2)
        self.register_buffer("steps", fl.zeros(1))

    def forward(self, ids: fl.Tensor) -> fl.Tensor:
        return self.fc(self.emb(ids))


def test_registration_through_assignment() -> None:
    m = Tiny()
    assert [n for n, _ in m.named_parameters()] == ["emb.weight", "fc.weight", "fc.bias"]
    assert [n for n, _ in m.named_children()] == ["emb", "fc"]
    assert len(list(m.modules())) == 3
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    new = nn.Parameter(fl.ones(5, 3))
    m.emb.weight = new  # the seed's way to re-initialise
    assert m.emb.weight is new
    assert next(iter(m.parameters())) is new
    assert m.state_dict()["emb.weight"].tolist() == [[1.0] * 3] * 5


def test_assigning_a_plain_tensor_to_a_parameter_is_a_type_error() -> None:
    fc = nn.Linear(2, 2)
    before = fc.weight._data.copy()
    with pytest.raises(TypeError, match="weight.*Parameter"):
        fc.weight = fl.zeros(2, 2)  # type: ignore[assignment]
    assert np.array_equal(fc.weight._data, before)
    fc.bias = None  # allowed, as in torch
    assert [n for n, _ in fc.named_parameters()] == ["weight"]


def test_setattr_before_init_is_explained() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_tied_parameters_appear_once() -> None:
    emb = nn.Embedding(4, 2)
    out = nn.Linear(2, 4, bias=False)
    out.weight = emb.weight
    model = nn.Sequential(emb, out)
    assert len(list(model.parameters())) == 1
    assert list(model.state_dict()) == ["0.weight", "1.weight"]


def test_train_eval_zero_grad_requires_grad_apply() -> None:
    m = Tiny()
    m.eval()
    assert not m.training and not m.fc.training
    m.train()
    assert m.emb.training
    m(fl.tensor([1, 2])).sum().backward()
    assert m.fc.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert np.all(m.fc.weight.grad._data == 0)
    m.zero_grad()
    assert m.fc.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen: list[str] = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Embedding", "Linear", "Tiny"]


def test_state_dict_round_trip_and_torch_compatibility() -> None:
    m = Tiny()
    sd = m.state_dict()
    assert list(sd) == ["steps", "emb.weight", "fc.weight", "fc.bias"]  # torch's order
    # The same keys and shapes as the torch model built the same way.
    tm = torch.nn.Module()
    tm.emb = torch.nn.Embedding(5, 3, padding_idx=0)
    tm.fc = torch.nn.Linear(3, 2)
    tm.register_buffer("steps", torch.zeros(1))
    assert [(k, tuple(v.shape)) for k, v in tm.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in sd.items()
    ]
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in sd.items()})
    ids = [[1, 2, 0]]
    ours = m(fl.tensor(ids)).detach().numpy()
    theirs = tm.fc(tm.emb(torch.tensor(ids))).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    m2 = Tiny()
    result = m2.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in m2.state_dict().items():
        assert np.array_equal(v.numpy(), sd[k].numpy())


def test_load_state_dict_loads_nothing_when_anything_is_wrong() -> None:
    m = Tiny()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    good = {k: fl.ones(*v.shape) for k, v in m.state_dict().items()}
    bad_shape = dict(good, **{"fc.weight": fl.ones(3, 3)})
    with pytest.raises(RuntimeError, match=r"fc\.weight.*\(3, 3\).*\(2, 3\)"):
        m.load_state_dict(bad_shape)
    missing = {k: v for k, v in good.items() if k != "fc.bias"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\).*"fc.bias"'):
        m.load_state_dict(missing)
    unexpected = dict(good, extra=fl.ones(1))
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\).*"extra"'):
        m.load_state_dict(unexpected)
    for k, v in m.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), k  # nothing was copied
    res = m.load_state_dict(missing, strict=False)
    assert res.missing_keys == ["fc.bias"]
    assert np.array_equal(m.fc.weight.detach().numpy(), np.ones((2, 3)))


@pytest.mark.parametrize(
    "build",
    [
        lambda nn_: nn_.Sequential(nn_.Embedding(10, 3), nn_.Linear(3, 2), nn_.ReLU()),
        lambda nn_: nn_.Sequential(nn_.Linear(2, 2, bias=False), nn_.Tanh(), nn_.Sigmoid()),
        lambda nn_: nn_.ModuleList([nn_.Linear(2, 2), nn_.Identity()]),
        lambda nn_: nn_.Embedding(10, 3, padding_idx=0, sparse=True),
        lambda nn_: nn_.Embedding(10, 3, max_norm=2.0, norm_type=3.0, scale_grad_by_freq=True),
        lambda nn_: nn_.Softmax(dim=1),
        lambda nn_: nn_.CrossEntropyLoss(),
    ],
)
def test_repr_matches_torch(build) -> None:  # type: ignore[no-untyped-def]
    assert repr(build(nn)) == repr(build(torch.nn))


def test_sequential_and_modulelist_behave_like_lists() -> None:
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    assert seq(fl.ones(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    assert len(list(ml.parameters())) == 4
    assert isinstance(nn.Identity(3, x=1)(fl.ones(1)), fl.Tensor)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(1, 1), 3)


def test_module_to_double_casts_parameters() -> None:
    m = Tiny().double()
    assert all(p.dtype == fl.float64 for p in m.parameters())
    assert m(fl.tensor([1])).dtype == fl.float64
