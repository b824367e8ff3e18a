"""The seed document's code (SEED-en.md, sections 2 and 3) runs unchanged apart from its imports,
and prints what torch prints, number for number where nothing is random.

The code runs statement by statement in "single" mode, as a notebook or the REPL runs it, so the
bare expressions the post shows (``fc(vocab_vec)``, ``embedding.weight``) print their repr too.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import firstlayer

# Sections 2 and 3 of the seed, verbatim, in order.
SEED_CODE = """\
import numpy as np
import torch.nn as nn
import torch
vocab = {"我": 0, "你": 1}          # two characters, "I" and "you"
vocab_vec = torch.eye(2)   # one-hot vectors: two 2-dim vectors for the two characters
print(vocab_vec)           # tensor([[1., 0.], [0., 1.]])
fc = nn.Linear(2, 2)       # each character was a 2-dim vector; transform it linearly to 2 dims
fc(vocab_vec)
embedding = torch.nn.Embedding(vocab_size=2, emb_size=2)
# vocab_size: how many characters need an embedding
# emb_size:   the dimension we want for each character's vector
me  = torch.tensor([0], dtype=torch.int64)
you = torch.tensor([1], dtype=torch.int64)
print(embedding(me))    # tensor([[0.6188, 1.5322]], grad_fn=<EmbeddingBackward>)
print(embedding(you))   # tensor([[-0.8198, -0.9139]], grad_fn=<EmbeddingBackward>)
meyou = torch.tensor([0, 1], dtype=torch.int64)
print(embedding(meyou)) # both at once
myemb = nn.Parameter(torch.rand(2, 2))   # uniform (0, 1)
print(fc.weight);        fc.weight = myemb
print(embedding.weight); embedding.weight = myemb
embedding.weight.data.uniform_(-1, 1)    # now uniform on (-1, 1)
embedding.weight
a = torch.tensor([[1, 2], [2, 2]], dtype=torch.float32)
embedding = nn.Embedding.from_pretrained(a)
embedding.weight
"""

# Only the imports change for firstlayer ...
OURS = SEED_CODE.replace("import torch.nn as nn\n", "import firstlayer.nn as nn\n").replace(
    "import torch\n", "import firstlayer as torch\n"
)
# ... and torch has no vocab_size/emb_size (the seed's spelling is a TypeError there).
THEIRS = SEED_CODE.replace("vocab_size=2, emb_size=2", "num_embeddings=2, embedding_dim=2")

NUMBER = re.compile(r"-?\d+\.\d+(e[+-]\d+)?")

Hook = Callable[[str, dict[str, Any]], None]


def run_like_a_notebook(code: str, after: Hook | None = None) -> str:
    """Run ``code`` one top-level statement at a time in "single" mode (bare expressions print
    their repr); call ``after(statement source, namespace)`` after each; return the stdout."""
    namespace: dict[str, Any] = {"__name__": "__seed__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for stmt in ast.parse(code).body:
            exec(compile(ast.Interactive(body=[stmt]), "<seed>", "single"), namespace)
            if after is not None:
                after(ast.unparse(stmt), namespace)
    return out.getvalue()


def without_numbers(text: str) -> str:
    """Every decimal number replaced by ``#``, then the padding spaces dropped: torch pads a
    column with a space when another number in it is negative, which depends on the draws."""
    return re.sub(r"(?<=\[) +", "", re.sub(r" +", " ", NUMBER.sub("#", text)))


def outputs() -> tuple[str, str]:
    firstlayer.manual_seed(0)
    torch.manual_seed(0)
    return run_like_a_notebook(OURS), run_like_a_notebook(THEIRS)


def test_seed_code_only_changes_its_imports() -> None:
    ours_lines, seed_lines = OURS.splitlines(), SEED_CODE.splitlines()
    changed = [(a, b) for a, b in zip(seed_lines, ours_lines) if a != b]
    assert changed == [
        ("import torch.nn as nn", "import firstlayer.nn as nn"),
        ("import torch", "import firstlayer as torch"),
    ]
    assert "Embedding(vocab_size=2, emb_size=2)" in OURS


def test_seed_prints_what_torch_prints() -> None:
    ours, theirs = outputs()
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    assert len(ours_lines) == len(theirs_lines) > 15
    for i, (a, b) in enumerate(zip(ours_lines, theirs_lines)):
        assert without_numbers(a) == without_numbers(b), f"line {i}: {a!r} vs {b!r}"
    # what the post shows, in order: one-hot matrix, fc(vocab_vec), three lookups, two weights,
    # the uniform_ result, the uniform weight, the pretrained weight
    assert ours.count("grad_fn=<EmbeddingBackward0>") == theirs.count(
        "grad_fn=<EmbeddingBackward0>") == 3
    assert "grad_fn=<AddmmBackward0>" in ours
    assert ours.count("Parameter containing:") == 4


def test_deterministic_prints_are_exact() -> None:
    ours, theirs = outputs()
    eye = "tensor([[1., 0.],\n        [0., 1.]])\n"
    assert ours.startswith(eye) and theirs.startswith(eye)
    pretrained = "Parameter containing:\ntensor([[1., 2.],\n        [2., 2.]])\n"
    assert ours.endswith(pretrained) and theirs.endswith(pretrained)


def test_the_three_ways_to_initialise() -> None:
    """fc.weight = myemb and embedding.weight = myemb register myemb as the modules' weight;
    ``.data.uniform_(-1, 1)`` rewrites it in place, within [-1, 1)."""
    seen: dict[str, Any] = {}

    def check(stmt: str, ns: dict[str, Any]) -> None:
        if stmt == "fc.weight = myemb":
            params = list(ns["fc"].parameters())
            assert params[0] is ns["myemb"] and len(params) == 2  # weight (myemb) and bias
            assert dict(ns["fc"].named_parameters())["weight"] is ns["myemb"]
        elif stmt == "embedding.weight = myemb":
            assert list(ns["embedding"].parameters()) == [ns["myemb"]]
            assert ns["embedding"].weight is ns["myemb"]
            seen["before"] = ns["myemb"].detach().numpy().copy()
            seen["buffer"] = ns["myemb"]._data
            assert ((seen["before"] >= 0) & (seen["before"] < 1)).all()  # torch.rand
        elif stmt.startswith("embedding.weight.data.uniform_"):
            after = ns["myemb"].detach().numpy()
            assert ns["embedding"].weight is ns["myemb"] and ns["myemb"]._data is seen["buffer"]
            assert not np.array_equal(after, seen["before"])
            assert ((after >= -1) & (after < 1)).all()
            assert ns["myemb"].requires_grad and ns["myemb"].grad_fn is None
            seen["uniform"] = True
        elif stmt.startswith("embedding = nn.Embedding.from_pretrained"):
            emb = ns["embedding"]
            assert emb.weight.requires_grad is False  # freeze=True by default
            assert emb(ns["meyou"]).tolist() == [[1.0, 2.0], [2.0, 2.0]]

    run_like_a_notebook(OURS, after=check)
    assert seen.get("uniform")


def test_seed_runs_as_a_plain_script() -> None:
    """As a script, bare expressions print nothing: the five print() calls (two of them
    Parameters over three lines) are the output."""
    done = subprocess.run(
        [sys.executable, "-c", OURS], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["tensor([[1., 0.],", "        [0., 1.]])"]
    assert sum("grad_fn=<EmbeddingBackward0>" in line for line in lines) == 3
    assert sum(line == "Parameter containing:" for line in lines) == 2
