"""``pad_sequence``: a list of variable-length sequences as one padded batch for ``nn.RNN``,
``nn.GRU`` and ``nn.LSTM`` (torch's ``torch.nn.utils.rnn.pad_sequence``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..._errors import ValueRuntimeError
from ...tensor import Tensor

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences: Tensor | Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of different lengths, padding the short ones with ``padding_value``.

    Args:
        sequences: tensors ``(L_i, *)`` whose trailing dims agree (or one tensor, read as the
            list of its rows).
        batch_first: return ``(B, L_max, *)`` instead of ``(L_max, B, *)``.
        padding_value: what fills the padded positions.
        padding_side: ``"right"`` (pad after each sequence) or ``"left"`` (before it).

    Shape: ``B`` tensors ``(L_i, *)`` -> ``(L_max, B, *)``, or ``(B, L_max, *)`` with
    batch_first. The dtype is the first sequence's. Gradients flow back to each sequence.

    >>> import firstlayer as torch
    >>> pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], batch_first=True)
    tensor([[1, 2],
            [3, 0]])
    """
    if padding_side not in ("left", "right"):
        raise ValueRuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    seqs = list(sequences)
    if not seqs:
        raise ValueRuntimeError("received an empty list of sequences")
    trailing = tuple(seqs[0].shape[1:]) if seqs[0].dim() else None
    for i, s in enumerate(seqs):
        if s.dim() == 0 or tuple(s.shape[1:]) != trailing:
            raise ValueRuntimeError(
                f"pad_sequence: every sequence must be (length, *{list(trailing or [])}) like "
                f"the first one, but sequence {i} has shape {tuple(s.shape)}"
            )
    lengths = [s.shape[0] for s in seqs]
    longest = max(lengths)
    dtype = seqs[0]._data.dtype
    out = np.full((len(seqs), longest) + tuple(trailing or ()), padding_value, dtype=dtype)
    # where each sequence sits along the time axis
    starts = [longest - n if padding_side == "left" else 0 for n in lengths]
    for b, (s, start, n) in enumerate(zip(seqs, starts, lengths)):
        out[b, start : start + n] = s._data
    if not batch_first:
        out = np.ascontiguousarray(out.swapaxes(0, 1))

    def backward(g: np.ndarray) -> tuple:
        gb = g if batch_first else g.swapaxes(0, 1)
        return tuple(gb[b, start : start + n] for b, (start, n) in enumerate(zip(starts, lengths)))

    return Tensor._make(out, tuple(seqs), backward, "CopySlices")
