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

from clipkit.analysis.signals import Signals
from clipkit.errors import InputError
from clipkit.yamlfile import YamlLimitError, load_yaml

SIDECAR_SUFFIX = ".recovery.yaml"
SIDECAR_KEYS = {"file", "start", "end", "none"}
# Per-frame quality weights: calm matters most (the mess has stopped), then
# focus (a blurred shot looks like an accident too), exposure and a clear lens.
WEIGHTS = {"calm": 0.3, "steady": 0.15, "sharp": 0.25, "exposure": 0.15, "clear": 0.15}
# Preferring the end of the recording: a window at the very end gains this much
# quality over an equal one right after the mishap.
END_BONUS = 0.15
# Below this frame quality (0..1) nothing is worth showing as a recovery stretch.
MIN_QUALITY = 0.35
# The shortest stretch worth showing, and the steps by which a stretch is shortened
# from the preset's length when the footage has no calm stretch that long.
MIN_LENGTH = 1.0
LENGTH_STEP = 0.25
# What a recovery shot never shows: this much more featureless lens than the file's
# usual (or more than COVER_LEVEL of it in all), sharpness under this share of the file's usual (a
# hand close to the lens), a camera fit explaining less than this share of the picture
# (a whip pan, a cut) or a camera moving faster than this (frame widths a second).
COVER_LEVEL = 0.9
COVER_RISE = 0.2
# A frame darker than this share of the file's median brightness (and than the low end
# of EXPOSURE_RANGE) is the light going or something over the lens.
DARK_SHARE = 0.5
# A still is taken at least this long after the mishap ends (things have settled).
STILL_AFTER = 0.3
# Nearly black (lens capped, lights off) whatever the file's usual.
BLACK = 0.025
SHARP_SHARE = 0.5
CONF_LEVEL = 0.5
WHIP = 0.5
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
        data = load_yaml(path.read_text(encoding="utf-8"))[0] or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, YamlLimitError) as e:
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


def _window_all(ok: np.ndarray, n: int) -> np.ndarray:
    """For each start, whether all of the ``n`` frames from it are ``ok``."""
    return _window_means(ok.astype(float), n) > 1.0 - 1e-9


def trustworthy(s: Signals) -> np.ndarray:
    """Frames a recovery shot may show: well exposed, no hand or lid over the lens, not
    out of focus, no cut, and a camera whose motion can be told (no whip pan)."""
    n = s.t.size
    # Against the file's own usual: footage shot in a dark kitchen is dark (and
    # featureless) all through, and its recovery shot may be as dark as the rest.
    bright = np.nan_to_num(s.brightness, nan=0.5)
    dark = max(BLACK, min(EXPOSURE_RANGE[0], DARK_SHARE * float(np.median(bright))))
    ok = (bright >= dark) & (bright <= EXPOSURE_RANGE[1])
    cover = np.nan_to_num(s.coverage)
    ok &= cover < min(COVER_LEVEL, float(np.median(cover)) + COVER_RISE)
    sharp = np.nan_to_num(s.sharpness)
    ok &= sharp >= SHARP_SHARE * float(np.median(sharp))
    ok &= np.nan_to_num(s.cut) <= CUT_LEVEL
    if s.cam_conf.size == n:
        ok &= np.nan_to_num(s.cam_conf, nan=1.0) >= CONF_LEVEL
    if s.shift.size == n:
        ok &= np.nan_to_num(s.shift) <= WHIP
    return ok


@dataclass(frozen=True)
class Recovery:
    """The recovery shot chosen from the analysis: a stretch, or one frame held still."""

    start: float
    end: float  # for a still: start + the time it is held
    still: bool
    note: str


def _lengths(length: float) -> list[float]:
    """The lengths tried, longest first: the preset's, then down to MIN_LENGTH."""
    out = [length]
    while out[-1] - LENGTH_STEP >= MIN_LENGTH - 1e-9:
        out.append(round(out[-1] - LENGTH_STEP, 3))
    return out


def best_recovery(
    s: Signals, after: float, length: float, settled: float | None = None
) -> tuple[Recovery | None, str]:
    """The recovery shot after ``after`` s (the clip's end): the calmest, sharpest,
    well-exposed stretch (the preset's ``length`` if the footage has one, else as long
    as it has, down to MIN_LENGTH s), preferring the end of the recording but not its
    last moments, where the camera is handled; else the best single frame after
    ``settled`` s (the mishap's end: a held frame of the aftermath may come from the
    clip's own last seconds), held as a still; else None and why, in plain words."""
    if s.t.size < 2:
        return None, "no analysis frames to choose a recovery shot from"
    rec: Recovery | str | None = _stretch(s, after, length)
    if rec is None:
        rec = _still(s, after if settled is None else min(settled, after), length)
    if isinstance(rec, Recovery):
        return rec, rec.note
    return None, rec or "the recording ends with the mishap: there is nothing after it to show"


def _stretch(s: Signals, after: float, length: float) -> Recovery | None:
    t = s.t
    first = int(np.searchsorted(t, after - 1e-6))
    if first >= t.size or s.duration - after < MIN_LENGTH:
        return None
    step = float(np.median(np.diff(t)))
    m = int(round(MARGIN / step))
    q = frame_quality(s)[first:]
    ok = trustworthy(s)[first:]
    span = max(s.duration - after, 1e-6)
    for want in _lengths(min(length, s.duration - after)):
        n = max(1, int(round(want / step)))
        wide = n + 2 * m
        if ok.size < wide:
            continue
        qual = _window_means(q, wide)
        fine = _window_all(ok, wide) & (qual >= MIN_QUALITY)
        if not fine.any():
            continue
        starts = t[first + m : first + m + qual.size]
        score = qual + END_BONUS * np.clip((starts - after) / span, 0, 1)
        i = int(np.argmax(np.where(fine, score, -np.inf)))
        start = float(min(starts[i], s.duration - want))
        how = "calmest, sharpest stretch after the mishap"
        if want < length - 1e-6:
            how += f", {want:g} s (the footage has no calm {length:g} s)"
        return Recovery(round(start, 3), round(start + want, 3), False, how)
    return None


def _still(s: Signals, after: float, length: float) -> Recovery | str | None:
    """The best frame after ``after`` s, away from the recording's last moments if it
    can be; the reason when no frame is fit to show; None when there is no frame."""
    t = s.t
    first = int(np.searchsorted(t, after + STILL_AFTER))
    if first >= t.size:
        return None
    q = frame_quality(s)[first:]
    ok = trustworthy(s)[first:]
    tail = t[first:] <= s.duration - MARGIN
    for pick in (ok & tail, ok):
        if pick.any():
            i = int(np.argmax(np.where(pick, q, -np.inf)))
            at = round(float(t[first + i]), 3)
            how = (
                f"a still of the sharpest calm frame after the mishap ({at:g} s), "
                "held with a slow zoom: the footage has no calm stretch after it"
            )
            return Recovery(at, round(at + length, 3), True, how)
    return (
        "after the mishap the picture is never clear: too dark or bright, the lens "
        "covered, out of focus, a cut or a whip pan"
    )
