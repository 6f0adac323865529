"""Decode planning: when non-reference frames are skipped, and how they are counted."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from clipkit.media import decode
from clipkit.media.decode import count_pictures, h264_picture_refs, plan_decode
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.media.mp4 import avc_track
from clipkit.media.probe import VideoInfo
from tests.conftest import ffmpeg

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


Call = tuple[str, float, int, int, int]  # count_pictures(path, keep, size, mtime_ns, packets)


def fake_counts(
    monkeypatch: pytest.MonkeyPatch, answer: Callable[[float, int], tuple[int, int]]
) -> list[Call]:
    """Replace count_pictures by ``answer(keep, packets)``; return the calls it gets."""
    calls: list[Call] = []

    def fake(
        path: str, keep: float = 1.0, size: int = 0, mtime_ns: int = 0, packets: int = 0
    ) -> tuple[int, int]:
        calls.append((path, keep, size, mtime_ns, packets))
        return answer(keep, packets)

    monkeypatch.setattr(decode, "count_pictures", fake)
    return calls


@pytest.mark.parametrize(
    ("codec", "fps", "share", "skip"),
    [
        ("h264", 30.0, 0.27, True),  # 21.9 fps left
        ("h264", 30.0, 0.48, False),  # 15.6 fps left: keep every frame
        ("h264", 25.0, 0.24, False),  # 19 fps left
        ("h264", 60.0, 0.74, False),  # 15.6 fps left: counted at any rate
        ("h264", 60.0, 0.5, True),
        ("h264", 15.0, None, False),  # under 20 fps to begin with: not even counted
        ("mpeg4", 60.0, None, False),  # not counted: assumed 3 in 4, 15 fps
        ("hevc", 80.0, None, True),  # 20 fps even if 3 in 4 are non-reference
    ],
)
def test_skipping_keeps_at_least_20_analysed_frames_a_second(
    monkeypatch: pytest.MonkeyPatch, codec: str, fps: float, share: float | None, skip: bool
) -> None:
    v = info(codec, fps)

    def answer(keep: float, packets: int) -> tuple[int, int]:
        assert share is not None, "this case must not read the file"
        pictures = packets or round(fps * v.duration * keep)
        return pictures, round(pictures * share)

    asked = fake_counts(monkeypatch, answer)
    plan = plan_decode(v)
    assert plan.skip_noref is skip
    assert (plan.width, plan.height) == (320, 180)
    assert bool(asked) == (share is not None), "counted exactly when it decides"
    if asked:  # the file's size and time key the count, so an edited file is recounted
        assert all(a[0] == v.path and a[2:4] == (v.size_bytes, v.mtime_ns) for a in asked)
        assert asked[0][4] == round(2 * fps)  # the first 2 s first, then a sample
        assert len(asked) == 2


def test_footage_without_non_reference_frames_at_its_start_is_not_counted_further(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = fake_counts(monkeypatch, lambda keep, n: (n, 0) if n else (1800, 900))
    assert not plan_decode(info("h264", 30.0)).skip_noref
    assert [a[4] for a in asked] == [60]


@pytest.mark.parametrize(("duration", "keep"), [(10.0, 1.0), (40.0, 0.5), (600.0, 0.25)])
def test_short_files_are_counted_whole_and_long_ones_sampled(
    monkeypatch: pytest.MonkeyPatch, duration: float, keep: float
) -> None:
    asked = fake_counts(monkeypatch, lambda keep, n: (100, 30))
    plan_decode(dataclasses.replace(info("h264", 30.0), duration=duration))
    # The head whole; then at least 600 packets, or a quarter.
    assert [a[1] for a in asked] == [1.0, keep]


def test_a_sampled_share_is_taken_high_and_the_counted_rate_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = {"pictures": 0, "nonref": 0}
    monkeypatch.setattr(decode, "count_pictures", lambda *a: (counts["pictures"], counts["nonref"]))
    v = info("h264", 30.0)  # 60 s: a third of its 1800 packets is sampled (at least 600)
    counts.update(pictures=600, nonref=192)  # 32 % would leave 20.4 fps; 2 errors high, 19.3
    assert decode.analysed_rate(v) == pytest.approx(19.3, abs=0.1)
    assert not plan_decode(v).skip_noref
    counts.update(pictures=600, nonref=132)  # 22 %; 2 errors high, 22.4 fps
    assert decode.analysed_rate(v) == pytest.approx(22.4, abs=0.1)
    assert plan_decode(v).skip_noref
    # A stated rate far above the pictures held (600 fps, 30 a second): the count decides.
    avi = dataclasses.replace(info("h264", 600.0), duration=10.0)
    counts.update(pictures=75, nonref=15)  # a quarter of 300: 30 fps, 20 % (+9 %) skipped
    assert decode.analysed_rate(avi) == pytest.approx(30 * (1 - 0.2 - 0.092), abs=0.2)
    counts.update(pictures=0, nonref=0)  # nothing could be counted: keep every frame
    assert decode.analysed_rate(v) == 0.0 and not plan_decode(v).skip_noref


def decoded_frames(path: Path, *skip: str) -> int:
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *skip, "-i", str(path), "-map", "0:v:0",
         "-f", "framecrc", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


# MP4 and MOV are counted from their sample table, other containers from ffmpeg's copy.
CONTAINERS = [("mp4", True), ("mov", True), ("mkv", False), ("ts", False)]


@pytest.mark.parametrize(("ext", "table"), CONTAINERS)
@pytest.mark.parametrize("bframes", ["0", "3"])
def test_count_matches_what_the_decoder_skips(
    tmp_path: Path, bframes: str, ext: str, table: bool
) -> None:
    # x264 with B-frames (its default pyramid makes some of them references) or without.
    p = tmp_path / f"bf{bframes}.{ext}"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-t", "4",
           "-c:v", "libx264", "-bf", bframes, str(p))  # fmt: skip
    assert (avc_track(str(p)) is not None) is table
    pictures, nonref = count_pictures(str(p))
    total = decoded_frames(p)
    kept = decoded_frames(p, "-skip_frame", "noref")
    assert (pictures, nonref) == (total, total - kept)
    if bframes == "3":
        assert 0.2 < nonref / pictures < 0.7
    assert count_pictures(str(p), packets=30)[0] == 30  # the head only


@pytest.mark.parametrize(("ext", "table"), [CONTAINERS[0], CONTAINERS[2]])
def test_count_of_a_long_file_is_sampled_close_to_the_whole(
    tmp_path: Path, ext: str, table: bool
) -> None:
    p = tmp_path / f"long.{ext}"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30", "-t", "40",
           "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", str(p))  # fmt: skip
    assert (avc_track(str(p)) is not None) is table
    total = decoded_frames(p)
    whole = 1 - decoded_frames(p, "-skip_frame", "noref") / total
    pictures, nonref = count_pictures(str(p), 0.25)
    assert pictures == pytest.approx(total / 4, rel=0.15)  # a quarter of them...
    assert nonref / pictures == pytest.approx(whole, abs=0.05)  # ...and a fair one
    # The same sample on every run (another cache key, so it is counted again).
    assert count_pictures(str(p), 0.25, mtime_ns=1) == (pictures, nonref)


def test_a_stream_that_cannot_be_copied_is_not_skipped(tmp_path: Path) -> None:
    p = tmp_path / "junk.mp4"
    p.write_bytes(b"not a video" * 100)
    assert count_pictures(str(p)) == (0, 0)
    assert count_pictures(str(p), 0.25) == (0, 0)
    assert not plan_decode(info("h264", 30.0, str(p))).skip_noref


@pytest.mark.parametrize(
    ("skip", "duration", "cores", "container", "split"),
    [
        (True, 60.0, 2, "mov,mp4,m4a,3gp,3g2,mj2", 30.0),  # halves side by side
        (True, 60.0, 2, "matroska,webm", 30.0),
        (False, 60.0, 2, "mov,mp4,m4a,3gp,3g2,mj2", 30.0),  # decoded whole: halves too
        (True, 10.0, 2, "mov,mp4,m4a,3gp,3g2,mj2", None),  # too short for a second ffmpeg
        (True, 60.0, 1, "mov,mp4,m4a,3gp,3g2,mj2", None),  # one core: nothing side by side
        (True, 60.0, 2, "mpegts", None),  # times shift after a seek
        (True, 60.0, 2, "", None),  # not known
    ],
)
def test_split_point(
    monkeypatch: pytest.MonkeyPatch,
    skip: bool,
    duration: float,
    cores: int,
    container: str,
    split: float | None,
) -> None:
    monkeypatch.setattr(decode, "default_jobs", lambda: cores)
    v = dataclasses.replace(info("h264", 30.0), duration=duration, container=container)
    plan = decode.DecodePlan(width=320, height=180, skip_noref=skip)
    assert decode.split_point(v, plan) == split


def feed_stderr(reader: decode.FrameReader, lines: list[bytes]) -> None:
    """Have ``reader`` read ``lines`` as ffmpeg's stderr."""
    r, w = os.pipe()
    os.write(w, b"\n".join(lines) + b"\n")
    os.close(w)
    reader._read_stderr(r)
    os.close(r)


def test_frame_times_and_key_flags_from_showinfo() -> None:
    reader = decode.FrameReader(info("h264", 30.0), decode.DecodePlan(32, 18, False))
    lines = [
        b"[Parsed_showinfo_2 @ 0x1] n:   0 pts:   -512 pts_time:-0.0333333 duration:    512"
        b" fmt:gray s:32x18 i:P iskey:1 type:I checksum:0",
        b"[Parsed_showinfo_2 @ 0x1] n:   1 pts:    512 pts_time:0.0333333 duration:    512"
        b" fmt:gray s:32x18 i:P iskey:0 type:B checksum:0",
        b"[h264 @ 0x2] error while decoding MB 3 4",
        # An ffmpeg whose showinfo does not print the key flag: taken as a key frame.
        b"[Parsed_showinfo_0 @ 0x1] n:   2 pts:   1536 pts_time:0.1     duration:    512",
    ]
    feed_stderr(reader, lines)
    assert reader._frames == [(-0.0333333, True), (0.0333333, False), (0.1, True)]
    assert list(reader.stderr_tail) == ["[h264 @ 0x2] error while decoding MB 3 4"]
