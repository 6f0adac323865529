"""Making one synthetic clip from its plan: read the background's segment, paint the
event into it (following the real camera), mix its sound in, move the camera, encode."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tools.eventgen import camera, sound
from tools.eventgen.events import noise_level
from tools.eventgen.layer import blend, warped
from tools.eventgen.plan import ClipPlan
from tools.eventgen.scene import encode, read_audio, read_frames
from tools.eventgen.track import scene_motion


def paint_event(frames: np.ndarray, plan: ClipPlan) -> None:
    """Paint ``plan``'s event into ``frames`` (the background's, n, h, w, 3) in place."""
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
    motion = scene_motion(frames, ref, first)
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
    frames = read_frames(bg.path, plan.start, plan.length, plan.size, bg.fps)
    audio = None
    if bg.has_audio:
        audio = read_audio(bg.path, plan.start, len(frames) / bg.fps, bg.audio_rate,
                           bg.audio_channels)  # fmt: skip
    if with_event and plan.event is not None:
        paint_event(frames, plan)
        if audio is not None:
            sound.mix(audio, bg.audio_rate, plan.event.hits, plan.event_start, plan.event.kind,
                      plan.rng("sound"))  # fmt: skip
    camera.apply(frames, plan.camera)
    encode(frames, audio, bg.fps, bg.audio_rate, plan.crf, out)
    return plan.label()
