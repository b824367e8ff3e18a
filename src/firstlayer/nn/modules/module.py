"""``Module``: the base of every layer. Parameters and sub-modules are registered simply by
assigning them to attributes, so ``fc.weight = nn.Parameter(...)`` (as in the seed) replaces the
layer's weight everywhere: in ``parameters()``, ``state_dict()`` and the optimizer's view."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ...autograd import Node, clear_grads, grad_as_array, grad_as_tensor, is_grad_enabled
from ...tensor import Tensor
from ...utils.hooks import RemovableHandle
from ..parameter import Parameter

__all__ = [
    "Module",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
]

# Hooks common to all modules (torch.nn.modules.module's globals, for debugging/profiling): they
# run before each module's own hooks.
_global_backward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_backward_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_forward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_forward_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_forward_hooks_always_called: OrderedDict[int, bool] = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict[int, bool] = OrderedDict()


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(module, args)`` to run before every module's ``forward`` (before the
    module's own pre-hooks); it may return new positional args (a tuple, or one value).

    >>> import firstlayer as torch, firstlayer.nn as nn
    >>> h = register_module_forward_pre_hook(lambda m, args: None)
    >>> h.remove()
    """
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(
    hook: Callable[..., Any], *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """Register ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
    ``with_kwargs``) to run after every module's ``forward``, before the module's own forward
    hooks; it may return a replacement output. ``always_call``: run it even when ``forward``
    raises.

    >>> h = register_module_forward_hook(lambda m, args, out: None)
    >>> h.remove()
    """
    handle = RemovableHandle(
        _global_forward_hooks,
        extra_dict=[_global_forward_hooks_always_called, _global_forward_hooks_with_kwargs],
    )
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(module, grad_output)`` for every module, run before the module's own
    backward pre-hooks (see ``Module.register_full_backward_pre_hook``).

    >>> h = register_module_full_backward_pre_hook(lambda m, grad_output: None)
    >>> h.remove()
    """
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(module, grad_input, grad_output)`` for every module, run before the
    module's own backward hooks (see ``Module.register_full_backward_hook``).

    >>> h = register_module_full_backward_hook(lambda m, grad_input, grad_output: None)
    >>> h.remove()
    """
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


class _GradSlots:
    """The gradients of the n tensors one ``_BackwardHook`` node captures, as one value that
    the backward pass can sum like a gradient (``add_grads`` calls ``concat``): a slot per
    tensor, ``None`` where no gradient arrived."""

    __slots__ = ("grads",)

    def __init__(self, grads: list) -> None:
        self.grads = grads

    def concat(self, other: _GradSlots) -> _GradSlots:
        from ...autograd import add_grads

        return _GradSlots([
            a if b is None else b if a is None else add_grads(a, b)
            for a, b in zip(self.grads, other.grads)
        ])


def _capture_grads(tensors: list[Tensor], on_grads: Callable[[list], tuple]) -> list[Tensor]:
    """Identity on ``tensors`` that sees all their gradients at once (torch's
    ``BackwardHookFunction``): each tensor that requires grad gets an alias whose backward
    puts its gradient in a slot of one shared node; that node runs after every alias (it is
    below them all in the graph) and hands ``on_grads(slots)`` on to ``tensors``."""
    n = len(tensors)

    def hub_backward(slots: _GradSlots) -> tuple:
        return on_grads(slots.grads)

    name = "BackwardHookFunctionBackward"
    hub = Tensor._wrap(np.empty(0), True, Node(name, tuple(tensors), hub_backward))
    out = []
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            out.append(t)  # non-differentiable, as torch marks it
            continue

        def alias_backward(g: Any, i: int = i) -> tuple:
            slots: list = [None] * n
            slots[i] = g
            return (_GradSlots(slots),)

        out.append(Tensor._wrap(t._data, True, Node(name, (hub,), alias_backward)))
    return out


def _pack_with_none(indices: list[int], values: Any, size: int) -> tuple:
    res: list = [None] * size
    for idx, val in zip(indices, values):
        res[idx] = val
    return tuple(res)


class _BackwardHook:
    """torch.utils.hooks.BackwardHook: runs a module's full backward (pre-)hooks once the
    gradients of its outputs (pre-hooks) and then of its inputs (hooks) are known. Only
    tensors given directly as positional args, and a returned tensor or tuple's tensors, are
    seen, as in torch."""

    def __init__(self, module: Module, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_outputs = -1
        self.output_tensors_index: list[int] | None = None
        self.n_inputs = -1
        self.input_tensors_index: list[int] | None = None

    def _apply_on_tensors(self, on_grads: Callable, args: tuple) -> tuple[Any, list | None]:
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in idx]
        if not (any(t.requires_grad for t in tensors) and is_grad_enabled()):
            return args, None
        new = _capture_grads(tensors, lambda grads: on_grads(tensors, grads))
        arg_list = list(args)
        for i, t in zip(idx, new):
            arg_list[i] = t
        return (tuple(arg_list) if type(args) is tuple else type(args)(*arg_list)), idx

    def setup_input_hook(self, args: tuple) -> Any:
        def on_grads(tensors: list[Tensor], grads: list) -> tuple:
            # torch materializes a missing input gradient as zeros before its hook sees it
            grad_input = [
                grad_as_tensor(g if g is not None else np.zeros_like(t._data), t)
                for t, g in zip(tensors, grads)
            ]
            if self.grad_outputs is None:
                # the gradient reached the inputs without passing through the outputs
                return tuple(grad_as_array(g) for g in grad_input)
            assert self.input_tensors_index is not None
            res = _pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for hook in self.user_hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError(
                        "Backward hook returned an invalid number of grad_input, "
                        f"got {len(out)}, but expected {len(res)}"
                    )
                res = out
            self.grad_outputs = None
            return tuple(grad_as_array(res[i]) for i in self.input_tensors_index)

        res, self.input_tensors_index = self._apply_on_tensors(on_grads, args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result: Any) -> Any:
        def on_grads(tensors: list[Tensor], grads: list) -> tuple:
            assert self.output_tensors_index is not None
            given = [None if g is None else grad_as_tensor(g, t) for t, g in zip(tensors, grads)]
            self.grad_outputs = _pack_with_none(self.output_tensors_index, given, self.n_outputs)
            if self.user_pre_hooks:
                expected_len = len(self.grad_outputs)
                for pre_hook in self.user_pre_hooks:
                    new = pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != expected_len:
                        raise RuntimeError(
                            "Backward pre hook returned an invalid number of grad_output, "
                            f"got {len(new)}, but expected {expected_len}"
                        )
                    self.grad_outputs = new
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                # no input requires grad: the full hooks fire here, with grad_input all None
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients. See "
                    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                    "#torch.nn.Module.register_full_backward_hook for more details.",
                    stacklevel=5,
                )
                grad_inputs = _pack_with_none([], [], self.n_inputs)
                for hook in self.user_hooks:
                    out = hook(self.module, grad_inputs, self.grad_outputs)
                    if out is not None and not (
                        isinstance(out, tuple) and all(el is None for el in out)
                    ):
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients."
                        )
                self.grad_outputs = None
            return tuple(grad_as_array(local_grad_outputs[i]) for i in self.output_tensors_index)

        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(on_grads, args)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]


_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
)


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
    _forward_hooks: OrderedDict[int, Callable]
    _forward_hooks_with_kwargs: OrderedDict[int, bool]
    _forward_hooks_always_called: OrderedDict[int, bool]
    _forward_pre_hooks: OrderedDict[int, Callable]
    _forward_pre_hooks_with_kwargs: OrderedDict[int, bool]
    _backward_hooks: OrderedDict[int, Callable]
    _backward_pre_hooks: OrderedDict[int, Callable]
    _is_full_backward_hook: bool | None
    _non_persistent_buffers_set: set[str]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        self._init_hook_dicts()
        object.__setattr__(self, "_modules", OrderedDict())

    def _init_hook_dicts(self) -> None:
        for name in _HOOK_DICTS:
            object.__setattr__(self, name, OrderedDict())
        object.__setattr__(self, "_is_full_backward_hook", None)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a module pickled before hooks existed gets empty hook dicts (as torch does)
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                object.__setattr__(self, name, OrderedDict())
        self.__dict__.setdefault("_is_full_backward_hook", None)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        # The common case, no hooks anywhere: straight to forward.
        if not (
            self._forward_hooks
            or self._forward_pre_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
            or _global_forward_hooks
            or _global_forward_pre_hooks
            or _global_backward_hooks
            or _global_backward_pre_hooks
        ):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    __call__ = _call_impl

    def _call_with_hooks(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """torch's ``Module._call_impl`` with hooks: global then own forward pre-hooks, the
        backward hooks' input capture, forward, global then own forward hooks, the backward
        hooks' output capture; ``always_call`` forward hooks also run when something raises."""
        result = None
        called_always: set[int] = set()
        try:
            full_hooks: list = []
            pre_hooks: list = []
            if self._backward_pre_hooks or _global_backward_pre_hooks:
                pre_hooks = [*_global_backward_pre_hooks.values(),
                             *self._backward_pre_hooks.values()]
            if self._backward_hooks or _global_backward_hooks:
                full_hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            for hook_id, hook in (*_global_forward_pre_hooks.items(),
                                  *self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    args_kwargs = hook(self, args, kwargs)
                    if args_kwargs is not None:
                        if isinstance(args_kwargs, tuple) and len(args_kwargs) == 2:
                            args, kwargs = args_kwargs
                        else:
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of (new_args, "
                                f"new_kwargs), but got {args_kwargs}."
                            )
                else:
                    new_args = hook(self, args)
                    if new_args is not None:
                        args = new_args if isinstance(new_args, tuple) else (new_args,)
            bw_hook = None
            if full_hooks or pre_hooks:
                bw_hook = _BackwardHook(self, full_hooks, pre_hooks)
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if (hook_id in self._forward_hooks_always_called
                        or hook_id in _global_forward_hooks_always_called):
                    called_always.add(hook_id)
                if (hook_id in self._forward_hooks_with_kwargs
                        or hook_id in _global_forward_hooks_with_kwargs):
                    hook_result = hook(self, args, kwargs, result)
                else:
                    hook_result = hook(self, args, result)
                if hook_result is not None:
                    result = hook_result
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn(
                        "For backward hooks to be called, module output should be a Tensor or "
                        f"a tuple of Tensors but received {type(result)}",
                        stacklevel=2,
                    )
                result = bw_hook.setup_output_hook(result)
            return result
        except Exception:
            for hook_id, hook in _global_forward_hooks.items():
                if (hook_id in _global_forward_hooks_always_called
                        and hook_id not in called_always):
                    try:
                        hook_result = hook(self, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        warnings.warn(
                            "global module forward hook with ``always_call=True`` raised an "
                            f"exception that was silenced as another error was raised in "
                            f"forward: {e}",
                            stacklevel=2,
                        )
            for hook_id, hook in self._forward_hooks.items():
                if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook_result = hook(self, args, kwargs, result)
                        else:
                            hook_result = hook(self, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception "
                            f"that was silenced as another error was raised in forward: {e}",
                            stacklevel=2,
                        )
            raise

    # ---- hooks ------------------------------------------------------------------------------
    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; it may return new positional
        args (a tuple, or one value that becomes a 1-tuple). With ``with_kwargs``:
        ``hook(module, args, kwargs)`` returning None or ``(new_args, new_kwargs)``.
        ``prepend``: run it before the hooks already registered.

        >>> import firstlayer as torch, firstlayer.nn as nn
        >>> lin = nn.Linear(2, 2)
        >>> h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        >>> lin(torch.ones(1, 2)).equal(lin.bias.detach().unsqueeze(0))
        True
        """
        handle = RemovableHandle(
            self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs
        )
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` (``hook(module, args,
        kwargs, output)`` with ``with_kwargs``); a non-None return replaces the output.
        ``prepend``: run it first; ``always_call``: run it even when ``forward`` raises.

        >>> import firstlayer as torch, firstlayer.nn as nn
        >>> feats = []
        >>> h = nn.Linear(2, 3).register_forward_hook(lambda m, args, out: feats.append(out))
        >>> h.remove()
        """
        handle = RemovableHandle(
            self._forward_hooks,
            extra_dict=[self._forward_hooks_with_kwargs, self._forward_hooks_always_called],
        )
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs
        are computed (a tuple, ``None`` for an output that got none); it may return a new
        ``grad_output`` tuple of the same length.

        >>> import firstlayer.nn as nn
        >>> h = nn.Linear(2, 2).register_full_backward_pre_hook(lambda m, go: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the
        module's positional tensor inputs are computed; it may return a new ``grad_input``
        tuple. As in torch, only tensors passed directly as positional args (grad_input, None
        for other args) and a returned tensor or tuple of tensors (grad_output) are seen; when
        no input requires grad the hook fires with ``grad_input`` all None.

        >>> import firstlayer.nn as nn
        >>> h = nn.Linear(2, 2).register_full_backward_hook(lambda m, gi, go: None)
        >>> h.remove()
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a "
                "single Module. Please use only one of them."
            )
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

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
        # a non-persistent buffer is part of the module but not of its state_dict
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

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

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``""`` is self); AttributeError naming
        the missing step otherwise.

        >>> import firstlayer.nn as nn
        >>> nn.Sequential(nn.Linear(2, 2)).get_submodule("0")
        Linear(in_features=2, out_features=2, bias=True)
        """
        mod: Module = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target`` (its parent must exist; with ``strict``,
        so must the attribute being replaced)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]) and not isinstance(getattr(parent, atoms[-1]), Module):
            raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (e.g. ``"0.weight"``)."""
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(mod, buffer_name)
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

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
        clear_grads(self.parameters(), set_to_none)

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

    def half(self) -> Module:
        from ... import _dtype

        return self.to(_dtype.float16)

    def type(self, dst_type: Any) -> Module:
        """Cast every parameter and buffer (floating or not, as torch does) to ``dst_type``."""
        for t in [*self.parameters(), *(b for _, b in self.named_buffers())]:
            t._data = t.type(dst_type)._data
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises ``DeviceUnavailableError`` (firstlayer runs on the CPU) unless the module
        holds no tensors."""
        return self.to("cuda" if device is None else device)

    def share_memory(self) -> Module:
        """A no-op returning self: firstlayer shares tensors between processes by pickling."""
        return self

    # ---- state ----------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and buffer by dotted name (tied parameters under each name), sharing
        memory with the module (detached unless ``keep_vars``)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            for name, t in list(m._parameters.items()) + list(m._buffers.items()):
                if t is not None and name not in m._non_persistent_buffers_set:
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
