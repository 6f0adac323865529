"""Progress: each clip's rendering in percent of its frames, an overall figure that
only goes forward and ends at 100 %, as plain lines (logs) and as bars (terminal)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from clipkit.cli import main
from clipkit.clips.plan import ClipPlan, save_plans
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.progress import PlainProgress, RichProgress, Tally

LINE = re.compile(r"^\[(\d+)/(\d+) · (\d+) %\] (.*)$")
RENDERING = re.compile(r"rendering clip (\d+) of (\d+): (\d+) %$")


def events(source: str, clips: int, frames: int = 40) -> list[dict[str, Any]]:
    """What a worker sends for one source: probe, analysis, each clip's frames, done."""
    out: list[dict[str, Any]] = [{"source": source, "stage": "probe"}]
    out += [{"source": source, "stage": "analyse", "fraction": f / 4} for f in range(5)]
    for c in range(1, clips + 1):
        clip = {"source": source, "stage": "render", "clip": c, "clips": clips}
        out.append(clip)
        out += [{**clip, "frames": n, "of": frames} for n in range(0, frames + 1, 3)]
        out.append({**clip, "frames": frames, "of": frames})
    return out + [{"source": source, "stage": "done"}]


def interleaved() -> list[dict[str, Any]]:
    """Two sources worked on at once (as in a pool), then one that fails early."""
    a, b = events("a.mp4", 2), events("b.mp4", 3)
    mixed = [e for pair in zip(a, b, strict=False) for e in pair] + a[len(b) :] + b[len(a) :]
    return mixed + [{"source": "c.mp4", "stage": "probe"}, {"source": "c.mp4", "stage": "error"}]


def overall_percents(text: str) -> list[int]:
    return [int(m.group(3)) for line in text.splitlines() if (m := LINE.match(line))]


def check_plain(text: str, clips: int | None = None) -> None:
    """Overall percents go forward and end at 100 % on the last line (only there); each
    clip's percents go 0, 25, 50, 75, 100 in turn (``clips`` of them, when given)."""
    lines = [m for line in text.splitlines() if (m := LINE.match(line))]
    pcts = [int(m.group(3)) for m in lines]
    assert pcts and pcts == sorted(pcts) and pcts[-1] == 100 and pcts[-2] < 100, pcts
    assert lines[-1].group(4) == "all files done" and lines[-1].group(1) == lines[-1].group(2)
    seen: dict[tuple[str, int], list[int]] = {}
    for m in lines:
        src, _, what = m.group(4).partition(": ")
        if r := RENDERING.search(what):
            seen.setdefault((src, int(r.group(1))), []).append(int(r.group(3)))
            assert clips is None or int(r.group(2)) == clips
    if clips is not None:
        assert sorted(c for _, c in seen) == list(range(1, clips + 1)), seen
    assert seen
    assert all(p == [0, 25, 50, 75, 100] for p in seen.values()), seen


def test_tally_goes_forward_and_ends_full() -> None:
    tally = Tally(3)
    got = []
    for e in interleaved():
        tally.update(e)
        got.append(tally.overall)
    assert got == sorted(got) and got[-1] == 1.0 and got[-2] < 1.0
    # A clip's frames move its file along: half the file is analysis, then its clips.
    t = Tally(1)
    t.update({"source": "a", "stage": "render", "clip": 2, "clips": 4, "frames": 5, "of": 10})
    assert t.overall == 0.5 + 0.5 * 1.5 / 4


def test_plain_lines_say_each_clip_in_percent_and_end_at_100() -> None:
    text = io.StringIO()
    with PlainProgress(3, text) as bar:
        for e in interleaved():
            bar(e)
    assert "a.mp4: rendering clip 2 of 2: 75 %" in text.getvalue()
    pcts = overall_percents(text.getvalue())
    assert pcts == sorted(pcts) and pcts[-1] == 100
    assert text.getvalue().splitlines()[-1] == "[3/3 · 100 %] all files done"


def test_plain_lines_do_not_claim_100_when_interrupted() -> None:
    text = io.StringIO()
    try:
        with PlainProgress(2, text) as bar:
            for e in events("a.mp4", 1):
                bar(e)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert overall_percents(text.getvalue())[-1] == 49  # one file of two, nearly done
    assert "all files done" not in text.getvalue()


def test_bars_go_forward_and_the_overall_one_ends_full() -> None:
    from rich.console import Console

    bars = RichProgress(3, Console(file=io.StringIO(), width=120))
    overall, clip = [], []
    with bars:
        for e in interleaved():
            bars(e)
            overall.append(bars.progress.tasks[bars.overall].completed)
            if e["source"] == "b.mp4" and e["stage"] != "done":
                clip.append(bars.progress.tasks[bars.tasks["b.mp4"]].completed)
    assert overall == sorted(overall) and overall[-1] == 3 and overall[-2] < 3
    assert clip == sorted(clip) and clip[-1] == 0.99  # its last clip written: muxing left
    assert bars.progress.tasks[bars.overall].percentage == 100.0


TINY = "name: {name}\nwidth: 180\nheight: 320\nfps: 24\nx264_preset: superfast\n"


def test_render_progress_reaches_100_for_every_clip_of_every_preset(tmp_path: Path) -> None:
    src = tmp_path / "src.mp4"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=320x180:r=24:d=8", "-pix_fmt", "yuv420p", str(src)],
                   check=True)  # fmt: skip
    plans = [ClipPlan(str(src), i, s, s + 3.0, s + 1, 0.5, "Oops", "", "", "tiny")
             for i, s in ((1, 0.5), (2, 4.0))]  # fmt: skip
    save_plans(tmp_path / "plan.yaml", plans)
    presets = []
    for name in ("tiny", "tiny2"):
        (tmp_path / f"{name}.yaml").write_text(TINY.format(name=name))
        presets += ["-p", str(tmp_path / f"{name}.yaml")]
    args = ["render", str(tmp_path / "plan.yaml"), *presets, "-o", str(tmp_path / "out")]
    res = CliRunner().invoke(main, [*args, "--cache-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    # Two presets of two clips each: clip 1 to 4 of 4, each to 100 %, the whole to 100 %.
    check_plain(res.output, clips=4)


def test_where_the_work_runs_is_said_first_and_counts_for_no_file() -> None:
    stream = io.StringIO()
    where = {"stage": "cluster", "where": "on local:2, 2 workers"}
    with PlainProgress(3, stream) as bar:
        for e in [where, *interleaved()]:
            bar(e)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[0/3 · 0 %] on local:2, 2 workers"
    check_plain(stream.getvalue())
    quiet = io.StringIO()
    PlainProgress(3, quiet, quiet=True)(where)
    assert quiet.getvalue() == ""
    tally = Tally(3)
    tally.update(where)
    assert tally.shares == {} and tally.overall == 0.0


def test_a_line_the_library_says_is_shown_as_it_is_even_when_quiet() -> None:
    # The output folder's lock names who holds it (clipkit.run.batch): the library says so
    # through an event, the display prints it (the library never prints).
    say = {"stage": "wait", "say": "out: waiting for clipkit process 7, which is writing"}
    for quiet in (False, True):
        stream = io.StringIO()
        with PlainProgress(1, stream, quiet=quiet) as bar:
            bar(say)
        assert stream.getvalue().splitlines()[0] == f"clipkit: {say['say']}"
    bar = PlainProgress(1, io.StringIO())
    bar(say)
    assert bar.tally.overall == 0.0  # counts for no file
