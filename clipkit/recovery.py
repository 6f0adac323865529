"""The recovery shot: where the "and then it was fine" footage comes from.

Either chosen from the analysis signals of the same file (no decoding) or
given by the user, with ``--recovery FILE`` or a per-source sidecar file.

Sidecar convention: next to ``footage/pasta.mov`` a file
``footage/pasta.recovery.yaml`` may say::

    file: pasta-plated.mp4   # optional, relative to the sidecar; default: the source
    start: 41.5              # optional, seconds in that file
    end: 44.0                # optional; default start + the preset's recovery_length
    # or, to never append a recovery shot to clips of this source:
    # none: true

Without ``start``, another file's shot is taken from its beginning, and the
source's own is chosen from the signals as below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from clipkit.errors import InputError
from clipkit.signals import Signals

SIDECAR_SUFFIX = ".recovery.yaml"
SIDECAR_KEYS = {"file", "start", "end", "none"}
# Per-frame quality weights: calm matters most (the mess has stopped), then
# focus (a blurred shot looks like an accident too), exposure and a clear lens.
WEIGHTS = {"calm": 0.3, "steady": 0.15, "sharp": 0.25, "exposure": 0.15, "clear": 0.15}
# Preferring the end of the recording: a window at the very end gains this much
# quality over an equal one right after the mishap.
END_BONUS = 0.15
# Below this window quality (0..1) nothing is worth showing as a recovery.
MIN_QUALITY = 0.35
# Mean brightness (0..1) outside this range is too dark or blown out.
EXPOSURE_RANGE = (0.12, 0.92)
# A frame that looks this much like a hard cut breaks the shot.
CUT_LEVEL = 0.5
# The calm must also hold this long on either side of the chosen window: what
# ends a calm shot (a hand reaching for the lens, the camera picked up) starts
# a little before the signals show it.
MARGIN = 0.75


@dataclass(frozen=True)
class RecoverySource:
    """A recovery shot given by the user: a file, and maybe a window in it."""

    file: str | None  # None: the source itself
    start: float | None = None
    end: float | None = None
    none: bool = False  # the sidecar says: no recovery shot for this source
    origin: str = "--recovery"  # where it was given, for the plan's note


def sidecar_path(source: str | Path) -> Path:
    p = Path(source)
    return p.with_name(p.stem + SIDECAR_SUFFIX)


def _number(data: dict[str, object], key: str, where: Path) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InputError(f"{where}: '{key}' must be a number of seconds >= 0")
    return float(value)


def find_recovery(source: str | Path) -> RecoverySource | None:
    """The source's sidecar, read and checked, or None when it has none."""
    path = sidecar_path(source)
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(f"{path}: cannot read ({e})") from None
    if not isinstance(data, dict) or set(data) - SIDECAR_KEYS:
        raise InputError(f"{path}: expected keys among {', '.join(sorted(SIDECAR_KEYS))}")
    file = data.get("file")
    start, end = _number(data, "start", path), _number(data, "end", path)
    if start is not None and end is not None and end <= start:
        raise InputError(f"{path}: 'end' must be after 'start'")
    return RecoverySource(
        file=str(path.parent / str(file)) if file else None,
        start=start,
        end=end,
        none=bool(data.get("none")),
        origin=path.name,
    )


def _unit(x: np.ndarray, scale: float) -> np.ndarray:
    return np.clip(np.nan_to_num(x) / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(x)


def frame_quality(s: Signals) -> np.ndarray:
    """0..1 per analysed frame: how good a calm "after" shot this frame is."""
    motion, camera = np.nan_to_num(s.motion), np.nan_to_num(s.camera)
    sharp = np.nan_to_num(s.sharpness)
    # The file's own 90th percentiles are the scale: footage differs too much
    # from camera to camera for absolute thresholds.
    parts = {
        "calm": 1.0 - _unit(motion, float(np.percentile(motion, 90)) if motion.size else 0),
        "steady": 1.0 - _unit(camera, float(np.percentile(camera, 90)) if camera.size else 0),
        "sharp": _unit(sharp, float(np.percentile(sharp, 90)) if sharp.size else 0),
        # Mid-grey is best; 0.4 away from it (near black or white) is worthless.
        "exposure": 1.0 - np.clip(np.abs(np.nan_to_num(s.brightness, nan=0.5) - 0.5) / 0.4, 0, 1),
        "clear": 1.0 - np.clip(np.nan_to_num(s.coverage), 0.0, 1.0),
    }
    return np.asarray(sum(WEIGHTS[k] * v for k, v in parts.items()), dtype=float)


def _window_means(x: np.ndarray, n: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    return (c[n:] - c[:-n]) / n


Span = tuple[float, float]


def best_recovery(s: Signals, after: float, length: float) -> tuple[Span | None, str]:
    """The best ``length`` s window starting at or after ``after``, and how it was chosen."""
    t = s.t
    if t.size < 2:
        return None, "no analysis frames to choose a recovery shot from"
    step = float(np.median(np.diff(t)))
    n = max(1, int(round(length / step)))
    m = int(round(MARGIN / step))
    first = int(np.searchsorted(t, after - 1e-6))
    wide = n + 2 * m
    if t.size - first < wide or s.duration - after < length + 2 * MARGIN - step:
        return None, f"less than {length:g} s of footage after the mishap"
    q = _window_means(frame_quality(s)[first:], wide)
    bright = _window_means(np.nan_to_num(s.brightness[first:], nan=0.5), wide)
    cover = _window_means(np.nan_to_num(s.coverage[first:]), wide)
    cuts = _window_means((np.nan_to_num(s.cut[first:]) > CUT_LEVEL).astype(float), wide)
    starts = t[first + m : first + m + q.size]
    span = max(s.duration - after - length, 1e-6)
    score = q + END_BONUS * np.clip((starts - after) / span, 0, 1)
    ok = (bright >= EXPOSURE_RANGE[0]) & (bright <= EXPOSURE_RANGE[1]) & (cover < 0.5)
    ok &= (cuts == 0) & (q >= MIN_QUALITY)
    if not ok.any():
        return None, "nothing calm, sharp and well exposed after the mishap"
    i = int(np.argmax(np.where(ok, score, -np.inf)))
    start = float(min(starts[i], s.duration - length))
    return (round(start, 3), round(start + length, 3)), (
        f"calmest, sharpest stretch after the mishap (quality {q[i]:.2f})"
    )
