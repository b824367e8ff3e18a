"""Exception types that are both what the error is (``ValueError``/``TypeError``/``IndexError``)
and what PyTorch raises in the same place (``RuntimeError``), so code written for either catches
them."""


class ValueRuntimeError(ValueError, RuntimeError):
    """A bad value where torch raises RuntimeError (shapes, class ids, sizes)."""


class TypeRuntimeError(TypeError, RuntimeError):
    """A bad dtype where torch raises RuntimeError (float ids, say)."""


class TypeNotImplementedError(TypeError, NotImplementedError):
    """A dtype an operation does not support, where torch raises NotImplementedError (a random
    init on an integer tensor, say)."""


class IndexRuntimeError(IndexError, RuntimeError):
    """An index out of range where torch raises RuntimeError (``gather``, ``scatter_add``)."""
