"""RowWiseAdagrad: Adagrad with one accumulator per row (TorchRec's and FBGEMM's), for tables."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..sparse import RowSparseTensor
from ..tensor import Tensor
from .adagrad import Adagrad

# Elements per block of rows: (block, D) temporaries of ~256 KiB float32, whatever the table.
_BLOCK = 1 << 16


class RowWiseAdagrad(Adagrad):
    r"""Row-wise Adagrad: Adagrad whose accumulator is one number per row of a table.

    For each parameter p (rows ``p[r]``, e.g. an embedding table ``(V, D)``) with gradient g,
    at step t (from 1):

    .. code-block:: text

        g = -g                                       (if maximize)
        g = g + weight_decay * p                     (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s[r] = s[r] + mean_j(g[r, j] ** 2)           (one number per row)
        p[r] = p[r] - clr * g[r] / (sqrt(s[r]) + eps)

    This is FBGEMM's ``rowwise_adagrad`` (what TorchRec's fused embedding tables run with
    ``OptimType.EXACT_ROWWISE_ADAGRAD``; its L2 ``weight_decay_mode``: ``p = (1 - m * wd) * p -
    m * g`` with ``m = lr / (sqrt(s) + eps)``, the same update written out), with TorchRec's
    ``RowWiseAdagrad`` names, defaults and ``lr_decay``. (TorchRec's pure-Python
    ``RowWiseAdagrad`` steps each row by its *mean gradient*; FBGEMM's kernel, followed here,
    steps each weight by its own gradient, scaled per row.)

    State: ``state["sum"]`` of shape ``(rows, 1)`` for a 2-D parameter (TorchRec's layout;
    ``(rows, 1, ..., 1)`` in general, one number per element of a 1-D parameter), starting at
    ``initial_accumulator_value``, and ``state["step"]`` (a 0-d float32 tensor). That is
    ``4 * V`` bytes for a float32 ``(V, D)`` table, against ``4 * V * D`` for ``Adagrad``.

    Row-sparse gradients (``Embedding(sparse=True)``): duplicate ids are summed, then only the
    rows present update their accumulator and their values, by the formula above; weight decay
    is **lazy** (only the rows present decay). For absent rows a dense zero gradient changes
    nothing either (without weight decay), so sparse and dense steps agree. Rows are processed
    in blocks: no temporary larger than a few hundred KiB, whatever the table's size, so a
    memory-mapped table is trained in place.

    Args:
        params: parameters or parameter groups (dicts) to optimize.
        lr: learning rate (>= 0).
        lr_decay: learning-rate decay per step (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        initial_accumulator_value: starting value of ``s`` (>= 0).
        eps: added to the denominator (>= 0).
        maximize: maximize the objective instead of minimizing it.
        state_dir: keep each parameter's accumulator in a memory-mapped file in this directory
            (``rowwise_adagrad_sum_<i>.bin``, raw float values, ``i`` the parameter's position
            among the optimizer's parameters), written back in place (``from_file(...,
            shared=True)``). A file that already exists with the right size is **resumed**
            (its values are kept); otherwise it is created with ``initial_accumulator_value``.
            Default: the state lives in memory.
        foreach: as ``Adagrad``'s (recorded; changes nothing numerically).
        differentiable: as ``Adagrad``'s (``True`` raises NotImplementedError).
        fused: as ``Adagrad``'s (recorded; changes nothing numerically).

    Shape: the gradient of each parameter has the parameter's shape (dense) or is row-sparse
    over its first dimension.

    >>> import firstlayer as torch
    >>> w = torch.nn.Parameter(torch.tensor([[1., 1.], [2., 2.]]))
    >>> opt = RowWiseAdagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([[0.9000, 0.9000],
            [1.9000, 1.9000]], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        state_dir: str | os.PathLike | None = None,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        # before Adagrad's constructor, which creates each parameter's state through _state
        self._state_dir = None if state_dir is None else os.fspath(state_dir)
        super().__init__(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps,
                         foreach, maximize=maximize, differentiable=differentiable, fused=fused)

    # --- state -------------------------------------------------------------------------------
    @staticmethod
    def _sum_shape(p: Tensor) -> tuple[int, ...]:
        shape = p._data.shape
        return shape[:1] + (1,) * (len(shape) - 1)

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state.setdefault(p, {})
        if state.get("step") is None:
            state["step"] = Tensor._wrap(np.array(0.0, dtype=np.float32))
        if state.get("sum") is None:
            fill = group["initial_accumulator_value"]
            if self._state_dir is not None:
                state["sum"] = self._mapped_sum(p, fill)
            elif fill == 0:  # calloc: pages of untouched rows cost no memory
                state["sum"] = Tensor._wrap(np.zeros(self._sum_shape(p), p._data.dtype))
            else:
                state["sum"] = Tensor._wrap(np.full(self._sum_shape(p), fill, p._data.dtype))
        return state

    def _mapped_sum(self, p: Tensor, fill: float) -> Tensor:
        from .._dtype import from_numpy_dtype
        from .._mapped import from_file

        assert self._state_dir is not None
        os.makedirs(self._state_dir, exist_ok=True)
        index = sum(1 for s in self.state.values() if s.get("sum") is not None)
        path = os.path.join(self._state_dir, f"rowwise_adagrad_sum_{index}.bin")
        shape = self._sum_shape(p)
        n = int(np.prod(shape))
        dtype = p._data.dtype
        nbytes = n * dtype.itemsize
        resumed = os.path.exists(path)
        if resumed and os.path.getsize(path) != nbytes:
            raise ValueError(
                f"RowWiseAdagrad: the state file {path!r} is {os.path.getsize(path)} bytes, but "
                f"a parameter of shape {tuple(p.shape)} ({dtype}) needs {nbytes}: it belongs to "
                "another model; remove it or choose another state_dir"
            )
        t = from_file(path, shared=True, size=n, dtype=from_numpy_dtype(dtype))
        arr = t._data.reshape(shape)
        if not resumed and fill != 0:  # a new file reads as zeros
            flat = arr.reshape(-1)
            for i in range(0, n, _BLOCK):
                flat[i : i + _BLOCK] = fill
        return Tensor._wrap(arr)

    # --- the step ------------------------------------------------------------------------------
    def _dense_step(self, p: Tensor, g: np.ndarray, group: dict[str, Any]) -> None:
        state = self._state(p, group)
        step = self._advance_step(state)
        update = _rowwise_update(group, step)
        W, s = p._data, state["sum"]._data
        if W.ndim == 0:
            update(W.reshape(1), g.reshape(1), s.reshape(1))
            return
        rows = _rows_per_block(W)
        for i in range(0, W.shape[0], rows):  # views: updated in place
            update(W[i : i + rows], g[i : i + rows], s[i : i + rows])

    def _sparse_step(self, p: Tensor, grad: RowSparseTensor, group: dict[str, Any]) -> None:
        state = self._state(p, group)
        step = self._advance_step(state)
        c = grad.coalesce()
        ids, values = c.rows, c._values_arr
        if ids.shape[0] == 0:
            return
        update = _rowwise_update(group, step)
        W, s = p._data, state["sum"]._data
        rows = _rows_per_block(W)
        for i in range(0, ids.shape[0], rows):
            r = ids[i : i + rows]
            w_rows, s_rows = W[r], s[r]  # copies of the block's rows (fancy indexing)
            update(w_rows, values[i : i + rows], s_rows)
            W[r] = w_rows
            s[r] = s_rows

    # --- save and restore ----------------------------------------------------------------------
    def _loaded_value(self, p: Tensor, index: Any, key: str, value: Any) -> Any:
        if key != "sum" or value is None:
            return super()._loaded_value(p, index, key, value)
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        shape = self._sum_shape(p)
        if arr.shape != shape:
            raise ValueError(
                f"loaded state dict has 'sum' of shape {arr.shape} in the state of parameter "
                f"{index!r}, whose parameter has shape {p._data.shape}: RowWiseAdagrad keeps "
                f"one accumulator per row, shape {shape} (was it saved from Adagrad?)"
            )
        return Tensor._wrap(np.array(arr, dtype=p._data.dtype, order="C", copy=True))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (checked first; nothing changes on a mismatch).
        Accumulators kept in ``state_dir`` files stay there: the loaded values are written
        into the files."""
        mapped = {
            p: s["sum"] for p, s in self.state.items()
            if self._state_dir is not None and s.get("sum") is not None
        }
        super().load_state_dict(state_dict)
        for p, old in mapped.items():
            new = self.state.get(p, {}).get("sum")
            if new is not None and new._data.shape == old._data.shape:
                old._data[...] = new._data
                self.state[p]["sum"] = old


def _rows_per_block(W: np.ndarray) -> int:
    row = int(np.prod(W.shape[1:])) if W.ndim > 1 else 1
    return max(1, _BLOCK // max(1, row))


def _rowwise_update(group: dict[str, Any], step: float) -> Any:
    """The update of a block of rows, in place: ``fn(p, g, s)`` with ``p``, ``g`` ``(n, *row)``
    and ``s`` ``(n, 1, ...)``; ``g`` is only read."""
    wd, eps, maximize = group["weight_decay"], group["eps"], group["maximize"]
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])

    def update(p: np.ndarray, g: np.ndarray, s: np.ndarray) -> None:
        if g.size == 0:  # rows of no columns: nothing to average, nothing to move
            return
        if maximize:
            g = np.negative(g)
        if wd:
            g = g + wd * p
        axes = tuple(range(1, g.ndim))
        # the mean of the squared gradient over each row: (n, 1, ...), as s
        s += np.mean(np.square(g), axis=axes, keepdims=True) if axes else np.square(g)
        a = np.sqrt(s)
        a += eps
        a = np.divide(g, a)
        a *= -clr
        p += a

    return update
