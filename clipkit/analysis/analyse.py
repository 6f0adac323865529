"""The analysis pass: footage -> Signals, in one streaming decode (of the whole file, or
of its two halves side by side: see ``clipkit.media.decode.split_point``), cached on disk.

``FrameFeatures`` turns consecutive small grey frames into one row of numbers each,
``AudioFeatures`` turns audio chunks into loudness/onset per 20 ms hop; ``analyse`` runs
both over the decoders of ``clipkit.media.decode`` and caches the result.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import ctypes
import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from clipkit.analysis.camera import (
    FINEST_SCALE,
    FIT_ITERS,
    FIT_TOLERANCE,
    FLOW_STEP,
    MOVE_MARGIN,
    SUBPIXEL,
    CameraFit,
    CameraTracker,
)
from clipkit.analysis.signals import CELL_GRID, LOOK_GRID, Signals
from clipkit.errors import InputError
from clipkit.media.decode import (
    AUDIO_RATE,
    SKIP_RULE,
    DecodePlan,
    FrameReader,
    analysed_size,
    audio_chunks,
    plan_decode,
    split_point,
    split_threads,
)
from clipkit.media.filters import deinterlace_filter, tone_map_filter
from clipkit.media.probe import VideoInfo
from clipkit.options import default_cache_dir as default_cache_dir  # (its home before)

log = logging.getLogger(__name__)

# A pixel counts as "changed" when its difference exceeds the frame's own noise level
# (median absolute difference, i.e. sensor noise and compression flicker) times this
# factor; 3 keeps ordinary noise out while a moving edge passes easily.
NOISE_FACTOR = 3.0
# ...and is never below this many grey levels (of 255): compression noise on flat areas.
MIN_CHANGE = 10.0
# Lens coverage: a grid cell is featureless when its mean |Laplacian| is under this many
# grey levels: a hand or finger a few cm from the lens is far out of focus.
FLAT_CELL = 1.5
# Coverage, flow and grey-level grid: 8x6 cells, coarse enough that one holds real
# texture; motion is gathered on the finer CELL_GRID.
GRID = LOOK_GRID
# Thumbnail width used for the cut score (global structure, not detail).
CUT_THUMB_W = 32
# Width of the averaged-down change mask whose centre of mass locates the motion.
CENTRE_W = 64

ROW_FIELDS = (
    "motion", "camera", "cut", "brightness", "coverage", "sharpness",
    "motion_x", "motion_y", "change", "cam_conf", "shift", "raw",
)  # fmt: skip
# Per-frame vectors, one value per cell (row-major): of CELL_GRID for "cells", of GRID
# for the others.
VECTOR_FIELDS = ("cells", "cells_dy", "cells_luma")


def _centred(thumb: np.ndarray) -> tuple[np.ndarray, float]:
    """A thumbnail as a zero-mean unit vector and its norm, for ``_ncc`` (each frame's is
    worked out once and used twice: with the frame before and the frame after)."""
    z = thumb.ravel() - thumb.mean()
    n = float(np.sqrt(z.dot(z)))
    return (z / n if n > 0 else z), n


def _ncc(a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> float:
    """Normalised cross-correlation of two ``_centred`` thumbnails; 1 when either is flat."""
    return float(a[0].dot(b[0])) if a[1] * b[1] > 1e-6 else 1.0


def _median(x: np.ndarray) -> float:
    """The lower median of a small array (a partial sort of a copy: a third of
    np.median's cost)."""
    v = x.flatten()
    k = (v.size - 1) // 2
    v.partition(k)
    return float(v[k])


class FrameFeatures:
    """Turns consecutive grey frames into rows of ROW_FIELDS and the VECTOR_FIELDS."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.tracker = CameraTracker(width, height)
        tw = min(CUT_THUMB_W, width)
        self.thumb = (tw, max(4, round(height * tw / width)))
        self.prev: np.ndarray | None = None
        self.prev_thumb: tuple[np.ndarray, float] | None = None
        self.prev_t = 0.0
        n = GRID[0] * GRID[1]
        # Changed fraction per CELL_GRID cell for the last frame (row-major); per GRID
        # cell, the unexplained vertical motion (frame heights a second, + down) and the
        # mean grey level.
        self.cells = np.zeros(CELL_GRID[0] * CELL_GRID[1], np.float32)
        self.cells_dy = np.zeros(n, np.float32)
        self.cells_luma = np.zeros(CELL_GRID[0] * CELL_GRID[1], np.float32)
        # Which cell each flow sample falls in, and how many samples each cell has.
        cx = np.minimum(self.tracker.full[:, 0] * GRID[0] // width, GRID[0] - 1)
        cy = np.minimum(self.tracker.full[:, 1] * GRID[1] // height, GRID[1] - 1)
        self.sample_cell = (cy * GRID[0] + cx).astype(np.intp)
        self.cell_samples = np.maximum(np.bincount(self.sample_cell, minlength=n), 1)
        # Where the motion is: the changed mask averaged down to about 64 px wide first
        # (its centre of mass there is as good for reframing, at a tenth of the cost).
        fw = min(CENTRE_W, width)
        self.fine = (fw, max(CELL_GRID[1], round(height * fw / width)))

    def vectors(self) -> tuple[np.ndarray, ...]:
        """The VECTOR_FIELDS of the last frame."""
        return self.cells, self.cells_dy, self.cells_luma

    def _still(self, frame: np.ndarray) -> tuple[float, float, float]:
        lap = cv2.convertScaleAbs(cv2.Laplacian(frame, cv2.CV_16S, ksize=1))
        cells = cv2.resize(lap.astype(np.float32), GRID, interpolation=cv2.INTER_AREA)
        coverage = np.count_nonzero(cells < FLAT_CELL) / cells.size
        luma = cv2.resize(frame, CELL_GRID, interpolation=cv2.INTER_AREA)
        self.cells_luma = luma.ravel().astype(np.float32) / np.float32(255)
        mean, std = cv2.meanStdDev(frame)
        sharp = float(cells.mean()) / (float(std[0, 0]) + 1.0)
        return float(mean[0, 0]) / 255.0, coverage, sharp

    def step(self, t: float, frame: np.ndarray) -> tuple[float, ...]:
        """Features of ``frame`` (shown at ``t`` seconds) relative to the previous frame."""
        thumb = _centred(
            cv2.resize(frame, self.thumb, interpolation=cv2.INTER_AREA).astype(np.float32)
        )
        brightness, coverage, sharp = self._still(frame)
        fit = self.tracker.step(frame)
        row: tuple[float, ...]
        if self.prev is None or fit is None:
            self.cells = np.zeros_like(self.cells)
            self.cells_dy = np.zeros_like(self.cells_dy)
            row = (0.0, 0.0, 0.0, brightness, coverage, sharp, math.nan, math.nan,
                   0.0, 1.0, 0.0, 0.0)  # fmt: skip
        else:
            row = self._motion(t, frame, fit, thumb, brightness, coverage, sharp)
        self.prev, self.prev_thumb, self.prev_t = frame.copy(), thumb, t
        return row

    def _changed(self, frame: np.ndarray, prev: np.ndarray, margin: int) -> np.ndarray:
        """Mask (0/255) of pixels that changed beyond noise, a global brightness step
        removed, inside ``margin`` pixels of the border. (Levels are medians over every
        6th pixel of every 6th row: plenty.)"""
        m = margin
        a, b = frame[m:-m, m:-m], prev[m:-m, m:-m]
        # A light switched on or auto-exposure shifts every pixel alike: take that out.
        off = int(_median(a[::6, ::6].astype(np.int16) - b[::6, ::6]))
        if off:
            b = cv2.add(b, off) if off > 0 else cv2.subtract(b, -off)  # type: ignore[call-overload]
        d = cv2.absdiff(a, b)
        thr = max(MIN_CHANGE, NOISE_FACTOR * _median(d[::6, ::6]))
        return cv2.compare(d, thr, cv2.CMP_GT)  # type: ignore[call-overload]

    def _motion(
        self, t: float, frame: np.ndarray, fit: CameraFit, thumb: tuple[np.ndarray, float],
        brightness: float, coverage: float, sharp: float,
    ) -> tuple[float, ...]:  # fmt: skip
        assert self.prev is not None and self.prev_thumb is not None
        mask, mg = self._changed(frame, self.prev, 1), 1
        raw = motion = cv2.countNonZero(mask) / mask.size
        speed = 0.0
        if fit.moved:
            m = self.tracker.margin(fit.matrix)
            # Compensate only while that leaves more than a quarter of the picture: a
            # whip pan leaves nothing to compare, and its low confidence says so.
            if 2 * m < min(self.w, self.h) / 2:
                warped = cv2.warpAffine(
                    self.prev, fit.matrix, (self.w, self.h), flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                )  # fmt: skip
                mask, mg, speed = self._changed(frame, warped, m), m, fit.fitted
                motion = cv2.countNonZero(mask) / mask.size
        full = cv2.copyMakeBorder(mask, mg, mg, mg, mg, cv2.BORDER_CONSTANT, value=0)
        fine = cv2.resize(full, self.fine, interpolation=cv2.INTER_AREA)
        cells = cv2.resize(fine, CELL_GRID, interpolation=cv2.INTER_AREA)
        self.cells = cells.ravel() / np.float32(255)
        dt = max(t - self.prev_t, 1e-3)
        dy = np.bincount(
            self.sample_cell, weights=fit.residual_dy, minlength=self.cell_samples.size
        )
        self.cells_dy = (dy / self.cell_samples / (self.h * dt)).astype(np.float32)
        cx = cy = math.nan
        if motion > 0:
            mo = cv2.moments(fine)
            if mo["m00"] > 0:
                cx = (mo["m10"] / mo["m00"] + 0.5) / self.fine[0]
                cy = (mo["m01"] / mo["m00"] + 0.5) / self.fine[1]
        cut = max(0.0, 1.0 - _ncc(self.prev_thumb, thumb))
        change = cv2.norm(frame, self.prev, cv2.NORM_L1) / (frame.size * 255.0)
        return (motion, speed / self.w / dt, cut, brightness, coverage, sharp, cx, cy, change,
                fit.confidence, fit.fitted / self.w / dt, raw)  # fmt: skip


# Audio hop: 20 ms (160 samples at 8 kHz), fine enough to place an impact within a frame.
AUDIO_HOP = 160
# Silence floor for loudness, dBFS: below the noise of any real recording chain.
SILENCE_DB = -90.0


class AudioFeatures:
    """Loudness (dBFS) and onset strength per 20 ms hop, fed one chunk at a time."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.rest = np.zeros(0, np.float32)
        self.rms: list[np.ndarray] = []
        self.last_db = SILENCE_DB

    def feed(self, chunk: np.ndarray) -> None:
        x = np.concatenate([self.rest, chunk]) if self.rest.size else chunk
        n = x.size // AUDIO_HOP
        self.rest = x[n * AUDIO_HOP :].copy()
        if n == 0:
            return
        frames = x[: n * AUDIO_HOP].reshape(n, AUDIO_HOP)
        energy = (frames.astype(np.float64) ** 2).mean(axis=1)
        self.rms.append(10.0 * np.log10(np.maximum(energy, 10 ** (SILENCE_DB / 10))))

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(audio_t, audio_rms, audio_onset)``; empty arrays without audio."""
        db = np.concatenate(self.rms) if self.rms else np.zeros(0)
        t = (np.arange(db.size) + 0.5) * AUDIO_HOP / self.rate
        onset = np.maximum(np.diff(db, prepend=db[:1]), 0.0) if db.size else db
        return t, db, onset


# Bump when the features change meaning, so stale cache entries are not reused.
ANALYSIS_VERSION = 23  # 23: where the stream is damaged (meta)
# Bytes read from the file for its fingerprint: 64 KiB at each of 8 evenly spaced places.
# That identifies a file reliably (with its size) without reading gigabytes.
FINGERPRINT_CHUNK = 64 * 1024
FINGERPRINT_PLACES = 8
# Decoding that stops before this fraction of the stated duration (less one second of
# slack for rounding and trailing audio) means the file is truncated.
MIN_DECODED_FRACTION = 0.9


def fingerprint(path: str, size: int) -> str:
    """Hash of the file size and a few sampled chunks of its bytes."""
    h = hashlib.sha256(f"{size}".encode())
    with open(path, "rb") as f:
        for i in range(FINGERPRINT_PLACES):
            f.seek(max(0, (size - FINGERPRINT_CHUNK) * i // max(1, FINGERPRINT_PLACES - 1)))
            h.update(f.read(FINGERPRINT_CHUNK))
    return h.hexdigest()


def cache_key(info: VideoInfo) -> str:
    params = {
        "version": ANALYSIS_VERSION, "size": analysed_size(info), "skip": list(SKIP_RULE),
        "noise": NOISE_FACTOR, "min_change": MIN_CHANGE, "flat": FLAT_CELL,
        "camera": [FLOW_STEP, FINEST_SCALE, FIT_TOLERANCE, FIT_ITERS, MOVE_MARGIN, SUBPIXEL],
        "audio_rate": AUDIO_RATE, "hop": AUDIO_HOP,
    }  # fmt: skip
    tone_map = tone_map_filter(info)
    if tone_map:  # only HDR files: the keys of all others stay as they were
        params["tone_map"] = tone_map
    if deinterlace := deinterlace_filter(info):  # likewise, only interlaced files
        params["deinterlace"] = deinterlace
    h = hashlib.sha256(fingerprint(info.path, info.size_bytes).encode())
    h.update(json.dumps(params, sort_keys=True).encode())
    return h.hexdigest()[:32]


def _audio_worker(path: str, rate: int, out: AudioFeatures, errors: list[BaseException]) -> None:
    try:
        for chunk in audio_chunks(path):
            out.feed(chunk)
    except BaseException as e:  # reported by the caller's thread
        errors.append(e)


class _Stretch:
    """Feature rows of consecutive frames from one reader, in flat arrays (8 bytes a
    value, 4 for the per-cell vectors; no Python objects per frame)."""

    def __init__(self, plan: DecodePlan) -> None:
        self.feats = FrameFeatures(plan.width, plan.height)
        self.ts = array.array("d")
        self.rows = array.array("d")  # ROW_FIELDS per frame
        self.vectors = [array.array("f") for _ in VECTOR_FIELDS]
        self.damage: list[float] = []  # about when the decoder found the stream damaged
        self.widths = [v.size for v in self.feats.vectors()]  # values per frame in each

    def add(self, pts: float, frame: np.ndarray) -> None:
        self.ts.append(pts)
        self.rows.extend(self.feats.step(pts, frame))
        for out, v in zip(self.vectors, self.feats.vectors(), strict=True):
            out.frombytes(v.astype(np.float32, copy=False).tobytes())  # no float per value

    def cut(self, n: int) -> None:
        """Keep the first ``n`` frames."""
        del self.ts[n:]
        del self.rows[n * len(ROW_FIELDS) :]
        for v, w in zip(self.vectors, self.widths, strict=True):
            del v[n * w :]

    def join(self, tail: _Stretch, late: float) -> None:
        """Append ``tail``'s frames after its first (this stretch's last), their times
        moved by ``late`` seconds."""
        self.ts.extend(t + late for t in tail.ts[1:])
        self.damage.extend(t + late for t in tail.damage)
        self.rows.extend(tail.rows[len(ROW_FIELDS) :])
        for v, more, w in zip(self.vectors, tail.vectors, self.widths, strict=True):
            v.extend(more[w:])


class _Tail:
    """The second half of a split decode, read on its own thread. ``start`` is the time of
    its first frame once known (infinity when it gave none)."""

    def __init__(self, info: VideoInfo, plan: DecodePlan, split: float, threads: int) -> None:
        self.reader = FrameReader(info, plan, start=split, threads=threads)
        self.out = _Stretch(plan)
        self.start: float | None = None
        self.done = 0.0  # seconds of footage read
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop reading, and wait until the thread has (it stops after the frame it is
        on): no decoder outlives the analysis that started it."""
        self.stop.set()
        self.thread.join(TAIL_STOP_WAIT)

    def _run(self) -> None:
        try:
            for pts, frame in self.reader:
                if self.start is None:
                    self.start = pts
                self.out.add(pts, frame)
                self.done = pts - self.start
                if self.stop.is_set():
                    break
        except BaseException as e:  # reported by the caller's thread
            self.error = e
        finally:
            self.out.damage = self.reader.damage()
            if self.start is None:
                self.start = math.inf


def _decode(
    info: VideoInfo, progress: Callable[[float], None] | None, split: bool = True
) -> Signals:
    audio = AudioFeatures(AUDIO_RATE)
    errors: list[BaseException] = []
    worker = None
    if info.has_audio:  # started first: it runs while the video decode is planned
        worker = threading.Thread(
            target=_audio_worker, args=(info.path, AUDIO_RATE, audio, errors), daemon=True
        )
        worker.start()
    plan = plan_decode(info)
    video = _video(info, plan, progress, split_point(info, plan) if split else None)
    if worker is not None:
        worker.join()
    if errors:
        raise errors[0]
    # Views on the buffers, not copies: the series of a long file exist once.
    cols = np.frombuffer(video.rows, np.float64).reshape(-1, len(ROW_FIELDS)).T
    series = dict(zip(ROW_FIELDS, cols, strict=True))
    audio_t, audio_rms, audio_onset = audio.result()
    meta = {"path": info.path, "width": plan.width, "height": plan.height,
            "skip_noref": plan.skip_noref, "version": ANALYSIS_VERSION,
            "damaged": damaged_spans(video.damage)}  # fmt: skip
    if progress is not None:
        progress(1.0)
    n = len(video.ts)
    vectors = {
        k: np.frombuffer(v, np.float32).reshape(n, -1)
        for k, v in zip(VECTOR_FIELDS, video.vectors, strict=True)
    }
    return Signals(
        duration=info.duration, t=np.frombuffer(video.ts, np.float64), audio_t=audio_t,
        audio_rms=audio_rms, audio_onset=audio_onset, meta=meta, **vectors, **series,
    )  # fmt: skip


def _video(
    info: VideoInfo,
    plan: DecodePlan,
    progress: Callable[[float], None] | None,
    split: float | None,
) -> _Stretch:
    """The feature rows of every frame: read in one go, or in two halves side by side
    from ``split`` on: the head from the start until it reaches the tail's first frame,
    the tail from there on. The halves are joined only where both decoders give
    that frame the same time; where they do not (a container whose timestamps shift
    when seeking), the head reads on alone, as in one pass."""
    tail, threads = None, None
    if split is not None:
        threads, tail_threads = split_threads()
        tail = _Tail(info, plan, split, tail_threads)
    head = _Stretch(plan)
    reader = FrameReader(info, plan, threads=threads)
    duration = max(info.duration, 1e-3)

    def report() -> None:
        if progress is not None:
            done = (head.ts[-1] if head.ts else 0.0) + (tail.done if tail is not None else 0.0)
            progress(min(1.0, done / duration))

    meet: int | None = None  # the head's frame that is the tail's first
    try:
        for pts, frame in reader:
            head.add(pts, frame)
            if tail is not None and tail.start is not None and pts >= tail.start - SAME_TIME:
                meet = _frame_at(head.ts, tail.start)
                if meet is not None:
                    break  # the tail goes on from here
                tail.close()
                tail = None
            if len(head.ts) % 30 == 0:
                report()
        while meet is not None and tail is not None and tail.thread.is_alive():
            tail.thread.join(0.5)
            report()
    finally:
        head.damage = reader.damage()
        if tail is not None and meet is None:
            tail.close()
    if meet is None or tail is None:
        _check_complete(info, head.ts, reader.problem)
        return head
    if tail.error is not None:
        raise tail.error
    # That frame's row is the head's: only there it has a frame before it. The tail's
    # times go onto the head's clock (they may differ by up to SAME_TIME).
    assert tail.start is not None
    head.cut(meet + 1)
    head.join(tail.out, head.ts[meet] - tail.start)
    _check_complete(info, head.ts, tail.reader.problem)
    return head


# Seconds to wait for a stopped tail decoder to finish its frame: far longer than a frame
# takes, and a bound should a decoder hang.
TAIL_STOP_WAIT = 10.0
# Two frame times closer than this (seconds) are the same frame's, read by two decoders.
SAME_TIME = 1e-3


# Complaints of damage less than this far apart (seconds) are one damaged stretch.
DAMAGE_GAP = 1.0


def damaged_spans(times: list[float]) -> list[list[float]]:
    """The stretches [start, end] (s, to a tenth) where the decoder found the stream
    damaged, from the times of its complaints."""
    spans: list[list[float]] = []
    for t in sorted(times):
        if spans and t - spans[-1][1] <= DAMAGE_GAP:
            spans[-1][1] = t
        else:
            spans.append([t, t])
    return [[round(max(a, 0.0), 1), round(max(b, 0.0), 1)] for a, b in spans]


def _frame_at(ts: array.array, t: float) -> int | None:
    """The index of the time ``t`` in the sorted times ``ts``, or None."""
    n = bisect.bisect_left(ts, t - SAME_TIME)
    return n if n < len(ts) and abs(ts[n] - t) <= SAME_TIME else None


def _check_complete(info: VideoInfo, ts: array.array, problem: Callable[[], str]) -> None:
    """Raise InputError when no frame was decoded, or the frames stop well before the end."""
    if not ts:
        raise InputError(f"{info.path}: no decodable video frames ({problem()})")
    covered = ts[-1] - min(0.0, ts[0])
    if covered + 1.0 < MIN_DECODED_FRACTION * info.duration:
        raise InputError(
            f"{info.path}: truncated or corrupt: decoded {covered:.1f} s of "
            f"{info.duration:.1f} s ({problem()})"
        )


# glibc's allocator while analysing: keep up to this much freed memory at the top of
# the heap, and serve requests under this size from the heap rather than by mmap (see
# ``_heap_kept``); afterwards, glibc's defaults (128 KiB for both) again.
HEAP_KEEP = 64 << 20
HEAP_MMAP_FROM = 4 << 20
GLIBC_DEFAULT = 128 << 10
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (glibc's malloc.h)


@contextlib.contextmanager
def _heap_kept() -> Iterator[None]:
    """Each frame's features allocate and free a few hundred kilobytes of temporaries
    (OpenCV's outputs, phase correlation's spectra). By default glibc hands freed memory
    above 128 KiB back to the kernel, so every frame grew the heap again and faulted its
    pages back in: that doubled the feature time (0.45 -> 0.24 ms a frame on 1080p
    footage). Kept, it costs no more than the largest set of temporaries ever held.
    Not glibc (macOS, Windows, musl): nothing to set."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, TypeError, AttributeError):
        mallopt = None
    if mallopt is not None:
        mallopt(M_TRIM_THRESHOLD, HEAP_KEEP)
        mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_FROM)
    try:
        yield
    finally:
        if mallopt is not None:
            mallopt(M_TRIM_THRESHOLD, GLIBC_DEFAULT)
            mallopt(M_MMAP_THRESHOLD, GLIBC_DEFAULT)


def _cache_path(info: VideoInfo, cache_dir: Path | None) -> Path | None:
    """Where ``info``'s analysis is cached (None: no cache); InputError naming the file
    when it cannot be read to key it."""
    if cache_dir is None:
        return None
    try:
        return Path(cache_dir) / f"{cache_key(info)}.npz"
    except OSError as e:
        raise InputError(f"{info.path}: cannot read ({e.strerror})") from None


def _load(info: VideoInfo, path: Path) -> Signals | None:
    """The cached analysis at ``path``, or None when there is none (or it is unreadable)."""
    if not path.exists():
        return None
    try:
        sig = Signals.load(path)
    except (OSError, ValueError, KeyError) as e:
        log.warning("%s: ignoring unreadable cache entry %s (%s)", info.path, path, e)
        return None
    log.debug("%s: analysis cache hit %s", info.path, path)
    return sig


def cached(info: VideoInfo, cache_dir: Path | None) -> Signals | None:
    """``info``'s analysis when the cache has it, else None: never decodes."""
    path = _cache_path(info, cache_dir)
    return _load(info, path) if path is not None else None


def analyse(
    info: VideoInfo,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[float], None] | None = None,
    split: bool = True,
) -> Signals:
    """Decode ``info.path`` once and return its Signals, reusing a cached result if any.
    With ``split`` (when nothing else keeps the cores busy), footage that decodes faster
    in two halves side by side is decoded so (see ``clipkit.media.decode.split_point``); the
    Signals are the same either way.

    Raises InputError naming the file when it cannot be decoded or is truncated.
    """
    path = _cache_path(info, cache_dir)
    if path is not None:
        sig = _load(info, path)
        if sig is not None:
            if progress is not None:
                progress(1.0)
            return sig
    # The per-frame OpenCV calls work on tiny pictures: their thread pool costs more CPU
    # than it saves, while ffmpeg decodes on the other cores. Restored afterwards.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with _heap_kept():
            sig = _decode(info, progress, split)
    finally:
        cv2.setNumThreads(threads)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            sig.save(path)
        except OSError as e:
            log.warning("cannot write analysis cache %s: %s", path, e)
    return sig
