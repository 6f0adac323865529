"""Bytes damaged inside a stream: the decoder hides the damage (it conceals, or shows a
frame again), so the analysis listens to its complaints and the file's note says where
(issue 27)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipkit.analysis.analyse import analyse, damaged_spans
from clipkit.cli import main
from clipkit.detection import detect_with_notes
from clipkit.media import decode
from clipkit.media.probe import probe
from tests.conftest import ffmpeg
from tests.test_decode import feed_stderr, info

DURATION = 8.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(clean, damaged): the same 8 s clip, the second with 3 kB overwritten at 45 % of
    its bytes (about 3.6 s in)."""
    d = tmp_path_factory.mktemp("damaged")
    clean, bad = d / "clean.mp4", d / "bad.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={DURATION}", "-c:v", "libx264",
           "-g", "50", "-movflags", "+faststart", str(clean))  # fmt: skip
    data = bytearray(clean.read_bytes())
    rng = random.Random(1)
    at = int(len(data) * 0.45)
    for k in range(at, at + 3000, 7):
        data[k] = rng.randrange(256)
    bad.write_bytes(bytes(data))
    return clean, bad


def test_the_analysis_says_where_the_stream_is_damaged(
    clips: tuple[Path, Path], tmp_path: Path
) -> None:
    clean, bad = clips
    assert analyse(probe(clean)).meta["damaged"] == []
    spans = analyse(probe(bad)).meta["damaged"]
    assert len(spans) == 1
    a, b = spans[0]
    assert 2.0 <= a <= b <= 5.0  # about where the bytes were overwritten


def test_the_note_names_the_damage_and_its_time(clips: tuple[Path, Path]) -> None:
    clean, bad = clips
    assert not detect_with_notes(analyse(probe(clean))).notes
    (note,) = detect_with_notes(analyse(probe(bad))).notes
    assert note.startswith("the file is damaged: ffmpeg could not decode all of it around ")
    result = CliRunner().invoke(main, ["detect", str(bad), "--cache-dir", str(clean.parent)])
    assert result.exit_code == 0, result.output
    assert "note: the file is damaged" in result.output
    assert "Traceback" not in result.output


def test_complaints_are_timed_by_the_frames_around_them() -> None:
    reader = decode.FrameReader(info("h264", 30.0), decode.DecodePlan(32, 18, False))
    lines = [
        b"[Parsed_showinfo_2 @ 0x1] [info] n:   0 pts:      0 pts_time:0 iskey:1",
        b"[Parsed_showinfo_2 @ 0x1] [info] n:   1 pts:    512 pts_time:1.5 iskey:0",
        b"[h264 @ 0x2] [error] Invalid NAL unit size (14681258 > 1194).",
        b"[vist#0:0/h264 @ 0x3] [warning] corrupt decoded frame",
        b"[out#0/rawvideo @ 0x4] [error] Error writing trailer: Broken pipe",  # not damage
        b"[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':",
    ]
    feed_stderr(reader, lines)
    assert reader.damage() == [1.5, 1.5]
    assert reader.problem() == "Error writing trailer: Broken pipe"


def test_complaints_close_together_are_one_stretch() -> None:
    assert damaged_spans([]) == []
    assert damaged_spans([3.04, 3.0, 3.5, 7.2, 9.0, 9.9]) == [[3.0, 3.5], [7.2, 7.2], [9.0, 9.9]]
