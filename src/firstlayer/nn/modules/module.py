"""``Module``: the base of every layer. Parameters and sub-modules are registered simply by
assigning them to attributes, so ``fc.weight = nn.Parameter(...)`` (as in the seed) replaces the
layer's weight everywhere: in ``parameters()``, ``state_dict()`` and the optimizer's view."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ...tensor import Tensor
from ..parameter import Parameter


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers: subclass it, create parameters in ``__init__``, write ``forward``.

    >>> import firstlayer.nn as nn
    >>> class Tiny(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(2, 1)
    ...     def forward(self, x):
    ...         return self.fc(x)
    >>> [name for name, _ in Tiny().named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- registration through attribute assignment -----------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call; "
                "call super().__init__() first in your __init__"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            # A parameter replaced keeps its place (as in torch), so ``fc.weight = p`` leaves
            # parameters() in the order weight, bias that optimizers and state_dict see.
            if name not in params:
                self._forget(name)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(firstlayer.nn.Parameter or None expected); wrap it: "
                    f"module.{name} = nn.Parameter(tensor)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(firstlayer.nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}'")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and modules live in dicts.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register '{type(param).__name__}' as parameter '{name}'")
        if name not in self._parameters:  # a re-registered parameter keeps its place
            self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' as buffer '{name}'")
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ---- traversal ------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs; a parameter shared by two modules (tied weights) once."""
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_parameter(self, target: str) -> Parameter:
        return dict(self.named_parameters(remove_duplicate=False))[target]

    # ---- modes and helpers ------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none or p.grad.is_sparse:
                p.grad = None
            else:
                p.grad._data[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first), then on self: for custom inits."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating-point parameters and buffers to a dtype, in place; returns self.

        Takes what ``Tensor.to`` takes: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)``. A device is the CPU (``"cpu"`` or ``firstlayer.device("cpu")``); moving
        a module that holds tensors anywhere else raises ``DeviceUnavailableError`` (an empty
        module moves anywhere, as in torch). Nothing changes if the call fails.
        """
        from ..._device import check_cpu, is_device_like

        tensors = list(self.parameters()) + [b for _, b in self.named_buffers()]
        where = kwargs.get("device", args[0] if args and is_device_like(args[0]) else None)
        if tensors and where is not None:
            check_cpu(where, "module")
        cast = [t.to(*args, **kwargs)._data if t.dtype.is_floating_point else None for t in tensors]
        for t, data in zip(tensors, cast):
            if data is not None:
                t._data = data
        return self

    def cpu(self) -> Module:
        """Move to the CPU, where firstlayer modules always are: returns self."""
        return self

    def float(self) -> Module:
        from ... import _dtype

        return self.to(_dtype.float32)

    def double(self) -> Module:
        from ... import _dtype

        return self.to(_dtype.float64)

    # ---- state ----------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and buffer by dotted name (tied parameters under each name), sharing
        memory with the module (detached unless ``keep_vars``)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            for name, t in list(m._parameters.items()) + list(m._buffers.items()):
                if t is not None:
                    key = f"{mod_prefix}.{name}" if mod_prefix else name
                    out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        """Copy tensors from ``state_dict`` into this module's parameters and buffers.

        Everything is checked first: a missing or unexpected key (with ``strict``) or a shape
        that differs raises a ``RuntimeError`` naming each key and both shapes, and then nothing
        is loaded (PyTorch copies the matching keys before it raises).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict:
            if missing:
                names = ", ".join(f'"{k}"' for k in missing)
                problems.append(f"Missing key(s) in state_dict: {names}.")
            if unexpected:
                names = ", ".join(f'"{k}"' for k in unexpected)
                problems.append(f"Unexpected key(s) in state_dict: {names}.")
        arrays = {}
        for k, dst in own.items():
            if k not in state_dict:
                continue
            src = state_dict[k]
            arr = src._data if isinstance(src, Tensor) else np.asarray(src)
            if tuple(arr.shape) != tuple(dst.shape):
                problems.append(
                    f"size mismatch for {k}: copying a param with shape {tuple(arr.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(dst.shape)}."
                )
            arrays[k] = arr
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} "
                "(nothing was loaded):\n\t"
                + "\n\t".join(problems)
            )
        for k, arr in arrays.items():
            dst = own[k]
            if assign:
                dst._data = np.array(arr, dtype=dst._data.dtype)
            else:
                dst._data[...] = arr
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))
