"""Decode planning: when non-reference frames are skipped, and how they are counted."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from clipkit import decode
from clipkit.decode import h264_picture_refs, nonref_share, plan_decode
from clipkit.ffmpeg import ffmpeg_exe
from clipkit.probe import VideoInfo, probe

START = b"\x00\x00\x01"
# NAL headers: nal_ref_idc in bits 5-6, type in bits 0-4.
SPS, PPS, SEI = b"\x67", b"\x68", b"\x06"
IDR, REF_P, NONREF_B = b"\x65", b"\x41", b"\x01"
# First byte of a slice header: first_mb_in_slice = 0 is a single 1 bit; 1 is "010".
FIRST, SECOND = b"\x88", b"\x40"


def annex_b(*nals: bytes) -> bytes:
    # Four-byte start codes before parameter sets, three-byte ones elsewhere (as x264).
    return b"".join((b"\x00" if n[:1] in (SPS, PPS) else b"") + START + n for n in nals)


STREAM = annex_b(
    SPS + b"\x64\x00\x1f", PPS + b"\xee\x3c\x80", SEI + b"\x05\xff\xff",
    IDR + FIRST + b"\x11" * 40,
    REF_P + FIRST + b"\x22" * 30, REF_P + SECOND + b"\x22" * 30,  # one picture, two slices
    NONREF_B + FIRST + b"\x33" * 20,
    NONREF_B + FIRST + b"\x44" * 20, NONREF_B + SECOND + b"\x44" * 20,
    REF_P + FIRST + b"\x55" * 30,
)  # fmt: skip


def test_pictures_are_counted_once_with_their_reference_flag() -> None:
    # IDR, P (2 slices), b, b (2 slices), P: 5 pictures, 2 of them non-reference.
    assert h264_picture_refs([STREAM]) == (5, 2)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 16])
def test_counting_does_not_depend_on_where_the_stream_is_cut(size: int) -> None:
    pieces = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert h264_picture_refs(pieces) == (5, 2)
    # ...also when one cut falls inside a start code or just after it.
    for cut in range(1, len(STREAM)):
        assert h264_picture_refs([STREAM[:cut], STREAM[cut:]]) == (5, 2)


def info(codec: str, fps: float, path: str = "x.mp4") -> VideoInfo:
    return VideoInfo(
        path=path, duration=60.0, fps=fps, width=1920, height=1080, rotation=0,
        codec=codec, pix_fmt="yuv420p", has_audio=False, audio_rate=0, audio_channels=0,
        variable_fps=False, size_bytes=1, mtime_ns=1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("codec", "fps", "share", "skip"),
    [
        ("h264", 30.0, 0.27, True),  # 21.9 fps left
        ("h264", 30.0, 0.48, False),  # 15.6 fps left: keep every frame
        ("h264", 25.0, 0.24, False),  # 19 fps left
        ("h264", 15.0, None, False),  # under 20 fps to begin with: not even counted
        ("mpeg4", 30.0, None, False),  # not counted: assumed half, 15 fps
        ("mpeg4", 50.0, None, True),  # 25 fps even if half are non-reference
        ("h264", 60.0, None, True),  # likewise, without counting
    ],
)
def test_skipping_keeps_at_least_20_analysed_frames_a_second(
    monkeypatch: pytest.MonkeyPatch, codec: str, fps: float, share: float | None, skip: bool
) -> None:
    counted: list[str] = []

    def fake_share(path: str, keep: float = 1.0, size: int = 0, mtime_ns: int = 0) -> float:
        counted.append(path)
        assert share is not None, "this case must not read the file"
        return share

    monkeypatch.setattr(decode, "nonref_share", fake_share)
    plan = plan_decode(info(codec, fps))
    assert plan.skip_noref is skip
    assert (plan.width, plan.height) == (320, 180)
    assert bool(counted) == (share is not None and fps < 40), "counted only when it decides"


@pytest.mark.parametrize(("duration", "keep"), [(10.0, 1.0), (40.0, 0.5), (600.0, 0.25)])
def test_short_files_are_counted_whole_and_long_ones_sampled(
    monkeypatch: pytest.MonkeyPatch, duration: float, keep: float
) -> None:
    asked: list[float] = []

    def fake_share(path: str, keep: float = 1.0, size: int = 0, mtime_ns: int = 0) -> float:
        asked.append(keep)
        return 0.3

    monkeypatch.setattr(decode, "nonref_share", fake_share)
    plan_decode(dataclasses.replace(info("h264", 30.0), duration=duration))
    assert asked == [keep]  # at least 600 packets, or a quarter of them


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def decoded_frames(path: Path, *skip: str) -> int:
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *skip, "-i", str(path), "-map", "0:v:0",
         "-f", "framecrc", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("bframes", ["0", "3"])
def test_share_matches_what_the_decoder_skips(tmp_path: Path, bframes: str) -> None:
    # x264 with B-frames (its default pyramid makes some of them references) or without.
    p = tmp_path / f"bf{bframes}.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-t", "4",
           "-c:v", "libx264", "-bf", bframes, str(p))  # fmt: skip
    i = probe(p)
    share = nonref_share(i.path)
    total = decoded_frames(p)
    kept = decoded_frames(p, "-skip_frame", "noref")
    assert share == pytest.approx(1 - kept / total, abs=1e-9)
    if bframes == "0":
        assert share == 0.0
    else:
        assert 0.2 < share < 0.7


def test_share_of_a_long_file_is_sampled_close_to_the_whole(tmp_path: Path) -> None:
    p = tmp_path / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30", "-t", "40",
           "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", str(p))  # fmt: skip
    i = probe(p)
    whole = 1 - decoded_frames(p, "-skip_frame", "noref") / decoded_frames(p)
    sampled = nonref_share(i.path, 0.25)  # about 300 of 1200 pictures
    assert sampled != whole  # a sample, not the whole count...
    assert sampled == pytest.approx(whole, abs=0.05)  # ...close to it
    # The same sample on every run (another cache key, so it is counted again).
    assert nonref_share(i.path, 0.25, mtime_ns=1) == sampled


def test_unreadable_stream_counts_as_all_non_reference(tmp_path: Path) -> None:
    p = tmp_path / "junk.mp4"
    p.write_bytes(b"not a video" * 100)
    assert nonref_share(str(p)) == 1.0
    assert not plan_decode(info("h264", 30.0, str(p))).skip_noref
