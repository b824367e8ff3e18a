"""Reverse-mode automatic differentiation: grad mode, graph nodes and the backward pass.

Every differentiable op computes its output with NumPy and records a ``Node`` that holds the
op's inputs and a ``backward`` closure written right below the forward code (see
``firstlayer/ops`` and ``firstlayer/nn/functional``). ``backward`` maps the gradient of the
output to one gradient per input (an ``ndarray``, a ``RowSparseGrad`` or ``None``).
``run_backward`` walks the graph from the output in reverse topological order, sums the
gradients that reach each tensor (duplicated paths and ids must add up), and accumulates the
result into the ``.grad`` of the leaves that require it.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

_state = threading.local()
_node_counter = itertools.count()
_LEAF_RANK = -math.inf  # leaves (torch's AccumulateGrad nodes) run as soon as they are ready


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """Base of ``no_grad``/``enable_grad``/``set_grad_enabled``: a context manager and a
    decorator, restoring the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.prev: list[bool] = []

    def __enter__(self) -> None:
        self.prev.append(is_grad_enabled())
        _set_enabled(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self.prev.pop())

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = is_grad_enabled()
            _set_enabled(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _set_enabled(prev)

        return wrapper


class no_grad(_GradMode):  # noqa: N801
    """Turn off graph recording: ``with no_grad(): ...`` or ``@no_grad()``."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(_GradMode):  # noqa: N801
    """``set_grad_enabled(False)`` works as a context manager and, like torch, also takes
    effect immediately when called as a plain function."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self.prev.append(is_grad_enabled())
        _set_enabled(mode)

    def __enter__(self) -> None:
        pass  # the mode was already set in __init__; __exit__ restores it

    def __call__(self, func: Callable) -> Callable:
        # As a decorator (``@set_grad_enabled(False)``) it must not switch the mode for the
        # rest of the program: undo what __init__ did, as torch does, then wrap.
        _set_enabled(self.prev.pop())
        return super().__call__(func)


class Node:
    """One recorded op: its inputs and the closure that computes their gradients.

    The repr names the op's backward the way PyTorch does (``<EmbeddingBackward0 object at ...>``),
    and ``name()`` returns just the name.
    """

    __slots__ = ("inputs", "backward", "_name", "_seq", "__weakref__")

    def __init__(self, name: str, inputs: tuple, backward: Callable[[Any], tuple]) -> None:
        self._name = name
        self.inputs = inputs
        self.backward = backward
        # creation order: the backward pass runs the most recent ready node first, as torch's
        # engine does (so hooks on independent branches run in torch's order)
        self._seq = next(_node_counter)

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple:
        return tuple((t.grad_fn if t is not None else None, 0) for t in self.inputs)

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"


def _topological_order(root: Any) -> list:
    """Tensors reachable from ``root`` through recorded ops, each once, the root first, in the
    order torch's engine runs their nodes: of the tensors whose consumers are all done, a leaf
    first (torch's AccumulateGrad has the highest priority), else the most recently made."""
    deps: dict[int, int] = {}
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        fn = pop().grad_fn
        if fn is None:
            continue
        for inp in fn.inputs:
            if inp is not None and inp.requires_grad:
                key = id(inp)
                if key in deps:
                    deps[key] += 1
                else:
                    deps[key] = 1
                    push(inp)
    order: list = []
    tie = 0
    heap: list = [(0, 0, root)]
    heappop, heappush = heapq.heappop, heapq.heappush
    while heap:
        t = heappop(heap)[2]
        order.append(t)
        fn = t.grad_fn
        if fn is None:
            continue
        for inp in fn.inputs:
            if inp is not None and inp.requires_grad:
                key = id(inp)
                left = deps[key] - 1
                deps[key] = left
                if not left:
                    tie += 1
                    inp_fn = inp.grad_fn
                    heappush(heap, (_LEAF_RANK if inp_fn is None else -inp_fn._seq, tie, inp))
    return order


def add_grads(a: Any, b: Any) -> Any:
    """Sum two gradients of one tensor; dense + row-sparse gives dense, sparse + sparse sparse."""
    # NumPy returns scalars (np.generic), not 0-d arrays, from ops on 0-d arrays: dense too.
    dense = (np.ndarray, np.generic)
    if isinstance(a, dense) and isinstance(b, dense):
        return np.add(a, b)
    if isinstance(a, dense):
        return b.add_to_dense(np.array(a))
    if isinstance(b, dense):
        return a.add_to_dense(np.array(b))
    return a.concat(b)


def _local_refcount() -> int:
    """What ``sys.getrefcount`` says of an object that only one local variable holds (2 on
    CPython 3.11-3.13: the variable and the call's argument; measured, not assumed)."""
    x = np.empty(0)
    return sys.getrefcount(x)


_SOLE_LOCAL_REFCOUNT = _local_refcount()


def run_backward(root: Any, grad: np.ndarray) -> None:
    """Backpropagate ``grad`` (the gradient of ``root``) into the leaves' ``.grad``."""
    order = _topological_order(root)
    grads: dict[int, Any] = {id(root): grad}
    with no_grad():
        for t in order:
            g = grads.pop(id(t), None)
            if g is None:
                continue
            hooked = bool(t._backward_hooks)
            if hooked:
                # Tensor.register_hook: the hooks see (and may replace) the summed gradient
                # before it is accumulated or passed on, as torch's tensor pre-hooks do.
                g = call_tensor_hooks(t, g)
            if t.grad_fn is None:
                # A leaf: nothing reads g after this, so a fresh array nobody else holds
                # becomes .grad as it is instead of being copied (torch's AccumulateGrad steals
                # it the same way); not after hooks, which may keep the gradient they saw.
                owned = not hooked and sys.getrefcount(g) == _SOLE_LOCAL_REFCOUNT
                t._accumulate_grad(g, owned=owned)
                if t._post_accumulate_grad_hooks:
                    _post_accumulate(t)
                continue
            if t._retains_grad:
                t._accumulate_grad(g)
            _pass_down(t, g, grads)
            del g


def _pass_down(t: Any, g: Any, grads: dict[int, Any]) -> None:
    """Run ``t``'s backward on its gradient ``g`` and add the results to its inputs' entries
    in ``grads``. (A function of its own so that no reference to the results outlives it: a
    leaf's gradient that only ``grads`` holds may become its ``.grad`` without a copy.)"""
    in_grads = t.grad_fn.backward(g)
    for inp, ig in zip(t.grad_fn.inputs, in_grads):
        if inp is None or ig is None or not inp.requires_grad:
            continue
        key = id(inp)
        grads[key] = ig if key not in grads else add_grads(grads[key], ig)


def clear_grads(params: Any, set_to_none: bool = True) -> None:
    """``zero_grad`` of modules and optimizers: each ``.grad`` set to None, or zeroed in place
    (a row-sparse one emptied, as torch leaves a sparse gradient)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        elif p.grad.is_sparse:
            p.grad.zero_()
        else:
            p.grad._data[...] = 0


def grad_as_tensor(g: Any, like: Any) -> Any:
    """A gradient as hooks see it: what ``like.grad`` would hold (a ``Tensor`` of ``like``'s
    shape and dtype, or the ``RowSparseTensor`` of a sparse embedding)."""
    from .sparse import RowSparseTensor
    from .tensor import Tensor

    if isinstance(g, RowSparseTensor):
        return g.astype(like._data.dtype)
    arr = np.asarray(g, dtype=like._data.dtype)
    if arr.shape != like._data.shape:  # a broadcast scalar from a reduction
        arr = np.array(np.broadcast_to(arr, like._data.shape))
    return Tensor._wrap(arr)


def grad_as_array(g: Any) -> Any:
    """The inverse of ``grad_as_tensor``: an ndarray, a ``RowSparseTensor`` or ``None``."""
    from .tensor import Tensor

    return g._data if isinstance(g, Tensor) else g


def _hook_name(hook: Any) -> str:
    return getattr(hook, "__name__", type(hook).__name__)


def _type_name(g: Any) -> str:
    from .tensor import Tensor

    if isinstance(g, Tensor):
        return str(g.type())
    return "torch.sparse." + Tensor._wrap(np.empty(0, g._values_arr.dtype)).type()[6:]


def call_tensor_hooks(t: Any, g: Any) -> Any:
    """Run ``t``'s ``register_hook`` hooks in order on gradient ``g``, each on the previous
    one's result; returns the final gradient as an array (or row-sparse gradient)."""
    from .sparse import RowSparseTensor
    from .tensor import Tensor

    grad = grad_as_tensor(g, t)
    for hook in list(t._backward_hooks.values()):
        out = hook(grad)
        if out is None:
            continue
        if not isinstance(out, (Tensor, RowSparseTensor)):
            raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
        if tuple(out.shape) != tuple(grad.shape):
            raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
        if out.dtype != grad.dtype or out.is_sparse != grad.is_sparse:
            raise RuntimeError(
                f"hook '{_hook_name(hook)}' has changed the type of value (was "
                f"{_type_name(grad)} got {_type_name(out)})"
            )
        grad = out
    return grad_as_array(grad)


def _post_accumulate(t: Any) -> None:
    """Run ``t``'s ``register_post_accumulate_grad_hooks`` (``t.grad`` is now up to date)."""
    for hook in list(t._post_accumulate_grad_hooks.values()):
        out = hook(t)
        if out is not None:
            raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
