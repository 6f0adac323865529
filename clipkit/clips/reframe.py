"""Reframing: fit a source frame into the preset's frame, with OpenCV.

``crop`` cuts the output's shape out of the frame where the moment's action is: the
regions whose motion stood above their own baseline (what fell or spilled, not the
stirring that went on all along). The crop follows the action through the clip along
an eased path: keyframes every TRACK_STEP s hold the most action within TRACK_HALF s,
the path leads the action by LEAD s (it is there as the thing lands, not after), is
smoothed over EASE s and never pans faster than MAX_PAN; when the action hardly moves
the crop holds still, as an editor would. ``blur`` fits the whole frame over a blurred,
darkened copy of itself, ``fit`` over black, ``center`` crops the middle; ``auto`` (the
vertical presets' default) crops when the crop can hold the action and blurs when the
action is wider than it (the overflow running off one side, two people at once).
Portrait footage into a landscape frame is always fitted over blur, never cropped to a
sliver; a span without action (a recovery shot) gets a centred crop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from clipkit.analysis.signals import Signals
from clipkit.detection import action_maps

MODES = ("auto", "crop", "blur", "fit", "center")
# Older preset files call the crop "follow".
ALIASES = {"follow": "crop"}
# The action of a moment is looked for from 1 s before its peak to 1.5 s after: a thing
# falls, then lands, rolls or spreads. ``auto`` judges the crop over that time.
ACTION_BEFORE = 1.0
ACTION_AFTER = 1.5
# Among crop positions that hold nearly as much of the action as the best one (within
# 2 % of all of it), the one centred nearest the action's centre of mass is taken.
NEAR_BEST = 0.02
# The crop's path: a keyframe every 0.25 s holding the most action within 0.5 s of it,
# 0.3 s ahead of the action, smoothed over +-0.75 s, panning at most a third of the
# frame a second. The crop holds still when moving would not hold 5 % more of the
# span's action than the best still crop, or would move less than 2 % of the frame.
TRACK_STEP = 0.25
TRACK_HALF = 0.5
LEAD = 0.3
EASE = 0.75
MAX_PAN = 1 / 3
STILL_UNDER = 0.02
# The crop moves only when that holds at least this much more of the span's action than
# the best still crop does.
MOVE_GAIN = 0.05
# ``auto`` crops when the eased crop holds at least this share of the event's action...
HOLD = 0.8
# ... and when the event's action reaches no further across than the crop: the regions
# with at least a quarter of the strongest region's action.
EXTENT_LEVEL = 0.25
# The blurred background is drawn at 1/8 size: blurring is then cheap and
# the upscale adds more blur for free.
BLUR_SHRINK = 8
# Darkening of the blurred background, so the real frame stands out.
BLUR_DIM = 0.6


def mode_of(name: str) -> str:
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class Action:
    """Where a span's action is: per keyframe time (source seconds), the action map
    (rows x columns over the picture, see ``clipkit.detection.action_maps``), and the
    event's own stretch, over which ``auto`` judges the crop."""

    times: np.ndarray
    maps: np.ndarray
    event: tuple[float, float]

    def total(self) -> np.ndarray:
        """The action over the event (the summed map of its keyframes)."""
        on = (self.times >= self.event[0]) & (self.times <= self.event[1])
        return self.maps[on].sum(axis=0) if on.any() else self.maps.sum(axis=0)


def action_for(signals: Signals | None, start: float, end: float, peak: float) -> Action | None:
    """The action of the span [``start``, ``end``] s of a moment peaking at ``peak``."""
    if signals is None:
        return None
    times = np.arange(start, end + TRACK_STEP / 2, TRACK_STEP)
    maps = action_maps(signals, times, TRACK_HALF)
    if maps is None:
        return None
    return Action(times, maps, (peak - ACTION_BEFORE, peak + ACTION_AFTER))


def best_window(profile: np.ndarray, frac: float) -> float | None:
    """The centre (0..1) of a window ``frac`` of the way across that holds the most of
    ``profile`` (amounts in equal bins across; spread evenly within a bin), or None when
    there is nothing to hold."""
    total = float(profile.sum())
    if not total > 0 or frac >= 1.0:
        return None
    edges = np.linspace(0.0, 1.0, profile.size + 1)
    held = np.concatenate([[0.0], np.cumsum(profile)])
    starts = np.linspace(0.0, 1.0 - frac, 201)
    cover = np.interp(starts + frac, edges, held) - np.interp(starts, edges, held)
    good = starts[cover >= cover.max() - NEAR_BEST * total]
    centroid = float((profile * (edges[:-1] + edges[1:]) / 2).sum() / total)
    return float(good[np.argmin(np.abs(good + frac / 2 - centroid))] + frac / 2)


def held_share(profile: np.ndarray, lo: float, frac: float) -> float:
    """The share of ``profile`` (bins across 0..1) inside [lo, lo + frac]."""
    total = float(profile.sum())
    if not total > 0:
        return 1.0
    edges = np.linspace(0.0, 1.0, profile.size + 1)
    held = np.concatenate([[0.0], np.cumsum(profile)])
    return float((np.interp(lo + frac, edges, held) - np.interp(lo, edges, held)) / total)


@dataclass(frozen=True)
class Reframe:
    """How each output frame is cut from the source frame."""

    out_w: int
    out_h: int
    mode: str  # "crop", "blur" or "fit"
    rect: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, w, h of the crop (when still)
    # A moving crop: (source time, x, y) keyframes, the crop's size that of ``rect``.
    path: tuple[tuple[float, float, float], ...] = ()

    def rect_at(self, t: float) -> tuple[int, int, int, int]:
        """The crop at source time ``t`` s."""
        x, y, w, h = self.rect
        if self.path:
            ts, xs, ys = (np.array(v, dtype=float) for v in zip(*self.path, strict=True))
            x, y = round(float(np.interp(t, ts, xs))), round(float(np.interp(t, ts, ys)))
        return x, y, w, h

    def moved(self, dx: float, dy: float, k: float = 1.0) -> Reframe:
        """The same reframing of the picture shifted by (dx, dy) and then scaled by k
        (ffmpeg cut and shrank it before the frames reach ``apply``)."""
        x, y, w, h = self.rect
        rect = (round((x + dx) * k), round((y + dy) * k), round(w * k), round(h * k))
        path = tuple((t, (px + dx) * k, (py + dy) * k) for t, px, py in self.path)
        return replace(self, rect=rect, path=path)

    def samples(self, t0: float, t1: float, step: float = 0.2) -> list[list[float]] | None:
        """The crop's [t, x, y, w, h] from ``t0`` to ``t1`` s (for the manifest), None
        when the whole picture is shown."""
        if self.mode != "crop":
            return None
        times = np.append(np.arange(t0, t1, step), t1)
        return [[round(float(t), 3), *map(float, self.rect_at(float(t)))] for t in times]

    def apply(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        """The output frame (new, writable) from the source ``frame`` at time ``t``."""
        if self.mode in ("blur", "fit"):
            return self._fit_over(frame, blur=self.mode == "blur")
        x, y, w, h = self.rect_at(t)
        fh, fw = frame.shape[:2]
        x, y = min(max(x, 0), max(fw - w, 0)), min(max(y, 0), max(fh - h, 0))
        sub = frame[y : y + h, x : x + w]
        if (sub.shape[1], sub.shape[0]) == (self.out_w, self.out_h):
            return sub.copy()
        # Bilinear to enlarge, area averaging to shrink (no aliasing).
        interp = cv2.INTER_LINEAR if w < self.out_w else cv2.INTER_AREA
        return cv2.resize(sub, (self.out_w, self.out_h), interpolation=interp)

    def _fit_over(self, frame: np.ndarray, blur: bool) -> np.ndarray:
        h, w = frame.shape[:2]
        k = min(self.out_w / w, self.out_h / h)
        fw, fh = max(2, round(w * k)), max(2, round(h * k))
        if blur:
            bg_w, bg_h = max(2, self.out_w // BLUR_SHRINK), max(2, self.out_h // BLUR_SHRINK)
            x, y, cw, ch = _centre_crop(w, h, self.out_w / self.out_h)
            small = cv2.resize(
                frame[y : y + ch, x : x + cw], (bg_w, bg_h), interpolation=cv2.INTER_AREA
            )
            small = (cv2.GaussianBlur(small, (0, 0), 3) * BLUR_DIM).astype(np.uint8)
            out = cv2.resize(small, (self.out_w, self.out_h), interpolation=cv2.INTER_LINEAR)
        else:
            out = np.zeros((self.out_h, self.out_w, frame.shape[2]), frame.dtype)
        interp = cv2.INTER_LINEAR if k > 1 else cv2.INTER_AREA
        x0, y0 = (self.out_w - fw) // 2, (self.out_h - fh) // 2
        out[y0 : y0 + fh, x0 : x0 + fw] = cv2.resize(frame, (fw, fh), interpolation=interp)
        return out


# What a plan's crop may say its mode is (``auto`` and ``center`` decide one of these).
CROP_MODES = ("crop", "blur", "fit")


@dataclass(frozen=True)
class Crop:
    """How a plan frames its mishap, in the source's pixels, for a person to read and
    edit: ``mode`` crop, blur or fit; a crop's ``size`` (the output's shape) and where
    it is over time, as (source time, x, y) keyframes (one for a crop that holds still;
    between keyframes it moves evenly)."""

    mode: str
    size: tuple[int, int] = (0, 0)
    path: tuple[tuple[float, float, float], ...] = ()

    @classmethod
    def of(cls, reframe: Reframe, start: float) -> Crop:
        """The crop of ``reframe``, a span starting at ``start`` s. Keyframes inside a
        stretch where the crop holds still are left out: it reads the same without."""
        if reframe.mode != "crop":
            return cls(reframe.mode)
        x, y, w, h = reframe.rect
        keys = reframe.path or ((start, x, y),)
        last = len(keys) - 1
        kept = [
            (round(t, 3), _number(px), _number(py))
            for i, (t, px, py) in enumerate(keys)
            if i in (0, last) or not keys[i - 1][1:] == (px, py) == keys[i + 1][1:]
        ]
        return cls("crop", (w, h), tuple(kept))

    def fits(self, src_w: int, src_h: int, out_w: int, out_h: int) -> bool:
        """Whether this crop has the shape of an ``out_w`` x ``out_h`` frame cut out of
        the source (a plan made for another shape does not)."""
        return self.mode != "crop" or self.size == _centre_crop(src_w, src_h, out_w / out_h)[2:]

    def reframe(self, out_w: int, out_h: int) -> Reframe:
        """The reframing this crop asks for, into an ``out_w`` x ``out_h`` frame."""
        if self.mode != "crop":
            return Reframe(out_w, out_h, self.mode)
        (_, x, y), w, h = self.path[0], *self.size
        rect = (int(x), int(y), w, h)
        if len(self.path) == 1:
            return Reframe(out_w, out_h, "crop", rect)
        path = tuple((float(t), float(px), float(py)) for t, px, py in self.path)
        return Reframe(out_w, out_h, "crop", rect, path)

    def to_data(self) -> dict[str, Any]:
        """Plain data for a plan file."""
        if self.mode != "crop":
            return {"mode": self.mode}
        return {"mode": self.mode, "size": list(self.size), "path": [list(k) for k in self.path]}

    @classmethod
    def from_data(cls, data: object) -> Crop:
        """Read from a plan file; ValueError says what is wrong."""
        if not isinstance(data, dict) or set(data) - {"mode", "size", "path"}:
            raise ValueError("must be a mapping of mode, size and path")
        mode = data.get("mode")
        if mode not in CROP_MODES:
            raise ValueError(f"mode must be one of {', '.join(CROP_MODES)}, not {mode!r}")
        if mode != "crop":
            return cls(mode)
        size = data.get("size")
        if not isinstance(size, list) or len(size) != 2 or not all(_pixels(v) for v in size):
            raise ValueError("size must be [width, height] in pixels")
        path = data.get("path")
        if not isinstance(path, list) or not path or not all(_keyframe(k) for k in path):
            raise ValueError("path must be a list of [time, x, y] keyframes, at least one")
        times = [float(k[0]) for k in path]
        if any(b <= a for a, b in zip(times, times[1:], strict=False)):
            raise ValueError("path: the times must rise from one keyframe to the next")
        return cls(mode, (size[0], size[1]),
                   tuple((float(t), _number(x), _number(y)) for t, x, y in path))  # fmt: skip


def _number(v: float) -> float:
    """``v`` as an int when it is whole (a plan file then says 410, not 410.0)."""
    return int(v) if float(v).is_integer() else float(v)


def _pixels(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _keyframe(k: object) -> bool:
    return (
        isinstance(k, list)
        and len(k) == 3
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in k)
        and all(math.isfinite(v) and v >= 0 for v in k)
    )


def _centre_crop(w: int, h: int, aspect: float) -> tuple[int, int, int, int]:
    if w / h > aspect:
        cw = min(w, round(h * aspect))
        return (w - cw) // 2, 0, cw, h
    ch = min(h, round(w / aspect))
    return 0, (h - ch) // 2, w, ch


def plan_reframe(
    src_w: int,
    src_h: int,
    out_w: int,
    out_h: int,
    mode: str,
    action: Action | np.ndarray | None = None,
) -> Reframe:
    """The reframing of a span in ``mode`` (see the module's doc); ``action`` says where
    the crop goes: an ``Action`` (a path that follows it) or one summed map (a still
    crop over it)."""
    mode = mode_of(mode)
    if mode == "blur" or (src_h > src_w and out_w > out_h):
        return Reframe(out_w, out_h, "blur")
    if mode == "fit":
        return Reframe(out_w, out_h, "fit")
    x, y, cw, ch = _centre_crop(src_w, src_h, out_w / out_h)
    if mode == "center" or action is None or (cw >= src_w and ch >= src_h):
        return Reframe(out_w, out_h, "crop", (x, y, cw, ch))
    across = cw < src_w  # the crop moves across (else down)
    full, part = (src_w, cw) if across else (src_h, ch)
    axis = 0 if across else 1
    if isinstance(action, np.ndarray):
        centre = best_window(action.sum(axis=axis), part / full)
        at = x if across else y
        if centre is not None:
            at = int(np.clip(round(centre * full - part / 2), 0, full - part))
        return Reframe(out_w, out_h, "crop", (at, y, cw, ch) if across else (x, at, cw, ch))
    frac = part / full
    los = _follow(action, axis, frac)
    if los is None:
        return Reframe(out_w, out_h, "crop", (x, y, cw, ch))
    still = best_window(action.maps.sum(axis=(0, axis + 1)), frac)
    still_lo = np.full(los.size, float(np.clip((still or 0.5) - frac / 2, 0, 1 - frac)))
    gain = _held(action, axis, frac, los, True) - _held(action, axis, frac, still_lo, True)
    if gain < MOVE_GAIN:
        los = still_lo  # a still crop holds nearly as much: no reason to move
    if mode == "auto" and (_held(action, axis, frac, los) < HOLD or _extent(action, axis) > frac):
        return Reframe(out_w, out_h, "blur")
    px = np.round(los * full)
    if px.max() - px.min() < STILL_UNDER * full:  # hardly moves: hold still
        at = int(np.median(px))
        return Reframe(out_w, out_h, "crop", (at, y, cw, ch) if across else (x, at, cw, ch))
    path = tuple((float(t), float(p), float(y)) if across else (float(t), float(x), float(p))
                 for t, p in zip(action.times, px, strict=True))  # fmt: skip
    first = int(px[0])
    return Reframe(out_w, out_h, "crop", (first, y, cw, ch) if across else (x, first, cw, ch),
                   path)  # fmt: skip


def _follow(action: Action, axis: int, frac: float) -> np.ndarray | None:
    """The left (or top) edge of the crop at each keyframe, 0..1 - frac: the eased path
    over the most action, ahead of it; None when nothing moved."""
    times = action.times
    centres = np.array(
        [c if (c := best_window(m.sum(axis=axis), frac)) is not None else np.nan
         for m in action.maps]
    )  # fmt: skip
    known = ~np.isnan(centres)
    if not known.any():
        return None
    # Hold the nearest known position where nothing moved; look LEAD s ahead.
    centres = np.interp(times + LEAD, times[known], centres[known])
    lo = np.clip(centres - frac / 2, 0.0, 1.0 - frac)
    step = float(np.median(np.diff(times))) if times.size > 1 else TRACK_STEP
    k = max(1, int(round(EASE / step)))
    padded = np.pad(lo, k, mode="edge")  # a running median (no one-keyframe spike), then mean
    med = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * k + 1), axis=1)
    lo = np.convolve(np.pad(med, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), "valid")
    most = MAX_PAN * step
    for order in (range(1, lo.size), range(lo.size - 2, -1, -1)):  # both ways: no lag
        for i in order:
            prev = lo[i - 1] if order.step == 1 else lo[i + 1]
            lo[i] = float(np.clip(lo[i], prev - most, prev + most))
    return np.clip(lo, 0.0, 1.0 - frac)


def _extent(action: Action, axis: int) -> float:
    """How far across (0..1) the event's action reaches at a time: per keyframe, from the
    first to the last region with at least EXTENT_LEVEL of the strongest's action (a
    falling person's whole body, not only the part that moves most), averaged over the
    event's keyframes by how much action each has (a thing sliding across is narrow at
    every moment, however far it goes: the crop follows it)."""
    on = (action.times >= action.event[0]) & (action.times <= action.event[1])
    maps = action.maps[on] if on.any() else action.maps
    widths, amounts = [], []
    for m in maps:
        profile = m.sum(axis=axis)
        if profile.max() > 0:
            hit = np.flatnonzero(profile >= EXTENT_LEVEL * profile.max())
            widths.append(float(hit[-1] + 1 - hit[0]) / profile.size)
            amounts.append(float(profile.sum()))
    return float(np.average(widths, weights=amounts)) if widths else 0.0


def _held(
    action: Action, axis: int, frac: float, los: np.ndarray, everywhere: bool = False
) -> float:
    """The share of the event's action (``everywhere``: the span's) the crop at ``los``
    holds, weighted by how much action each keyframe has."""
    on = (action.times >= action.event[0]) & (action.times <= action.event[1])
    if everywhere or not on.any():
        on = np.ones(action.times.size, bool)
    amounts = np.array([m.sum() for m in action.maps[on]])
    if not amounts.sum() > 0:
        return 1.0
    shares = [held_share(m.sum(axis=axis), float(lo), frac)
              for m, lo in zip(action.maps[on], los[on], strict=True)]  # fmt: skip
    return float(np.average(shares, weights=amounts))
