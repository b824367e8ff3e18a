"""fastText's supervised network as layers: an ``EmbeddingBag`` and a ``Linear``.

    text -> rows of its words and n-grams -> EmbeddingBag(mode="mean")   (hidden, D)
         -> Linear(D, labels, bias=False) -> scores                       (labels,)

The training loop (``_train_kernels``) takes exactly the SGD step these layers' autograd takes;
prediction runs through them. ``huffman_paths`` is the tree of ``loss="hs"`` over the labels.
"""

from __future__ import annotations

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...tensor import Tensor

__all__ = ["FastTextClassifier", "huffman_paths"]


class FastTextClassifier(nn.Module):
    """fastText's supervised network: the mean of a text's rows, then a Linear to the labels.

    Args:
        num_rows: rows of the input matrix, ``nwords + bucket``.
        embedding_dim: ``dim``.
        num_labels: outputs (labels; for ``loss="hs"`` the first ``num_labels - 1`` rows are
            the inner nodes of the Huffman tree over the labels).
        _input_weight: the input matrix to use, shared, ``(num_rows, embedding_dim)`` float32.

    Shape: rows ``(N,)`` int64 and offsets ``(B,)`` (where each text's rows start) -> scores
    ``(B, num_labels)``.
    Init: ``input.weight`` as given (``train_supervised``: U(-1/dim, 1/dim)), ``output.weight``
    zero, as fastText.

    >>> import firstlayer as torch
    >>> net = FastTextClassifier(10, 4, 3)
    >>> net(torch.tensor([1, 2, 5]), torch.tensor([0, 2])).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        num_rows: int,
        embedding_dim: int,
        num_labels: int,
        _input_weight: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        if _input_weight is None:
            _input_weight = np.zeros((num_rows, embedding_dim), np.float32)
        self.input = nn.EmbeddingBag(
            num_rows, embedding_dim, mode="mean", _weight=Tensor._wrap(_input_weight)
        )
        self.output = nn.Linear(embedding_dim, num_labels, bias=False)
        with no_grad():
            nn.init.zeros_(self.output.weight)

    def forward(self, rows: Tensor, offsets: Tensor) -> Tensor:
        return self.output(self.input(rows, offsets))


def huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fastText's Huffman tree over the labels (``HierarchicalSoftmaxLoss::buildTree``).

    ``counts`` must be sorted in decreasing order (the dictionary's order). Returns, CSR by
    label, the inner nodes on the way from the label up to the root (output rows) and the code
    of each step (1: the label's side is the node's right child, scored by ``sigmoid``).
    """
    n = len(counts)
    size = max(2 * n - 1, 1)
    count = np.full(size, 1e15)
    count[:n] = counts
    parent = np.full(size, -1, np.int64)
    right = np.zeros(size, bool)
    leaf, node = n - 1, n
    for i in range(n, 2 * n - 1):
        pair = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                pair.append(leaf)
                leaf -= 1
            else:
                pair.append(node)
                node += 1
        count[i] = count[pair[0]] + count[pair[1]]
        parent[pair[0]] = parent[pair[1]] = i
        right[pair[1]] = True
    ptr, nodes, codes = [0], [], []
    for i in range(n):
        j = i
        while parent[j] != -1:
            nodes.append(parent[j] - n)
            codes.append(int(right[j]))
            j = parent[j]
        ptr.append(len(nodes))
    return np.array(ptr, np.int64), np.array(nodes, np.int32), np.array(codes, np.int8)
