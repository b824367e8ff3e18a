"""``EmbeddingBag``: a table of vectors that returns the sum, mean or max of each bag of ids."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from ..functional.embedding_bag import check_mode, embedding_bag
from .embedding import TokenTable, pretrained_table


class EmbeddingBag(TokenTable):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``; bags of ids in, one
    vector per bag out (the sum, mean or max of the bag's rows), without building the rows.

    With bags of equal length and no padding, ``mode="sum"`` equals ``Embedding`` followed by
    ``.sum(1)`` (``"mean"``: ``.mean(1)``, ``"max"``: ``.max(1)``), only faster and leaner.

    Args:
        num_embeddings: the number of rows V (the vocabulary size).
        embedding_dim: the size D of each vector.
        max_norm: rescale, **in place**, every referenced row whose ``norm_type``-norm exceeds
            this, before each call (train and eval alike, as in PyTorch). Rows frozen with
            ``freeze_rows`` are never rescaled (they enter the bags as they are).
        norm_type: p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each id's gradient by its count in the batch (not with max).
        mode: ``"sum"``, ``"mean"`` (default) or ``"max"``.
        sparse: make ``weight.grad`` a ``RowSparseTensor`` of the rows present (not with max).
        _weight: use this ``(V, D)`` tensor as the weight (no initialisation).
        include_last_offset: ``offsets`` are CSR-style, B+1 bounds for B bags.
        padding_idx: an id left out of every bag (no value, no count, no gradient); its row
            starts at zero. A negative value counts from the end.

    Shape: input ``(B, L)``, or ``(N,)`` with offsets ``(B,)`` (``(B + 1,)`` with
    ``include_last_offset``); ``per_sample_weights`` like input -> output ``(B, D)``.
    Init: ``weight ~ N(0, 1)``, row ``padding_idx`` zeroed.

    >>> import firstlayer as torch
    >>> bag = EmbeddingBag(10, 3, mode="sum")
    >>> bag(torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 4])).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        # torch checks the mode only when called; a bad one fails here, where it was written
        check_mode(mode, scale_grad_by_freq, sparse)
        self._init_table(
            num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
            scale_grad_by_freq, _weight, dtype,
        )
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(
        self,
        input: Tensor,  # noqa: A002
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        """One vector per bag: see ``nn.functional.embedding_bag`` for the bags' layout."""
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
            self.mode, self.sparse, per_sample_weights, self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        # torch's format: values as repr, so mode='sum'; sparse and include_last_offset not shown
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag holding ``embeddings`` (a 2-D tensor or NumPy array, shared not
        copied).

        As in PyTorch, ``freeze=True`` by default and the ``padding_idx`` row is **not** zeroed
        (it keeps its pretrained value, and is still left out of every bag).

        >>> import firstlayer as torch
        >>> bag = EmbeddingBag.from_pretrained(torch.tensor([[1., 2.], [3., 4.]]))
        >>> bag(torch.tensor([[0, 1]]))
        tensor([[2., 3.]])
        """
        embeddings = pretrained_table(embeddings)
        rows, cols = embeddings.shape
        bag = cls(
            rows, cols, max_norm=max_norm, norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse, _weight=embeddings,
            include_last_offset=include_last_offset, padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
