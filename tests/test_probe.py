from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clipkit.errors import InputError
from clipkit.media.probe import probe


def test_probe_basic(make_clip: Callable[..., Path]) -> None:
    info = probe(make_clip("basic.mp4", duration=2.0, size="160x90", fps=25))
    assert info.width == 160 and info.height == 90
    assert info.fps == pytest.approx(25)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.has_audio and info.audio_rate == 48000
    assert info.rotation == 0 and not info.portrait
    assert info.container.split(",")[0] == "mov"  # ffmpeg's MP4/MOV demuxer


def test_probe_without_audio(make_clip: Callable[..., Path]) -> None:
    info = probe(make_clip("silent.mp4", audio=False))
    assert not info.has_audio and info.audio_rate == 0


def test_probe_honours_rotation(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    import subprocess

    from clipkit.media.ffmpeg import ffmpeg_exe

    src = make_clip("landscape.mp4", size="160x90")
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-loglevel",
            "error",
            "-display_rotation",
            "90",
            "-i",
            str(src),
            "-c",
            "copy",
            str(rotated),
        ],  # fmt: skip
        check=True,
    )
    info = probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (90, 160)
    assert info.portrait


@pytest.mark.parametrize(
    "content, problem",
    [(b"", "empty file"), (b"this is not a video at all" * 40, "not a readable video")],
)
def test_probe_bad_input_names_file(tmp_path: Path, content: bytes, problem: str) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(InputError) as err:
        probe(bad)
    assert str(bad) in str(err.value) and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_probe_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        probe(tmp_path / "nope.mp4")


def test_probe_audio_only_file(tmp_path: Path) -> None:
    import subprocess

    from clipkit.media.ffmpeg import ffmpeg_exe

    wav = tmp_path / "tone.m4a"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=d=1", str(wav)], check=True
    )
    with pytest.raises(InputError, match="no video stream"):
        probe(wav)


def test_probe_frame_rate_of_avi_with_b_frames(
    make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    import subprocess

    from clipkit.media.ffmpeg import ffmpeg_exe

    # Stream-copied into AVI, x264's B-frames make ffmpeg read "600 fps, 30 tbr".
    src = make_clip("bf.mp4", duration=2.0, size="160x90", fps=30)
    avi = tmp_path / "bf.avi"
    cmd = [ffmpeg_exe(), "-loglevel", "error", "-i", str(src), "-c", "copy", str(avi)]
    subprocess.run(cmd, check=True)
    assert probe(avi).fps == pytest.approx(30)
    assert probe(avi).container == "avi"


@pytest.mark.parametrize(
    ("desc", "want"),
    [
        ("h264 (High), yuv420p(tv, bt709, progressive), 1920x1080", ("bt709", "bt709")),
        ("hevc (Main 10), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 3840x2160",
         ("bt2020nc", "arib-std-b67")),
        ("mjpeg, yuvj420p(pc, bt470bg/unknown/unknown), 640x480", ("bt470bg", "")),
        ("h264, yuv420p(progressive), 640x360", ("", "")),
        ("h264, yuv420p(tv, progressive, left), 640x360", ("", "")),
        ("h264, yuv420p(bottom coded first (swapped)), 720x576", ("", "")),
        ("h264, yuv420p(tv, smpte170m/bt709/bt709, top first), 720x576", ("smpte170m", "bt709")),
    ],
)  # fmt: skip
def test_colour_tags_are_read_from_the_stream_line(desc: str, want: tuple[str, str]) -> None:
    from clipkit.media.probe import _colour

    assert _colour(desc) == want
