"""Atomic writes and writable-folder checks (clipkit.files)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from clipkit.errors import OutputError
from clipkit.files import (
    atomic_path,
    check_output_dir,
    check_output_file,
    write_atomic,
    write_if_changed,
)


def test_a_file_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        assert not target.exists() and tmp.parent == target.parent
    assert target.read_text() == "half"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("other")
        raise RuntimeError
    assert target.read_text() == "half"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]  # no .tmp left


def test_written_files_get_a_normal_mode(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_write_if_changed_leaves_the_same_text_alone(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    assert write_if_changed(path, "a")
    assert not write_if_changed(path, "a")
    assert write_if_changed(path, "b") and path.read_text() == "b"


def _full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_line_naming_the_folder_unless_the_caller_copes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "replace", _full)
    with pytest.raises(OutputError, match=f"{tmp_path}: the disk is full: a.txt not written"):
        write_atomic(tmp_path / "a.txt", "x")
    with pytest.raises(OSError) as e, atomic_path(tmp_path / "c.npz", full=False) as tmp:
        tmp.write_text("x")
    assert not isinstance(e.value, OutputError)
    assert not list(tmp_path.iterdir())


def test_a_folder_that_cannot_be_written_fails_first(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="output folder cannot be written"):
        check_output_dir(blocker / "out")
    with pytest.raises(OutputError, match=f"cannot write the plan file: {blocker} is not a folder"):
        check_output_file(blocker / "plan.yaml", "plan file")
    assert check_output_dir(tmp_path / "new") == tmp_path / "new"


def test_a_folder_can_be_checked_without_making_it(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "a" / "b", create=False) == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []  # nothing made, not even the test file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=f"cannot be written \\({blocker} is not a folder\\)"):
        check_output_dir(blocker / "out", create=False)
