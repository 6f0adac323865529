"""A plan remembers its source's content: render refuses a source replaced since (issue 27)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipkit.analysis.analyse import fingerprint
from clipkit.cli import main
from clipkit.clips.plan import ClipPlan, load_plans, save_plans
from clipkit.run.fingerprint import changed_source, stamped
from tests.conftest import SAMPLES, ffmpeg

# A tiny output format: the same pipeline as reels, rendered in a fraction of the time.
SMALL = "extends: reels\nname: small\nwidth: 180\nheight: 320\nx264_preset: superfast\n"


def _print(path: Path) -> str:
    return fingerprint(str(path), path.stat().st_size)


def _plan(source: Path, *, recorded: bool = True) -> ClipPlan:
    plan = ClipPlan(str(source), 1, 0.2, 1.8, 1.0, 0.9, "Oops", "", f"{source.stem}.mp4", "small")
    return stamped(plan, _print(source)) if recorded else plan


def _tiny(path: Path, pattern: str) -> Path:
    """A 2 s clip of 160x90 with sound; other ``pattern``s give other bytes, same length."""
    ffmpeg("-f", "lavfi", "-i", f"{pattern}=s=160x90:r=25:d=2",
           "-f", "lavfi", "-i", "sine=f=440:r=48000:d=2",
           "-pix_fmt", "yuv420p", "-shortest", str(path))  # fmt: skip
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL)
    _tiny(tmp_path / "a.mp4", "testsrc2")
    _tiny(tmp_path / "b.mp4", "testsrc2")
    return tmp_path


def _render(folder: Path, plan_file: Path, *args: str) -> object:
    out = ["-o", str(folder / "out"), "--cache-dir", str(folder / "cache"), "-j", "1"]
    return CliRunner().invoke(
        main, ["render", "-q", "-p", str(folder / "small.yaml"), *out, *args, str(plan_file)]
    )


def test_render_refuses_a_replaced_source_and_renders_the_others(folder: Path) -> None:
    a, b = folder / "a.mp4", folder / "b.mp4"
    plan_file = folder / "plan.yaml"
    save_plans(plan_file, [_plan(a), _plan(b)])
    _tiny(a, "smptebars")  # another video of the same length under the planned name
    res = _render(folder, plan_file)
    assert res.exit_code == 1, res.output  # type: ignore[attr-defined]
    out = res.output  # type: ignore[attr-defined]
    assert "Traceback" not in out
    lines = [ln for ln in out.splitlines() if ln.startswith(f"clipkit: {a}")]
    assert lines == [
        f"clipkit: {a}: not the file its plan was made from (it changed since `clipkit detect "
        "--plan`): plan it again, or pass --force to render the plan on it as it is"
    ], out
    made = sorted(p.name for p in (folder / "out" / "small").glob("*.mp4"))
    assert made == ["b.mp4"]  # the other source of the batch still renders
    doc = json.loads((folder / "out" / "manifest.json").read_text())
    assert [c["output"] for c in doc["clips"]] == ["small/b.mp4"]

    res = _render(folder, plan_file, "--force")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert sorted(p.name for p in (folder / "out" / "small").glob("*.mp4")) == ["a.mp4", "b.mp4"]


def test_an_unchanged_source_renders_moved_copied_or_touched(folder: Path) -> None:
    a = folder / "a.mp4"
    plan = _plan(a)
    os.utime(a, (1, 1))  # the same bytes with another time: the same file
    assert changed_source(str(a), [plan]) is None
    moved = folder / "moved"
    moved.mkdir()
    shutil.copy(a, moved / "a.mp4")  # a project folder copied elsewhere
    plan_file = moved / "plan.yaml"
    save_plans(plan_file, [ClipPlan(**{**plan.to_dict(), "source": str(moved / "a.mp4")})])
    res = _render(folder, plan_file)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]


def test_a_plan_without_a_fingerprint_still_renders(folder: Path) -> None:
    a = folder / "a.mp4"
    plan_file = folder / "old.yaml"
    save_plans(plan_file, [_plan(a, recorded=False)])
    assert "source_fingerprint: ''" in plan_file.read_text()
    # ...and one written before plans recorded it, where the key is missing altogether.
    text = plan_file.read_text().replace("  source_fingerprint: ''\n", "")
    plan_file.write_text(text)
    _tiny(a, "smptebars")
    assert load_plans(plan_file)[0].source_fingerprint == ""
    res = _render(folder, plan_file)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert (folder / "out" / "small" / "a.mp4").exists()


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_the_fingerprint_survives_the_plan_file(folder: Path, suffix: str) -> None:
    plan = _plan(folder / "a.mp4")
    save_plans(folder / f"plan{suffix}", [plan])
    assert load_plans(folder / f"plan{suffix}") == [plan]


def test_a_source_that_is_gone_or_not_a_file_is_left_to_the_render_to_say(
    folder: Path,
) -> None:
    plan = _plan(folder / "a.mp4")
    (folder / "a.mp4").unlink()
    assert changed_source(str(folder / "a.mp4"), [plan]) is None
    os.mkfifo(folder / "a.mp4")  # never opened: it would block
    assert changed_source(str(folder / "a.mp4"), [plan]) is None


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_detect_plan_records_each_sources_fingerprint(tmp_path: Path) -> None:
    clip = tmp_path / "spill.mp4"  # 12 s around the spill of a sample: one moment
    ffmpeg("-ss", "20", "-i", str(SAMPLES / "counter_stir_drop_spill.mp4"), "-t", "12",
           "-c", "copy", str(clip))  # fmt: skip
    plan_file = tmp_path / "plan.yaml"
    args = ["detect", "-q", str(clip), "--plan", str(plan_file), "--cache-dir", str(tmp_path)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    plans = load_plans(plan_file)
    assert plans and {p.source_fingerprint for p in plans} == {_print(clip)}
