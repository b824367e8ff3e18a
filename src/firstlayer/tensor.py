"""``Tensor``: a NumPy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

The class holds state and the small methods that read it; each differentiable method is one
line that calls the op in ``firstlayer/ops`` (or ``nn/functional``), where the forward and its
backward sit together.
"""

from __future__ import annotations

import builtins
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _device, _dtype
from ._device import check_cpu
from ._dtype import dtype
from .autograd import Node, is_grad_enabled, run_backward

if TYPE_CHECKING:
    from .utils.hooks import RemovableHandle


class Size(tuple):
    """A shape, printed as PyTorch prints it: ``torch.Size([2, 3])``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"


def _check_inplace(t: Tensor, what: str) -> None:
    """torch refuses in-place writes that autograd could not track."""
    if not is_grad_enabled() or not t.requires_grad:
        return
    if t.grad_fn is None:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({what}). Wrap it in `with firstlayer.no_grad():` or write through `.data`, "
            f"e.g. `weight.data.{what}(...)`."
        )
    raise RuntimeError(
        f"in-place {what} on a tensor that is part of a recorded graph is not supported; "
        f"use the out-of-place form or detach() first"
    )


class Tensor:
    """An n-dimensional array with optional gradient tracking (PyTorch's ``torch.Tensor``).

    Make one with ``firstlayer.tensor(data)``, ``zeros``, ``randn`` and friends.

    >>> x = tensor([[1., 0.], [0., 1.]], requires_grad=True)
    >>> (x * 2).sum().backward()
    >>> x.grad
    tensor([[2., 2.],
            [2., 2.]])
    """

    __array_priority__ = 1000  # so ndarray * Tensor defers to Tensor.__rmul__

    _data: np.ndarray
    _requires_grad: builtins.bool
    grad: Any
    grad_fn: Node | None
    _retains_grad: builtins.bool
    # register_hook / register_post_accumulate_grad_hook: None until a hook is registered (as
    # in torch), so tensors without hooks cost nothing and the backward pass skips them.
    _backward_hooks: OrderedDict[builtins.int, Callable] | None = None
    _post_accumulate_grad_hooks: OrderedDict[builtins.int, Callable] | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        """torch's legacy constructor: ``Tensor(data)`` copies ``data`` as float32,
        ``Tensor(2, 3)`` is uninitialised memory of that shape, ``Tensor()`` is empty.
        Prefer ``firstlayer.tensor(data)``, which infers the dtype."""
        return _legacy_new(_dtype.default_float, args, kwargs, "Tensor")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # __new__ built it

    @classmethod
    def _wrap(
        cls, data: np.ndarray, requires_grad: builtins.bool = False, grad_fn: Node | None = None
    ) -> Tensor:
        """Wrap an ndarray (no copy, no checks): the constructor every op uses."""
        t = object.__new__(cls)
        t._data = data
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._retains_grad = False
        return t

    @staticmethod
    def _make(
        data: np.ndarray, inputs: tuple, backward: Callable[[Any], tuple], name: str
    ) -> Tensor:
        """The result of a differentiable op; records ``backward`` when any input needs grad."""
        # NumPy returns a scalar (np.float32), not a 0-d array, for arithmetic on 0-d arrays;
        # a scalar can't be written in place (fill_, t[...] = v), so make it an array again.
        data = np.asarray(data)
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in inputs):
            return Tensor._wrap(data, True, Node(name, inputs, backward))
        return Tensor._wrap(data)

    # ---- properties -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: builtins.int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim_index(dim)]

    def dim(self) -> builtins.int:
        return self._data.ndim

    ndim = property(dim)

    def numel(self) -> builtins.int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dtype:
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device.device:
        return _device.CPU

    @property
    def is_sparse(self) -> builtins.bool:
        return False

    def is_floating_point(self) -> builtins.bool:
        return self.dtype.is_floating_point

    def is_contiguous(self) -> builtins.bool:
        return bool(self._data.flags.c_contiguous)

    def _dim_index(self, dim: builtins.int) -> builtins.int:
        n = max(self._data.ndim, 1)
        if not -n <= dim < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim})"
            )
        return dim % n

    # ---- autograd state ---------------------------------------------------------------------
    @property
    def requires_grad(self) -> builtins.bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: builtins.bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> builtins.bool:
        return self.grad_fn is None

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after ``backward`` (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True

    @property
    def retains_grad(self) -> builtins.bool:
        """Whether ``retain_grad()`` was called on this non-leaf (always False on a leaf)."""
        return self._retains_grad and self.grad_fn is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` each time the gradient w.r.t. this tensor is computed.

        The hook may return a new gradient (same shape and dtype) to use instead; hooks run in
        registration order, each on the previous one's result, before the gradient is
        accumulated into a leaf's ``.grad`` (or a retained non-leaf's). An
        ``Embedding(sparse=True)`` weight's hook gets the row-sparse gradient ``.grad`` holds.

        >>> x = tensor([1., 2.], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> x.sum().backward(); x.grad
        tensor([2., 2.])
        >>> h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._backward_hooks is None:
            self._backward_hooks = OrderedDict()
        from .utils.hooks import RemovableHandle

        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(tensor)`` on this leaf after its ``.grad`` has been accumulated (e.g. to
        step an optimizer per parameter during ``backward``). The hook must return None.

        >>> w = tensor([1., 2.], requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda p: print(p.grad))
        >>> (w * 3).sum().backward()
        tensor([3., 3.])
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = OrderedDict()
        from .utils.hooks import RemovableHandle

        handle = RemovableHandle(self._post_accumulate_grad_hooks)
        self._post_accumulate_grad_hooks[handle.id] = hook
        return handle

    def backward(
        self,
        gradient: Any = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
    ) -> None:
        """Compute the gradient of this tensor w.r.t. the graph leaves; add it to their ``.grad``.

        ``gradient`` is d(something)/d(self), needed unless self has one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if create_graph:
            raise RuntimeError(
                "create_graph=True is not supported: firstlayer computes first-order gradients"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has "
                    f"shape {tuple(self.shape)}: pass gradient= of that shape"
                )
            g = np.ones_like(self._data)
        else:
            g = _as_array(gradient).astype(self._data.dtype, copy=False)
            if g.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {Size(g.shape)} and "
                    f"output[0] has a shape of {self.shape}."
                )
        run_backward(self, g)

    def _accumulate_grad(self, g: Any, owned: bool = False) -> None:
        """Add ``g`` (ndarray or RowSparseTensor) into ``.grad``; torch's AccumulateGrad.

        ``owned``: no one else holds ``g``, so a first dense gradient may be kept without a copy
        (it still is copied when it is a view, read-only, or of another dtype or shape).
        """
        from .sparse import RowSparseTensor

        if isinstance(g, RowSparseTensor):
            g = g.astype(self._data.dtype)
            if self.grad is None:
                self.grad = g
            elif isinstance(self.grad, RowSparseTensor):
                self.grad = self.grad.concat(g)
            else:
                g.add_to_dense(self.grad._data)
            return
        g = np.asarray(g, dtype=self._data.dtype)
        if g.shape != self._data.shape:  # a broadcast scalar from a reduction
            g = np.broadcast_to(g, self._data.shape)
        if self.grad is None:
            if not (owned and type(g) is np.ndarray and g.base is None and g.flags.writeable):
                g = np.array(g, copy=True)
            self.grad = Tensor._wrap(g)
        elif isinstance(self.grad, RowSparseTensor):
            self.grad = Tensor._wrap(self.grad.add_to_dense(np.array(g, copy=True)))
        else:
            self.grad._data += g

    def detach(self) -> Tensor:
        """The same data (shared, no copy) without history."""
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A view of the same array without history: writing to it bypasses autograd."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    # ---- conversion -------------------------------------------------------------------------
    def numpy(self, force: builtins.bool = False) -> np.ndarray:
        """The underlying array (shared memory, like torch)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous"
            )
        return builtins.bool(self._data.reshape(()).item())

    def __len__(self) -> builtins.int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> builtins.int:
        return id(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, each optionally
        followed by ``non_blocking, copy``: a cast, recorded as ToCopyBackward0. A device other
        than the CPU (``"cuda"``, ``device("cuda")``) raises ``DeviceUnavailableError``."""
        from ._device import check_cpu, is_device_like

        target = kwargs.pop("dtype", None)
        where = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        rest = list(args)
        if rest and is_device_like(rest[0]):
            where = rest.pop(0)
        if rest and not isinstance(rest[0], builtins.bool):
            first = rest.pop(0)
            target = first.dtype if isinstance(first, Tensor) else first
        if len(rest) > 2 or not all(isinstance(a, builtins.bool) for a in rest):
            raise TypeError(
                f"to() takes (device, dtype, non_blocking, copy), (dtype, ...) or (tensor, ...); "
                f"got {tuple(type(a).__name__ for a in args)}"
            )
        copy = rest[1] if len(rest) == 2 else copy
        if where is not None:
            check_cpu(where)
        if target is None:
            return self.clone() if copy else self
        from .ops.shape import cast

        return cast(self, _dtype.to_dtype(target), copy)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"torch.{self.dtype.scalar_name}Tensor"
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool_)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    # ---- printing ---------------------------------------------------------------------------
    def _repr_extras(self) -> list[str]:
        if self.grad_fn is not None:
            return [f"grad_fn=<{self.grad_fn.name()}>"]
        if self.requires_grad:
            return ["requires_grad=True"]
        return []

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self._data, self._repr_extras())

    def __str__(self) -> str:
        return self.__repr__()

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return self.__repr__().__format__(spec)

    # ---- in-place ---------------------------------------------------------------------------
    def _write(self, what: str, value: Any) -> Tensor:
        """Assign ``value`` (array or scalar) to all elements in place, after torch's checks."""
        _check_inplace(self, what)
        self._data[...] = value
        return self

    def zero_(self) -> Tensor:
        return self._write("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        return self._write("fill_", _as_array(value))

    def copy_(self, src: Any) -> Tensor:
        arr = _as_array(src)
        try:
            np.broadcast_to(arr, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {tuple(arr.shape)} can't be broadcast to the "
                f"destination's shape {tuple(self._data.shape)}"
            ) from None
        return self._write("copy_", arr)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        _check_inplace(self, "add_")
        arr = _as_array(other)
        self._data += arr if alpha == 1 else alpha * arr
        return self

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Tensor:
        _check_inplace(self, "mul_")
        self._data *= _as_array(other)
        return self

    def div_(self, other: Any) -> Tensor:
        _check_inplace(self, "div_")
        self._data /= _as_array(other)
        return self

    def uniform_(
        self, a: builtins.float = 0.0, b: builtins.float = 1.0, generator: Any = None
    ) -> Tensor:
        """Fill with U(a, b) samples in place (``nn.init.uniform_`` after torch's checks)."""
        from .nn import init

        _check_inplace(self, "uniform_")
        return init.uniform_(self, a, b, generator=generator)

    def normal_(
        self, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator: Any = None
    ) -> Tensor:
        """Fill with N(mean, std²) samples in place (``nn.init.normal_`` after torch's checks)."""
        from .nn import init

        _check_inplace(self, "normal_")
        return init.normal_(self, mean, std, generator=generator)

    def __setitem__(self, key: Any, value: Any) -> None:
        _check_inplace(self, "__setitem__")
        self._data[_index_key(key)] = _as_array(value)

    # ---- differentiable ops (forward + backward live in firstlayer/ops) ----------------------
    def __getitem__(self, key: Any) -> Tensor:
        return _ops().shape.getitem(self, key)

    def __add__(self, other: Any) -> Tensor:
        return _ops().arithmetic.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops().arithmetic.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops().arithmetic.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops().arithmetic.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops().arithmetic.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops().arithmetic.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops().arithmetic.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops().arithmetic.div(other, self)

    def __neg__(self) -> Tensor:
        return _ops().arithmetic.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, other: Any) -> Tensor:
        return _ops().arithmetic.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops().arithmetic.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops().arithmetic.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops().arithmetic.matmul(other, self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def neg(self) -> Tensor:
        return -self

    # comparisons: no gradient, bool results
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops().arithmetic.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops().arithmetic.compare(np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops().arithmetic.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops().arithmetic.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops().arithmetic.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops().arithmetic.compare(np.greater_equal, self, other)

    def eq(self, other: Any) -> Tensor:
        return self == other

    def equal(self, other: Tensor) -> builtins.bool:
        return self.shape == other.shape and builtins.bool(np.array_equal(self._data, other._data))

    def allclose(
        self, other: Tensor, rtol: builtins.float = 1e-5, atol: builtins.float = 1e-8
    ) -> builtins.bool:
        return builtins.bool(np.allclose(self._data, _as_array(other), rtol=rtol, atol=atol))

    # ---- reductions, scans, sorting (ops/reduction, moments, extrema, scan, sorting) --------
    def sum(self, dim: Any = None, keepdim: builtins.bool = False, dtype: Any = None) -> Tensor:
        return _ops().reduction.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, dtype: Any = None) -> Tensor:
        return _ops().reduction.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
             dtype: Any = None) -> Tensor:
        return _ops().reduction.prod(self, dim, keepdim, dtype=dtype)

    def logsumexp(self, dim: Any, keepdim: builtins.bool = False) -> Tensor:
        return _ops().reduction.logsumexp(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return _ops().reduction.any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return _ops().reduction.all(self, dim, keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False,
             dtype: Any = None) -> Tensor:
        return _ops().reduction.norm(self, p, dim, keepdim, dtype=dtype)

    def var(self, dim: Any = None, unbiased: builtins.bool | None = None,
            keepdim: builtins.bool = False, *, correction: Any = None) -> Tensor:
        return _ops().moments.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim: Any = None, unbiased: builtins.bool | None = None,
            keepdim: builtins.bool = False, *, correction: Any = None) -> Tensor:
        return _ops().moments.std(self, dim, unbiased, keepdim, correction=correction)

    def argmax(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> Tensor:
        return _ops().extrema.argmax(self, dim, keepdim)

    def argmin(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> Tensor:
        return _ops().extrema.argmin(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, other: Any = None) -> Any:
        """``t.max()``, ``t.max(dim, keepdim)`` -> ``(values, indices)``, or ``t.max(other)``."""
        return _ops().extrema.max(self, dim, keepdim, other=other)

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, other: Any = None) -> Any:
        """``t.min()``, ``t.min(dim, keepdim)`` -> ``(values, indices)``, or ``t.min(other)``."""
        return _ops().extrema.min(self, dim, keepdim, other=other)

    def amax(self, dim: Any = (), keepdim: builtins.bool = False) -> Tensor:
        return _ops().extrema.amax(self, dim, keepdim)

    def amin(self, dim: Any = (), keepdim: builtins.bool = False) -> Tensor:
        return _ops().extrema.amin(self, dim, keepdim)

    def maximum(self, other: Tensor) -> Tensor:
        return _ops().extrema.maximum(self, other)

    def minimum(self, other: Tensor) -> Tensor:
        return _ops().extrema.minimum(self, other)

    def cumsum(self, dim: builtins.int, *, dtype: Any = None) -> Tensor:
        return _ops().scan.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: builtins.int, *, dtype: Any = None) -> Tensor:
        return _ops().scan.cumprod(self, dim, dtype=dtype)

    def sort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
             stable: builtins.bool | None = None) -> Any:
        return _ops().sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
                stable: builtins.bool = False) -> Tensor:
        return _ops().sorting.argsort(self, dim, descending, stable=stable)

    def topk(self, k: builtins.int, dim: builtins.int = -1, largest: builtins.bool = True,
             sorted: builtins.bool = True) -> Any:
        return _ops().sorting.topk(self, k, dim, largest, sorted)

    def reshape(self, *shape: Any) -> Tensor:
        return _ops().shape.reshape(self, _shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, tuple, list, Size)):
            return self._view_dtype(_dtype.to_dtype(shape[0]))
        return _ops().shape.reshape(self, _shape_args(shape), view=True)

    def _view_dtype(self, target: _dtype.dtype) -> Tensor:
        """torch's ``view(dtype)``: the same bytes read as ``target`` (shared memory, no
        gradient). With another element size the last dimension scales by the size ratio, so
        it must be contiguous (and divisible when the new type is wider), as in torch.

        >>> tensor([1.0]).view(int32)
        tensor([1065353216], dtype=torch.int32)
        """
        a = self._data
        old, new = a.dtype.itemsize, target.itemsize
        if old != new:
            what = (
                f"to view {self.dtype.scalar_name} as {target.scalar_name} "
                "(different element sizes)"
            )
            if a.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 {what}")
            if a.shape[-1] != 1 and a.size and a.strides[-1] != old:  # (empty: any strides)
                raise RuntimeError(
                    f"self.stride(-1) must be 1 {what}, but got {a.strides[-1] // old}"
                )
            if new > old and a.shape[-1] % (new // old):
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {new // old} {what}, but got "
                    f"{a.shape[-1]}"
                )
        return Tensor._wrap(a.view(target.np))

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        if self.dim() == 0:
            return self.reshape(1)
        s, e = self._dim_index(start_dim), self._dim_index(end_dim)
        if s == e:
            return self  # as torch: nothing to merge, the tensor itself
        shape = self.shape
        merged = builtins.int(np.prod(shape[s : e + 1]))  # not -1: ambiguous with a size 0
        return self.reshape(*shape[:s], merged, *shape[e + 1 :])

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return _ops().shape.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        if self.dim() > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.dim()}D"
            )
        # 0-d and 1-d too: torch records TBackward0 even where nothing moves
        return _ops().shape.transpose(self, 0, -1, name="TBackward0")

    @property
    def T(self) -> Tensor:  # noqa: N802
        return _ops().shape.permute(self, tuple(range(self.dim() - 1, -1, -1)))

    def permute(self, *dims: Any) -> Tensor:
        return _ops().shape.permute(self, _shape_args(dims))

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        return _ops().shape.unsqueeze(self, dim)

    def squeeze(self, dim: builtins.int | tuple[builtins.int, ...] | None = None) -> Tensor:
        return _ops().shape.squeeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        return _ops().shape.expand(self, _shape_args(sizes))

    def clone(self) -> Tensor:
        return _ops().shape.clone(self)

    def exp(self) -> Tensor:
        return _ops().pointwise.exp(self)

    def log(self) -> Tensor:
        return _ops().pointwise.log(self)

    def sqrt(self) -> Tensor:
        return _ops().pointwise.sqrt(self)

    def abs(self) -> Tensor:
        return _ops().pointwise.abs(self)

    def relu(self) -> Tensor:
        return _ops().pointwise.relu(self)

    def tanh(self) -> Tensor:
        return _ops().pointwise.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops().pointwise.sigmoid(self)

    def softmax(self, dim: builtins.int) -> Tensor:
        from .nn.functional import softmax

        return softmax(self, dim)

    def log_softmax(self, dim: builtins.int) -> Tensor:
        from .nn.functional import log_softmax

        return log_softmax(self, dim)

    # ---- joining, selecting, masking (ops/join.py, ops/indexing.py) ----------------------------
    def split(self, split_size: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return _ops().join.split(self, split_size, dim)

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return _ops().join.chunk(self, chunks, dim)

    def unbind(self, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return _ops().join.unbind(self, dim)

    def where(self, condition: Tensor, other: Any) -> Tensor:
        return _ops().indexing.where(condition, self, other)

    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        return _ops().indexing.nonzero(self, as_tuple=as_tuple)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return _ops().indexing.masked_fill(self, mask, value)

    def gather(self, dim: builtins.int, index: Tensor) -> Tensor:
        return _ops().indexing.gather(self, dim, index)

    def index_select(self, dim: builtins.int, index: Tensor) -> Tensor:
        return _ops().indexing.index_select(self, dim, index)

    def scatter_add(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        return _ops().indexing.scatter_add(self, dim, index, src)

    def scatter(self, dim: builtins.int, index: Tensor, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        return _ops().indexing.scatter(self, dim, index, src, value=value, reduce=reduce)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return _ops().pointwise.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        return _ops().pointwise.clamp(self, min, None)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        return _ops().pointwise.clamp(self, None, max)

    def repeat(self, *sizes: Any) -> Tensor:
        return _ops().shape.repeat(self, _shape_args(sizes))

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # comparisons and logic beyond the operators: no gradient, bool results
    def ne(self, other: Any) -> Tensor:
        return self != other

    def lt(self, other: Any) -> Tensor:
        return self < other

    def le(self, other: Any) -> Tensor:
        return self <= other

    def gt(self, other: Any) -> Tensor:
        return self > other

    def ge(self, other: Any) -> Tensor:
        return self >= other

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def logical_not(self) -> Tensor:
        return Tensor._wrap(np.logical_not(self._data))

    def logical_and(self, other: Any) -> Tensor:
        return Tensor._wrap(np.logical_and(self._data, _as_array(other)))

    def logical_or(self, other: Any) -> Tensor:
        return Tensor._wrap(np.logical_or(self._data, _as_array(other)))

    def __invert__(self) -> Tensor:
        if self._data.dtype.kind == "f":
            raise TypeError(f"~ (bitwise_not) is only for bool and integer tensors, got "
                            f"{self.dtype}; for a mask write `~(x > 0)` or `x == 0`")
        return Tensor._wrap(np.invert(self._data))

    def __and__(self, other: Any) -> Tensor:
        return _ops().arithmetic.bitwise(np.bitwise_and, self, other)

    def __or__(self, other: Any) -> Tensor:
        return _ops().arithmetic.bitwise(np.bitwise_or, self, other)

    def __xor__(self, other: Any) -> Tensor:
        return _ops().arithmetic.bitwise(np.bitwise_xor, self, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # ---- more elementwise maths, reordering, triangles (ops/pointwise.py, ops/shape.py) -------
    def log1p(self) -> Tensor:
        return _ops().pointwise.log1p(self)

    def reciprocal(self) -> Tensor:
        return _ops().pointwise.reciprocal(self)

    def rsqrt(self) -> Tensor:
        return _ops().pointwise.rsqrt(self)

    def sin(self) -> Tensor:
        return _ops().pointwise.sin(self)

    def cos(self) -> Tensor:
        return _ops().pointwise.cos(self)

    def sign(self) -> Tensor:
        return _ops().pointwise.sign(self)

    def floor(self) -> Tensor:
        return _ops().pointwise.floor(self)

    def ceil(self) -> Tensor:
        return _ops().pointwise.ceil(self)

    def round(self, decimals: builtins.int = 0) -> Tensor:
        return _ops().pointwise.round(self, decimals=decimals)

    def square(self) -> Tensor:
        return self**2

    def isnan(self) -> Tensor:
        return _ops().pointwise.isnan(self)

    def isinf(self) -> Tensor:
        return _ops().pointwise.isinf(self)

    def isfinite(self) -> Tensor:
        return _ops().pointwise.isfinite(self)

    def flip(self, *dims: Any) -> Tensor:
        return _ops().shape.flip(self, _shape_args(dims))

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _ops().shape.roll(self, shifts, dims)

    def tril(self, diagonal: builtins.int = 0) -> Tensor:
        return _ops().shape.triangle(self, diagonal, upper=False)

    def triu(self, diagonal: builtins.int = 0) -> Tensor:
        return _ops().shape.triangle(self, diagonal, upper=True)

    def repeat_interleave(self, repeats: Any, dim: builtins.int | None = None) -> Tensor:
        return _ops().shape.repeat_interleave(self, repeats, dim)

    def masked_select(self, mask: Tensor) -> Tensor:
        return _ops().indexing.masked_select(self, mask)

    def unique(self, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
               return_counts: builtins.bool = False, dim: builtins.int | None = None) -> Any:
        return _ops().indexing.unique(self, sorted, return_inverse, return_counts, dim)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(*other.shape)

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(*other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(*other.shape)

    def mm(self, mat2: Tensor) -> Tensor:
        from ._functions import mm

        return mm(self, mat2)

    def bmm(self, mat2: Tensor) -> Tensor:
        from ._functions import bmm

        return bmm(self, mat2)

    def dot(self, other: Tensor) -> Tensor:
        from ._functions import dot

        return dot(self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        from ._functions import outer

        return outer(self, vec2)

    # ---- new tensors like this one (same dtype unless told) ------------------------------------
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: builtins.bool = False) -> Tensor:
        return tensor(data, dtype=self.dtype if dtype is None else dtype,
                      requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Tensor:
        from .creation import full

        return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad)

    # ---- in-place forms of differentiable ops ------------------------------------------------
    def _inplace(self, what: str, op: Callable[[Tensor], Tensor]) -> Tensor:
        """Run ``op`` (an out-of-place op) and make ``self`` hold its result, as torch's
        in-place ops (``relu_``, ``F.dropout(inplace=True)``, ...) do; returns ``self``.

        Outside a recorded graph the values are written into the same buffer (views see them).
        Inside one (``self`` is an intermediate result that requires grad), ``self`` becomes the
        op's output node and its old values and history move to a stand-in that the op reads
        (torch's "rebase"). The old array is left as it was, so an earlier op that kept it for
        its backward (tanh keeps its output) still gets the right gradient, where torch would
        refuse at ``backward()`` ("modified by an inplace operation"); views taken earlier keep
        the old values. A leaf that requires grad is refused, as in torch.
        """
        if is_grad_enabled() and self.requires_grad:
            if self.grad_fn is None:
                _check_inplace(self, what)  # raises torch's leaf error
            old = Tensor._wrap(self._data, True, self.grad_fn)
            out = op(old)
            self._data, self.grad_fn = out._data, out.grad_fn
            return self
        out = op(self)
        if out._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"result type {out.dtype.scalar_name} can't be cast to the desired output type "
                f"{self.dtype.scalar_name} in {what}: use the out-of-place form"
            )
        if out.requires_grad:  # e.g. a scattered source that requires grad into a plain tensor
            raise RuntimeError(
                f"{what}: the result needs a gradient but this tensor does not record one; use "
                "the out-of-place form"
            )
        self._data[...] = out._data
        return self

    def relu_(self) -> Tensor:
        return self._inplace("relu_", lambda t: t.relu())

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", lambda t: t.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        m = mask._data if isinstance(mask, Tensor) else None
        if m is not None and m.ndim <= self._data.ndim and _fits(m.shape, self._data.shape):
            pass
        elif m is not None:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"of the mask {list(m.shape)}: in place, the mask must broadcast to the tensor"
            )
        return self._inplace("masked_fill_", lambda t: t.masked_fill(mask, value))

    def scatter_add_(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        return self._inplace("scatter_add_", lambda t: t.scatter_add(dim, index, src))

    def scatter_(self, dim: builtins.int, index: Tensor, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        return self._inplace("scatter_",
                             lambda t: t.scatter(dim, index, src, value=value, reduce=reduce))


def _legacy_new(d: dtype, args: tuple, kwargs: dict, name: str) -> Tensor:
    """``torch.Tensor(...)``, ``torch.LongTensor(...)`` and friends: data (a list, an array or
    a tensor) or sizes; the dtype is the constructor's, whatever the data holds."""
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(kwargs)}")
    if device is not None:
        check_cpu(device)
    if len(args) == 1 and not isinstance(args[0], (builtins.int, np.integer)):
        data = args[0]
        if isinstance(data, Size):
            return Tensor._wrap(np.empty(tuple(data), d.np))
        return tensor(data, dtype=d)
    for a in args:
        if isinstance(a, builtins.bool) or not isinstance(a, (builtins.int, np.integer)):
            raise TypeError(
                f"{name}(): expected data (a list or an array) or integer sizes, got {args!r}"
            )
    return Tensor._wrap(np.empty(tuple(builtins.int(a) for a in args) if args else (0,), d.np))


def FloatTensor(*args: Any, **kwargs: Any) -> Tensor:  # noqa: N802
    """torch's legacy ``FloatTensor(data or sizes)``: float32."""
    return _legacy_new(_dtype.float32, args, kwargs, "FloatTensor")


def DoubleTensor(*args: Any, **kwargs: Any) -> Tensor:  # noqa: N802
    return _legacy_new(_dtype.float64, args, kwargs, "DoubleTensor")


def LongTensor(*args: Any, **kwargs: Any) -> Tensor:  # noqa: N802
    """torch's legacy ``LongTensor(data or sizes)``: int64."""
    return _legacy_new(_dtype.int64, args, kwargs, "LongTensor")


def IntTensor(*args: Any, **kwargs: Any) -> Tensor:  # noqa: N802
    return _legacy_new(_dtype.int32, args, kwargs, "IntTensor")


def BoolTensor(*args: Any, **kwargs: Any) -> Tensor:  # noqa: N802
    return _legacy_new(_dtype.bool_, args, kwargs, "BoolTensor")


def _ops() -> Any:
    """The ops package, imported on first use (it imports this module)."""
    from . import ops

    return ops


def _fits(small: tuple, big: tuple) -> bool:
    """Whether ``small`` broadcasts to ``big`` without changing it (in-place broadcasting)."""
    return all(s in (1, b) for s, b in zip(small[::-1], big[::-1]))


def _shape_args(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(builtins.int(s) for s in shape)


def _index_key(key: Any) -> Any:
    """A key for NumPy indexing: tensors become arrays."""
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, Tensor):
        return key._data
    if isinstance(key, list):
        return np.asarray([k._data if isinstance(k, Tensor) else k for k in key])
    return key


def _as_array(x: Any) -> np.ndarray:
    """The ndarray behind a Tensor, or ``np.asarray(x)`` for anything else."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _infer_dtype(data: Any, arr: np.ndarray) -> dtype:
    """torch.tensor's dtype rules: Python floats -> float32, ints -> int64, bools -> bool;
    NumPy arrays and scalars keep their own dtype."""
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(arr.dtype)
    kind = arr.dtype.kind
    if kind == "b":
        return _dtype.bool_
    if kind in "iu":
        return _dtype.int64
    if kind == "f":
        return _dtype.default_float
    raise TypeError(
        f"can't make a tensor from {type(data).__name__} holding {arr.dtype} values; "
        "expected numbers, bools, nested lists of them, or a NumPy array"
    )


def _flatten_tensors(data: Any) -> Any:
    """Nested lists may hold 0-d/1-d tensors (``tensor([t1, t2])``): replace them by arrays."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        if data and type(data[0]) in (builtins.int, builtins.float) and all(
            type(d) in (builtins.int, builtins.float) for d in data
        ):
            return data  # a flat list of numbers (a batch of ids): nothing to replace
        return [_flatten_tensors(d) for d in data]
    return data


def tensor(
    data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, a NumPy array, a Tensor).

    >>> tensor([0, 1], dtype=int64)
    tensor([0, 1])
    """
    if device is not None:
        check_cpu(device)
    raw = _flatten_tensors(data)
    try:
        arr = np.array(raw)
    except ValueError as exc:
        raise ValueError(f"can't make a tensor from ragged or mixed data: {exc}") from None
    target = _dtype.to_dtype(dtype) if dtype is not None else _infer_dtype(data, arr)
    if arr.dtype.kind == "f" and target.category < 2 and not np.all(np.isfinite(arr)):
        raise ValueError(f"can't convert non-finite floats to {target}")
    t = Tensor._wrap(np.array(arr, dtype=target.np, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a Tensor or NumPy array when the dtype fits."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (
        dtype is None or _dtype.to_dtype(dtype).np == data.dtype
    ):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (writes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)  # a clear error for unsupported dtypes
    if array.dtype not in _dtype._BY_NP:
        return Tensor._wrap(array.astype(_dtype.from_numpy_dtype(array.dtype).np))
    return Tensor._wrap(array)
