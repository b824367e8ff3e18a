"""``embedding_bag``: the sum, mean or max of each bag of rows of a table, without the rows.

A batch of B bags of ids over a table ``W`` ``(V, D)`` is a sparse ``(B, V)`` matrix ``A``, the
"bag of ids" matrix: ``A[b, v]`` is how much id ``v`` counts in bag ``b`` (1 per occurrence, or
its ``per_sample_weights`` value). Then, as for ``embedding`` (the seed's "an Embedding is a
Linear on one-hot vectors": ``A`` is the sum of a bag's one-hot rows)::

    sum:       out = A @ W                    (B, D)   never builds the (N, D) looked-up rows
    mean:      out = (A @ W) / len(bag)
    backward:  grad_W = Aᵀ @ grad_out         (V, D)   each entry scaled like the forward's

``padding_idx`` entries and ids after the last bag are simply left out of ``A``. ``max`` is not
a matrix product: it walks the bags' rows and remembers, per bag and column, which row won, so
that its backward sends each output gradient to that row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import _backend
from ..._errors import TypeRuntimeError, ValueRuntimeError
from ..._mapped import prepare_lookup, warn_dense_table_grad
from ...autograd import no_grad
from ...sparse import RowSparseTensor
from ...tensor import Tensor
from .embedding import _ids_array, _renorm_, check_ids, normalize_padding_idx

MODES = ("sum", "mean", "max")

# Bags longer than this are reduced one at a time by ``max`` (see ``_bag_max``).
_LONG_BAG = 64
# Bags ``max`` handles at once: (block, D) arrays that stay in the L2 cache.
_MAX_BLOCK = 1024


def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of the rows of ``weight`` named by each bag of ids.

    Args:
        input: integer ids (int64 or int32), each in ``[0, V)``. Either 2-D ``(B, L)``: B bags
            of L ids each (then ``offsets`` must be None); or 1-D ``(N,)``: the bags one after
            the other, cut by ``offsets``.
        weight: the table ``(V, D)``.
        offsets: with 1-D input, where each bag starts: ``offsets[0] == 0``, non-decreasing,
            each ``<= N``; bag ``b`` is ``input[offsets[b]:offsets[b + 1]]``, the last one runs
            to the end of ``input``. Equal offsets make empty bags, whose output is zeros.
        max_norm: if set, the rows the input refers to whose ``norm_type``-norm exceeds it are
            rescaled **in place** first (as ``embedding`` does). Rows frozen by
            ``freeze_rows`` are never rescaled: they enter the bags as they are and stay
            bit-identical.
        norm_type: the p of the p-norm used with ``max_norm``.
        scale_grad_by_freq: divide each id's gradient by its count in this batch (not with
            ``max``).
        mode: ``"sum"``, ``"mean"`` (the default) or ``"max"`` (per column).
        sparse: make the gradient of ``weight`` a ``RowSparseTensor`` of the rows present (not
            with ``max``).
        per_sample_weights: one weight per id, same shape as ``input``, same dtype as
            ``weight``; the bag is then a weighted sum (``mode="sum"`` only).
        include_last_offset: ``offsets`` has B+1 entries, CSR style: bag ``b`` is
            ``input[offsets[b]:offsets[b + 1]]`` and ids after ``offsets[-1]`` are in no bag.
            Ignored for 2-D input.
        padding_idx: ids equal to it are left out of every bag: they add nothing, are not
            counted by ``mean`` (a bag of padding only gives zeros) and get no gradient.

    Shape: input ``(B, L)``, or ``(N,)`` with offsets ``(B,)`` (``(B + 1,)`` with
    ``include_last_offset``); weight ``(V, D)`` -> output ``(B, D)``.

    >>> import firstlayer as torch
    >>> w = torch.tensor([[0., 0.], [1., 2.], [3., 4.]])
    >>> embedding_bag(torch.tensor([1, 2, 2]), w, torch.tensor([0, 1]), mode="sum")
    tensor([[1., 2.],
            [6., 8.]])
    """
    # Every check comes before anything changes, so a failed call leaves the weight as it was.
    ids = _ids_array(input, "embedding_bag")
    W = _weight_array(weight)
    check_mode(mode, scale_grad_by_freq, sparse)
    psw_tensor, psw = _per_sample_weights(per_sample_weights, ids, mode, W.dtype)
    indptr = _bag_bounds(ids, offsets, include_last_offset)
    num_rows = W.shape[0]
    check_ids(ids, num_rows, "EmbeddingBag")
    if padding_idx is not None:
        padding_idx = normalize_padding_idx(padding_idx, num_rows)
    if max_norm is not None:
        with no_grad():
            _renorm_(W, ids, max_norm, norm_type, getattr(weight, "_frozen_rows", None))
    bags = _Bags.build(ids.reshape(-1), indptr, padding_idx)
    if mode == "max":
        return _max_forward(bags, weight)
    return _sum_mean_forward(
        bags, weight, psw_tensor, psw, mode == "mean", scale_grad_by_freq, sparse, ids.shape
    )


# --- the bags ---------------------------------------------------------------------------------


@dataclass
class _Bags:
    """The entries that take part, in bag order, as the rows of a CSR matrix.

    ``ids`` ``(nnz,)``: the ids kept (padding and ids after the last bag left out);
    ``indptr`` ``(B + 1,)``: bag ``b`` is ``ids[indptr[b]:indptr[b + 1]]``;
    ``positions``: where each kept id sits in the flattened input (None: at ``0 .. nnz - 1``).
    """

    ids: np.ndarray
    indptr: np.ndarray
    positions: np.ndarray | None

    @staticmethod
    def build(flat_ids: np.ndarray, indptr: np.ndarray, padding_idx: int | None) -> _Bags:
        end = int(indptr[-1])  # ids from here on are in no bag (include_last_offset)
        ids = flat_ids[:end]
        if padding_idx is None:
            return _Bags(ids, indptr, None)
        keep = ids != padding_idx
        if keep.all():
            return _Bags(ids, indptr, None)
        # kept[i] = how many ids before position i are kept: the bags' bounds among the kept ids
        kept = np.zeros(end + 1, dtype=np.int64)
        np.cumsum(keep, out=kept[1:])
        return _Bags(ids[keep], kept[indptr], np.flatnonzero(keep))

    @property
    def num_bags(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def lens(self) -> np.ndarray:
        return np.diff(self.indptr)

    def bag_of_entry(self) -> np.ndarray:
        """``(nnz,)``: the bag each kept id belongs to."""
        return np.repeat(np.arange(self.num_bags), self.lens)


def _bag_bounds(ids: np.ndarray, offsets: Any, include_last_offset: bool) -> np.ndarray:
    """The bags' bounds ``(B + 1,)`` in the flattened input, after checking ``offsets``."""
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                f"of fixed length sequences. However, found offsets of type {type(offsets)}: "
                f"the {ids.shape[0]} rows of the input are the bags; to cut bags with offsets, "
                "pass 1-D input"
            )
        num_bags, length = ids.shape
        return np.arange(num_bags + 1, dtype=np.int64) * length
    if ids.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {ids.ndim} (shape "
            f"{tuple(ids.shape)}): give (B, L) for B bags of L ids, or 1-D ids with offsets"
        )
    if offsets is None:
        raise ValueError(
            "offsets has to be a 1D Tensor but got None: 1-D input is the bags one after the "
            "other, and offsets says where each starts (offsets=tensor([0, 3]): two bags, from "
            "0 and from 3); for bags of equal length pass a 2-D (B, L) input instead"
        )
    offs = offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets)
    if offs.dtype.kind not in "iu":
        raise TypeRuntimeError(
            f"embedding_bag: offsets must be an integer tensor (int64 or int32), got dtype "
            f"{'torch.' + offs.dtype.name if offs.dtype.kind in 'fb' else offs.dtype}"
        )
    if offs.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor, got shape {tuple(offs.shape)}")
    n = ids.shape[0]
    if include_last_offset and offs.shape[0] == 0:
        raise ValueRuntimeError(
            "include_last_offset: number of offset should be at least 1 (offsets holds B + 1 "
            "bounds for B bags, the last one the end of the last bag)"
        )
    if offs.shape[0] and offs[0] != 0:
        raise ValueRuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(offs[0])}"
        )
    steps = np.diff(offs.astype(np.int64))
    if steps.size and steps.min() < 0:
        i = int(np.flatnonzero(steps < 0)[0])
        raise ValueRuntimeError(
            f"offsets must be non-decreasing: offsets[{i + 1}] = {int(offs[i + 1])} is smaller "
            f"than offsets[{i}] = {int(offs[i])} (bag {i} would end before it starts)"
        )
    if offs.shape[0] and offs[-1] > n:
        i = int(np.flatnonzero(offs > n)[0])
        raise ValueRuntimeError(
            f"offsets[-1] can not be greater than input's length {n}: offsets[{i}] = "
            f"{int(offs[i])} is past the end of the input (every offset must be <= {n})"
        )
    if offs.shape[0] == 0 or (include_last_offset and offs.shape[0] == 1):
        return np.zeros(1, dtype=np.int64)  # no bags
    bounds = offs.astype(np.int64)
    return bounds if include_last_offset else np.append(bounds, n)


# --- argument checks --------------------------------------------------------------------------


def check_mode(mode: Any, scale_grad_by_freq: bool, sparse: bool) -> None:
    """``mode`` is one of ``MODES``; ``max`` takes neither ``scale_grad_by_freq`` nor
    ``sparse`` (PyTorch's rules, shared with the ``EmbeddingBag`` module)."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, got mode={mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(
            "max mode does not support scaling the gradient by the frequency: only the arg-max "
            "row of each bag gets a gradient; use scale_grad_by_freq=False, or mode='sum'/'mean'"
        )
    if mode == "max" and sparse:
        raise ValueError(
            "max mode does not support sparse weights: use sparse=False, or mode='sum'/'mean'"
        )


def _weight_array(weight: Any) -> np.ndarray:
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding_bag: weight must be a Tensor, got {type(weight).__name__}")
    W = weight._data
    if W.ndim != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {W.ndim} (shape "
            f"{tuple(W.shape)}); it is the table (num_embeddings, embedding_dim)"
        )
    if W.dtype.kind != "f":
        raise TypeRuntimeError(
            f"embedding_bag: weight must be a floating-point tensor, got torch.{W.dtype.name}"
        )
    return W


def _per_sample_weights(
    psw: Any, ids: np.ndarray, mode: str, dtype: np.dtype
) -> tuple[Tensor | None, np.ndarray | None]:
    """The Tensor (for its gradient, if any) and the array of ``per_sample_weights``."""
    if psw is None:
        return None, None
    arr = psw._data if isinstance(psw, Tensor) else np.asarray(psw)
    if arr.shape != ids.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(arr.shape)}) is not None, then it "
            f"must have the same shape as the input ({tuple(ids.shape)}): one weight per id"
        )
    if mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). For a weighted mean, divide each "
            "bag's weights by their sum and use mode='sum'"
        )
    if arr.dtype != dtype:
        raise TypeRuntimeError(
            f"embedding_bag: per_sample_weights has dtype torch.{arr.dtype.name} but weight has "
            f"torch.{dtype.name}; they must match (convert with .to(weight.dtype))"
        )
    return (psw if isinstance(psw, Tensor) else None), arr.reshape(-1)


# --- sum and mean -----------------------------------------------------------------------------


def _sum_mean_forward(
    bags: _Bags,
    weight: Tensor,
    psw_tensor: Tensor | None,
    psw: np.ndarray | None,
    mean: bool,
    scale_grad_by_freq: bool,
    sparse: bool,
    input_shape: tuple[int, ...],
) -> Tensor:
    W = weight._data
    num_rows = W.shape[0]
    nnz = bags.ids.shape[0]
    if psw is None:
        data = np.ones(nnz, dtype=W.dtype)
    else:
        data = psw[:nnz] if bags.positions is None else psw[bags.positions]
    prepare_lookup(W, bags.ids)  # a memory-mapped table: random-access advice, parallel reads
    out = _backend.csr_matmul(bags.indptr, bags.ids, data, W)  # (B, D): A @ W
    lens = bags.lens
    if mean:
        # as torch: the sum, then divided by the bag's length (empty bags stay zero)
        out /= np.maximum(lens, 1).astype(out.dtype)[:, None]

    def backward(g: np.ndarray) -> tuple:
        g = np.ascontiguousarray(g)
        grad_w: np.ndarray | RowSparseTensor | None = None
        grad_psw: np.ndarray | None = None
        if weight.requires_grad:
            # each entry's share of its bag's gradient: grad_W = Aᵀ @ g, A's entries scaled
            # (computed in float64 and rounded once, as torch does)
            coef = data
            if scale_grad_by_freq:
                counts = np.bincount(bags.ids, minlength=num_rows)
                coef = data / counts[bags.ids]  # float64
                if mean:
                    coef /= np.repeat(lens, lens)
                coef = coef.astype(W.dtype)
            elif mean:  # data is all ones: one 1/len per bag, repeated for its entries
                coef = np.repeat((1.0 / np.maximum(lens, 1)).astype(W.dtype), lens)
            if sparse:
                uniq, inverse = _backend.unique_rows(bags.ids, num_rows)
                vals = _backend.csr_t_matmul(bags.indptr, inverse, coef, uniq.shape[0], g)
                grad_w = RowSparseTensor(uniq, vals, W.shape, coalesced=True)
            else:
                warn_dense_table_grad(W, "EmbeddingBag")
                grad_w = _backend.csr_t_matmul(bags.indptr, bags.ids, coef, num_rows, g)
        if psw_tensor is not None and psw_tensor.requires_grad:
            # d out[b] / d psw[e] = W[ids[e]] for the bag b of entry e: a dot with g[b]
            grad_psw = np.zeros(int(np.prod(input_shape)), dtype=W.dtype)
            dots = _row_dots(W, bags.ids, g, bags.bag_of_entry())
            if bags.positions is None:
                grad_psw[:nnz] = dots
            else:
                grad_psw[bags.positions] = dots
            grad_psw = grad_psw.reshape(input_shape)
        return grad_w, grad_psw

    return Tensor._make(out, (weight, psw_tensor), backward, "EmbeddingBagBackward0")


def _row_dots(W: np.ndarray, ids: np.ndarray, g: np.ndarray, bag: np.ndarray) -> np.ndarray:
    """``out[e] = W[ids[e]] · g[bag[e]]``, a piece at a time (no ``(nnz, D)`` array whole)."""
    n = ids.shape[0]
    out = np.empty(n, dtype=W.dtype)
    piece = max(1, (1 << 16) // max(W.shape[1], 1))
    for start in range(0, n, piece):
        stop = min(start + piece, n)
        out[start:stop] = np.einsum("ij,ij->i", W[ids[start:stop]], g[bag[start:stop]])
    return out


# --- max --------------------------------------------------------------------------------------


def _max_forward(bags: _Bags, weight: Tensor) -> Tensor:
    W = weight._data
    num_rows, dim = W.shape
    out, winners = _bag_max(W, bags.ids, bags.indptr)

    def backward(g: np.ndarray) -> tuple:
        # out[b, d] came from W[rows[b, d], d]: its gradient goes there (empty bags: row -1)
        warn_dense_table_grad(W, "EmbeddingBag")
        rows = winners()
        full = rows >= 0
        flat = rows * dim + np.arange(dim)  # positions in the flattened (V * D,) gradient
        vals = np.asarray(g)
        if not full.all():
            flat, vals = flat[full], vals[full]
        grad = _backend.scatter_add_rows(flat.reshape(-1), vals.reshape(-1, 1), num_rows * dim)
        return grad.reshape(num_rows, dim), None

    return Tensor._make(out, (weight, None), backward, "EmbeddingBagBackward0")


def _bag_max(
    W: np.ndarray, ids: np.ndarray, indptr: np.ndarray
) -> tuple[np.ndarray, Callable[[], np.ndarray]]:
    """Per bag and column, the largest value ``(B, D)``, and a function that gives the row each
    came from ``(B, D)`` (only the backward needs it). Empty bags give 0 and row -1.

    torch's rule, NaNs included: a column starts at the bag's first row and takes a later
    row's value only if it is strictly greater (ties keep the first row).
    """
    num_bags, dim = indptr.shape[0] - 1, W.shape[1]
    lens = np.diff(indptr)
    out = np.zeros((num_bags, dim), dtype=W.dtype)

    # Short bags together, one position at a time: step k compares the k-th row of every bag
    # at least k + 1 long. Sorted longest first, those bags are a prefix of the arrays.
    short = np.flatnonzero((lens > 0) & (lens <= _LONG_BAG))
    order = short[np.argsort(-lens[short], kind="stable")]
    starts, neg_lens = indptr[order], -lens[order]
    # bags already in that order (all of one length, say): work in ``out`` itself
    in_place = order.shape[0] == num_bags and bool((order == np.arange(num_bags)).all())
    best = out if in_place else np.empty((order.shape[0], dim), dtype=W.dtype)
    best_k = np.zeros((order.shape[0], dim), dtype=np.int8)  # k < _LONG_BAG < 128

    def run(first: int, last: int) -> None:
        # in blocks of bags whose arrays stay in the L2 cache through the steps
        for lo in range(first, last, _MAX_BLOCK):
            hi = min(lo + _MAX_BLOCK, last)
            block, block_k = best[lo:hi], best_k[lo:hi]
            np.take(W, ids[starts[lo:hi]], axis=0, out=block, mode="clip")
            first_nan = np.isnan(block)
            values = np.empty_like(block)
            greater = np.empty(block.shape, dtype=bool)
            step = np.empty(block.shape, dtype=np.int8)
            for k in range(1, int(-neg_lens[lo])):
                n = int(np.searchsorted(neg_lens[lo:hi], -k, side="left"))  # len > k
                np.take(W, ids[starts[lo : lo + n] + k], axis=0, out=values[:n], mode="clip")
                # k only grows, so "best_k = k where greater" is a max (masked copies are ~30x
                # slower than these whole-array ufuncs)
                np.greater(values[:n], block[:n], out=greater[:n])
                np.multiply(greater[:n], k, out=step[:n])
                np.maximum(block_k[:n], step[:n], out=block_k[:n])
                # fmax(a, b) is where(a >= b, a, b) and ignores a NaN b: a tie or a later NaN
                # keeps the earlier value, as in torch
                np.fmax(block[:n], values[:n], out=block[:n])
            # ... but fmax also replaces a NaN a, which torch keeps: a NaN first row wins
            block[first_nan] = np.nan
            block_k[first_nan] = 0

    if order.size:
        # NumPy's ufuncs and take release the GIL: threads share the blocks
        _backend.parallel_ranges(run, order.shape[0], int(lens[short].sum()) * dim)
        if not in_place:
            out[order] = best

    # Long bags one by one, vectorised over their rows: the same rule, as "the first row equal
    # to the NaN-ignoring max, unless the first row is NaN" (nothing is greater than NaN).
    long_rows = {}
    columns = np.arange(dim)
    for b in np.flatnonzero(lens > _LONG_BAG):
        rows = ids[indptr[b] : indptr[b + 1]]
        seg = W[rows]
        first = np.argmax(seg == np.fmax.reduce(seg, axis=0), axis=0)
        first[np.isnan(seg[0])] = 0
        out[b] = seg[first, columns]
        long_rows[int(b)] = rows[first]

    def winners() -> np.ndarray:
        rows = np.full((num_bags, dim), -1, dtype=np.int64)
        if order.size:
            rows[order] = ids[starts[:, None] + best_k]
        for b, r in long_rows.items():
            rows[b] = r
        return rows

    return out, winners
