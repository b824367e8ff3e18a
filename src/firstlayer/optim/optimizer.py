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

Elementwise updates run through ``for_each_piece``: large arrays are processed in pieces that
fit in the CPU cache, with a few small reused buffers instead of temporaries as large as the
parameter (whose allocation and extra trips through memory cost more than the arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._errors import ValueRuntimeError
from .._mapped import read_only_message
from ..autograd import enable_grad, no_grad
from ..nn.parameter import frozen_rows_dropped
from ..sparse import RowSparseTensor
from ..tensor import Tensor

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
) -> None:
    """Raise ``ValueError("Invalid <name>: <value> ...")`` (torch's wording) unless ``value``
    is a real number in the range (``low`` <= value, and < or <= ``high`` when given).

    Every optimizer's ``_check_group`` is a list of these calls, one per hyper-parameter.

    >>> check_hyper("learning rate", -0.1)
    Traceback (most recent call last):
    ...
    ValueError: Invalid learning rate: -0.1 (must be a number with 0.0 <= value)
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
    if not ok:
        lo = f"{low} < " if low_open else f"{low} <= "
        hi = "" if high is None else (f" < {high}" if high_open else f" <= {high}")
        raise ValueError(f"Invalid {name}: {value!r} (must be a number with {lo}value{hi})")


def _unfrozen_rows(g: np.ndarray, frozen: np.ndarray) -> RowSparseTensor:
    """The dense gradient ``g`` restricted to the unfrozen rows, as a coalesced row-sparse one."""
    rows = np.flatnonzero(~frozen)
    return RowSparseTensor(rows, np.take(g, rows, axis=0), g.shape, coalesced=True)


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of ``params`` and hyper-parameters) and
    ``state`` (per-parameter buffers such as momentum). Subclasses implement ``_dense_step``
    and ``_sparse_step``; ``step`` is shared (see the module docstring).

    Class attributes a subclass sets:
        _state_keys: the names its per-parameter state may hold (``load_state_dict`` rejects
            others); ``None`` accepts any.
    """

    _state_keys: tuple[str, ...] | None = None

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._check_group(defaults)  # the hyper-parameters first, as torch checks them
        self.defaults = defaults
        self.state: dict[Any, dict[str, Any]] = {}
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

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters overriding the defaults."""
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid hyper-parameter of ``group`` (subclasses: one
        ``check_hyper`` call each). Runs on the defaults, on every group added and on every
        group of a loaded state dict."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None by default, as torch does)."""
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none or p.grad.is_sparse:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    # --- the step -----------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        Nothing changes if a gradient is rejected: all are checked before the first update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        todo = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._check_grad(p, p.grad)
                    if not p._data.flags.writeable:  # e.g. a file mapped read-only
                        raise ValueRuntimeError(
                            read_only_message(p._data, f"{type(self).__name__}.step")
                        )
                    todo.append((p, group))
        with no_grad():
            for p, group in todo:
                self._step_param(p, p.grad, group)
        return loss

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
        """
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
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned. Everything is checked first (groups, sizes,
        state names and shapes, hyper-parameters): on any mismatch it raises and changes
        nothing. Arrays are copied, cast to their parameter's dtype."""
        name = type(self).__name__
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
            group = {**own, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_group(group)
            new_groups.append(group)
        new_state: dict[Any, dict[str, Any]] = {}
        for key, entries in state_dict["state"].items():
            if key not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter {key!r}, which none of its "
                    f"param_groups lists (they list {sorted(id_map, key=str)})"
                )
            p = id_map[key]
            new_state[p] = {k: self._loaded_value(p, key, k, v) for k, v in entries.items()}
        # Everything checked: now apply (groups keep their own params lists).
        for own, group in zip(self.param_groups, new_groups):
            own.update(group)
        self.state = new_state

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
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)


def _copied(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor._wrap(value._data.copy())
    if isinstance(value, np.ndarray):
        return value.copy()
    return value
