"""The package as a user meets it: `import firstlayer` stays light, subpackages are attributes."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_loads_no_heavy_module() -> None:
    """Heavy parts load on first use: torch never, scipy and the trainers' kernels when used."""
    seen = _run(
        "import json, sys, firstlayer\n"
        "names = ('torch', 'scipy.sparse', 'scipy.special', 'numba', 'firstlayer.vectors',"
        " 'firstlayer.models', 'firstlayer.interop', 'matplotlib')\n"
        "print(json.dumps({n: n in sys.modules for n in names}))"
    )
    assert not any(seen.values()), seen


def test_subpackages_are_attributes() -> None:
    seen = _run(
        "import json, firstlayer as fl\n"
        "print(json.dumps([callable(fl.vectors.load), fl.models.Word2Vec.__name__,"
        " callable(fl.interop.to_torch), 'vectors' in dir(fl), 'models' in dir(fl),"
        " fl.utils.data.DataLoader.__name__]))"
    )
    assert seen == [True, "Word2Vec", True, True, True, "DataLoader"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    import firstlayer

    try:
        firstlayer.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
