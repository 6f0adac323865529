from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipkit import __version__
from clipkit.cli import main
from clipkit.clips.plan import ClipPlan
from clipkit.media import ffmpeg
from tests.conftest import SAMPLES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A zero-byte "video": the commonest bad input (an interrupted copy)."""
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"")
    return bad


def test_version(runner: CliRunner) -> None:
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0
    assert __version__ in res.output


def test_help_describes_each_subcommand(runner: CliRunner) -> None:
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0
    for name, cmd in main.commands.items():
        assert name in res.output
        assert cmd.get_short_help_str(), f"subcommand {name} has no help text"


def test_unknown_subcommand_is_usage_error(runner: CliRunner) -> None:
    res = runner.invoke(main, ["frobnicate"])
    assert res.exit_code == 2
    assert "Usage:" in res.output


def test_unknown_option_is_usage_error(runner: CliRunner) -> None:
    res = runner.invoke(main, ["doctor", "--no-such-option"])
    assert res.exit_code == 2
    assert "No such option" in res.output


def test_doctor_reports_tools(runner: CliRunner) -> None:
    res = runner.invoke(main, ["doctor"])
    assert res.exit_code == 0, res.output
    for tool in ("ffmpeg", "opencv", "moviepy", "python"):
        assert tool in res.output
    assert ffmpeg.find_ffmpeg().path in res.output


def test_doctor_fails_without_ffmpeg(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg, "_candidates", lambda: [("PATH", None), ("imageio-ffmpeg", None)])
    ffmpeg.find_ffmpeg.cache_clear()
    try:
        res = runner.invoke(main, ["doctor"])
    finally:
        ffmpeg.find_ffmpeg.cache_clear()
    assert res.exit_code == 1
    line = next(ln for ln in res.output.splitlines() if "ffmpeg" in ln)
    assert "FAIL" in line
    for place in ("CLIPKIT_FFMPEG", "PATH", "imageio-ffmpeg"):
        assert place in line


def test_detect_json_reports_each_file_and_goes_on_after_a_bad_one(
    runner: CliRunner, make_clip: Callable[..., Path], tmp_path: Path, broken: Path
) -> None:
    import json

    good, bad = make_clip("detect_me.mp4", duration=3.0), broken
    out = tmp_path / "moments.json"
    res = runner.invoke(
        main,
        [
            "detect",
            "--json",
            "-q",
            str(bad),
            str(good),
            "-o",
            str(out),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],  # fmt: skip
    )
    assert res.exit_code == 1
    doc = json.loads(out.read_text())
    assert doc["clipkit_version"] == __version__
    first, second = doc["files"]
    assert first["path"] == str(bad) and "empty file" in first["error"] and first["moments"] == []
    assert second["error"] is None and second["duration"] == pytest.approx(3.0, abs=0.1)
    for m in second["moments"]:
        assert set(m) >= {"start", "peak", "end", "score", "reasons"}


def test_detect_text_and_plan_file(
    runner: CliRunner, make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    clip = make_clip("detect_text.mp4", duration=3.0)
    plan = tmp_path / "plan.yaml"
    res = runner.invoke(
        main, ["detect", "-q", str(clip), "--plan", str(plan), "--cache-dir", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert f"{clip}  (3.0 s," in res.output
    assert plan.read_text().startswith("version: 1")


def test_detect_writes_no_plan_when_every_file_failed(
    runner: CliRunner, tmp_path: Path, broken: Path
) -> None:
    # An empty plan would read as "no moments there".
    plan = tmp_path / "plan.yaml"
    args = ["detect", "-q", "--plan", str(plan), "--cache-dir", str(tmp_path / "c")]
    res = runner.invoke(main, [*args, str(broken)])
    assert res.exit_code == 1
    assert not plan.exists()
    assert f"{plan}: not written, because every file failed" in res.output
    # The text report names the file once per line, with its problem.
    assert f"{broken}: error: empty file" in res.output


@pytest.mark.parametrize("flag", ["-o", "--plan"])
def test_detect_output_that_cannot_be_written_is_one_line_before_any_work(
    runner: CliRunner, tmp_path: Path, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clipkit.run.batch

    def no_analysis(*a: object, **k: object) -> None:
        raise AssertionError("analysed although the output cannot be written")

    monkeypatch.setattr(clipkit.run.batch, "run_detect", no_analysis)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    target = a_file / "out.yaml"  # a "folder" that is a file
    res = runner.invoke(main, ["detect", "-q", str(tmp_path), flag, str(target)])
    assert res.exit_code == 1
    assert res.output.strip() == (
        f"clipkit: error: {target}: cannot write the "
        f"{'output' if flag == '-o' else 'plan'} file: {a_file} is not a folder"
    )


def test_detect_json_carries_the_notes(
    runner: CliRunner, make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    import json

    clip = make_clip("detect_short.mp4", duration=1.5)
    res = runner.invoke(main, ["detect", "-q", "--json", str(clip), "--cache-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    [entry] = json.loads(res.output)["files"]
    assert entry["moments"] == [] and "shorter than 2 s" in entry["notes"][0]


def test_cut_says_which_files_gave_no_moments_and_why(
    runner: CliRunner, make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    clip = make_clip("cut_short.mp4", duration=1.5)
    args = ["cut", str(clip), "-o", str(tmp_path / "out"), "--cache-dir", str(tmp_path)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert f"note: {clip}: shorter than 2 s: no moments" in lines
    assert lines[-1].startswith("0 clip(s) made, 0 up to date, 0 file(s) failed, 1 file(s) ")
    assert f"no moments in {clip}" not in lines
    assert f"no moments in {clip}" in runner.invoke(main, [*args, "-v"]).output.splitlines()


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[ClipPlan]:
    """The plans that `clipkit render` hands over to be rendered (and nothing rendered)."""
    import clipkit.run.batch

    handed: list[ClipPlan] = []

    def fake_run_plans(plans: list[ClipPlan], opts: object, **kw: object) -> object:
        handed.extend(plans)
        return clipkit.run.batch.BatchReport([])

    monkeypatch.setattr(clipkit.run.batch, "run_plans", fake_run_plans)
    return handed


def _plan_file(folder: Path, name: str = "good.yaml") -> tuple[Path, ClipPlan]:
    """A plan file with one clip, and the clip."""
    from clipkit.clips.plan import save_plans

    clip = ClipPlan(str(folder / "a.mp4"), 1, 1.0, 6.0, 3.0, 0.8, "Oops", "", "a.mp4", "reels")
    save_plans(folder / name, [clip])
    return folder / name, clip


def test_render_reports_a_bad_plan_file_and_renders_the_others(
    runner: CliRunner, tmp_path: Path, rendered: list[ClipPlan]
) -> None:
    from clipkit.clips.plan import save_plans

    good, _ = _plan_file(tmp_path)
    garbage = tmp_path / "garbage.yaml"
    garbage.write_text("foo: [")
    out = ["-o", str(tmp_path / "out")]
    res = runner.invoke(main, ["render", "-q", str(garbage), str(good), *out])
    assert res.exit_code == 1
    assert f"clipkit: error: {garbage}: line 1: not a valid plan file" in res.output
    assert [p.caption for p in rendered] == ["Oops"]
    # One count of what failed, the plan file it could not read included (issue 27).
    res = runner.invoke(main, ["render", str(garbage), str(good), *out])
    assert res.exit_code == 1
    counts = [ln for ln in res.output.splitlines() if "file(s) failed" in ln]
    assert len(counts) == 2 and counts[1] == "clipkit: 1 file(s) failed:", res.output
    assert counts[0].endswith(f" 1 file(s) failed -> {tmp_path / 'out' / 'index.html'}")

    empty = tmp_path / "empty.yaml"
    save_plans(empty, [])  # a video without moments: normal in the make workflow
    res = runner.invoke(main, ["render", str(empty), *out])
    assert res.exit_code == 0
    assert res.output.splitlines()[0] == "clipkit: the plan files hold no clips: nothing to render"


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_detect_explain_lists_what_was_turned_down(runner: CliRunner, tmp_path: Path) -> None:
    import json

    from clipkit.detection.features import TEXT

    # The negative sample: a hard cut, the light off and on, a hand at the lens at both
    # ends, a clang; candidates, but nothing to report.
    clip = str(SAMPLES / "negative_cut_light_clang.mp4")
    cache = ["--cache-dir", str(tmp_path)]
    plain = runner.invoke(main, ["detect", "-q", clip, *cache])
    assert plain.exit_code == 0, plain.output
    assert "not reported" not in plain.output
    res = runner.invoke(main, ["detect", "-q", "--explain", clip, *cache])
    assert res.exit_code == 0, res.output
    turned_down = [ln for ln in res.output.splitlines() if "not reported:" in ln]
    assert turned_down
    for ln in turned_down:  # the score it lacked, and what counted against it, in words
        why = ln.split("not reported: ", 1)[1]
        assert why.startswith(("score below ", "within --min-gap", "more than --max-moments"))
        for reason in why.split(": ", 1)[1:][0].split("; ") if ": " in why else []:
            assert reason in TEXT.values(), reason

    doc = json.loads(runner.invoke(main, ["detect", "-q", "--json", clip, *cache]).output)
    assert "rejected" not in doc["files"][0]  # the documented shape, unless asked
    res = runner.invoke(main, ["detect", "-q", "--json", "--explain", clip, *cache])
    [entry] = json.loads(res.output)["files"]
    assert len(entry["rejected"]) == len(turned_down)
    for r in entry["rejected"]:
        assert set(r) == {"start", "peak", "end", "score", "why"}
        assert r["start"] <= r["peak"] <= r["end"]


def test_detect_bad_sensitivity_is_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["detect", "--sensitivity", "7", str(tmp_path)])
    assert res.exit_code == 2
    assert "sensitivity must be between 0 and 1" in res.output


def test_bad_caption_template_or_recovery_file_fails_before_any_work(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = ["-o", str(tmp_path / "out")]
    res = runner.invoke(main, ["cut", "--caption", "Oops :} {stem}", str(tmp_path), *out])
    assert res.exit_code == 2
    assert "Invalid value for '--caption': template 'Oops :} {stem}'" in res.output
    not_video = tmp_path / "notes.mov"
    not_video.write_text("hello")
    res = runner.invoke(main, ["cut", "--recovery", str(not_video), str(tmp_path), *out])
    assert res.exit_code == 1
    assert res.output.startswith(f"clipkit: error: {not_video}: not a readable video")


def test_two_presets_with_one_name_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    clash = tmp_path / "clash.yaml"
    clash.write_text("extends: tiktok\nname: reels\n")
    res = runner.invoke(main, ["cut", "-p", "reels", "-p", str(clash), str(tmp_path), "-n"])
    assert res.exit_code == 1
    assert f"{clash}: named 'reels' like reels: their clips would overwrite" in res.output


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_a_name_template_without_index_still_gives_each_clip_its_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    preset = tmp_path / "one.yaml"
    preset.write_text('extends: reels\noutput_name: "{stem}.mp4"\n')
    clip = str(SAMPLES / "counter_stir_drop_spill.mp4")
    res = runner.invoke(
        main, ["cut", "-n", "-p", str(preset), clip, "-o", str(tmp_path / "o"),
               "--sensitivity", "1", "--max-moments", "2",  # two moments, whatever the model
               "--cache-dir", str(tmp_path / "c")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    would = [ln.split("/")[-1] for ln in res.output.splitlines() if ln.startswith("would make")]
    assert would == ["counter_stir_drop_spill.mp4", "counter_stir_drop_spill-2.mp4"]


def test_unknown_preset_lists_the_available_ones(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["cut", "-p", "reelz", str(tmp_path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "reelz" in res.output and "reels" in res.output and "tiktok" in res.output


def test_analysis_is_cached_by_default(
    runner: CliRunner,
    make_clip: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path / "cache"))
    clip = make_clip("cache_me.mp4", duration=3.0)
    assert runner.invoke(main, ["detect", "-q", str(clip)]).exit_code == 0
    assert list((tmp_path / "cache").rglob("*.npz")), "no --cache-dir: the default cache is used"


def test_presets_validate_checks_every_file(runner: CliRunner, tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text("extends: reels\nfps: -3\n")
    good.write_text("extends: reels\nname: mine\n")
    missing = tmp_path / "nope.yaml"
    res = runner.invoke(main, ["presets", "validate", str(bad), str(missing), str(good)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert any(ln.startswith(f"clipkit: error: {bad}: line 2: 'fps'") for ln in lines)
    assert any(ln.startswith(f"clipkit: error: {missing}") for ln in lines)
    assert f"{good}: ok" in lines


def test_output_folder_that_is_the_footage_folder_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The next run would take the whole folder for clipkit's output, and find nothing.
    res = runner.invoke(main, ["cut", str(tmp_path), "--output", f"{tmp_path}/", "-n"])
    assert res.exit_code == 2
    assert f"{tmp_path} is one of the footage folders" in res.output
    out = tmp_path / "out"
    (out / ".clipkit").mkdir(parents=True)
    res = runner.invoke(main, ["detect", "-q", str(out)])
    assert res.exit_code == 0
    assert f"clipkit: {out}: skipped: a clipkit output folder, not footage" in res.output


def test_ctrl_c_exits_130(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clipkit.run.batch

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(clipkit.run.batch, "run_detect", interrupted)
    (tmp_path / "a.mp4").write_bytes(b"")
    res = runner.invoke(main, ["detect", "-q", str(tmp_path)])
    assert res.exit_code == 130
    assert res.output.strip() == "clipkit: interrupted"


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_detect_lists_moments_in_time_order(runner: CliRunner, tmp_path: Path) -> None:
    import json

    clip = str(SAMPLES / "counter_stir_drop_spill.mp4")
    cache = ["--cache-dir", str(tmp_path)]
    res = runner.invoke(main, ["detect", "-q", "--explain", clip, *cache])
    assert res.exit_code == 0, res.output
    rows = [ln.split() for ln in res.output.splitlines()[1:] if ln.startswith("  ")]
    peaks = [float(r[r.index("peak") + 1]) for r in rows]
    assert len(peaks) >= 3 and peaks == sorted(peaks)
    numbered = [r[0] for r in rows if r[0] != "--"]
    assert numbered == [f"#{i}" for i in range(1, len(numbered) + 1)]
    # The JSON keeps its order (best first), so that a reader can take the first N.
    doc = json.loads(runner.invoke(main, ["detect", "-q", "--json", clip, *cache]).output)
    scores = [m["score"] for m in doc["files"][0]["moments"]]
    assert len(scores) == len(numbered) and scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("quiet", [False, True])
def test_notes_of_new_clips_are_printed_unless_quiet(
    capsys: pytest.CaptureFixture[str], quiet: bool
) -> None:
    from types import SimpleNamespace

    from clipkit.cli import _report
    from clipkit.run.batch import BatchReport, SourceOutcome

    note = "no recovery shot: less than 2.5 s of footage after the mishap"
    clip = SimpleNamespace(output="reels/a_01_reels.mp4", notes=[note], loudness=None)
    done = SourceOutcome("a.mp4", moments=[{"peak": 3.0}], made=[clip])  # type: ignore[list-item]
    _report(BatchReport([done]), Path("out"), dry_run=False, verbose=False, quiet=quiet)
    err = capsys.readouterr().err
    assert (f"note: {Path('out/reels/a_01_reels.mp4')}: {note}" in err) is not quiet


@pytest.mark.parametrize("verbose", [False, True])
def test_loudness_is_told_only_with_verbose(
    capsys: pytest.CaptureFixture[str], verbose: bool
) -> None:
    """A creator cannot act on limiter figures: they go to --verbose and the manifest."""
    from types import SimpleNamespace

    from clipkit.cli import _report
    from clipkit.run.batch import BatchReport, SourceOutcome

    loud = {"target": -14.0, "integrated": -14.1, "true_peak": -2.3, "gain": 20.7,
            "limiter": 19.9, "source": -30.2}  # fmt: skip
    clip = SimpleNamespace(output="reels/a_01_reels.mp4", notes=[], loudness=loud)
    done = SourceOutcome("a.mp4", moments=[{"peak": 3.0}], made=[clip])  # type: ignore[list-item]
    _report(BatchReport([done]), Path("out"), dry_run=False, verbose=verbose, quiet=False)
    err = capsys.readouterr().err
    line = "sound -14.1 LUFS (target -14), true peak -2.3 dBTP; gain +20.7 dB, limiter 19.9 dB"
    assert (line in err) is verbose
    assert ("LUFS" in err) is verbose


def test_a_clip_planned_twice_is_rendered_once(
    runner: CliRunner, tmp_path: Path, rendered: list[ClipPlan]
) -> None:
    import shutil

    plan, clip = _plan_file(tmp_path)
    shutil.copy(plan, tmp_path / "copy.yaml")
    files = [str(plan), str(plan), str(tmp_path / "copy.yaml")]
    res = runner.invoke(main, ["render", "-q", *files, "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert rendered == [clip]


def test_detect_never_overwrites_an_edited_plan_unless_forced(
    runner: CliRunner, make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    clip = make_clip("detect_text.mp4", duration=3.0)
    plan = tmp_path / "plan.yaml"
    args = ["detect", "-q", str(clip), "--plan", str(plan), "--cache-dir", str(tmp_path)]
    assert runner.invoke(main, args).exit_code == 0
    assert runner.invoke(main, args).exit_code == 0  # as clipkit wrote it: rewritten
    edited = plan.read_text().replace("clips: []", "clips: [{source: a.mp4, index: 1}]")
    assert edited != plan.read_text()
    plan.write_text(edited)
    res = runner.invoke(main, args)
    assert res.exit_code == 1
    assert f"{plan}: edited since clipkit wrote it" in res.output
    assert plan.read_text() == edited
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0
    assert plan.read_text() != edited
