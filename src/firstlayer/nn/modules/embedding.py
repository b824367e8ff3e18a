"""``Embedding``: a lookup table of trainable vectors, the usual first layer of a model."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _check as check
from ... import _dtype
from ...autograd import no_grad
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.embedding import check_ids, normalize_padding_idx
from ..parameter import Parameter
from .module import Module

_MISSING: Any = object()


class TokenTable(Module):
    """What ``Embedding`` and ``EmbeddingBag`` share: a ``(num_embeddings, embedding_dim)``
    weight whose rows are tokens. Its constructor checks and init (:meth:`_init_table`,
    :meth:`reset_parameters`), and ``freeze_rows``/``unfreeze_rows``: train only some rows, such
    as tokens newly added to a pretrained vocabulary.

    The mask lives on the weight ``Parameter`` (``weight._frozen_rows``, a ``(num_rows,)`` bool
    array or None), where autograd and every optimizer see it: the gradient loses the frozen
    rows whatever op produced it (a lookup, a tied output layer), and ``Optimizer.step`` never
    reads or writes them or their state. It is not saved by ``state_dict`` and does not follow
    the weight if ``weight`` is replaced by another Parameter.
    """

    weight: Parameter
    padding_idx: int | None

    def _init_table(
        self,
        num_embeddings: Any,
        embedding_dim: Any,
        padding_idx: int | None,
        max_norm: float | None,
        norm_type: float,
        scale_grad_by_freq: bool,
        _weight: Tensor | None,
        dtype: Any,
        requires_grad: bool = True,
    ) -> None:
        """Check and store the table's settings, then make ``weight``: ``_weight`` as it is
        (its shape checked), else a new ``(V, D)`` table initialised by
        :meth:`reset_parameters`."""
        self.num_embeddings = check.non_negative_int("num_embeddings", num_embeddings)
        self.embedding_dim = check.non_negative_int("embedding_dim", embedding_dim)
        if padding_idx is not None:
            padding_idx = normalize_padding_idx(padding_idx, self.num_embeddings)
        if max_norm is not None:  # inf is accepted, as torch does (no rescaling then)
            max_norm = check.number("max_norm", max_norm, low=0, low_open=True, finite=False)
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.default_float
            w = np.empty((self.num_embeddings, self.embedding_dim), d.np)
            self.weight = Parameter(Tensor._wrap(w), requires_grad=requires_grad)
            self.reset_parameters()
        else:
            shape = tuple(_weight.shape)
            if shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(
                    f"Shape of weight does not match num_embeddings and embedding_dim: _weight "
                    f"has shape {shape}, expected ({self.num_embeddings}, {self.embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=requires_grad)

    def reset_parameters(self) -> None:
        """``weight ~ N(0, 1)``, then the padding row set to zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def freeze_rows(self, ids: Any) -> None:
        """Freeze rows ``ids`` (in addition to those already frozen).

        A frozen row gets no gradient (dense: a zero row; row-sparse: absent), and no optimizer
        changes it: no update, momentum, moment or weight decay, with dense or row-sparse
        gradients alike, so it stays bit-identical through training. ``max_norm``, which
        PyTorch applies by rescaling looked-up rows in place, skips frozen rows too: they are
        looked up as they are, whatever their norm. The other rows train exactly as they would
        without frozen rows.

        Args:
            ids: row ids: an int, a sequence, or an integer tensor or array of any shape, each in
                ``[0, num_rows)``.

        >>> import firstlayer as torch
        >>> emb = torch.nn.Embedding(4, 2)
        >>> emb.freeze_rows([0, 1])  # train only rows 2 and 3 (new tokens, say)
        >>> emb.frozen_rows
        tensor([0, 1])
        """
        w = self.weight
        rows = _row_ids(ids, w.shape[0], type(self).__name__)
        mask = np.zeros(w.shape[0], bool) if w._frozen_rows is None else w._frozen_rows.copy()
        mask[rows] = True
        w._frozen_rows = mask if mask.any() else None
        w._drop_frozen_grad()  # a gradient already there loses the rows too

    def unfreeze_rows(self, ids: Any = None) -> None:
        """Train rows ``ids`` again (all rows when ``ids`` is None). Their optimizer state
        (momentum, moments) is what it was when they were frozen.

        >>> import firstlayer as torch
        >>> emb = torch.nn.Embedding(4, 2)
        >>> emb.freeze_rows([0, 1]); emb.unfreeze_rows([0])
        >>> emb.frozen_rows
        tensor([1])
        """
        w = self.weight
        if ids is None or w._frozen_rows is None:
            if ids is not None:
                _row_ids(ids, w.shape[0], type(self).__name__)  # still reject bad ids
            w._frozen_rows = None
            return
        rows = _row_ids(ids, w.shape[0], type(self).__name__)
        mask = w._frozen_rows.copy()
        mask[rows] = False
        w._frozen_rows = mask if mask.any() else None

    @property
    def frozen_rows(self) -> Tensor:
        """The ids of the frozen rows, sorted (int64, possibly empty)."""
        mask = self.weight._frozen_rows
        return Tensor._wrap(np.zeros(0, np.int64) if mask is None else np.flatnonzero(mask))

    @property
    def _frozen_rows(self) -> np.ndarray | None:
        """The weight's frozen-row mask, or None."""
        return self.weight._frozen_rows


def _row_ids(ids: Any, num_rows: int, layer: str) -> np.ndarray:
    """Row ids as a flat int64 array, each checked to be in ``[0, num_rows)``."""
    arr = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{layer}.freeze_rows/unfreeze_rows: row ids must be integers, got dtype {arr.dtype}"
        )
    flat = arr.reshape(-1).astype(np.int64, copy=False)
    check_ids(flat, num_rows, layer)
    return flat


class Embedding(TokenTable):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``; ids in, vectors out.

    Equivalent to ``Linear(num_embeddings, embedding_dim, bias=False)`` applied to one-hot
    vectors (with ``weight`` transposed), without building them.

    Args:
        num_embeddings: the number of rows V (the vocabulary size). The seed's spelling
            ``vocab_size=`` is accepted as an alias.
        embedding_dim: the size D of each vector. Alias: ``emb_size=``.
        padding_idx: a row that gets no gradient and starts at zero (a negative value counts
            from the end).
        max_norm: rescale, **in place**, every looked-up row whose ``norm_type``-norm exceeds
            this, before each lookup (train and eval alike, as in PyTorch). Rows frozen with
            :meth:`freeze_rows` are never rescaled (they are returned as they are).
        norm_type: p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each id's gradient by its count in the batch.
        sparse: make ``weight.grad`` a ``RowSparseTensor`` holding only the looked-up rows.
        _weight: use this ``(V, D)`` tensor as the weight (no initialisation).
        _freeze: with ``_weight``, don't train it.

    Shape: input ``(*)`` integer ids in ``[0, V)`` -> output ``(*, D)``.
    Init: ``weight ~ N(0, 1)``, row ``padding_idx`` zeroed.

    >>> import firstlayer as torch
    >>> emb = Embedding(vocab_size=2, emb_size=2)
    >>> emb(torch.tensor([0, 1])).shape
    torch.Size([2, 2])
    """

    def __init__(
        self,
        num_embeddings: int = _MISSING,
        embedding_dim: int = _MISSING,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        vocab_size: int = _MISSING,
        emb_size: int = _MISSING,
    ) -> None:
        super().__init__()
        num_embeddings = _alias("num_embeddings", num_embeddings, "vocab_size", vocab_size)
        embedding_dim = _alias("embedding_dim", embedding_dim, "emb_size", emb_size)
        self._init_table(
            num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
            scale_grad_by_freq, _weight, dtype, requires_grad=not _freeze,
        )
        self.sparse = sparse

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.embedding(
            input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.sparse,
        )

    def as_linear(self, x: Tensor) -> Tensor:
        """``x @ weightᵀ``: scores over the vocabulary with the same table (weight tying).

        Shape: ``(*, D)`` -> ``(*, V)``.
        """
        return F.linear(x, self.weight)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding holding ``embeddings`` (a 2-D tensor or NumPy array, shared not copied).

        As in PyTorch, the ``padding_idx`` row is **not** zeroed (it keeps its pretrained value
        and gets no gradient), and ``freeze=True`` by default.

        >>> import firstlayer as torch
        >>> Embedding.from_pretrained(torch.tensor([[1., 2.], [2., 2.]])).weight.requires_grad
        False
        """
        embeddings = pretrained_table(embeddings)
        rows, cols = embeddings.shape
        return cls(
            rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
            max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )


def _alias(name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """The seed's ``vocab_size``/``emb_size`` spellings, accepted as keyword aliases."""
    if value is not _MISSING and alias_value is not _MISSING:
        raise TypeError(
            f"Embedding got both {name}={value!r} and its alias {alias}={alias_value!r}; "
            f"give one ({alias} is the seed's spelling of {name})"
        )
    if value is _MISSING and alias_value is _MISSING:
        raise TypeError(f"Embedding missing required argument: '{name}' (or its alias {alias})")
    return value if value is not _MISSING else alias_value


def pretrained_table(embeddings: Any) -> Tensor:
    """Check and wrap a ``from_pretrained`` table: a 2-D float Tensor (NumPy arrays shared)."""
    if isinstance(embeddings, np.ndarray):
        embeddings = Tensor._wrap(embeddings)
    if not isinstance(embeddings, Tensor):
        raise TypeError(
            f"embeddings must be a 2-D Tensor or NumPy array, got {type(embeddings).__name__}"
        )
    if embeddings.dim() != 2:
        raise ValueError(
            f"Embeddings parameter is expected to be 2-dimensional (rows, dim), got shape "
            f"{tuple(embeddings.shape)}; for a single vector use .unsqueeze(0)"
        )
    if not embeddings.dtype.is_floating_point:
        embeddings = embeddings.float()
    return embeddings
