"""``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` and their cells against torch (outputs, final states,
gradients of input, states and every parameter, repr, parameter layout, errors, interop),
float64 finite differences of each layer op, and PyTorch's LSTM part-of-speech tagger tutorial
trained side by side."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
from firstlayer.interop import from_torch, to_torch
from firstlayer.nn.functional import rnn as F_rnn
from gradcheck import gradcheck

# (torch class name, constructor kwargs, firstlayer mode)
KINDS = [
    ("RNN", {}, "RNN_TANH"),
    ("RNN", {"nonlinearity": "relu"}, "RNN_RELU"),
    ("GRU", {}, "GRU"),
    ("LSTM", {}, "LSTM"),
    ("LSTM", {"proj_size": 2}, "LSTM"),
]


def arr(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, np_dtype: Any, what: str = "") -> None:
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    assert a.dtype == b.dtype == np.dtype(np_dtype), (what, a.dtype, b.dtype)
    tol = 1e-10 if np.dtype(np_dtype) == np.float64 else 2e-5
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def torch_module(name: str, *args: Any, **kwargs: Any) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(torch.nn, name)(*args, **kwargs)


def copied(theirs: torch.nn.Module, cls: type, *args: Any, **kwargs: Any) -> nn.Module:
    """A firstlayer module of ``cls`` holding copies of ``theirs``'s parameters (not shared)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cls(*args, **kwargs)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours


# ---- whole stacks against torch ---------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    batch=st.sampled_from([None, 0, 1, 3]),  # None: an unbatched sequence
    seq_len=st.integers(1, 4),
    bias=st.booleans(),
    give_hx=st.booleans(),
    double=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_stack_matches_torch(
    kind: tuple, num_layers: int, bidirectional: bool, batch_first: bool, batch: int | None,
    seq_len: int, bias: bool, give_hx: bool, double: bool, seed: int,
) -> None:
    name, extra, _ = kind
    np_dtype = np.float64 if double else np.float32
    tdtype = torch.float64 if double else torch.float32
    torch.manual_seed(seed)
    kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
              bidirectional=bidirectional, **extra)
    theirs = torch_module(name, 3, 4, dtype=tdtype, **kw)
    ours = copied(theirs, getattr(nn, name), 3, 4, dtype=fl.float64 if double else fl.float32,
                  **kw)
    rng = np.random.default_rng(seed)
    shape = (seq_len, 3) if batch is None else (
        (batch, seq_len, 3) if batch_first else (seq_len, batch, 3))
    x_np = rng.standard_normal(shape).astype(np_dtype)
    x, ref_x = fl.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    d = 2 if bidirectional else 1
    h_out = extra.get("proj_size", 4)
    lead = (d * num_layers,) if batch is None else (d * num_layers, batch)
    states: list[np.ndarray] = []
    if give_hx:
        states = [rng.standard_normal(lead + (h_out,)).astype(np_dtype)]
        if name == "LSTM":
            states.append(rng.standard_normal(lead + (4,)).astype(np_dtype))
    ours_s = [fl.tensor(s, requires_grad=True) for s in states]
    theirs_s = [torch.tensor(s, requires_grad=True) for s in states]

    def call(m: Any, inp: Any, st_: list) -> tuple:
        hx = None if not st_ else (tuple(st_) if name == "LSTM" else st_[0])
        out, hidden = m(inp, hx)
        return (out,) + (tuple(hidden) if name == "LSTM" else (hidden,))

    got, want = call(ours, x, ours_s), call(theirs, ref_x, theirs_s)
    for i, (a, b) in enumerate(zip(got, want)):
        close(a, b, np_dtype, f"result {i}")
    # gradients: a random upstream gradient for each result
    gs = [rng.standard_normal(tuple(b.shape)).astype(np_dtype) for b in want]
    fl_loss = sum((a * fl.from_numpy(g)).sum() for a, g in zip(got, gs))
    t_loss = sum((b * torch.from_numpy(g)).sum() for b, g in zip(want, gs))
    fl_loss.backward()
    t_loss.backward()
    close(x.grad, ref_x.grad, np_dtype, "input grad")
    for i, (a, b) in enumerate(zip(ours_s, theirs_s)):
        close(a.grad, b.grad, np_dtype, f"state {i} grad")
    ours_p = dict(ours.named_parameters())
    for pname, p in theirs.named_parameters():
        close(ours_p[pname].grad, p.grad, np_dtype, f"{pname} grad")


def test_grad_fn_names_match_torch() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    ours = from_torch(theirs)
    x = torch.randn(5, 2, 3)
    out, h = ours(from_torch(x))
    ref_out, ref_h = theirs(x)
    assert out.grad_fn.name() == type(ref_out.grad_fn).__name__ == "CatBackward0"
    assert h.grad_fn.name() == type(ref_h.grad_fn).__name__ == "StackBackward0"
    out, h = ours(from_torch(x[:, 0]))  # unbatched: squeezed like torch
    ref_out, ref_h = theirs(x[:, 0])
    assert out.grad_fn.name() == type(ref_out.grad_fn).__name__
    assert h.grad_fn.name() == type(ref_h.grad_fn).__name__


def test_long_sequence_is_one_node_per_layer() -> None:
    """The recurrence is one graph node per layer and direction, however long the sequence."""
    m = nn.LSTM(2, 3)
    out, (h, c) = m(fl.randn(500, 1, 2))
    node, seen = out.grad_fn, 0
    while node is not None:  # view <- slice <- the layer op
        seen += 1
        node = next((f for f, _ in node.next_functions if f is not None), None)
    assert seen <= 3
    out.sum().backward()
    assert m.weight_hh_l0.grad is not None


# ---- float64 finite differences of the layer op -----------------------------------------------
@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "GRU", "LSTM", "LSTM_PROJ"])
@pytest.mark.parametrize("reverse", [False, True])
def test_layer_gradcheck(mode: str, reverse: bool) -> None:
    rng = np.random.default_rng(1)
    proj = mode == "LSTM_PROJ"
    mode = "LSTM" if proj else mode
    L, N, inp, H = 3, 2, 2, 3
    G = F_rnn.GATES[mode]
    H_out = 2 if proj else H

    def leaf(*shape: int) -> fl.Tensor:
        return fl.tensor(rng.uniform(-0.8, 0.8, shape), dtype=fl.float64, requires_grad=True)

    args = [leaf(L, N, inp), leaf(N, H_out), leaf(N, H) if mode == "LSTM" else None,
            leaf(G * H, inp), leaf(G * H, H_out), leaf(G * H), leaf(G * H),
            leaf(H_out, H) if proj else None]

    def fn(x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
           w_hr: Any) -> Any:
        out, h, c = F_rnn.rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse)
        total = (out * out).sum() + (h * 2.0).sum()
        return total + (c * c * c).sum() if c is not None else total

    gradcheck(fn, args)


# ---- cells ------------------------------------------------------------------------------------
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("GRUCell", {}),
         ("LSTMCell", {}), ("LSTMCell", {"bias": False})]


@pytest.mark.parametrize("name,kw", CELLS)
@pytest.mark.parametrize("batch", [None, 0, 3])
@pytest.mark.parametrize("give_hx", [False, True])
@pytest.mark.parametrize("double", [False, True])
def test_cell_matches_torch(name: str, kw: dict, batch: int | None, give_hx: bool,
                            double: bool) -> None:
    np_dtype = np.float64 if double else np.float32
    torch.manual_seed(3)
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64 if double else torch.float32,
                                     **kw)
    ours = copied(theirs, getattr(nn, name), 3, 4, dtype=fl.float64 if double else fl.float32,
                  **kw)
    rng = np.random.default_rng(3)
    lead = () if batch is None else (batch,)
    x_np = rng.standard_normal(lead + (3,)).astype(np_dtype)
    x, ref_x = fl.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    n_states = 2 if name == "LSTMCell" else 1
    s_np = [rng.standard_normal(lead + (4,)).astype(np_dtype) for _ in range(n_states)]
    ours_s = [fl.tensor(s, requires_grad=True) for s in s_np]
    theirs_s = [torch.tensor(s, requires_grad=True) for s in s_np]
    if give_hx:
        hx, ref_hx = (tuple(ours_s), tuple(theirs_s)) if n_states == 2 else (ours_s[0],
                                                                              theirs_s[0])
        got, want = ours(x, hx), theirs(ref_x, ref_hx)
    else:
        got, want = ours(x), theirs(ref_x)
    got, want = (got, want) if n_states == 2 else ((got,), (want,))
    for a, b in zip(got, want):
        close(a, b, np_dtype)
    gs = [rng.standard_normal(tuple(b.shape)).astype(np_dtype) for b in want]
    sum((a * fl.from_numpy(g)).sum() for a, g in zip(got, gs)).backward()
    sum((b * torch.from_numpy(g)).sum() for b, g in zip(want, gs)).backward()
    close(x.grad, ref_x.grad, np_dtype)
    if give_hx:
        for a, b in zip(ours_s, theirs_s):
            close(a.grad, b.grad, np_dtype)
    ours_p = dict(ours.named_parameters())
    for pname, p in theirs.named_parameters():
        close(ours_p[pname].grad, p.grad, np_dtype, pname)


def test_cell_unrolled_equals_layer() -> None:
    """An LSTMCell stepped over a sequence gives what LSTM gives with the same weights."""
    cell = nn.LSTMCell(3, 4)
    layer = nn.LSTM(3, 4)
    for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(layer, f"{n}_l0").data = getattr(cell, n).data
    x = fl.randn(5, 2, 3)
    out, (h_n, c_n) = layer(x)
    h = c = fl.zeros(2, 4)
    for t in range(5):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(arr(h), arr(out[t]), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(arr(c), arr(c_n[0]), rtol=1e-6, atol=1e-6)


# ---- construction: names, shapes, repr, init --------------------------------------------------
CONFIGS = [
    ("LSTM", (10, 20, 2), {}),
    ("LSTM", (3, 4), {"proj_size": 2, "bidirectional": True, "num_layers": 2}),
    ("GRU", (3, 4), {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
                     "bidirectional": True}),
    ("RNN", (2, 3), {"nonlinearity": "relu"}),
    ("RNN", (2, 3, 1, "relu", False)),
    ("RNNCell", (2, 3), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (2, 3), {}),
    ("GRUCell", (2, 3), {"bias": False}),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c[0])
def test_layout_and_repr_match_torch(config: tuple) -> None:
    name, args = config[0], config[1]
    kw = config[2] if len(config) > 2 else {}
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if name in ("RNN", "GRU", "LSTM"):
        assert ours._flat_weights_names == theirs._flat_weights_names
        assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == [
            [tuple(p.shape) for p in ws] for ws in theirs.all_weights]
        for attr in ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"):
            assert getattr(ours, attr) == getattr(theirs, attr), attr


def test_init_is_uniform_from_firstlayer_rng() -> None:
    fl.manual_seed(7)
    a = nn.LSTM(3, 25, 2, bidirectional=True)
    fl.manual_seed(7)
    b = nn.LSTM(3, 25, 2, bidirectional=True)
    bound = 1 / 25**0.5
    values = np.concatenate([arr(p).ravel() for p in a.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound  # fills the range
    assert abs(values.mean()) < 0.01 and abs(values.std() - bound / 3**0.5) < 0.01
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(arr(p), arr(q))
    g = fl.Generator().manual_seed(1)
    assert arr(nn.GRUCell(2, 3).weight_ih).dtype == np.float32
    assert arr(nn.GRU(2, 3, dtype=fl.float64).weight_ih_l0).dtype == np.float64
    del g


def test_assigned_parameter_is_used() -> None:
    """Replacing a parameter (``m.weight_hh_l0 = Parameter(...)``) changes what forward uses,
    as torch's _flat_weights bookkeeping does."""
    m = nn.RNN(2, 3)
    x = fl.randn(4, 1, 2)
    m.weight_hh_l0 = nn.Parameter(fl.zeros(3, 3))
    m.bias_hh_l0 = nn.Parameter(fl.zeros(3))
    m.bias_ih_l0 = nn.Parameter(fl.zeros(3))
    out, _ = m(x)
    expected = np.tanh(arr(x) @ arr(m.weight_ih_l0).T)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-6)
    assert m._flat_weights[1] is m.weight_hh_l0


# ---- dropout between layers -------------------------------------------------------------------
def test_dropout_only_between_layers_and_only_in_training() -> None:
    fl.manual_seed(0)
    m = nn.LSTM(3, 8, num_layers=3, dropout=0.5)
    x = fl.randn(4, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(arr(a), arr(b))  # eval: deterministic, no dropout
    m.train()
    fl.manual_seed(1)
    c = m(x)[0]
    fl.manual_seed(1)
    d = m(x)[0]
    np.testing.assert_array_equal(arr(c), arr(d))  # the same seed, the same masks
    assert not np.allclose(arr(c), arr(a))
    m.dropout = 0.0
    np.testing.assert_array_equal(arr(m(x)[0]), arr(a))


def test_dropout_mask_statistics() -> None:
    fl.manual_seed(0)
    x = fl.zeros(200, 50, dtype=fl.float64)
    mask = F_rnn._dropout_mask(x, 0.3)
    assert mask.dtype == np.float64
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.02
    assert not F_rnn._dropout_mask(x, 1.0).any()


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_full_dropout_matches_torch(name: str) -> None:
    """dropout=1 zeroes the input of every later layer in torch too: a deterministic check
    that dropout sits between layers (not after the last), with its gradient."""
    torch.manual_seed(0)
    theirs = torch.nn.__dict__[name](3, 4, num_layers=2, dropout=1.0)
    ours = from_torch(theirs)
    x = torch.randn(5, 2, 3, requires_grad=True)
    fx = fl.tensor(arr(x), requires_grad=True)
    got, want = ours(fx)[0], theirs(x)[0]
    close(got, want, np.float32)
    got.sum().backward()
    want.sum().backward()
    close(fx.grad, x.grad, np.float32)  # zero: nothing of the input reaches the output
    assert not arr(fx.grad).any()


# ---- errors: torch's types and messages -------------------------------------------------------
def raises_like_torch(ours: Any, theirs: Any) -> str:
    """Both calls raise; our exception is one of torch's type; returns our message."""
    with pytest.raises(Exception) as t_exc:
        theirs()
    with pytest.raises(type(t_exc.value)) as f_exc:
        ours()
    return str(f_exc.value)


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_forward_errors_match_torch(name: str) -> None:
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 4)
    ours = from_torch(theirs)
    lstm = name == "LSTM"

    def both(make: Any) -> str:
        return raises_like_torch(lambda: make(ours, fl), lambda: make(theirs, torch))

    def hx(lib: Any, *shape: int) -> Any:
        h = lib.zeros(*shape)
        return (h, lib.zeros(*shape)) if lstm else h

    msg = both(lambda m, lib: m(lib.zeros(5, 2, 3), hx(lib, 1, 3, 4)))
    key = "hidden[0] size" if lstm else "hidden size"
    assert f"Expected {key} (1, 2, 4), got [1, 3, 4]" in msg
    if lstm:
        msg = both(lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 2, 5))))
        assert "Expected hidden[1] size (1, 2, 4), got [1, 2, 5]" in msg
    msg = both(lambda m, lib: m(lib.zeros(5, 2, 2)))
    assert "input.size(-1) must be equal to input_size. Expected 3, got 2" in msg
    msg = both(lambda m, lib: m(lib.zeros(5, 2, 2, 3)))
    assert "Expected input to be 2D or 3D, got 4D" in msg
    msg = both(lambda m, lib: m(lib.zeros(5, 2, 3, dtype=lib.float64)))
    assert "does not match weight dtype" in msg and "float64" in msg
    msg = both(lambda m, lib: m(lib.zeros(0, 2, 3)))
    assert "Expected sequence length to be larger than 0" in msg
    msg = both(lambda m, lib: m(lib.zeros(5, 2, 3), hx(lib, 2, 4)))
    assert "For batched 3-D input, hx" in msg and "2-D" in msg
    msg = both(lambda m, lib: m(lib.zeros(5, 3), hx(lib, 1, 1, 4)))
    assert "For unbatched 2-D input, hx" in msg and "3-D" in msg


def test_hx_dtype_error() -> None:
    m = nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match="float64"):
        m(fl.zeros(5, 2, 3), fl.zeros(1, 2, 4, dtype=fl.float64))


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_errors_match_torch(name: str) -> None:
    theirs = getattr(torch.nn, name)(3, 4)
    ours = from_torch(theirs)
    lstm = name == "LSTMCell"

    def both(make: Any) -> str:
        return raises_like_torch(lambda: make(ours, fl), lambda: make(theirs, torch))

    def hx(lib: Any, *shape: int) -> Any:
        return (lib.zeros(*shape), lib.zeros(*shape)) if lstm else lib.zeros(*shape)

    assert "input has inconsistent input_size: got 5 expected 3" in both(
        lambda m, lib: m(lib.zeros(2, 5)))
    assert "Input batch size 2 doesn't match hidden0 batch size 3" in both(
        lambda m, lib: m(lib.zeros(2, 3), hx(lib, 3, 4)))
    assert "hidden0 has inconsistent hidden_size: got 5, expected 4" in both(
        lambda m, lib: m(lib.zeros(2, 3), hx(lib, 2, 5)))
    assert "Expected input to be 1D or 2D, got 3D" in both(lambda m, lib: m(lib.zeros(1, 2, 3)))
    if lstm:
        assert "hidden1 has inconsistent hidden_size: got 5, expected 4" in both(
            lambda m, lib: m(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(2, 5))))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
        lambda lib: lib.nn.GRU(3, 4, proj_size=1),
        lambda lib: lib.nn.RNN(3, 4, proj_size=1),
        lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
        lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
        lambda lib: lib.nn.LSTM(3, 4, dropout=1.5),
        lambda lib: lib.nn.LSTM(3, 4, dropout=True),
        lambda lib: lib.nn.LSTM(3, 4, num_layers=0),
        lambda lib: lib.nn.LSTM(3, 4.0),
        lambda lib: lib.nn.LSTM(0, 4),
        lambda lib: lib.nn.GRU(3, 0),
        lambda lib: lib.nn.GRU(3, 4, bias=1),
        lambda lib: lib.nn.GRU(3, 4, batch_first=None),
        lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="x")(lib.zeros(2, 3)),
    ],
)
def test_constructor_errors_match_torch(make: Any) -> None:
    msg = raises_like_torch(lambda: make(fl), lambda: make(torch))
    assert msg


def test_dropout_with_one_layer_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


# ---- interop ----------------------------------------------------------------------------------
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c[0])
def test_to_torch_and_back(config: tuple) -> None:
    name, args = config[0], config[1]
    kw = config[2] if len(config) > 2 else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(nn, name)(*args, **kw)
    t = to_torch(ours)
    assert type(t) is getattr(torch.nn, name) and repr(t) == repr(ours)
    for (n, p), (m, q) in zip(ours.named_parameters(), t.named_parameters()):
        assert n == m and isinstance(q, torch.nn.Parameter)
        assert np.shares_memory(p._data, q.detach().numpy())
    back = from_torch(t)
    assert type(back) is type(ours) and repr(back) == repr(ours)
    for p, q in zip(ours.parameters(), back.parameters()):
        assert np.shares_memory(p._data, q._data)
    # the torch module computes what ours does
    in_size = args[0]
    is_cell = name.endswith("Cell")
    x_np = np.random.default_rng(0).standard_normal((2, in_size) if is_cell else (
        (2, 3, in_size) if kw.get("batch_first") else (3, 2, in_size))).astype(np.float32)
    ours.eval()
    t.eval()
    got, want = ours(fl.from_numpy(x_np)), t(torch.from_numpy(x_np))
    flat_got = got if isinstance(got, fl.Tensor) else got[0]
    flat_want = want if isinstance(want, torch.Tensor) else want[0]
    np.testing.assert_allclose(arr(flat_got), arr(flat_want), rtol=2e-5, atol=2e-5)


def test_from_torch_float64_and_training_flag() -> None:
    t = torch.nn.LSTM(3, 4, dtype=torch.float64).eval()
    ours = from_torch(t)
    assert ours.weight_ih_l0.dtype == fl.float64 and not ours.training
    assert to_torch(ours).weight_hh_l0.dtype == torch.float64


def test_shared_parameters_follow_an_optimizer_step() -> None:
    ours = nn.GRU(2, 3)
    t = to_torch(ours)
    opt = torch.optim.SGD(t.parameters(), lr=0.5)
    t(torch.randn(4, 1, 2))[0].sum().backward()
    opt.step()
    np.testing.assert_array_equal(arr(ours.weight_hh_l0), arr(t.weight_hh_l0))


# ---- PyTorch's "Sequence Models and LSTM Networks" tutorial, as written -----------------------
def run_pos_tagger_tutorial(torch: Any, nn: Any, F: Any, optim: Any, initial_state: dict,
                            epochs: int) -> tuple[list[float], Any]:
    """The LSTM part-of-speech tagger from PyTorch's tutorial, unchanged but for the modules
    passed in and for loading ``initial_state`` (so both libraries start from the same
    weights); returns each epoch's total loss and the final tag scores of sentence 0."""

    def prepare_sequence(seq, to_ix):  # type: ignore[no-untyped-def]
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    training_data = [
        # Tags are: DET - determiner; NN - noun; V - verb
        # For example, the word "The" is a determiner
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    # For each words-list (sentence) and tags-list in each tuple of training_data
    for sent, tags in training_data:  # noqa: B007
        for word in sent:
            if word not in word_to_ix:  # word has not been assigned an index yet
                word_to_ix[word] = len(word_to_ix)  # Assign each word with a unique index
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}  # Assign each tag with a unique index

    EMBEDDING_DIM = 6  # noqa: N806
    HIDDEN_DIM = 6  # noqa: N806

    class LSTMTagger(nn.Module):  # type: ignore[name-defined,misc]
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):  # type: ignore
            super(LSTMTagger, self).__init__()  # noqa: UP008
            self.hidden_dim = hidden_dim

            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

            # The LSTM takes word embeddings as inputs, and outputs hidden states
            # with dimensionality hidden_dim.
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)

            # The linear layer that maps from hidden state space to tag space
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):  # type: ignore[no-untyped-def]
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            tag_scores = F.log_softmax(tag_space, dim=1)
            return tag_scores

    model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
    model.load_state_dict(initial_state)
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    losses = []
    for epoch in range(epochs):  # noqa: B007  (the tutorial's 300 epochs of toy data)
        total = 0.0
        for sentence, tags in training_data:
            # Step 1. Remember that Pytorch accumulates gradients.
            # We need to clear them out before each instance
            model.zero_grad()

            # Step 2. Get our inputs ready for the network, that is, turn them into
            # Tensors of word indices.
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)

            # Step 3. Run our forward pass.
            tag_scores = model(sentence_in)

            # Step 4. Compute the loss, gradients, and update the parameters by
            #  calling optimizer.step()
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total)

    # See what the scores are after training
    with torch.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        tag_scores = model(inputs)
    return losses, tag_scores


def test_lstm_pos_tagger_tutorial_trains_like_torch() -> None:
    import torch.nn.functional as torch_F

    import firstlayer.nn.functional as fl_F

    torch.manual_seed(1)
    # torch's initial weights, taken from a torch model built as the tutorial builds it
    ref_model = torch.nn.ModuleDict({
        "word_embeddings": torch.nn.Embedding(9, 6), "lstm": torch.nn.LSTM(6, 6),
        "hidden2tag": torch.nn.Linear(6, 3)})
    state = {k: v.detach().clone() for k, v in ref_model.state_dict().items()}
    epochs = 300
    t_losses, t_scores = run_pos_tagger_tutorial(
        torch, torch.nn, torch_F, torch.optim, {k: v.clone() for k, v in state.items()}, epochs)
    f_losses, f_scores = run_pos_tagger_tutorial(
        fl, nn, fl_F, fl.optim, {k: v.numpy().copy() for k, v in state.items()}, epochs)
    np.testing.assert_allclose(f_losses, t_losses, rtol=1e-4)
    assert t_losses[-1] < 0.2 * t_losses[0]  # it learned
    np.testing.assert_allclose(arr(f_scores), arr(t_scores), rtol=1e-3, atol=1e-4)
    assert arr(f_scores).argmax(1).tolist() == [0, 1, 2, 0, 1]  # DET NN V DET NN


# ---- nn.utils.rnn.pad_sequence ----------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2,), (0,)])
def test_pad_sequence_matches_torch(batch_first: bool, padding_side: str,
                                    trailing: tuple) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n,) + trailing) for n in (3, 1, 0, 2)]
    ours = [fl.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got = nn.utils.rnn.pad_sequence(ours, batch_first, -1.5, padding_side)
    want = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.5, padding_side)
    close(got, want, np.float64)
    g = rng.standard_normal(tuple(want.shape))
    got.backward(fl.from_numpy(g.copy()))
    want.backward(torch.from_numpy(g.copy()))
    for a, b in zip(ours, theirs):
        close(a.grad, b.grad, np.float64)


def test_pad_sequence_ints_and_errors() -> None:
    got = nn.utils.rnn.pad_sequence([fl.tensor([1, 2]), fl.tensor([3])])
    assert got.tolist() == [[1, 3], [2, 0]] and got.dtype == fl.int64
    pad = nn.utils.rnn.pad_sequence
    t_pad = torch.nn.utils.rnn.pad_sequence
    raises_like_torch(lambda: pad([]), lambda: t_pad([]))
    raises_like_torch(lambda: pad([fl.zeros(3, 2), fl.zeros(2, 3)]),
                      lambda: t_pad([torch.zeros(3, 2), torch.zeros(2, 3)]))
    msg = raises_like_torch(lambda: pad([fl.zeros(3, 2)], padding_side="middle"),
                            lambda: t_pad([torch.zeros(3, 2)], padding_side="middle"))
    assert "left or right, but got middle" in msg


def test_padded_batch_through_lstm() -> None:
    """A padded batch of sentences runs through an LSTM like torch's (both see the pads)."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(2, 3, batch_first=True)
    ours = from_torch(theirs)
    seqs = [torch.randn(n, 2) for n in (4, 2, 3)]
    want = theirs(torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True))[0]
    got = ours(nn.utils.rnn.pad_sequence([from_torch(s) for s in seqs], batch_first=True))[0]
    close(got, want, np.float32)
