"""A bridge to PyTorch: ``to_torch`` and ``from_torch`` for tensors, parameters, state dicts and
modules (Embedding, EmbeddingBag, Linear, RNN/GRU/LSTM and their cells, Conv1d, LayerNorm,
Dropout, Flatten/Unflatten, pooling (MaxPool1d, AvgPool1d, adaptive), CosineSimilarity,
PairwiseDistance, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Identity,
activations (ReLU, Tanh, Sigmoid, GELU, SiLU, LeakyReLU, Softmax, LogSoftmax), losses).

torch is imported inside these functions only: ``import firstlayer`` never imports torch.

**Memory is shared, not copied.** A tensor becomes ``torch.from_numpy(array)`` one way and
``tensor.detach().numpy()`` the other: both views of one buffer. So in-place changes on either
side show in the other: an optimizer step (both libraries update weights in place),
``with no_grad(): w[0] = 0``, ``w.copy_(...)``, ``load_state_dict`` (which copies into the
existing arrays). Rebinding breaks the link: assigning a new Parameter, ``.to(dtype)``/
``.double()``, ``load_state_dict(assign=True)``. Gradients (``.grad``) and the autograd graph
are not carried over: each library records its own. A copy is made only where torch can't view
the array: a read-only array (a memory-mapped checkpoint, say) or negative strides, and on the
way back torch dtypes firstlayer lacks (bfloat16 -> float32, int8/int16/uint8 -> int32).

**Tied weights stay tied.** One Parameter used by two modules becomes one Parameter on the
other side too (the same object twice), and one module used twice becomes one module.

>>> import firstlayer.nn as nn
>>> from firstlayer.interop import from_torch, to_torch
>>> emb = nn.Embedding(10, 3, padding_idx=0)
>>> t = to_torch(emb)
>>> t
Embedding(10, 3, padding_idx=0)
>>> bool((t.weight.detach().numpy() == emb.weight.detach().numpy()).all())
True
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .nn import modules as fl_modules
from .nn.modules.module import Module
from .nn.parameter import Parameter
from .tensor import Tensor, from_numpy

__all__ = ["from_torch", "to_torch"]


class _Memo:
    """Objects already converted, by identity, so shared ones stay shared. It keeps the
    sources alive so that their ids can't be reused during one conversion."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, Any]] = {}

    def get(self, src: Any) -> Any:
        hit = self._seen.get(id(src))
        return None if hit is None else hit[1]

    def put(self, src: Any, dst: Any) -> Any:
        self._seen[id(src)] = (src, dst)
        return dst


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def to_torch(obj: Any) -> Any:
    """The PyTorch equivalent of a firstlayer Tensor, Parameter, state dict or Module.

    Tensors share memory with the result (see the module docstring); ``requires_grad`` and
    ``training`` are carried; modules keep every constructor flag and their names.

    Raises:
        TypeError: for a module type that has no converter (naming it and the supported ones).

    >>> import firstlayer as fl
    >>> to_torch(fl.tensor([1.0, 2.0], requires_grad=True))
    tensor([1., 2.], requires_grad=True)
    """
    import torch  # noqa: F401  (a clear ImportError here if torch is missing)

    return _to_torch(obj, _Memo())


def from_torch(obj: Any) -> Any:
    """The firstlayer equivalent of a torch Tensor, Parameter, state dict or ``nn.Module``.

    The inverse of ``to_torch``: memory is shared where the dtype allows, flags and names are
    kept, and tied parameters stay tied.

    Raises:
        TypeError: for a module type that has no converter (naming it and the supported ones).

    >>> import torch
    >>> from_torch(torch.tensor([1, 2]))
    tensor([1, 2])
    """
    import torch

    return _from_torch(obj, _Memo(), torch)


# --------------------------------------------------------------------------------------------
# Tensors
# --------------------------------------------------------------------------------------------


def _torch_view(arr: np.ndarray) -> Any:
    """``torch.from_numpy`` without a copy where torch allows one."""
    import torch

    if not arr.flags.writeable or any(s < 0 for s in arr.strides):
        arr = np.array(arr)  # torch can't view read-only memory or negative strides
    return torch.from_numpy(arr)


def _numpy_view(t: Any, torch: Any) -> np.ndarray:
    """A CPU torch tensor's values as an ndarray (a view when the dtype allows)."""
    if t.is_sparse or t.layout != torch.strided:
        raise TypeError(
            f"from_torch: {t.layout} tensors are not supported; convert with t.to_dense() first"
        )
    t = t.detach().cpu().resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16:  # NumPy has no bfloat16: widen it exactly
        t = t.float()
    try:
        return t.numpy()
    except TypeError as exc:
        raise TypeError(f"from_torch: can't convert a tensor of dtype {t.dtype}: {exc}") from None


def _tensor_to_torch(t: Tensor, memo: _Memo) -> Any:
    import torch

    hit = memo.get(t)
    if hit is not None:
        return hit
    data = _torch_view(t._data)
    if getattr(t, "_frozen_rows", None) is not None:
        warnings.warn(
            "frozen rows (freeze_rows) have no torch equivalent and are not carried over: "
            "torch will train every row of this weight",
            stacklevel=2,
        )
    if isinstance(t, Parameter):
        out = torch.nn.Parameter(data, requires_grad=t.requires_grad)
    else:
        out = data.requires_grad_(t.requires_grad) if t.requires_grad else data
    return memo.put(t, out)


def _tensor_from_torch(t: Any, memo: _Memo, torch: Any) -> Tensor:
    hit = memo.get(t)
    if hit is not None:
        return hit
    out = from_numpy(_numpy_view(t, torch))
    if isinstance(t, torch.nn.Parameter):
        out = Parameter(out, requires_grad=t.requires_grad)
    elif t.requires_grad and out.dtype.is_floating_point:
        out.requires_grad_(True)
    return memo.put(t, out)


def _opt(t: Any, convert: Callable[[Any], Any]) -> Any:
    return None if t is None else convert(t)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def _to_torch(obj: Any, memo: _Memo) -> Any:
    if isinstance(obj, Tensor):
        return _tensor_to_torch(obj, memo)
    if isinstance(obj, Module):
        hit = memo.get(obj)
        if hit is not None:
            return hit
        conv = _TO_TORCH.get(type(obj))
        if conv is None:
            raise TypeError(_unsupported(type(obj), sorted(c.__name__ for c in _TO_TORCH)))
        out = conv(obj, lambda x: _to_torch(x, memo))
        out.training = obj.training
        return memo.put(obj, out)
    if isinstance(obj, Mapping):
        return OrderedDict((k, _to_torch(v, memo)) for k, v in obj.items())
    raise TypeError(
        f"to_torch expects a firstlayer Tensor, Parameter, Module or state dict, got "
        f"{type(obj).__name__}"
    )


def _from_torch(obj: Any, memo: _Memo, torch: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return _tensor_from_torch(obj, memo, torch)
    if isinstance(obj, torch.nn.Module):
        hit = memo.get(obj)
        if hit is not None:
            return hit
        conv = _FROM_TORCH.get(type(obj).__name__)
        if conv is None or type(obj) is not getattr(torch.nn, type(obj).__name__, None):
            names = sorted(f"torch.nn.{n}" for n in _FROM_TORCH)
            raise TypeError(_unsupported(type(obj), names))
        out = conv(obj, lambda x: _from_torch(x, memo, torch))
        out.training = obj.training
        return memo.put(obj, out)
    if isinstance(obj, Mapping):
        return OrderedDict((k, _from_torch(v, memo, torch)) for k, v in obj.items())
    raise TypeError(
        f"from_torch expects a torch Tensor, Parameter, nn.Module or state dict, got "
        f"{type(obj).__name__}"
    )


def _unsupported(cls: type, supported: list[str]) -> str:
    return (
        f"can't convert a {cls.__module__}.{cls.__qualname__}: supported module types are "
        f"{', '.join(supported)} (exactly these classes: a subclass may change forward, so it "
        "is refused; convert its parts, or its state_dict)"
    )


# --------------------------------------------------------------------------------------------
# Module converters: firstlayer -> torch (``c`` converts a child, a tensor or a parameter)
# --------------------------------------------------------------------------------------------

Conv = Callable[[Any], Any]


def _embedding_to(m: Any, c: Conv) -> Any:
    import torch

    w = c(m.weight)
    out = torch.nn.Embedding(
        m.num_embeddings, m.embedding_dim, padding_idx=m.padding_idx, max_norm=m.max_norm,
        norm_type=m.norm_type, scale_grad_by_freq=m.scale_grad_by_freq, sparse=m.sparse,
        _weight=w, _freeze=not w.requires_grad,
    )
    out.weight = w  # the very object, not a new Parameter over the same memory: ties survive
    return out


def _embedding_bag_to(m: Any, c: Conv) -> Any:
    import torch

    w = c(m.weight)
    out = torch.nn.EmbeddingBag(
        m.num_embeddings, m.embedding_dim, max_norm=m.max_norm, norm_type=m.norm_type,
        scale_grad_by_freq=m.scale_grad_by_freq, mode=m.mode, sparse=m.sparse, _weight=w,
        include_last_offset=m.include_last_offset, padding_idx=m.padding_idx,
    )
    out.weight = w
    return out


def _linear_to(m: Any, c: Conv) -> Any:
    import torch

    # on the meta device: no memory is allocated or initialised for weights replaced next
    out = torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, device="meta")
    out.weight = c(m.weight)
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _rnn_to(m: Any, c: Conv) -> Any:
    """RNN, GRU, LSTM: the same constructor flags, then each parameter (shared, by name)."""
    import torch

    kwargs = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first,
                  dropout=m.dropout, bidirectional=m.bidirectional, device="meta")
    if m.mode == "LSTM":
        kwargs["proj_size"] = m.proj_size
    elif m.mode != "GRU":
        kwargs["nonlinearity"] = m.nonlinearity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer: warned when m was made
        out = getattr(torch.nn, type(m).__name__)(m.input_size, m.hidden_size, **kwargs)
    for name in m._flat_weights_names:
        setattr(out, name, c(getattr(m, name)))  # torch's __setattr__ updates _flat_weights
    return out


def _rnn_cell_to(m: Any, c: Conv) -> Any:
    import torch

    kwargs: dict[str, Any] = dict(bias=m.bias, device="meta")
    if type(m).__name__ == "RNNCell":
        kwargs["nonlinearity"] = m.nonlinearity
    out = getattr(torch.nn, type(m).__name__)(m.input_size, m.hidden_size, **kwargs)
    for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if m.bias else ()):
        setattr(out, name, c(getattr(m, name)))
    return out


def _sequential_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.Sequential(OrderedDict((k, c(v)) for k, v in m._modules.items()))


def _module_list_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.ModuleList([c(v) for v in m._modules.values()])


def _plain_to(name: str) -> Callable[[Any, Conv], Any]:
    def convert(m: Any, c: Conv) -> Any:
        import torch

        return getattr(torch.nn, name)()

    return convert


def _softmax_to(name: str) -> Callable[[Any, Conv], Any]:
    def convert(m: Any, c: Conv) -> Any:
        import torch

        return getattr(torch.nn, name)(dim=m.dim)

    return convert


def _cross_entropy_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.CrossEntropyLoss(
        _opt(m.weight, c), ignore_index=m.ignore_index, reduction=m.reduction,
        label_smoothing=m.label_smoothing,
    )


def _nll_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.NLLLoss(_opt(m.weight, c), ignore_index=m.ignore_index, reduction=m.reduction)


def _bce_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.BCEWithLogitsLoss(
        _opt(m.weight, c), reduction=m.reduction, pos_weight=_opt(m.pos_weight, c)
    )


def _mse_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.MSELoss(reduction=m.reduction)


def _layer_norm_to(m: Any, c: Conv) -> Any:
    import torch

    out = torch.nn.LayerNorm(m.normalized_shape, eps=m.eps,
                             elementwise_affine=m.elementwise_affine, bias=m.bias is not None,
                             device="meta")
    if m.weight is not None:
        out.weight = c(m.weight)
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _conv1d_to(m: Any, c: Conv) -> Any:
    import torch

    out = torch.nn.Conv1d(
        m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
        dilation=m.dilation, groups=m.groups, bias=m.bias is not None,
        padding_mode=m.padding_mode, device="meta",
    )
    out.weight = c(m.weight)
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _module_dict_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.ModuleDict(OrderedDict((k, c(v)) for k, v in m.items()))


def _entry_to(v: Any, c: Conv) -> Any:
    """A parameter container's entry: tensors and modules converted, other objects kept."""
    return c(v) if isinstance(v, (Tensor, Module)) else v


def _parameter_list_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.ParameterList([_entry_to(v, c) for v in m])


def _parameter_dict_to(m: Any, c: Conv) -> Any:
    import torch

    return torch.nn.ParameterDict(OrderedDict((k, _entry_to(v, c)) for k, v in m.items()))


def _settings_to(name: str, attrs: dict[str, str]) -> Callable[[Any, Conv], Any]:
    """A parameter-free module: torch's class built from the same settings (constructor
    argument -> attribute)."""
    def convert(m: Any, c: Conv) -> Any:
        import torch

        return getattr(torch.nn, name)(**{k: getattr(m, a) for k, a in attrs.items()})

    return convert


# --------------------------------------------------------------------------------------------
# Module converters: torch -> firstlayer
# --------------------------------------------------------------------------------------------


def _embedding_from(m: Any, c: Conv) -> Any:
    w = c(m.weight)
    out = fl_modules.Embedding(
        m.num_embeddings, m.embedding_dim, padding_idx=m.padding_idx, max_norm=m.max_norm,
        norm_type=m.norm_type, scale_grad_by_freq=m.scale_grad_by_freq, sparse=m.sparse,
        _weight=w, _freeze=not w.requires_grad,
    )
    out.weight = w
    return out


def _embedding_bag_from(m: Any, c: Conv) -> Any:
    w = c(m.weight)
    out = fl_modules.EmbeddingBag(
        m.num_embeddings, m.embedding_dim, max_norm=m.max_norm, norm_type=m.norm_type,
        scale_grad_by_freq=m.scale_grad_by_freq, mode=m.mode, sparse=m.sparse, _weight=w,
        include_last_offset=m.include_last_offset, padding_idx=m.padding_idx,
    )
    out.weight = w
    return out


def _linear_from(m: Any, c: Conv) -> Any:
    w = c(m.weight)
    out = fl_modules.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=w.dtype)
    out.weight = w
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _rnn_from(m: Any, c: Conv) -> Any:
    """RNN, GRU, LSTM: the same constructor flags, then each parameter (shared, by name)."""
    params = [c(getattr(m, name)) for name in m._flat_weights_names]
    kwargs = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first,
                  dropout=m.dropout, bidirectional=m.bidirectional, dtype=params[0].dtype)
    if m.mode == "LSTM":
        kwargs["proj_size"] = m.proj_size
    elif m.mode != "GRU":
        kwargs["nonlinearity"] = m.nonlinearity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer: warned when m was made
        out = getattr(fl_modules, type(m).__name__)(m.input_size, m.hidden_size, **kwargs)
    for name, p in zip(m._flat_weights_names, params):
        setattr(out, name, p)
    return out


def _rnn_cell_from(m: Any, c: Conv) -> Any:
    w = c(m.weight_ih)
    kwargs: dict[str, Any] = dict(bias=m.bias, dtype=w.dtype)
    if type(m).__name__ == "RNNCell":
        kwargs["nonlinearity"] = m.nonlinearity
    out = getattr(fl_modules, type(m).__name__)(m.input_size, m.hidden_size, **kwargs)
    out.weight_ih = w
    for name in ("weight_hh",) + (("bias_ih", "bias_hh") if m.bias else ()):
        setattr(out, name, c(getattr(m, name)))
    return out


def _sequential_from(m: Any, c: Conv) -> Any:
    return fl_modules.Sequential(OrderedDict((k, c(v)) for k, v in m._modules.items()))


def _module_list_from(m: Any, c: Conv) -> Any:
    return fl_modules.ModuleList([c(v) for v in m._modules.values()])


def _plain_from(cls: type) -> Callable[[Any, Conv], Any]:
    return lambda m, c: cls()


def _softmax_from(cls: type) -> Callable[[Any, Conv], Any]:
    return lambda m, c: cls(dim=m.dim)


def _cross_entropy_from(m: Any, c: Conv) -> Any:
    return fl_modules.CrossEntropyLoss(
        _opt(m.weight, c), ignore_index=m.ignore_index, reduction=m.reduction,
        label_smoothing=m.label_smoothing,
    )


def _nll_from(m: Any, c: Conv) -> Any:
    return fl_modules.NLLLoss(_opt(m.weight, c), ignore_index=m.ignore_index,
                              reduction=m.reduction)


def _bce_from(m: Any, c: Conv) -> Any:
    return fl_modules.BCEWithLogitsLoss(
        _opt(m.weight, c), reduction=m.reduction, pos_weight=_opt(m.pos_weight, c)
    )


def _mse_from(m: Any, c: Conv) -> Any:
    return fl_modules.MSELoss(reduction=m.reduction)


def _layer_norm_from(m: Any, c: Conv) -> Any:
    w = _opt(m.weight, c)
    out = fl_modules.LayerNorm(m.normalized_shape, eps=m.eps,
                               elementwise_affine=m.elementwise_affine, bias=m.bias is not None,
                               dtype=None if w is None else w.dtype)
    if w is not None:
        out.weight = w
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _conv1d_from(m: Any, c: Conv) -> Any:
    w = c(m.weight)
    out = fl_modules.Conv1d(
        m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
        dilation=m.dilation, groups=m.groups, bias=m.bias is not None,
        padding_mode=m.padding_mode, dtype=w.dtype,
    )
    out.weight = w
    if m.bias is not None:
        out.bias = c(m.bias)
    return out


def _module_dict_from(m: Any, c: Conv) -> Any:
    return fl_modules.ModuleDict(OrderedDict((k, c(v)) for k, v in m.items()))


def _entry_from(v: Any, c: Conv) -> Any:
    import torch

    return c(v) if isinstance(v, (torch.Tensor, torch.nn.Module)) else v


def _parameter_list_from(m: Any, c: Conv) -> Any:
    return fl_modules.ParameterList([_entry_from(v, c) for v in m])


def _parameter_dict_from(m: Any, c: Conv) -> Any:
    return fl_modules.ParameterDict(OrderedDict((k, _entry_from(v, c)) for k, v in m.items()))


def _settings_from(cls: type, attrs: dict[str, str]) -> Callable[[Any, Conv], Any]:
    return lambda m, c: cls(**{k: getattr(m, a) for k, a in attrs.items()})


# parameter-free modules: constructor argument -> the attribute holding it (same on both sides)
_SETTINGS: dict[str, dict[str, str]] = {
    "Dropout": {"p": "p", "inplace": "inplace"},
    "GELU": {"approximate": "approximate"},
    "SiLU": {"inplace": "inplace"},
    "ReLU": {"inplace": "inplace"},
    "LeakyReLU": {"negative_slope": "negative_slope", "inplace": "inplace"},
    "Flatten": {"start_dim": "start_dim", "end_dim": "end_dim"},
    "Unflatten": {"dim": "dim", "unflattened_size": "unflattened_size"},
    "CosineSimilarity": {"dim": "dim", "eps": "eps"},
    "PairwiseDistance": {"p": "norm", "eps": "eps", "keepdim": "keepdim"},
    "MaxPool1d": {k: k for k in ("kernel_size", "stride", "padding", "dilation",
                                 "return_indices", "ceil_mode")},
    "AvgPool1d": {k: k for k in ("kernel_size", "stride", "padding", "ceil_mode",
                                 "count_include_pad")},
    "AdaptiveMaxPool1d": {"output_size": "output_size", "return_indices": "return_indices"},
    "AdaptiveAvgPool1d": {"output_size": "output_size"},
}


# firstlayer class -> converter to torch; torch class name -> converter to firstlayer
_TO_TORCH: dict[type, Callable[[Any, Conv], Any]] = {
    fl_modules.Embedding: _embedding_to,
    fl_modules.EmbeddingBag: _embedding_bag_to,
    fl_modules.Linear: _linear_to,
    fl_modules.Sequential: _sequential_to,
    fl_modules.RNN: _rnn_to,
    fl_modules.GRU: _rnn_to,
    fl_modules.LSTM: _rnn_to,
    fl_modules.RNNCell: _rnn_cell_to,
    fl_modules.GRUCell: _rnn_cell_to,
    fl_modules.LSTMCell: _rnn_cell_to,
    fl_modules.ModuleList: _module_list_to,
    fl_modules.ModuleDict: _module_dict_to,
    fl_modules.ParameterList: _parameter_list_to,
    fl_modules.ParameterDict: _parameter_dict_to,
    fl_modules.LayerNorm: _layer_norm_to,
    fl_modules.Conv1d: _conv1d_to,
    **{getattr(fl_modules, n): _settings_to(n, attrs) for n, attrs in _SETTINGS.items()},
    fl_modules.Identity: _plain_to("Identity"),
    fl_modules.Tanh: _plain_to("Tanh"),
    fl_modules.Sigmoid: _plain_to("Sigmoid"),
    fl_modules.Softmax: _softmax_to("Softmax"),
    fl_modules.LogSoftmax: _softmax_to("LogSoftmax"),
    fl_modules.CrossEntropyLoss: _cross_entropy_to,
    fl_modules.NLLLoss: _nll_to,
    fl_modules.BCEWithLogitsLoss: _bce_to,
    fl_modules.MSELoss: _mse_to,
}
_FROM_TORCH: dict[str, Callable[[Any, Conv], Any]] = {
    "Embedding": _embedding_from,
    "EmbeddingBag": _embedding_bag_from,
    "Linear": _linear_from,
    "Sequential": _sequential_from,
    "RNN": _rnn_from,
    "GRU": _rnn_from,
    "LSTM": _rnn_from,
    "RNNCell": _rnn_cell_from,
    "GRUCell": _rnn_cell_from,
    "LSTMCell": _rnn_cell_from,
    "ModuleList": _module_list_from,
    "ModuleDict": _module_dict_from,
    "ParameterList": _parameter_list_from,
    "ParameterDict": _parameter_dict_from,
    "LayerNorm": _layer_norm_from,
    "Conv1d": _conv1d_from,
    **{n: _settings_from(getattr(fl_modules, n), attrs) for n, attrs in _SETTINGS.items()},
    "Identity": _plain_from(fl_modules.Identity),
    "Tanh": _plain_from(fl_modules.Tanh),
    "Sigmoid": _plain_from(fl_modules.Sigmoid),
    "Softmax": _softmax_from(fl_modules.Softmax),
    "LogSoftmax": _softmax_from(fl_modules.LogSoftmax),
    "CrossEntropyLoss": _cross_entropy_from,
    "NLLLoss": _nll_from,
    "BCEWithLogitsLoss": _bce_from,
    "MSELoss": _mse_from,
}
