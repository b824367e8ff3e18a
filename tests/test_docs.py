"""The documentation site (mkdocs.yml, docs/): every public name has a reference entry, and
the pages' code runs with the output they print.

- Reference: each name in the ``__all__`` of the documented modules has a ``::: name`` entry
  on a page of ``docs/reference/`` (by its public path, or by the path of its definition where
  a submodule of the same name hides it from mkdocstrings, e.g. ``nn.functional.dropout``).
  With mkdocs installed (the ``docs`` extra), the site is built with ``--strict`` and its
  objects inventory is checked too.
- Pages: every ```` ```pycon ```` block of a page is a doctest; the blocks of one page run in
  order in one namespace, as a reader would type them, and what they print must match.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import types
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MODULES = [
    "firstlayer", "firstlayer.nn", "firstlayer.nn.functional", "firstlayer.nn.init",
    "firstlayer.optim", "firstlayer.utils.data", "firstlayer.text", "firstlayer.vectors",
    "firstlayer.models", "firstlayer.interop", "firstlayer.projector", "firstlayer.distributed",
]
ENTRY = re.compile(r"^::: ([\w.]+)\s*$", re.M)
PYCON = re.compile(r"^```pycon[^\n]*\n(.*?)^```", re.M | re.S)


def _entries() -> list[str]:
    found: list[str] = []
    for page in sorted((DOCS / "reference").glob("*.md")):
        found += ENTRY.findall(page.read_text(encoding="utf-8"))
    return found


def _definition(obj: object) -> str | None:
    """Where a class or function is defined, ``module.qualname``; None for other objects."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    return None


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _public_names() -> list[tuple[str, str, object]]:
    names = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            names.append((module_name, name, getattr(module, name)))
    return names


def test_every_public_name_has_a_reference_entry() -> None:
    entries = set(_entries())
    missing = []
    for module_name, name, obj in _public_names():
        path = f"{module_name}.{name}"
        if path in entries or _definition(obj) in entries:
            continue
        missing.append(f"::: {_shadow_free_path(path, obj)}")
    assert not missing, "names of __all__ without a reference entry:\n" + "\n".join(missing)


def _shadow_free_path(path: str, obj: object) -> str:
    """The path an entry must use: mkdocstrings resolves ``pkg.name`` to the submodule
    ``pkg/name.py`` when there is one, even if ``pkg.name`` is a function imported from it."""
    if not isinstance(obj, types.ModuleType) and _is_submodule(path):
        return _definition(obj) or path
    return path


def test_reference_entries_point_at_what_they_name() -> None:
    """No entry twice (the inventory would have two targets), and no public path whose name
    a submodule hides (the page would show the submodule's docstring instead)."""
    entries = _entries()
    doubles = sorted({e for e in entries if entries.count(e) > 1})
    assert not doubles, f"entries written twice: {doubles}"
    hidden = [
        f"{module_name}.{name} -> ::: {_shadow_free_path(f'{module_name}.{name}', obj)}"
        for module_name, name, obj in _public_names()
        if f"{module_name}.{name}" in entries
        and _shadow_free_path(f"{module_name}.{name}", obj) != f"{module_name}.{name}"
    ]
    assert not hidden, f"entries hidden by a submodule of the same name: {hidden}"


# ---- the pages' code -------------------------------------------------------------------------
def _pages_with_code() -> list[pathlib.Path]:
    return sorted(p for p in DOCS.rglob("*.md") if PYCON.search(p.read_text(encoding="utf-8")))


def test_the_tutorials_have_code() -> None:
    """The pages that teach by example keep their examples as doctests (so they are run)."""
    pages = {p.relative_to(DOCS).as_posix() for p in _pages_with_code()}
    for page in ["getting-started.md", "tutorial/first-layer.md", "zh/first-layer.md",
                 "vectors.md", "models.md", "coming-from/pytorch.md", "design.md"]:
        assert page in pages, f"docs/{page} has no ```pycon block"


def _code_only(text: str) -> str:
    """The page with every line outside its ```pycon blocks blanked: the doctest's line
    numbers are then the page's."""
    lines, inside = [], False
    for line in text.splitlines():
        if inside and line.startswith("```"):
            inside = False
            line = ""
        elif line.startswith("```pycon"):
            inside = True
            line = ""
        lines.append(line if inside else "")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "page", _pages_with_code(), ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_page_code_prints_what_the_page_shows(
    page: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _code_only(page.read_text(encoding="utf-8"))
    test = doctest.DocTestParser().get_doctest(
        source, {"__name__": "__docs__"}, str(page.relative_to(ROOT)), str(page), 0
    )
    monkeypatch.chdir(tmp_path)  # files a page writes land in a temporary folder
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    import firstlayer

    firstlayer.manual_seed(0)  # the pages begin with manual_seed too; this is a safety net
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert test.examples, f"{page}: no examples found"


def test_zh_tutorial_covers_every_step_of_the_seed() -> None:
    """The Chinese tutorial walks the seed's path: every name the seed uses, in its order."""
    text = (DOCS / "zh" / "first-layer.md").read_text(encoding="utf-8")
    steps = [
        'vocab = {"我": 0, "你": 1}', "torch.eye(2)", "nn.Linear(2, 2)", "fc(vocab_vec)",
        "nn.Embedding(vocab_size=2, emb_size=2)", "embedding(me)", "embedding(meyou)",
        "nn.Parameter(torch.rand(2, 2))", "uniform_(-1, 1)", "from_pretrained(a)",
        "optim.SGD", "backward()",
    ]
    at = [text.find(step) for step in steps]
    assert all(i >= 0 for i in at), [s for s, i in zip(steps, at) if i < 0]
    assert at == sorted(at), "the steps are not in the seed's order"
    en = (DOCS / "tutorial" / "first-layer.md").read_text(encoding="utf-8")
    assert PYCON.findall(text) and len(PYCON.findall(text)) == len(PYCON.findall(en)), (
        "the Chinese and English tutorials should run the same blocks"
    )


# ---- the built site --------------------------------------------------------------------------
def _inventory(path: pathlib.Path) -> set[str]:
    """The object names of a Sphinx objects.inv (version 2: four header lines, then zlib)."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    body = zlib.decompress(data[header_end:]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def test_strict_build_lists_every_public_name(tmp_path: pathlib.Path) -> None:
    why = "the docs extra is not installed (pip install -e '.[docs]')"
    pytest.importorskip("mkdocs", reason=why)
    pytest.importorskip("mkdocstrings", reason=why)
    mkdocs = shutil.which("mkdocs") or str(pathlib.Path(sys.executable).parent / "mkdocs")
    site = tmp_path / "site"
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    names = _inventory(site / "objects.inv")
    missing = [
        f"{m}.{n}" for m, n, obj in _public_names()
        if f"{m}.{n}" not in names and _definition(obj) not in names
    ]
    assert not missing, f"public names missing from the built site: {missing}"
