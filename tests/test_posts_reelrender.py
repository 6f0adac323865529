"""The reel rendered: the samples plus generated footage of many mishaps, cut into one
file within the preset's limit, moments in order, the title card first and the best
recovery shot last, at the preset's loudness; and the `clipkit reel` command."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from clipkit.analysis.analyse import cached
from clipkit.cli import main
from clipkit.clips.plan import ClipPlan, crop_for
from clipkit.clips.presets import load_preset
from clipkit.errors import ClipkitError
from clipkit.media.probe import probe
from clipkit.options import DetectOptions, ExtrasOptions
from clipkit.posts.extras import PostOptions, reel_extras
from clipkit.posts.posttext import PostStyle
from clipkit.posts.reel import ReelOptions, ReelPart, ReelPlan, plan_reel
from clipkit.posts.reelrender import moment_caption, title_card
from clipkit.posts.stills import fill, read_frame
from clipkit.posts.timeline import frame_rate, parse_timecode, to_frames
from clipkit.progress import Tally, describe
from clipkit.render.loudness import measure_file
from clipkit.run.manifest import canonical
from clipkit.run.reel import ReelJob, ReelReport, make_reel, recorded_since, reel_name
from tests.conftest import SAMPLES, ffmpeg
from tools import samplegen as sg

pytestmark = pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")

# Small and quick: a portrait preset of 180x320, whose reels may run 30 s (ten moments
# at 3 s would not fit: the weakest are left out).
TINY = """\
extends: reels
name: tiny
width: 180
height: 320
x264_preset: superfast
reel_max_length: 30
"""
TITLE = "Fail Friday test"
# When each file was recorded (its modification time): the samples first, in this order.
DAY = datetime(2026, 12, 1, 9, 0).timestamp()
SAMPLE_FILES = ("counter_stir_drop_spill.mp4", "handheld_chop_pan_drop.mp4",
                "portrait_phone_spill.mp4")  # fmt: skip


def _many(name: str, seed: int, kinds: str) -> sg.SceneSpec:
    """A fixed camera over a counter, a mishap every 5 s, then the finished dish."""
    happen = tuple(
        sg.Happening("drop" if k == "d" else "spill", 3.0 + 5.0 * i, x=0.3 + 0.1 * (i % 5),
                     color=sg.APPLE if k == "d" else sg.JUICE)
        for i, k in enumerate(kinds)
    )  # fmt: skip
    dish = 3.0 + 5.0 * len(kinds) + 1.5
    return sg.SceneSpec(name=name, duration=dish + 6.0, seed=seed,
                        shots=(sg.Shot(0.0, dish, "stir", "wood"),
                               sg.Shot(dish, dish + 6.0, "dish", "marble")),
                        happenings=happen, hand_in=0.5, hand_out=0.5)  # fmt: skip


@dataclass
class Made:
    footage: list[Path]
    preset: Path
    out: Path
    cache: Path
    report: ReelReport
    events: list[dict[str, Any]]

    @property
    def reel(self) -> ReelPlan:
        assert self.report.reel is not None
        return self.report.reel


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    root = tmp_path_factory.mktemp("reel")
    footage = []
    for name in SAMPLE_FILES:
        footage.append(Path(shutil.copy(SAMPLES / name, root / name)))
    for name, seed, kinds in (("many_a.mp4", 71, "dsdsdsd"), ("many_b.mp4", 72, "sdsdsd")):
        footage.append(sg.render_scene(_many(name, seed, kinds), root / name, 320, 180, 15))
    for i, path in enumerate(footage):
        os.utime(path, (DAY + 3600 * i, DAY + 3600 * i))
    preset = root / "tiny.yaml"
    preset.write_text(TINY)
    out, cache = root / "out", root / "cache"
    job = ReelJob(out_dir=out, preset=str(preset), title=TITLE, cache_dir=cache,
                  detect=DetectOptions.given(sensitivity=0.7),
                  extras=ExtrasOptions(exports="edl,fcpxml"))  # fmt: skip
    events: list[dict[str, Any]] = []
    report = make_reel([str(p) for p in footage], job, jobs=2, on_event=events.append)
    return Made(footage, preset, out, cache, report, events)


def frame_at(path: Path, t: float, size: tuple[int, int]) -> np.ndarray:
    """The reel's picture at ``t`` s, as RGB."""
    w, h = size
    raw = path.with_name(f"{path.stem}-{t:.2f}.rgb")
    ffmpeg("-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
           "-pix_fmt", "rgb24", str(raw))  # fmt: skip
    return np.frombuffer(raw.read_bytes(), np.uint8).reshape(h, w, 3)


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def moments(reel: ReelPlan) -> list[ReelPart]:
    return [p for p in reel.parts if p.kind == "moment"]


def test_the_reel_is_made_within_the_limit(made: Made) -> None:
    report, reel = made.report, made.reel
    assert report.made and report.output == made.out / "tiny" / reel_name(TITLE)
    found = sum(len(r.moments) for r in report.results)
    assert found >= 8, [len(r.moments) for r in report.results]
    info = probe(report.output)
    assert (info.width, info.height) == (180, 320)
    assert info.duration <= 30.0 + 0.05  # the preset's reel_max_length (AAC may pad a frame)
    assert info.duration == pytest.approx(reel.duration, abs=0.1)
    assert 5 <= len(moments(reel)) < found  # the limit left the weakest out
    assert all(2.9 <= m.length <= 6.0 for m in moments(reel))
    text = report.text
    assert text is not None and text.read_text().startswith(TITLE)


def test_moments_in_time_order_across_files(made: Made) -> None:
    order = {str(p): i for i, p in enumerate(made.footage)}  # as recorded
    keys = [(order[m.source], m.start) for m in moments(made.reel)]
    assert keys == sorted(keys)
    assert [m.number for m in moments(made.reel)] == list(range(1, len(keys) + 1))


def test_title_first_and_the_best_recovery_last(made: Made) -> None:
    reel, path = made.reel, made.report.output
    assert path is not None
    preset = load_preset(made.preset)
    size = preset.size
    title = title_card(TITLE, preset)
    first = frame_at(path, 0.5, size)
    assert diff(first, title) < 4.0
    ending = reel.parts[-1]
    assert ending.kind == "ending"
    assert ending.score == max(m.score for m in moments(reel))  # the best moment's
    # After the crossfade; the caption sits in the top of the frame: compare below it.
    t = ending.at + reel.transition + 0.4
    last = frame_at(path, t, size)
    source = read_frame(ending.source, ending.start + (t - ending.at))
    want = fill(source, *size)
    low = slice(size[1] // 2, None)
    assert diff(last[low], want[low]) < 12.0
    assert diff(last[low], want[low]) < diff(first[low], want[low]) / 2
    assert diff(last, title) > 20.0


def test_loudness_on_target_across_the_reel(made: Made) -> None:
    assert made.report.output is not None
    loud, peak = measure_file(made.report.output)
    target = load_preset(made.preset)
    assert abs(loud - target.loudness) <= 1.0
    assert peak <= target.true_peak + 0.1


def test_a_rerun_makes_nothing(made: Made) -> None:
    path = made.report.output
    assert path is not None
    before = {p: p.stat().st_mtime_ns for p in path.parent.iterdir()}
    args = ["reel", *map(str, made.footage), "-p", str(made.preset), "-o", str(made.out), "-q",
            "--title", TITLE, "--cache-dir", str(made.cache), "--sensitivity", "0.7",
            "--export", "fcpxml,edl"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        f"{path}: up to date ({made.reel.duration:.1f} s, {len(moments(made.reel))} moment(s))"
    ]
    assert {p: p.stat().st_mtime_ns for p in path.parent.iterdir()} == before


def test_score_order_is_a_countdown(made: Made) -> None:
    footage = [str(p) for p in made.footage]
    job = ReelJob(out_dir=made.out, preset=str(made.preset), title=TITLE, order="score", top=8,
                  cache_dir=made.cache, detect=DetectOptions.given(sensitivity=0.7),
                  dry_run=True)  # fmt: skip
    report = make_reel(footage, job)
    assert report.reel is not None and not report.made
    ms = moments(report.reel)
    assert [m.score for m in ms] == sorted(m.score for m in ms)
    assert [m.number for m in ms] == list(range(len(ms), 0, -1))


def test_since_picks_footage_by_recording_time(made: Made) -> None:
    footage = [str(p) for p in made.footage]
    kept, when = recorded_since(footage, datetime.fromtimestamp(DAY + 3600 * 3))
    assert kept == footage[3:]
    assert when[footage[0]] == pytest.approx(DAY)


def test_moment_cards_are_numbered() -> None:
    part = ReelPart("moment", 1.7, 3.0, "a.mp4", 1.0, 3, "Gravity wins")
    assert moment_caption(part) == "#3 Gravity wins"


def test_no_moments_one_line_and_nothing_made(tmp_path: Path) -> None:
    still = tmp_path / "still.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=160x90:r=25:d=4", "-f", "lavfi", "-i",
           "anullsrc=r=48000:cl=stereo", "-t", "4", "-pix_fmt", "yuv420p", str(still))  # fmt: skip
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["reel", str(still), "-o", str(out), "-q",
                                    "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == ["clipkit: no moments in the footage: no reel made"]
    assert not out.exists()


def test_since_after_all_footage_makes_nothing(tmp_path: Path) -> None:
    clip = tmp_path / "old.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=160x90:r=25:d=1", "-pix_fmt", "yuv420p", str(clip))
    os.utime(clip, (DAY, DAY))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["reel", str(clip), "-o", str(out), "--since", "2026-12-05"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        "clipkit: no footage recorded since 2026-12-05 00:00: no reel made"
    ]
    assert not out.exists()


def test_bad_options_fail_before_any_work(tmp_path: Path) -> None:
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["reel", str(clip), "-o", str(out), "--order", "scores"])
    assert res.exit_code == 2 and "'scores' is not one of" in res.output
    res = CliRunner().invoke(main, ["reel", str(clip), "-o", str(out), "-p", "reel"])
    assert res.exit_code == 1
    assert res.output.splitlines()[-1].startswith("clipkit: error: unknown preset 'reel'")
    assert not out.exists()


def test_timelines_beside_the_reel(made: Made) -> None:
    report, reel = made.report, made.reel
    assert set(report.extras) == {"text", "edl", "fcpxml"}
    edl = report.extras["edl"].read_text()
    events = re.findall(r"^\d{3}  \S+\s+AA/V\s+C\s+(\S+) (\S+) (\S+) (\S+)$", edl, re.M)
    shown = [p for p in reel.parts if p.source]  # the moments and the ending
    assert len(events) == len(shown)
    fps = probe(report.output).fps if report.output else 0.0
    rate = frame_rate(fps)
    for (src_in, _, _, _), part in zip(events, shown, strict=True):
        assert parse_timecode(src_in, rate) == to_frames(part.start, rate)
    assert ET.parse(report.extras["fcpxml"]).getroot().tag == "fcpxml"


def test_the_reel_is_in_the_manifest_and_on_the_review_page(made: Made) -> None:
    report = made.report
    assert report.output is not None
    doc = json.loads((made.out / "manifest.json").read_text())
    (entry,) = doc["reels"]
    rel = lambda p: str(p.relative_to(made.out))  # noqa: E731
    assert entry["output"] == rel(report.output) and entry["title"] == TITLE
    assert entry["moments"] == len(moments(made.reel))
    assert entry["sha256"] == hashlib.sha256(report.output.read_bytes()).hexdigest()
    assert entry["extras"] == {k: rel(p) for k, p in report.extras.items()}
    assert doc["clips"] == []  # a reel is not a clip
    page = (made.out / "index.html").read_text()
    assert "1 reel(s)" in page and f'src="{rel(report.output)}"' in page


def test_the_reels_render_is_shown_as_it_goes(made: Made) -> None:
    events, item = made.events, str(made.report.output)  # the reel's item: its file
    first = next(i for i, e in enumerate(events) if e.get("source") == item)
    # Every source is done before the reel starts; the reel is one more item.
    assert sum(e.get("stage") in ("done", "error") for e in events[:first]) == len(made.footage)
    mine = [e for e in events[first:] if e.get("source") == item]
    assert mine[0] == {"source": item, "stage": "render"} and mine[-1]["stage"] == "done"
    frames = [e["frames"] for e in mine if "frames" in e]
    assert len(frames) >= 20 and frames == sorted(frames) and frames[-1] == mine[-2]["of"]
    assert describe(mine[len(mine) // 2]).startswith("rendering: ")


def test_no_caption_twice_in_a_reel_while_the_lines_last(made: Made) -> None:
    # Over the batch's moments the humour pool's 8 lines come round again; a reel's
    # captions are chosen over its own moments.
    assert sum(len(r.plans) for r in made.report.results) > 8
    caps = [m.caption for m in moments(made.reel)]
    assert len(set(caps)) == min(len(caps), 8), caps


def test_asking_for_another_timeline_makes_it_without_rendering_again(made: Made) -> None:
    path = made.report.output
    assert path is not None
    before = path.stat().st_mtime_ns
    args = ["reel", *map(str, made.footage), "-p", str(made.preset), "-o", str(made.out), "-q",
            "--title", TITLE, "--cache-dir", str(made.cache), "--sensitivity", "0.7",
            "--export", "edl"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert path.stat().st_mtime_ns == before
    doc = json.loads((made.out / "manifest.json").read_text())
    assert sorted(doc["reels"][0]["extras"]) == ["edl", "text"]
    assert not path.with_suffix(".fcpxml").exists()  # no longer asked for


@pytest.fixture(scope="module")
def cut_out(made: Made, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder ``cut`` made from two of the files, one caption edited by hand."""
    root = tmp_path_factory.mktemp("cut")
    two = [Path(shutil.copy(made.footage[i], root / made.footage[i].name)) for i in (0, 3)]
    out = root / "out"
    res = CliRunner().invoke(main, ["cut", *map(str, two), "-p", str(made.preset), "-o",
                                    str(out), "-q", "--cache-dir", str(made.cache),
                                    "--sensitivity", "0.7"])  # fmt: skip
    assert res.exit_code == 0, res.output
    manifest = out / "manifest.json"
    doc = json.loads(manifest.read_text())
    assert len(doc["clips"]) >= 3
    doc["clips"][0]["caption"] = "Written by hand"
    manifest.write_text(json.dumps(doc))
    return out


def test_a_reel_from_an_output_folder(made: Made, cut_out: Path) -> None:
    clips = json.loads((cut_out / "manifest.json").read_text())["clips"]
    events: list[dict[str, Any]] = []
    job = ReelJob(out_dir=cut_out, preset=str(made.preset), title="From the clips",
                  cache_dir=made.cache, top=len(clips))  # fmt: skip
    report = make_reel([str(cut_out)], job, on_event=events.append)
    assert report.made and not report.failed
    assert not [e for e in events if e.get("stage") in ("probe", "analyse")]  # nothing decoded
    # One cut per clip, inside that clip's window, with that clip's caption.
    by_caption = {c["caption"]: c for c in clips}
    ms = moments(report.reel) if report.reel else []
    assert len(ms) == len(clips) and "Written by hand" in [m.caption for m in ms]
    for m in ms:
        clip = by_caption[m.caption]
        assert Path(m.source).name == Path(clip["source"]).name
        assert clip["start"] - 1e-3 <= m.start and m.start + m.length <= clip["end"] + 1e-3
    doc = json.loads((cut_out / "manifest.json").read_text())
    assert len(doc["clips"]) == len(clips) and len(doc["reels"]) == 1


def test_a_changed_source_is_left_out_of_an_output_folders_reel(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    changed = cut_out.parent / made.footage[0].name
    keep = changed.read_bytes()
    try:
        changed.write_bytes(keep[: len(keep) // 2])
        res = CliRunner().invoke(main, ["reel", str(cut_out), "-p", str(made.preset), "-o",
                                        str(tmp_path / "out"), "-q", "--title", "Changed",
                                        "--cache-dir", str(made.cache)])  # fmt: skip
    finally:
        changed.write_bytes(keep)
    assert res.exit_code == 1
    assert f"{changed}: changed since its clips were made in {cut_out}" in res.output
    assert (tmp_path / "out" / "tiny" / "changed.mp4").is_file()  # from the other file


def test_since_picks_an_output_folders_clips_by_their_footages_time(
    made: Made, cut_out: Path
) -> None:
    recorded = {p: probe(str(p)).recorded for p in cut_out.parent.glob("*.mp4")}
    first, last = min(recorded.values()), max(recorded.values())
    job = ReelJob(out_dir=cut_out, preset=str(made.preset), title="Since", dry_run=True,
                  cache_dir=made.cache)  # fmt: skip
    everything = make_reel([str(cut_out)], replace(job, since=datetime.fromtimestamp(first)))
    later = make_reel([str(cut_out)], replace(job, since=datetime.fromtimestamp(last + 1)))
    assert everything.reel is not None and moments(everything.reel)
    assert later.reel is None and not later.failed  # nothing recorded since: no reel


def test_a_manifest_edited_wrong_is_one_line(made: Made, cut_out: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(cut_out, folder)
    doc = json.loads((folder / "manifest.json").read_text())
    doc["clips"][0]["end"] = doc["clips"][0]["start"] - 1.0  # a window that ends first
    (folder / "manifest.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["reel", str(folder), "-p", str(made.preset), "-o",
                                    str(folder), "-q", "--cache-dir", str(made.cache)])  # fmt: skip
    assert res.exit_code == 1
    (line,) = [ln for ln in res.output.splitlines() if ln.startswith("clipkit: error")]
    assert str(folder / "manifest.json") in line and doc["clips"][0]["output"] in line
    (folder / "manifest.json").write_text("{not json")
    res = CliRunner().invoke(main, ["reel", str(folder), "-p", str(made.preset), "-o",
                                    str(folder), "-q"])  # fmt: skip
    assert res.exit_code == 1 and "not a clipkit manifest" in res.output


# -- the reel at the edges of its sources and keys (from a review: each failed before
# its fix) ---------------------------------------------------------------------------

SAMPLE = SAMPLES / "counter_stir_drop_spill.mp4"


def _overlapping(ms: list[Any]) -> list[tuple[Any, Any]]:
    """Pairs of reel moments that show the same stretch of the same file."""
    pairs = []
    for i, a in enumerate(ms):
        for b in ms[i + 1 :]:
            if canonical(a.source) == canonical(b.source) and (
                a.start < b.start + b.length and b.start < a.start + a.length
            ):
                pairs.append((a, b))
    return pairs


@pytest.mark.parametrize("twice", ["a file and its output folder", "two output folders"])
def test_a_moment_given_twice_is_shown_once(made: Made, cut_out: Path, twice: str) -> None:
    """A file given as footage whose clips are also in a given output folder; two output
    folders cut from the same files (two presets, two runs)."""
    if twice == "two output folders":
        other = cut_out.parent / "out-again"
        if not other.exists():
            shutil.copytree(cut_out, other)  # its records name the same ../ sources
        paths = [str(cut_out), str(other)]
    else:
        paths = [str(cut_out.parent / made.footage[0].name), str(cut_out)]
    job = ReelJob(out_dir=cut_out.parent / "o1", preset=str(made.preset), title="Twice",
                  cache_dir=made.cache, top=20, dry_run=True)  # fmt: skip
    report = make_reel(paths, job)
    assert report.reel is not None
    assert _overlapping(moments(report.reel)) == []


def test_a_reel_written_into_its_footage_folder_does_not_hide_the_footage(
    tmp_path: Path,
) -> None:
    """`clipkit reel footage/ -o footage/` would write manifest.json into footage/, and
    the next run would take footage/ for an output folder: refused, as cut refuses it."""
    footage = tmp_path / "footage"
    footage.mkdir()
    shutil.copy(SAMPLE, footage / SAMPLE.name)
    args = ["reel", str(footage), "-o", str(footage), "-p", "tiktok", "-q",
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    first = CliRunner().invoke(main, [*args, "--title", "One"])
    second = CliRunner().invoke(main, [*args, "--title", "Two"])
    assert first.exit_code == 2 and "is one of the footage folders" in first.output
    assert "no moments" not in second.output, second.output


def test_a_footage_folder_with_someone_elses_manifest_json_is_still_footage(
    tmp_path: Path,
) -> None:
    """is_output_folder looks at manifest.json only (discover's marker is .clipkit/)."""
    footage = tmp_path / "footage"
    footage.mkdir()
    shutil.copy(SAMPLE, footage / SAMPLE.name)
    (footage / "manifest.json").write_text('{"version": 1}')
    res = CliRunner().invoke(main, ["reel", str(footage), "-o", str(tmp_path / "out"),
                                    "-p", "tiktok", "-q", "--dry-run",
                                    "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert "not a clipkit manifest" not in res.output, res.output


@pytest.mark.parametrize("bad", [{"recovery": [1.0]}, {"recovery": 5}, {"output": None}])
def test_a_hand_edited_manifest_is_one_line_not_a_traceback(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    rec: dict[str, Any] = dict(
               key="k", output="reels/a-1.mp4", cover=None, preset="reels", preset_digest="",
               source=os.path.relpath(SAMPLE, folder), source_fingerprint="", index=1,
               start=1.0, end=4.0, peak=2.0, score=0.9, reasons=[], caption="hi",
               recovery_caption="", recovery=None, recovery_note=None, duration=3.0,
               size_bytes=1)  # fmt: skip
    rec.update(bad)
    (folder / "manifest.json").write_text(json.dumps({"clips": [rec]}))
    res = CliRunner().invoke(main, ["reel", str(folder), "-o", str(tmp_path / "o"), "-q"])
    assert not isinstance(res.exception, (IndexError, TypeError)), repr(res.exception)
    assert res.exit_code == 1 and "clipkit: error:" in res.output


def test_a_reel_whose_timeline_fails_is_not_rendered_again_next_run(
    made: Made, cut_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--export otio without opentimelineio: the reel is rendered, then its extras fail
    and no record is kept, so every later run renders the whole reel again (a clip's
    record is kept with its extras' key cleared: clipkit.run.batch.render_clip_job)."""
    job = ReelJob(out_dir=tmp_path / "out", preset=str(made.preset), title="Otio",
                  cache_dir=made.cache, extras=ExtrasOptions(exports="otio"))  # fmt: skip
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "opentimelineio", None)  # not installed
        with pytest.raises(ClipkitError):
            make_reel([str(cut_out)], job)
    reel = tmp_path / "out" / "tiny" / "otio.mp4"
    assert reel.is_file()  # rendered...
    again = make_reel([str(cut_out)], replace(job, extras=ExtrasOptions(exports="")))
    assert not again.made, "the whole reel was rendered a second time"


def test_a_reel_made_again_takes_away_the_timelines_no_longer_asked_for(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = ReelJob(out_dir=out, preset=str(made.preset), title="Stale", cache_dir=made.cache,
                  top=3, extras=ExtrasOptions(exports="fcpxml"))  # fmt: skip
    first = make_reel([str(cut_out)], job)
    assert first.made and (out / "tiny" / "stale.fcpxml").is_file()
    second = make_reel([str(cut_out)], replace(job, top=2, extras=ExtrasOptions(exports="")))
    assert second.made  # another plan: rendered again
    # The old reel's timeline is still there, describing cuts the new reel does not have.
    assert not (out / "tiny" / "stale.fcpxml").exists()


def test_a_reel_framed_without_the_analysis_is_made_again_when_it_is_there(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    """The moments' framing comes from the cached analysis at render time, which the
    reel's key does not hold: a reel made without it (another --cache-dir, a cleared
    cache) is 'up to date' for ever after, framed without the analysis."""
    job = ReelJob(out_dir=tmp_path / "out", preset=str(made.preset), title="Framing",
                  cache_dir=tmp_path / "empty-cache", top=3)  # fmt: skip
    first = make_reel([str(cut_out)], job)
    assert first.made and first.reel is not None
    # The analysis does change the framing of the reel's moments:
    preset = load_preset(str(made.preset))
    differ = False
    for part in moments(first.reel):
        info = probe(part.source)
        sig = cached(info, made.cache)
        end, peak = part.start + part.length, part.start + part.length / 2
        a = crop_for(info, None, preset, part.start, end, peak)
        b = crop_for(info, sig, preset, part.start, end, peak)
        differ |= repr(a) != repr(b)
    assert differ
    second = make_reel([str(cut_out)], replace(job, cache_dir=made.cache))
    assert second.made, "kept the reel framed without the analysis"


def test_reel_post_text_counts_the_moments_shown() -> None:
    """Two files of the same name (two cameras, two days' output folders) give clips of
    the same name; reel_extras picks the plans 'shown' by clip name, so a reel of one
    moment is posted as '2 kitchen mishaps'."""
    a = ClipPlan(source="/a/cam.mp4", index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                 caption="A", recovery_caption="", preset="tiny", output="cam-1.mp4")  # fmt: skip
    b = replace(a, source="/b/cam.mp4", score=0.5, caption="B")
    reel = plan_reel([a, b], "Title", ReelOptions(top=1))
    assert reel is not None and sum(p.kind == "moment" for p in reel.parts) == 1
    with tempfile.TemporaryDirectory() as d:
        style = replace(PostStyle(), reel_templates=("{count} moments",))
        made = reel_extras(reel, [a, b], Path(d) / "r.mp4", (180, 320), 25.0,
                           PostOptions(style=style))  # fmt: skip
        text = made["text"].read_text()
    assert text.startswith("1 moments"), text


def test_progress_of_a_reel_run_reaches_its_total(made: Made) -> None:
    tally = Tally(len(made.footage) + 1)  # the CLI's total: sources, folders, the reel
    for e in made.events:
        tally.update(e)
    assert tally.finished == tally.total and tally.overall == pytest.approx(1.0)


def test_a_reel_has_no_sting_so_its_key_does_not_change_with_the_stings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reel is encoded without a sting cue (run.reel._render -> render_reel ->
    encode(..., cue=None)), yet its key holds preset.digest(), which holds the sting,
    its level and duck and STING_VERSION: new stings re-render every reel."""
    import clipkit.run.manifest as manifest_mod
    from clipkit.run.batch import SourceOutcome
    from clipkit.run.reel import _key

    a = ClipPlan(source="/a/cam.mp4", index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                 caption="A", recovery_caption="", preset="reels", output="cam-1.mp4")  # fmt: skip
    reel = plan_reel([a], "Title", ReelOptions(top=1))
    assert reel is not None
    results = [SourceOutcome("/a/cam.mp4", fingerprint="fp")]
    preset = load_preset("reels").with_overrides(sting="boing")
    before = _key(reel, results, preset)
    monkeypatch.setattr(manifest_mod, "STING_VERSION", manifest_mod.STING_VERSION + 1)
    assert _key(reel, results, preset) == before
    monkeypatch.undo()
    assert _key(reel, results, preset.with_overrides(sting="whoosh")) == before


def test_a_clip_whose_plan_says_no_sting_is_not_remade_for_new_stings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Commit 5d48100: 'the stings made anew remake those clips and no other'. A plan
    with sting "" (none) under a preset with a sting has no sting in its sound, but its
    key changes with STING_VERSION through preset.digest()."""
    import clipkit.run.manifest as manifest_mod
    from clipkit.run.manifest import clip_key, keyed_plan

    plan = ClipPlan(source=str(SAMPLE), index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                    caption="A", recovery_caption="", preset="reels", output="c-1.mp4",
                    sting="")  # fmt: skip
    preset = load_preset("reels").with_overrides(sting="boing")
    before = clip_key("fp", keyed_plan(plan), preset.digest())
    monkeypatch.setattr(manifest_mod, "STING_VERSION", manifest_mod.STING_VERSION + 1)
    assert clip_key("fp", keyed_plan(plan), preset.digest()) == before


def test_an_output_folder_of_other_presets_gives_each_moment_once(tmp_path: Path) -> None:
    """moments_of_output falls back to every preset's clips and keeps 'one per moment'
    by the clip's index; but indexes are per preset (each preset's detection settings
    give its own moments): the same moment comes twice and another is lost."""
    folder = tmp_path / "out"
    folder.mkdir()

    def rec(preset: str, index: int, start: float, caption: str) -> dict[str, Any]:
        return dict(key="k", output=f"{preset}/c-{index}.mp4", cover=None, preset=preset,
                    preset_digest="", source=os.path.relpath(SAMPLE, folder),
                    source_fingerprint="", index=index, start=start, end=start + 5.0,
                    peak=start + 2.0, score=0.5 + start / 100, reasons=[], caption=caption,
                    recovery_caption="", recovery=None, recovery_note=None, duration=5.0,
                    size_bytes=1)  # fmt: skip

    clips = [rec("a", 1, 10.0, "first"), rec("b", 1, 2.0, "earlier"), rec("b", 2, 10.0, "first")]
    (folder / "manifest.json").write_text(json.dumps({"clips": clips}))
    job = ReelJob(out_dir=tmp_path / "o", preset="reels", title="Mixed", top=10, dry_run=True)
    report = make_reel([str(folder)], job)
    assert report.reel is not None
    starts = sorted(round(m.start + m.length / 2) for m in moments(report.reel))
    assert len(starts) == len(set(starts)) == 2, starts  # the moments at 4 s and at 12 s


def test_no_caption_twice_in_a_reel_of_footage_and_an_output_folder(
    made: Made, cut_out: Path
) -> None:
    """README: 'Captions chosen for footage are chosen over the reel's own moments, so no
    line comes twice in one reel while the style's lines last'. _worded chooses the
    footage's lines without the folder's clips' lines in view."""
    others = [str(p) for i, p in enumerate(made.footage) if i not in (0, 3)]
    job = ReelJob(out_dir=cut_out.parent / "o3", preset=str(made.preset), title="Mixed",
                  cache_dir=made.cache, top=10, dry_run=True,
                  detect=DetectOptions.given(sensitivity=0.7))  # fmt: skip
    report = make_reel([*others, str(cut_out)], job)
    assert report.reel is not None
    caps = [m.caption for m in moments(report.reel)]
    assert len(set(caps)) == min(len(caps), 8), caps  # the humour pool's 8 lines


def test_a_reel_ending_on_a_recovery_shot_from_another_file(tmp_path: Path) -> None:
    """The reel's ending comes from the best moment's recovery_source; when that is
    another file (cut --recovery-file, an edited plan), run.reel._with_extras looks it
    up in ``infos``, which holds only the moments' sources: KeyError, a traceback, after
    the reel was rendered (and no record kept)."""
    folder = tmp_path / "out"
    folder.mkdir()
    other = SAMPLES / "handheld_chop_pan_drop.mp4"
    rec = dict(key="k", output="tiny/c-1.mp4", cover=None, preset="tiny", preset_digest="",
               source=os.path.relpath(SAMPLE, folder), source_fingerprint="", index=1,
               start=2.0, end=7.0, peak=4.0, score=0.9, reasons=[], caption="Oops",
               recovery_caption="Fine", recovery=[1.0, 3.0], recovery_note=None,
               duration=7.0, size_bytes=1,
               recovery_source=os.path.relpath(other, folder))  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps({"clips": [rec]}))
    preset = tmp_path / "tiny.yaml"
    preset.write_text(TINY)
    res = CliRunner().invoke(main, ["reel", str(folder), "-o", str(tmp_path / "o"), "-p",
                                    str(preset), "-q", "--title", "End",
                                    "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 0, res.output


def test_progress_reaches_100_when_an_output_folder_is_named_reel(
    made: Made, cut_out: Path
) -> None:
    """The reel's own events use source "reel"; an output folder given as "reel" (its
    'done' event has source "reel" too) shares its slot in the tally: the run ends at
    [2/2 · 50 %]."""
    named = cut_out.parent / "reel"
    if not named.exists():
        shutil.copytree(cut_out, named)  # its records name the same ../ sources
    events: list[dict[str, Any]] = []
    job = ReelJob(out_dir=cut_out.parent / "o4", preset=str(made.preset), title="Named",
                  cache_dir=made.cache, dry_run=True)  # fmt: skip
    cwd = os.getcwd()
    os.chdir(cut_out.parent)
    try:
        make_reel(["reel"], job, on_event=events.append)
    finally:
        os.chdir(cwd)
    tally = Tally(2)  # the CLI's total: one folder and the reel
    for e in events:
        tally.update(e)
    assert tally.finished == 2
    assert tally.overall == pytest.approx(1.0)


def test_an_output_folder_that_is_a_dangling_symlink_is_one_line(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    """check_output_dir(create=False) skips a path that does not exist() -- a dangling
    symlink -- and proves its parent; the reel later fails in mkdir with a traceback
    (cut, with create=True, says 'output folder cannot be written')."""
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone")
    res = CliRunner().invoke(main, ["reel", str(cut_out), "-o", str(link), "-p",
                                    str(made.preset), "-q", "--title", "Dangling",
                                    "--cache-dir", str(made.cache)])  # fmt: skip
    assert not isinstance(res.exception, OSError), repr(res.exception)
    assert "output folder cannot be written" in res.output


def test_a_reel_is_never_written_over_a_clip(made: Made, cut_out: Path) -> None:
    clip = json.loads((cut_out / "manifest.json").read_text())["clips"][0]["output"]
    before = (cut_out / clip).read_bytes()
    title = Path(clip).stem  # a title whose file name is the clip's
    res = CliRunner().invoke(main, ["reel", str(cut_out), "-p", str(made.preset), "-o",
                                    str(cut_out), "-q", "--title", title,
                                    "--cache-dir", str(made.cache)])  # fmt: skip
    assert res.exit_code == 1 and "a clip of that name is there" in res.output
    assert (cut_out / clip).read_bytes() == before
