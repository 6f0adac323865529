"""Hostile presets and plans (issue 27): each is refused with one line naming the file,
quickly, with no traceback and nothing written."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clipkit import errors
from clipkit import files as records
from clipkit.cli import main
from clipkit.clips.plan import load_plans
from clipkit.clips.presets import load_preset
from clipkit.errors import InputError, PresetError, RenderError
from clipkit.media.probe import probe
from clipkit.render import clip as render
from tests.conftest import SAMPLES, ffmpeg


def _bomb(top: str) -> str:
    """Billion laughs: nine levels of nine aliases each, 9**9 strings once expanded."""
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 9):
        text += f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n"
    return text + f"{top}: *l8\n"


def _one_line_error(result: object, path: Path) -> str:
    out = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("clipkit: error:")]
    assert len(lines) == 1, out
    assert str(path) in lines[0]
    return lines[0]


def test_alias_bomb_preset_is_refused_fast(tmp_path: Path) -> None:
    bad = tmp_path / "bomb.yaml"
    bad.write_text(_bomb("caption"))
    t0 = time.monotonic()
    result = CliRunner().invoke(main, ["presets", "validate", str(bad)])
    assert time.monotonic() - t0 < 1.0
    assert result.exit_code == 1
    assert "aliases" in _one_line_error(result, bad)
    with pytest.raises(PresetError, match="bomb.yaml: the file expands"):
        load_preset(bad)


def test_alias_bomb_plan_is_refused_fast(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text(_bomb("clips"))
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"plan.yaml: not a valid plan file \(the file expands"):
        load_plans(bad)
    assert time.monotonic() - t0 < 1.0


def test_alias_loop_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "loop.yaml"
    bad.write_text("caption: &a [*a]\n")
    with pytest.raises(PresetError, match="loop.yaml: the file expands"):
        load_preset(bad)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_text("caption: &c 'oops {index}'\nrecovery_caption: *c\n")
    assert load_preset(ok).recovery_caption == "oops {index}"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN", "1.0e+999"])
def test_non_finite_preset_value_names_file_line_and_key(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "inf.yaml"
    bad.write_text(f"description: hot\nfps: {value}\n")
    result = CliRunner().invoke(main, ["presets", "validate", str(bad)])
    assert result.exit_code == 1
    line = _one_line_error(result, bad)
    assert f"line 2: 'fps' must be a finite number, not {value}" in line
    with pytest.raises(PresetError, match="inf.yaml: line 2: 'fps' must be a finite"):
        load_preset(bad)


def test_non_finite_override_is_refused() -> None:
    with pytest.raises(PresetError, match="'lead_in' must be a finite number"):
        load_preset("reels").with_overrides(lead_in=float("nan"))


PLAN_CLIP = "  - source: a.mp4\n    index: 1\n    start: {start}\n    end: 4.0\n"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_plan_value_names_file_line_and_key(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("clips:\n" + PLAN_CLIP.format(start=value))
    with pytest.raises(InputError, match=r"plan.yaml: .*line 4: 'start' must be a finite number"):
        load_plans(bad)


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999"])
def test_non_finite_json_plan_names_file_line_and_key(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "plan.json"
    clip = f'{{"source": "a.mp4", "index": 1,\n  "start": {value}, "end": 4}}'
    bad.write_text('{"clips": [\n ' + clip + "]}")
    with pytest.raises(InputError, match=r"plan.json: .*line 3: 'start' must be a finite number"):
        load_plans(bad)


def test_non_finite_plan_text_value_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("clips:\n" + PLAN_CLIP.format(start="'nan'"))
    with pytest.raises(InputError, match=r"plan.yaml: clip 1: 'start' must be a finite number"):
        load_plans(bad)


@pytest.mark.parametrize(
    "template, field",
    [
        ("{stem.__class__}", "{stem.__class__}"),
        ("x {index[0]}", "{index[0]}"),
        ("{source}", "{source}"),
        ("{}", "{}"),
        ("{0}", "{0}"),
        ("{seconds:{index.real}}", "{index.real}"),
    ],
)
def test_template_with_access_or_unknown_field_is_refused(
    tmp_path: Path, template: str, field: str
) -> None:
    bad = tmp_path / "tpl.yaml"
    bad.write_text(f"description: x\noutput_name: '{template}'\n")
    result = CliRunner().invoke(main, ["presets", "validate", str(bad)])
    assert result.exit_code == 1
    line = _one_line_error(result, bad)
    assert "line 2: 'output_name'" in line
    assert f"unknown field '{field}'; allowed: {{line}} {{stem}} {{name}} {{index}}" in line


def test_template_refused_from_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["cut", str(tmp_path), "-o", str(tmp_path / "out"), "--caption", "{stem.__doc__}"]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "unknown field '{stem.__doc__}'" in result.output
    assert not (tmp_path / "out").exists()


def test_template_through_the_api_is_an_input_error() -> None:
    from clipkit.clips.plan import fill_template

    with pytest.raises(InputError, match=r"unknown field '\{stem\.__class__\}'; allowed"):
        fill_template("{stem.__class__}", source="a.mp4", index=1, peak=1.0, preset="reels")


def test_too_wide_format_is_refused() -> None:
    from clipkit.clips.plan import fill_template

    with pytest.raises(InputError, match="wider than 999"):
        fill_template("{line:>999999999}", source="a.mp4", index=1, peak=1.0, preset="p")


def test_documented_template_fields_still_fill() -> None:
    from clipkit.clips.plan import fill_template

    text = fill_template(
        "{line}|{stem}|{name}|{index:02d}|{time}|{seconds:.1f}|{preset}|{stem!r}|{{x}}",
        source="dir/day1.mp4",
        index=3,
        peak=75.25,
        preset="reels",
        line="oops",
    )
    assert text == "oops|day1|day1.mp4|03|1:15|75.2|reels|'day1'|{x}"


REC_CLIP = PLAN_CLIP.format(start=1.0) + "    recovery_source: a.mp4\n"


@pytest.mark.parametrize(
    "window, shown",
    [("6.0, 5.0", "6 to 5 s"), ("5.0, 5.0", "5 to 5 s"), ("-2.0, 1.0", "-2 to 1 s")],
)
def test_negative_or_inverted_recovery_window_is_refused(
    tmp_path: Path, window: str, shown: str
) -> None:
    start, end = window.split(", ")
    bad = tmp_path / "plan.yaml"
    bad.write_text(
        "clips:\n" + PLAN_CLIP.format(start=0.5) + REC_CLIP
        + f"    recovery_start: {start}\n    recovery_end: {end}\n"
    )  # fmt: skip
    with pytest.raises(InputError) as err:
        load_plans(bad)
    assert str(err.value) == (
        f"{bad}: clip 2: the recovery shot ({shown}) needs 0 <= recovery_start < recovery_end"
    )


def test_still_recovery_past_the_source_end_still_loads(tmp_path: Path) -> None:
    ok = tmp_path / "plan.yaml"
    ok.write_text(
        "clips:\n" + REC_CLIP
        + "    recovery_start: 3.5\n    recovery_end: 999.0\n    recovery_still: true\n"
    )  # fmt: skip
    (plan,) = load_plans(ok)
    assert plan.recovery == (3.5, 999.0) and plan.recovery_still


@pytest.mark.parametrize("name", ["manifest.json", "index.html", "clip", "clip.mov", "a.mp4.txt"])
def test_plan_output_that_is_not_a_video_name_is_refused(tmp_path: Path, name: str) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("clips:\n" + PLAN_CLIP.format(start=1.0) + f"    output: {name}\n")
    with pytest.raises(InputError) as err:
        load_plans(bad)
    assert str(err.value) == (
        f"{bad}: clip 1: 'output' must be a video file name ending in .mp4, not '{name}'"
    )


def test_plan_output_refused_by_render_without_writing_it(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("clips:\n" + PLAN_CLIP.format(start=1.0) + "    output: manifest.json\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(bad), "-o", str(out)])
    assert result.exit_code == 1
    assert "'output' must be a video file name" in _one_line_error(result, bad)
    for manifest in out.rglob("manifest.json"):  # clipkit's own, never a clip
        json.loads(manifest.read_text())


def test_plan_output_mp4_in_any_case_loads(tmp_path: Path) -> None:
    ok = tmp_path / "plan.yaml"
    ok.write_text("clips:\n" + PLAN_CLIP.format(start=1.0) + "    output: Day1_01.MP4\n")
    assert load_plans(ok)[0].output == "Day1_01.MP4"


@pytest.mark.parametrize("key", ["caption", "recovery_caption", "lesson"])
def test_huge_plan_caption_is_refused(tmp_path: Path, key: str) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("clips:\n" + PLAN_CLIP.format(start=1.0) + f"    {key}: {'x' * 200_000}\n")
    with pytest.raises(InputError) as err:
        load_plans(bad)
    assert str(err.value) == (
        f"{bad}: clip 1: '{key}' too long (200,000 characters; a caption may have 500 at most)"
    )


def test_huge_preset_caption_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "long.yaml"
    bad.write_text(f"description: x\ncaption: {'y' * 501}\n")
    result = CliRunner().invoke(main, ["presets", "validate", str(bad)])
    assert result.exit_code == 1
    assert "line 2: 'caption' too long (501 characters; a caption may have 500 at most)" in (
        _one_line_error(result, bad)
    )


@pytest.mark.parametrize("option", ["--caption", "--recovery-caption", "--lesson"])
def test_huge_caption_option_is_refused(tmp_path: Path, option: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["cut", str(tmp_path), "-o", str(out), option, "z" * 10_000])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "too long (10,000 characters; a caption may have 500 at most)" in result.output
    assert not out.exists()


def test_caption_of_500_characters_loads(tmp_path: Path) -> None:
    ok = tmp_path / "plan.yaml"
    ok.write_text("clips:\n" + PLAN_CLIP.format(start=1.0) + f"    caption: {'x' * 500}\n")
    assert len(load_plans(ok)[0].caption or "") == 500


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_like_a_video_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as err:
        probe(fifo)
    assert str(err.value) == f"{fifo}: not a regular file (a named pipe), not a video file"
    t0 = time.monotonic()  # found in a folder: refused, never opened (that would block)
    result = CliRunner().invoke(main, ["detect", str(tmp_path)])
    assert time.monotonic() - t0 < 30
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{fifo}: error: not a regular file (a named pipe)" in result.output
    assert "0 bytes" not in result.output


def test_device_is_not_a_regular_file() -> None:
    with pytest.raises(InputError, match=r"/dev/null: not a regular file \(a character device\)"):
        probe("/dev/null")


def _skip_lines(result: object, path: Path) -> list[str]:
    """The lines naming ``path``, after checking there was no traceback."""
    out = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in out
    return [line for line in out.splitlines() if str(path) in line]


def test_symlink_loop_in_a_folder_is_skipped_and_the_rest_done(
    tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(make_clip("loop_neighbour.mp4", duration=1.0), folder / "good.mp4")
    (folder / "loop.mp4").symlink_to("loop.mp4")  # points at itself
    (folder / "a").symlink_to("b")  # a loop of two folders
    (folder / "b").symlink_to("a")
    for args in ([str(folder)], [str(folder), str(folder / "loop.mp4")]):
        result = CliRunner().invoke(main, ["detect", *args])
        assert result.exit_code == 1, result.output
        assert _skip_lines(result, folder / "loop.mp4") == [
            f"clipkit: {folder / 'loop.mp4'}: skipped: a symlink loop"
        ]
        assert f"{folder / 'good.mp4'}  (1.0 s" in result.output


def _locked_and_good(tmp_path: Path, make_clip: Callable[..., Path]) -> tuple[Path, Path]:
    (tmp_path / "locked").mkdir()
    locked = tmp_path / "locked" / "take.mp4"
    shutil.copy(make_clip("locked_neighbour.mp4", duration=1.0), locked)
    good = tmp_path / "good.mp4"
    shutil.copy(locked, good)
    return locked, good


def _check_permission_denied(locked: Path, good: Path) -> None:
    result = CliRunner().invoke(main, ["detect", str(locked), str(good)])
    assert result.exit_code == 1, result.output
    assert _skip_lines(result, locked) == [f"clipkit: {locked}: skipped: permission denied"]
    assert f"{good}  (1.0 s" in result.output


def test_file_in_a_folder_that_cannot_be_entered_is_said_simulated(
    tmp_path: Path, make_clip: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked, good = _locked_and_good(tmp_path, make_clip)
    real_stat = Path.stat

    def stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self.parent == locked.parent:  # what the kernel says to a user without x on it
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    _check_permission_denied(locked, good)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root enters any folder")
def test_file_in_a_folder_that_cannot_be_entered_is_said(
    tmp_path: Path, make_clip: Callable[..., Path]
) -> None:
    locked, good = _locked_and_good(tmp_path, make_clip)
    locked.parent.chmod(0)
    try:
        _check_permission_denied(locked, good)
        result = CliRunner().invoke(main, ["detect", str(tmp_path)])  # found by walking
        assert result.exit_code == 1, result.output
        assert _skip_lines(result, locked.parent) == [
            f"clipkit: {locked.parent}: skipped: permission denied"
        ]
    finally:
        locked.parent.chmod(0o755)


def _spill(out: Path) -> None:
    """12 s around the spill of a sample: one moment, one clip."""
    ffmpeg("-ss", "20", "-i", str(SAMPLES / "counter_stir_drop_spill.mp4"), "-t", "12",
           "-c", "copy", str(out))  # fmt: skip


def test_detect_plan_keeps_the_good_files_plans_when_one_fails(tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    _spill(good)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    plan = tmp_path / "plans.yaml"
    args = ["detect", "-q", "--plan", str(plan), "--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(main, [*args, str(bad), str(good)])
    assert result.exit_code == 1, result.output
    assert len([ln for ln in _skip_lines(result, bad) if "error" in ln]) == 1
    assert f"clipkit: {plan}: written without the clips of 1 file(s) that failed" in result.output
    alone = tmp_path / "alone.yaml"  # the same plans as a run over the good file alone
    assert CliRunner().invoke(main, [*args[:3], str(alone), *args[4:], str(good)]).exit_code == 0
    assert load_plans(plan) == load_plans(alone)
    assert len(load_plans(plan)) == 1


def _children(pid: int) -> dict[int, str]:
    """The processes ``pid`` started (and theirs), with their command lines."""
    found: dict[int, str] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found[int(d.name)] = cmd
            found.update(_children(int(d.name)))
    return found


def _alive(pid: int) -> bool:
    try:  # a zombie is dead, only not yet reaped (by whoever adopted it)
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _naming(text: str) -> list[int]:
    """The processes (but this one) whose command line holds ``text``: orphans too."""
    found = []
    for d in Path("/proc").iterdir():
        try:
            cmd = (d / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if d.name.isdigit() and int(d.name) != os.getpid() and text in cmd and _alive(int(d.name)):
            found.append(int(d.name))
    return found


@pytest.fixture(scope="module")
def analysed_spill(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The spill clip and an analysis cache that holds it (any copy of it too)."""
    folder = tmp_path_factory.mktemp("spill")
    _spill(folder / "spill.mp4")
    args = ["detect", "-q", str(folder / "spill.mp4"), "--cache-dir", str(folder / "cache")]
    assert CliRunner().invoke(main, args).exit_code == 0
    return folder / "spill.mp4", folder / "cache"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("sig", "jobs"),  # (jobs 2: two sources, a pool of workers)
    [(signal.SIGKILL, 1), (signal.SIGTERM, 1), (signal.SIGINT, 1),
     (signal.SIGKILL, 2), (signal.SIGTERM, 2)],
    ids=lambda v: v.name if isinstance(v, signal.Signals) else f"jobs{v}",
)  # fmt: skip
def test_nothing_outlives_a_stopped_cut(
    tmp_path: Path, analysed_spill: tuple[Path, Path], sig: signal.Signals, jobs: int
) -> None:
    """No ffmpeg and no worker outlives clipkit, whatever ends it; a SIGTERM or SIGINT
    also leaves no temporary file, and exits with 128 + the signal and one line."""
    sources = [tmp_path / "a.mp4", tmp_path / "b.mp4"][:jobs]  # two: a pool of workers
    for source in sources:
        shutil.copy(analysed_spill[0], source)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    cmd = [sys.executable, "-m", "clipkit", "cut", "-q", "-j", str(jobs), *map(str, sources),
           "-o", str(out), "--cache-dir", str(analysed_spill[1])]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while (
            sum("libx264" in c for c in _children(proc.pid).values()) < jobs
            or len(list(out.rglob(".*.part-*"))) < jobs  # (files to leave behind)
        ):
            assert proc.poll() is None, "cut ended before it rendered"
            assert time.monotonic() < deadline, "no encoder started within a minute"
            time.sleep(0.05)
        children = _children(proc.pid)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 3
    while (any(_alive(p) for p in children) or _naming(str(tmp_path))) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    left = {p: c for p, c in children.items() if _alive(p)}
    left.update({p: "orphan" for p in _naming(str(tmp_path))})
    for p in left:  # not to leave them running when the test fails
        os.kill(p, signal.SIGKILL)
    assert not left
    finals = [p for p in out.rglob("*.mp4") if not p.name.startswith(".")]
    assert not finals, "nothing under a final name"
    if sig != signal.SIGKILL:
        assert proc.returncode == 128 + sig
        said = "\nclipkit: interrupted" if sig == signal.SIGINT else "clipkit: stopped by SIGTERM"
        assert stderr == said + "\n"
        assert not list(out.rglob(".*.part-*")), "temporary files were left behind"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_ffmpeg_without_a_pipe_outlives_clipkit(sig: signal.Signals) -> None:
    # An ffmpeg that reads and writes files (the sound, the mux) has no pipe to clipkit
    # to end it: this one would run for ever.
    code = (
        "from clipkit.media.ffmpeg import run_ffmpeg\n"
        "run_ffmpeg(['-f', 'lavfi', '-i', 'nullsrc=s=16x16', '-f', 'null', '-'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 20
        while not (children := _children(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, "no ffmpeg started"
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(10)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    leftover = [p for p in children if _alive(p)]
    for p in leftover:  # not to leave it running when the test fails
        os.kill(p, signal.SIGKILL)
    assert not leftover


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _leftovers(out: Path) -> list[Path]:
    """Files under ``out`` that are half-made: temporary, or clips without a record."""
    return [p for p in out.rglob("*") if p.is_file() and (".part" in p.name or ".tmp" in p.name)]


def test_full_disk_at_the_manifest_is_one_line(
    tmp_path: Path, make_clip: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = make_clip("full_disk.mp4", duration=1.0)  # no moments: only the records
    out = tmp_path / "out"
    monkeypatch.setattr(records, "_write_text", _no_space)
    result = CliRunner().invoke(main, ["cut", "-q", "-j", "1", str(clip), "-o", str(out)])
    assert result.exit_code == 1, result.output
    line = _one_line_error(result, out)
    assert line == (
        f"clipkit: error: {out}: the disk is full: clipkit's records not written "
        "(free some space, run again)"
    )
    assert not (out / "manifest.json").exists()
    assert not _leftovers(out)


def test_full_disk_at_the_start_is_one_line_and_nothing_done(
    tmp_path: Path, make_clip: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A disk so full that not even the lock's few bytes fit (the empty lock file does):
    # a traceback from the lock once.
    clip = make_clip("full_disk.mp4", duration=1.0)
    out = tmp_path / "out"
    monkeypatch.setattr(os, "pwrite", _no_space)
    result = CliRunner().invoke(main, ["cut", "-q", "-j", "1", str(clip), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert _one_line_error(result, out) == (
        f"clipkit: error: {out}: the disk is full: clipkit's records not written "
        "(free some space, run again)"
    )
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["lock"]


@pytest.mark.parametrize("where", ["encoder", "muxer"])
def test_full_disk_during_a_render_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    clip = tmp_path / "spill.mp4"
    _spill(clip)
    out = tmp_path / "out"

    def write_video(tl: object, preset: object, video: Path, *args: object) -> object:
        video.write_bytes(b"half a clip")
        if where == "encoder":
            _no_space()
        return np.zeros((8, 8, 3), np.uint8)

    def mux(video: Path, audio: Path, part: Path) -> None:
        part.write_bytes(b"half a clip")  # what ffmpeg says of a disk that filled up:
        raise RenderError(f"{part.name}: muxing failed (Invalid data)")

    monkeypatch.setattr(render, "_write_video", write_video)
    monkeypatch.setattr(render, "_mux", mux)
    if where == "muxer":
        monkeypatch.setattr(errors, "free_bytes", lambda folder: 4096)
    result = CliRunner().invoke(main, ["cut", "-q", "-j", "1", str(clip), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    full = [line for line in result.output.splitlines() if "the disk is full" in line]
    assert len(full) == 1 and str(out) in full[0], result.output
    assert "spill_01_reels.mp4 not written" in full[0]
    assert not list(out.rglob("*.mp4")), "nothing under a final name, no part left"
    assert not _leftovers(out)
    manifest_doc = json.loads((out / "manifest.json").read_text())
    assert not manifest_doc.get("clips")
