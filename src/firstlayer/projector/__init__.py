"""An embedding projector: look at vectors in the browser, from one self-contained HTML file.

The page draws the chosen vectors in 2-D and 3-D (PCA, or t-SNE / UMAP with their extras), with
a search box, each point's nearest neighbours (computed in the original space: the list that
``KeyedVectors.most_similar`` gives), colours per group from ``labels`` with a legend, zoom, pan
and rotate. It needs no network when opened: plotly.js, which draws it, is copied into the file
from the Python package ``plotly`` (``pip install "firstlayer[projector]"``).

``source`` is anything firstlayer holds vectors in: a vectors file (any format that
:func:`firstlayer.vectors.load` reads), a ``KeyedVectors``, a ``Word2Vec`` or fastText model, or
``(embedding, vocab)`` with an ``nn.Embedding`` (or its weight) and its vocabulary.

>>> from firstlayer.projector import write_html
>>> write_html("vectors.txt", "page.html", limit=5000)  # doctest: +SKIP
'page.html'
>>> write_html((model.embedding, vocab), "page.html", labels={"猫": "animal"})  # doctest: +SKIP
'page.html'

The command line: ``firstlayer projector VECTORS -o page.html [--serve]``.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .._atomic import atomic_write
from .data import ProjectorWarning, as_keyed_vectors, check_limit, neighbours, point_groups
from .data import select_points as _select_points
from .page import check_plotly, page_data, render
from .projections import PROJECTIONS, MissingExtraError, check_projection, project

__all__ = [
    "PROJECTIONS",
    "MissingExtraError",
    "ProjectorWarning",
    "prepare",
    "show",
    "to_html",
    "write_html",
]

Labels = Mapping[Any, str] | Sequence[str] | str | os.PathLike


def prepare(
    source: Any,
    *,
    keys: Sequence[Any] | None = None,
    limit: int | None = 10000,
    labels: Labels | None = None,
    projection: str = "pca",
    neighbors: int = 10,
    seed: int = 0,
    title: str | None = None,
) -> dict[str, Any]:
    """The data of the projector page of ``source``: what :func:`to_html` puts in the page
    (a JSON-able dict: ``keys``, coordinates ``xy`` and ``xyz``, ``neighbours`` and
    ``cosines``, ``groups``...). Arguments: see :func:`write_html`.

    >>> import numpy as np
    >>> from firstlayer.vectors import KeyedVectors
    >>> kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32) + 0.1)
    >>> data = prepare(kv, neighbors=1)
    >>> data["keys"], data["neighbours"]
    (['a', 'b', 'c'], [[1], [0], [0]])
    """
    # the cheap checks first: a mistake should not wait for the vectors to load
    check_limit(limit)
    if neighbors < 0:
        raise ValueError(f"neighbors must be 0 or more, got {neighbors}")
    check_projection(projection)
    kv, name = as_keyed_vectors(source, keys, limit)
    points = _select_points(kv, keys, limit)
    groups = point_groups(points.keys, labels) if labels is not None else None
    placed = project(points.kv.vectors, projection, seed=seed)
    index, cosine = neighbours(points.kv, neighbors)
    legend = os.path.basename(os.fspath(labels)) if isinstance(labels, (str, os.PathLike)) else ""
    return page_data(
        points, placed, index, cosine, groups=groups, legend_title=legend or "groups",
        title=title if title is not None else name,
    )


def to_html(source: Any, **kwargs: Any) -> str:
    """The projector page of ``source`` as a string; takes :func:`write_html`'s keyword
    arguments.

    >>> import numpy as np
    >>> from firstlayer.vectors import KeyedVectors
    >>> kv = KeyedVectors.from_arrays(["猫", "狗", "红"], np.eye(3, dtype=np.float32))
    >>> to_html(kv).startswith("<!DOCTYPE html>")  # doctest: +SKIP
    True
    """
    check_plotly()  # before the work
    return render(prepare(source, **kwargs))


def write_html(
    source: Any,
    path: str | os.PathLike,
    *,
    keys: Sequence[Any] | None = None,
    limit: int | None = 10000,
    labels: Labels | None = None,
    projection: str = "pca",
    neighbors: int = 10,
    seed: int = 0,
    title: str | None = None,
) -> str:
    """Write the projector page of ``source`` to ``path``: one HTML file that needs no network.

    Args:
        source: a vectors file's path, a ``KeyedVectors``, a ``Word2Vec`` or fastText model,
            or ``(embedding, vocab)``: an ``nn.Embedding`` (firstlayer's or torch's), its
            weight or an array, with a ``Vocab``, a list of tokens or a dict token -> id.
        path: the ``.html`` file to write. Written atomically: on any error an existing file is
            left as it was and nothing half-written appears.
        keys: the keys to draw (those the vectors lack are left out, with a
            :class:`ProjectorWarning` naming them); default: the first ``limit`` keys.
        limit: at most this many points (at least 1; ``None``: all). A file is read only that
            far.
        labels: a group per key, for colours and a legend: a mapping key -> group, a file of
            ``key<TAB>group`` lines, or one group per point.
        projection: ``"pca"`` (default), ``"tsne"`` (``pip install "firstlayer[tsne]"``) or
            ``"umap"`` (``pip install "firstlayer[umap]"``).
        neighbors: how many nearest neighbours the page lists for a selected point.
        seed: the seed of t-SNE and UMAP; the same input and seed give the same bytes.
        title: the page's title (default: the file's name, or the source's type).

    Returns:
        ``path``, as given.

    Raises:
        ValueError: ``limit`` < 1, ``neighbors`` < 0, an unknown projection, no keys to draw.
        MissingExtraError: plotly (or the projection's library) is not installed; the message
            names the extra.
        FileNotFoundError: the vectors file, or ``path``'s folder, does not exist.

    Shape: ``n`` points of dimension ``D`` are drawn; the page holds ``n x 5`` coordinates and
    ``n x neighbors`` neighbours, plus plotly.js (~4.6 MB).

    >>> write_html("vectors.txt", "page.html", labels="groups.tsv")  # doctest: +SKIP
    'page.html'
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):  # before the work, not after it
        raise FileNotFoundError(
            f"can't write {os.fspath(path)!r}: folder {folder!r} does not exist"
        )
    text = to_html(
        source, keys=keys, limit=limit, labels=labels, projection=projection,
        neighbors=neighbors, seed=seed, title=title,
    )
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return os.fspath(path)


def show(source: Any, *, height: int = 640, **kwargs: Any) -> None:
    """Show the projector page of ``source`` inline in a Jupyter notebook.

    Takes :func:`write_html`'s keyword arguments (``keys``, ``limit``, ``labels``,
    ``projection``, ``neighbors``, ``seed``, ``title``); ``height`` is the frame's height in
    pixels. The page runs in a frame of its own (``srcdoc``), so its script and style cannot
    clash with the notebook's.

    >>> show(model, labels=groups)  # doctest: +SKIP
    """
    try:
        from IPython.display import HTML, display
    except ImportError as exc:
        raise ImportError(
            "show() displays the page in a Jupyter notebook and needs IPython, which is not "
            "installed (pip install ipython); outside a notebook use write_html(source, path)"
        ) from exc
    page = to_html(source, **kwargs)
    frame = (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width: 100%; height: {int(height)}px; border: 0" '
        'sandbox="allow-scripts"></iframe>'
    )
    display(HTML(frame))
