"""Plan + preset -> a finished clip: the only module that knows moviepy.

The video is a moviepy ``VideoClip`` whose frame function reads each shot
(the mishap, then the recovery shot) through its own span reader
(clipkit.media.reader: ffmpeg deinterlaces, cuts the crop the plan says out and
tone-maps HDR), scales with OpenCV, blends the caption on its own bounding box
and mixes the crossfade; moviepy times the frames and pipes them to x264 (its
public ``write_videofile``). That path is ~1.0-1.1x one ffmpeg filtergraph
(bench/render.py); moviepy's compositing (CompositeVideoClip, Pillow resizing)
would be 5-9x. The sound is cut, crossfaded, faded and brought to the preset's
loudness by ffmpeg (clipkit.render.loudness) into an AAC file that is muxed with the
picture. Files are written under a temporary name and renamed when complete.
Render reads nothing of the analysis: the plan carries the crop, the caller
the source's VideoInfo.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from clipkit.clips.captions import Caption, layout
from clipkit.clips.plan import ClipPlan, for_preset
from clipkit.clips.presets import MIN_FPS, Preset
from clipkit.clips.reframe import Crop, Reframe, mode_of, plan_reframe
from clipkit.errors import RenderError, disk_full, disk_full_message
from clipkit.files import atomic_path, check_output_dir, part_tag
from clipkit.media.audio import AudioSpan
from clipkit.media.ffmpeg import child_options, ffmpeg_exe, run_ffmpeg
from clipkit.media.filters import deinterlace_filter, tone_map_filter, untagged_matrix
from clipkit.media.probe import VideoInfo, probe
from clipkit.media.reader import Source, SpanReader
from clipkit.render.loudness import Loudness, StingCue, make_audio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderResult:
    """What was written."""

    path: Path
    cover: Path
    duration: float  # seconds
    size_bytes: int
    note: str = ""
    loudness: Loudness | None = None  # what the sound came out at (manifest, --verbose)
    reframe: str = ""  # how the mishap was fitted: crop, blur or fit
    # The mishap's crop, [source time, x, y, w, h] in the source's pixels (None: whole)
    crop: list[list[float]] | None = None


def x264_args(preset: Preset) -> list[str]:
    """Encoder settings every platform accepts (PLATFORMS.md), shared with the benchmark."""
    fps = preset.fps
    args = [
        "-profile:v",
        "high",
        "-g",
        str(max(1, round(preset.gop_seconds * fps))),
        "-flags",
        "+cgop",
    ]  # closed GOP
    if preset.video_bitrate:
        args += ["-b:v", f"{preset.video_bitrate}k"]
    else:
        args += ["-crf", str(preset.crf)]
    if preset.max_bitrate:  # VBV cap: a buffer of two seconds at the peak rate
        args += ["-maxrate", f"{preset.max_bitrate}k", "-bufsize", f"{2 * preset.max_bitrate}k"]
        # Frame threads, not sliced ones: with sliced threads x264's VBV gave other bytes
        # on every run of the same frames, even far under the cap (8 of 8 runs differed
        # at 180x320 and 25 Mb/s). With frame threads the same frames give the same bytes
        # until the cap binds hard (at 150 kb/s there, 8 of 8 differed; at 400, none).
        # That is what lets --jobs and re-runs give identical clips.
    return args + [
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
    ]


# The index at the front of the file, so that playback starts before the download ends.
FASTSTART = ["-movflags", "+faststart"]


# Tags the output carries: BT.709, limited range (PLATFORMS.md).
TAG_BT709 = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
# Every frame is made BT.709 YUV from RGB that the reader decoded by the source's own
# matrix, so that a recovery shot from a file of another matrix keeps its colours too.
RGB_TO_YUV = f"scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,{TAG_BT709}"


class _Background:
    """Runs ``fn(*args)`` in a thread; ``wait`` joins it and re-raises its error."""

    def __init__(self, fn: Callable[..., object], *args: object) -> None:
        self._error: BaseException | None = None
        self.result: Any = None

        def run() -> None:
            try:
                self.result = fn(*args)
            except BaseException as e:  # re-raised by wait() in the caller's thread
                self._error = e

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def wait(self, reraise: bool = True) -> None:
        self._thread.join()
        if self._error is not None and reraise:
            raise self._error


def _reading(
    info: VideoInfo, reframe: Reframe, out_size: tuple[int, int]
) -> tuple[list[str], tuple[int, int], Reframe]:
    """How a span's reader gets its pictures: ffmpeg's filters, the size they give, and
    the reframing left for OpenCV. ffmpeg cuts the crop out and shrinks what is to be
    shrunk before the picture is turned into RGB (and tone-mapped, in float), so only
    what is kept goes through those steps and the pipe: a third of a 16:9 picture made
    9:16, a quarter of a 4K one made 1080p."""
    w, h = info.width, info.height
    out_w, out_h = out_size
    # ffmpeg has turned the picture already (display rotation); this makes non-square
    # pixels square, at the displayed size.
    filters = [f"scale={w}:{h}"] if info.pixel_aspect != 1.0 else []
    if reframe.mode in ("blur", "fit"):
        k = min(out_w / w, out_h / h)
        if k < 1:
            w, h = max(2, round(w * k)), max(2, round(h * k))
            filters.append(f"scale={w}:{h}:flags=area")
        return filters, (w, h), reframe
    if reframe.path:
        return _reading_band(filters, w, h, reframe, out_size)
    x, y, cw, ch = reframe.rect
    if cw > out_w:  # to be shrunk: cut exactly, shrink to the output size
        filters += [f"crop={cw}:{ch}:{x}:{y}:exact=1", f"scale={out_w}:{out_h}:flags=area"]
        return filters, (out_w, out_h), replace(reframe, rect=(0, 0, out_w, out_h))
    cut = _even_cut(reframe, w, h)
    if cut is None:
        return filters, (w, h), reframe
    x0, y0, w0, h0 = cut
    filters.append(f"crop={w0}:{h0}:{x0}:{y0}")
    return filters, (w0, h0), replace(reframe, rect=(x - x0, y - y0, cw, ch))


def _reading_band(
    filters: list[str], w: int, h: int, reframe: Reframe, out_size: tuple[int, int]
) -> tuple[list[str], tuple[int, int], Reframe]:
    """A moving crop: ffmpeg cuts the band the crop moves over (and shrinks it as the
    crop is to be shrunk); OpenCV cuts each frame's crop out of that."""
    _, _, cw, ch = reframe.rect
    xs = [p[1] for p in reframe.path]
    ys = [p[2] for p in reframe.path]
    x0, y0 = int(min(xs)) // 2 * 2, int(min(ys)) // 2 * 2
    x1, y1 = min(w, int(np.ceil(max(xs))) + cw), min(h, int(np.ceil(max(ys))) + ch)
    bw, bh = x1 - x0 + (x1 - x0) % 2, y1 - y0 + (y1 - y0) % 2
    if x0 + bw > w or y0 + bh > h:
        bw, bh = x1 - x0, y1 - y0
    filters = [*filters, f"crop={bw}:{bh}:{x0}:{y0}:exact=1"]
    k = out_size[0] / cw
    if k < 1:  # shrink the band as the crop will be shrunk
        sw, sh = max(2, round(bw * k)), max(2, round(bh * k))
        filters.append(f"scale={sw}:{sh}:flags=area")
        moved = reframe.moved(-x0, -y0, k)
        return filters, (sw, sh), replace(moved, rect=(*moved.rect[:2], *out_size))
    return filters, (bw, bh), reframe.moved(-x0, -y0)


def _even_cut(reframe: Reframe, src_w: int, src_h: int) -> tuple[int, int, int, int] | None:
    """The smallest rectangle with even corners (4:2:0 chroma is cut whole) holding the
    crop, for ffmpeg to cut; None when there is no crop or it does not fit."""
    if reframe.mode != "crop":
        return None
    x, y, w, h = reframe.rect
    x0, y0 = x - x % 2, y - y % 2
    w0, h0 = x + w - x0 + (x + w - x0) % 2, y + h - y0 + (y + h - y0) % 2
    if x0 + w0 > src_w or y0 + h0 > src_h or (w0, h0) == (src_w, src_h):
        return None
    return x0, y0, w0, h0


# Beyond this enlargement of the source's pixels a clip looks soft: its note says so.
MAX_UPSCALE = 2.0


def upscale(reframe: Reframe, src_w: int, src_h: int) -> float:
    """How many times the source's pixels are enlarged: the crop's width to the output's,
    or the whole picture fitted into the output frame."""
    if reframe.mode == "crop" and reframe.rect[2] > 0:
        return reframe.out_w / reframe.rect[2]
    return min(reframe.out_w / src_w, reframe.out_h / src_h)


# How much a still recovery shot has zoomed in by its end (a slow push in, as an editor
# animates a photo: 6 % over a few seconds reads as calm, not as a camera move).
STILL_ZOOM = 0.06


def zoom_in(frame: np.ndarray, amount: float) -> np.ndarray:
    """``frame`` enlarged by 1 + ``amount`` about its centre, at its own size."""
    if amount <= 0:
        return frame.copy()
    h, w = frame.shape[:2]
    k = 1.0 + amount
    m = np.array([[k, 0, (1 - k) * w / 2], [0, k, (1 - k) * h / 2]], dtype=np.float32)
    return cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def reframe_of(info: VideoInfo, preset: Preset, crop: Crop | None) -> Reframe:
    """How a span of ``info``'s file is fitted into ``preset``'s frame: as the plan's
    ``crop`` says, unless the preset asks for blur, fit or a centred crop (or for a crop
    where the plan says blur), or the crop is of another frame's shape (a plan made for
    another preset); then from the sizes alone (a centred crop where one is cut)."""
    out_w, out_h = preset.size
    mode = mode_of(preset.reframe)
    if (
        crop is not None
        and mode in ("auto", "crop")
        and not (mode == "crop" and crop.mode != "crop")
        and crop.fits(info.width, info.height, out_w, out_h)
    ):
        return crop.reframe(out_w, out_h)
    return plan_reframe(info.width, info.height, out_w, out_h, preset.reframe, None)


class Shot:
    """One stretch of one file (the mishap, or the recovery shot), read through its own
    span reader, reframed and captioned."""

    def __init__(
        self,
        info: VideoInfo,
        start: float,
        end: float,
        preset: Preset,
        caption: str,
        crop: Crop | None = None,
        still: bool = False,
    ) -> None:
        path = info.path
        self.path = path
        # Stay a frame short of the file's end: the reader repeats the last frame there.
        self.start = max(0.0, min(start, info.duration - 1.0 / info.fps))
        # A still holds the frame at ``start`` from start to end, silent, slowly zooming.
        self.still = still
        self._held: np.ndarray | None = None
        last = end if still else min(end, info.duration)
        self.length = max(1.0 / preset.fps, last - self.start)
        self.audio = AudioSpan(path, self.start, self.length, info.has_audio and not still)
        self.fps = preset.fps
        tone_map = tone_map_filter(info)
        self.note = ""
        if info.hdr and not tone_map:
            self.note = (
                f"{Path(path).name} is {info.hdr} HDR and this ffmpeg has no zscale filter "
                "to tone-map it: its colours will look washed out"
            )
        out_w, out_h = preset.size
        reframe = reframe_of(info, preset, crop)
        # How soft it will look: said once a clip, of its most enlarged shot (render_clip).
        self.scale = upscale(reframe, info.width, info.height)
        self.scale_note = (
            f"{Path(path).name} is {info.width}x{info.height}: scaled up "
            f"{self.scale:.1f}x to {out_w}x{out_h}, it will look soft"
        )
        self.planned = reframe  # in the source's pixels (for the manifest)
        filters, size, self.reframe = _reading(info, reframe, preset.size)
        if deinterlace := deinterlace_filter(info):  # whole pictures before any cut
            filters.insert(0, deinterlace)
        if tone_map:
            filters.append(tone_map)
        elif matrix := untagged_matrix(info):  # else ffmpeg's RGB conversion takes BT.601
            filters.append(f"setparams=colorspace={matrix}")
        self.reader = SpanReader(Source(path, info.fps, info.duration), ",".join(filters), size)
        try:
            self.caption_text = caption
            self.caption: Caption | None = layout(caption, preset, out_w, out_h)
            # Start the decoder at the span now, in the background: seeking decodes
            # from the key frame before it, which overlaps with the other setup.
            self._seek = _Background(self.reader.open, self.start)
        except Exception:
            self.reader.close()
            raise

    def frame(self, t: float) -> np.ndarray:
        """The finished frame ``t`` s into the shot."""
        self._seek.wait()
        if self.still:
            if self._held is None:
                self._held = self.reframe.apply(self.reader.get_frame(self.start))
            out = zoom_in(self._held, STILL_ZOOM * t / self.length)
        else:
            at = self.start + t
            out = self.reframe.apply(self.reader.get_frame(at), at)
        return self.caption.blend(out) if self.caption else out

    def notes(self) -> str:
        """What the clip's note says of this shot's source, once it has been read."""
        notes = [self.note]
        if self.reader.dry_at is not None:
            notes.append(
                f"{Path(self.path).name} has no pictures after {self.reader.dry_at:.2f} s "
                "(cut off?): its last one is held to the end of the span"
            )
        return "; ".join(n for n in notes if n)

    def close(self) -> None:
        self._seek.wait(reraise=False)
        self.reader.close()


class Frames(Protocol):
    """What the encoder takes: a finished frame at any time up to ``duration``, at ``fps``
    (a clip's mishap and recovery shot, or a reel's parts: clipkit.posts.reelrender)."""

    fps: float

    @property
    def duration(self) -> float: ...

    def frame(self, t: float) -> np.ndarray: ...


@dataclass
class _Timeline:
    """Where each shot sits in the output, in seconds."""

    main: Shot
    rec: Shot | None
    xfade: float
    fps: float

    @property
    def rec_at(self) -> float:
        return self.main.length - self.xfade

    @property
    def duration(self) -> float:
        return self.rec_at + self.rec.length if self.rec else self.main.length

    def frame(self, t: float) -> np.ndarray:
        if self.rec is None or t < self.rec_at:
            return self.main.frame(t)
        if t >= self.main.length or self.xfade <= 0:
            return self.rec.frame(t - self.rec_at)
        k = (t - self.rec_at) / self.xfade  # 0 -> 1 across the crossfade
        a, b = self.main.frame(t), self.rec.frame(t - self.rec_at)
        return cv2.addWeighted(a, 1.0 - k, b, k, 0.0)


def _same_file(a: str, b: str) -> bool:
    return a == b or Path(a).resolve() == Path(b).resolve()


def _shots(
    plan: ClipPlan, preset: Preset, info: VideoInfo, recovery_info: VideoInfo | None
) -> _Timeline:
    main = Shot(info, plan.start, plan.end, preset, plan.caption or "", plan.crop)
    rec = None
    try:
        if plan.recovery_source and plan.recovery:
            # Another file's facts are read here when not given: it is not the source.
            if recovery_info is None:
                same = _same_file(plan.recovery_source, plan.source)
                recovery_info = info if same else probe(plan.recovery_source)
            # The finished dish holds still: so does its (centred) crop.
            rcap = plan.recovery_caption or ""
            rec = Shot(recovery_info, *plan.recovery, preset, rcap,
                       still=plan.recovery_still)  # fmt: skip
    except Exception:
        main.close()
        raise
    xfade = min(preset.crossfade, rec.length / 2, main.length / 2) if rec else 0.0
    return _Timeline(main, rec, xfade, preset.fps)


@functools.cache
def _moviepy_uses_clipkit_ffmpeg() -> None:
    """Point moviepy's writer at the ffmpeg clipkit found, its encoder killed with
    clipkit (the writer's only way to start one is this call): once a process."""
    from moviepy.video.io import ffmpeg_writer

    ffmpeg_writer.FFMPEG_BINARY = ffmpeg_exe()
    ffmpeg_writer.cross_platform_popen_params = _popen_params


def _popen_params(params: dict[str, Any]) -> dict[str, Any]:
    from moviepy.tools import cross_platform_popen_params

    return {**cross_platform_popen_params(params), **child_options(in_thread=True)}


# Frames made ahead of the encoder: enough to ride out a slow frame, few
# enough (6 MB each at 1080x1920) to keep memory flat.
PREFETCH = 4


class _Prefetch:
    """Makes the timeline's frames in a thread, a few ahead of the encoder.

    Reading the decoder's pipe, reframing and writing the encoder's pipe then
    overlap instead of taking turns (the pipes hold far less than one frame).
    """

    def __init__(self, tl: Frames, count: int) -> None:
        self._q: queue.Queue[tuple[int, np.ndarray | BaseException]] = queue.Queue(PREFETCH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(tl, count), daemon=True)
        self._thread.start()
        self._i, self._frame = -1, np.zeros((1, 1, 3), np.uint8)

    def _run(self, tl: Frames, count: int) -> None:
        try:
            for i in range(count):
                item: np.ndarray | BaseException = tl.frame(i / tl.fps)
                while not self._stop.is_set():
                    try:
                        self._q.put((i, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
        except BaseException as e:  # handed to the consumer, raised there
            self._q.put((count, e))

    def get(self, i: int) -> np.ndarray:
        """Frame ``i`` (frames are asked for in order; past the end, the last one)."""
        while self._i < i and (self._thread.is_alive() or not self._q.empty()):
            self._i, item = self._q.get()
            if isinstance(item, BaseException):
                raise item
            self._frame = item
        return self._frame

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# (frames written, frames in the clip): told as the encoder takes the frames.
FrameProgress = Callable[[int, int], None]


class _Counter:
    """Tells ``progress`` how many frames the encoder has, at each whole percent (so at
    most ~100 times a clip), never going back."""

    def __init__(self, total: int, progress: FrameProgress | None) -> None:
        self.total, self.progress = max(1, total), progress
        self.told = -1

    def wrote(self, frames: int) -> None:
        frames = min(frames, self.total)
        if self.progress is None or frames * 100 // self.total <= self.told:
            return
        self.told = frames * 100 // self.total
        self.progress(frames, self.total)


def _write_video(
    tl: Frames,
    preset: Preset,
    out: Path,
    cover_t: float,
    progress: FrameProgress | None = None,
) -> np.ndarray:
    """Encode the timeline with moviepy; return the frame at ``cover_t`` for the cover."""
    from moviepy import VideoClip

    fps = preset.fps
    cover_i = int(cover_t * fps + 1e-6)
    cover: list[np.ndarray] = []
    count = int(tl.duration * fps + 1e-6)
    frames = _Prefetch(tl, count)
    counter = _Counter(count, progress)

    def frame_function(t: float) -> np.ndarray:
        i = int(t * fps + 1e-6)
        counter.wrote(i)  # asked for frame i: the encoder has the i before it
        f = frames.get(i)
        if not cover and i >= cover_i:
            cover.append(f.copy())
        return f

    try:
        clip = VideoClip(frame_function=frame_function, duration=tl.duration)
        clip.write_videofile(
            str(out),
            fps=fps,
            codec="libx264",
            preset=preset.x264_preset,
            audio=False,
            logger=None,
            pixel_format="yuv420p",
            ffmpeg_params=["-vf", RGB_TO_YUV, *x264_args(preset)],
        )
        clip.close()
        counter.wrote(count)
    except OSError as e:
        last = str(e).strip().splitlines()[-1:] or ["ffmpeg error"]
        raise RenderError(f"{out.name}: encoding failed ({last[0]})") from None
    finally:
        frames.close()
    return cover[0] if cover else frames.get(0)


def _mux(video: Path, audio: Path, out: Path) -> None:
    res = run_ffmpeg(
        [
            "-y",
            "-i",
            str(video),
            "-i",
            str(audio),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c",
            "copy",
            *FASTSTART,
            str(out),
        ]
    )
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"{out.name}: muxing failed ({err[-1] if err else 'ffmpeg error'})")


def _save_cover(frame: np.ndarray, path: Path) -> None:
    from PIL import Image

    with atomic_path(path, ".jpg", full=False) as tmp:
        Image.fromarray(frame).save(tmp, format="JPEG", quality=90)


def output_fps(preset: Preset, source: VideoInfo) -> float:
    """The clip's frame rate: with fps_mode peak, a steady source's own when it lies
    from MIN_FPS up to the preset's fps (24, 25, 29.97); else the preset's."""
    rate = source.fps
    keep = preset.fps_mode == "peak" and not source.variable_fps
    return rate if keep and MIN_FPS <= rate < preset.fps - 0.005 else preset.fps


def render_clip(
    plan: ClipPlan,
    preset: Preset,
    out_dir: str | Path,
    info: VideoInfo,
    *,
    recovery_info: VideoInfo | None = None,
    progress: FrameProgress | None = None,
) -> RenderResult:
    """Render ``plan`` (of the file ``info`` describes) with ``preset`` into ``out_dir``;
    ``recovery_info``: the recovery shot's file, when it is another (else probed here).
    ``progress(written, frames)`` hears how far the encoder is, ending at all frames."""
    out_dir = check_output_dir(out_dir)
    plan = for_preset(plan, preset)
    final = out_dir / plan.output
    if final.resolve().parent != out_dir.resolve():  # never write outside the output folder
        raise RenderError(f"{plan.output!r}: not a file name inside {out_dir}")
    preset = preset.with_overrides(fps=output_fps(preset, info))
    tl = _shots(plan, preset, info, recovery_info)
    try:
        spans = [tl.main.audio] + ([tl.rec.audio] if tl.rec else [])
        cover_t = max(0.0, plan.peak - plan.start)
        sting = plan.sting if plan.sting is not None else preset.sting
        cue = StingCue.of(sting, cover_t, preset) if sting else None
        loudness, cover_path = encode(tl, spans, tl.xfade, preset, final, cover_t, progress, cue)
    finally:
        tl.main.close()
        if tl.rec:
            tl.rec.close()
    size = os.path.getsize(final)
    log.info("wrote %s (%.1f s)", final, tl.duration)
    return RenderResult(
        path=final,
        cover=cover_path,
        duration=round(tl.duration, 3),
        size_bytes=size,
        note=_note(plan, preset, tl, size),
        loudness=loudness,
        reframe=tl.main.planned.mode,
        crop=tl.main.planned.samples(tl.main.start, tl.main.start + tl.main.length),
    )


def encode(
    frames: Frames,
    sound: list[AudioSpan],
    xfade: float,
    preset: Preset,
    final: Path,
    cover_t: float,
    progress: FrameProgress | None = None,
    cue: StingCue | None = None,
) -> tuple[Loudness, Path]:
    """Write ``frames`` and the ``sound`` spans (crossfading by ``xfade``, a sting laid
    in by ``cue``) as the file ``final``, atomically, and its cover (the frame at
    ``cover_t``) beside it as ``.jpg``; returns the sound's loudness and the cover's
    path. The caller closes the spans."""
    folder = final.parent
    # Temporary names unique to this process and call: two runs on one folder never
    # write (or remove) each other's parts.
    tag = part_tag()
    video = folder / f".{final.stem}.part-{tag}.video.mp4"
    audio = folder / f".{final.stem}.part-{tag}.m4a"
    _moviepy_uses_clipkit_ffmpeg()
    try:
        with atomic_path(final, ".mp4", full=False) as part:
            try:
                # The sound is made while the video encodes, then the two are muxed.
                made = _Background(make_audio, sound, xfade, frames.duration, preset, audio, cue)
                try:
                    cover = _write_video(frames, preset, video, cover_t, progress)
                finally:
                    made.wait()
                _mux(video, audio, part)
            except (RenderError, OSError) as e:  # asked before the parts are removed
                _raise_if_full(e, folder, final)
                raise
    except OSError as e:  # the part's name could not be made, or renamed
        _raise_if_full(e, folder, final)
        raise
    finally:
        for p in (video, audio):
            p.unlink(missing_ok=True)
    cover_path = final.with_suffix(".jpg")
    try:
        _save_cover(cover, cover_path)
    except OSError as e:
        final.unlink()  # a file without its cover is not made: the next run makes both
        _raise_if_full(e, folder, cover_path)
        raise
    return made.result, cover_path


def _raise_if_full(e: BaseException, out_dir: Path, final: Path) -> None:
    if disk_full(e, out_dir):
        raise RenderError(disk_full_message(out_dir, final.name)) from None


def _note(plan: ClipPlan, preset: Preset, tl: _Timeline, size: int) -> str:
    """What the clip's note says: no recovery shot and why, a source cut off or washed
    out, the softest shot's enlargement, captions cut short, a file over the limit."""
    notes = [plan.recovery_note] if not tl.rec and plan.recovery_note else []
    shown = [shot for shot in (tl.main, tl.rec) if shot is not None]
    notes += dict.fromkeys(shot.notes() for shot in shown)
    softest = max(shown, key=lambda shot: shot.scale)
    if softest.scale > MAX_UPSCALE:
        notes.append(softest.scale_note)
    for shot, what in ((tl.main, "caption"), (tl.rec, "recovery caption")):
        if shot is not None:
            notes += _caption_notes(shot, what, preset)
    if size > preset.max_file_mb * 1e6:
        notes.append(f"{size / 1e6:.0f} MB is over the preset's {preset.max_file_mb:g} MB limit")
    return "; ".join(n for n in notes if n)


def _caption_notes(shot: Shot, what: str, preset: Preset) -> list[str]:
    """What the font or the room left out of ``shot``'s caption."""
    cap, notes = shot.caption, []
    if cap is not None and cap.cut_short:
        notes.append(f"{what} cut short to fit {preset.caption_max_lines} line(s): shorten it")
    if cap is not None and cap.left_out:
        notes.append(f"{what}: {cap.left_out} not in the font {preset.caption_font}: left out")
    elif cap is None and shot.caption_text.strip():  # every character was left out
        notes.append(
            f"{what}: {shot.caption_text.strip()} not in the font {preset.caption_font}: no caption"
        )
    return notes
