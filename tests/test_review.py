from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from clipkit.analysis.signals import Signals
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.run.manifest import ClipRecord
from clipkit.run.review import render_page, timeline_data_uri, timeline_png, write_review
from tests.chromium import chromium, loaded_media, run_in_page
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


def _decode_png(png: bytes) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a picture"
    return img


def test_timeline_marks_the_moment() -> None:
    png = timeline_png(signals(), [{"start": 3.5, "end": 4.5, "peak": 4.0, "score": 0.9}])
    img = _decode_png(png)
    assert img.shape[1] > 500
    x_peak = int(4.0 / 10.0 * (img.shape[1] - 1))
    # The peak line is red; far from the moment there is no red line.
    col = img[:, x_peak].astype(int)
    assert (col[:, 2] - col[:, 0] > 100).any()
    assert not (img[:, 50, 2].astype(int) - img[:, 50, 0] > 100).all()


def test_timeline_draws_turned_down_candidates_faint() -> None:
    turned = [{"start": 7.0, "end": 8.0, "peak": 7.5, "score": 0.1, "why": "the camera moved"}]
    png = timeline_png(signals(), [], turned)
    img = _decode_png(png).astype(int)
    x = lambda t: int(t / 10.0 * (img.shape[1] - 1))  # noqa: E731
    # Grey (no colour), darker than the page's background there and only there.
    band, outside = img[5, x(7.2)], img[5, x(8.6)]
    assert band.max() - band.min() < 5 and band.max() < outside.min() - 8
    assert img[5, x(7.5)].max() < band.max() - 30  # its peak: a darker grey line


def test_page_has_axis_legend_and_turned_down_reasons_without_moments() -> None:
    turned = [
        {"start": 61.0, "end": 62.5, "peak": 61.5, "score": 0.12, "why": "the lens is covered"},
        {"start": 20.0, "end": 21.0, "peak": 20.4, "score": 0.08, "why": "no sharp <sound>"},
    ]
    src = {"path": "footage/a.mp4", "duration": 95.0, "moments": [], "rejected": turned,
           "timeline": "data:image/png;base64,"}  # fmt: skip
    page = render_page([src], [])
    # The axis: a tick every 10 s of a 95 s source, as m:ss, the last at 1:30.
    assert all(f">{t}</span>" in page for t in ("0:00", "0:10", "1:00", "1:30"))
    assert ">1:40</span>" not in page
    assert "motion" in page and "sound loudness" in page and "turned down" in page
    # Both reasons, in time order, escaped.
    assert "2 candidate(s) turned down" in page
    i, j = page.index("no sharp &lt;sound&gt;"), page.index("the lens is covered")
    assert i < j


def test_ticks_and_clock() -> None:
    from clipkit.run.review import clock, ticks

    assert ticks(9.5) == list(range(10)) and ticks(30) == [0, 5, 10, 15, 20, 25, 30]
    assert len(ticks(3 * 3600)) <= 11
    assert [clock(s) for s in (0, 9.9, 75, 3725)] == ["0:00", "0:09", "1:15", "1:02:05"]


def test_covers_and_posters_keep_their_own_aspect(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "reels").mkdir()
    Image.new("RGB", (320, 180)).save(tmp_path / "reels/a_01_reels.jpg")
    page = render_page(
        [{"path": "footage/a.mp4", "moments": []}],
        [record("reels/a_01_reels.mp4", "reels/a_01_reels.jpg")],
        tmp_path,
    )
    assert page.count('width="320" height="180"') == 2  # the cover and the player
    assert 'poster="reels/a_01_reels.jpg"' in page


def test_clip_notes_are_shown() -> None:
    from dataclasses import replace

    rec = replace(
        record("reels/a_01_reels.mp4", None),
        recovery_note="no recovery shot: nothing calm after the mishap",
        notes=["loudness -16.1 LUFS; caption cut short to fit 2 line(s): shorten it"],
    )
    page = render_page([{"path": "footage/a.mp4", "moments": []}], [rec])
    for note in ("no recovery shot: nothing calm after the mishap", "loudness -16.1 LUFS",
                 "caption cut short to fit 2 line(s): shorten it"):  # fmt: skip
        assert f"<li>{note}</li>" in page


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
    assert len(media) == 4  # the timeline picture, the cover, the video's poster, the video
    assert urls[0].startswith("data:image/png")
    assert urls[1].endswith("reels/a_01_reels.jpg") and urls[2] == urls[1]
    assert urls[3].endswith("reels/a_01_reels.mp4")
    assert all(ok for _, ok in media), media


# Each clip's cover and player as laid out: [width / height on the page, the picture's own].
ASPECTS = """
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  return [...document.querySelectorAll('.clip')].map(c => {
    const cover = c.querySelector('img.cover'), video = c.querySelector('video');
    const ratio = (el) => el.getBoundingClientRect().width / el.getBoundingClientRect().height;
    return [ratio(cover), ratio(video), cover.naturalWidth / cover.naturalHeight];
  });
"""


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_landscape_and_portrait_clips_are_shown_in_their_own_shape(tmp_path: Path) -> None:
    ff = [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi"]
    records = []
    for name, size in (("tall", "180x320"), ("wide", "320x180")):
        (tmp_path / name).mkdir()
        clip, cover = f"{name}/a_01_{name}.mp4", f"{name}/a_01_{name}.jpg"
        subprocess.run([*ff, "-i", f"testsrc2=s={size}:d=1", "-pix_fmt", "yuv420p",
                        str(tmp_path / clip)], check=True)  # fmt: skip
        subprocess.run([*ff, "-i", f"testsrc2=s={size}", "-frames:v", "1", str(tmp_path / cover)],
                       check=True)  # fmt: skip
        records.append(record(clip, cover))
    page = write_review(tmp_path, [{"path": "footage/a.mp4", "moments": []}], records)
    got = run_in_page(page, ASPECTS)
    assert [round(own, 2) for _, _, own in got] == [0.56, 1.78]
    for cover, player, own in got:  # neither squeezed into the other's box
        assert abs(cover - own) < 0.03 and abs(player - own) < 0.03, got


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_chromium_check_notices_a_missing_file(tmp_path: Path) -> None:
    sources = [{"path": "footage/a.mp4", "moments": []}]
    page = write_review(tmp_path, sources, [record("reels/gone.mp4", "reels/gone.jpg")])
    assert [ok for _, ok in loaded_media(page)] == [False, False, False]


def test_links_survive_hash_and_percent_in_names() -> None:
    page = render_page(
        [{"path": "footage/a.mp4", "moments": []}],
        [record("reels/crème #1 100%_01_reels.mp4", "reels/crème #1 100%_01_reels.jpg")],
    )
    assert 'src="reels/cr%C3%A8me%20%231%20100%25_01_reels.mp4"' in page


# Presses "Save plan", then drops one clip and edits another's caption as a person would
# (a click, typing) and presses it again; hands back the files the page made (the Blobs
# behind the download links), the names they were offered under, and what the page says.
DROP_EDIT_SAVE = """
  const blobs = [], offered = [];
  const make = URL.createObjectURL;
  URL.createObjectURL = (b) => { blobs.push(b); return make.call(URL, b); };
  HTMLAnchorElement.prototype.click = function () { offered.push(this.download); };
  const card = (o) => [...document.querySelectorAll('.clip')].find(c => c.dataset.output === o);
  const button = document.querySelector('button.save');
  button.click();
  card('%(drop)s').querySelector('.keep').click();
  const cap = card('%(edit)s').querySelector('.caption');
  cap.value = '%(caption)s';
  cap.dispatchEvent(new Event('input', {bubbles: true}));
  const label = button.textContent;
  button.click();
  return {offered, unchanged: await blobs[0].text(), text: await blobs[1].text(), label,
          dropped: card('%(drop)s').classList.contains('dropped'),
          saved: document.getElementById('saved').textContent};
"""

TINY_PRESET = """\
name: tiny
width: 180
height: 320
fps: 24
x264_preset: superfast
min_length: 2
max_length: 6
recovery_length: 1
crossfade: 0.2
"""


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_the_plan_saved_in_the_page_renders_with_the_choices_made(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from clipkit.cli import main
    from clipkit.clips.plan import ClipPlan, load_plans, save_plans

    src = tmp_path / "my footage #1 100%" / "src.mp4"  # made whole from a URL: exactly
    src.parent.mkdir()
    ff = [ffmpeg_exe(), "-loglevel", "error", "-y"]
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=12", "-f", "lavfi",
                    "-i", "sine=f=440:d=12", "-pix_fmt", "yuv420p", "-shortest", str(src)],
                   check=True)  # fmt: skip
    preset = tmp_path / "tiny.yaml"
    preset.write_text(TINY_PRESET)
    out = tmp_path / "out"
    plans = [
        ClipPlan(str(src), 1, 1.0, 4.0, 2.0, 0.9, "First <fall>", "", "src_01_tiny.mp4", "tiny",
                 str(src), 10.0, 11.0, "calm at the end"),
        ClipPlan(str(src), 2, 5.0, 8.0, 6.0, 0.7, "Second", "Fine", "src_02_tiny.mp4", "tiny"),
    ]  # fmt: skip
    # As `clipkit detect --plan` writes them: with the source's fingerprint.
    from dataclasses import replace

    from clipkit.analysis.analyse import fingerprint

    stamp = fingerprint(str(src), src.stat().st_size)
    plans = [replace(p, source_fingerprint=stamp) for p in plans]
    save_plans(tmp_path / "plan.json", plans)
    runner = CliRunner()
    args = ["-p", str(preset), "-o", str(out), "--cache-dir", str(tmp_path / "cache"), "-q"]
    res = runner.invoke(main, ["render", str(tmp_path / "plan.json"), *args])
    assert res.exit_code == 0, res.output
    page = out / "index.html"
    media = loaded_media(page)
    # The timeline, 2 covers, 2 posters, 2 videos: all there and loaded.
    assert len(media) == 7 and all(ok for _, ok in media), media

    got = run_in_page(page, DROP_EDIT_SAVE % {
        "drop": "tiny/src_01_tiny.mp4", "edit": "tiny/src_02_tiny.mp4", "caption": "Edited: oops",
    })  # fmt: skip
    assert "error" not in got, got
    assert got["offered"] == ["plan-tiny.json"] * 2 and got["dropped"]
    assert got["label"] == "Save plan: tiny (1 of 2 clips)"
    assert "clipkit render plan-tiny.json -p tiny -o NEW_FOLDER" in got["saved"]
    # Saved where a browser puts downloads: elsewhere than the page and the footage.
    (tmp_path / "Downloads").mkdir()
    unchanged = tmp_path / "Downloads" / "plan-tiny (1).json"
    unchanged.write_text(got["unchanged"])
    saved = tmp_path / "Downloads" / got["offered"][1]
    saved.write_text(got["text"])
    # Unchanged, the page's plan is the plan as clipkit wrote it: nothing is redone.
    assert load_plans(unchanged) == plans
    res = runner.invoke(main, ["render", str(unchanged), *args[:-1], "-v"])
    assert res.exit_code == 0, res.output
    assert "0 clip(s) made, 2 up to date" in res.output
    doc = json.loads(got["text"])
    assert doc["version"] == 1 and [c["index"] for c in doc["clips"]] == [2]
    assert list(doc["clips"][0]) == [f for f in plans[1].to_dict()]  # the plan's own keys
    # What render reads is the plan as planned, but for the caption.
    assert doc["clips"][0]["source_fingerprint"] == stamp
    assert load_plans(saved) == [replace(plans[1], caption="Edited: oops")]

    # Into a new folder: the kept clip alone, with its new caption.
    res = runner.invoke(main, ["render", str(saved), *args[:2], "-o", str(tmp_path / "posts")])
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "posts" / "manifest.json").read_text())
    assert [(c["output"], c["caption"]) for c in manifest["clips"]] == [
        ("tiny/src_02_tiny.mp4", "Edited: oops")
    ]
    res = runner.invoke(main, ["render", str(saved), *args[:-1], "-v"])
    assert res.exit_code == 0, res.output
    # Into the same folder: the dropped clip goes, the edited one is made again.
    assert not (out / "tiny" / "src_01_tiny.mp4").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(c["output"], c["caption"]) for c in manifest["clips"]] == [
        ("tiny/src_02_tiny.mp4", "Edited: oops")
    ]
    assert "1 clip(s) made, 0 up to date" in res.output and "removed stale" in res.output
    # The saved plan is still checked against its source (issue 27): another video of the
    # same length in its place is refused.
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc=s=320x180:r=24:d=12", "-f", "lavfi",
                    "-i", "sine=f=220:d=12", "-pix_fmt", "yuv420p", "-shortest", str(src)],
                   check=True)  # fmt: skip
    res = runner.invoke(main, ["render", str(saved), *args[:2], "-o", str(tmp_path / "again")])
    assert res.exit_code == 1 and "not the file its plan was made from" in res.output, res.output


def test_a_still_recovery_shot_stays_a_still_in_the_saved_plan() -> None:
    from dataclasses import replace

    from clipkit.clips.plan import ClipPlan
    from clipkit.run.review import plan_of

    rec = replace(record("reels/a_01.mp4", None), recovery=[7.5, 10.0], recovery_still=True)
    plan = ClipPlan.from_dict(plan_of(rec))
    assert plan.recovery_still and plan.recovery == (7.5, 10.0)
    assert plan.source_fingerprint == "f"  # render of the saved plan checks its source
    assert not ClipPlan.from_dict(plan_of(replace(rec, recovery_still=False))).recovery_still
