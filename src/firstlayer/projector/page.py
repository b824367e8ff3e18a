"""The projector page: one self-contained HTML file, from the template beside this module.

``page.html`` holds the layout and the style, ``page.js`` the page's own script; plotly.js (the
drawing) is copied in from the Python package ``plotly``, which ships it, and the points go in
as one JSON block. Nothing is fetched when the page opens: it works from ``file://`` with no
network. The same input gives the same bytes (no dates, fixed rounding, sorted nothing by
chance).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from .data import NO_GROUP, Points
from .projections import MissingExtraError, Projection

# Category10 (d3's, plotly's default): distinct, and each readable on white.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79",
    "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
    "#e6550d", "#31a354", "#756bb1", "#636363", "#9c9ede",
)
NO_GROUP_COLOUR = "#b0b0b0"
# Up to this many points every label is drawn; above, labels show on hover and for the
# selected point and its neighbours (10,000 labels are a grey smear, and slow).
LABELS_UP_TO = 300
# Groups beyond this many are drawn together as one ("other groups"): a legend of thousands of
# entries, one trace each, would stall the page.
MAX_GROUPS = 40
OTHER_GROUPS = "(other groups)"
INSTALL_HINT = 'pip install "firstlayer[projector]"'
_DECIMALS = 5  # coordinates: 5 decimals tell apart points 1e-5 apart, far below a pixel


def plotly_js() -> str:
    """plotly.js, as the Python package ``plotly`` ships it (raises :class:`MissingExtraError`
    naming the extra when it is not installed)."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise MissingExtraError(
            "the projector page draws with plotly.js, which comes with the Python package "
            f"plotly, not installed: {INSTALL_HINT}"
        ) from exc
    return str(get_plotlyjs())


def check_plotly() -> None:
    """Raise :class:`MissingExtraError` unless plotly is installed."""
    plotly_js()


def _template(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _rounded(values: np.ndarray, decimals: int) -> list[Any]:
    # + 0.0 turns -0.0 into 0.0, which JSON would otherwise write as "-0.0"
    return (np.round(np.asarray(values, np.float64), decimals) + 0.0).tolist()


def _groups(groups: Sequence[str] | None, n: int) -> tuple[list[int], list[dict[str, str]]]:
    """Each point's group number, and the groups' names and colours, in order of first
    appearance (the points' order, so the same input gives the same colours); the group of
    unlabelled points last, in grey."""
    if groups is None:
        return [0] * n, [{"name": "points", "color": PALETTE[0]}]
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    names = [g for g in sizes if g != NO_GROUP]
    if len(names) > MAX_GROUPS:  # keep the largest, in first-appearance order
        keep = set(sorted(names, key=lambda g: -sizes[g])[: MAX_GROUPS - 1])
        groups = [g if g in keep or g == NO_GROUP else OTHER_GROUPS for g in groups]
        names = [g for g in dict.fromkeys(groups) if g != NO_GROUP]
    if NO_GROUP in sizes:
        names.append(NO_GROUP)
    number = {name: i for i, name in enumerate(names)}
    table = [
        {"name": name, "color": NO_GROUP_COLOUR if name in (NO_GROUP, OTHER_GROUPS)
         else PALETTE[i % len(PALETTE)]}
        for i, name in enumerate(names)
    ]
    return [number[g] for g in groups], table


def page_data(
    points: Points,
    projection: Projection,
    neighbour_index: np.ndarray,
    neighbour_cosine: np.ndarray,
    *,
    groups: Sequence[str] | None = None,
    legend_title: str = "",
    title: str = "",
) -> dict[str, Any]:
    """The JSON the page reads: keys, coordinates, groups, neighbours (see ``page.js``).

    Cosines are rounded to 3 decimals, as shown.
    """
    n = len(points.keys)
    group, table = _groups(groups, n)
    if projection.explained is not None:
        shares = ", ".join(f"{s:.1%}" for s in projection.explained)
        variance = f"PCA of the unit vectors; the 3 axes explain {shares} of the variance"
    else:
        variance = {"tsne": "t-SNE", "umap": "UMAP"}[projection.name] + " (cosine distance)"
    return {
        "title": title,
        "keys": [str(k) for k in points.keys],
        "group": group,
        "groups": table,
        "showLegend": groups is not None,
        "legendTitle": legend_title,
        "labelsAll": n <= LABELS_UP_TO,
        "xy": _rounded(projection.xy.T, _DECIMALS),
        "xyz": _rounded(projection.xyz.T, _DECIMALS),
        "axes2": projection.axes_2d,
        "axes3": projection.axes_3d,
        "variance": variance,
        "k": int(neighbour_index.shape[1]),
        "neighbours": neighbour_index.tolist(),
        "cosines": _rounded(neighbour_cosine, 3),
    }


def _script_safe(text: str) -> str:
    """Text that cannot end its ``<script>`` element early: ``</script`` becomes ``<\\/script``
    (the same string to JavaScript and JSON)."""
    return re.sub(r"</(?=script)", r"<\\/", text, flags=re.IGNORECASE)


def render(data: dict[str, Any]) -> str:
    """The page: the template, with the data, plotly.js and the page's script inside it."""
    parts = {
        "TITLE": html.escape(data["title"]),
        "DATA": json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/"),
        "PLOTLY_JS": _script_safe(plotly_js()),
        "PAGE_JS": _script_safe(_template("page.js")),
    }
    # one pass, so that nothing inserted is searched for markers again
    return re.sub(r"@@(TITLE|DATA|PLOTLY_JS|PAGE_JS)@@", lambda m: parts[m.group(1)],
                  _template("page.html"))
