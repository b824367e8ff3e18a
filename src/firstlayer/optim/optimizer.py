"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``step`` and
``state_dict``, and the one loop through which every optimizer updates its parameters.

How ``step()`` runs, for every optimizer:

1. Every parameter that has a gradient is checked first (shape, dtype, what the optimizer
   accepts), so a bad gradient raises before any parameter or state changes.
2. Each parameter is then updated by the subclass: ``_dense_step(p, g, group)`` for a dense
   gradient ``g`` (an ndarray shaped like ``p``), ``_sparse_step(p, grad, group)`` for a
   row-sparse one (a ``RowSparseTensor``, from ``Embedding(sparse=True)``). A sparse step
   touches only the rows present in the gradient (and their state rows).
3. Frozen rows (``Embedding.freeze_rows``) need no code in the optimizers: the parameter carries
   a ``(num_rows,)`` boolean mask ``p._frozen_rows``; a sparse gradient loses its frozen rows,
   and a dense one is handed to ``_sparse_step`` as the row-sparse gradient of the unfrozen rows.
   So frozen rows, and their momentum and moment rows, are never read or written. For the rows
   present, each optimizer's sparse rule is its dense rule, so the unfrozen rows move exactly
   as they would without the mask. Parameters without a mask take the dense path untouched.

``foreach``, ``fused``, ``capturable``, ``differentiable``: torch's implementation switches. Every
optimizer accepts the ones its torch namesake accepts and records them in ``param_groups`` as
torch does; firstlayer has one implementation (NumPy, in pieces), so they change nothing
numerically. What torch refuses, on the CPU, is refused alike (see ``check_flags`` and
``Optimizer.step``). Hyper-parameters may be 1-element tensors where torch allows it (``lr``);
a step reads them as Python numbers (``plain_group``).

Elementwise updates run through ``for_each_piece``: large arrays are processed in pieces that
fit in the CPU cache, with a few small reused buffers instead of temporaries as large as the
parameter (whose allocation and extra trips through memory cost more than the arithmetic).
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

import numpy as np

from .. import _backend
from .._device import DeviceUnavailableError
from .._errors import ValueRuntimeError
from .._mapped import read_only_message
from ..autograd import clear_grads, enable_grad, no_grad
from ..nn.parameter import frozen_rows_dropped
from ..sparse import RowSparseTensor
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

# Elements per piece in ``for_each_piece``: 32k float32 = 128 KiB per array; the ~7 arrays an
# Adam piece touches fit in a 2 MiB L2 cache. Measured at 12.8M elements: 31 ms at 32k, 39 ms at
# 8k (more Python calls), 36 ms at 128k (cache misses); torch's Adam step: 46-65 ms.
_PIECE = 1 << 15


def for_each_piece(
    fn: Callable[..., None], arrays: Sequence[np.ndarray], num_buffers: int = 0
) -> None:
    """Call ``fn(*pieces, *buffers)`` over consecutive pieces of same-shape arrays.

    ``fn`` must be elementwise (each output element depends only on the inputs at the same
    position) and write its results in place into the pieces; ``buffers`` are scratch arrays of
    the pieces' length and the first array's dtype. Arrays that are not C-contiguous are handed
    over whole (a flat view of them would be a copy, and writes to it would be lost).

    >>> a, b = np.arange(4.0), np.ones(4)
    >>> for_each_piece(lambda x, y, tmp: np.add(x, y, out=x), [a, b], num_buffers=1)
    >>> a.tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    first = arrays[0]
    if not all(a.flags.c_contiguous for a in arrays):
        fn(*arrays, *[np.empty(first.shape, first.dtype) for _ in range(num_buffers)])
        return
    flats = [a.reshape(-1) for a in arrays]
    n = first.size
    buffers = [np.empty(min(n, _PIECE), first.dtype) for _ in range(num_buffers)]
    for i in range(0, n, _PIECE):
        j = min(i + _PIECE, n)
        fn(*[f[i:j] for f in flats], *[b[: j - i] for b in buffers])


def for_present_rows(
    fn: Callable[..., None],
    arrays: Sequence[np.ndarray],
    grad: RowSparseTensor,
    num_buffers: int = 0,
) -> None:
    """Apply an elementwise update only to the rows present in a row-sparse gradient.

    ``arrays`` are the parameter's data and its state arrays (each shaped like the parameter,
    ``(num_rows, ...)``). The gradient's duplicate ids are summed first (the optimizers' updates
    are not linear in g), then the present rows of each array are gathered, updated with
    ``for_each_piece(fn, [p_rows, g_rows, *state_rows], num_buffers)``, the dense rule, and
    written back: absent rows are never read or written (the lazy rule of SparseAdam).

    >>> p, m = np.zeros((3, 2)), np.zeros((3, 2))
    >>> g = RowSparseTensor(np.array([2, 2]), np.ones((2, 2)), (3, 2))
    >>> for_present_rows(lambda p, g, m: np.subtract(p, g, out=p), [p, m], g)
    >>> p.tolist()
    [[0.0, 0.0], [0.0, 0.0], [-2.0, -2.0]]
    """
    c = grad.coalesce()
    rows = c.rows
    if rows.shape[0] == 0:
        return
    sub = [_backend.gather_rows(a, rows) for a in arrays]
    values = np.ascontiguousarray(c._values_arr)
    for_each_piece(fn, [sub[0], values, *sub[1:]], num_buffers)
    for a, s in zip(arrays, sub):
        a[rows] = s


def check_hyper(
    name: str,
    value: Any,
    low: float = 0.0,
    high: float | None = None,
    high_open: bool = True,
    low_open: bool = False,
    key: str | None = None,
) -> None:
    """Raise ``ValueError("Invalid <name>: <value> ...")`` (torch's wording) unless ``value``
    is a real number in the range (``low`` <= value, and < or <= ``high`` when given).

    A 1-element tensor is checked by its value (torch takes ``lr`` as a tensor); one of another
    size raises torch's ``"Tensor <key> must be 1-element"``. Every optimizer's
    ``_check_group`` is a list of these calls, one per hyper-parameter.

    >>> check_hyper("learning rate", -0.1)
    Traceback (most recent call last):
    ...
    ValueError: Invalid learning rate: -0.1 (must be a number with 0.0 <= value)
    """
    number = value
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"Tensor {key or name} must be 1-element, got a tensor of shape "
                f"{tuple(value.shape)}"
            )
        number = value.item()
    ok = isinstance(number, (int, float, np.integer, np.floating)) and not isinstance(number, bool)
    if ok:
        ok = number > low if low_open else number >= low
        if ok and high is not None:
            ok = number < high if high_open else number <= high
    if not ok:
        lo = f"{low} < " if low_open else f"{low} <= "
        hi = "" if high is None else (f" < {high}" if high_open else f" <= {high}")
        raise ValueError(f"Invalid {name}: {value!r} (must be a number with {lo}value{hi})")


def check_flags(group: dict[str, Any]) -> None:
    """Raise for the implementation switches torch refuses together, then for
    ``differentiable=True`` (which firstlayer cannot honour).

    As torch: ``fused`` with ``differentiable`` or with ``foreach`` is a RuntimeError.
    ``differentiable=True`` asks for an autograd graph through ``step()`` (to differentiate
    through the update, e.g. w.r.t. the learning rate); firstlayer's steps update the
    parameters in place outside autograd, so it raises NotImplementedError.

    >>> check_flags({"fused": True, "foreach": True})
    Traceback (most recent call last):
    ...
    RuntimeError: `fused` and `foreach` cannot be `True` together (got fused=True, foreach=True); \
set one of them to None or False
    """
    fused, foreach = group.get("fused"), group.get("foreach")
    differentiable = group.get("differentiable")
    if fused and differentiable:
        raise RuntimeError(
            f"`fused` does not support `differentiable` (got fused={fused!r}, "
            f"differentiable={differentiable!r}); set fused=None or differentiable=False"
        )
    if fused and foreach:
        raise RuntimeError(
            f"`fused` and `foreach` cannot be `True` together (got fused={fused!r}, "
            f"foreach={foreach!r}); set one of them to None or False"
        )
    if differentiable:
        raise NotImplementedError(
            f"differentiable={differentiable!r} is not supported: firstlayer's optimizers update "
            "the parameters in place outside autograd, with no graph through step() to "
            "differentiate; use differentiable=False (the default)"
        )


def _plain(value: Any) -> Any:
    """A tensor hyper-parameter as a NumPy scalar of its dtype (tuples, such as betas,
    element-wise). Arithmetic on it then rounds as torch's on the 0-d tensor does: Adam's
    ``lr / (1 - beta1**t)`` with a float32 ``lr`` is a float32 step size, even for float64
    parameters."""
    if isinstance(value, Tensor):
        return value._data.reshape(-1)[0]
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def plain_group(group: dict[str, Any]) -> dict[str, Any]:
    """``group`` with tensor hyper-parameters (``lr=torch.tensor(0.01)``) read as numbers:
    what the update functions get.

    >>> plain_group({"params": [], "lr": Tensor._wrap(np.array(0.5)), "betas": (0.9, 0.99)})
    {'params': [], 'lr': np.float64(0.5), 'betas': (0.9, 0.99)}
    >>> group = {"params": [], "lr": 0.5}
    >>> plain_group(group) is group
    True
    """
    plain = None  # the group itself when it holds no tensor (the usual case: no copy)
    for k, v in group.items():
        if k in ("params", "param_names"):
            continue
        if isinstance(v, Tensor) or (
            isinstance(v, (tuple, list)) and any(isinstance(x, Tensor) for x in v)
        ):
            plain = dict(group) if plain is None else plain
            plain[k] = _plain(v)
    return group if plain is None else plain


# Hooks every optimizer runs around step() (torch.optim.optimizer's globals of the same use).
_global_step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step`` (see
    ``Optimizer.register_step_pre_hook``); returns a handle whose ``remove()`` unregisters it.
    """
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``; returns a handle
    whose ``remove()`` unregisters it."""
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """``step`` wrapped to run the step hooks around it, as torch wraps every optimizer's
    step. A step that calls its parent's (``super().step()``) runs the hooks once."""
    if getattr(step, "hooked", False):
        return step

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        hooked = (
            _global_step_pre_hooks or _global_step_post_hooks
            or self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks
        )
        if not hooked or self.__dict__.get("_running_step_hooks"):
            return step(*args, **kwargs)
        self._running_step_hooks = True
        try:
            # As in torch, ``args`` holds the optimizer itself first.
            for pre_hook in chain(
                _global_step_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            out = step(*args, **kwargs)
            for post_hook in chain(
                self._optimizer_step_post_hooks.values(), _global_step_post_hooks.values()
            ):
                post_hook(self, args, kwargs)
            return out
        finally:
            self._running_step_hooks = False

    wrapper.hooked = True  # type: ignore[attr-defined]
    return wrapper


def _unfrozen_rows(g: np.ndarray, frozen: np.ndarray) -> RowSparseTensor:
    """The dense gradient ``g`` restricted to the unfrozen rows, as a coalesced row-sparse one."""
    rows = np.flatnonzero(~frozen)
    return RowSparseTensor(rows, np.take(g, rows, axis=0), g.shape, coalesced=True)


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of ``params`` and hyper-parameters) and
    ``state`` (per-parameter buffers such as momentum). Subclasses implement ``_dense_step``
    and ``_sparse_step``; ``step`` is shared (see the module docstring).

    As torch's: ``params`` may be tensors, ``(name, tensor)`` pairs (``named_parameters()``:
    the names go to ``group["param_names"]``) or dicts (parameter groups); ``step``,
    ``state_dict`` and ``load_state_dict`` run the hooks registered with
    ``register_step_pre_hook`` and the others below.

    Class attributes a subclass sets:
        _state_keys: the names its per-parameter state may hold (``load_state_dict`` rejects
            others); ``None`` accepts any.
    """

    _state_keys: tuple[str, ...] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # a subclass's own step runs the step hooks too
            cls.step = _with_step_hooks(cls.__dict__["step"])  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._validate(defaults)  # the hyper-parameters first, as torch checks them
        self.defaults = defaults
        self._init_hooks()
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor; use [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def _init_hooks(self) -> None:
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict()
        )
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict()
        )
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict()
        )
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict()
        )

    def _validate(self, group: dict[str, Any]) -> None:
        self._check_group(group)
        check_flags(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters overriding the defaults.

        As in torch, the dict itself becomes the group (completed with the defaults, its
        ``params`` made a list, ``(name, tensor)`` pairs split into ``params`` and
        ``param_names``); nothing is changed when it is rejected.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError(
                "all optimizer params should be with/without names. Some param names are missing"
            )
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        named = bool(names) or "param_names" in param_group
        for g in self.param_groups:
            if named != ("param_names" in g):
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {'with' if named else 'without'} names to the optimizer"
                )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        # torch's key order: the group's own keys, param_names, then the defaults not given
        group = {**param_group, "params": params}
        if names:
            group["param_names"] = names
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate(group)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=2,
            )
        param_group.clear()
        param_group.update(group)
        self.param_groups.append(param_group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid hyper-parameter of ``group`` (subclasses: one
        ``check_hyper`` call each). Runs on the defaults, on every group added and on every
        group of a loaded state dict."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None by default, as torch does)."""
        clear_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    # --- hooks --------------------------------------------------------------------------------
    @staticmethod
    def _register(
        hooks: OrderedDict[int, Callable[..., Any]], hook: Callable[..., Any], prepend: bool
    ) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` before each ``step``; it may return a new
        ``(args, kwargs)`` for the step. Returns a handle: ``handle.remove()`` unregisters."""
        return self._register(self._optimizer_step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` after each ``step``. Returns a handle."""
        return self._register(self._optimizer_step_post_hooks, hook, False)

    def register_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(optimizer)`` before ``state_dict()`` builds the dict (before the hooks
        already registered with ``prepend=True``, after them otherwise). Returns a handle."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(optimizer, state_dict)`` on what ``state_dict()`` built; a dict it returns
        replaces it. Returns a handle."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(optimizer, state_dict)`` on (a shallow copy of) the dict given to
        ``load_state_dict``; a dict it returns is loaded instead. Returns a handle."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(optimizer)`` after ``load_state_dict`` has loaded. Returns a handle."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def __getstate__(self) -> dict[str, Any]:
        # Hooks are not saved (as in torch): they are often closures that don't pickle.
        return {
            k: v for k, v in self.__dict__.items()
            if not k.startswith("_optimizer_") and k != "_running_step_hooks"
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_hooks()

    # --- the step -----------------------------------------------------------------------------
    @_with_step_hooks
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        Nothing changes if a gradient is rejected: all are checked before the first update.
        The step hooks (``register_step_pre_hook``) run around it.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        todo = []
        for group in self.param_groups:
            plain = None
            for p in group["params"]:
                if p.grad is not None:
                    self._check_grad(p, p.grad)
                    self._check_step_flags(p, p.grad, group)
                    if not p._data.flags.writeable:  # e.g. a file mapped read-only
                        raise ValueRuntimeError(
                            read_only_message(p._data, f"{type(self).__name__}.step")
                        )
                    plain = plain_group(group) if plain is None else plain
                    todo.append((p, plain))
        with no_grad():
            for p, plain in todo:
                self._step_param(p, p.grad, plain)
        return loss

    def _check_step_flags(self, p: Tensor, grad: Any, group: dict[str, Any]) -> None:
        """Raise where torch's step refuses ``capturable`` or ``fused`` on the CPU."""
        name = type(self).__name__
        if group.get("capturable") and not group.get("fused"):
            # torch: an AssertionError from its capturable step on a CPU parameter (its fused
            # CPU kernels, Adam's and AdamW's, accept capturable=True).
            raise DeviceUnavailableError(
                f"{name}(capturable=True): if capturable=True, params and state_steps must be "
                "on supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla'] (CUDA "
                "graphs), as torch says on the CPU too; firstlayer runs on the CPU: use "
                "capturable=False (the default)"
            )
        if group.get("fused"):
            if isinstance(grad, RowSparseTensor):
                raise RuntimeError(
                    f"{name}(fused=True) does not support sparse gradients (a parameter of "
                    f"shape {tuple(p.shape)} has a row-sparse one); use fused=None or False"
                )
            if p._data.dtype.kind != "f":
                raise RuntimeError(
                    "`fused=True` requires all the params to be floating point Tensors of "
                    f"supported devices, but got {p.dtype}; use fused=None or False"
                )

    def _check_grad(self, p: Tensor, grad: Any) -> None:
        """Raise if ``grad`` can't update ``p``; subclasses add what they reject."""
        shape = tuple(grad.shape)
        if shape != tuple(p.shape):
            raise ValueError(
                f"{type(self).__name__}: a parameter of shape {tuple(p.shape)} has a gradient "
                f"of shape {shape}; assign .grad a tensor shaped like its parameter"
            )
        gdtype = grad._values_arr.dtype if isinstance(grad, RowSparseTensor) else grad._data.dtype
        if gdtype != p._data.dtype:
            raise TypeError(
                f"{type(self).__name__}: a parameter of dtype {p.dtype} has a gradient of dtype "
                f"{grad.dtype}; they must match (convert the gradient with .to(param.dtype))"
            )

    def _step_param(self, p: Tensor, grad: Any, group: dict[str, Any]) -> None:
        frozen = getattr(p, "_frozen_rows", None)
        if isinstance(grad, RowSparseTensor):
            if frozen is not None:
                grad = frozen_rows_dropped(grad, frozen)
            self._sparse_step(p, grad, group)
        elif frozen is None:
            self._dense_step(p, grad._data, group)
        else:
            # Only the unfrozen rows are "present": the sparse rule on them is the dense rule.
            self._sparse_step(p, _unfrozen_rows(grad._data, frozen), group)

    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        raise NotImplementedError

    # --- helpers for the subclasses' state ------------------------------------------------------
    def _init_state(
        self, p: Tensor, keys: Sequence[str], fill: float = 0.0, step_tensor: bool = True
    ) -> dict[str, Any]:
        """``self.state[p]``, with what is missing created: ``"step"`` at 0 (a 0-d float32
        tensor, as torch keeps it; an int with ``step_tensor=False``, as torch's SparseAdam)
        and, for each of ``keys``, an array shaped like ``p`` filled with ``fill``."""
        state = self.state.setdefault(p, {})
        if state.get("step") is None:
            state["step"] = Tensor._wrap(np.array(0.0, dtype=np.float32)) if step_tensor else 0
        for key in keys:
            if state.get(key) is None:
                state[key] = self._zeros_state(p, fill)
        return state

    @staticmethod
    def _zeros_state(p: Tensor, fill: float = 0.0) -> Tensor:
        """A state tensor shaped like ``p`` (C-contiguous, so updates can run in pieces).

        Zeros come from ``np.zeros`` (calloc): the OS hands out their pages on first write, so
        the state of a large table trained with sparse gradients costs memory only for the
        pages its batches have touched."""
        if fill == 0:
            return Tensor._wrap(np.zeros(p._data.shape, dtype=p._data.dtype))
        return Tensor._wrap(np.full(p._data.shape, fill, dtype=p._data.dtype))

    @staticmethod
    def _advance_step(state: dict[str, Any]) -> float:
        """``state["step"] += 1`` (a 0-d float32 tensor, as torch keeps it, or an int); returns
        the new count as a float."""
        step = state["step"]
        if isinstance(step, Tensor):
            step._data += 1
            return float(step._data)
        state["step"] = step + 1
        return float(step + 1)

    # --- save and restore ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """State keyed by parameter position, and the groups with ``params`` as positions.

        Arrays are copies: stepping the optimizer afterwards does not change a saved dict.
        The state-dict hooks (``register_state_dict_pre_hook``, ``..._post_hook``) run around it.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {
            index[id(p)]: {k: _copied(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned. Everything is checked first (groups, sizes,
        state names and shapes, hyper-parameters): on any mismatch it raises and changes
        nothing. Arrays are copied, cast to their parameter's dtype. A state dict saved by torch
        loads too. The load hooks (``register_load_state_dict_pre_hook``, ``..._post_hook``)
        run around it."""
        name = type(self).__name__
        if isinstance(state_dict, dict):
            state_dict = state_dict.copy()  # shallow, as torch: a pre-hook may edit it
            for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
                result = pre_hook(self, state_dict)
                if result is not None:
                    state_dict = result
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(
                f"{name}.load_state_dict expects a dict with the keys 'state' and "
                "'param_groups' (what state_dict() returns)"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)}, this {name} has {len(self.param_groups)}"
            )
        id_map: dict[Any, Tensor] = {}
        new_groups = []
        for i, (own, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters "
                    f"there, {len(own['params'])} here"
                )
            id_map.update(zip(saved["params"], own["params"]))
            # torch's order: the saved group's keys (copies), its params replaced by ours; then
            # what the saved group lacks (param_names, options it predates) from our group
            group = {
                k: own["params"] if k == "params" else _loaded_option(v) for k, v in saved.items()
            }
            for k, v in own.items():
                group.setdefault(k, v)
            self._validate(group)
            new_groups.append(group)
        new_state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, entries in state_dict["state"].items():
            if key not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter {key!r}, which none of its "
                    f"param_groups lists (they list {sorted(id_map, key=str)})"
                )
            p = id_map[key]
            new_state[p] = {k: self._loaded_value(p, key, k, v) for k, v in entries.items()}
        # Everything checked: now apply (each group stays the same dict, with torch's keys).
        for own, group in zip(self.param_groups, new_groups):
            own.clear()
            own.update(group)
        self.state = new_state
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def _loaded_value(self, p: Tensor, index: Any, key: str, value: Any) -> Any:
        where = f"state of parameter {index!r}"
        if self._state_keys is not None and key not in self._state_keys:
            raise ValueError(
                f"loaded state dict has an entry {key!r} in the {where}; {type(self).__name__} "
                f"keeps {list(self._state_keys)} (was it saved from another optimizer?)"
            )
        if value is None:
            return None
        if key == "step":
            # a number, or a 0-d tensor (ours, NumPy's or torch's: a torch state dict loads too)
            is_tensor = hasattr(value, "item")
            count = value.item() if is_tensor else value
            if isinstance(count, bool) or not isinstance(count, (int, float)) or not count >= 0:
                raise ValueError(f"loaded state dict has step {value!r} in the {where}")
            return Tensor._wrap(np.array(count, dtype=np.float32)) if is_tensor else count
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        if arr.shape != p._data.shape:
            raise ValueError(
                f"loaded state dict has {key!r} of shape {arr.shape} in the {where}, whose "
                f"parameter has shape {p._data.shape}"
            )
        return Tensor._wrap(np.array(arr, dtype=p._data.dtype, order="C", copy=True))

    def __repr__(self) -> str:
        # torch's layout, to the character: each group starts on a new line, so groups after
        # the first are preceded by an empty line.
        text = f"{type(self).__name__} ("
        for i, g in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for k in sorted(g):
                if k != "params":
                    text += f"    {k}: {g[k]}\n"
        return text + ")"


def _loaded_option(value: Any) -> Any:
    """A copy of a saved group's option; a torch tensor (``lr`` saved by torch) becomes ours."""
    if not isinstance(value, Tensor) and hasattr(value, "detach") and hasattr(value, "numpy"):
        return Tensor._wrap(np.array(value.detach().numpy()))
    if isinstance(value, (tuple, list)):
        return type(value)(_loaded_option(v) for v in value)
    return copy.deepcopy(value)


def _copied(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor._wrap(value._data.copy())
    if isinstance(value, np.ndarray):
        return value.copy()
    return value
