"""Background footage in and synthetic clips out, through ffmpeg pipes.

A segment of a background is read whole into memory (at most SEGMENT_MAX seconds at
most MAX_WIDTH pixels wide: a few hundred MB at worst), as BGR frames at a constant
frame rate and float audio; a finished clip is encoded in one ffmpeg run that takes the
frames on its standard input and writes a temporary file, renamed when complete.
"""

from __future__ import annotations

import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from clipkit.files import atomic_path
from clipkit.media.ffmpeg import complaint, ffmpeg_exe

# Wider footage is scaled down to 640 px: the detector analyses at 320 px anyway, and
# smaller frames keep a corpus of several hundred clips quick to make and to analyse.
MAX_WIDTH = 640
# x264's speed preset. With one thread (for repeatable output) "veryfast" encodes a
# 640x360 frame in under 3 ms, "medium" in 7; the look of the footage is set by the
# quality (crf), which varies from clip to clip.
X264_PRESET = "veryfast"
# AAC bit rate of the soundtrack: what phones record at.
AUDIO_BITRATE = "128k"
# Frame rates are given to ffmpeg as fractions with denominators up to 1001, which
# holds NTSC's 30000/1001 and the two-decimal rates probe reports.
FPS_DENOMINATOR = 1001


class SceneError(RuntimeError):
    """ffmpeg could not read a background or write a clip (the message names the file)."""


def frame_size(width: int, height: int) -> tuple[int, int]:
    """The size a background is read at: native, but no wider than MAX_WIDTH, and even
    on both sides (what yuv420p needs)."""
    if width > MAX_WIDTH:
        height, width = round(height * MAX_WIDTH / width), MAX_WIDTH
    return width - width % 2, height - height % 2


def rate(fps: float) -> str:
    """``fps`` as the fraction ffmpeg is given."""
    f = Fraction(fps).limit_denominator(FPS_DENOMINATOR)
    return f"{f.numerator}/{f.denominator}"


def read_frames(
    path: Path, start: float, length: float, size: tuple[int, int], fps: float
) -> np.ndarray:
    """Frames of ``path`` from ``start`` for ``length`` seconds at ``size`` and a
    constant ``fps`` (variable-rate footage is evened out), as (n, h, w, 3) BGR."""
    w, h = size
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
           "-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(path),
           "-map", "0:V:0", "-an", "-sn",
           "-vf", f"fps={rate(fps)},scale={w}:{h}:flags=area,setsar=1",
           "-pix_fmt", "bgr24", "-f", "rawvideo", "-"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True)
    n = len(out.stdout) // (w * h * 3)
    if out.returncode != 0 or n == 0:
        raise SceneError(f"{path}: cannot read frames ({complaint(out.stderr.decode())})")
    return np.frombuffer(out.stdout, np.uint8, n * w * h * 3).reshape(n, h, w, 3).copy()


def read_audio(path: Path, start: float, length: float, rate_hz: int, channels: int) -> np.ndarray:
    """Sound of ``path`` from ``start`` for ``length`` seconds, (samples, channels)
    float32 in -1..1, exactly ``length`` long (padded with silence where it ends early)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
           "-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(path),
           "-map", "0:a:0", "-vn", "-ac", str(channels), "-ar", str(rate_hz),
           "-f", "f32le", "-"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True)
    if out.returncode != 0:
        raise SceneError(f"{path}: cannot read sound ({complaint(out.stderr.decode())})")
    a = np.frombuffer(out.stdout, np.float32).reshape(-1, channels)
    n = round(length * rate_hz)
    if a.shape[0] < n:
        a = np.concatenate([a, np.zeros((n - a.shape[0], channels), np.float32)])
    return np.array(a[:n], np.float32)  # a writable copy: sounds are mixed into it


def encode(
    frames: np.ndarray,
    audio: np.ndarray | None,
    fps: float,
    audio_rate: int,
    crf: int,
    out: Path,
) -> None:
    """Write ``frames`` (n, h, w, 3 BGR) and ``audio`` (samples, channels, or None for a
    silent clip) to ``out`` as H.264 + AAC MP4, through a temporary file renamed when
    complete. One x264 thread and bit-exact muxing: the same input gives the same bytes."""
    n, h, w, _ = frames.shape
    with atomic_path(out, ".mp4", full=False) as tmp:
        with tempfile.TemporaryDirectory(prefix="eventgen-") as work:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", rate(fps),
                   "-i", "pipe:0"]  # fmt: skip
            if audio is not None:
                wav = Path(work) / "audio.f32"
                np.ascontiguousarray(audio, np.float32).tofile(wav)
                cmd += ["-f", "f32le", "-ar", str(audio_rate), "-ac", str(audio.shape[1])]
                cmd += ["-i", str(wav), "-map", "0:v", "-map", "1:a"]
                cmd += ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-flags:a", "+bitexact"]
            cmd += ["-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(crf),
                    "-threads", "1", "-pix_fmt", "yuv420p", "-flags:v", "+bitexact",
                    "-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart",
                    "-f", "mp4", str(tmp)]  # fmt: skip
            with open(Path(work) / "stderr", "w+b") as err:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err)
                assert proc.stdin is not None
                try:
                    for i in range(n):
                        proc.stdin.write(frames[i].tobytes())
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                code = proc.wait()
                err.seek(0)
                message = err.read().decode("utf-8", "replace")
        if code != 0:
            raise SceneError(f"{out}: cannot encode ({complaint(message)})")
