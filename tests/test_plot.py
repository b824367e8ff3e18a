"""``firstlayer.plot`` and ``firstlayer plot``: the PCA against decompositions computed here, the
picture written end to end in tmp_path, CJK labels with and without a font, and every user
error as one line with exit status 2 and nothing written.

The drawing tests need matplotlib (the ``plot`` extra) and skip without it; the maths, the
errors and the missing-matplotlib message are tested either way.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstlayer import plot
from firstlayer.cli import main
from firstlayer.plot import pca_2d, plot_words
from firstlayer.vectors import KeyedVectors

needs_matplotlib = pytest.mark.skipif(not plot.has_matplotlib(),
                                      reason='needs matplotlib: pip install "firstlayer[plot]"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WORDS = ["猫", "狗", "红", "黑", "一", "二", "king"]


@pytest.fixture
def vectors_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    kv = KeyedVectors.from_arrays(WORDS + ["的"], rng.normal(size=(8, 5)).astype(np.float32))
    path = tmp_path / "chars.vec"
    kv.save_word2vec_format(path)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


# ---- PCA -----------------------------------------------------------------------------------------
def test_pca_on_a_toy_example_against_svd() -> None:
    x = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 1.0], [-2.0, 0.0, 1.0], [0.0, -1.0, 1.0],
                  [0.5, 0.2, 1.0]])
    coords, explained = pca_2d(x)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred)
    expected = centred @ vt[:2].T
    signs = np.sign((coords * expected).sum(axis=0))  # an SVD's signs are arbitrary
    np.testing.assert_allclose(coords, expected * signs, atol=1e-12)
    np.testing.assert_allclose(explained, s[:2] ** 2 / (s**2).sum())
    # The spread along x is the largest, so the first axis is about x.
    assert explained[0] > explained[1] > 0 and abs(vt[0, 0]) > 0.9


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 12), d=st.integers(2, 8), seed=st.integers(0, 2**16))
def test_pca_against_the_covariance_eigenvectors(n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.1, 3, d) + rng.normal(size=d)
    coords, explained = pca_2d(x)
    centred = x - x.mean(axis=0)
    # An independent route: the eigenvectors of the covariance matrix, largest first.
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1][:2]
    expected = centred @ vectors[:, order]
    for j in range(2):
        if values[order[j]] < 1e-9 * values.max():
            assert np.all(coords[:, j] == 0)  # no variance left along this axis
            continue
        sign = np.sign(coords[:, j] @ expected[:, j])
        np.testing.assert_allclose(coords[:, j], sign * expected[:, j], atol=1e-8)
        # The sign rule: the largest |coordinate| along each axis is positive.
        assert coords[np.argmax(np.abs(coords[:, j])), j] > 0
    np.testing.assert_allclose(explained, np.clip(values[order], 0, None) / values.sum(),
                               atol=1e-9)
    # Centred, uncorrelated coordinates: what makes them principal components.
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-9)
    assert abs(coords[:, 0] @ coords[:, 1]) < 1e-8 * max(1.0, float(values.max()))


def test_pca_with_less_than_two_directions_of_variance() -> None:
    coords, explained = pca_2d(np.array([[1.0, 1.0], [3.0, 3.0]]))
    np.testing.assert_allclose(coords, [[-np.sqrt(2), 0], [np.sqrt(2), 0]])
    assert explained.tolist() == [1.0, 0.0]
    coords, explained = pca_2d(np.ones((3, 4)))  # identical rows: no variance at all
    assert coords.tolist() == [[0.0, 0.0]] * 3 and explained.tolist() == [0.0, 0.0]
    coords, _ = pca_2d(np.array([[5.0, 1.0]]))
    assert coords.tolist() == [[0.0, 0.0]]


def test_pca_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"shape \(n, D\).*got shape \(3,\)"):
        pca_2d(np.ones(3))
    with pytest.raises(ValueError, match="NaN or infinite"):
        pca_2d(np.array([[1.0, np.nan], [0.0, 1.0]]))


# ---- the picture ---------------------------------------------------------------------------
@needs_matplotlib
def test_plot_words_writes_a_png_at_the_pca_coordinates(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 4))
    path = tmp_path / "six.png"
    result = plot_words(list("abcdef"), x, path, normalize=False)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    np.testing.assert_array_equal(result.coords, pca_2d(x)[0])
    assert result.path == str(path) and result.key == {}
    # normalize=True: the PCA of the rows scaled to length 1.
    result = plot_words(list("abcdef"), x, path)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(result.coords, pca_2d(unit)[0])
    # The PNG is 7 x 6 inches at the dpi asked.
    from matplotlib.image import imread

    assert imread(path).shape[:2] == (6 * 150, 7 * 150)
    assert list(tmp_path.iterdir()) == [path]  # the atomic write left no temporary file
    # ...and gave the file the usual permissions (0666 less the umask), not mkstemp's 0600.
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@needs_matplotlib
def test_svg_and_pdf_by_suffix_and_groups(tmp_path: Path) -> None:
    x = np.eye(4)
    plot_words(list("abcd"), x, tmp_path / "g.svg", groups=["x", "x", "y", "y"], title="t")
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    plot_words(list("abcd"), x, tmp_path / "g.pdf")
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_plot_words_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="end the name with .png, .svg, .pdf"):
        plot_words(["a", "b"], np.eye(2), tmp_path / "x.jpg")
    with pytest.raises(ValueError, match=r"one word per row of the vectors: 3 words, .* \(2, 2\)"):
        plot_words(["a", "b", "c"], np.eye(2), tmp_path / "x.png")
    with pytest.raises(ValueError, match="one group per word: 1 groups for 2 words"):
        plot_words(["a", "b"], np.eye(2), tmp_path / "x.png", groups=["g"])
    assert list(tmp_path.iterdir()) == []


@needs_matplotlib
def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    path = tmp_path / "old.png"
    path.write_bytes(b"old picture")

    def broken(self: Figure, *args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot_words(["a", "b"], np.eye(2), path)
    assert path.read_bytes() == b"old picture" and list(tmp_path.iterdir()) == [path]


# ---- CJK labels ----------------------------------------------------------------------------------
@needs_matplotlib
def test_without_a_cjk_font_labels_become_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plot, "_installed_fonts", lambda: (None, []))  # no font but the default
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = plot_words(["猫", "dog", "红色", "é"], np.eye(4), tmp_path / "p.png")
    assert result.font is None
    assert result.key == {1: "猫", 2: "红色"}  # the default font draws "dog" and "é"
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages  # ours; not matplotlib's "Glyph ... missing"
    assert "no installed font has 猫红色: 2 label(s) drawn as numbers" in messages[0]
    assert "apt-get install fonts-noto-cjk" in messages[0]


@needs_matplotlib
def test_a_cjk_font_draws_the_characters(tmp_path: Path) -> None:
    families, drawable, extra = plot.choose_fonts(["猫狗"])
    if extra is None:
        pytest.skip("no CJK font installed (e.g. apt-get install fonts-wqy-zenhei)")
    assert ord("猫") in drawable and ord("a") in drawable and families[1] == extra
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = plot_words(["猫", "狗", "cat"], np.eye(3), tmp_path / "p.png", title="猫")
    assert result.font == extra and result.key == {}
    assert [str(w.message) for w in caught] == []  # no "Glyph ... missing from font(s)"


def test_last_resort_font_does_not_count() -> None:
    # matplotlib >= 3.10 ships "Last Resort", which has a placeholder glyph for every
    # character: it must never be taken for a font that can draw Chinese.
    assert any(name.startswith("Last Resort") for name in plot._NOT_REAL_COVERAGE)
    if plot.has_matplotlib():
        _, entries = plot._installed_fonts()
        assert not any(e.name.startswith("Last Resort") for e in entries)


# ---- firstlayer plot -----------------------------------------------------------------------------
@needs_matplotlib
def test_cli_writes_the_picture(
    vectors_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "plot.png"
    status, out, err = run(["plot", str(vectors_file), *WORDS, "猫", "-o", str(out_path)], capsys)
    assert status == 0, err
    assert out_path.read_bytes().startswith(PNG_MAGIC) and out_path.stat().st_size > 10_000
    assert out.startswith(f"wrote {out_path}: 7 words, vectors scaled to length 1; the axes hold ")
    if "labels drawn as numbers" in out:  # no CJK font here: the key is printed
        assert "    1  猫" in out and "king" not in out
        assert err.startswith("firstlayer plot: warning: no installed font has")
    else:
        assert err == ""


@needs_matplotlib
def test_cli_raw_and_title(
    vectors_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["plot", str(vectors_file), "king", "猫", "狗", "-o",
                          str(tmp_path / "p.svg"), "--raw", "--title", "three"], capsys)
    assert status == 0 and "vectors as they are" in out
    assert "three" in (tmp_path / "p.svg").read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["猫", "nope", "也不", "-o", "{tmp}/p.png"], "2 word(s) not in {vec}: 'nope', '也不'"),
        (["猫", "猫", "-o", "{tmp}/p.png"], "give at least 2 different words to plot, got 1"),
        (["猫", "狗", "-o", "{tmp}/p.jpg"], "end the name with .png, .svg, .pdf"),
        (["猫", "狗", "-o", "{tmp}/no/p.png"], "folder '{tmp}/no' does not exist"),
        (["猫", "狗", "-o", "{tmp}/p.png", "--format", "bin"], "unknown vector format 'bin'"),
    ],
)
def test_cli_user_errors(
    args: list[str], says: str, vectors_file: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if "not in" in says and not plot.has_matplotlib():
        pytest.skip("the missing matplotlib is reported first")
    fill = {"tmp": str(tmp_path), "vec": str(vectors_file)}
    status, out, err = run(["plot", str(vectors_file), *(a.format(**fill) for a in args)], capsys)
    assert status == 2 and out == ""
    assert err.splitlines() == [f"firstlayer plot: error: {says.format(**fill)}"] or (
        len(err.splitlines()) == 1 and says.format(**fill) in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chars.vec"]  # nothing written


@needs_matplotlib
def test_cli_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["plot", str(tmp_path / "missing.vec"), "a", "b", "-o",
                          str(tmp_path / "p.png")], capsys)
    assert status == 2 and err.startswith("firstlayer plot: error: no such file")
    bad = tmp_path / "bad.vec"
    bad.write_bytes(b"\x93NUMPY not vectors")
    status, _, err = run(["plot", str(bad), "a", "b", "-o", str(tmp_path / "p.png")], capsys)
    assert status == 2 and len(err.splitlines()) == 1 and "NumPy" in err
    assert not (tmp_path / "p.png").exists()


def test_cli_without_matplotlib(
    vectors_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends",
                 "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    assert not plot.has_matplotlib()
    status, out, err = run(["plot", str(vectors_file), "猫", "狗", "-o",
                            str(tmp_path / "p.png")], capsys)
    assert status == 2 and out == ""
    assert err == ('firstlayer plot: error: drawing needs matplotlib, which is not installed: '
                   'pip install "firstlayer[plot]"\n')
    assert not (tmp_path / "p.png").exists()
    with pytest.raises(plot.MissingMatplotlibError, match=r'pip install "firstlayer\[plot\]"'):
        plot_words(["a", "b"], np.eye(2), tmp_path / "p.png")


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "VECTORS WORD [WORD ...]" in out and "--output" in out and "firstlayer[plot]" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", "file.vec", "a"])  # -o is required
    assert exit_info.value.code == 2
    assert "the following arguments are required: -o/--output" in capsys.readouterr().err
