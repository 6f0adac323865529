"""Deterministic sample footage: kitchen scenes with known mishaps, and their labels.

Each scene is described by a :class:`SceneSpec` (shots, happenings, camera style); the
same description draws the frames, mixes the audio and writes the ground truth, so the
labels always match what was drawn. Same spec and seed, same frames and sound.

    python -m tools.samplegen samples/      # the committed samples + labels.yaml

A benchmark can render any spec at any size::

    render_scene(bench_spec(60.0), "big.mp4", width=1920, height=1080, fps=30,
                 x264_params="bframes=0")

Not part of the installed package. Modules: scene (what happens when, and the labels),
textures and painter (the frames), sound (the audio), encode (frame times and ffmpeg),
samples (the committed set).
"""

from __future__ import annotations

from tools.samplegen.encode import frame_times, render_scene
from tools.samplegen.painter import Painter
from tools.samplegen.samples import (
    APPLE,
    JUICE,
    SCENES,
    TIN,
    WINE,
    bench_spec,
    labels_yaml,
    write_samples,
)
from tools.samplegen.scene import MISHAPS, Happening, Labels, SceneSpec, Shot, labels
from tools.samplegen.sound import SAMPLE_RATE, mix_audio

__all__ = [
    "APPLE",
    "JUICE",
    "TIN",
    "WINE",
    "MISHAPS",
    "SAMPLE_RATE",
    "SCENES",
    "Happening",
    "Labels",
    "Painter",
    "SceneSpec",
    "Shot",
    "bench_spec",
    "frame_times",
    "labels",
    "labels_yaml",
    "mix_audio",
    "render_scene",
    "write_samples",
]
