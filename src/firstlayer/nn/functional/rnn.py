"""Recurrent layers (RNN, GRU, LSTM): a whole sequence through one layer in one direction is
one op, its backward one backpropagation through time.

Why one op and not one per gate and step: a 100-step LSTM written with ``*``, ``+`` and
``sigmoid`` records thousands of graph nodes, each with its own small arrays and Python call;
here the forward loops over time in NumPy, keeps what the backward needs (the gate values, the
cell states), and the backward walks the steps back in one loop. The input-to-hidden products
of all steps are one matrix product before the loop (and after it, in the backward), so the loop
holds only the hidden-to-hidden product of each step.

Gate order and parameter layout are torch's, so weights move between the libraries unchanged:

* RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, ``act`` tanh or relu; weights ``(H, *)``.
* GRU: weights ``(3H, *)``, rows ``r, z, n``::

      r = σ(W_ir x + b_ir + W_hr h + b_hr)
      z = σ(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
      h' = (1 - z) * n + z * h

* LSTM: weights ``(4H, *)``, rows ``i, f, g, o``::

      i, f, o = σ(...), g = tanh(...)   (each W_i* x + b_i* + W_h* h + b_h*)
      c' = f * c + i * g
      h' = o * tanh(c')                  (times W_hr, (P, H), with proj_size P > 0)

``rnn`` runs the stack (layers, directions, dropout between layers) as torch's ``_VF.lstm``
and friends do; the modules in ``nn/modules/rnn.py`` check their arguments and call it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _backend
from ..._errors import TypeRuntimeError, ValueRuntimeError
from ..._random import rng
from ...ops.join import cat, stack
from ...tensor import Tensor

__all__ = ["rnn", "rnn_layer"]

# rows of W_ih / W_hh per hidden unit
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def rnn_layer(
    mode: str,
    input: Tensor,  # noqa: A002
    hx: Tensor,
    cx: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run one recurrent layer over a sequence in one direction: ``(output, h_n, c_n)``.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"GRU"`` or ``"LSTM"``.
        input: the sequence, time first.
        hx: the initial hidden state; ``cx`` the initial cell state (LSTM only, else None).
        weight_ih, weight_hh, bias_ih, bias_hh: torch's layout (see the module docstring).
        weight_hr: LSTM's projection ``(P, H)`` (``proj_size``), or None.
        reverse: run from the last step to the first (the backward half of a bidirectional
            layer); ``output[t]`` is still the state after reading step ``t``.

    Shape: input ``(L, N, I)``, hx ``(N, H_out)``, cx ``(N, H)`` -> output ``(L, N, H_out)``,
    h_n ``(N, H_out)``, c_n ``(N, H)``; ``H_out`` is ``P`` with a projection, else ``H``.

    >>> import firstlayer as torch
    >>> w_ih, w_hh = torch.ones(2, 1), torch.zeros(2, 2)
    >>> out, h, _ = rnn_layer("RNN_RELU", torch.ones(3, 1, 1), torch.zeros(1, 2), None, w_ih, w_hh)
    >>> h
    tensor([[1., 1.]])
    """
    x = input._data
    L, N = x.shape[0], x.shape[1]
    H = weight_hh._data.shape[0] // GATES[mode]
    H_out = hx._data.shape[-1]
    W_hr = None if weight_hr is None else weight_hr._data
    h0, c0, W_ih, W_hh, b_ih, b_hh = _layer_arrays(
        x, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh
    )
    out, h_n, c_n, backward_steps = _FORWARD[mode](x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr,
                                                   reverse)
    # One op can give autograd one tensor: output, h_n and c_n travel packed in one flat array
    # and are cut out of it below (views; their gradients meet again in the packed one).
    parts = [out.reshape(-1), h_n.reshape(-1)] + ([] if c_n is None else [c_n.reshape(-1)])
    packed = np.concatenate(parts)
    needs_dx = input.requires_grad

    def backward(g: np.ndarray) -> tuple:
        g_out = g[: out.size].reshape(out.shape)
        g_h = g[out.size : out.size + h_n.size].reshape(h_n.shape)
        g_c = None if c_n is None else g[out.size + h_n.size :].reshape(c_n.shape)
        d_gi, d_gh, dh0, dc0, dW_hr = backward_steps(g_out, g_h, g_c)
        # The input-to-hidden products of all steps at once: (L*N, G*H) by (G*H, I). (Sizes
        # spelled out: with a batch of 0 a -1 could not be inferred.)
        gi2 = d_gi.reshape(L * N, W_ih.shape[0])
        gh2 = d_gh.reshape(L * N, W_hh.shape[0])
        x2 = x.reshape(L * N, x.shape[2])
        dx = _backend.matmul(gi2, W_ih).reshape(x.shape) if needs_dx else None
        dW_ih = _backend.matmul(gi2.T, x2)
        h_prev = _previous(out, h0, reverse).reshape(L * N, H_out)
        dW_hh = _backend.matmul(gh2.T, h_prev)
        db_ih = None if b_ih is None else gi2.sum(axis=0)
        db_hh = None if b_hh is None else gh2.sum(axis=0)
        return dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dW_hr

    inputs = (input, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr)
    flat = Tensor._make(packed, inputs, backward, "MkldnnRnnLayerBackward0")
    output = flat[: out.size].view(L, N, H_out)
    h = flat[out.size : out.size + h_n.size].view(N, H_out)
    c = None if c_n is None else flat[out.size + h_n.size :].view(N, H)
    return output, h, c


def _layer_arrays(
    x: np.ndarray, hx: Tensor, cx: Tensor | None, w_ih: Tensor, w_hh: Tensor,
    b_ih: Tensor | None, b_hh: Tensor | None,
) -> tuple:
    """The arrays of one layer's arguments, checked to share the input's dtype (as torch's
    matrix products require)."""
    named = [("hx", hx), ("cx", cx), ("weight_ih", w_ih), ("weight_hh", w_hh),
             ("bias_ih", b_ih), ("bias_hh", b_hh)]
    for name, t in named:
        if t is not None and t._data.dtype != x.dtype:
            raise TypeRuntimeError(
                f"rnn: {name} has dtype {t.dtype} but the input has dtype "
                f"{_dtype_name(x)}; convert one of them (e.g. model.to(input.dtype))"
            )
    return (hx._data, None if cx is None else cx._data, w_ih._data, w_hh._data,
            None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data)


def _dtype_name(a: np.ndarray) -> str:
    from ... import _dtype

    return str(_dtype.from_numpy_dtype(a.dtype))


def _order(L: int, reverse: bool) -> range:
    """The time steps in the order the layer reads them."""
    return range(L - 1, -1, -1) if reverse else range(L)


def _previous(states: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """``prev[t]``: the state a step started from, i.e. the state after the step read just
    before it, or ``first`` for the first step read. ``(L, N, K)``."""
    if reverse:
        return np.concatenate([states[1:], first[None]])
    return np.concatenate([first[None], states[:-1]])


def _input_products(x: np.ndarray, W_ih: np.ndarray, b_ih: np.ndarray | None) -> np.ndarray:
    """``x_t W_ihᵀ + b_ih`` for every step at once: ``(L, N, G*H)``."""
    L, N = x.shape[0], x.shape[1]
    xw = _backend.matmul(x.reshape(L * N, x.shape[2]), W_ih.T)
    if b_ih is not None:
        xw += b_ih
    return xw.reshape(L, N, W_ih.shape[0])


def _hidden_product(h: np.ndarray, W_hh: np.ndarray, b_hh: np.ndarray | None) -> np.ndarray:
    out = _backend.matmul(h, W_hh.T)
    if b_hh is not None:
        out += b_hh
    return out


# ---- RNN (tanh / relu) ------------------------------------------------------------------------
def _rnn_forward(relu: bool) -> Any:
    def forward(
        x: np.ndarray, h0: np.ndarray, c0: None, W_ih: np.ndarray, W_hh: np.ndarray,
        b_ih: np.ndarray | None, b_hh: np.ndarray | None, W_hr: None, reverse: bool,
    ) -> tuple:
        xw = _input_products(x, W_ih, b_ih)
        L = x.shape[0]
        out = np.empty(xw.shape, x.dtype)
        h = h0
        for t in _order(L, reverse):
            pre = xw[t] + _hidden_product(h, W_hh, b_hh)
            h = np.maximum(pre, 0, out=out[t]) if relu else np.tanh(pre, out=out[t])

        def backward_steps(g_out: np.ndarray, g_h: np.ndarray, g_c: None) -> tuple:
            d_pre = np.empty_like(out)
            dh = g_h
            for t in reversed(_order(L, reverse)):
                dh = dh + g_out[t]
                d_pre[t] = dh * (out[t] > 0) if relu else dh * (1 - out[t] * out[t])
                dh = _backend.matmul(d_pre[t], W_hh)
            return d_pre, d_pre, dh, None, None

        return out, h.copy(), None, backward_steps

    return forward


# ---- GRU --------------------------------------------------------------------------------------
def _expit(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The logistic sigmoid ``1 / (1 + exp(-x))`` into ``out`` (may be ``x``).

    Four NumPy passes, not ``scipy.special.expit``: NumPy's exp is vectorised, and on a step's
    (32, 256) float32 gates this is 3x faster than expit (22 vs 65 us), within 2 ulp of it. A
    large negative x overflows exp to inf, which gives the right 0.
    """
    np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _gru_forward(
    x: np.ndarray, h0: np.ndarray, c0: None, W_ih: np.ndarray, W_hh: np.ndarray,
    b_ih: np.ndarray | None, b_hh: np.ndarray | None, W_hr: None, reverse: bool,
) -> tuple:
    xw = _input_products(x, W_ih, b_ih)
    L, N, H = x.shape[0], x.shape[1], W_hh.shape[1]
    out = np.empty((L, N, H), x.dtype)
    rz = np.empty((L, N, 2 * H), x.dtype)  # the gates r and z after the sigmoid
    n = np.empty((L, N, H), x.dtype)
    hn = np.empty((L, N, H), x.dtype)  # W_hn h + b_hn, which r multiplies
    h = h0
    for t in _order(L, reverse):
        gh = _hidden_product(h, W_hh, b_hh)
        _expit(xw[t, :, : 2 * H] + gh[:, : 2 * H], out=rz[t])
        r, z = rz[t, :, :H], rz[t, :, H:]
        hn[t] = gh[:, 2 * H :]
        np.tanh(xw[t, :, 2 * H :] + r * hn[t], out=n[t])
        out[t] = n[t] + z * (h - n[t])  # (1 - z) * n + z * h
        h = out[t]

    def backward_steps(g_out: np.ndarray, g_h: np.ndarray, g_c: None) -> tuple:
        h_prev = _previous(out, h0, reverse)
        d_gi = np.empty((L, N, 3 * H), x.dtype)  # gradient of W_ih x + b_ih
        d_gh = np.empty((L, N, 3 * H), x.dtype)  # gradient of W_hh h + b_hh
        dh = g_h
        for t in reversed(_order(L, reverse)):
            dh = dh + g_out[t]
            r, z, nt = rz[t, :, :H], rz[t, :, H:], n[t]
            d_n = dh * (1 - z) * (1 - nt * nt)
            d_r = d_n * hn[t] * r * (1 - r)
            d_z = dh * (h_prev[t] - nt) * z * (1 - z)
            d_gi[t, :, :H], d_gi[t, :, H : 2 * H], d_gi[t, :, 2 * H :] = d_r, d_z, d_n
            d_gh[t, :, : 2 * H] = d_gi[t, :, : 2 * H]
            d_gh[t, :, 2 * H :] = d_n * r
            dh = dh * z + _backend.matmul(d_gh[t], W_hh)
        return d_gi, d_gh, dh, None, None

    return out, h.copy(), None, backward_steps


# ---- LSTM -------------------------------------------------------------------------------------
def _lstm_forward(
    x: np.ndarray, h0: np.ndarray, c0: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
    b_ih: np.ndarray | None, b_hh: np.ndarray | None, W_hr: np.ndarray | None, reverse: bool,
) -> tuple:
    # b_hh joins the input products once instead of being added at every step
    xw = _input_products(x, W_ih, b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh))
    L, N, H = x.shape[0], x.shape[1], W_ih.shape[0] // 4
    H_out = W_hh.shape[1]
    gates = np.empty((L, N, 4 * H), x.dtype)  # i, f, g, o after their nonlinearities
    c = np.empty((L, N, H), x.dtype)
    tc = np.empty((L, N, H), x.dtype)  # tanh(c)
    m = np.empty((L, N, H), x.dtype) if W_hr is not None else None  # o * tanh(c), projected
    out = np.empty((L, N, H_out), x.dtype)
    g_pre = np.empty((N, H), x.dtype)
    W_hhT = W_hh.T
    h, c_t = h0, c0
    for t in _order(L, reverse):
        a = gates[t]
        np.matmul(h, W_hhT, out=a)
        a += xw[t]
        np.tanh(a[:, 2 * H : 3 * H], out=g_pre)
        _expit(a, out=a)  # all four (one call, not three pieces); g's is overwritten below
        a[:, 2 * H : 3 * H] = g_pre
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, c_t, out=c[t])
        c[t] += i * g
        c_t = c[t]
        np.tanh(c_t, out=tc[t])
        if m is None or W_hr is None:
            np.multiply(o, tc[t], out=out[t])
        else:
            np.multiply(o, tc[t], out=m[t])
            out[t] = _backend.matmul(m[t], W_hr.T)
        h = out[t]

    def backward_steps(g_out: np.ndarray, g_h: np.ndarray, g_c: np.ndarray) -> tuple:
        # Every factor that does not depend on the incoming gradient, for all steps at once
        # (a few large NumPy calls instead of many small ones inside the loop):
        # d_i = dc g i (1 - i), d_f = dc c_prev f (1 - f), d_g = dc i (1 - g^2),
        # d_o = dm tanh(c) o (1 - o), dc += dm o (1 - tanh(c)^2).
        a4 = gates.reshape(L, N, 4, H)
        i, f, g, o = a4[:, :, 0], a4[:, :, 1], a4[:, :, 2], a4[:, :, 3]
        fac = np.empty((L, N, 4, H), x.dtype)
        np.multiply(g, i * (1 - i), out=fac[:, :, 0])
        np.multiply(_previous(c, c0, reverse), f * (1 - f), out=fac[:, :, 1])
        np.multiply(i, 1 - g * g, out=fac[:, :, 2])
        np.multiply(tc, o * (1 - o), out=fac[:, :, 3])
        to_c = o * (1 - tc * tc)
        d_gates = np.empty_like(gates)
        d4 = d_gates.reshape(L, N, 4, H)
        d_out = np.empty_like(out) if m is not None else None  # gradient of each step's h
        dh, dc = g_h, g_c
        for t in reversed(_order(L, reverse)):
            dh = dh + g_out[t]
            if d_out is not None and W_hr is not None:
                d_out[t] = dh
                dm = _backend.matmul(dh, W_hr)
            else:
                dm = dh
            dc = dc + dm * to_c[t]
            np.multiply(dc[:, None, :], fac[t, :, :3], out=d4[t, :, :3])
            np.multiply(dm, fac[t, :, 3], out=d4[t, :, 3])
            dc = dc * f[t]
            dh = _backend.matmul(d_gates[t], W_hh)
        dW_hr = None
        if d_out is not None and m is not None:
            dW_hr = _backend.matmul(d_out.reshape(L * N, H_out).T, m.reshape(L * N, H))
        return d_gates, d_gates, dh, dc, dW_hr

    return out, h.copy(), c_t.copy(), backward_steps


_FORWARD = {
    "RNN_TANH": _rnn_forward(relu=False),
    "RNN_RELU": _rnn_forward(relu=True),
    "GRU": _gru_forward,
    "LSTM": _lstm_forward,
}


# ---- the stack: layers, directions, dropout ---------------------------------------------------
def rnn(
    mode: str,
    input: Tensor,  # noqa: A002
    hx: Tensor,
    cx: Tensor | None,
    weights: list[list[Tensor | None]],
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run a stack of recurrent layers: ``(output, h_n, c_n)``, as torch's ``_VF.lstm``.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"GRU"`` or ``"LSTM"``.
        input: the batched sequence.
        hx, cx: initial states, one row per layer and direction (``cx`` for LSTM only).
        weights: per layer and direction (``l0``, ``l0_reverse``, ``l1``, ...), the list
            ``[weight_ih, weight_hh, bias_ih, bias_hh, weight_hr]`` (None where absent).
        num_layers, bidirectional, batch_first: as the module's.
        dropout: the probability of zeroing each output of a layer but the last, when
            ``train``; kept values are scaled by ``1 / (1 - dropout)``.

    Shape: input ``(L, N, I)`` (``(N, L, I)`` with batch_first), hx ``(D*num_layers, N, H_out)``,
    cx ``(D*num_layers, N, H)`` -> output ``(L, N, D*H_out)`` (batch first likewise), h_n and
    c_n as hx and cx; ``D`` is 2 when bidirectional, else 1.

    >>> import firstlayer as torch
    >>> w = [[torch.ones(1, 1), torch.zeros(1, 1), None, None, None]]
    >>> out, h, _ = rnn("RNN_RELU", torch.ones(2, 1, 1), torch.zeros(1, 1, 1), None, w,
    ...                 1, 0.0, False, False, False)
    >>> out.shape, h.shape
    (torch.Size([2, 1, 1]), torch.Size([1, 1, 1]))
    """
    if input.shape[1 if batch_first else 0] == 0:
        raise ValueRuntimeError(
            f"Expected sequence length to be larger than 0 in RNN (input of shape "
            f"{tuple(input.shape)}, batch_first={batch_first})"
        )
    x = input.transpose(0, 1) if batch_first else input
    directions = 2 if bidirectional else 1
    h_last: list[Tensor] = []
    c_last: list[Tensor] = []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            assert w_ih is not None and w_hh is not None
            out, h, c = rnn_layer(
                mode, x, hx[k], None if cx is None else cx[k], w_ih, w_hh, b_ih, b_hh, w_hr,
                reverse=d == 1,
            )
            outs.append(out)
            h_last.append(h)
            if c is not None:
                c_last.append(c)
        x = outs[0] if directions == 1 else cat(outs, -1)
        if dropout > 0 and train and layer < num_layers - 1:
            x = x * _dropout_mask(x, dropout)
    output = x.transpose(0, 1) if batch_first else x
    return output, stack(h_last), stack(c_last) if c_last else None


def _dropout_mask(x: Tensor, p: float) -> np.ndarray:
    """0 with probability ``p``, else ``1 / (1 - p)``, from firstlayer's default generator."""
    keep = rng(None).random(tuple(x.shape)) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return (keep * scale).astype(x._data.dtype)
