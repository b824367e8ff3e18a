"""The README's small-model example runs as printed: on firstlayer, and on torch with the
imports swapped."""

from __future__ import annotations

import pathlib

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _small_model_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Around the first layer: a small model", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("library", ["firstlayer", "torch"])
def test_small_model_example_trains(library: str) -> None:
    code = _small_model_block()
    if library == "torch":
        code = (code.replace("import firstlayer as torch", "import torch")
                .replace("import firstlayer.nn as nn", "import torch.nn as nn")
                .replace("from firstlayer.utils.data", "from torch.utils.data"))
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)
    model, ids = scope["model"], scope["ids"]
    assert tuple(model(ids).shape) == (ids.shape[0], 4)
