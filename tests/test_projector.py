"""firstlayer.projector and ``firstlayer projector``, on the Python side: the points, their
neighbours (== KeyedVectors.most_similar), the projections, the page's bytes, bad input and the
command line. The page in a real browser: tests/test_projector_browser.py."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
import time
import types
import urllib.request
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly", reason="the projector page needs plotly (the test extra has it)")

import firstlayer.nn as nn  # noqa: E402
from firstlayer import projector  # noqa: E402
from firstlayer.cli import main  # noqa: E402
from firstlayer.demo_corpus import GROUPS  # noqa: E402
from firstlayer.projector import MissingExtraError, ProjectorWarning, prepare  # noqa: E402
from firstlayer.projector.data import NO_GROUP, read_labels  # noqa: E402
from firstlayer.projector.page import NO_GROUP_COLOUR, PALETTE  # noqa: E402
from firstlayer.vectors import KeyedVectors, load  # noqa: E402

# The demo's four groups of characters, and a group of English words for searching by prefix.
GROUPS_PLUS = {**GROUPS, "english": "cat cats car dog door".split()}


def grouped_vectors(dim: int = 16, seed: int = 0) -> tuple[KeyedVectors, dict[str, str]]:
    """Vectors that form one cloud per group, and the group of each key."""
    rng = np.random.default_rng(seed)
    keys, rows, labels = [], [], {}
    for name, members in GROUPS_PLUS.items():
        centre = rng.standard_normal(dim) * 2
        for key in members:
            keys.append(key)
            rows.append(centre + rng.standard_normal(dim))
            labels[key] = name
    return KeyedVectors.from_arrays(keys, np.array(rows, np.float32)), labels


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("projector")
    kv, labels = grouped_vectors()
    kv.save(folder / "vectors.txt")
    (folder / "labels.tsv").write_text(
        "".join(f"{k}\t{g}\n" for k, g in labels.items()), encoding="utf-8"
    )
    (folder / "words.txt").write_text("猫\n狗\nnot-a-key\n红\nalso-missing\n", encoding="utf-8")
    return {"folder": folder, "vectors": folder / "vectors.txt", "labels": folder / "labels.tsv",
            "words": folder / "words.txt"}


def assert_neighbours_match(data: dict, kv: KeyedVectors, k: int) -> None:
    """The page's neighbours of every key are most_similar's: the same keys in the same order,
    and the cosine shown to 3 decimals is most_similar's (float32 rounding aside)."""
    keys = data["keys"]
    for i, key in enumerate(keys):
        expected = kv.most_similar(key, topn=k)
        assert [keys[j] for j in data["neighbours"][i]] == [str(w) for w, _ in expected], key
        shown = data["cosines"][i]
        assert len(shown) == len(expected)
        for c, (_, score) in zip(shown, expected):
            assert abs(c - score) <= 0.0005 + 1e-6, (key, c, score)


# ---- the points and their neighbours -------------------------------------------------------------
def test_neighbours_equal_most_similar() -> None:
    kv, _ = grouped_vectors()
    data = prepare(kv, neighbors=10)
    assert data["k"] == 10 and len(data["keys"]) == len(kv)
    assert_neighbours_match(data, kv, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_neighbours_equal_most_similar_many_points(dtype: type) -> None:
    rng = np.random.default_rng(1)
    kv = KeyedVectors.from_arrays(
        [f"w{i}" for i in range(400)], rng.standard_normal((400, 24)).astype(dtype)
    )
    data = prepare(kv, neighbors=7)
    assert_neighbours_match(data, kv, 7)


def test_neighbours_of_a_subset_are_those_among_the_points(files: dict[str, Path]) -> None:
    # a file cut by limit: the neighbours among its first 20 keys, as load(limit=20) gives them
    data = prepare(files["vectors"], limit=20, neighbors=5)
    assert_neighbours_match(data, load(files["vectors"], limit=20), 5)
    # chosen keys: among those keys
    kv, _ = grouped_vectors()
    chosen = ["猫", "狗", "马", "红", "蓝", "一", "二", "cat", "dog"]
    data = prepare(kv, keys=chosen, neighbors=3)
    assert data["keys"] == chosen
    assert_neighbours_match(data, KeyedVectors.from_arrays(chosen, kv[chosen]), 3)


def test_fewer_points_than_neighbours() -> None:
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32) + 0.1)
    data = prepare(kv, neighbors=10)
    assert data["k"] == 2 and [len(n) for n in data["neighbours"]] == [2, 2, 2]
    single = prepare(KeyedVectors.from_arrays(["a"], np.ones((1, 3), np.float32)))
    assert single["neighbours"] == [[]] and single["xy"] == [[0.0], [0.0]]
    assert prepare(kv, neighbors=0)["neighbours"] == [[], [], []]


def test_every_kind_of_source_gives_the_same_points(files: dict[str, Path]) -> None:
    import torch

    from firstlayer.models import Word2Vec

    kv, _ = grouped_vectors()
    keys = list(kv.index_to_key)
    weight = np.asarray(kv.vectors)
    emb = nn.Embedding.from_pretrained(__import__("firstlayer").tensor(weight))
    sources = {
        "path": files["vectors"],
        "str path": str(files["vectors"]),
        "KeyedVectors": kv,
        "(nn.Embedding, list)": (emb, keys),
        "(torch Embedding, dict)": (
            torch.nn.Embedding.from_pretrained(torch.tensor(weight)),
            {k: i for i, k in enumerate(keys)},
        ),
        "(array, list)": (weight, keys),
    }
    reference = prepare(kv, neighbors=4)
    for name, source in sources.items():
        data = prepare(source, neighbors=4)
        assert data["keys"] == reference["keys"], name
        assert data["neighbours"] == reference["neighbours"], name
        assert np.allclose(data["xyz"], reference["xyz"], atol=2e-5), name
    # a trained model: its .wv
    model = Word2Vec([list("猫狗马牛羊"), list("红黄蓝白黑")] * 20, vector_size=8, min_count=1,
                     epochs=1, workers=1, seed=0, progress=False)
    data = prepare(model, neighbors=3)
    assert data["keys"] == [str(k) for k in model.wv.index_to_key]
    assert_neighbours_match(data, model.wv, 3)


def test_a_fasttext_model(tmp_path: Path) -> None:
    from firstlayer.models import train_unsupervised

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("猫 狗 马 牛\n红 黄 蓝 白\n" * 30, encoding="utf-8")
    model = train_unsupervised(str(corpus), dim=8, epoch=1, minCount=1, thread=1, verbose=0)
    data = prepare(model, limit=4, neighbors=2)
    assert data["keys"] == list(model.words)[:4]
    # any word has a fastText vector (its character n-grams): asked keys are all found
    data = prepare(model, keys=["猫", "unseen"], neighbors=1)
    assert data["keys"] == ["猫", "unseen"]


def test_an_embedding_with_a_vocabulary_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="3 tokens but the embedding 4 rows"):
        prepare((np.zeros((4, 2), np.float32), ["a", "b", "c"]))
    with pytest.raises(TypeError, match="source must be"):
        prepare(42)


# ---- projections ---------------------------------------------------------------------------------
def test_pca_of_the_unit_vectors_with_variance_shares() -> None:
    kv, _ = grouped_vectors()
    data = prepare(kv)
    xyz = np.array(data["xyz"]).T
    assert np.array_equal(np.array(data["xy"]).T, xyz[:, :2])  # 2-D = the first two axes
    unit = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    centred = unit - unit.mean(axis=0)
    u, s, _ = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    # the same coordinates as the SVD's, up to each axis' sign
    assert np.allclose(np.abs(xyz), np.abs(u[:, :3] * s[:3]), atol=1e-4)
    share = s[:3] ** 2 / (s**2).sum()
    titles = [f"PC{i + 1} ({v:.1%} of variance)" for i, v in enumerate(share)]
    assert data["axes3"] == titles and data["axes2"] == titles[:2]
    assert share[0] >= share[1] >= share[2]
    assert data["variance"].startswith("PCA") and f"{share[0]:.1%}" in data["variance"]


@pytest.mark.parametrize("name,module", [("tsne", "sklearn"), ("umap", "umap")])
def test_tsne_and_umap_place_every_point(name: str, module: str) -> None:
    pytest.importorskip(module, reason=f"the {name} extra is not installed (the test extra has it)")
    kv, _ = grouped_vectors()
    data = prepare(kv, projection=name, seed=3)
    assert np.isfinite(data["xyz"]).all() and np.array(data["xy"]).shape == (2, len(kv))
    assert data["axes3"][0].endswith(" 1") and "cosine" in data["variance"]
    assert prepare(kv, projection=name, seed=3) == data  # seeded: the same every time


def test_tsne_needs_a_few_points() -> None:
    pytest.importorskip("sklearn")
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError, match="needs at least 4 points, got 3; use pca"):
        prepare(kv, projection="tsne")


# ---- the page ------------------------------------------------------------------------------------
def page_json(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="projector-data">(.*?)</script>', html,
                  re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_the_page_is_self_contained(files: dict[str, Path]) -> None:
    html = projector.to_html(files["vectors"], labels=files["labels"])
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    tags = re.findall(r"<(script|link|img|iframe)\b[^>]*>", html, re.I)
    assert tags == ["script"] * 3  # the data, plotly.js, the page's script: all inline
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert html.count("</script>") == 3  # nothing inside closes a script early
    from plotly.offline import get_plotlyjs

    assert get_plotlyjs()[:2000] in html  # plotly.js from the Python package, as it ships
    data = page_json(html)
    assert data["keys"][:3] == ["一", "二", "三"] and "猫" in data["keys"]  # Chinese as it is
    assert 'data-testid="search"' in html and 'data-testid="neighbours"' in html
    assert 'data-testid="count"' in html


def test_the_same_input_gives_the_same_bytes(files: dict[str, Path], tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    projector.write_html(files["vectors"], first, labels=files["labels"])
    projector.write_html(files["vectors"], second, labels=files["labels"])
    assert first.read_bytes() == second.read_bytes()
    kv, labels = grouped_vectors()
    assert projector.to_html(kv, labels=labels) == projector.to_html(kv, labels=labels)
    # t-SNE and UMAP, seeded: test_tsne_and_umap_place_every_point


def test_labels_colour_the_groups(files: dict[str, Path]) -> None:
    labels = read_labels(files["labels"])
    assert labels["猫"] == "animals" and labels["cat"] == "english"
    data = prepare(files["vectors"], labels=files["labels"])
    names = [g["name"] for g in data["groups"]]
    assert names == list(GROUPS_PLUS)  # in order of first appearance
    assert [g["color"] for g in data["groups"]] == list(PALETTE[: len(names)])
    assert data["showLegend"] and data["legendTitle"] == "labels.tsv"
    assert [names[g] for g in data["group"]] == [labels[k] for k in data["keys"]]
    # a mapping that leaves keys out: those are one grey group, last
    data = prepare(files["vectors"], labels={"猫": "pet", "狗": "pet"})
    assert [g["name"] for g in data["groups"]] == ["pet", NO_GROUP]
    assert data["groups"][1]["color"] == NO_GROUP_COLOUR
    # one group per point
    kv, _ = grouped_vectors()
    data = prepare(kv, labels=["x"] * len(kv))
    assert [g["name"] for g in data["groups"]] == ["x"]
    with pytest.raises(ValueError, match="got 2 groups for 38 points"):
        prepare(kv, labels=["x", "y"])
    # no labels: one colour, no legend
    assert not prepare(kv)["showLegend"]


def test_a_bad_labels_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("key\tgroup\n猫\tanimal\nlonely\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv, line 3: expected 'key<TAB>group'"):
        read_labels(bad)
    bad.write_text("key\tgroup\n猫 animal\n", encoding="utf-8")
    assert read_labels(bad) == {"猫": "animal"}  # the header is skipped; a space also splits


# ---- bad input -----------------------------------------------------------------------------------
def test_missing_keys_are_left_out_and_named(files: dict[str, Path]) -> None:
    with pytest.warns(ProjectorWarning, match=r"left out \(2 of 5\): 'not-a-key', 'also-missing'"):
        data = prepare(files["vectors"], keys=["猫", "狗", "not-a-key", "红", "also-missing"])
    assert data["keys"] == ["猫", "狗", "红"]
    with pytest.raises(ValueError, match="none of the 2 keys asked for are in the vectors"):
        prepare(files["vectors"], keys=["x", "y"])


def test_limit_must_be_positive_and_caps_the_keys(files: dict[str, Path]) -> None:
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="limit must be a whole number of points, at least 1"):
            prepare(files["vectors"], limit=bad)  # type: ignore[arg-type]
    assert len(prepare(files["vectors"], limit=1000)["keys"]) == 38  # the file's all
    with pytest.warns(ProjectorWarning, match="3 keys asked for, drawing the first 2"):
        data = prepare(files["vectors"], keys=["猫", "狗", "红"], limit=2)
    assert data["keys"] == ["猫", "狗"]
    with pytest.raises(ValueError, match="neighbors must be 0 or more"):
        prepare(files["vectors"], neighbors=-1)
    with pytest.raises(ValueError, match="unknown projection 'pcaa'; choose one of pca, tsne"):
        prepare(files["vectors"], projection="pcaa")


def test_missing_extra_is_named(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)  # None: "not installed"
    monkeypatch.setitem(sys.modules, "umap", None)
    with pytest.raises(MissingExtraError, match=r'needs scikit-learn.*"firstlayer\[tsne\]"'):
        prepare(files["vectors"], projection="tsne")
    with pytest.raises(MissingExtraError, match=r'needs umap-learn.*"firstlayer\[umap\]"'):
        prepare(files["vectors"], projection="umap")
    monkeypatch.setitem(sys.modules, "plotly.offline", None)
    with pytest.raises(MissingExtraError, match=r'plotly.*"firstlayer\[projector\]"'):
        projector.to_html(files["vectors"])


def test_nothing_half_written(files: dict[str, Path], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match="folder .* does not exist"):
        projector.write_html(files["vectors"], tmp_path / "no-such-folder" / "page.html")
    page = tmp_path / "page.html"
    page.write_text("the old page", encoding="utf-8")

    def broken(data: dict) -> str:
        raise RuntimeError("disk on fire")

    import firstlayer.projector.page as page_module

    monkeypatch.setattr(page_module, "render", broken)
    monkeypatch.setattr(projector, "render", broken)
    with pytest.raises(RuntimeError):
        projector.write_html(files["vectors"], page)
    assert page.read_text(encoding="utf-8") == "the old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]  # no temporary left


def test_package_data_ships_the_template() -> None:
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["firstlayer.projector"]
    folder = Path(projector.__file__).parent
    on_disk = sorted(p.name for p in folder.iterdir() if p.suffix in (".html", ".js"))
    assert sorted(shipped) == on_disk == ["page.html", "page.js"]
    extras = config["project"]["optional-dependencies"]
    assert any(r.startswith("plotly") for r in extras["projector"])
    assert any(r.startswith("plotly") for r in extras["test"])
    assert any(r.startswith("selenium") for r in extras["test"])


# ---- the notebook --------------------------------------------------------------------------------
def test_show_displays_the_page_in_a_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list = []
    display_module = types.ModuleType("IPython.display")
    display_module.HTML = lambda text: ("HTML", text)  # type: ignore[attr-defined]
    display_module.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    kv, _ = grouped_vectors()
    assert projector.show(kv, height=500) is None
    (kind, frame), = shown
    assert kind == "HTML" and frame.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert "height: 500px" in frame and '"' not in frame[len('<iframe srcdoc="'):frame.index(
        '" style')]
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(ImportError, match="needs IPython.*write_html"):
        projector.show(kv)


# ---- the command line ----------------------------------------------------------------------------
def cli(*args: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("error")  # the command says its warnings itself, on stderr
        status = main(["projector", *map(str, args)])
    return status, out.getvalue(), err.getvalue()


def test_cli_writes_the_page(files: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    status, out, err = cli(files["vectors"], "-o", page, "--labels", files["labels"],
                           "--neighbors", 5)
    assert (status, err) == (0, "")
    assert out.startswith(f"wrote {page}: 38 points, PCA of the unit vectors; the 3 axes ")
    assert out.rstrip().endswith("; 5 neighbours each")
    html = page.read_text(encoding="utf-8")
    data = page_json(html)
    assert data["title"] == "vectors.txt" and data["k"] == 5
    assert html == projector.to_html(files["vectors"], labels=files["labels"], neighbors=5,
                                      title="vectors.txt")


def test_cli_words_file_with_missing_keys(files: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    status, out, err = cli(files["vectors"], "-o", page, "--words", files["words"])
    assert status == 0 and "3 points" in out
    assert err == ("firstlayer projector: warning: keys not in the vectors, left out (2 of 5): "
                   "'not-a-key', 'also-missing'\n")
    assert page_json(page.read_text(encoding="utf-8"))["keys"] == ["猫", "狗", "红"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--limit", "0"], "--limit must be at least 1, got 0"),
        (["--neighbors", "-2"], "--neighbors must be 0 or more, got -2"),
        (["--port", "9000"], "--port goes with --serve"),
        (["--words", "no-such-words.txt"], "--words: no such file: 'no-such-words.txt'"),
        (["--labels", "no-such-labels.tsv"], "--labels: no such file: 'no-such-labels.tsv'"),
        (["--format", "csv"], "unknown vector format 'csv'"),
    ],
)
def test_cli_usage_errors(files: dict[str, Path], tmp_path: Path, args: list[str],
                          message: str) -> None:
    page = tmp_path / "page.html"
    status, out, err = cli(files["vectors"], "-o", page, *args)
    assert status == 2 and out == ""
    assert err.startswith("firstlayer projector: error: " + message), err
    assert err.count("\n") == 1 and not page.exists()


def test_cli_bad_paths(files: dict[str, Path], tmp_path: Path) -> None:
    status, _, err = cli(files["vectors"], "-o", tmp_path / "nope" / "page.html")
    assert status == 2 and "folder" in err and "does not exist" in err
    status, _, err = cli(tmp_path / "no-vectors.txt", "-o", tmp_path / "page.html")
    assert status == 2 and "no such file" in err and not (tmp_path / "page.html").exists()
    status, _, err = cli(files["vectors"])
    assert status == 2 and "give the page to write with -o PAGE" in err


def test_cli_limit_beyond_the_file_warns(files: dict[str, Path], tmp_path: Path) -> None:
    status, out, err = cli(files["vectors"], "-o", tmp_path / "p.html", "--limit", 500)
    assert status == 0 and "38 points" in out
    assert err == ("firstlayer projector: warning: vectors.txt holds 38 vectors, fewer than "
                   "--limit 500: drawing all 38\n".replace("vectors.txt", str(files["vectors"])))
    status, out, _ = cli(files["vectors"], "-o", tmp_path / "p.html", "--limit", 7)
    assert status == 0 and "7 points" in out


def test_cli_missing_extra(files: dict[str, Path], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    status, _, err = cli(files["vectors"], "-o", tmp_path / "p.html", "--projection", "tsne")
    assert status == 2 and 'pip install "firstlayer[tsne]"' in err
    assert not (tmp_path / "p.html").exists()


def test_cli_port_in_use_suggests_another(files: dict[str, Path], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = cli(files["vectors"], "-o", tmp_path / "p.html", "--serve",
                               "--port", port)
    assert status == 2 and out == ""
    m = re.fullmatch(rf"firstlayer projector: error: port {port} is in use \(another server is "
                     r"listening there\); choose another, e.g. --port (\d+)\n", err)
    assert m is not None, err
    assert int(m.group(1)) != port
    assert not (tmp_path / "p.html").exists()  # said before any work


def test_cli_serves_the_page(files: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "served.html"
    proc = subprocess.Popen(
        [sys.executable, "-m", "firstlayer", "projector", str(files["vectors"]), "-o", str(page),
         "--serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )
    try:
        assert proc.stdout is not None
        wrote = proc.stdout.readline()
        serving = proc.stdout.readline()
        assert wrote.startswith(f"wrote {page}: 38 points"), (wrote, proc.stderr)
        m = re.fullmatch(r"serving it at (http://127\.0\.0\.1:\d+/) \(Ctrl\+C to stop\)\n",
                         serving)
        assert m is not None, serving
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(m.group(1), timeout=5) as response:
                    body = response.read()
                    kind = response.headers["Content-Type"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert body == page.read_bytes() and kind == "text/html; charset=utf-8"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(m.group(1) + "secret.txt", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- the demo ------------------------------------------------------------------------------------
def test_demo_writes_the_page_beside_its_picture(tmp_path: Path) -> None:
    from firstlayer import demo

    kv, _ = grouped_vectors()
    chars = list("".join(GROUPS.values()))
    ns = {"GROUPS": GROUPS, "chars": chars, "model": kv}
    out = io.StringIO()
    with redirect_stdout(out):
        demo._section_page(ns, str(tmp_path / "firstlayer-demo.png"))
    page = tmp_path / "firstlayer-demo.html"
    assert f"Page: {page}\n" in out.getvalue()
    data = page_json(page.read_text(encoding="utf-8"))
    assert data["keys"] == chars
    assert [g["name"] for g in data["groups"]] == [f"{n} {g}" for n, g in GROUPS.items()]
