"""Issue 29's per-clip extras through `clipkit render` (and `cut`): post text by default,
--stills, --sting, --export; each in the manifest, each with its own up-to-date check."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from clipkit.cli import main
from clipkit.clips.plan import ClipPlan, load_plans
from clipkit.clips.presets import load_preset
from clipkit.errors import InputError
from clipkit.media.audio import measure_file
from clipkit.media.ffmpeg import run_ffmpeg
from clipkit.render.sting import RATE, synth
from clipkit.run.manifest import State
from clipkit.run.review import render_page
from tests.conftest import ffmpeg

# A tiny output format: the pipeline of reels in a fraction of the time.
SMALL = "extends: reels\nwidth: 180\nheight: 320\nx264_preset: superfast\n"
FPS = 30  # reels' frame rate (the source's 25 is kept only under it with fps_mode peak)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of test picture with a quiet 440 Hz tone (room sound under the sting)."""
    out = tmp_path_factory.mktemp("src") / "pan.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=6",
           "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6,volume=0.05",
           "-pix_fmt", "yuv420p", "-shortest", str(out))  # fmt: skip
    return out


def _work(tmp_path: Path, source: Path, **plan: Any) -> tuple[Path, Path]:
    """A plan file for one clip of ``source`` (peak at 2.5 s) and the small preset."""
    clip = {"source": str(source), "index": 1, "start": 0.5, "end": 5.5, "peak": 2.5,
            "caption": "Oops", "recovery_caption": "", "output": "pan_01_small.mp4",
            "preset": "small", **plan}  # fmt: skip
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"version": 1, "clips": [clip]}))
    preset = tmp_path / "small.yaml"
    preset.write_text(SMALL)
    return plan_file, preset


def _render(plan: Path, preset: Path, out: Path, *args: str) -> Any:
    cache = str(out.parent / "cache")
    args = ("-p", str(preset), "-o", str(out), "--cache-dir", cache, *args)
    res = CliRunner().invoke(main, ["render", "-q", str(plan), *args])
    assert res.exit_code == 0, res.output
    return res


def _record(out: Path) -> dict[str, Any]:
    clips: list[dict[str, Any]] = json.loads((out / "manifest.json").read_text())["clips"]
    assert len(clips) == 1
    return clips[0]


def test_post_text_by_default_then_stills_alone(tmp_path: Path, source: Path) -> None:
    plan, preset, out = *_work(tmp_path, source), tmp_path / "out"
    _render(plan, preset, out)
    folder = out / "small"
    clip, text = folder / "pan_01_small.mp4", folder / "pan_01_small.txt"
    assert "Oops" in text.read_text()  # the caption, a question, hashtags
    assert "#kitchenfail" in text.read_text()
    assert not (folder / "pan_01_small-before-after.jpg").exists()
    rec = _record(out)
    assert rec["extras"] == {"text": "small/pan_01_small.txt"}
    made = clip.stat().st_mtime_ns, text.stat().st_mtime_ns

    # Nothing changed: nothing made.
    _render(plan, preset, out)
    assert (clip.stat().st_mtime_ns, text.stat().st_mtime_ns) == made

    # --stills later makes the still, not the clip again.
    _render(plan, preset, out, "--stills")
    still = folder / "pan_01_small-before-after.jpg"
    assert still.stat().st_size > 1000
    assert still.stat().st_mode & 0o777 == text.stat().st_mode & 0o777  # not mkstemp's 0600
    assert clip.stat().st_mtime_ns == made[0]
    rec = _record(out)
    assert rec["extras"]["still"] == "small/pan_01_small-before-after.jpg"
    with open(out / "manifest.csv") as f:
        row = next(csv.DictReader(f))
    assert row["still"] == "small/pan_01_small-before-after.jpg"
    assert row["post_text"] == "small/pan_01_small.txt"
    # The review page shows the still and links the post text.
    recs = State(out).records()
    page = render_page([{"path": recs[0].source}], recs, out)
    assert '<img class="still" src="small/pan_01_small-before-after.jpg"' in page
    assert '<a href="small/pan_01_small.txt">post text</a>' in page

    # --no-post-text (and no --stills): their files go, the clip stays.
    _render(plan, preset, out, "--no-post-text")
    assert not text.exists() and not still.exists()
    assert clip.stat().st_mtime_ns == made[0]
    assert _record(out)["extras"] == {}


def _onset(path: Path, name: str) -> float:
    """Where the sting ``name`` starts in ``path``'s sound (s): the best match of its
    waveform (the tone under it does not correlate with it)."""
    raw = run_ffmpeg(["-v", "error", "-i", str(path), "-map", "0:a", "-f", "f32le", "-ac", "1",
                      "-ar", str(RATE), "-"]).stdout  # fmt: skip
    x = np.frombuffer(raw, "<f4").astype(np.float64)
    s = synth(name)
    n = 1 << int(np.ceil(np.log2(len(x) + len(s))))
    corr = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(s, n)), n)[: len(x) - len(s)]
    return float(np.argmax(np.abs(corr))) / RATE


@pytest.mark.parametrize(("how", "name"), [("flag", "boing"), ("plan", "sad-trombone")])
def test_sting_lands_on_the_peak_at_the_target_loudness(
    tmp_path: Path, source: Path, how: str, name: str
) -> None:
    extra = {"sting": name} if how == "plan" else {}
    plan, preset, out = *_work(tmp_path, source, **extra), tmp_path / "out"
    _render(plan, preset, out, *(["--sting", name] if how == "flag" else []))
    clip = out / "small" / "pan_01_small.mp4"
    rec = _record(out)
    at = rec["peak"] - rec["start"]
    assert abs(_onset(clip, name) - at) <= 1 / FPS
    loud, _ = measure_file(clip)  # clipkit's own measurement (ebur128)
    assert abs(loud - load_preset(preset).loudness) <= 1.0


def test_a_plan_without_a_sting_keeps_its_key(source: Path) -> None:
    """Plans and clip keys made before stings existed stay as they were."""
    plan = ClipPlan(str(source), 1, 0.5, 5.5, 2.5, 0.0, "Oops", "", "a.mp4", "reels")
    assert "sting" not in plan.to_dict()


def test_a_plans_unknown_sting_says_the_choices(tmp_path: Path, source: Path) -> None:
    plan, _ = _work(tmp_path, source, sting="bong")
    with pytest.raises(InputError, match=r"sting 'bong' is not one of .*did you mean 'boing'"):
        load_plans(plan)
    plan, _ = _work(tmp_path, source, sting="none")
    assert load_plans(plan)[0].sting == ""


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--sting", "bong"], "sting 'bong' is not one of boing, whoosh, record-scratch, "
                              "sad-trombone (did you mean 'boing'?)"),
        (["--export", "otio,fcpmxl"], "export format 'fcpmxl' is not one of otio, fcpxml, edl "
                                      "(did you mean 'fcpxml'?)"),
    ],
)  # fmt: skip
def test_unknown_sting_or_format_is_a_usage_error(
    tmp_path: Path, source: Path, args: list[str], said: str
) -> None:
    plan, preset = _work(tmp_path, source)
    res = CliRunner().invoke(main, ["render", str(plan), "-p", str(preset), "-o",
                                    str(tmp_path / "out"), *args])  # fmt: skip
    assert res.exit_code == 2
    assert said in res.output
    assert not (tmp_path / "out").exists()  # before any work


def test_otio_without_its_package_says_how_to_install(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clipkit.posts.timeline as timeline

    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(timeline.importlib, "import_module", missing)
    plan, preset = _work(tmp_path, source)
    res = CliRunner().invoke(main, ["render", str(plan), "-p", str(preset), "-o",
                                    str(tmp_path / "out"), "--export", "otio"])  # fmt: skip
    assert res.exit_code == 2
    assert "pip install 'clipkit[export]'" in res.output


def test_exports_beside_the_clip(tmp_path: Path, source: Path) -> None:
    plan, preset, out = *_work(tmp_path, source), tmp_path / "out"
    _render(plan, preset, out, "--export", "edl,fcpxml,otio", "--no-post-text")
    folder = out / "small"
    rec = _record(out)
    assert set(rec["extras"]) == {"edl", "fcpxml", "otio"}
    edl = (folder / "pan_01_small.edl").read_text()
    assert "pan.mp4" in edl  # the source referenced, never copied
    assert (folder / "pan_01_small.fcpxml").read_text().startswith("<?xml")
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(folder / "pan_01_small.otio"))
    clip = next(iter(tl.tracks[0]))
    assert clip.source_range.start_time.to_seconds() == pytest.approx(0.5, abs=1 / 25)


PresetFile = Callable[[str], Path]


@pytest.fixture
def preset_file(tmp_path: Path) -> PresetFile:
    def write(text: str) -> Path:
        path = tmp_path / "p.yaml"
        path.write_text("extends: reels\n" + text)
        return path

    return write


def test_preset_fields_of_the_extras(preset_file: PresetFile) -> None:
    from clipkit.errors import PresetError
    from clipkit.posts.extras import PostOptions

    p = load_preset(preset_file("stills: true\nsting: sad_trombone\nexports: edl, otio\n"
                                "post_platform: x\npost_hashtags: '#a, b'\n"))  # fmt: skip
    opts = PostOptions.of_preset(p)
    assert opts.stills and opts.exports == ("otio", "edl") and opts.still_labels == LABELS
    assert opts.style.limits.chars == 280 and opts.style.hashtags == ("#a", "b")
    assert load_preset("shorts").post_platform == "youtube"
    assert load_preset("tiktok").post_platform == "tiktok"
    for text, said in [
        ("sting: bong\n", "'sting' 'bong' is not one of boing"),
        ("exports: edl,xml\n", "'exports' 'xml' is not one of otio, fcpxml, edl"),
        ("post_platform: insta\n", "did you mean 'instagram'"),
        ("still_labels: Before\n", "two labels"),
    ]:
        with pytest.raises(PresetError, match=said):
            load_preset(preset_file(text))


LABELS = ("Before", "After")


def test_extras_do_not_change_the_clips_key(preset_file: PresetFile) -> None:
    """Stills, post text and timelines go beside the clip: the clip's key (the preset's
    digest) stays; a sting is in its sound: the key changes."""
    base = load_preset("reels").digest()
    assert load_preset(preset_file("stills: true\nexports: edl\npost_text: false\n")).digest() == (
        base
    )
    assert load_preset(preset_file("sting_level: 3\n")).digest() == base  # no sting: no matter
    assert load_preset(preset_file("sting: boing\n")).digest() != base


def test_the_still_is_chosen_from_the_cached_analysis(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipkit.analysis.analyse import cache_key
    from clipkit.analysis.signals import Signals
    from clipkit.media.probe import probe
    from clipkit.posts import extras

    asked: list[dict[str, Any]] = []
    real = extras.write_still

    def spy(*args: Any, **kw: Any) -> Path:
        asked.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(extras, "write_still", spy)
    plan, preset, out = *_work(tmp_path, source), tmp_path / "out"
    _render(plan, preset, out, "--stills", "-j", "1")
    (kw,) = asked
    # The analysis the run cached (read back, not decoded again) chose the After frame.
    cached = Signals.load(out.parent / "cache" / f"{cache_key(probe(str(source)))}.npz")
    assert kw["signals"] is not None and np.array_equal(kw["signals"].t, cached.t)
    assert kw["recovery_signals"] is kw["signals"]  # the shot is from the same file


def test_a_new_sting_version_remakes_the_clips_with_a_sting_and_no_other(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from clipkit.run import manifest
    from clipkit.run.manifest import keyed_plan

    plain = load_preset("reels")
    stung = plain.with_overrides(sting="boing")
    quiet = ClipPlan(str(source), 1, 0.5, 5.5, 2.5, 0.0, "Oops", "", "a.mp4", "reels")
    loud = ClipPlan(str(source), 1, 0.5, 5.5, 2.5, 0.0, "Oops", "", "a.mp4", "reels",
                    sting="whoosh")  # fmt: skip
    silenced = replace(quiet, sting="")  # "" : no sting, whatever the preset's

    def keys() -> tuple[str, ...]:
        return (stung.digest(), str(keyed_plan(quiet, plain)), str(keyed_plan(quiet, stung)),
                str(keyed_plan(loud, plain)), str(keyed_plan(silenced, stung)))  # fmt: skip

    before = keys()
    monkeypatch.setattr(manifest, "STING_VERSION", manifest.STING_VERSION + 1)
    after = keys()
    same = [a == b for a, b in zip(before, after, strict=True)]
    assert same == [True, True, False, False, True]
