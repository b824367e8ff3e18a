"""``inplace=True`` for the activations and dropout: the input tensor itself becomes the result.

Without autograd recording the result is written into the input's array (views of it see the
change, as in torch). With recording, the input takes the result's array and history: its
earlier values and history move to a stand-in tensor that the op reads, so the op's backward
reaches the input's old graph. The old array is left as it was, so an earlier op that kept it
for its backward (tanh keeps its output) still computes the right gradient, where torch would
refuse at ``backward()`` ("modified by an inplace operation"); other views of that array don't
see the new values.
"""

from __future__ import annotations

from collections.abc import Callable

from ...autograd import is_grad_enabled
from ...tensor import Tensor


def apply_inplace(input: Tensor, op: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    """Run ``op`` (an out-of-place op) and make ``input`` hold its result; returns ``input``."""
    if not (is_grad_enabled() and input.requires_grad):
        out = op(input)
        input._data[...] = out._data
        return input
    if input.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "Use the out-of-place form (inplace=False), or write through `.data`."
        )
    before = Tensor._wrap(input._data, True, input.grad_fn)  # the input as it was
    out = op(before)
    input._data = out._data
    input.grad_fn = out.grad_fn
    return input
