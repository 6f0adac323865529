"""The analysis result: per-file time series (seconds -> value).

``analyse`` produces a Signals from one streaming decode; ``detect`` and
``plan`` consume it and never touch the video again. A Signals is cached on
disk as a compressed ``.npz`` keyed by the file's content and the analysis
parameters, so re-detecting with other settings does not decode again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from clipkit.files import atomic_path

# Series sampled at the analysed video frames (all the same length as ``t``).
FRAME_SERIES = (
    "motion",  # local motion with the camera's own motion removed (0 = still)
    "camera",  # global (camera) motion magnitude, fraction of frame width per second
    "cut",  # how much this frame looks like a hard cut from the previous one, 0..1
    "brightness",  # mean luma, 0..1
    "coverage",  # how much of the lens is covered / featureless (hand over lens), 0..1
    "sharpness",  # focus measure (normalised Laplacian energy), higher = sharper
    "motion_x",  # horizontal centre of the local motion, 0..1 of the width (NaN if none)
    "motion_y",  # vertical centre of the local motion, 0..1 of the height (NaN if none)
)
# Extra per-frame series that detection uses (same length as ``t``; empty in a Signals
# built by hand without them).
EXTRA_FRAME_SERIES = (
    "change",  # mean absolute grey difference to the previous frame, 0..1 (0 = repeated frame)
    "cam_conf",  # share of the picture the camera motion (or its absence) explains, 0..1
    "shift",  # the fitted camera motion, frame widths per second, whether or not it was
    # taken over a still camera (``camera`` is the motion compensated)
    "raw",  # changed fraction of the picture without camera compensation, 0..1
)
# The grid of ``Signals.cells``, (columns, rows): row by row, left to right. 16 x 12: a
# dropped egg or a coin (a few percent of the picture's width) fills a good part of one
# cell, so its motion stands out of that cell's own baseline.
CELL_GRID = (16, 12)
# The coarser grid of ``cells_dy`` and ``cells_luma`` (and of lens coverage): cells big
# enough to hold real texture and enough flow samples.
LOOK_GRID = (8, 6)
# Series sampled on the audio hop grid ``audio_t``.
AUDIO_SERIES = (
    "audio_rms",  # loudness per hop, dBFS
    "audio_onset",  # onset strength (positive change in loudness), >= 0
)


@dataclass(frozen=True)
class Signals:
    """Time series of one source file. Times are float seconds from the file's start."""

    duration: float
    t: np.ndarray
    motion: np.ndarray
    camera: np.ndarray
    cut: np.ndarray
    brightness: np.ndarray
    coverage: np.ndarray
    sharpness: np.ndarray
    motion_x: np.ndarray
    motion_y: np.ndarray
    audio_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    audio_rms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    audio_onset: np.ndarray = field(default_factory=lambda: np.zeros(0))
    change: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cam_conf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    raw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Local motion per cell of a coarse grid over the picture, shape (len(t), cells):
    # lets detection judge each region against its own baseline (work stays in its place).
    cells: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # Per cell of LOOK_GRID, shape (len(t), cells): the vertical motion the camera does
    # not explain (frame heights a second, + is down) and the mean grey level (0..1).
    cells_dy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    cells_luma: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return self.audio_t.size > 0

    def save(self, path: str | Path) -> None:
        """Write to ``path`` (.npz) atomically."""
        path = Path(path)
        skip = ("meta", "duration")
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        # (A full disk is the cache's caller's to say: the run goes on without it.)
        with atomic_path(path, suffix=".tmp.npz", full=False) as tmp:
            np.savez_compressed(
                tmp, duration=np.float64(self.duration), meta=np.array(json.dumps(self.meta)),
                **arrays,
            )  # fmt: skip

    @classmethod
    def load(cls, path: str | Path) -> Signals:
        with np.load(path, allow_pickle=False) as z:
            kw: dict[str, Any] = {k: z[k] for k in z.files if k not in ("meta", "duration")}
            return cls(duration=float(z["duration"]), meta=json.loads(str(z["meta"])), **kw)
