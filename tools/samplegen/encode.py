"""Encoding a scene: when each frame is shown (steady or a phone's variable rate), and
ffmpeg turning the painted frames and the mixed sound into an mp4."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from clipkit.errors import ClipkitError
from clipkit.files import atomic_path
from clipkit.media.ffmpeg import die_with_clipkit_here, ffmpeg_exe
from tools.samplegen.painter import Painter
from tools.samplegen.scene import SceneSpec
from tools.samplegen.sound import mix_audio, write_wav

log = logging.getLogger(__name__)


# A phone's variable frame rate: jitter of 15% of a frame, and a stretch (40-60% of
# the clip) where it falls to two thirds of the nominal rate, as in dim light.
VFR_JITTER = 0.15
VFR_SLOW = 2 / 3


def _vfr_plan(spec: SceneSpec, fps: float) -> tuple[int, int]:
    """First and last frame index of the slow stretch."""
    a = int(0.4 * spec.duration * fps)
    return a, a + int(0.2 * spec.duration * fps * VFR_SLOW)


def frame_times(spec: SceneSpec, fps: float) -> list[float]:
    """When each frame is shown. Mirrors :func:`_vfr_expr` exactly for VFR scenes."""
    if not spec.vfr:
        return [i / fps for i in range(int(round(spec.duration * fps)))]
    a, b = _vfr_plan(spec, fps)
    amp, extra = VFR_JITTER / fps, 1 / (fps * VFR_SLOW) - 1 / fps
    times: list[float] = []
    n = 0
    while True:
        t = n / fps + amp * math.sin(1.3 * n) + min(max(n - a, 0), b - a) * extra
        if t >= spec.duration:
            return times
        times.append(t)
        n += 1


def _vfr_expr(spec: SceneSpec, fps: float) -> str:
    a, b = _vfr_plan(spec, fps)
    amp, extra = VFR_JITTER / fps, 1 / (fps * VFR_SLOW) - 1 / fps
    t = f"N/{fps!r}+{amp!r}*sin(1.3*N)+min(max(N-{a},0),{b - a})*{extra!r}"
    return f"settb=1/90000,setpts='({t})/TB'"


def _words(text: str) -> list[str]:
    return text.split()


def _ffmpeg_cmd(
    spec: SceneSpec, coded: tuple[int, int], fps: float, wav: Path, out: Path, x264: list[str]
) -> list[str]:
    cmd = [ffmpeg_exe(), *_words("-hide_banner -loglevel error -nostdin -y")]
    if spec.rotate:  # players turn the landscape-coded frames 90 degrees clockwise
        cmd += ["-display_rotation", "90", "-noautorotate"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{coded[0]}x{coded[1]}"]
    cmd += ["-framerate", f"{fps!r}", "-i", "-", "-i", str(wav), "-map", "0:v", "-map", "1:a"]
    if spec.vfr:
        cmd += ["-vf", _vfr_expr(spec, fps), "-fps_mode", "passthrough"]
        cmd += _words("-enc_time_base 1:90000 -video_track_timescale 90000")
    # Two threads, named: x264's output depends on its thread count, and the same
    # spec must give the same bytes on any machine.
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-threads", "2", *x264]
    cmd += _words("-c:a aac -b:a 64k -ac 1 -movflags +faststart")
    cmd += _words("-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -f mp4")
    return [*cmd, str(out)]


def render_scene(
    spec: SceneSpec,
    path: str | os.PathLike[str],
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    *,
    crf: int = 26,
    preset: str = "faster",
    x264_params: str | None = None,
) -> Path:
    """Draw ``spec`` and encode it (H.264 + AAC, mp4) to ``path``, atomically.

    ``width``/``height`` are the displayed size (defaults: the spec's); a rotated spec
    is coded the other way round. ``x264_params`` go to libx264 as they are, e.g.
    ``"bframes=0"`` or ``"keyint=300"``.
    """
    w, h = width or spec.width, height or spec.height
    if w % 2 or h % 2:
        raise ValueError(f"{spec.name}: width and height must be even, got {w}x{h}")
    fps = fps or spec.fps
    out = Path(path)
    coded = (h, w) if spec.rotate else (w, h)
    x264 = ["-preset", preset, "-crf", str(crf)]
    x264 += ["-x264-params", x264_params] if x264_params else []
    # A name of this run's own beside the target: two runs writing the same file never
    # write into each other's, and a reader never sees half a file under the final name.
    with (
        atomic_path(out, ".part", full=False) as part,
        tempfile.TemporaryDirectory(prefix="clipkit-samplegen-") as tmp,
    ):
        wav = Path(tmp) / "sound.wav"
        write_wav(wav, mix_audio(spec))
        cmd = _ffmpeg_cmd(spec, coded, fps, wav, part, x264)
        _encode(spec, Painter(spec, w, h, fps), fps, cmd, out)
    log.info("wrote %s (%dx%d, %.1f s)", out, w, h, spec.duration)
    return out


def _encode(spec: SceneSpec, painter: Painter, fps: float, cmd: list[str], out: Path) -> None:
    """Paint every frame into ffmpeg running ``cmd``; raise if ffmpeg fails."""
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, **die_with_clipkit_here()
    )
    assert proc.stdin is not None
    try:
        with contextlib.suppress(BrokenPipeError):  # ffmpeg stopped: it says why below
            for t in frame_times(spec, fps):
                frame = painter.frame(t)
                if spec.rotate:
                    frame = np.ascontiguousarray(np.rot90(frame, k=-1))
                proc.stdin.write(frame.tobytes())
    except BaseException:
        proc.kill()
        raise
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        proc.wait()
    if proc.returncode != 0:
        raise ClipkitError(f"{out}: ffmpeg failed: {err.decode('utf-8', 'replace')[-500:]}")
