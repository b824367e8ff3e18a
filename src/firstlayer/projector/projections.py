"""Where the points go on the screen: PCA (NumPy), t-SNE (scikit-learn) or UMAP (umap-learn).

Each projection gives 2-D and 3-D coordinates of the points, and a title per axis. PCA's axes
say the share of the variance each explains; its 2-D view is the first two axes of its 3-D
view. t-SNE and UMAP come from their maintained libraries, installed with an optional extra
(``pip install "firstlayer[tsne]"`` or ``"firstlayer[umap]"``) and imported only when used;
both compare the vectors by cosine, like the neighbours, and are seeded, so the same input
gives the same picture.

>>> import numpy as np
>>> p = project(np.eye(4) + 0.1, "pca")
>>> p.xyz.shape, p.xy.shape, p.axes_3d[0].startswith("PC1")
((4, 3), (4, 2), True)
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import plot
from ..vectors import similarity as sim

PROJECTIONS = ("pca", "tsne", "umap")
# projection -> (module to import, what pip installs it as, the extra that brings it)
_NEEDS = {
    "tsne": ("sklearn.manifold", "scikit-learn", "tsne"),
    "umap": ("umap", "umap-learn", "umap"),
}
# t-SNE and UMAP need a few points to have neighbourhoods at all
MIN_POINTS = 4


class MissingExtraError(ImportError):
    """A projection's library is not installed; the message names the extra to install."""


@dataclass
class Projection:
    """Coordinates of the points in 2-D and 3-D, and each axis' title.

    Attributes:
        name: ``"pca"``, ``"tsne"`` or ``"umap"``.
        xy: ``(n, 2)``; xyz: ``(n, 3)``.
        axes_2d, axes_3d: the axis titles, e.g. ``"PC1 (31.2% of variance)"``.
        explained: PCA only: ``(3,)``, the share of the variance along each axis.
    """

    name: str
    xy: np.ndarray
    xyz: np.ndarray
    axes_2d: list[str]
    axes_3d: list[str]
    explained: np.ndarray | None = None


def check_projection(name: str) -> None:
    """Raise ``ValueError`` for an unknown projection, :class:`MissingExtraError` when its
    library is missing. Cheap enough to call before any slow work (one import)."""
    if name not in PROJECTIONS:
        raise ValueError(f"unknown projection {name!r}; choose one of {', '.join(PROJECTIONS)}")
    _library(name)


def _library(name: str) -> Any:
    if name not in _NEEDS:
        return None
    module, package, extra = _NEEDS[name]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"the {name} projection needs {package}, which is not installed: "
            f'pip install "firstlayer[{extra}]" (or use --projection pca)'
        ) from exc


def pca(vectors: np.ndarray, n_components: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates on the first ``n_components`` principal components and their variance share.

    The SVD of the centred rows; each direction's sign is fixed so that the row with the largest
    |coordinate| along it is positive (an SVD's signs are arbitrary: this makes the picture the
    same on every machine): :func:`firstlayer.plot.pca`, the one PCA of the project. Directions
    without variance (fewer rows than components, identical rows) get coordinates 0.

    Shape: ``(n, D)`` -> ``(n, n_components)`` float64, ``(n_components,)``.

    >>> coords, share = pca(np.array([[1.0, 1.0], [3.0, 3.0]]), 2)
    >>> coords.round(4).tolist(), share.round(4).tolist()
    ([[-1.4142, 0.0], [1.4142, 0.0]], [1.0, 0.0])
    """
    return plot.pca(vectors, n_components)


def _tsne(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    manifold = _library("tsne")
    n = vectors.shape[0]
    # perplexity must stay below the number of points; sklearn's default is 30
    model = manifold.TSNE(
        n_components=dims, perplexity=min(30.0, (n - 1) / 3), metric="cosine", init="pca",
        random_state=seed,
    )
    # One OpenMP thread: the same bytes on every run (threads may sum in another order), and
    # no stall when the cores are busy (spinning threads slowed a 40-point run from 0.2 to 9 s).
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1, user_api="openmp"):
        return np.asarray(model.fit_transform(vectors), dtype=np.float64)


def _umap(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    umap = _library("umap")
    n = vectors.shape[0]
    model = umap.UMAP(
        n_components=dims, n_neighbors=min(15, n - 1), metric="cosine", random_state=seed,
        init="spectral" if n > dims + 1 else "random",
    )
    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": the seed is the point
        warnings.filterwarnings("ignore", message=".*random_state.*", category=UserWarning)
        return np.asarray(model.fit_transform(vectors), dtype=np.float64)


def project(vectors: np.ndarray, name: str = "pca", seed: int = 0) -> Projection:
    """Place the points: ``name`` is ``"pca"``, ``"tsne"`` or ``"umap"``.

    PCA works on the vectors scaled to length 1 (the directions, which cosine compares; a
    frequent word's long vector would otherwise stand apart for its length alone). t-SNE and
    UMAP use the cosine distance, which ignores length too.

    Raises:
        ValueError: an unknown name, non-finite vectors, or t-SNE/UMAP with fewer than
            ``MIN_POINTS`` points.
        MissingExtraError: t-SNE or UMAP's library is missing.
    """
    check_projection(name)
    x = np.asarray(vectors)
    if not np.isfinite(x).all():
        raise ValueError("the vectors hold NaN or infinite values; a projection needs numbers")
    if name == "pca":
        unit = sim.unit_rows(x.astype(np.float64))[0]
        xyz, share = pca(unit, 3)
        axes = [f"PC{i + 1} ({s:.1%} of variance)" for i, s in enumerate(share)]
        return Projection(name, xyz[:, :2].copy(), xyz, axes[:2], axes, share)
    if x.shape[0] < MIN_POINTS:
        raise ValueError(
            f"the {name} projection needs at least {MIN_POINTS} points, got {x.shape[0]}; "
            "use pca"
        )
    run = _tsne if name == "tsne" else _umap
    label = "t-SNE" if name == "tsne" else "UMAP"
    x64 = x.astype(np.float64)
    xy, xyz = run(x64, 2, seed), run(x64, 3, seed)
    return Projection(
        name, xy, xyz, [f"{label} {i}" for i in (1, 2)], [f"{label} {i}" for i in (1, 2, 3)]
    )
