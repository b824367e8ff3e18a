"""The ``firstlayer`` command line and ``firstlayer demo``, run as a user runs them: in a
subprocess, through ``python -m``. The demo runs three times in all (``--quick``, ~3 s each)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import firstlayer as torch
from firstlayer.demo import measure

HEADINGS = [
    "1. Characters -> ids -> one-hot vectors",
    "2. Linear on one-hot vectors = Embedding on ids",
    "3. Initialising the first layer",
    "4. Training moves the vectors",
    "5. Why not one-hot + Linear: time and memory",
]
# Lines holding a measured time or a ratio made from one: they differ from run to run.
TIMING = re.compile(r"\d (ms|s)\b|\d+x\b|\d x$")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "firstlayer", *args], capture_output=True, timeout=120,
        env=env, encoding="utf-8",
    )


@pytest.fixture(scope="module", autouse=True)
def private_tmpdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo writes its picture into the temporary folder: make that one of pytest's."""
    folder = tmp_path_factory.mktemp("tmpdir")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(folder))  # seen by tempfile.gettempdir() in the subprocesses
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):  # a Chinese locale: the tour in zh
            if os.environ.get(name, "").lower().startswith("zh"):  # (tests/test_demo_lang.py)
                mp.delenv(name)
        yield folder


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess:
    return run_cli("demo", "--quick")


def without_timings(text: str) -> list[str]:
    return [line for line in text.splitlines() if not TIMING.search(line)]


def columns(line: str) -> int:
    """Terminal columns of ``line``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_demo_runs_every_section(demo: subprocess.CompletedProcess) -> None:
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""
    out = demo.stdout
    positions = [out.find(h + "\n" + "=" * len(h)) for h in HEADINGS]
    assert -1 not in positions and positions == sorted(positions)
    # Section 1: the vocabulary and the one-hot vectors torch.eye(2), printed as torch does.
    assert '>>> vocab = {"我": 0, "你": 1}' in out
    assert "tensor([[1., 0.],\n        [0., 1.]])" in out
    # Section 3: the three ways, and from_pretrained's table, frozen.
    assert "fc.weight = nn.Parameter(torch.rand(2, 2))" in out
    assert "embedding.weight.data.uniform_(-1, 1)" in out
    assert "Parameter containing:\ntensor([[1., 2.],\n        [2., 2.]])\n" in out
    assert ">>> embedding.weight.requires_grad  # freeze=False to train it further\nFalse" in out
    bound, largest = map(float, re.search(r"bound b = ([\d.]+), largest \|w\| = ([\d.]+)",
                                          out).groups())
    assert bound == pytest.approx((6 / 178) ** 0.5, abs=1e-4) and 0 < largest <= bound
    # The run ends on a one-line summary.
    assert out.rstrip("\n").splitlines()[-1].startswith("Summary: Embedding = one-hot + Linear")


def test_demo_linear_equals_embedding(demo: subprocess.CompletedProcess) -> None:
    out = demo.stdout
    outputs = float(re.search(r"max \|difference\| of the outputs: (\S+)", out).group(1))
    grads = float(re.search(r"max \|difference\| of the gradients: (\S+)", out).group(1))
    assert outputs == 0.0 and grads == 0.0  # 2x2: exactly the same numbers
    # Section 5, at V=5,000 with repeated ids: equal up to float32 rounding.
    m = re.search(r"same results: +max \|difference\| (\S+) \(outputs\), (\S+) \(grads\)", out)
    assert m is not None
    assert float(m.group(1)) < 1e-6 and float(m.group(2)) < 1e-6


def test_demo_loss_goes_down_and_vectors_move(demo: subprocess.CompletedProcess) -> None:
    out = demo.stdout
    steps = [(int(s), float(v)) for s, v in re.findall(r"step +(\d+) +loss ([\d.]+)", out)]
    assert len(steps) >= 4 and steps[0][0] == 1
    losses = [v for _, v in steps]
    assert all(a > b for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < losses[0] / 2
    # The first two rows of the table, before and after training: printed, and different.
    tables = re.findall(r"# the vectors of 我 and 你 before training...\n(.*?)\n>>>", out, re.S)
    after = re.findall(r"# \.\.\.and after\n(.*?)\n>>>", out, re.S)
    assert len(tables) == 1 and len(after) == 1 and tables[0] != after[0]


def test_demo_measures_both_paths(demo: subprocess.CompletedProcess) -> None:
    out = demo.stdout
    rows = {}
    for label in ("one-hot + Linear", "Embedding"):
        m = re.search(rf"^{re.escape(label)} +([\d.]+ m?s) +([\d.]+ [kMG]?B) +([\d.]+ m?s) +"
                      rf"([\d.]+ [kMG]?B)$", out, re.M)
        assert m is not None, label
        rows[label] = m.groups()
    # At --quick's size the one-hot matrix alone is 1,024 x 5,000 x 4 bytes = 20.5 MB, and
    # the output 1,024 x 32 x 4 bytes = 0.13 MB: the traced peak of the forward holds both.
    one_hot_forward_mb = float(rows["one-hot + Linear"][1].removesuffix(" MB"))
    assert 20.6 <= one_hot_forward_mb < 21.5
    embedding_forward = rows["Embedding"][1]
    assert embedding_forward.endswith("kB") and float(embedding_forward[:-3]) >= 131
    assert "(--quick: a small size" in out


def test_demo_fits_80_columns(demo: subprocess.CompletedProcess) -> None:
    wide = [line for line in demo.stdout.splitlines() if columns(line) > 80]
    assert wide == []


def test_demo_is_deterministic_for_a_seed(demo: subprocess.CompletedProcess) -> None:
    again = run_cli("demo", "--quick", "--seed", "0")
    other = run_cli("demo", "--quick", "--seed", "1")
    assert again.returncode == 0 and other.returncode == 0
    first, second = without_timings(demo.stdout), without_timings(again.stdout)
    # Exactly the three rows of the table and the summary hold timings.
    assert len(demo.stdout.splitlines()) - len(first) == 4
    assert first == second
    assert without_timings(other.stdout) != first  # the seed does drive the numbers
    assert "(seed 1;" in other.stdout


def test_demo_survives_an_ascii_stdout() -> None:
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    proc = subprocess.run(
        [sys.executable, "-m", "firstlayer", "demo", "--quick"], capture_output=True,
        timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert "我".encode() in proc.stdout


def test_help_and_version() -> None:
    top = run_cli("--help")
    assert top.returncode == 0 and "demo" in top.stdout and "--version" in top.stdout
    sub = run_cli("demo", "--help")
    assert sub.returncode == 0 and "--seed" in sub.stdout and "--quick" in sub.stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"firstlayer {torch.__version__}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "a command is required"),
        (["demo", "--seed", "x"], "invalid int value: 'x'"),
        (["demo", "--fast"], "unrecognized arguments: --fast"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], says: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and says in proc.stderr
    assert proc.stderr.startswith("firstlayer")


def test_entry_point_and_cli_module() -> None:
    via_cli = subprocess.run(
        [sys.executable, "-m", "firstlayer.cli", "--version"], capture_output=True, text=True
    )
    assert via_cli.returncode == 0 and via_cli.stdout.startswith("firstlayer ")
    script = shutil.which("firstlayer", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the firstlayer script is not installed next to this Python")
    proc = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"firstlayer {torch.__version__}"


def test_measure_sees_numpy_memory_and_reports_each_phase() -> None:
    w = torch.zeros(1000, 250, requires_grad=True)  # 1 MB of float32
    upstream = torch.ones(1000, 250)

    def forward() -> torch.Tensor:
        w.grad = None
        return w * 2.0  # allocates a 1 MB output; the backward a 1 MB gradient

    cost, out = measure(forward, upstream, repeats=2)
    assert cost.forward_peak >= 1_000_000
    assert cost.total_peak >= cost.forward_peak + 1_000_000  # output and grad both alive
    assert 0 < cost.forward_s <= cost.total_s
    assert not out.requires_grad and out.abs().max().item() == 0.0
    assert w.grad is not None and float(w.grad.sum()) == 2.0 * 1000 * 250


# ---- section 6: word2vec on the generated Chinese corpus -----------------------------------------
SECTION_6 = "6. Vectors learned from text: word2vec on characters"


def test_demo_section_6_recovers_the_groups(demo: subprocess.CompletedProcess) -> None:
    from firstlayer.demo_corpus import GROUPS

    out = demo.stdout
    assert out.find(HEADINGS[-1]) < out.find(SECTION_6 + "\n" + "=" * len(SECTION_6))
    assert ">>> sentences = generate_corpus(3000, seed=0)" in out
    assert ">>> model = Word2Vec(sentences, vector_size=16, window=3, min_count=1, sg=1," in out
    # The printed neighbours: mostly from the character's own group (the corpus's structure).
    group_of = {c: g for g, chars in GROUPS.items() for c in chars}
    rows = re.findall(r"^(\S) ((?:\S [\d.]+  ){4}\S [\d.]+)$", out, re.M)
    assert [char for char, _ in rows] == list("三八红蓝猫马妈爷")
    for char, near in rows:
        neighbours = near.split()[::2]
        same = sum(group_of.get(n) == group_of[char] for n in neighbours)
        assert same >= 3, (char, neighbours)
    # The score, well above chance; chance is 244/1056 = 23% for these groups.
    m = re.search(r"own group among the 5 nearest: (\d+)% \(chance: (\d+)%\)", out)
    assert m is not None
    purity, chance = int(m.group(1)), int(m.group(2))
    assert chance == 23 and purity >= 80
    summary = out.rstrip("\n").splitlines()[-2]
    assert summary == (f"Summary: word2vec, {purity}% of a character's 5 nearest in its group "
                       f"(chance {chance}%)")


def test_demo_writes_its_picture_to_the_temporary_folder(
    demo: subprocess.CompletedProcess, private_tmpdir: Path
) -> None:
    from firstlayer.plot import has_matplotlib

    out = demo.stdout
    if not has_matplotlib():
        assert 'No picture: drawing needs matplotlib, which is not installed.' in out
        assert 'pip install "firstlayer[plot]"' in out
        return
    picture = private_tmpdir / "firstlayer-demo.png"
    assert f"Picture: {picture}\n" in out
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and picture.stat().st_size > 20_000


def test_demo_plot_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from firstlayer.cli import build_parser, main

    parser = build_parser()
    assert parser.parse_args(["demo"]).plot is True  # the default place
    assert parser.parse_args(["demo", "--plot", "p.png"]).plot == "p.png"
    assert parser.parse_args(["demo", "--no-plot"]).plot is False
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--plot", "p.png", "--no-plot"])
    assert exit_info.value.code == 2
    assert "not allowed with argument --plot" in capsys.readouterr().err
    # A bad --plot PATH stops the demo before it starts: one line, exit status 2.
    assert main(["demo", "--plot", str(tmp_path / "demo.jpg")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("firstlayer demo: error: can't tell the picture's format")
    assert main(["demo", "--plot", str(tmp_path / "no" / "demo.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_section_6_in_process_with_and_without_a_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from firstlayer import demo, plot

    ns: dict = {}
    purity, chance = demo._section_word2vec(ns, seed=3)
    assert purity >= 0.8 and chance == pytest.approx(244 / 1056)
    # The picture's claim: on the two PCA axes the groups are apart, so each character is
    # nearer its own group's centre than any other's.
    vectors = ns["model"].wv[ns["chars"]]
    coords, _ = plot.pca_2d(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    labels = np.array(ns["labels"])
    centres = np.stack([coords[labels == g].mean(axis=0) for g in range(4)])
    nearest = np.argmin(((coords[:, None] - centres[None]) ** 2).sum(axis=-1), axis=1)
    assert (nearest == labels).mean() >= 0.95
    demo._section_picture(ns, None)  # --no-plot
    assert capsys.readouterr().out.endswith("(no picture: --no-plot)\n\n")
    if plot.has_matplotlib():
        path = tmp_path / "chosen.png"
        demo._section_picture(ns, str(path))  # --plot PATH
        assert f"Picture: {path}\n" in capsys.readouterr().out and path.stat().st_size > 20_000
        demo._section_picture(ns, str(tmp_path / "no" / "such" / "folder.png"))
        assert "No picture: can't write" in capsys.readouterr().out  # said, not raised
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    demo._section_picture(ns, str(tmp_path / "never.png"))
    out = capsys.readouterr().out
    assert "No picture: drawing needs matplotlib" in out and "firstlayer[plot]" in out
    assert not (tmp_path / "never.png").exists()
