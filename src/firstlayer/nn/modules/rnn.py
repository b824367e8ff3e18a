"""Recurrent layers: ``RNN``, ``GRU``, ``LSTM`` and their one-step cells, with torch's names,
arguments, parameter layout (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...) and errors.

The modules own the parameters and check the arguments; the sequence runs in
``nn.functional.rnn`` (one op per layer and direction, backpropagation through time in NumPy).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ... import _dtype
from ..._errors import ValueRuntimeError
from ...tensor import Tensor
from .. import init
from ..functional import rnn as F_rnn
from ..parameter import Parameter
from .module import Module

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]


def _param(shape: tuple[int, ...], d: _dtype.dtype) -> Parameter:
    return Parameter(Tensor._wrap(np.empty(shape, d.np)))


def _zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(shape, like._data.dtype))


def _float_dtype(dtype: Any) -> _dtype.dtype:
    return _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float


class RNNBase(Module):
    """What ``RNN``, ``GRU`` and ``LSTM`` share: the parameters of every layer and direction,
    their init, the argument checks and the repr.

    Parameters, per layer ``k`` and direction (``_reverse`` for the second one):
    ``weight_ih_l{k}`` ``(G*H, I_k)``, ``weight_hh_l{k}`` ``(G*H, H_out)``, ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` ``(G*H,)`` (with ``bias``), ``weight_hr_l{k}`` ``(P, H)`` (LSTM with
    ``proj_size`` P). ``G`` is 1 (RNN), 3 (GRU: r, z, n) or 4 (LSTM: i, f, g, o); ``I_0`` is
    ``input_size``, later layers read ``D * H_out``.
    Init: every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_stack_args(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                          proj_size)
        if mode not in F_rnn.GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        d = _float_dtype(dtype)
        gate_size = F_rnn.GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        h_out = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else h_out * directions
            for direction in range(directions):
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, h_out))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, _param(shape, d))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter]:
        """The parameters in torch's flat order (read afresh: assigned ones included)."""
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in torch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as in torch on the CPU (cuDNN packs the weights; NumPy needn't)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ---- checks (torch's names and messages) ---------------------------------------------
    def check_input(self, input: Tensor, batch_sizes: Any = None) -> None:  # noqa: A002
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        if input.dim() != 3:
            raise ValueRuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise ValueRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.size(-1)}"
            )

    def get_expected_hidden_size(
        self, input: Tensor, batch_sizes: Any = None  # noqa: A002
    ) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, mini_batch, size)

    def check_hidden_size(
        self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
        msg: str = "Expected hidden size {}, got {}",
    ) -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise ValueRuntimeError(msg.format(tuple(expected_hidden_size), list(hx.size())))
        if hx.dtype != self._flat_weights[0].dtype:
            raise ValueRuntimeError(
                f"the initial state has dtype {hx.dtype} but the weights have dtype "
                f"{self._flat_weights[0].dtype}; pass it as hx.to({self._flat_weights[0].dtype})"
            )

    def check_forward_args(
        self, input: Tensor, hidden: Tensor, batch_sizes: Any = None  # noqa: A002
    ) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def _run(
        self, input: Tensor, hx: Tensor, cx: Tensor | None  # noqa: A002
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        weights: list[list[Tensor | None]] = []
        for names in self._all_weights:
            by_base = {n.split("_l")[0]: getattr(self, n) for n in names}
            weights.append([by_base.get(k) for k in
                            ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")])
        return F_rnn.rnn(self.mode, input, hx, cx, weights, self.num_layers, self.dropout,
                         self.training, self.bidirectional, self.batch_first)

    def _batched(self, input: Tensor, name: str) -> tuple[Tensor, bool, int]:  # noqa: A002
        """The input made 3-D (an unbatched sequence gets a batch of 1): (input, batched,
        batch_dim)."""
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}: expected the input as a Tensor, got {type(input).__name__} (packed "
                "sequences are not supported; pad the batch instead)"
            )
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             "tensor instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        return (input if batched else input.unsqueeze(batch_dim)), batched, batch_dim

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


def _check_stack_args(
    input_size: Any, hidden_size: Any, num_layers: Any, bias: Any, batch_first: Any,
    dropout: Any, proj_size: Any,
) -> None:
    """torch's constructor checks, in torch's order, with its types and messages."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not (
        0 <= dropout <= 1  # type: ignore[operator]
    ):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            f"element being zeroed, got {dropout!r}"
        )
    if dropout > 0 and num_layers == 1:  # type: ignore[operator]
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=4,
        )
    for name, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero, got {value}")
    if num_layers <= 0:
        raise ValueError(f"num_layers must be greater than zero, got {num_layers}")
    if proj_size < 0:
        raise ValueError(
            f"proj_size should be a positive integer or zero to disable projections, got "
            f"{proj_size}"
        )
    if proj_size >= hidden_size:
        raise ValueError(
            f"proj_size has to be smaller than hidden_size (got proj_size={proj_size}, "
            f"hidden_size={hidden_size})"
        )


class RNN(RNNBase):
    """An Elman RNN: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``, ``act`` tanh or relu.

    Other Parameters:
        input_size: features of each step's input.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (each reads the previous one's output).
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: learn ``b_ih`` and ``b_hh``.
        batch_first: input and output are ``(N, L, *)`` instead of ``(L, N, *)``.
        dropout: drop this fraction of each layer's output but the last, in training.
        bidirectional: a second layer reads the sequence backwards; outputs are concatenated.

    Shape: input ``(L, N, input_size)`` (or ``(N, L, ...)``, or unbatched ``(L, input_size)``),
    hx ``(D*num_layers, N, hidden_size)`` -> output ``(L, N, D*hidden_size)``, h_n like hx.

    >>> import firstlayer as torch
    >>> out, h_n = RNN(10, 20, 2)(torch.randn(5, 3, 10))
    >>> out.shape, h_n.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(
        self, input: Tensor, hx: Tensor | None = None  # noqa: A002
    ) -> tuple[Tensor, Tensor]:
        return _single_state_forward(self, type(self).__name__, input, hx)


class GRU(RNNBase):
    """A gated recurrent unit stack (gates r, z, n in torch's order)::

        r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

    Args and Shape: as ``RNN`` (no nonlinearity).

    >>> import firstlayer as torch
    >>> out, h_n = GRU(10, 20, 2)(torch.randn(5, 3, 10))
    >>> out.shape, h_n.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(
        self, input: Tensor, hx: Tensor | None = None  # noqa: A002
    ) -> tuple[Tensor, Tensor]:
        return _single_state_forward(self, "GRU", input, hx)


def _single_state_forward(
    m: RNNBase, name: str, input: Tensor, hx: Tensor | None  # noqa: A002
) -> tuple[Tensor, Tensor]:
    """RNN's and GRU's forward: torch's checks, then the stack."""
    x, batched, batch_dim = m._batched(input, name)
    if hx is not None:
        want = 3 if batched else 2
        if hx.dim() != want:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ValueRuntimeError(
                f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor"
            )
        if not batched:
            hx = hx.unsqueeze(1)
    else:
        hx = _zeros(m.get_expected_hidden_size(x), x)
    m.check_forward_args(x, hx)
    output, h_n, _ = m._run(x, hx, None)
    if not batched:
        return output.squeeze(batch_dim), h_n.squeeze(1)
    return output, h_n


class LSTM(RNNBase):
    """A long short-term memory stack (gates i, f, g, o in torch's order)::

        i = σ(W_ii x + b_ii + W_hi h + b_hi),  f = σ(...),  g = tanh(...),  o = σ(...)
        c' = f * c + i * g,  h' = o * tanh(c')  (then h' = W_hr h' with proj_size > 0)

    Args: as ``RNN`` (no nonlinearity), plus ``proj_size``: project each ``h`` to this size.

    Shape: input as ``RNN``'s; hx is a pair ``(h_0, c_0)``, ``h_0`` ``(D*num_layers, N, H_out)``
    and ``c_0`` ``(D*num_layers, N, hidden_size)``; returns ``(output, (h_n, c_n))`` with
    output ``(L, N, D*H_out)``. ``H_out`` is ``proj_size`` if set, else ``hidden_size``.

    >>> import firstlayer as torch
    >>> out, (h_n, c_n) = LSTM(10, 20, 2)(torch.randn(5, 3, 10))
    >>> out.shape, h_n.shape, c_n.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(
        self, input: Tensor, batch_sizes: Any = None  # noqa: A002
    ) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, mini_batch, self.hidden_size)

    def check_forward_args(  # type: ignore[override]
        self, input: Tensor, hidden: tuple[Tensor, Tensor], batch_sizes: Any = None  # noqa: A002
    ) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(  # type: ignore[override]
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None  # noqa: A002
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, batched, batch_dim = self._batched(input, "LSTM")
        if hx is None:
            h0 = _zeros(self.get_expected_hidden_size(x), x)
            c0 = _zeros(self.get_expected_cell_size(x), x)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                got = f"a {type(hx).__name__}" + (
                    f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else ""
                )
                raise TypeError(f"LSTM: hx must be a pair (h_0, c_0) of tensors, got {got}")
            h0, c0 = hx
            want = 3 if batched else 2
            if h0.dim() != want or c0.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise ValueRuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors"
                )
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        self.check_forward_args(x, (h0, c0))
        output, h_n, c_n = self._run(x, h0, c0)
        assert c_n is not None
        if not batched:
            return output.squeeze(batch_dim), (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


# ---- cells: one time step ---------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` ``(G*H, input_size)``, ``weight_hh`` ``(G*H, H)``,
    ``bias_ih``/``bias_hh`` ``(G*H,)``, all ~ U(-1/sqrt(H), 1/sqrt(H)); checks and repr."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
        device: Any = None, dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        d = _float_dtype(dtype)
        self.weight_ih = _param((num_chunks * hidden_size, input_size), d)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), d)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), d)
            self.bias_hh = _param((num_chunks * hidden_size,), d)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _step(
        self, mode: str, name: str, input: Tensor, states: list[Tensor | None]  # noqa: A002
    ) -> tuple[list[Tensor], bool]:
        """One step of ``mode`` from ``states`` (None: zeros): the new states, and whether the
        input was batched."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for i, s in enumerate(states):
            if s is not None and s.dim() not in (1, 2):
                what = "hidden" if len(states) == 1 else f"hx[{i}]"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        n = x.size(0)
        full = [_zeros((n, self.hidden_size), x) if s is None else
                (s if batched else s.unsqueeze(0)) for s in states]
        self._check(x, full)
        w_ih, w_hh, b_ih, b_hh = self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        if x.dtype != w_ih.dtype:
            raise ValueRuntimeError(
                f"{name}: the input has dtype {x.dtype} but the weights have dtype {w_ih.dtype}; "
                f"convert one: input.to({w_ih.dtype}) or model.to({x.dtype})"
            )
        c0 = full[1] if len(full) > 1 else None
        _, h, c = F_rnn.rnn_layer(mode, x.unsqueeze(0), full[0], c0, w_ih, w_hh, b_ih, b_hh)
        return [h] + ([] if c is None else [c]), batched

    def _check(self, x: Tensor, states: list[Tensor]) -> None:
        """torch's cell checks: the input's features, then each state's batch and features."""
        if x.size(1) != self.input_size:
            raise ValueRuntimeError(
                f"input has inconsistent input_size: got {x.size(1)} expected {self.input_size}"
            )
        for i, s in enumerate(states):
            if x.size(0) != s.size(0):
                raise ValueRuntimeError(
                    f"Input batch size {x.size(0)} doesn't match hidden{i} batch size {s.size(0)}"
                )
            if s.dim() != 2 or s.size(1) != self.hidden_size:
                raise ValueRuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {s.size(-1)}, expected "
                    f"{self.hidden_size} (state of shape {tuple(s.shape)})"
                )


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn ``b_ih`` and ``b_hh``.
        nonlinearity: ``'tanh'`` or ``'relu'``.

    Shape: input ``(N, input_size)`` or ``(input_size,)``, hx ``(N, hidden_size)`` or
    ``(hidden_size,)`` (default zeros) -> h' like hx.

    >>> import firstlayer as torch
    >>> RNNCell(10, 20)(torch.randn(3, 10)).shape
    torch.Size([3, 20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
        device: Any = None, dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueRuntimeError(
                f"Unknown nonlinearity: {self.nonlinearity} (use 'tanh' or 'relu')"
            )
        (h,), batched = self._step(modes[self.nonlinearity], "RNNCell", input, [hx])
        return h if batched else h.squeeze(0)


class GRUCell(RNNCellBase):
    """One step of a GRU (gates r, z, n as in ``GRU``).

    Args: input_size, hidden_size, bias (as ``RNNCell``'s).

    Shape: as ``RNNCell``'s.

    >>> import firstlayer as torch
    >>> GRUCell(10, 20)(torch.randn(3, 10)).shape
    torch.Size([3, 20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        (h,), batched = self._step("GRU", "GRUCell", input, [hx])
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM (gates i, f, g, o as in ``LSTM``): returns ``(h', c')``.

    Args: input_size, hidden_size, bias (as ``RNNCell``'s).

    Shape: input ``(N, input_size)`` or ``(input_size,)``; hx a pair ``(h, c)``, each
    ``(N, hidden_size)`` or ``(hidden_size,)`` (default zeros) -> ``(h', c')`` likewise.

    >>> import firstlayer as torch
    >>> h, c = LSTMCell(10, 20)(torch.randn(3, 10))
    >>> h.shape, c.shape
    (torch.Size([3, 20]), torch.Size([3, 20]))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(  # type: ignore[override]
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None  # noqa: A002
    ) -> tuple[Tensor, Tensor]:
        states: list[Tensor | None] = [None, None] if hx is None else list(hx)
        (h, c), batched = self._step("LSTM", "LSTMCell", input, states)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
