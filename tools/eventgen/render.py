"""Making one synthetic clip from its plan: read the background's segment, paint the
event into it (following the real camera), mix its sound in, move the camera, encode.

A worker keeps the last segment it read (its frames, sound and camera steps): the
clips of a background shorter than a segment all use the whole of it, and making
them one after another then reads and tracks it once.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.eventgen import camera, sound
from tools.eventgen.backgrounds import Background
from tools.eventgen.events import noise_level
from tools.eventgen.layer import blend, warped
from tools.eventgen.plan import ClipPlan
from tools.eventgen.scene import encode, read_audio, read_frames
from tools.eventgen.track import camera_steps, scene_motion


@dataclass
class Segment:
    """A background's stretch as read (read-only: every clip paints into a copy)."""

    frames: np.ndarray
    audio: np.ndarray | None
    _steps: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The footage's camera steps (see track.camera_steps), worked out once."""
        if self._steps is None:
            self._steps = camera_steps(self.frames)
        return self._steps


@functools.lru_cache(maxsize=1)
def segment(bg: Background, start: float, length: float, size: tuple[int, int]) -> Segment:
    """``length`` s of ``bg`` from ``start`` at ``size`` (the last one asked for is kept)."""
    frames = read_frames(bg.path, start, length, size, bg.fps)
    audio = None
    if bg.has_audio:
        audio = read_audio(bg.path, start, len(frames) / bg.fps, bg.audio_rate,
                           bg.audio_channels)  # fmt: skip
        audio.flags.writeable = False
    frames.flags.writeable = False
    return Segment(frames, audio)


def paint_event(frames: np.ndarray, plan: ClipPlan, seg: Segment) -> None:
    """Paint ``plan``'s event into ``frames`` (a copy of ``seg``'s) in place."""
    event = plan.event
    assert event is not None
    n, h, w, _ = frames.shape
    fps = plan.background.fps
    rng = plan.rng("paint")
    ref = min(int(round(plan.event_start * fps)), n - 1)
    event.prepare(frames[ref], rng)
    grain = noise_level(frames[ref])
    if event.before:
        first = 0
    else:
        first = max(int(math.floor((plan.event_start + event.appear - plan.shutter) * fps)), 0)
    first = min(first, ref)
    motion = scene_motion(*seg.steps, ref, first)
    for i in range(first, n):
        layer = event.draw(i / fps - plan.event_start, plan.shutter)
        if layer is not None and motion is not None:
            layer = warped(layer, motion[i], w, h)
        if layer is not None:
            blend(frames[i], layer, grain, rng)


def render(plan: ClipPlan, out: Path, with_event: bool = True) -> dict[str, Any]:
    """Write ``plan``'s clip to ``out`` and return its label. ``with_event=False``
    makes the same clip without its event (same segment, camera and compression)."""
    bg = plan.background
    seg = segment(bg, plan.start, plan.length, plan.size)
    frames = seg.frames.copy()
    audio = None if seg.audio is None else seg.audio.copy()
    if with_event and plan.event is not None:
        paint_event(frames, plan, seg)
        if audio is not None:
            sound.mix(audio, bg.audio_rate, plan.event.hits, plan.event_start, plan.event.kind,
                      plan.rng("sound"))  # fmt: skip
    camera.apply(frames, plan.camera)
    encode(frames, audio, bg.fps, bg.audio_rate, plan.crf, out)
    return plan.label()
