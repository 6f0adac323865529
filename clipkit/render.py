"""Plan + preset -> a finished clip: the only module that knows moviepy.

The video is a moviepy ``VideoClip`` whose frame function reads each span
(the mishap, then the recovery shot) through its own moviepy reader, crops
and scales with OpenCV, blends the caption on its own bounding box and mixes
the crossfade; moviepy times the frames and pipes them to x264. That path is
~1.1-1.3x one ffmpeg filtergraph (bench/render.py); moviepy's compositing
(CompositeVideoClip, Pillow resizing) would be 5-9x. The sound is cut,
crossfaded, faded and loudness-normalised by ffmpeg (loudnorm, two passes)
into an AAC file that the writer muxes. Files are written under a temporary
name and renamed when complete.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipkit.captions import Caption, layout
from clipkit.errors import RenderError
from clipkit.ffmpeg import ffmpeg_exe
from clipkit.loudness import AudioSpan, make_audio
from clipkit.plan import ClipPlan, for_preset
from clipkit.presets import Preset
from clipkit.probe import probe
from clipkit.reframe import Reframe, plan_reframe
from clipkit.signals import Signals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderResult:
    """What was written."""

    path: Path
    cover: Path
    duration: float  # seconds
    size_bytes: int
    note: str = ""


def check_output_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and prove it writable, before any work starts."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".clipkit-write-test-"):
            pass
    except OSError as e:
        raise RenderError(f"{p}: output folder cannot be written ({e.strerror or e})") from None
    return p


def x264_args(preset: Preset) -> list[str]:
    """Encoder settings every platform accepts (PLATFORMS.md), shared with the benchmark."""
    fps = preset.fps
    args = ["-profile:v", "high", "-g", str(max(1, round(preset.gop_seconds * fps))),
            "-flags", "+cgop"]  # closed GOP
    if preset.video_bitrate:
        args += ["-b:v", f"{preset.video_bitrate}k"]
    else:
        args += ["-crf", str(preset.crf)]
    if preset.max_bitrate:  # VBV cap: a buffer of two seconds at the peak rate
        args += ["-maxrate", f"{preset.max_bitrate}k", "-bufsize", f"{2 * preset.max_bitrate}k"]
    return args + ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                   "-color_range", "tv", "-movflags", "+faststart"]


# RGB -> YUV with the BT.709 matrix the file is tagged with (swscale defaults to 601).
RGB_TO_YUV709 = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)


class Span:
    """One stretch of one file, read through its own moviepy reader, reframed and captioned."""

    def __init__(self, path: str, start: float, end: float, preset: Preset,
                 caption: str, signals: Signals | None) -> None:
        from moviepy import VideoFileClip

        info = probe(path)
        # Stay a frame short of the file's end: the reader repeats the last frame there.
        self.start = max(0.0, min(start, info.duration - 1.0 / info.fps))
        self.length = max(1.0 / preset.fps, min(end, info.duration) - self.start)
        self.audio = AudioSpan(path, self.start, self.length, info.has_audio)
        self.fps = preset.fps
        out_w, out_h = preset.size
        self.clip = VideoFileClip(path, audio=False)
        try:
            src_w, src_h = self.clip.size
            times = self.start + np.arange(int(self.length * self.fps) + 2) / self.fps
            self.reframe: Reframe = plan_reframe(src_w, src_h, out_w, out_h, preset.reframe,
                                                 times, signals)
            self.caption: Caption | None = layout(caption, preset, out_w, out_h)
            # Start the decoder at the span (moviepy would otherwise print and seek).
            self.clip.reader.initialize(self.start)
        except Exception:
            self.clip.close()
            raise

    def frame(self, t: float) -> np.ndarray:
        """The finished frame ``t`` s into the span."""
        raw = self.clip.get_frame(self.start + t)
        out = self.reframe.apply(raw, int(t * self.fps + 1e-6))
        return self.caption.blend(out) if self.caption else out

    def close(self) -> None:
        self.clip.close()


@dataclass
class _Timeline:
    """Where each span sits in the output, in seconds."""

    main: Span
    rec: Span | None
    xfade: float

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
        return (a * (1 - k) + b * k + 0.5).astype(np.uint8)


def _spans(plan: ClipPlan, preset: Preset, signals: Signals | None) -> _Timeline:
    main = Span(plan.source, plan.start, plan.end, preset, plan.caption, signals)
    rec = None
    try:
        if plan.recovery_source and plan.recovery:
            same = Path(plan.recovery_source) == Path(plan.source)
            rec = Span(plan.recovery_source, *plan.recovery, preset, plan.recovery_caption,
                       signals if same else None)
    except Exception:
        main.close()
        raise
    xfade = min(preset.crossfade, rec.length / 2, main.length / 2) if rec else 0.0
    return _Timeline(main, rec, xfade)


def _use_clipkit_ffmpeg() -> None:
    """Point moviepy's reader and writer at the ffmpeg clipkit found."""
    from moviepy.video.io import ffmpeg_reader, ffmpeg_writer

    exe = ffmpeg_exe()
    ffmpeg_reader.FFMPEG_BINARY = exe
    ffmpeg_writer.FFMPEG_BINARY = exe


def _write_video(tl: _Timeline, preset: Preset, audio: Path, out: Path,
                 cover_t: float) -> np.ndarray:
    """Encode the timeline with moviepy; return the frame at ``cover_t`` for the cover."""
    from moviepy import VideoClip

    fps = preset.fps
    cover_i = int(cover_t * fps + 1e-6)
    cover: list[np.ndarray] = []

    def frame_function(t: float) -> np.ndarray:
        f = tl.frame(t)
        if not cover and int(t * fps + 1e-6) >= cover_i:
            cover.append(f.copy())
        return f

    clip = VideoClip(frame_function=frame_function, duration=tl.duration)
    try:
        clip.write_videofile(
            str(out), fps=fps, codec="libx264", preset=preset.x264_preset, audio=str(audio),
            audio_codec="copy", logger=None, pixel_format="yuv420p",
            ffmpeg_params=["-vf", RGB_TO_YUV709, *x264_args(preset)],
        )
    except OSError as e:
        last = str(e).strip().splitlines()[-1:] or ["ffmpeg error"]
        raise RenderError(f"{out.name}: encoding failed ({last[0]})") from None
    finally:
        clip.close()
    return cover[0] if cover else tl.frame(0)


def _save_cover(frame: np.ndarray, path: Path) -> None:
    from PIL import Image

    tmp = path.with_name(f".{path.name}.part")
    Image.fromarray(frame).save(tmp, format="JPEG", quality=90)
    tmp.replace(path)


def render_clip(plan: ClipPlan, preset: Preset, out_dir: str | Path, *,
                signals: Signals | None = None) -> RenderResult:
    """Render ``plan`` with ``preset`` into ``out_dir``; ``signals`` steer the reframing."""
    out_dir = check_output_dir(out_dir)
    plan = for_preset(plan, preset)
    final = out_dir / plan.output
    part = out_dir / f".{final.stem}.part.mp4"
    audio = out_dir / f".{final.stem}.part.m4a"
    _use_clipkit_ffmpeg()
    tl = _spans(plan, preset, signals)
    try:
        spans = [tl.main.audio] + ([tl.rec.audio] if tl.rec else [])
        make_audio(spans, tl.xfade, tl.duration, preset, audio)
        cover = _write_video(tl, preset, audio, part, max(0.0, plan.peak - plan.start))
        part.replace(final)
    finally:
        tl.main.close()
        if tl.rec:
            tl.rec.close()
        for p in (part, audio):
            p.unlink(missing_ok=True)
    cover_path = final.with_suffix(".jpg")
    _save_cover(cover, cover_path)
    note = "" if tl.rec else plan.recovery_note
    log.info("wrote %s (%.1f s)", final, tl.duration)
    return RenderResult(path=final, cover=cover_path, duration=round(tl.duration, 3),
                        size_bytes=os.path.getsize(final), note=note)
