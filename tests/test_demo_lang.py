"""``firstlayer demo --lang zh|en``: the tour in Chinese or English, chosen from the locale by
default; the Chinese words are those of the Chinese tutorial (docs/zh/first-layer.md).
One run of the demo in Chinese (``--quick``, ~3 s), compared with one in English."""

from __future__ import annotations

import re
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import firstlayer.demo as demo
from firstlayer._demo_text import COMMENTS, EN, ZH, columns, default_lang, fill

ROOT = Path(__file__).resolve().parent.parent
HEADINGS_ZH = [ZH[f"h{i}"] for i in range(1, 7)]


def run_demo_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "firstlayer", "demo", "--quick", "--no-plot", *args],
        capture_output=True, timeout=120, encoding="utf-8",
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess]:
    return {lang: run_demo_cli("--lang", lang) for lang in ("zh", "en")}


def test_zh_tour_runs_every_section_in_chinese(runs: dict) -> None:
    zh = runs["zh"]
    assert zh.returncode == 0, zh.stderr
    assert zh.stderr == ""
    out = zh.stdout
    assert out.startswith(ZH["title"] + "\n")
    positions = [out.find(h + "\n" + "=" * columns(h) + "\n") for h in HEADINGS_ZH]
    assert -1 not in positions and positions == sorted(positions)
    # the comments in the code are Chinese, the code itself is the same
    assert ">>> # 方法一：直接赋值一个新的 Parameter，替换掉原来的权重\n" in out
    assert '>>> vocab = {"我": 0, "你": 1}  # 两个字：“我”和“你”' in out
    assert ">>> embedding.weight.requires_grad  # freeze=False 可以继续训练\nFalse" in out
    lines = out.rstrip("\n").splitlines()
    assert lines[-2].startswith("小结：word2vec") and lines[-1].startswith("小结：Embedding")
    assert not re.search(r"\b(the|and|of) \w+ \w+ \w+\b", out.split(">>>")[0]), (
        "English prose in the Chinese title"
    )


def test_both_languages_run_the_same_code_with_the_same_output(runs: dict) -> None:
    """Only the words differ: every code line (comments aside) and every tensor it prints."""

    def code_and_values(text: str) -> list[str]:
        kept = []
        for line in text.splitlines():
            if line.startswith((">>> ", "... ")):
                kept.append(re.sub(r"\s+# .*$", "", line))
            elif line.startswith(("tensor(", "        [", "step ", "Parameter containing")):
                kept.append(line)
        return [line for line in kept if line not in (">>> ", ">>>")]

    zh, en = code_and_values(runs["zh"].stdout), code_and_values(runs["en"].stdout)
    assert len(zh) > 80 and zh == en


def test_zh_tour_fits_80_columns_and_breaks_lines_well(runs: dict) -> None:
    for line in runs["zh"].stdout.splitlines():
        assert columns(line) <= 80, line
        assert not re.match(r"[，。、：；！？）]", line), f"punctuation starts a line: {line}"


def test_zh_tour_uses_the_tutorials_words(runs: dict) -> None:
    tutorial = (ROOT / "docs" / "zh" / "first-layer.md").read_text(encoding="utf-8")
    for term in ["编号", "one-hot 向量", "稠密", "全是 0", "方法一", "方法二", "方法三",
                 "均匀分布", "冻结", "梯度", "交叉熵", "SGD", "第一层", "内存"]:
        assert term in runs["zh"].stdout and term in tutorial, term


def test_every_text_exists_in_both_languages_with_the_same_fields() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert EN.keys() == ZH.keys()
    assert COMMENTS["en"].keys() == COMMENTS["zh"].keys()
    for key in EN:
        assert fields(EN[key]) == fields(ZH[key]), key
    # every #{key} in the demo's code has a comment in both languages
    used = set(re.findall(r"#\{\{?(\w+)\}?\}", Path(demo.__file__).read_text(encoding="utf-8")))
    assert used == COMMENTS["en"].keys()


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL wins
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "", "LANG": "zh_SG.UTF-8"}, "zh"),  # an empty variable counts as unset
    ],
)
def test_default_lang_from_the_locale(environ: dict[str, str], lang: str) -> None:
    assert default_lang(environ) == lang


def test_run_demo_takes_the_locale_when_no_lang_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    monkeypatch.setattr(demo, "_tour", lambda *args: seen.append(demo._lang))
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    demo.run_demo()
    demo.run_demo(lang="en")  # an explicit choice wins over the locale
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    demo.run_demo()
    assert seen == ["zh", "en", "en"]
    assert demo._lang == "en"  # restored after the tour
    with pytest.raises(ValueError, match="lang must be one of en, zh, got 'fr'"):
        demo.run_demo(lang="fr")


def test_cli_lang_option(capsys: pytest.CaptureFixture[str]) -> None:
    from firstlayer.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["demo"]).lang is None  # from the locale
    assert parser.parse_args(["demo", "--lang", "zh"]).lang == "zh"
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["demo", "--lang", "fr"])
    assert exit_.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


def test_fill() -> None:
    text = """A model reads numbers, not characters,
        so each character gets an id."""
    assert fill(text, 20, "en") == textwrap.fill(" ".join(text.split()), 20)
    zh = fill(ZH["p5_after"].format(one_hot="20.5 MB", ids="8.2 kB", gflop=0.3), 40, "zh")
    for line in zh.splitlines():
        assert columns(line) <= 40 and not re.match(r"[，。、：；）]", line), line
    assert "8.2 kB" in zh and "存 one-hot" not in zh  # units stay with their numbers
    assert "\n" not in fill("第一层的向量", 79, "zh")
