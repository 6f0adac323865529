"""A before/after still per clip: the mishap's peak frame beside the recovery's best.

Nothing is analysed here: the plan knows the peak, and the analysis cache (``Signals``)
knows where in the recovery window the picture is sharpest, so exactly two frames are
read, each by one short ffmpeg seek. The halves are stacked for a portrait preset
(9:16: one above the other) and side by side otherwise, each cropped to fill its half
around where the action was, labelled, and written as a JPEG under a temporary name
that is renamed into place.

Proposed preset fields: ``stills`` (bool, also ``--stills``), ``still_labels``
("Before|After"), ``still_quality`` (JPEG quality, 90).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from clipkit.analysis.signals import Signals
from clipkit.clips.captions import load_font
from clipkit.clips.plan import ClipPlan
from clipkit.clips.reframe import Crop
from clipkit.errors import RenderError
from clipkit.files import atomic_path
from clipkit.media.ffmpeg import complaint, run_ffmpeg
from clipkit.media.filters import deinterlace_filter, tone_map_filter
from clipkit.media.probe import probe

LABELS = ("Before", "After")
QUALITY = 90
# The label: 6 % of its half's height (about the captions' share of a frame, a little
# more as a still is seen whole), set in by half that, with an outline of 8 % of its size.
LABEL_SIZE = 0.06
LABEL_OUTLINE = 0.08
FONT = "DejaVuSans-Bold.ttf"
# ffmpeg's -ss gives the first frame at or after the time: this much before a frame's
# start picks that frame, not the next (as moviepy seeks).
SEEK_EPSILON = 1e-5


def frame_start(t: float, fps: float) -> float:
    """The start of the frame shown at ``t`` s."""
    return math.floor(t * fps + 1e-6) / fps if fps > 0 else t


def read_frame(path: str, t: float) -> np.ndarray:
    """The RGB picture shown at ``t`` s of ``path`` (HDR tone-mapped to SDR)."""
    info = probe(path)
    seek = max(0.0, frame_start(t, info.fps) - SEEK_EPSILON)
    # Whole, SDR pictures, as the clip shows them.
    f = ",".join(x for x in (deinterlace_filter(info), tone_map_filter(info)) if x)
    vf = ["-vf", f] if f else []
    res = run_ffmpeg(["-v", "error", "-ss", f"{seek:.6f}", "-i", path, *vf,
                      "-frames:v", "1", "-f", "image2pipe", "-c:v", "bmp", "-"])  # fmt: skip
    if not res.stdout:
        why = complaint(res.stderr.decode("utf-8", "replace"), "no picture there")
        raise RenderError(f"{path}: no picture at {t:.2f} s ({why})")
    return np.asarray(Image.open(io.BytesIO(res.stdout)).convert("RGB"))


def sharpest_time(plan: ClipPlan, signals: Signals | None = None) -> float:
    """When the recovery shot is sharpest, from ``signals``, the analysis of the
    recovery shot's file; else its middle. Without a recovery shot: the last frame of
    the clip, where things ended up."""
    rec = plan.recovery
    if rec is None:
        return max(plan.start, plan.end - 0.05)
    if plan.recovery_still:
        return rec[0]
    if signals is not None and signals.sharpness.size:
        inside = (signals.t >= rec[0]) & (signals.t <= rec[1])
        if inside.any():
            times, sharp = signals.t[inside], np.nan_to_num(signals.sharpness[inside])
            return float(times[int(np.argmax(sharp))])
    return (rec[0] + rec[1]) / 2


def focus_at(signals: Signals | None, t: float) -> tuple[float, float]:
    """Where in the frame (fractions) the action was at ``t``: the analysis' centre of
    motion, or the middle."""
    if signals is None or not signals.t.size:
        return 0.5, 0.5
    x = float(np.interp(t, signals.t, signals.motion_x))
    y = float(np.interp(t, signals.t, signals.motion_y))
    return (x, y) if math.isfinite(x) and math.isfinite(y) else (0.5, 0.5)


def crop_focus(crop: Crop | None, t: float, width: int, height: int) -> tuple[float, float] | None:
    """The centre (fractions) of the crop the render shows at ``t`` s in a
    ``width`` x ``height`` source, or None when the plan's picture is not a crop."""
    if crop is None or crop.mode != "crop" or not crop.path or min(width, height) <= 0:
        return None
    times = [k[0] for k in crop.path]
    x = float(np.interp(t, times, [k[1] for k in crop.path]))
    y = float(np.interp(t, times, [k[2] for k in crop.path]))
    return (x + crop.size[0] / 2) / width, (y + crop.size[1] / 2) / height


def fill(frame: np.ndarray, w: int, h: int, focus: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """``frame`` cropped to the shape of ``w`` x ``h`` around ``focus`` (kept inside the
    frame), then scaled to it."""
    fh, fw = frame.shape[:2]
    cw, ch = min(fw, round(fh * w / h)), min(fh, round(fw * h / w))
    x = min(max(0, round(focus[0] * fw - cw / 2)), fw - cw)
    y = min(max(0, round(focus[1] * fh - ch / 2)), fh - ch)
    crop = frame[y : y + ch, x : x + cw]
    shrink = cw > w
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def halves(size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The two boxes (x, y, w, h): stacked on a portrait frame, side by side otherwise."""
    w, h = size
    if h > w:
        return [(0, 0, w, h // 2), (0, h // 2, w, h - h // 2)]
    return [(0, 0, w // 2, h), (w // 2, 0, w - w // 2, h)]


def _label(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, font: str) -> None:
    size = max(8, round(box[3] * LABEL_SIZE))
    face = load_font(font, size)
    at = (box[0] + size // 2, box[1] + size // 2)
    draw.text(at, text, font=face, fill="white", stroke_width=max(1, round(size * LABEL_OUTLINE)),
              stroke_fill="black")  # fmt: skip


def before_after(
    before: np.ndarray,
    after: np.ndarray,
    size: tuple[int, int],
    labels: Sequence[str] = LABELS,
    font: str = FONT,
    focus: Sequence[tuple[float, float]] = ((0.5, 0.5), (0.5, 0.5)),
) -> np.ndarray:
    """The still of ``size`` (w, h): ``before`` and ``after`` filling their halves,
    each with its label ("" for none)."""
    out = np.zeros((size[1], size[0], 3), np.uint8)
    boxes = halves(size)
    for frame, (x, y, w, h), f in zip((before, after), boxes, focus, strict=True):
        out[y : y + h, x : x + w] = fill(frame, w, h, f)
    image = Image.fromarray(out)
    draw = ImageDraw.Draw(image)
    for box, text in zip(boxes, labels, strict=True):
        if text:
            _label(draw, box, text, font)
    return np.asarray(image)


def save_jpeg(picture: np.ndarray, path: Path, quality: int = QUALITY) -> Path:
    """Write ``picture`` as a JPEG under a temporary name beside ``path``, then rename it."""
    with atomic_path(path, ".jpg", full=False) as tmp:
        Image.fromarray(picture).save(tmp, format="JPEG", quality=quality)
    return path


def still_path(output: str | Path) -> Path:
    """Where a clip's still goes: beside it, ``<clip>-before-after.jpg``."""
    out = Path(output)
    return out.with_name(f"{out.stem}-before-after.jpg")


def _one_file(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one file, however spelled (relative or whole,
    through links); False when either cannot be looked at (reading it says why)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_still(
    plan: ClipPlan,
    size: tuple[int, int],
    path: Path,
    *,
    signals: Signals | None = None,
    recovery_signals: Signals | None = None,
    labels: Sequence[str] = LABELS,
    font: str = FONT,
    quality: int = QUALITY,
) -> Path:
    """Read the peak frame and the recovery's sharpest, and write the still to ``path``
    (``signals``: the analysis of the plan's source, for the centre of the action and,
    when the recovery shot is from the same file, its sharpest frame;
    ``recovery_signals``: the analysis of the recovery shot's other file)."""
    after_src = plan.recovery_source if plan.recovery is not None else None
    same = _one_file(after_src, plan.source) if after_src else True
    after_signals = signals if same else recovery_signals
    after_t = sharpest_time(plan, after_signals)
    before = read_frame(plan.source, plan.peak)
    after = read_frame(after_src or plan.source, after_t)
    # The mishap where the render's crop shows it (the plan's crop path), else where
    # the analysis saw the action.
    framed = crop_focus(plan.crop, plan.peak, before.shape[1], before.shape[0])
    framed_after = crop_focus(plan.crop, after_t, after.shape[1], after.shape[0]) if same else None
    focus = (
        framed or focus_at(signals, plan.peak),
        framed_after or focus_at(after_signals, after_t),
    )
    picture = before_after(before, after, size, labels, font, focus)
    return save_jpeg(picture, path, quality)


__all__ = [
    "LABELS",
    "read_frame",
    "sharpest_time",
    "focus_at",
    "fill",
    "halves",
    "before_after",
    "save_jpeg",
    "still_path",
    "write_still",
]
