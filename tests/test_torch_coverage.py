"""``docs/torch-coverage.md`` lists the torch names firstlayer has: it must match the code."""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("torch_coverage",
                                                  ROOT / "tools" / "torch_coverage.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_coverage_table_is_current() -> None:
    tool = _tool()
    committed = (ROOT / "docs" / "torch-coverage.md").read_text(encoding="utf-8")
    assert committed == tool.render(), (
        "docs/torch-coverage.md is out of date: run `python tools/torch_coverage.py`"
    )


def test_every_listed_name_exists_in_both_libraries() -> None:
    tool = _tool()
    rows = tool.coverage()
    assert {path for path, *_ in rows} >= {"torch", "torch.Tensor", "torch.nn",
                                           "torch.nn.functional", "torch.utils.data"}
    for path, _, have, _ in rows:
        ours = tool._resolve(path.replace("torch", "firstlayer", 1))
        theirs = tool._resolve(path)
        for name in have:
            assert hasattr(ours, name) and hasattr(theirs, name), (path, name)
    # what the issue that asked for a small model named, present
    names = {path: set(have) for path, _, have, _ in rows}
    assert {"cat", "stack", "where", "clamp", "masked_fill", "cumsum"} <= names["torch"]
    assert {"Dropout", "LayerNorm", "LSTM", "GRU", "Conv1d"} <= names["torch.nn"]
    assert {"DataLoader", "TensorDataset", "random_split"} <= names["torch.utils.data"]
