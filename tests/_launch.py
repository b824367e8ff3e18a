"""Helpers of the tests that launch the examples/ scripts in other processes
(test_distributed.py, test_sharded.py): import an example, start a process, wait for it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def example(name: str) -> ModuleType:
    """``examples/<name>.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(args: list[str]) -> subprocess.Popen:
    """``python *args`` in the repository root; gloo's traffic kept on the loopback (Linux)."""
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo") if sys.platform.startswith("linux") \
        else None
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def finish(proc: subprocess.Popen, code: int = 0) -> tuple[str, str]:
    """Wait for ``proc`` (180 s at most) and check its exit code; its stdout and stderr."""
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the 2-process run did not finish in 180 s:\n{out}\n{err}")
    assert proc.returncode == code, f"exit code {proc.returncode}:\n{out}\n{err}"
    return out, err


@pytest.fixture
def one_thread() -> Iterator[None]:
    """The in-process reference with one torch thread, as each launched process has."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
