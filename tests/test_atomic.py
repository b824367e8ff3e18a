"""``_atomic.atomic_write``: replace or exclusively create a file, never half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from firstlayer import _atomic
from firstlayer._atomic import atomic_write


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("mode, data", [("w", "new"), ("wb", b"new")])
def test_write_mode_replaces_the_file(tmp_path: Path, mode: str, data: str | bytes) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_write(target, mode) as f:
        f.write(data)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's permissions
    assert _names(tmp_path) == ["f"]


@pytest.mark.parametrize("mode, data", [("x", "new"), ("xb", b"new")])
def test_exclusive_mode_creates_a_new_file(tmp_path: Path, mode: str, data: str | bytes) -> None:
    target = tmp_path / "f"
    with atomic_write(target, mode) as f:
        f.write(data)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_atomic._UMASK
    assert target.stat().st_nlink == 1  # the temporary name is gone
    assert _names(tmp_path) == ["f"]


@pytest.mark.parametrize("mode", ["x", "xb"])
def test_exclusive_mode_refuses_an_existing_file_before_writing(
    tmp_path: Path, mode: str
) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    entered = False
    with pytest.raises(FileExistsError), atomic_write(target, mode):
        entered = True
    assert not entered  # refused before the caller writes anything
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["f"]
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")  # a dangling link exists too
    with pytest.raises(FileExistsError), atomic_write(tmp_path / "dangling", mode):
        pass


def test_exclusive_mode_loses_to_a_file_made_while_writing(tmp_path: Path) -> None:
    # another process creates the file between the check and the rename: the rename must not
    # replace it (os.replace would), and the temporary file goes away
    target = tmp_path / "f"
    with pytest.raises(FileExistsError), atomic_write(target, "x") as f:
        f.write("mine")
        target.write_text("theirs")
    assert target.read_text() == "theirs"
    assert _names(tmp_path) == ["f"]


def test_exclusive_mode_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # file systems without hard links: the name is claimed with O_EXCL instead
    def no_link(src: str, dst: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    target = tmp_path / "f"
    with atomic_write(target, "x") as f:
        f.write("new")
    assert target.read_text() == "new"
    assert _names(tmp_path) == ["f"]
    with pytest.raises(FileExistsError), atomic_write(tmp_path / "g", "x") as f:
        f.write("mine")
        (tmp_path / "g").write_text("theirs")
    assert (tmp_path / "g").read_text() == "theirs"
    assert _names(tmp_path) == ["f", "g"]


def test_failure_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as f:
        f.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "new", "x") as f:
        raise RuntimeError("disk full")
    assert _names(tmp_path) == ["f"]


@pytest.mark.parametrize("mode", ["r", "a", "rb", "r+"])
def test_modes_that_do_not_write_a_new_file_are_refused(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError, match="write mode"), atomic_write(tmp_path / "f", mode):
        pass
    assert _names(tmp_path) == []
