"""Word Mover's Distance (Kusner et al. 2015), gensim's ``KeyedVectors.wmdistance``.

The distance between two documents is the least total cost of moving one document's words onto
the other's, each word carrying its share of the document (count / length), a unit of weight
costing the Euclidean distance between the two words' vectors. That is a transport problem, a
small linear program: gensim hands it to POT's ``emd2``; here scipy's HiGHS solver (a scipy
dependency firstlayer already has) solves it exactly.

>>> import numpy as np
>>> from firstlayer.vectors import KeyedVectors
>>> kv = KeyedVectors.from_arrays(["a", "b", "c"], np.array([[0, 1], [1, 0], [0, 2]], np.float32))
>>> round(kv.wmdistance(["a", "b"], ["b", "b"], norm=False), 6)  # a moves onto b: half of sqrt 2
0.707107
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .keyed import KeyedVectors

logger = logging.getLogger(__name__)


def _shares(document: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct words of a document, in first-seen order, and each one's count / length."""
    counts = Counter(document)
    words = list(counts)
    return words, np.array([counts[w] for w in words], np.float64) / len(document)


def transport_cost(supply: np.ndarray, demand: np.ndarray, cost: np.ndarray) -> float:
    """The least ``sum(cost * flow)`` over flows >= 0 whose rows sum to ``supply`` and columns
    to ``demand`` (both summing to 1): the earth mover's distance.

    Shape: ``(n,)``, ``(m,)``, ``(n, m)`` -> a float.
    """
    from scipy.optimize import linprog
    from scipy.sparse import eye, kron, vstack

    n, m = cost.shape
    if n == 1 or m == 1:  # one source or one sink: the flow is forced
        return float(np.sum(cost * (supply[:, None] * demand[None, :])))
    rows = kron(eye(n), np.ones((1, m)))  # sum over j of flow[i, j]
    cols = kron(np.ones((1, n)), eye(m))  # sum over i of flow[i, j]
    # One equality is implied by the others (both sides sum to 1): the last column's is
    # dropped so that rounding cannot make the system infeasible.
    a_eq = vstack([rows, cols.tocsr()[:-1]]).tocsr()
    b_eq = np.concatenate([supply, demand[:-1]])
    # Dual simplex ends on a vertex (an exact transport plan); tight tolerances, because the
    # defaults (1e-7) show in the 8th digit of the distance.
    result = linprog(cost.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds",
                     options={"primal_feasibility_tolerance": 1e-10,
                              "dual_feasibility_tolerance": 1e-10})
    if result.status != 0:
        raise RuntimeError(f"the transport problem was not solved: {result.message}")
    flow = np.clip(result.x, 0, None)  # a vertex of the polytope: zeros are exact zeros
    return float(cost.ravel() @ flow)


def wmdistance(
    kv: KeyedVectors, document1: Sequence[Any], document2: Sequence[Any], norm: bool = True
) -> float:
    """See :meth:`KeyedVectors.wmdistance`."""
    from scipy.spatial.distance import cdist

    docs = []
    for document in (document1, document2):
        kept = [w for w in document if w in kv]
        if len(kept) != len(document):
            logger.info("removed %d out-of-vocabulary words from a document",
                        len(document) - len(kept))
        docs.append(kept)
    doc1, doc2 = docs
    if not doc1 or not doc2:
        logger.warning("At least one of the documents had no words that were in the vocabulary.")
        return float("inf")
    words1, supply = _shares(doc1)
    words2, demand = _shares(doc2)
    if len(set(words1) | set(words2)) == 1:
        return 0.0
    vectors1 = np.array([kv.get_vector(w, norm=norm) for w in words1], np.float64)
    vectors2 = np.array([kv.get_vector(w, norm=norm) for w in words2], np.float64)
    return transport_cost(supply, demand, cdist(vectors1, vectors2))
