from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from clipkit.ffmpeg import ffmpeg_exe
from clipkit.manifest import ClipRecord
from clipkit.review import render_page, timeline_data_uri, timeline_png, write_review
from clipkit.signals import Signals
from tests.chromium import chromium, loaded_media
from tests.conftest import flat_signals


def signals(duration: float = 10.0) -> Signals:
    t = np.linspace(0, duration, 100)
    at = np.linspace(0, duration, 1000)
    return flat_signals(
        t, duration, motion=np.where(np.abs(t - 4) < 0.5, 5.0, 0.2), sharpness=np.ones(t.size),
        audio_t=at, audio_rms=np.full_like(at, -40.0), audio_onset=np.zeros_like(at),
    )  # fmt: skip


def record(output: str, cover: str | None, caption: str = "Oops <b>") -> ClipRecord:
    return ClipRecord(
        key="k", output=output, cover=cover, preset="reels", preset_digest="d",
        source="footage/a.mp4", source_fingerprint="f", index=1, start=2.0, end=9.0, peak=4.0,
        score=0.8, reasons=["motion"], caption=caption, recovery_caption="ok",
        recovery=None, recovery_note=None, duration=7.0, size_bytes=1,
    )  # fmt: skip


def test_timeline_marks_the_moment() -> None:
    import cv2

    png = timeline_png(signals(), [{"start": 3.5, "end": 4.5, "peak": 4.0, "score": 0.9}])
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[1] > 500
    x_peak = int(4.0 / 10.0 * (img.shape[1] - 1))
    # The peak line is red; far from the moment there is no red line.
    col = img[:, x_peak].astype(int)
    assert (col[:, 2] - col[:, 0] > 100).any()
    assert not (img[:, 50, 2].astype(int) - img[:, 50, 0] > 100).all()


def test_page_escapes_text_and_links_relative() -> None:
    page = render_page(
        [{"path": "footage/a.mp4", "moments": [{"peak": 4.0, "score": 0.8}], "timeline": None}],
        [record("reels/a_01_reels.mp4", "reels/a_01_reels.jpg")],
    )
    assert "Oops &lt;b&gt;" in page and "Oops <b>" not in page
    assert 'src="reels/a_01_reels.mp4"' in page and 'src="reels/a_01_reels.jpg"' in page
    assert "http" not in page  # nothing to fetch from a server


def test_failed_source_is_shown() -> None:
    page = render_page([{"path": "bad.mp4", "error": "bad.mp4: empty file (0 bytes)"}], [])
    assert "bad.mp4: empty file (0 bytes)" in page


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_every_image_and_video_loads_in_chromium(tmp_path: Path) -> None:
    (tmp_path / "reels").mkdir()
    ff = [ffmpeg_exe(), "-loglevel", "error", "-y"]
    clip = str(tmp_path / "reels/a_01_reels.mp4")
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc2=s=180x320:d=1", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", clip], check=True)  # fmt: skip
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc2=s=180x320", "-frames:v", "1",
                    str(tmp_path / "reels/a_01_reels.jpg")], check=True)  # fmt: skip
    sources = [{"path": "footage/a.mp4", "moments": [], "timeline": timeline_data_uri(
        timeline_png(signals(), []))}]  # fmt: skip
    page = write_review(tmp_path, sources, [record("reels/a_01_reels.mp4", "reels/a_01_reels.jpg")])
    media = loaded_media(page)
    urls = [u for u, _ in media]
    assert len(media) == 3  # the timeline picture, the cover and the video
    assert urls[0].startswith("data:image/png")
    assert urls[1].endswith("reels/a_01_reels.jpg") and urls[2].endswith("reels/a_01_reels.mp4")
    assert all(ok for _, ok in media), media


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_chromium_check_notices_a_missing_file(tmp_path: Path) -> None:
    sources = [{"path": "footage/a.mp4", "moments": []}]
    page = write_review(tmp_path, sources, [record("reels/gone.mp4", "reels/gone.jpg")])
    assert [ok for _, ok in loaded_media(page)] == [False, False]


def test_links_survive_hash_and_percent_in_names() -> None:
    page = render_page(
        [{"path": "footage/a.mp4", "moments": []}],
        [record("reels/crème #1 100%_01_reels.mp4", "reels/crème #1 100%_01_reels.jpg")],
    )
    assert 'src="reels/cr%C3%A8me%20%231%20100%25_01_reels.mp4"' in page
