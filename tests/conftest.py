"""Shared fixtures: tiny generated clips, paths to samples and real footage."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clipkit.analysis.signals import Signals
from clipkit.media.ffmpeg import ffmpeg_exe

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
FOOTAGE = REPO.parent / "shared" / "footage"


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly, overwriting outputs; fail the test if it fails."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def make_clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Return a factory that encodes a small test clip with ffmpeg's lavfi sources."""
    root = tmp_path_factory.mktemp("clips")
    made: dict[tuple[object, ...], Path] = {}

    def factory(
        name: str = "clip.mp4",
        *,
        duration: float = 2.0,
        size: str = "160x90",
        fps: int = 25,
        audio: bool = True,
        extra: tuple[str, ...] = (),
    ) -> Path:
        key = (name, duration, size, fps, audio, extra)
        if key in made:
            return made[key]
        out = root / name
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={duration}"]  # fmt: skip
        if audio:
            cmd += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={duration}"]
        cmd += ["-pix_fmt", "yuv420p", *extra, str(out)]
        subprocess.run(cmd, check=True)
        made[key] = out
        return out

    return factory


def flat_signals(t: np.ndarray, duration: float | None = None, **series: np.ndarray) -> Signals:
    """Hand-made Signals on times ``t``: a still, sharp-enough, centred scene unless
    ``series`` says otherwise (any Signals field may be given)."""
    z = np.zeros(t.size)
    base = {
        "motion": z, "camera": z, "cut": z, "brightness": z + 0.5, "coverage": z,
        "sharpness": z, "motion_x": z + 0.5, "motion_y": z + 0.5,
    }  # fmt: skip
    end = float(t[-1]) if t.size else 0.0
    fields: dict[str, Any] = {**base, **series}  # Signals' fields, of several types
    return Signals(duration=end if duration is None else duration, t=t, **fields)
