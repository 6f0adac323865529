"""Timelines for video editors: a clip (or a reel) as cuts of its source files.

Each clip is its mishap span, then its recovery span (from the same file or another),
at the clip's frame rate; the captions ride along as markers (EDL, OTIO) or titles and
markers (FCPXML). Sources are referenced by path or ``file://`` URL, never copied.

- CMX 3600 EDL: what every editor imports. Timecodes count frames at the rate's
  nominal base (24 for 23.976); 29.97 and 59.94 use drop-frame (``;``), as editors
  expect for those rates, so the timecode keeps to the clock.
- FCPXML 1.9: what Final Cut Pro 10.5 and later and DaVinci Resolve 17 and later
  import; times are rational seconds, whole frames of the sequence's frame duration.
- OpenTimelineIO (``.otio``) through the ``opentimelineio`` package, an optional extra
  (``pip install 'clipkit[export]'``), imported only when asked for.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from clipkit.clips.plan import ClipPlan
from clipkit.errors import ClipkitError, PresetError
from clipkit.files import write_atomic
from clipkit.options import EXPORT_FORMATS, export_formats

EXPORTS = EXPORT_FORMATS
SUFFIXES = {"otio": ".otio", "fcpxml": ".fcpxml", "edl": ".edl"}
FCPXML_VERSION = "1.9"
# Where an EDL's record side starts, as is the custom (an hour in, leaving room for bars
# and tone before it).
RECORD_START = "01:00:00:00"
EDL_REEL = "AX"  # "auxiliary source": a file, named in the FROM CLIP NAME comment


@dataclass(frozen=True)
class Cut:
    """A span of a source file placed on the timeline; frames at the timeline's rate."""

    source: str  # absolute path
    src_in: int
    src_out: int  # exclusive
    rec_in: int
    clip: str  # the clip it belongs to (its output's stem)
    role: str  # a clip's "mishap" or "recovery"; a reel's "moment" or "ending"
    caption: str
    # The frame at ``src_in`` held for the cut's length (a recovery shot that is one
    # frame held: ``ClipPlan.recovery_still``), written as each format's freeze frame.
    still: bool = False

    @property
    def frames(self) -> int:
        return self.src_out - self.src_in


@dataclass(frozen=True)
class EditTimeline:
    """Cuts one after another, at ``rate`` frames per second."""

    name: str
    rate: Fraction
    cuts: tuple[Cut, ...]
    size: tuple[int, int] = (1080, 1920)

    @property
    def frames(self) -> int:
        return sum(c.frames for c in self.cuts)


def frame_rate(fps: float) -> Fraction:
    """The exact rate of ``fps``: the NTSC rates (23.976, 29.97, 59.94) as n*1000/1001."""
    for nominal in (24, 30, 48, 60, 120):
        if abs(fps - nominal * 1000 / 1001) < 0.005:
            return Fraction(nominal * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


def to_frames(seconds: float, rate: Fraction) -> int:
    return round(Fraction(seconds) * rate)


def frame_span(start: float, end: float, rate: Fraction) -> tuple[int, int]:
    """The frames ``[in, out)`` of ``start``-``end`` seconds: each end on its nearest frame
    (so neither is more than half a frame off the plan), and at least one frame."""
    a = to_frames(start, rate)
    return a, max(to_frames(end, rate), a + 1)


def _cuts_of(plan: ClipPlan, rate: Fraction, rec_in: int) -> list[Cut]:
    clip = Path(plan.output or Path(plan.source).name).stem
    spans = [(plan.source, plan.start, plan.end, "mishap", plan.caption or "", False)]
    rec = plan.recovery
    if rec is not None and plan.recovery_source:
        spans.append((plan.recovery_source, *rec, "recovery", plan.recovery_caption or "",
                      plan.recovery_still))  # fmt: skip
    cuts = []
    for source, start, end, role, caption, still in spans:
        a, b = frame_span(start, end, rate)
        cuts.append(Cut(str(Path(source).resolve()), a, b, rec_in, clip, role, caption, still))
        rec_in += cuts[-1].frames
    return cuts


def build_timeline(
    plans: Sequence[ClipPlan], fps: float, name: str, size: tuple[int, int] = (1080, 1920)
) -> EditTimeline:
    """The timeline of ``plans`` in order (one plan: a clip; several: a reel), at
    ``fps`` (the rendered clip's rate), for a frame of ``size``."""
    rate = frame_rate(fps)
    cuts: list[Cut] = []
    for plan in plans:
        cuts += _cuts_of(plan, rate, cuts[-1].rec_in + cuts[-1].frames if cuts else 0)
    return EditTimeline(name, rate, tuple(cuts), size)


# -- timecode ---------------------------------------------------------------------


def drop_frame(rate: Fraction) -> bool:
    """29.97 and 59.94 fps timecodes drop frame numbers to keep to the clock."""
    return rate.denominator == 1001 and round(rate) in (30, 60)


def _with_dropped(frames: int, base: int) -> int:
    """A drop-frame count as the frame number its timecode shows: two numbers (four
    at 59.94) skipped at the start of each minute but every tenth."""
    drop = 2 * base // 30
    tens, rest = divmod(frames, base * 600 - 9 * drop)
    return frames + 9 * drop * tens + drop * max(0, (rest - drop) // (base * 60 - drop))


def timecode(frames: int, rate: Fraction) -> str:
    """``HH:MM:SS:FF`` (``HH:MM:SS;FF`` drop-frame) of a frame count."""
    base = round(rate)
    if drop_frame(rate):
        frames = _with_dropped(frames, base)
    ff, secs = frames % base, frames // base
    sep = ";" if drop_frame(rate) else ":"
    return f"{secs // 3600 % 24:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"


def parse_timecode(text: str, rate: Fraction) -> int:
    """The frame count of a timecode written by ``timecode`` (or by an editor)."""
    hh, mm, ss, ff = (int(p) for p in text.replace(";", ":").split(":"))
    base = round(rate)
    frames = ((hh * 60 + mm) * 60 + ss) * base + ff
    if drop_frame(rate):
        minutes = hh * 60 + mm
        frames -= (2 * base // 30) * (minutes - minutes // 10)
    return frames


# -- CMX 3600 EDL -------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def edl_text(tl: EditTimeline) -> str:
    """The timeline as a CMX 3600 EDL (cuts, video and two audio channels). A held frame
    is one source frame on a record span of its length with an ``M2`` motion effect of
    speed 000.0 (and the ``* * FREEZE FRAME`` remark editors and OpenTimelineIO write)."""
    fcm = "DROP FRAME" if drop_frame(tl.rate) else "NON-DROP FRAME"
    lines = [f"TITLE: {_one_line(tl.name)[:70]}", f"FCM: {fcm}", ""]
    start = parse_timecode(RECORD_START, tl.rate)
    tc = functools.partial(timecode, rate=tl.rate)
    for number, c in enumerate(tl.cuts, start=1):
        rec = start + c.rec_in
        src_out = c.src_in + 1 if c.still else c.src_out
        lines.append(
            f"{number:03d}  {EDL_REEL:<8} AA/V  C        {tc(c.src_in)} {tc(src_out)} "
            f"{tc(rec)} {tc(rec + c.frames)}"
        )
        if c.still:
            lines.append(f"M2   {EDL_REEL:<8}     000.0                {tc(c.src_in)}")
        lines.append(f"* FROM CLIP NAME: {Path(c.source).name}")
        lines.append(f"* SOURCE FILE: {c.source}")
        lines.append(f"* COMMENT: {c.role} of {c.clip}")
        if c.still:
            lines.append("* * FREEZE FRAME")
        if c.caption:
            lines.append(f"* LOC: {tc(rec)} YELLOW  {_one_line(c.caption)}")
        lines.append("")
    return "\n".join(lines)


# -- FCPXML ---------------------------------------------------------------------------


def _time(frames: int, rate: Fraction) -> str:
    """Rational seconds of a whole number of frames, as FCPXML writes them."""
    step = 1 / rate
    return "0s" if frames == 0 else f"{frames * step.numerator}/{step.denominator}s"


# Final Cut's Basic Title; Resolve maps it to its own text.
BASIC_TITLE = ".../Titles.localized/Bumper:Opener.localized/Basic Title.localized/Basic Title.moti"


def _resources(tl: EditTimeline) -> tuple[ET.Element, dict[str, str]]:
    res = ET.Element("resources")
    w, h = tl.size
    ET.SubElement(res, "format", id="r1", frameDuration=_time(1, tl.rate), width=str(w),
                  height=str(h))  # fmt: skip
    ET.SubElement(res, "effect", id="r2", name="Basic Title", uid=BASIC_TITLE)
    ids: dict[str, str] = {}
    for c in tl.cuts:
        if c.source in ids:
            continue
        ids[c.source] = f"r{len(ids) + 3}"
        last = max(x.src_out for x in tl.cuts if x.source == c.source)
        asset = ET.SubElement(res, "asset", id=ids[c.source], name=Path(c.source).stem,
                              start="0s", duration=_time(last, tl.rate), hasVideo="1",
                              hasAudio="1", audioSources="1")  # fmt: skip
        ET.SubElement(asset, "media-rep", kind="original-media", src=Path(c.source).as_uri())
    return res, ids


def _asset_clip(c: Cut, ref: str, rate: Fraction, n: int) -> ET.Element:
    """One cut on the spine. A held frame is retimed: its clip's own time runs from 0
    over the cut's length while a ``timeMap`` holds the source at ``src_in`` (two time
    points of the same value: Final Cut's hold), so the clip's start and what sits in
    it (title, marker) are in that retimed time."""
    local = 0 if c.still else c.src_in  # where the clip's own time starts
    clip = ET.Element("asset-clip", ref=ref, name=f"{c.clip} {c.role}",
                      offset=_time(c.rec_in, rate), start=_time(local, rate),
                      duration=_time(c.frames, rate), tcFormat="NDF")  # fmt: skip
    if drop_frame(rate):
        clip.set("tcFormat", "DF")
    if c.still:
        held = ET.SubElement(clip, "timeMap")
        for t in (0, c.frames):
            ET.SubElement(held, "timept", time=_time(t, rate), value=_time(c.src_in, rate),
                          interp="linear")  # fmt: skip
    if c.caption:
        title = ET.SubElement(clip, "title", ref="r2", lane="1", name=c.caption[:60],
                              offset=_time(local, rate), start="0s",
                              duration=_time(c.frames, rate))  # fmt: skip
        text = ET.SubElement(title, "text")
        ET.SubElement(text, "text-style", ref=f"ts{n}").text = c.caption
        style = ET.SubElement(title, "text-style-def", id=f"ts{n}")
        ET.SubElement(style, "text-style", font="Helvetica", fontSize="80", bold="1",
                      fontColor="1 1 1 1", alignment="center")  # fmt: skip
        ET.SubElement(clip, "marker", start=_time(local, rate), duration=_time(1, rate),
                      value=c.caption)  # fmt: skip
    return clip


def fcpxml_text(tl: EditTimeline) -> str:
    """The timeline as FCPXML 1.9: assets for the sources, asset-clips on the spine."""
    root = ET.Element("fcpxml", version=FCPXML_VERSION)
    res, ids = _resources(tl)
    root.append(res)
    event = ET.SubElement(ET.SubElement(root, "library"), "event", name="clipkit")
    project = ET.SubElement(event, "project", name=tl.name)
    seq = ET.SubElement(project, "sequence", format="r1", duration=_time(tl.frames, tl.rate),
                        tcStart="0s", tcFormat="DF" if drop_frame(tl.rate) else "NDF",
                        audioLayout="stereo", audioRate="48k")  # fmt: skip
    spine = ET.SubElement(seq, "spine")
    for n, c in enumerate(tl.cuts, start=1):
        spine.append(_asset_clip(c, ids[c.source], tl.rate, n))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n{body}\n'


# -- OpenTimelineIO -------------------------------------------------------------------


INSTALL_OTIO = "pip install 'clipkit[export]'"


def _otio() -> Any:
    try:
        return importlib.import_module("opentimelineio")
    except ImportError:
        raise ClipkitError(
            f"the otio export needs the opentimelineio package: {INSTALL_OTIO}"
        ) from None


def otio_timeline(tl: EditTimeline) -> Any:
    """The timeline as an ``opentimelineio.schema.Timeline`` (one video track)."""
    otio = _otio()
    rate = float(tl.rate)
    rt = functools.partial(otio.opentime.RationalTime, rate=rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for c in tl.cuts:
        clip = otio.schema.Clip(
            name=f"{c.clip} {c.role}",
            media_reference=otio.schema.ExternalReference(target_url=Path(c.source).as_uri()),
            source_range=otio.opentime.TimeRange(rt(c.src_in), rt(c.frames)),
            metadata={"clipkit": {"clip": c.clip, "role": c.role}},
        )
        if c.still:  # the frame at src_in held over the clip's length
            clip.effects.append(otio.schema.FreezeFrame())
        if c.caption:
            marked = otio.opentime.TimeRange(rt(c.src_in), rt(1))
            yellow = otio.schema.MarkerColor.YELLOW
            clip.markers.append(otio.schema.Marker(c.caption, marked, yellow))
        track.append(clip)
    timeline = otio.schema.Timeline(name=tl.name, global_start_time=rt(0))
    timeline.tracks.append(track)
    return timeline


def otio_text(tl: EditTimeline) -> str:
    return str(_otio().adapters.write_to_string(otio_timeline(tl), "otio_json"))


# -- choosing and writing -----------------------------------------------------------------

_WRITERS = {"edl": edl_text, "fcpxml": fcpxml_text, "otio": otio_text}


def parse_exports(text: str) -> tuple[str, ...]:
    """The formats of ``--export otio,fcpxml,edl`` (in that order, each once);
    PresetError listing the choices, with the nearest, for an unknown one."""
    try:
        return export_formats(text)
    except ValueError as e:
        raise PresetError(f"export format {e}") from None


def check_exports(text: str) -> tuple[str, ...]:
    """``parse_exports``, and ClipkitError saying how to install opentimelineio when
    otio is asked for without it (before any work)."""
    formats = parse_exports(text)
    if "otio" in formats:
        _otio()
    return formats


def export_path(output: str | Path, fmt: str) -> Path:
    """Where a clip's or reel's timeline goes: beside it, with the format's suffix."""
    return Path(output).with_suffix(SUFFIXES[fmt])


def write_timeline(tl: EditTimeline, fmt: str, path: Path) -> Path:
    """Write ``tl`` as ``fmt`` to ``path`` atomically (the text is made first, so a
    missing opentimelineio fails before anything is written)."""
    write_atomic(path, _WRITERS[fmt](tl))
    return path


__all__ = [
    "EXPORTS",
    "Cut",
    "EditTimeline",
    "build_timeline",
    "frame_rate",
    "frame_span",
    "timecode",
    "parse_timecode",
    "edl_text",
    "fcpxml_text",
    "otio_timeline",
    "otio_text",
    "parse_exports",
    "check_exports",
    "export_path",
    "write_timeline",
]
