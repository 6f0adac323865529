"""Our EDL and FCPXML read by independent, third-party readers, checked against the plans.

The readers (the ``dev`` extra installs them; each test skips without its reader):

- ``otio-cmx3600-adapter``: OpenTimelineIO's CMX 3600 EDL reader.
- ``pycmx``: a CMX 3600 parser that keeps the remarks (``* SOURCE FILE:``, ``* LOC:``).
- ``otio-fcpx-xml-adapter``: OpenTimelineIO's Final Cut Pro X XML reader.
- ``otio-fcpx-xml-lite-adapter``: a second FCPXML reader, the only one that reads the
  source file from ``<media-rep src>`` (where FCPXML 1.9 and later keep it).

Where a reader falls short of the format, the test says so and checks what it can:

- The OTIO EDL reader's ``* LOC:`` pattern takes only ``:`` separators, so it drops the
  drop-frame (``;``) locators of 29.97 and 59.94, the very form OTIO's own EDL writer
  emits at those rates. There pycmx's remarks and OTIO's timecode parser check them.
- The OTIO FCPXML reader takes a format's rate as an integer (29 for 30000/1001 fps)
  for lengths but not for offsets (so at 23.976, 29.97 and 59.94 it puts gaps between
  the cuts), truncates ``seconds * fps`` with floats (``29/25s`` becomes frame 28), and
  looks for the media path in ``<asset src>`` (FCPXML 1.8 and before; 1.9 moved it to
  ``<media-rep>``). Its times are held to the plan within one of its own frames, the
  cuts' places at whole rates only.
- The lite FCPXML reader counts frames at ``int(rate)`` too (exact at 24, 25 and 30 fps
  only), and adds a marker's ``start`` to the clip's ``start`` although FCPXML's marker
  start already is in the clip's local (source) time: only marker names are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from clipkit.clips.plan import ClipPlan
from clipkit.posts.reel import ReelPlan, plan_reel, reel_timeline
from clipkit.posts.timeline import (
    RECORD_START,
    EditTimeline,
    build_timeline,
    export_path,
    frame_rate,
    write_timeline,
)
from tests.test_posts_reel import RECORDED
from tests.test_posts_reel import plans as reel_plans
from tests.test_posts_timeline import RATES, plans

DROP_FRAME = (29.97, 59.94)


def record_start(fps: float) -> str:
    """01:00:00:00, or 01:00:00;00 where the list counts drop-frame."""
    return f"{RECORD_START[:8]};{RECORD_START[9:]}" if fps in DROP_FRAME else RECORD_START


@dataclass(frozen=True)
class Span:
    """What a plan asks of one cut: a stretch of a source, in seconds, and its caption."""

    source: str
    start: float
    end: float
    caption: str
    name: str  # the clip's stem and the cut's role, as the FCPXML names the cut


def clip_spans(plan: ClipPlan) -> list[Span]:
    stem = Path(plan.output).stem
    out = [Span(plan.source, plan.start, plan.end, plan.caption or "", f"{stem} mishap")]
    if plan.recovery is not None and plan.recovery_source:
        start, end = plan.recovery
        caption = plan.recovery_caption or ""
        out.append(Span(plan.recovery_source, start, end, caption, f"{stem} recovery"))
    return out


def reel_spans(reel: ReelPlan) -> list[Span]:
    """The moments and the ending (the title card is the editor's to add)."""
    return [
        Span(p.source, p.start, p.start + p.length,
             f"#{p.number} {p.caption}".strip() if p.number else p.caption,
             f"{Path(p.clip).stem} {p.kind}")
        for p in reel.parts if p.source
    ]  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str  # the timeline's
    output: str  # where the clip or reel is rendered; the timelines go beside it
    timeline: EditTimeline
    spans: list[Span]


def case(tmp_path: Path, kind: str, fps: float) -> Case:
    """A clip's or a reel's timeline, built as the pipeline (clipkit.posts.extras) and the
    existing tests build them. Sources with a space in their path: all but "reel"."""
    ps = plans(tmp_path)
    if kind == "clip":
        tl = build_timeline(ps[:1], fps, "day 1_01_reels", size=(1080, 1920))
        return Case(tl.name, str(tmp_path / ps[0].output), tl, clip_spans(ps[0]))
    if kind == "clips":
        tl = build_timeline(ps, fps, "Fail Friday")
        spans = [s for p in ps for s in clip_spans(p)]
        return Case(tl.name, str(tmp_path / "Fail Friday.mp4"), tl, spans)
    reel = plan_reel(reel_plans(), "T", recorded=RECORDED) if kind == "reel" else plan_reel(ps, "T")
    assert reel is not None
    tl = reel_timeline(reel, fps, "Fail Friday", (1080, 1920))
    return Case(tl.name, str(tmp_path / "fail friday reel.mp4"), tl, reel_spans(reel))


KINDS = ["clip", "clips", "reel", "reel-spaces"]


def close(seconds: float, plan: float, tolerance: float) -> bool:
    return abs(seconds - plan) <= tolerance + 1e-9


def write(c: Case, fmt: str) -> Path:
    path = write_timeline(c.timeline, fmt, export_path(c.output, fmt))
    assert path.parent == Path(c.output).parent and path.suffix == f".{fmt}"
    return path


def importorskip_all(*names: str) -> list[Any]:
    return [pytest.importorskip(name) for name in names]


# -- CMX 3600 EDL: OpenTimelineIO's reader ---------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fps", RATES)
def test_otio_cmx3600_reads_our_edl_as_planned(tmp_path: Path, fps: float, kind: str) -> None:
    otio, _ = importorskip_all("opentimelineio", "otio_cmx3600_adapter")
    c = case(tmp_path, kind, fps)
    rate = float(frame_rate(fps))  # OTIO's timecodes take 30000/1001, not 29.97
    back = otio.adapters.read_from_file(str(write(c, "edl")), adapter_name="cmx_3600", rate=rate)
    assert back.name == c.name
    # AA/V: each cut on the picture and both sound tracks.
    assert [(t.name, t.kind) for t in back.tracks] == [("V", "Video"), ("A1", "Audio"),
                                                       ("A2", "Audio")]  # fmt: skip
    start = otio.opentime.from_timecode(record_start(fps), rate)
    for track in back.tracks:
        clips = list(track)
        assert len(clips) == len(c.spans)  # no gaps, nothing lost
        # The record side starts at 01:00:00:00 (OTIO shifts the track back by it).
        assert -track.source_range.start_time == start
        position = 0
        for clip, span in zip(clips, c.spans, strict=True):
            assert isinstance(clip, otio.schema.Clip)
            assert clip.name == Path(span.source).name  # * FROM CLIP NAME
            got = clip.source_range
            assert got.start_time.rate == got.duration.rate == rate
            assert close(got.start_time.to_seconds(), span.start, 0.5 / rate)
            assert close(got.end_time_exclusive().to_seconds(), span.end, 0.5 / rate)
            assert close(got.duration.to_seconds(), span.end - span.start, 1 / rate)
            placed = clip.range_in_parent()  # record side, from the track's first frame
            assert placed.start_time.value == position and placed.duration == got.duration
            position += got.duration.value
            # The path (spaces and all) is kept in the unhandled * SOURCE FILE remark;
            # the reader takes paths only from Avid's * FROM CLIP / Nucoda's * FROM FILE.
            remarks = clip.metadata["cmx_3600"]["comments"]
            assert f"SOURCE FILE: {Path(span.source).resolve()}" in remarks
            # A caption is a locator on the cut's first record frame (LOC timecodes are
            # record timecodes in EDLs; OTIO keeps them as written, its issue #169).
            first = (start + placed.start_time).value
            want = [(span.caption, first)] if span.caption else []
            markers = [(m.name, m.marked_range.start_time.value) for m in clip.markers]
            if markers or fps not in DROP_FRAME:  # see the module's docstring
                assert markers == want
        assert position == c.timeline.frames


# -- CMX 3600 EDL: pycmx ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fps", RATES)
def test_pycmx_reads_our_edl_as_planned(tmp_path: Path, fps: float, kind: str) -> None:
    otio, pycmx = importorskip_all("opentimelineio", "pycmx")
    c = case(tmp_path, kind, fps)
    rate = float(frame_rate(fps))
    with write(c, "edl").open(encoding="utf-8") as f:
        edl = pycmx.parse_cmx3600(f)
    assert edl.title == c.name and edl.format == "3600"  # 8-character source column
    # Only the blank lines between events go unrecognised.
    assert [s.content for s in edl.unrecognized_statements if s.content.strip()] == []
    fcm = [s for s in edl.event_statements if type(s).__name__ == "StmtFCM"]
    assert [s.drop for s in fcm] == [fps in DROP_FRAME]

    def frames(timecode: str) -> int:
        assert (";" in timecode) == (fps in DROP_FRAME)
        return int(otio.opentime.from_timecode(timecode, rate).value)

    events = list(edl.events)
    assert [e.number for e in events] == list(range(1, len(c.spans) + 1))
    record = frames(record_start(fps))
    for event, span in zip(events, c.spans, strict=True):
        (edit,) = event.edits
        assert edit.aux_source and edit.transition.kind == pycmx.Transition.Cut
        ch = edit.channels
        assert ch.video and ch.a1 and ch.a2 and not ch.get_audio_channel(3)
        assert edit.clip_name == Path(span.source).name
        assert edit.source_file == str(Path(span.source).resolve())  # spaces and all
        s_in, s_out = frames(edit.source_in), frames(edit.source_out)
        assert close(s_in / rate, span.start, 0.5 / rate)
        assert close(s_out / rate, span.end, 0.5 / rate)
        assert frames(edit.record_in) == record  # each cut right after the last
        record = frames(edit.record_out)
        assert record - frames(edit.record_in) == s_out - s_in
        # The caption's locator: on the cut's first record frame, in the list's
        # timecode (drop-frame where the list is).
        locs = [re.fullmatch(r"LOC: (\S+) (\w+) +(.*)", s.text)
                for s in event.statements if type(s).__name__ == "StmtRemark"
                and s.text.startswith("LOC:")]  # fmt: skip
        got = [(m[3], m[2], frames(m[1])) for m in locs if m]
        assert len(got) == len(locs)
        assert got == ([(span.caption, "YELLOW", frames(edit.record_in))] if span.caption else [])


# -- FCPXML: OpenTimelineIO's Final Cut Pro X reader -----------------------------------------


def _fcpx_timeline(back: Any, otio: Any, name: str) -> Any:
    assert isinstance(back, otio.schema.SerializableCollection)  # library > event
    (timeline,) = list(back)
    assert timeline.name == name  # the project's
    return timeline


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fps", RATES)
def test_otio_fcpx_xml_reads_our_fcpxml_as_planned(tmp_path: Path, fps: float, kind: str) -> None:
    otio, _ = importorskip_all("opentimelineio", "otio_fcpx_xml_adapter")
    c = case(tmp_path, kind, fps)
    path = write(c, "fcpxml")
    back = otio.adapters.read_from_file(str(path), adapter_name="fcpx_xml")
    timeline = _fcpx_timeline(back, otio, c.name)  # (held: a clip's parent lives in it)
    (track,) = list(timeline.tracks)
    assert track.kind == "Video"
    rate = float(frame_rate(fps))
    whole = rate == int(rate)
    # At 23.976, 29.97 and 59.94 the reader places the cuts at the true rate but measures
    # them at int(rate), and fills the difference with gaps: there only the cuts count.
    clips = [x for x in track if whole or isinstance(x, otio.schema.Clip)]
    assert len(clips) == len(c.spans)  # (at whole rates: no gap between the cuts)
    tolerance = 1 / int(rate) + 0.5 / rate  # the reader's truncation, then our rounding
    rec_in = 0
    for clip, span, cut in zip(clips, c.spans, c.timeline.cuts, strict=True):
        assert isinstance(clip, otio.schema.Clip) and clip.name == span.name
        got = clip.source_range
        assert abs(got.start_time.rate - rate) < 1  # int(rate): 29 for 29.97
        assert close(got.start_time.to_seconds(), span.start, tolerance)
        assert close(got.duration.to_seconds(), span.end - span.start, tolerance + 0.5 / rate)
        # Where the cut sits (its offset on the spine): right after the one before.
        assert cut.rec_in == rec_in
        rec_in += cut.frames
        if whole:
            placed = clip.range_in_parent().start_time.to_seconds()
            assert close(placed, cut.rec_in / rate, 1 / rate)
        # A caption's marker: one frame at the cut's first, in the clip's source time.
        markers = [(m.name, m.marked_range.start_time.to_seconds()) for m in clip.markers]
        assert [n for n, _ in markers] == ([span.caption] if span.caption else [])
        for _, start in markers:
            assert close(start, span.start, tolerance)


# -- FCPXML: the lite Final Cut Pro X reader ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fps", RATES)
def test_lite_fcpx_reader_finds_our_sources(tmp_path: Path, fps: float, kind: str) -> None:
    otio, _ = importorskip_all("opentimelineio", "otio_fcpx_xml_lite_adapter")
    c = case(tmp_path, kind, fps)
    path = write(c, "fcpxml")
    back = otio.adapters.read_from_file(str(path), adapter_name="otio_fcpx_xml_lite_adapter")
    rate = frame_rate(fps)
    assert Fraction(back.global_start_time.rate).limit_denominator(1001) == rate
    (track,) = list(back.tracks)
    exact = rate.denominator == 1  # the reader counts frames at int(rate)
    # At other rates its rounding leaves one-frame gaps between the cuts.
    clips = [x for x in track if exact or isinstance(x, otio.schema.Clip)]
    assert len(clips) == len(c.spans)
    position = 0
    for clip, span in zip(clips, c.spans, strict=True):
        assert isinstance(clip, otio.schema.Clip) and clip.name == span.name
        url = clip.media_reference.target_url  # from <media-rep src>
        assert url == Path(span.source).resolve().as_uri()
        assert unquote(urlparse(url).path) == str(Path(span.source).resolve())
        assert [m.name for m in clip.markers] == ([span.caption] if span.caption else [])
        if exact:
            got = clip.source_range
            assert close(got.start_time.to_seconds(), span.start, 0.5 / float(rate))
            assert close(got.end_time_exclusive().to_seconds(), span.end, 0.5 / float(rate))
            assert clip.range_in_parent().start_time.value == position
            position += got.duration.value
