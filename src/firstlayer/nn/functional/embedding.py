"""The first layer: ``embedding`` (ids -> rows of a table) and ``one_hot`` (ids -> one-hot rows).

``embedding(ids, W)`` equals ``one_hot(ids, V).float() @ W``, the seed's "an Embedding is a
Linear on one-hot vectors", without ever building the ``(N, V)`` one-hot matrix: the forward
gathers rows, and the backward is that same product transposed, ``one_hot(ids)ᵀ @ grad``,
computed as a sparse matrix product (``_backend.scatter_add_rows``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _backend
from ..._errors import TypeRuntimeError, ValueRuntimeError
from ..._mapped import prepare_lookup, warn_dense_table_grad
from ...autograd import no_grad
from ...sparse import RowSparseTensor
from ...tensor import Tensor


def _ids_array(input: Any, what: str = "embedding") -> np.ndarray:  # noqa: A002
    """The ids as an int ndarray; float or bool ids are a TypeError (torch: RuntimeError)."""
    arr = input._data if isinstance(input, Tensor) else np.asarray(input)
    if arr.dtype.kind not in "iu":
        raise TypeRuntimeError(
            f"{what}: ids must be an integer tensor (int64 or int32), got dtype "
            f"{'torch.' + arr.dtype.name if arr.dtype.kind in 'fb' else arr.dtype}; "
            "convert with .long() (ids are row numbers, not values)"
        )
    return arr


def check_ids(ids: np.ndarray, num_rows: int, what: str = "Embedding") -> None:
    """Raise an IndexError naming the first id outside ``[0, num_rows)``, its position and the
    valid range. One min/max pass costs ~1 ms per 1M ids, so it always runs."""
    if ids.size == 0:
        return
    lo, hi = ids.min(), ids.max()
    if lo >= 0 and hi < num_rows:
        return
    flat = np.flatnonzero((ids < 0) | (ids >= num_rows))
    first = int(flat[0])
    pos = np.unravel_index(first, ids.shape) if ids.ndim else ()
    where = f"position {pos[0]}" if len(pos) == 1 else f"position {tuple(int(p) for p in pos)}"
    bad = int(ids.reshape(-1)[first])
    hint = (
        "negative ids are not allowed (torch does not wrap them around)"
        if bad < 0
        else "the usual cause is a vocabulary larger than the table: build the layer with "
        "num_embeddings >= len(vocab), or map unknown tokens to an <unk> id"
    )
    raise IndexError(
        f"index out of range in self: id {bad} at {where} of the input (shape "
        f"{tuple(ids.shape)}) is not in the valid range [0, {num_rows}) of this {what} with "
        f"{num_rows} rows ({len(flat)} bad id{'s' if len(flat) > 1 else ''} in all); {hint}"
    )


def _renorm_(
    weight: np.ndarray,
    ids: np.ndarray,
    max_norm: float,
    norm_type: float,
    frozen: np.ndarray | None = None,
) -> None:
    """torch's embedding_renorm_: rescale in place each referenced row (once) whose
    ``norm_type``-norm exceeds ``max_norm`` by ``max_norm / (norm + 1e-7)``.

    Rows marked in ``frozen`` (``Embedding.freeze_rows``' ``(V,)`` mask) are left out: a
    frozen row is promised to stay bit-identical, and this rescaling is the one write to the
    table that no gradient or optimizer goes through."""
    rows = np.unique(ids)
    if frozen is not None and frozen.shape[0] == weight.shape[0]:
        rows = rows[~frozen[rows]]
    if rows.size == 0:
        return
    sub = weight[rows]
    norms = np.linalg.norm(sub.astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)
        weight[rows[over]] = sub[over] * scale[:, None]


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` by id: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: integer ids, any shape ``(*)``, each in ``[0, V)``.
        weight: the table ``(V, D)``.
        padding_idx: an id whose row gets no gradient (its value is returned as is).
        max_norm: if set, rows referenced by ``input`` whose norm exceeds it are rescaled **in
            place** before the lookup (PyTorch's behaviour, also in eval mode). Rows frozen by
            ``freeze_rows`` are never rescaled: they are looked up as they are, whatever their
            norm, and stay bit-identical.
        norm_type: the p of the p-norm used with ``max_norm``.
        scale_grad_by_freq: divide each id's gradient by its count in this batch.
        sparse: the gradient of ``weight`` is a ``RowSparseTensor`` (only the touched rows).

    Shape: input ``(*)``, weight ``(V, D)`` -> output ``(*, D)``.

    >>> import firstlayer as torch
    >>> w = torch.tensor([[0., 0.], [1., 2.], [3., 4.]])
    >>> embedding(torch.tensor([2, 1]), w)
    tensor([[3., 4.],
            [1., 2.]])
    """
    ids = _ids_array(input)
    W = weight._data
    if W.ndim != 2:
        raise ValueRuntimeError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(W.shape)}"
        )
    num_rows = W.shape[0]
    check_ids(ids, num_rows)
    if padding_idx is not None:
        padding_idx = normalize_padding_idx(padding_idx, num_rows)
    if max_norm is not None:
        with no_grad():
            _renorm_(W, ids, max_norm, norm_type, getattr(weight, "_frozen_rows", None))
    prepare_lookup(W, ids)  # a memory-mapped table: random-access advice, parallel reads
    out = _backend.gather_rows(W, ids)

    def backward(g: np.ndarray) -> tuple:
        rows = ids.reshape(-1).astype(np.int64, copy=False)
        # (N, D) spelled out: with no ids (N = 0) a -1 could not be inferred.
        grads = g.reshape(rows.shape[0], W.shape[1])
        scale = None
        if scale_grad_by_freq:
            counts = np.bincount(rows, minlength=num_rows)
            scale = 1.0 / counts[rows]
        if padding_idx is not None:
            keep = rows != padding_idx
            if sparse:
                rows, grads = rows[keep], grads[keep]
                scale = scale[keep] if scale is not None else None
            else:
                scale = keep.astype(np.float64) if scale is None else scale * keep
        if sparse:
            vals = grads if scale is None else grads * scale[:, None].astype(grads.dtype)
            return (RowSparseTensor(rows, vals.reshape((-1,) + W.shape[1:]), W.shape), None)
        warn_dense_table_grad(W, "Embedding")
        dense = _backend.scatter_add_rows(rows, grads, num_rows, scale)
        return (dense.reshape(W.shape), None)

    return Tensor._make(out, (weight, None), backward, "EmbeddingBackward0")


def normalize_padding_idx(padding_idx: int, num_embeddings: int) -> int:
    """A negative ``padding_idx`` counts from the end; the result must be a valid row."""
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx must be within num_embeddings: got padding_idx={padding_idx} for "
            f"num_embeddings={num_embeddings}; valid: {-num_embeddings} to {num_embeddings - 1}"
        )
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot rows: ``out[..., c] = 1`` where ``c = tensor[...]``; int64, shape ``(*, C)``.

    ``num_classes=-1`` uses ``tensor.max() + 1``.

    >>> import firstlayer as torch
    >>> one_hot(torch.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        got = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
        raise TypeRuntimeError(
            f"one_hot is only applicable to index tensor of type LongTensor (int64); got {got}. "
            "Convert with .long()"
        )
    ids = tensor._data
    if num_classes == -1:
        if ids.size == 0:
            raise ValueRuntimeError(
                "Can not infer total number of classes from empty tensor. Pass num_classes."
            )
        num_classes = int(ids.max()) + 1
    if num_classes < -1:
        raise ValueRuntimeError(f"num_classes should be -1 or >= 0, got {num_classes}")
    if ids.size:
        if ids.min() < 0:
            pos = int(np.flatnonzero(ids < 0)[0])
            raise ValueRuntimeError(
                f"Class values must be non-negative: got {int(ids.reshape(-1)[pos])} at "
                f"flat position {pos}"
            )
        if ids.max() >= num_classes:
            pos = int(np.flatnonzero(ids >= num_classes)[0])
            raise ValueRuntimeError(
                f"Class values must be smaller than num_classes: got {int(ids.reshape(-1)[pos])}"
                f" at flat position {pos}, num_classes={num_classes} (valid: 0 to "
                f"{num_classes - 1})"
            )
    out = np.zeros(ids.shape + (num_classes,), dtype=np.int64)
    if ids.size:
        np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return Tensor._wrap(out)
