from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from clipkit.errors import OutputError
from clipkit.run.manifest import (
    ClipRecord,
    State,
    clip_key,
    file_digest,
    write_if_changed,
    write_manifest,
)


def record(
    out: Path, name: str = "reels/a_01_reels.mp4", key: str = "k1", size: int = 5
) -> ClipRecord:
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(b"x" * size)
    return ClipRecord(
        key=key, output=name, cover=None, preset="reels", preset_digest="d", source="a.mp4",
        source_fingerprint="f", index=1, start=1.0, end=8.0, peak=3.0, score=0.9,
        reasons=["motion", "audio"], caption="Oops", recovery_caption="Saved",
        recovery=[20.0, 22.5], recovery_note=None, duration=9.5, size_bytes=size,
        sha256=file_digest(out / name),
    )  # fmt: skip


def test_key_changes_with_each_input() -> None:
    base = clip_key("fp", {"caption": "a"}, "digest")
    assert base == clip_key("fp", {"caption": "a"}, "digest")
    assert base != clip_key("fp2", {"caption": "a"}, "digest")
    assert base != clip_key("fp", {"caption": "b"}, "digest")
    assert base != clip_key("fp", {"caption": "a"}, "digest2")


def test_current_only_with_same_key_and_file(tmp_path: Path) -> None:
    state = State(tmp_path)
    rec = record(tmp_path)
    assert not state.is_current(rec.output, rec.key)
    state.put(rec)
    assert state.is_current(rec.output, rec.key)
    assert not state.is_current(rec.output, "other-key")
    (tmp_path / rec.output).write_bytes(b"xxyxx")  # same size, other bytes (issue 27)
    assert not state.is_current(rec.output, rec.key)
    (tmp_path / rec.output).write_bytes(b"xxxxx")
    state.put(replace(rec, sha256=""))  # a record from before digests were kept
    assert not state.is_current(rec.output, rec.key)
    (tmp_path / rec.output).write_bytes(b"truncated")  # size differs from the record
    assert not state.is_current(rec.output, rec.key)
    (tmp_path / rec.output).unlink()
    assert not state.is_current(rec.output, rec.key)
    assert state.records() == []  # a record whose file is gone is not listed


def test_manifest_json_and_csv(tmp_path: Path) -> None:
    rec = record(tmp_path)
    State(tmp_path).put(rec)
    path = write_manifest(tmp_path, State(tmp_path).records(), [{"path": "a.mp4", "error": None}])
    doc = json.loads(path.read_text())
    assert doc["clips"][0]["output"] == "reels/a_01_reels.mp4"
    assert doc["clips"][0]["recovery"] == [20.0, 22.5]
    assert doc["sources"][0]["path"] == "a.mp4"
    csv_lines = (tmp_path / "manifest.csv").read_text().splitlines()
    assert csv_lines[0].startswith("output,preset,source")
    assert "motion+audio" in csv_lines[1] and "20.0" in csv_lines[1]


def test_unchanged_manifest_is_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    assert write_if_changed(target, "same")
    mtime = target.stat().st_mtime_ns
    assert not write_if_changed(target, "same")
    assert target.stat().st_mtime_ns == mtime
    assert write_if_changed(target, "different")
    assert not list(tmp_path.glob(".m.json.*"))  # no temp files left behind


def test_source_summaries_persist(tmp_path: Path) -> None:
    state = State(tmp_path / "out")
    a, b = tmp_path / "footage" / "a.mp4", tmp_path / "footage" / "b.mp4"
    state.put_source({"path": str(b), "moments": []})
    state.put_source({"path": str(a), "moments": [{"peak": 1.0}]})
    # The same file spelled another way (another working folder) replaces the earlier one.
    spelled = os.path.relpath(a)
    state.put_source({"path": spelled, "moments": []})
    # Named relative to the output folder, whichever folder clipkit ran from.
    assert [s["path"] for s in state.sources()] == ["../footage/a.mp4", "../footage/b.mp4"]
    assert state.sources()[0]["moments"] == []
    assert state.is_source("../footage/a.mp4", spelled) and not state.is_source("b.mp4", spelled)
    # Records written before sources were named so, relative to the working folder.
    assert state.is_source(spelled, str(a))


def test_a_full_disk_leaves_both_manifests_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 27: manifest.json written but manifest.csv not would leave the two out of
    step: both are written, or neither."""
    from clipkit import files

    State(tmp_path).put(record(tmp_path))
    write_manifest(tmp_path, State(tmp_path).records(), [])
    before = {p.name: p.read_bytes() for p in tmp_path.glob("manifest.*")}
    assert sorted(before) == ["manifest.csv", "manifest.json"]
    State(tmp_path).put(record(tmp_path, "reels/b_01_reels.mp4", key="k2"))
    write_text = files._write_text

    def csv_fills_the_disk(path: Path, text: str) -> None:
        if ".manifest.csv." in path.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        write_text(path, text)

    monkeypatch.setattr(files, "_write_text", csv_fills_the_disk)
    with pytest.raises(OutputError, match=f"{tmp_path}: the disk is full: manifest.csv not"):
        write_manifest(tmp_path, State(tmp_path).records(), [])
    assert {p.name: p.read_bytes() for p in tmp_path.glob("manifest.*")} == before
    assert not list(tmp_path.glob(".manifest*")), "a temporary file was left"
    monkeypatch.undo()
    write_manifest(tmp_path, State(tmp_path).records(), [])
    assert "b_01_reels" in (tmp_path / "manifest.csv").read_text()
    assert "b_01_reels" in (tmp_path / "manifest.json").read_text()
