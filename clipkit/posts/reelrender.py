"""A reel plan (clipkit.posts.reel) + preset -> one video file.

The reel goes through the clip renderer's own path (clipkit.render.clip): each moment and
the ending is a ``Shot`` (its own decoder, reframed to the preset as a clip's mishap
is, its caption blended on), the title card a picture drawn once with the captions'
layout; the frames crossfade where the parts overlap and moviepy pipes them to x264.
Shots are opened one part ahead and closed as soon as their part has faded out, so
no more than three decoders run at once however many moments the reel has. The sound
of all the parts is crossfaded and brought to the preset's loudness in one piece
(clipkit.render.loudness), then muxed. The file is written under a temporary name and
renamed when complete.

moviepy's own compositing (``concatenate_videoclips`` with ``CrossFadeIn`` and
``TextClip`` cards) was not used: bench/render.py measured it at 5-9x one ffmpeg
filtergraph, this path at ~1.0-1.1x (bench/reel.py measures the reel).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageColor

from clipkit.analysis.signals import Signals
from clipkit.clips.captions import layout
from clipkit.clips.plan import crop_for
from clipkit.clips.presets import Preset
from clipkit.errors import RenderError
from clipkit.media.audio import AudioSpan
from clipkit.media.probe import VideoInfo, probe
from clipkit.posts.reel import ReelPart, ReelPlan
from clipkit.render.clip import FrameProgress, Shot, encode, output_fps
from clipkit.render.loudness import Loudness

log = logging.getLogger(__name__)

# The title card: light text on a dark kitchen-tile colour, twice a caption's size (a
# title is read in the two seconds it shows, from across the room), up to three lines.
TITLE_BACKGROUND = "#1E1B18"
TITLE_SIZE = 2.0  # times the preset's caption_size
TITLE_LINES = 3


@dataclass(frozen=True)
class ReelResult:
    """What was written."""

    path: Path
    cover: Path
    duration: float  # seconds
    size_bytes: int
    loudness: Loudness | None
    note: str = ""


def moment_caption(part: ReelPart) -> str:
    """The card of a moment: its number, then its caption ("#3 Gravity wins")."""
    return f"#{part.number} {part.caption}".strip() if part.number else part.caption


def title_card(title: str, preset: Preset) -> np.ndarray:
    """The title card at the preset's size: ``title`` in the middle of the safe zone."""
    w, h = preset.size
    card = np.empty((h, w, 3), np.uint8)
    card[:] = ImageColor.getrgb(TITLE_BACKGROUND)
    look = preset.with_overrides(
        caption_position="center",
        caption_size=min(0.2, preset.caption_size * TITLE_SIZE),
        caption_max_lines=TITLE_LINES,
    )
    cap = layout(title, look, w, h)
    return cap.blend(card) if cap is not None else card


class _Card:
    """A part that is one picture (the title card), silent."""

    def __init__(self, picture: np.ndarray, length: float) -> None:
        self.picture, self.length = picture, length

    def frame(self, t: float) -> np.ndarray:
        return self.picture

    def notes(self) -> str:
        return ""

    def close(self) -> None:
        pass


_Part = Shot | _Card


class ReelFrames:
    """The reel's frames in time (``clipkit.render.clip.Frames``): each part opened as the
    one before it starts and closed once it has faded out."""

    def __init__(
        self,
        reel: ReelPlan,
        preset: Preset,
        infos: Mapping[str, VideoInfo],
        signals: Mapping[str, Signals] | None = None,
    ) -> None:
        self.reel, self.preset, self.infos = reel, preset, infos
        self.signals = signals or {}
        self.fps = preset.fps
        self._open: dict[int, _Part] = {}
        self._closed: set[int] = set()
        self.notes: list[str] = []

    @property
    def duration(self) -> float:
        return self.reel.duration

    def _make(self, i: int) -> _Part:
        part = self.reel.parts[i]
        if part.kind == "title":
            return _Card(title_card(part.caption, self.preset), part.length)
        end = part.start + part.length
        info = self.infos[part.source]
        if part.kind == "ending":
            return Shot(info, part.start, end, self.preset, part.caption, still=part.still)
        peak = part.start + part.length / 2  # (the plan's peak is inside the cut)
        crop = crop_for(info, self.signals.get(part.source), self.preset, part.start, end, peak)
        return Shot(info, part.start, end, self.preset, moment_caption(part), crop)

    def _get(self, i: int) -> _Part:
        if i not in self._open:
            if i in self._closed:  # frames are asked for in order: never again
                raise RenderError(f"reel part {i + 1} asked for after it ended")
            self._open[i] = self._make(i)
        return self._open[i]

    def _retire(self, t: float) -> None:
        """Close the parts that have ended by ``t``; open the next one ahead of time (its
        decoder seeks in the background while this one plays)."""
        parts = self.reel.parts
        for i in [i for i in self._open if parts[i].at + parts[i].length <= t]:
            self._close(i)
        current = [i for i, p in enumerate(parts) if p.at <= t < p.at + p.length]
        if current and current[-1] + 1 < len(parts):
            self._get(current[-1] + 1)

    def _close(self, i: int) -> None:
        part = self._open.pop(i)
        self.notes.append(part.notes())
        part.close()
        self._closed.add(i)

    def frame(self, t: float) -> np.ndarray:
        self._retire(t)
        parts = self.reel.parts
        live = [i for i, p in enumerate(parts) if p.at <= t < p.at + p.length] or [len(parts) - 1]
        a = live[0]
        frame = self._get(a).frame(t - parts[a].at)
        if len(live) == 1 or self.reel.transition <= 0:
            return frame
        b = live[1]  # fading in over ``a``'s last ``transition`` s
        k = min(1.0, (t - parts[b].at) / self.reel.transition)
        return cv2.addWeighted(frame, 1.0 - k, self._get(b).frame(t - parts[b].at), k, 0.0)

    def close(self) -> None:
        for i in list(self._open):
            self._close(i)


def audio_spans(reel: ReelPlan, infos: Mapping[str, VideoInfo]) -> list[AudioSpan]:
    """Each part's sound, as long as the part (the title card's is silence)."""
    spans = []
    for p in reel.parts:
        sound = bool(p.source) and infos[p.source].has_audio and not p.still
        spans.append(AudioSpan(p.source, p.start, p.length, sound))
    return spans


def reel_fps(preset: Preset, infos: Mapping[str, VideoInfo]) -> float:
    """The reel's frame rate: the rate every source's clip would have (clipkit.render.clip's
    ``output_fps``) when they agree, else the preset's."""
    rates = {round(output_fps(preset, info), 3) for info in infos.values()}
    return rates.pop() if len(rates) == 1 else preset.fps


def render_reel(
    reel: ReelPlan,
    preset: Preset,
    output: str | Path,
    *,
    signals: Mapping[str, Signals] | None = None,
    progress: FrameProgress | None = None,
) -> ReelResult:
    """Render ``reel`` with ``preset`` as the file ``output`` (and its cover, ``.jpg``
    beside it); ``signals`` (by source) steer the moments' reframing."""
    final = Path(output)
    infos = {s: probe(s) for s in dict.fromkeys(p.source for p in reel.parts if p.source)}
    preset = preset.with_overrides(fps=reel_fps(preset, infos))
    frames = ReelFrames(reel, preset, infos, signals)
    moments = [p for p in reel.parts if p.kind == "moment"]
    best = max(moments, key=lambda p: p.score) if moments else reel.parts[0]
    sound = audio_spans(reel, infos)
    try:
        loudness, cover = encode(frames, sound, reel.transition, preset, final,
                                 best.at + best.length / 2, progress)  # fmt: skip
    finally:
        frames.close()
    size = os.path.getsize(final)
    notes = list(dict.fromkeys(n for n in frames.notes if n))
    if size > preset.max_file_mb * 1e6:
        notes.append(f"{size / 1e6:.0f} MB is over the preset's {preset.max_file_mb:g} MB limit")
    log.info("wrote %s (%.1f s, %d moments)", final, reel.duration, len(moments))
    return ReelResult(final, cover, reel.duration, size, loudness, "; ".join(notes))


__all__ = [
    "ReelFrames",
    "ReelResult",
    "audio_spans",
    "moment_caption",
    "reel_fps",
    "render_reel",
    "title_card",
]
