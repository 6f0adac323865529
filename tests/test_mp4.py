"""The MP4/MOV sample table reader behind the non-reference picture count."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clipkit.analysis.analyse import analyse
from clipkit.media import mp4
from clipkit.media.decode import _count_copied
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.media.probe import probe
from tests.conftest import ffmpeg

# Boxes that hold other boxes on the way from moov to the sample table.
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def x264(path: Path, *extra: str, seconds: str = "4") -> Path:
    # With a sound track, so that the muxer interleaves the video in many chunks.
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=128x96:rate=30", "-f", "lavfi", "-i",
           "sine=frequency=440", "-t", seconds, "-c:v", "libx264", "-bf", "3", "-c:a", "aac",
           *extra, str(path))  # fmt: skip
    return path


def test_sample_offsets_follow_the_chunk_runs() -> None:
    # Chunks 1-2 hold 3 samples each, chunk 3 on hold 2 (the last one only 1 here).
    sizes = np.array([10, 20, 30, 1, 2, 3, 7, 8, 9], np.int64)
    chunks = np.array([1000, 2000, 3000, 4000, 5000], np.int64)
    runs = np.array([[1, 3, 1], [3, 2, 1]], np.int64)
    got = mp4._sample_offsets(sizes, chunks, runs)
    assert got is not None
    assert got.tolist() == [1000, 1010, 1030, 2000, 2001, 2003, 3000, 3007, 4000]
    # Runs that do not start at chunk 1, go backwards or hold too few samples: no table.
    assert mp4._sample_offsets(sizes, chunks, np.array([[2, 3, 1]])) is None
    assert mp4._sample_offsets(sizes, chunks, np.array([[1, 3, 1], [1, 2, 1]])) is None
    assert mp4._sample_offsets(sizes, chunks, np.array([[1, 1, 1]])) is None


def test_moov_before_or_after_the_media_gives_the_same_pictures(tmp_path: Path) -> None:
    end = x264(tmp_path / "end.mp4")
    front = x264(tmp_path / "front.mp4", "-movflags", "+faststart")
    a, b = mp4.avc_track(str(end)), mp4.avc_track(str(front))
    assert a is not None and b is not None
    assert a.sizes.tolist() == b.sizes.tolist() and a.length_size == b.length_size == 4
    assert not np.array_equal(a.offsets, b.offsets)  # the media moved...
    counts = mp4.picture_refs(str(end), a)
    assert counts == mp4.picture_refs(str(front), b) == _count_copied(str(end), 1.0, 0)
    assert counts[0] == 120 and counts[1] > 0  # ...the pictures did not


def _with_co64(buf: bytes, start: int, end: int) -> bytes:
    """The boxes of ``buf[start:end]`` with every stco rewritten as co64 (64-bit offsets)."""
    out = b""
    for kind, a, b in mp4._boxes(buf, start, end):
        if kind in CONTAINERS:
            body = _with_co64(buf, a, b)
        elif kind == b"stco":
            (n,) = struct.unpack_from(">I", buf, a + 4)
            offs = np.frombuffer(buf, ">u4", n, a + 8).astype(">u8")
            kind, body = b"co64", buf[a : a + 8] + offs.tobytes()
        else:
            body = buf[a:b]
        out += struct.pack(">I4s", 8 + len(body), kind) + body
    return out


def test_64_bit_chunk_offsets_are_read(tmp_path: Path) -> None:
    # Files over 4 GB (a few minutes of 4K) store co64; rewrite a small one's moov, which
    # comes after its media, so no offset changes.
    p = x264(tmp_path / "a.mp4")
    data = p.read_bytes()
    boxes = list(mp4._boxes(data, 0, len(data)))
    assert boxes[-1][0] == b"moov"
    q = tmp_path / "co64.mp4"
    q.write_bytes(data[: boxes[-1][1] - 8] + _with_co64(data, boxes[-1][1] - 8, len(data)))
    assert b"co64" in q.read_bytes() and b"stco" not in q.read_bytes()
    a, b = mp4.avc_track(str(p)), mp4.avc_track(str(q))
    assert a is not None and b is not None
    assert a.offsets.tolist() == b.offsets.tolist()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("frag.mp4", ("-c:v", "libx264", "-movflags", "frag_keyframe+empty_moov")),
        ("part2.mp4", ("-c:v", "mpeg4")),
        ("x264.mkv", ("-c:v", "libx264")),
    ],
)
def test_what_the_table_cannot_answer_is_left_to_ffmpeg(
    tmp_path: Path, name: str, args: tuple[str, ...]
) -> None:
    p = tmp_path / name
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=128x96:rate=30", "-t", "2", *args, str(p))
    assert mp4.avc_track(str(p)) is None


def test_a_damaged_file_gives_no_table_or_counts_what_is_there(tmp_path: Path) -> None:
    end = x264(tmp_path / "end.mp4")
    data = end.read_bytes()
    cut = tmp_path / "cut_moov.mp4"
    cut.write_bytes(data[:-200])  # the moov (at the end) is incomplete
    assert mp4.avc_track(str(cut)) is None
    front = x264(tmp_path / "front.mp4", "-movflags", "+faststart")
    track = mp4.avc_track(str(front))
    assert track is not None
    half = tmp_path / "half.mp4"
    half.write_bytes(front.read_bytes()[: int(track.offsets[60])])  # media cut half way
    assert mp4.picture_refs(str(half), track)[0] == 60
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x10ftypisom" + b"\xff" * 500)
    assert mp4.avc_track(str(junk)) is None


def test_a_sample_is_the_same_share_on_every_run(tmp_path: Path) -> None:
    p = x264(tmp_path / "long.mp4", "-preset", "ultrafast", seconds="40")
    track = mp4.avc_track(str(p))
    assert track is not None
    whole = mp4.picture_refs(str(p), track)
    part = mp4.picture_refs(str(p), track, 0.25)
    assert part == mp4.picture_refs(str(p), track, 0.25)
    assert part[0] == pytest.approx(whole[0] / 4, rel=0.15)
    assert part[1] / part[0] == pytest.approx(whole[1] / whole[0], abs=0.05)
    assert mp4.picture_refs(str(p), track, first=45) == _count_copied(str(p), 1.0, 45)


def _moov_rewritten(
    path: Path, out: Path, change: Callable[[list[tuple[bytes, bytes]]], None]
) -> None:
    """Copy ``path`` (its moov last, so no media moves) with moov's child boxes, as
    (type, payload) pairs, changed in place by ``change``."""
    data = path.read_bytes()
    kind, a, b = list(mp4._boxes(data, 0, len(data)))[-1]
    assert kind == b"moov"
    children = [(k, data[x:y]) for k, x, y in mp4._boxes(data, a, b)]
    change(children)
    body = b"".join(struct.pack(">I4s", 8 + len(p), k) + p for k, p in children)
    out.write_bytes(data[: a - 8] + struct.pack(">I4s", 8 + len(body), b"moov") + body)


def test_cover_art_stored_before_the_tracks_is_not_taken_for_the_video(tmp_path: Path) -> None:
    video = x264(tmp_path / "v.mp4")
    ffmpeg("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", str(tmp_path / "c.png"))
    cover = tmp_path / "cover.mp4"
    ffmpeg("-i", str(video), "-i", str(tmp_path / "c.png"), "-map", "0", "-map", "1",
           "-c", "copy", "-disposition:v:1", "attached_pic", str(cover))  # fmt: skip
    first = tmp_path / "cover_first.mp4"
    _moov_rewritten(cover, first, lambda ch: ch.sort(key=lambda c: c[0] != b"udta"))
    listing = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(first)],
                             capture_output=True, text=True).stderr  # fmt: skip
    assert "Stream #0:0" in listing and "attached pic" in listing.split("Stream #0:1")[0]
    track = mp4.avc_track(str(first))
    assert track is not None and track.sizes.size == 120
    # The decoder takes the H.264 track too, not the one-frame cover.
    info = probe(str(first))
    assert info.codec == "h264"
    assert analyse(info).t.size == 120


def test_a_first_track_of_h264_samples_counts_whatever_its_handler(tmp_path: Path) -> None:
    small = tmp_path / "small.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-t", "2",
           "-c:v", "libx264", "-bf", "0", str(small))  # fmt: skip
    both = tmp_path / "both.mp4"
    ffmpeg("-i", str(small), "-i", str(x264(tmp_path / "big.mp4")), "-map", "0:v", "-map", "1:v",
           "-c", "copy", str(both))  # fmt: skip

    def rename_first_handler(children: list[tuple[bytes, bytes]]) -> None:
        i = next(i for i, (k, _) in enumerate(children) if k == b"trak")
        payload = children[i][1]
        at = payload.index(b"hdlr") + 4 + 8  # box type, then version/flags, pre_defined
        children[i] = (b"trak", payload[:at] + b"auxv" + payload[at + 4 :])

    odd = tmp_path / "odd.mp4"
    _moov_rewritten(both, odd, rename_first_handler)
    for p in (both, odd):  # the 50 pictures of the first track, without B-frames
        track = mp4.avc_track(str(p))
        assert track is not None
        assert mp4.picture_refs(str(p), track) == _count_copied(str(p), 1.0, 0) == (50, 0)


def test_damaged_tables_give_none_without_building_huge_arrays(tmp_path: Path) -> None:
    p = x264(tmp_path / "a.mp4")
    data = bytearray(p.read_bytes())
    stsz = data.index(b"stsz")  # the video track's comes first
    struct.pack_into(">II", data, stsz + 8, 1, 0xFFFFFFFF)  # every sample 1 byte, 4 G of them
    bad = tmp_path / "stsz.mp4"
    bad.write_bytes(bytes(data))
    assert mp4.avc_track(str(bad)) is None
    data = bytearray(p.read_bytes())
    stsc = data.index(b"stsc")
    struct.pack_into(">I", data, stsc + 8 + 4 + 4, 0x40000000)  # a chunk of 1 G samples
    bad.write_bytes(bytes(data))
    track = mp4.avc_track(str(bad))  # the samples in the first chunk (or nothing)
    assert track is None or track.sizes.size == 120
