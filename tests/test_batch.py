"""The batch workflow: incremental re-runs, interruption, --jobs, bad input, make."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clipkit.cli import main
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.run import manifest
from tests.conftest import REPO, SAMPLES
from tests.test_progress import check_plain

# A tiny output format: the same pipeline as reels, rendered in a fraction of the time;
# every candidate a moment, two a file at most: the workflow is under test, not the model.
SMALL = (
    "extends: reels\nwidth: 180\nheight: 320\nx264_preset: superfast\n"
    "sensitivity: 1\nmax_moments: 2\n"
)
# Two files with the same pictures.
SOURCES = {"a.mp4": "counter_stir_drop_spill.mp4", "b.mp4": "counter_stir_drop_spill.mp4"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _setup(folder: Path) -> Path:
    (folder / "footage").mkdir(parents=True)
    for name, sample in SOURCES.items():
        shutil.copy(SAMPLES / sample, folder / "footage" / name)
    (folder / "small.yaml").write_text(SMALL)
    return folder


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with footage/ (two samples) and small.yaml, nothing rendered yet."""
    return _setup(tmp_path / "w")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> tuple[Path, Result]:
    """One complete first run, which tests copy instead of rendering again."""
    folder = _setup(tmp_path_factory.mktemp("first") / "w")
    return folder, cut(folder, cache)


@pytest.fixture
def done(first_run: tuple[Path, Result], tmp_path: Path) -> Path:
    """A copy of the first run's folder: footage, preset and out/ (times kept)."""
    return Path(shutil.copytree(first_run[0], tmp_path / "w", copy_function=shutil.copy2))


def cut(work: Path, cache: Path, *args: str) -> Result:
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(work)
    try:
        return runner.invoke(
            main,
            [
                "cut",
                "-p",
                "small.yaml",
                "footage",
                "-o",
                "out",
                "--cache-dir",
                str(cache),
                "-j",
                "1",
                *args,
            ],  # fmt: skip
        )
    finally:
        os.chdir(cwd)


def clips(out: Path, preset: str = "small") -> dict[str, int]:
    """Clip name -> mtime (ns)."""
    finals = (p for p in sorted((out / preset).glob("*.mp4")) if not p.name.startswith("."))
    return {p.name: p.stat().st_mtime_ns for p in finals}


def made(res: Result) -> int:
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "clip(s) made" in ln)
    return int(line.split()[0])


def test_first_run_then_nothing_to_do(
    first_run: tuple[Path, Result], done: Path, cache: Path
) -> None:
    first, work = first_run[1], done
    out = work / "out"
    assert made(first) == len(clips(out)) >= 4
    doc = json.loads((out / "manifest.json").read_text())
    assert {c["output"] for c in doc["clips"]} == {f"small/{n}" for n in clips(out)}
    row = doc["clips"][0]
    for key in ("source_fingerprint", "peak", "score", "caption", "recovery", "preset_digest",
                "clipkit_version", "size_bytes", "duration"):  # fmt: skip
        assert key in row
    assert (out / "manifest.csv").read_text().count("\n") == len(doc["clips"]) + 1
    # What the review page needs: the candidates turned down (a hand at the lens at both
    # ends of these samples), and each recovery shot's file.
    why = [r["why"] for s in doc["sources"] for r in s["rejected"]]
    assert why and all(isinstance(w, str) and w for w in why)
    assert all(c["recovery_source"] == c["source"] for c in doc["clips"] if c["recovery"])
    check_plain(first.output)  # every clip rendered to 100 %, and the whole batch
    assert (out / "index.html").exists()
    before = clips(out) | {"manifest": (out / "manifest.json").stat().st_mtime_ns}

    second = cut(work, cache)
    assert made(second) == 0
    assert clips(out) | {"manifest": (out / "manifest.json").stat().st_mtime_ns} == before


def test_captions_vary_over_the_whole_batch(done: Path) -> None:
    """Two sources rendered by separate workers: no line twice while the pool lasts."""
    from clipkit.clips.wording import MISHAP, RECOVERY

    doc = json.loads((done / "out" / "manifest.json").read_text())
    caps = [c["caption"] for c in doc["clips"]]
    assert {Path(c["source"]).name for c in doc["clips"]} == {"a.mp4", "b.mp4"}
    assert len(caps) <= len(MISHAP["humor"]) and set(caps) <= set(MISHAP["humor"])
    assert len(set(caps)) == len(caps), caps
    rec = [c["recovery_caption"] for c in doc["clips"] if c["recovery"]]
    assert set(rec) <= set(RECOVERY["humor"]) and len(set(rec)) == min(
        len(rec), len(RECOVERY["humor"])
    )


def test_fail_friday_over_a_planned_batch_and_captions_chosen_at_render(
    work: Path, cache: Path
) -> None:
    import yaml

    from clipkit.clips.wording import MISHAP

    runner = CliRunner()
    plan = work / "week.yaml"
    footage = [str(work / "footage" / n) for n in ("b.mp4", "a.mp4")]
    res = runner.invoke(main, ["detect", "-q", *footage, "--plan", str(plan),
                               "-p", str(work / "small.yaml"), "--caption-style", "friday",
                               "--cache-dir", str(cache)])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(plan.read_text())
    order = sorted(doc["clips"], key=lambda c: (Path(c["source"]).name, c["peak"]))
    assert len(order) >= 4
    for n, c in enumerate(order, 1):  # counted over both files, a.mp4 first
        assert c["caption"].startswith(f"Fail Friday #{n}") and c["caption_style"] == "friday"
    # A person deletes two clips' captions and asks for questions: those two get them.
    keep = doc["clips"][:2]
    for c in keep:
        del c["caption"], c["caption_style"]
    doc["clips"] = keep
    plan.write_text(yaml.safe_dump(doc, allow_unicode=True))
    render = ["render", str(plan), "-p", str(work / "small.yaml"), "-o", str(work / "out"),
              "--cache-dir", str(cache), "-j", "1", "--caption-style", "question"]  # fmt: skip
    assert made(runner.invoke(main, render)) == 2
    out = json.loads((work / "out" / "manifest.json").read_text())
    caps = [c["caption"] for c in out["clips"]]
    assert len(set(caps)) == 2 and set(caps) <= set(MISHAP["question"]), caps


def test_deleted_output_and_force(done: Path, cache: Path) -> None:
    work = done
    out = work / "out"
    before = clips(out)
    victim = sorted(before)[0]
    (out / "small" / victim).unlink()
    assert made(cut(work, cache)) == 1
    after = clips(out)
    assert [n for n in before if after[n] != before[n]] == [victim]
    assert made(cut(work, cache, "--force")) == len(before)


def test_changed_preset_rerenders_its_clips(done: Path, cache: Path) -> None:
    work = done
    n = len(clips(work / "out"))
    (work / "small.yaml").write_text(SMALL + "crf: 30\n")
    assert made(cut(work, cache)) == n


def test_a_new_way_of_rendering_rerenders_every_clip(
    done: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = done
    n = len(clips(work / "out"))
    monkeypatch.setattr(manifest, "RENDER_VERSION", manifest.RENDER_VERSION + 1)
    assert made(cut(work, cache)) == n


def test_changed_source_rerenders_only_that_source(done: Path, cache: Path) -> None:
    work = done
    out = work / "out"
    before = clips(out)
    src = work / "footage" / "b.mp4"
    tmp = work / "b2.mp4"  # same pictures, new bytes: a re-export with a title
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(src), "-c", "copy",
                    "-metadata", "title=re-export", str(tmp)], check=True)  # fmt: skip
    tmp.replace(src)
    cut(work, cache)
    after = clips(out)
    changed = sorted(n for n in before if after.get(n) != before[n])
    assert changed and all(n.startswith("b_") for n in changed)


def test_edited_plan_rerenders_only_that_clip(work: Path, cache: Path) -> None:
    import yaml

    runner = CliRunner()
    plan = work / "a.yaml"
    src = str(work / "footage" / "a.mp4")
    res = runner.invoke(main, ["detect", "-q", src, "-p", str(work / "small.yaml"), "--plan",
                               str(plan), "--cache-dir", str(cache)])  # fmt: skip
    assert res.exit_code == 0, res.output
    render = ["render", str(plan), "-p", str(work / "small.yaml"), "-o", str(work / "out"),
              "--cache-dir", str(cache), "-j", "1"]  # fmt: skip
    assert made(runner.invoke(main, render)) >= 2
    before = clips(work / "out")
    # The review page of rendered plans still lists what detection turned down.
    sources = json.loads((work / "out" / "manifest.json").read_text())["sources"]
    assert [len(s["rejected"]) > 0 for s in sources] == [True]
    doc = yaml.safe_load(plan.read_text())
    doc["clips"][1]["caption"] = "Oops! ¡Qué desastre!"
    plan.write_text(yaml.safe_dump(doc, allow_unicode=True))
    assert made(runner.invoke(main, render)) == 1
    after = clips(work / "out")
    assert [n for n in before if after[n] != before[n]] == [sorted(before)[1]]
    del doc["clips"][0]  # a person drops a clip: its file goes too
    plan.write_text(yaml.safe_dump(doc, allow_unicode=True))
    assert made(runner.invoke(main, render)) == 0
    assert sorted(clips(work / "out")) == sorted(before)[1:]


def test_impossible_plan_edit_fails_its_source_and_keeps_its_clips(done: Path, cache: Path) -> None:
    import yaml

    runner = CliRunner()
    plan, small, out = done / "a.yaml", str(done / "small.yaml"), done / "out"
    src = str(done / "footage" / "a.mp4")
    detect = ["detect", "-q", src, "-p", small, "--plan", str(plan), "--cache-dir", str(cache)]
    assert runner.invoke(main, detect).exit_code == 0
    render = ["render", str(plan), "-p", small, "-o", str(out), "--cache-dir", str(cache)]
    before = clips(out)
    doc = yaml.safe_load(plan.read_text())
    clip1 = doc["clips"][0]
    doc["clips"][0] = {**clip1, "end": 999}
    plan.write_text(yaml.safe_dump(doc))
    res = runner.invoke(main, render)
    assert res.exit_code == 1
    assert f"clip 1 ({clip1['start']:g}-999 s) ends after the end of the source" in res.output
    assert clips(out) == before  # nothing made, and the clip it had is still there


def test_a_run_from_another_folder_finds_its_clips_up_to_date(done: Path, cache: Path) -> None:
    # The first run named everything relative to done/; this one names it from elsewhere.
    args = ["cut", "-p", str(done / "small.yaml"), str(done / "footage"), "-o", str(done / "out"),
            "--cache-dir", str(cache), "-j", "1"]  # fmt: skip
    before = clips(done / "out")
    assert made(CliRunner().invoke(main, args)) == 0
    assert clips(done / "out") == before  # no clip made again under a second name


def test_dry_run_lists_the_stale_clips_it_would_remove(done: Path, cache: Path) -> None:
    before = clips(done / "out")
    res = cut(done, cache, "--max-moments", "1", "--dry-run")
    assert res.exit_code == 0, res.output
    stale = [ln.split()[-1] for ln in res.output.splitlines() if ln.startswith("would remove")]
    assert len(stale) == len(before) - 2  # one clip of each source stays
    assert f"{len(stale)} stale clip(s) would be removed" in res.output
    assert clips(done / "out") == before
    res = cut(done, cache, "--max-moments", "1")
    assert sorted(clips(done / "out")) == sorted(set(before) - {Path(s).name for s in stale})


def test_a_replaced_recovery_file_rerenders_its_clips(
    work: Path, cache: Path, make_clip: Callable[..., Path]
) -> None:
    dish = work / "dish.mp4"
    shutil.copy(make_clip("dish_a.mp4", duration=3.0), dish)
    args = ("--max-moments", "1", "--recovery", str(dish))
    assert made(cut(work, cache, *args)) == 2
    assert made(cut(work, cache, *args)) == 0
    shutil.copy(make_clip("dish_b.mp4", duration=3.0, size="176x99"), dish)  # other footage
    assert made(cut(work, cache, *args)) == 2


def test_dry_run_makes_nothing(work: Path, cache: Path) -> None:
    res = cut(work, cache, "--dry-run")
    assert res.exit_code == 0, res.output
    assert "would make" in res.output
    assert not (work / "out" / "small").exists()


def test_jobs_do_not_change_outputs(work: Path, cache: Path) -> None:
    cut(work, cache)
    shutil.move(work / "out", work / "out1")
    assert cut(work, cache, "-j", "2").exit_code == 0
    one, two = (
        sorted((work / "out1" / "small").iterdir()),
        sorted((work / "out" / "small").iterdir()),
    )
    assert [p.name for p in one] == [p.name for p in two]
    m1 = json.loads((work / "out1" / "manifest.json").read_text())["clips"]
    m2 = json.loads((work / "out" / "manifest.json").read_text())["clips"]
    for c in m1 + m2:
        c.pop("size_bytes")
    assert m1 == m2
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_bad_file_is_reported_and_others_finish(done: Path, cache: Path) -> None:
    work = done
    (work / "footage" / "broken.mov").write_bytes(b"")
    (work / "out" / "small" / "b_01_small.mp4").unlink()
    res = cut(work, cache)
    assert res.exit_code == 1
    assert "1 clip(s) made" in res.output
    assert "footage/broken.mov: empty file" in res.output
    assert any(n.startswith("a_") for n in clips(work / "out"))
    assert any(n.startswith("b_") for n in clips(work / "out"))


def test_empty_folder_says_so(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "footage").mkdir()
    (tmp_path / "footage" / "notes.txt").write_text("shopping list")
    (tmp_path / "small.yaml").write_text(SMALL)
    res = cut(tmp_path, cache)
    assert res.exit_code == 0
    assert "no video files found in footage" in res.output


def test_unwritable_output_fails_before_work(work: Path, cache: Path) -> None:
    (work / "out").write_text("a file where the folder should be")
    res = cut(work, cache)
    assert res.exit_code == 1
    assert "out: output folder cannot be written" in res.output
    assert "analysing" not in res.output


def test_output_inside_input_is_not_read_back(work: Path, cache: Path) -> None:
    runner = CliRunner()
    args = ["cut", "-p", str(work / "small.yaml"), str(work / "footage"),
            "-o", str(work / "footage" / "out"), "--cache-dir", str(cache), "-j", "1"]  # fmt: skip
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)
    assert made(first) > 0 and made(second) == 0
    assert "out/small" not in second.output


def test_source_footage_is_never_written(work: Path, cache: Path) -> None:
    src = work / "footage"
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in src.iterdir()}
    for p in src.iterdir():
        p.chmod(0o444)
    cut(work, cache)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in src.iterdir()} == before


def test_killed_run_leaves_no_partial_file_and_resumes(work: Path, cache: Path) -> None:
    cmd = [sys.executable, "-m", "clipkit", "cut", "-p", "small.yaml", "footage", "-o", "out",
           "--cache-dir", str(cache), "-j", "1", "--force"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=work, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    out = work / "out" / "small"
    state = work / "out" / ".clipkit" / "state"
    while time.monotonic() < deadline and not list(state.glob("*.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = set(clips(work / "out"))
    recorded = len(list(state.glob("*.json")))
    assert recorded, "nothing was rendered before the kill"
    for name in finished:  # whatever has a final name is a complete, playable file
        p = out / name
        probe = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(p), "-f", "null", "-"],
                               capture_output=True, text=True)  # fmt: skip
        assert probe.returncode == 0 and not probe.stderr, p
    res = cut(work, cache)
    total = len(clips(work / "out"))
    assert made(res) == total - recorded
    assert not list(out.glob(".*part*")), "temporary files were left behind"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_workflow(work: Path, cache: Path) -> None:
    (work / "footage" / "b.mp4").unlink()
    env = {**os.environ, "CLIPKIT_CACHE_DIR": str(cache)}
    args = ["make", "-s", "-C", str(REPO), f"FOOTAGE={work / 'footage'}", f"PLANS={work / 'plans'}",
            f"OUT={work / 'out'}", f"PLATFORMS={work / 'small.yaml'}", "SETUP=",
            f"CLIPKIT={sys.executable} -m clipkit",
            "DETECT=--sensitivity 1 --max-moments 2"]  # fmt: skip
    run = subprocess.run([*args, "plans", "clips"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (work / "plans" / "a.mp4.yaml").exists()
    assert len(clips(work / "out")) >= 2
    # Up to date: make has nothing to do (-q exits 0), and a real run renders nothing.
    assert subprocess.run([*args, "-q", "clips"], env=env).returncode == 0
    (work / "footage" / "a.mp4").touch()
    assert subprocess.run([*args, "-q", "clips"], env=env).returncode == 1


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_names_a_file_name_with_spaces(work: Path) -> None:
    (work / "footage" / "a.mp4").rename(work / "footage" / "day 1.mp4")
    run = subprocess.run(
        ["make", "-s", "-C", str(REPO), f"FOOTAGE={work / 'footage'}", f"PLANS={work / 'plans'}",
         f"OUT={work / 'out'}", "SETUP=", "plans"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert 'file names with spaces, such as "day 1.mp4"' in run.stderr
    assert not (work / "plans").exists()


def test_file_that_disappears_mid_run_is_reported(done: Path, cache: Path) -> None:
    from clipkit.run.batch import CutOptions, run_batch

    cwd = os.getcwd()
    os.chdir(done)
    try:
        opts = CutOptions(out_dir=Path("out"), presets=("small.yaml",), cache_dir=cache)
        (done / "footage" / "b.mp4").unlink()  # found by the walk, gone before its turn
        report = run_batch(["footage/a.mp4", "footage/b.mp4"], opts)
    finally:
        os.chdir(cwd)
    assert [r.path for r in report.failed] == ["footage/b.mp4"]
    assert "footage/b.mp4: no such file" in (report.failed[0].error or "")
    assert report.results[0].error is None and report.results[0].kept


def test_same_file_name_in_two_folders_gives_two_sets_of_clips(tmp_path: Path, cache: Path) -> None:
    for folder in ("day1", "day2"):
        (tmp_path / "footage" / folder).mkdir(parents=True)
        shutil.copy(SAMPLES / SOURCES["a.mp4"], tmp_path / "footage" / folder / "clip.mp4")
    (tmp_path / "small.yaml").write_text(SMALL)
    first = cut(tmp_path, cache, "--max-moments", "1")
    assert made(first) == 2
    names = list(clips(tmp_path / "out"))
    assert len(names) == 2 and names[0] != names[1]
    assert all(n.startswith("clip_01_small-") for n in names)
    assert made(cut(tmp_path, cache, "--max-moments", "1", "-j", "2")) == 0
    doc = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert sorted(c["source"] for c in doc["clips"]) == [  # relative to out/
        "../footage/day1/clip.mp4", "../footage/day2/clip.mp4"
    ]  # fmt: skip


@pytest.mark.parametrize("once", [True, False])
def test_a_dying_worker_is_retried_then_reported(
    done: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, once: bool
) -> None:
    """Issue 27: a worker of --jobs N that dies (os._exit, like the OOM killer's kill) does
    not abort the batch: its source is tried once more, then reported; the rest finish."""
    work = done
    (work / "out" / "manifest.json").unlink()
    for p in (work / "out" / "small").glob("b_*.mp4"):
        p.unlink()
    monkeypatch.setenv("CLIPKIT_TEST_DIE_ON", "a.mp4")
    if once:
        monkeypatch.setenv("CLIPKIT_TEST_DIE_ONCE", str(work / "died-once"))
    res = cut(work, cache, "-j", "2")
    assert "Traceback" not in res.output
    assert any(n.startswith("b_") for n in clips(work / "out")), res.output
    doc = json.loads((work / "out" / "manifest.json").read_text())
    assert {c["output"] for c in doc["clips"]} == {f"small/{n}" for n in clips(work / "out")}
    if once:
        assert (work / "died-once").exists()
        assert res.exit_code == 0, res.output
    else:
        assert res.exit_code == 1
        line = "footage/a.mp4: its worker process died twice (killed, or out of memory)"
        assert f"clipkit: {line}; skipped it" in res.output, res.output


def _check_output(out: Path, preset: str = "small") -> None:
    """Every clip valid and as recorded; manifest, state and files agree; no part left."""
    from clipkit.media.probe import probe

    doc = json.loads((out / "manifest.json").read_text())
    files = {f"{preset}/{n}" for n in clips(out, preset)}
    assert files and {c["output"] for c in doc["clips"]} == files
    state = manifest.State(out)
    assert {r.output for r in state.records()} == files
    for c in doc["clips"]:
        path = out / c["output"]
        assert path.stat().st_size == c["size_bytes"]
        assert manifest.file_digest(path) == c["sha256"]
        assert abs(probe(str(path)).duration - c["duration"]) < 0.1, c["output"]
    assert not [p.name for p in (out / preset).iterdir() if ".part" in p.name]


# Footage and a format small enough for ten rounds of two runs in seconds each: 12 s
# around a sample's spill at 320 px wide, one clip of 2-3 s each at 64x114 and 24 fps.
TINY = (
    "extends: reels\nname: tiny\nwidth: 64\nheight: 114\nfps: 24\nfps_mode: constant\n"
    "x264_preset: superfast\nsensitivity: 1\nmax_moments: 1\nmin_length: 2\nmax_length: 3\n"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """footage/ (two tiny copies of a spill), tiny.yaml, and cache/ holding their analysis."""
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "footage").mkdir()
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-ss", "20", "-i", str(SAMPLES / SOURCES["a.mp4"]),
         "-t", "12", "-vf", "scale=320:-2", "-c:v", "libx264", "-preset", "superfast",
         "-c:a", "copy", str(folder / "footage" / "a.mp4")],
        check=True,
    )  # fmt: skip
    shutil.copy(folder / "footage" / "a.mp4", folder / "footage" / "b.mp4")
    (folder / "tiny.yaml").write_text(TINY)
    args = ["detect", "-q", "footage/a.mp4", "--cache-dir", "cache"]
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        assert CliRunner().invoke(main, args).exit_code == 0  # (b.mp4: the same bytes)
    finally:
        os.chdir(cwd)
    return folder


def test_two_runs_on_one_output_folder_lose_nothing(tiny: Path) -> None:
    """Issue 27: two `clipkit cut` started together on one folder, ten rounds: the second
    waits for the first (one line naming its pid), every clip is made once and comes
    out whole, and the manifest and the state agree with the files, every round."""
    work = tiny
    cmd = [sys.executable, "-m", "clipkit", "cut", "-p", "tiny.yaml", "footage", "-o", "out",
           "--cache-dir", "cache", "-j", "1"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    waited = 0
    for _ in range(10):
        shutil.rmtree(work / "out", ignore_errors=True)
        procs = [
            subprocess.Popen(
                cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )  # fmt: skip
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        made = []
        for p, (_out, stderr), other in zip(procs, outs, reversed(procs), strict=True):
            assert p.returncode == 0, stderr
            assert "Traceback" not in stderr
            wait_lines = [ln for ln in stderr.splitlines() if "waiting for clipkit" in ln]
            assert wait_lines in ([], [f"clipkit: out: waiting for clipkit process {other.pid}, "
                                       "which is writing to this folder"]), wait_lines  # fmt: skip
            waited += len(wait_lines)
            made.append(int(next(ln for ln in stderr.splitlines() if "made," in ln).split()[0]))
        assert sorted(made) == [0, len(clips(work / "out", "tiny"))] != [0, 0]
        _check_output(work / "out", "tiny")
    assert waited >= 1  # the runs did overlap


def test_a_clip_changed_after_it_was_made_is_made_again(done: Path, cache: Path) -> None:
    """Issue 27: "up to date" checks the clip's bytes (size and digest), not only its name."""
    out = done / "out"
    names = sorted(clips(out))
    corrupt, truncated = out / "small" / names[0], out / "small" / names[1]
    data = bytearray(corrupt.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # same size, other bytes
    corrupt.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:1000])
    res = cut(done, cache, "-v")
    assert made(res) == 2, res.output
    assert f"made out/small/{names[0]}" in res.output
    assert f"made out/small/{names[1]}" in res.output
    _check_output(out)
    assert made(cut(done, cache)) == 0
