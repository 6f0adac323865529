from __future__ import annotations

from pathlib import Path

from clipkit.media.discover import find_videos


def touch(p: Path) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


def test_folders_recursive_video_extensions_any_case(tmp_path: Path) -> None:
    a = touch(tmp_path / "in" / "a.MP4")
    b = touch(tmp_path / "in" / "day2" / "b.mov")
    c = touch(tmp_path / "in" / "day2" / "c.3gp")
    notes = touch(tmp_path / "in" / "notes.txt")
    touch(tmp_path / "in" / ".hidden.mp4")
    found = find_videos([tmp_path / "in"])
    assert found.videos == [a, b, c]
    assert found.skipped == [notes]


def test_explicit_file_taken_whatever_extension(tmp_path: Path) -> None:
    odd = touch(tmp_path / "recording.bin")
    assert find_videos([odd]).videos == [odd]


def test_missing_and_duplicates(tmp_path: Path) -> None:
    a = touch(tmp_path / "a.mp4")
    found = find_videos([a, tmp_path, tmp_path / "gone.mp4"])
    assert found.videos == [a]
    assert found.missing == [tmp_path / "gone.mp4"]


def test_output_folder_inside_input_is_not_read(tmp_path: Path) -> None:
    a = touch(tmp_path / "a.mp4")
    touch(tmp_path / "out" / "a_01_reels.mp4")
    found = find_videos([tmp_path], exclude=[tmp_path / "out"])
    assert found.videos == [a]


def test_clipkit_output_folders_are_never_footage(tmp_path: Path) -> None:
    a = touch(tmp_path / "a.mp4")
    touch(tmp_path / "old-out" / ".clipkit" / "state" / "x.json")
    touch(tmp_path / "old-out" / "reels" / "a_01_reels.mp4")
    assert find_videos([tmp_path]).videos == [a]
    # Even when the output folder is the folder walked.
    assert find_videos([tmp_path / "old-out"]).videos == []


def test_symlink_loops_are_said_once_and_the_rest_found(tmp_path: Path) -> None:
    a = touch(tmp_path / "in" / "a.mp4")
    (tmp_path / "in" / "same.mp4").symlink_to("a.mp4")  # the same file again: taken once
    loop = tmp_path / "in" / "loop.mp4"
    loop.symlink_to("loop.mp4")
    (tmp_path / "in" / "x").symlink_to("y")  # a loop of two folders
    (tmp_path / "in" / "y").symlink_to("x")
    found = find_videos([tmp_path / "in", loop])
    assert found.videos == [a]
    assert (loop, "a symlink loop") in found.unusable
    assert len(found.unusable) == len({p for p, _ in found.unusable})
