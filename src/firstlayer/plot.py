"""Pictures of word vectors: the chosen words on their first two principal components.

Vectors of 100 or 300 numbers cannot be drawn; PCA finds the two directions along which the
chosen vectors vary most, and each word is drawn at its coordinates along them. Words used
alike (similar vectors) land close together. ``firstlayer plot`` and ``firstlayer demo`` use it.

matplotlib is an optional dependency (``pip install "firstlayer[plot]"``), imported only when a
picture is drawn; the maths (:func:`pca_2d`) needs only NumPy. Pictures are drawn with
matplotlib's Agg renderer on a ``Figure`` of their own (never ``pyplot``, so no window opens and
no global state changes) and written atomically.

Labels in Chinese, Japanese or Korean need a font that has their characters; matplotlib's own
(DejaVu Sans) has none. :func:`plot_words` looks for an installed one (Noto Sans CJK, Source Han
Sans, WenQuanYi, Droid Sans Fallback, AR PL, and the usual macOS and Windows fonts, then any
font that has the characters). When none has them, those labels are drawn as numbers, and the
result's ``key`` says which word each number stands for: a picture of boxes that all look the
same would tell nothing. On Debian or Ubuntu, ``apt-get install fonts-noto-cjk`` (or the smaller
``fonts-wqy-zenhei``) provides a font.

>>> import numpy as np
>>> coords, explained = pca_2d(np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))
>>> coords.shape, bool(explained[0] >= explained[1])
((3, 2), True)
>>> plot_words(["猫", "狗", "red"], np.eye(3), "words.png")  # doctest: +SKIP
PlotResult(path='words.png', font='Noto Sans CJK JP', key={}, ...)
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write

INSTALL_HINT = 'pip install "firstlayer[plot]"'
FONT_HINT = (
    "install a font that has them (Debian/Ubuntu: apt-get install fonts-noto-cjk, "
    "or the smaller fonts-wqy-zenhei)"
)
# The file types a picture can be written as, from the output's suffix.
FORMATS = ("png", "svg", "pdf")

# Fonts known to cover Chinese (and mostly Japanese and Korean), tried first, in this order.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR",
    "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Source Han Sans",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
    "AR PL UMing CN", "AR PL UKai CN", "AR PL UMing TW", "AR PL SungtiL GB",
    "Noto Serif CJK SC", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti",
    "Microsoft YaHei", "SimHei", "SimSun", "Arial Unicode MS",
)
# "Last Resort" maps every character to a placeholder glyph (the same box for all the
# characters of a Unicode block): it covers nothing a reader could tell apart.
_NOT_REAL_COVERAGE = ("Last Resort",)


class MissingMatplotlibError(ImportError):
    """matplotlib, needed to draw, is not installed; the message says how to install it."""


def check_matplotlib() -> None:
    """Raise :class:`MissingMatplotlibError` (with how to install it) unless matplotlib is
    installed; imports it (~0.3 s)."""
    _matplotlib()


def _matplotlib() -> tuple[Any, Any]:
    """``(Figure, FigureCanvasAgg)``, imported now (matplotlib takes ~0.3 s to import)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingMatplotlibError(
            f"drawing needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from exc
    return Figure, FigureCanvasAgg


def has_matplotlib() -> bool:
    """Whether :func:`plot_words` can draw (matplotlib imports)."""
    try:
        _matplotlib()
    except MissingMatplotlibError:
        return False
    return True


# ---- the maths: PCA by SVD ---------------------------------------------------------------------
def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of each row on the first two principal components, and their share of the
    variance.

    The rows are centred (their mean subtracted); the SVD of the centred matrix,
    X - mean = U S Vᵀ, has the principal directions as the rows of Vᵀ, and the coordinates are
    (X - mean) Vᵀ[:2]ᵀ = U[:, :2] S[:2]. Each direction's sign is fixed so that the row with the
    largest |coordinate| along it is positive (an SVD's signs are arbitrary; this makes the
    picture the same on every machine). With fewer than two directions of variance (one or two
    rows, or identical rows) the missing coordinates are 0.

    Args:
        vectors: ``(n, D)``, one row per word, n >= 1.

    Returns:
        ``(coords, explained)``: ``coords`` ``(n, 2)`` float64; ``explained`` ``(2,)``, the share
        of the total variance along each direction (0 where there is no variance).

    >>> coords, explained = pca_2d(np.array([[1.0, 1.0], [3.0, 3.0]]))
    >>> coords.round(4).tolist(), explained.round(4).tolist()
    ([[-1.4142, 0.0], [1.4142, 0.0]], [1.0, 0.0])
    """
    return pca(vectors, 2)


def pca(vectors: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pca_2d` for any number of components (the projector's 3-D view uses 3).

    Shape: ``(n, D)`` -> ``(n, n_components)`` float64, ``(n_components,)``.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"need vectors of shape (n, D) with n, D >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the vectors hold NaN or infinite values; PCA needs finite numbers")
    centred = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = np.zeros((x.shape[0], n_components))
    explained = np.zeros(n_components)
    total = float((s**2).sum())
    for j in range(min(n_components, len(s))):
        if s[j] <= 1e-12 * max(1.0, s[0]):
            break  # no variance left: a direction here would be numerical noise
        column = u[:, j] * s[j]
        if column[np.argmax(np.abs(column))] < 0:
            column = -column
        coords[:, j] = column
        explained[j] = s[j] ** 2 / total
    return coords, explained


# ---- fonts ---------------------------------------------------------------------------------------
@dataclass
class _Font:
    name: str
    chars: frozenset[int]


@functools.lru_cache(maxsize=1)
def _installed_fonts() -> tuple[Any, list[Any]]:
    """matplotlib's font manager, with fonts installed since its cache was built added to it,
    and its fonts ordered: the known CJK ones first (in ``CJK_FONTS`` order), then the rest."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {entry.fname for entry in manager.ttflist}
    # matplotlib caches the font list on first use and does not see fonts installed later
    # (say, fonts-noto-cjk installed after the first plot): add those.
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # a file FreeType cannot read is no font of ours
    rank = {name: i for i, name in enumerate(CJK_FONTS)}
    entries = [
        e for e in manager.ttflist if not any(e.name.startswith(s) for s in _NOT_REAL_COVERAGE)
    ]
    entries.sort(key=lambda e: (rank.get(e.name, len(rank)), e.name, e.fname))
    return manager, entries


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib import ft2font

    try:
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _default_font() -> _Font:
    """The font matplotlib draws text in by default (DejaVu Sans, unless configured)."""
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    name = font_manager.get_font(path).family_name
    return _Font(name, _charmap(path))


def choose_fonts(texts: Sequence[str]) -> tuple[list[str], frozenset[int], str | None]:
    """The fonts to draw ``texts`` with: ``(families, drawable, extra)``.

    ``families`` goes to matplotlib's ``fontfamily`` (the default font, then ``extra`` for the
    characters it lacks: matplotlib falls back glyph by glyph); ``drawable`` is the set of code
    points they cover together; ``extra`` is the name of the installed font added for the
    characters the default font lacks, ``None`` when none was needed or none has any of them.
    Among the installed fonts, the first (``CJK_FONTS`` first) that has all the missing
    characters is taken, else the one that has most of them.
    """
    default = _default_font()
    needed = {ord(c) for text in texts for c in text if not c.isspace()}
    missing = needed - default.chars
    if not missing:
        return [default.name], default.chars, None
    _, entries = _installed_fonts()
    best: _Font | None = None
    best_count = 0
    for entry in entries:
        chars = _charmap(entry.fname)
        count = len(missing & chars)
        if count > best_count:
            best, best_count = _Font(entry.name, chars), count
            if count == len(missing):
                break
    if best is None:
        return [default.name], default.chars, None
    return [default.name, best.name], default.chars | best.chars, best.name


# ---- the picture ---------------------------------------------------------------------------------
@dataclass
class PlotResult:
    """What :func:`plot_words` drew.

    Attributes:
        path: where the picture was written.
        coords: ``(n, 2)``, each word's PCA coordinates (see :func:`pca_2d`; of the vectors
            scaled to length 1 with ``normalize``).
        explained: ``(2,)``, the share of the variance along each axis.
        font: the installed font added for characters matplotlib's own font lacks (CJK), or
            ``None``.
        key: ``{number: word}`` for the words drawn as a number because no installed font has
            all their characters (empty when every label is drawn as it is).
    """

    path: str
    coords: np.ndarray
    explained: np.ndarray
    font: str | None
    key: dict[int, str] = field(default_factory=dict)


def _output_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"can't tell the picture's format from {str(path)!r}: end the name with "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return suffix


def check_output_path(path: str | os.PathLike) -> None:
    """Raise ``ValueError`` unless a picture can go to ``path``: a known suffix, an existing
    folder. Commands call it first, so that a mistake stops them before any slow work.

    >>> check_output_path("words.jpg")
    Traceback (most recent call last):
    ...
    ValueError: can't tell the picture's format from 'words.jpg': end the name with .png, .svg, .pdf
    """
    _output_format(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"can't write {str(path)!r}: folder {folder!r} does not exist")


def plot_words(
    words: Sequence[str],
    vectors: np.ndarray,
    path: str | os.PathLike,
    *,
    groups: Sequence[str] | None = None,
    title: str | None = None,
    normalize: bool = True,
    dpi: int = 150,
) -> PlotResult:
    """Draw ``words`` at the PCA coordinates of their ``vectors`` and write the picture.

    Args:
        words: n labels, one per row of ``vectors``.
        vectors: ``(n, D)``.
        path: the file to write, ``.png`` (or ``.svg``, ``.pdf``); written atomically, so a
            failure leaves an existing file as it was.
        groups: n group names: each group gets its own colour and a legend entry.
        title: a title above the plot.
        normalize: scale each vector to length 1 before the PCA, so that the picture shows
            directions, which cosine similarity (and so ``most_similar``) compares; a frequent
            word's longer vector would otherwise stand apart for its length alone.
        dpi: pixels per inch of a PNG (the figure is 7 x 6 inches).

    Returns:
        A :class:`PlotResult`. Words that no installed font can draw are drawn as numbers
        (``result.key`` maps them back), with a ``UserWarning`` that says which and how to get
        a font.

    Raises:
        MissingMatplotlibError: matplotlib is not installed (the message says how to get it).
        ValueError: the lengths disagree, the vectors are not finite, or the suffix is unknown.

    Shape: ``vectors`` (n, D) -> ``result.coords`` (n, 2).

    >>> plot_words(["一", "二", "猫"], np.eye(3), "three.png")  # doctest: +SKIP
    """
    x = np.asarray(vectors)
    if x.ndim != 2 or len(words) != x.shape[0]:
        raise ValueError(f"need one word per row of the vectors: {len(words)} words, "
                         f"vectors of shape {x.shape}")
    if groups is not None and len(groups) != len(words):
        raise ValueError(f"need one group per word: {len(groups)} groups for {len(words)} words")
    fmt = _output_format(path)
    if normalize:
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms > 0, norms, 1)  # a zero vector stays at zero
    coords, explained = pca_2d(x)
    figure_cls, canvas_cls = _matplotlib()

    labels = [str(w) for w in words]
    families, drawable, extra = choose_fonts([*labels, title or "", *(groups or [])])
    key: dict[int, str] = {}
    shown = []
    for label in labels:
        if all(ord(c) in drawable or c.isspace() for c in label):
            shown.append(label)
        else:
            key[len(key) + 1] = label
            shown.append(str(len(key)))
    if key:
        missing = sorted({c for w in key.values() for c in w if ord(c) not in drawable})
        warnings.warn(
            f"no installed font has {''.join(missing[:10])}{'...' if len(missing) > 10 else ''}"
            f": {len(key)} label(s) drawn as numbers; {FONT_HINT}",
            UserWarning, stacklevel=2,
        )

    def safe(text: str) -> str:  # a title or group name: undrawable characters are left out
        return " ".join("".join(c for c in text if ord(c) in drawable or c.isspace()).split())

    fig = figure_cls(figsize=(7, 6), dpi=dpi)
    canvas_cls(fig)
    ax = fig.add_subplot()
    names = list(dict.fromkeys(groups)) if groups is not None else [None]
    colours = [f"C{i % 10}" for i in range(len(names))]
    for name, colour in zip(names, colours):
        rows = [i for i in range(len(labels)) if groups is None or groups[i] == name]
        ax.scatter(coords[rows, 0], coords[rows, 1], s=28, color=colour,
                   label=None if name is None else safe(name))
        for i in rows:
            ax.annotate(shown[i], (coords[i, 0], coords[i, 1]), xytext=(4, 4),
                        textcoords="offset points", fontsize=12, color=colour,
                        fontfamily=families)
    if groups is not None:
        ax.legend(prop={"family": families}, loc="best", fontsize=10)
    ax.set_xlabel(f"principal component 1 ({explained[0]:.0%} of the variance)")
    ax.set_ylabel(f"principal component 2 ({explained[1]:.0%} of the variance)")
    if title:
        ax.set_title(safe(title), fontfamily=families)
    # Equal scales: distances in the picture are distances between the projected vectors.
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    with _quiet_font_lookup():
        fig.tight_layout()
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format=fmt, dpi=dpi)
    return PlotResult(str(path), coords, explained, extra, key)


@contextlib.contextmanager
def _quiet_font_lookup() -> Iterator[None]:
    """Silence matplotlib's font lookup log while drawing.

    It logs "Failed to find font weight normal for WenQuanYi Zen Hei, now using 500" for a
    CJK font that comes in one weight only; the text is drawn all the same.
    """
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
