"""Editor timelines: EDL timecodes, FCPXML times and OTIO ranges give back the plan."""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree as ET

import pytest

from clipkit.clips.plan import ClipPlan
from clipkit.errors import ClipkitError, PresetError
from clipkit.posts import timeline as tlm
from clipkit.posts.timeline import (
    RECORD_START,
    build_timeline,
    edl_text,
    export_path,
    fcpxml_text,
    frame_rate,
    parse_exports,
    parse_timecode,
    timecode,
    to_frames,
    write_timeline,
)

RATES = [23.976, 24.0, 25.0, 29.97, 30.0, 59.94]
EVENT = re.compile(
    r"^(\d{3})  (\S+)\s+AA/V\s+C\s+(\S+) (\S+) (\S+) (\S+)$", re.M
)  # num reel src_in src_out rec_in rec_out


def plans(tmp_path: Path) -> list[ClipPlan]:
    """Two clips: one recovering in its own file, one in another (with a space)."""
    a, b = tmp_path / "day 1.mp4", tmp_path / "plated.mov"
    one = ClipPlan(source=str(a), index=1, start=12.345, end=19.87, peak=15.2, score=0.9,
                   caption="Oops: the pan!", recovery_caption="Saved it.",
                   output="day 1_01_reels.mp4", preset="reels", recovery_source=str(a),
                   recovery_start=301.5, recovery_end=304.0)  # fmt: skip
    two = ClipPlan(source=str(a), index=2, start=3601.2, end=3608.9, peak=3604.0, score=0.7,
                   caption="Flour everywhere", recovery_caption="", output="day 1_02_reels.mp4",
                   preset="reels", recovery_source=str(b), recovery_start=0.0,
                   recovery_end=2.5)  # fmt: skip
    return [one, two]


def spans(plan: ClipPlan) -> list[tuple[str, float, float]]:
    out = [(plan.source, plan.start, plan.end)]
    if plan.recovery is not None and plan.recovery_source:
        out.append((plan.recovery_source, *plan.recovery))
    return out


def test_frame_rates_are_exact() -> None:
    assert frame_rate(29.97) == Fraction(30000, 1001)
    assert frame_rate(29.97002997) == Fraction(30000, 1001)
    assert frame_rate(23.976) == Fraction(24000, 1001)
    assert frame_rate(59.94) == Fraction(60000, 1001)
    assert frame_rate(25.0) == 25 and frame_rate(30) == 30 and frame_rate(12.5) == Fraction(25, 2)


def test_drop_frame_timecodes_are_the_standards() -> None:
    df = Fraction(30000, 1001)
    assert timecode(1799, df) == "00:00:59;29"
    assert timecode(1800, df) == "00:01:00;02"  # ;00 and ;01 are dropped
    assert timecode(17982, df) == "00:10:00;00"  # but not at every tenth minute
    assert timecode(107892, df) == "01:00:00;00"
    assert timecode(3600, Fraction(60000, 1001)) == "00:01:00;04"
    assert timecode(90000, Fraction(25)) == "01:00:00:00"
    assert timecode(86400, Fraction(24000, 1001)) == "01:00:00:00"  # NDF, base 24


@pytest.mark.parametrize("fps", RATES)
def test_timecodes_parse_back(fps: float) -> None:
    rate = frame_rate(fps)
    for n in [*range(0, 40000, 7), 107891, 107892, 2_000_000]:  # (under 24 h at 24 fps)
        assert parse_timecode(timecode(n, rate), rate) == n


@pytest.mark.parametrize("fps", RATES)
def test_edl_timecodes_give_back_the_plans_times(tmp_path: Path, fps: float) -> None:
    ps = plans(tmp_path)
    tl = build_timeline(ps, fps, "Fail Friday")
    text = edl_text(tl)
    rate = frame_rate(fps)
    assert text.startswith("TITLE: Fail Friday\nFCM: ")
    assert ("FCM: DROP FRAME" in text) == (fps in (29.97, 59.94))
    events = EVENT.findall(text)
    expected = [s for p in ps for s in spans(p)]
    assert len(events) == len(expected) == 4
    rec = parse_timecode(RECORD_START, rate)
    for (_n, reel, s_in, s_out, r_in, r_out), (_source, start, end) in zip(
        events, expected, strict=True
    ):
        assert reel == "AX"
        t_in, t_out = (parse_timecode(t, rate) / rate for t in (s_in, s_out))
        assert abs(t_in - start) <= 1 / rate and abs(t_out - end) <= 1 / rate
        assert parse_timecode(r_in, rate) == rec  # each cut right after the last
        rec = parse_timecode(r_out, rate)
        assert parse_timecode(r_out, rate) - parse_timecode(r_in, rate) == parse_timecode(
            s_out, rate
        ) - parse_timecode(s_in, rate)
    names = re.findall(r"^\* FROM CLIP NAME: (.*)$", text, re.M)
    assert names == [Path(s).name for s, _, _ in expected]
    locs = re.findall(r"^\* LOC: (\S+) YELLOW  (.*)$", text, re.M)
    assert [c for _, c in locs] == ["Oops: the pan!", "Saved it.", "Flour everywhere"]


def _seconds(value: str) -> Fraction:
    assert value.endswith("s")
    return Fraction(value[:-1])


@pytest.mark.parametrize("fps", [25.0, 29.97])
def test_fcpxml_parses_and_its_times_match_the_plan(tmp_path: Path, fps: float) -> None:
    ps = plans(tmp_path)
    tl = build_timeline(ps, fps, "Fail Friday", size=(1080, 1920))
    root = ET.fromstring(fcpxml_text(tl).split("\n", 2)[2])  # after the XML declaration
    assert root.tag == "fcpxml" and root.get("version") == "1.9"
    step = _seconds(root.findall("resources/format")[0].get("frameDuration", ""))
    assert step == 1 / frame_rate(fps)
    assets = {a.get("id"): a for a in root.iter("asset")}
    assert len(assets) == 2  # each source once
    clips = list(root.iter("asset-clip"))
    expected = [s for p in ps for s in spans(p)]
    offset = Fraction(0)
    for clip, (source, start, end) in zip(clips, expected, strict=True):
        for key in ("offset", "start", "duration"):
            assert (_seconds(clip.get(key, "")) / step).denominator == 1  # whole frames
        assert _seconds(clip.get("offset", "")) == offset
        assert abs(_seconds(clip.get("start", "")) - Fraction(start)) <= step
        assert abs(_seconds(clip.get("duration", "")) - Fraction(end - start)) <= step
        offset += _seconds(clip.get("duration", ""))
        src = assets[clip.get("ref")].findall("media-rep")[0].get("src", "")
        assert unquote(urlparse(src).path) == str(Path(source).resolve())
    seq = root.find("library/event/project/sequence")
    assert seq is not None and _seconds(seq.get("duration", "")) == offset
    titles = [t.findtext("text/text-style") for t in root.iter("title")]
    assert titles == ["Oops: the pan!", "Saved it.", "Flour everywhere"]
    markers = [m.get("value") for m in root.iter("marker")]
    assert markers == titles


def test_otio_reads_back_with_the_same_in_and_out_points(tmp_path: Path) -> None:
    otio = pytest.importorskip("opentimelineio")
    ps = plans(tmp_path)
    path = write_timeline(build_timeline(ps, 29.97, "reel"), "otio", tmp_path / "reel.otio")
    back = otio.adapters.read_from_file(str(path))
    clips = list(back.find_clips())
    expected = [s for p in ps for s in spans(p)]
    assert len(clips) == len(expected)
    for clip, (source, start, end) in zip(clips, expected, strict=True):
        r = clip.source_range
        assert abs(r.start_time.to_seconds() - start) <= 1 / 29.97
        assert abs(r.end_time_exclusive().to_seconds() - end) <= 1 / 29.97
        url = clip.media_reference.target_url
        assert unquote(urlparse(url).path) == str(Path(source).resolve())
    assert [m.name for c in clips for m in c.markers] == [
        "Oops: the pan!", "Saved it.", "Flour everywhere",
    ]  # fmt: skip


def test_otio_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(tlm.importlib, "import_module", missing)
    with pytest.raises(ClipkitError, match=r"pip install 'clipkit\[export\]'") as e:
        write_timeline(build_timeline(plans(tmp_path), 25, "x"), "otio", tmp_path / "x.otio")
    assert "\n" not in str(e.value)
    assert not list(tmp_path.iterdir())  # nothing written


def test_exports_are_chosen_with_a_suggestion() -> None:
    assert parse_exports("edl, OTIO") == ("otio", "edl")
    assert parse_exports("fcpxml,fcpxml") == ("fcpxml",)
    with pytest.raises(PresetError, match="did you mean 'fcpxml'") as e:
        parse_exports("otio,fcpxm")
    assert "otio, fcpxml, edl" in str(e.value)


def test_clip_without_recovery_and_files_beside_it(tmp_path: Path) -> None:
    plan = ClipPlan(source=str(tmp_path / "a.mp4"), index=1, start=1.0, end=6.0, peak=3.0,
                    score=0.5, caption="", recovery_caption="", output="a_01_reels.mp4",
                    preset="reels")  # fmt: skip
    tl = build_timeline([plan], 30, "a_01_reels")
    assert len(tl.cuts) == 1 and tl.frames == 150
    for fmt in ("edl", "fcpxml"):
        path = write_timeline(tl, fmt, export_path(tmp_path / plan.output, fmt))
        assert path.name == f"a_01_reels.{fmt}" and path.read_text(encoding="utf-8")
    assert "LOC" not in edl_text(tl)


def held(tmp_path: Path) -> ClipPlan:
    """A clip whose recovery shot is one frame held (``recovery_still``) for 2.5 s."""
    return replace(plans(tmp_path)[0], recovery_still=True)


@pytest.mark.parametrize("fps", [25.0, 29.97])
def test_a_held_frame_is_each_formats_freeze_frame(tmp_path: Path, fps: float) -> None:
    plan, rate = held(tmp_path), frame_rate(fps)
    tl = build_timeline([plan], fps, "held")
    mishap, recovery = tl.cuts
    assert not mishap.still and recovery.still
    a, b = to_frames(301.5, rate), to_frames(304.0, rate)
    assert (recovery.src_in, recovery.frames) == (a, b - a)  # its place and length kept

    # EDL: one source frame on the whole record span, with an M2 of speed 0.
    events = EVENT.findall(edl_text(tl))
    _, _, src_in, src_out, rec_in, rec_out = events[1]
    assert parse_timecode(src_out, rate) - parse_timecode(src_in, rate) == 1
    assert parse_timecode(rec_out, rate) - parse_timecode(rec_in, rate) == b - a
    assert re.search(rf"^M2   AX\s+000\.0\s+{re.escape(src_in)}$", edl_text(tl), re.M)
    assert "M2 " not in edl_text(build_timeline(plans(tmp_path)[:1], fps, "moving"))

    # FCPXML: the clip's own time from 0, held at the source frame by a timeMap.
    clips = ET.fromstring(fcpxml_text(tl)).findall(".//spine/asset-clip")
    assert clips[0].find("timeMap") is None
    rec = clips[1]
    assert rec.get("start") == "0s"
    assert Fraction(rec.get("duration", "")[:-1]) == Fraction(b - a) / rate
    points = rec.findall("timeMap/timept")
    assert [Fraction(p.get("value", "")[:-1]) for p in points] == [Fraction(a) / rate] * 2
    assert [p.get("time") for p in points] == ["0s", rec.get("duration")]


def test_an_independent_reader_sees_the_freeze_frame(tmp_path: Path) -> None:
    otio = pytest.importorskip("opentimelineio")
    pytest.importorskip("otio_cmx3600_adapter")
    tl = build_timeline([held(tmp_path)], 25, "held")
    edl = write_timeline(tl, "edl", tmp_path / "held.edl")
    (video,) = otio.adapters.read_from_file(str(edl), rate=25).video_tracks()
    clips = list(video.find_clips())
    assert [[e.schema_name() for e in c.effects] for c in clips] == [[], ["FreezeFrame"]]
    rec = clips[1].source_range
    assert (rec.start_time.value, rec.duration.value) == (tl.cuts[1].src_in, tl.cuts[1].frames)
    # Our own OTIO file holds the same freeze frame.
    back = otio.adapters.read_from_file(str(write_timeline(tl, "otio", tmp_path / "h.otio")))
    effects = [[e.schema_name() for e in c.effects] for c in back.find_clips()]
    assert effects == [[], ["FreezeFrame"]]
