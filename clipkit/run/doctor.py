"""Checks that clipkit's tools are present and work: ffmpeg, OpenCV, moviepy, Python."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_ffmpeg() -> Check:
    from clipkit.errors import ClipkitError
    from clipkit.media.ffmpeg import find_ffmpeg, has_filters, run_ffmpeg

    try:
        ff = find_ffmpeg()
    except ClipkitError as e:
        return Check("ffmpeg", False, str(e))
    # Encode one tiny frame with the codecs clipkit writes, to prove they are there.
    args = ["-loglevel", "error",
            "-f", "lavfi", "-i", "color=c=gray:s=64x64:d=0.1",
            "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "0.1",
            "-c:v", "libx264", "-c:a", "aac", "-f", "null", "-"]  # fmt: skip
    res = run_ffmpeg(args, timeout=60)
    detail = f"{ff.version} ({ff.path}, from {ff.source})"
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace").strip()[-200:]
        return Check("ffmpeg", False, f"{detail}: cannot encode H.264/AAC: {err}")
    if not has_filters("zscale", "tonemap"):  # optional: only HDR footage needs them
        detail += "; no zscale/tonemap filters: HDR footage will not be tone-mapped"
    return Check("ffmpeg", True, detail)


def check_opencv() -> Check:
    try:
        import cv2
        import numpy as np

        a = np.zeros((32, 32), np.uint8)
        cv2.resize(a, (16, 16), interpolation=cv2.INTER_AREA)
        return Check("opencv", True, f"{cv2.__version__} (numpy {np.__version__})")
    except Exception as e:  # any failure here is what the user needs to see
        return Check("opencv", False, f"{type(e).__name__}: {e}")


def check_moviepy() -> Check:
    try:
        from importlib.metadata import version

        from moviepy import ColorClip

        clip = ColorClip((16, 16), color=(0, 0, 0), duration=0.1)
        clip.get_frame(0)
        clip.close()
        return Check("moviepy", True, version("moviepy"))
    except Exception as e:
        return Check("moviepy", False, f"{type(e).__name__}: {e}")


def check_python() -> Check:
    ok = sys.version_info >= (3, 10)
    return Check("python", ok, f"{platform.python_version()} ({sys.executable})")


def run_checks() -> list[Check]:
    return [check_ffmpeg(), check_opencv(), check_moviepy(), check_python()]
