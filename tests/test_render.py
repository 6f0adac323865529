"""Render: every built-in preset from a short clip, probed; captions; recovery; bad output.

The encoder runs at x264 ``superfast`` here: the speed setting changes nothing the
tests probe, and keeps eight 1080p renders within the suite's time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from clipkit.clips.captions import safe_box
from clipkit.clips.plan import ClipPlan, crop_for, plan_clips
from clipkit.clips.presets import Preset, list_presets, load_preset
from clipkit.clips.reframe import Crop
from clipkit.detection import Moment
from clipkit.errors import OutputError, RenderError
from clipkit.files import check_output_dir
from clipkit.media import filters
from clipkit.media.ffmpeg import has_filters, run_ffmpeg
from clipkit.media.probe import probe
from clipkit.render import clip as render
from clipkit.render.clip import Shot, render_clip

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TEXT = "Ça glisse! Crème brûlée, señor Müller heißt"


def _fast(name: str) -> Preset:
    return load_preset(name).with_overrides(x264_preset="superfast")


# The shortest clip every preset allows: 3.9 s + 1.5 s recovery - 0.3 s crossfade = 5.1 s.
MAIN, RECOVERY = (2.0, 5.9), (9.0, 10.5)


def _plan(
    src: Path,
    preset: Preset,
    recovery: tuple[float, float] | None = RECOVERY,
    main: tuple[float, float] = MAIN,
) -> ClipPlan:
    return ClipPlan(
        source=str(src),
        index=1,
        start=main[0],
        end=main[1],
        peak=main[0] + 1,
        score=1.0,
        caption=TEXT,
        recovery_caption="Nailed it ç",
        output="",
        preset="",
        recovery_source=str(src) if recovery else None,
        recovery_start=recovery[0] if recovery else None,
        recovery_end=recovery[1] if recovery else None,
    )


def _render(plan: ClipPlan, preset: Preset, out: Path) -> render.RenderResult:
    return render_clip(plan, preset, out, probe(plan.source))


def _loudness(path: Path) -> float:
    err = run_ffmpeg(
        ["-nostats", "-i", str(path), "-map", "0:a", "-af", "ebur128", "-f", "null", "-"]
    ).stderr.decode()
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


@pytest.fixture(scope="module")
def footage(make_clip: Callable[..., Path]) -> Path:
    return make_clip("land.mp4", duration=12.0, size="640x360", fps=30)


@pytest.mark.parametrize("name", list_presets())
def test_render_each_preset(name: str, footage: Path, tmp_path: Path) -> None:
    preset = _fast(name)
    res = _render(_plan(footage, preset), preset, tmp_path)
    assert res.path.name == f"land_01_{name}.mp4" and res.path.is_file()
    info = probe(res.path)
    assert (info.width, info.height) == preset.size
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    header = run_ffmpeg(["-i", str(res.path)]).stderr.decode()
    assert "Video: h264 (High)" in header and "bt709" in header
    assert info.fps == preset.fps and not info.variable_fps
    assert preset.min_length <= info.duration <= preset.max_length
    want = MAIN[1] - MAIN[0] + RECOVERY[1] - RECOVERY[0] - preset.crossfade
    assert abs(info.duration - want) < 0.1
    assert info.has_audio and info.audio_rate == 48000 and info.audio_channels == 2
    assert abs(_loudness(res.path) - preset.loudness) <= 1.0
    from PIL import Image

    with Image.open(res.cover) as cover:
        assert cover.format == "JPEG" and cover.size == preset.size
    assert not list(tmp_path.glob(".*part*"))  # temporary files are gone


@pytest.mark.parametrize("name", list_presets())
def test_caption_pixels_inside_safe_zone(name: str, footage: Path) -> None:
    preset = load_preset(name)
    span = Shot(probe(footage), 2.0, 4.0, preset, TEXT)
    try:
        with_text = span.frame(1.0)
        span.caption = None
        without = span.frame(1.0)  # the same decoded frame, no caption
    finally:
        span.close()
    ys, xs = np.nonzero(np.abs(with_text.astype(int) - without).max(axis=2))
    x0, y0, x1, y1 = safe_box(preset, *preset.size)
    assert ys.size > 0
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


def test_silent_source_gets_a_silent_track(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    src = make_clip("silent.mp4", duration=8.0, size="320x180", fps=25, audio=False)
    preset = _fast("x")
    res = _render(_plan(src, preset, recovery=None, main=(1.0, 7.0)), preset, tmp_path)
    info = probe(res.path)
    assert info.has_audio and info.audio_rate == 48000
    assert info.fps == 25 and abs(info.duration - 6.0) < 0.1  # peak: the source's rate


def test_what_a_caption_lost_is_in_the_clips_note(footage: Path, tmp_path: Path) -> None:
    preset = _fast("reels").with_overrides(width=180, height=320)
    long = " ".join(["the whole pot of pasta goes everywhere"] * 6)
    plan = replace(_plan(footage, preset, recovery=None), caption=f"Oops \U0001f373 {long}")
    note = _render(plan, preset, tmp_path).note
    assert "caption: \U0001f373 not in the font DejaVuSans-Bold.ttf: left out" in note
    assert "caption cut short to fit 2 line(s)" in note


def test_a_caption_the_font_cannot_draw_at_all_is_in_the_note(
    footage: Path, tmp_path: Path
) -> None:
    preset = _fast("reels").with_overrides(width=180, height=320)
    plan = replace(_plan(footage, preset), recovery_caption="\U0001f373\U0001f525")
    note = _render(plan, preset, tmp_path).note
    assert "recovery caption: \U0001f373\U0001f525 not in the font" in note
    assert note.endswith("no caption") or "no caption;" in note


def test_unwritable_output_folder_fails_first(footage: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="output folder cannot be written"):
        check_output_dir(blocker / "out")
    with pytest.raises(OutputError, match="output folder cannot be written"):
        _render(_plan(footage, _fast("reels")), _fast("reels"), blocker)


def _frame_at(path: Path, t: float, size: tuple[int, int]) -> np.ndarray:
    out = run_ffmpeg(
        [
            "-ss",
            f"{t:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ]
    ).stdout
    return np.frombuffer(out, np.uint8).reshape(size[1], size[0], 3).astype(float)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / max(np.mean((a - b) ** 2), 1e-9)))


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_recovery_shot_comes_from_labelled_window(tmp_path: Path) -> None:
    from clipkit.analysis.analyse import analyse

    name = "counter_stir_drop_spill.mp4"
    label = yaml.safe_load((SAMPLES / "labels.yaml").read_text())[name]
    info = probe(SAMPLES / name)
    signals = analyse(info, cache_dir=tmp_path / "cache")
    (a, b) = label["events"][0]
    preset = _fast("reels").with_overrides(width=540, height=960)
    (plan,) = plan_clips(info, signals, [Moment(a, (a + b) / 2, b, 1.0)], preset)
    lo, hi = label["recovery"]
    assert plan.recovery is not None and lo <= plan.recovery[0] < plan.recovery[1] <= hi
    res = render_clip(plan, preset, tmp_path, info)
    # The clip's last frame is the source's recovery footage through the same reframing.
    last = _frame_at(res.path, res.duration - 0.1, preset.size)
    rcap = plan.recovery_caption or ""  # as render_clip reads it
    span = Shot(info, plan.recovery[1] - 0.2, plan.recovery[1], preset, rcap)
    crop = crop_for(info, signals, preset, a, b, plan.peak)
    mishap = Shot(info, a, b, preset, rcap, crop)
    try:
        want, other = span.frame(0.1), mishap.frame(0.5)
    finally:
        span.close()
        mishap.close()
    assert _psnr(last, want) > 30 > _psnr(last, other) + 3


def test_a_still_recovery_holds_one_frame_with_a_slow_zoom(footage: Path, tmp_path: Path) -> None:
    """The still is the frame at recovery_start, held (silent) until recovery_end, even
    past the file's end, zooming in slowly: its first frame is that frame, its last the
    same frame enlarged, and the clip is as long as both spans less the crossfade."""
    preset = _fast("reels").with_overrides(width=360, height=640)
    plan = replace(_plan(footage, preset, recovery=(11.0, 13.0)), recovery_still=True,
                   recovery_caption="")  # fmt: skip
    res = _render(plan, preset, tmp_path)
    xfade = min(preset.crossfade, 1.0, (MAIN[1] - MAIN[0]) / 2)
    assert res.duration == pytest.approx(MAIN[1] - MAIN[0] + 2.0 - xfade, abs=0.1)
    held = Shot(probe(footage), 11.0, 11.1, preset, "")
    try:
        want = held.frame(0.0)
    finally:
        held.close()
    first = _frame_at(res.path, res.duration - 2.0 + xfade + 0.05, preset.size)
    last = _frame_at(res.path, res.duration - 0.05, preset.size)
    zoomed = render.zoom_in(want.astype(np.uint8), render.STILL_ZOOM).astype(float)
    # (testsrc2's sharp pattern and a fast x264 setting keep PSNR in the high 20s)
    assert _psnr(first, want) > 25
    assert _psnr(last, zoomed) > 25 and _psnr(last, zoomed) > _psnr(last, want) + 3


@pytest.mark.skipif(not (SAMPLES / "portrait_phone_spill.mp4").exists(), reason="no samples/")
def test_rotated_phone_footage_is_read_upright() -> None:
    src = SAMPLES / "portrait_phone_spill.mp4"
    info = probe(src)
    assert info.rotation in (90, 270) and info.portrait
    preset = load_preset("reels")
    span = Shot(probe(src), 5.0, 6.0, preset, "")
    try:
        assert tuple(span.reader.size) == (info.width, info.height)
        frame = span.frame(0.0)
    finally:
        span.close()
    # ffmpeg's own upright decode, scaled like the span's (same shape: no crop).
    want = _frame_at(src, 5.0, (info.width, info.height))
    want = cv2.resize(want.astype(np.uint8), preset.size, interpolation=cv2.INTER_LINEAR)
    assert _psnr(frame.astype(float), want.astype(float)) > 25


def test_recovery_from_another_file(
    footage: Path, make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    other = make_clip("plated.mp4", duration=3.0, size="320x240", fps=25, audio=False)
    preset = _fast("x")
    plan = _plan(footage, preset)
    plan = ClipPlan(
        **{
            **plan.to_dict(),
            "recovery_source": str(other),
            "recovery_start": 0.0,
            "recovery_end": 2.0,
        }
    )
    res = _render(plan, preset, tmp_path)
    info = probe(res.path)
    assert abs(info.duration - (MAIN[1] - MAIN[0] + 2.0 - preset.crossfade)) < 0.1
    assert info.has_audio and abs(_loudness(res.path) - preset.loudness) <= 1.0


needs_zscale = pytest.mark.skipif(
    not has_filters("zscale", "tonemap"), reason="this ffmpeg has no zscale/tonemap"
)
# SMPTE colour bars, as BT.709 SDR and as the same scene in HLG (BT.2100, reference
# white at 203 cd/m2, BT.2408), 8-bit H.264 so that any ffmpeg with libx264 decodes it.
BARS = "smptehdbars=s=320x180:r=30:d=2,format=yuv444p," + (
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
)
TO_HLG = (
    "zscale=t=linear:npl=203,format=gbrpf32le,"
    "zscale=p=bt2020:t=arib-std-b67:m=bt2020nc:r=tv:npl=203,format=yuv420p"
)
HLG_TAGS = ["-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"]


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(SDR, HLG) files of the same colour bars."""
    d = tmp_path_factory.mktemp("hdr")
    sdr, hlg = d / "sdr.mp4", d / "hlg.mp4"
    for out, vf, tags in ((sdr, "format=yuv420p", []), (hlg, TO_HLG, HLG_TAGS)):
        run_ffmpeg(
            ["-y", "-f", "lavfi", "-i", BARS, "-vf", vf, "-c:v", "libx264", "-crf", "12",
             *tags, str(out)],
        )  # fmt: skip
        assert out.exists(), f"could not make {out.name}"
    return sdr, hlg


def test_probe_reads_colour_tags(bars: tuple[Path, Path]) -> None:
    sdr, hlg = (probe(p) for p in bars)
    assert (sdr.matrix, sdr.transfer, sdr.hdr) == ("bt709", "bt709", "")
    assert (hlg.matrix, hlg.transfer, hlg.hdr) == ("bt2020nc", "arib-std-b67", "HLG")


@needs_zscale
@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])  # HLG, PQ (HDR10)
def test_hdr_footage_is_tone_mapped_to_sdr(
    bars: tuple[Path, Path], transfer: str, tmp_path: Path
) -> None:
    sdr, hdr = bars
    if transfer != "arib-std-b67":
        hdr = tmp_path / "pq.mp4"
        run_ffmpeg(
            ["-f", "lavfi", "-i", BARS, "-vf", TO_HLG.replace("arib-std-b67", transfer),
             "-c:v", "libx264", "-crf", "12",
             *[t.replace("arib-std-b67", transfer) for t in HLG_TAGS], str(hdr)],
        )  # fmt: skip
    assert probe(hdr).transfer == transfer
    preset = _fast("youtube")
    want = _frame_at(sdr, 0.5, (320, 180))
    want = cv2.resize(want.astype(np.uint8), preset.size, interpolation=cv2.INTER_AREA)
    span = Shot(probe(hdr), 0.5, 1.0, preset, "")
    try:
        got = span.frame(0.0).astype(float)
    finally:
        span.close()
    # Read as BT.709, the HLG values are 31 levels off on average, every colour washed
    # out; tone-mapped, within a few levels of the SDR bars (the highlights roll off).
    assert np.abs(got - want).mean() < 15
    saturation = [
        cv2.cvtColor(f.astype(np.uint8), cv2.COLOR_RGB2HSV)[..., 1].mean() for f in (got, want)
    ]
    assert saturation[0] > 0.85 * saturation[1]
    assert "HDR" not in span.note


def test_hdr_without_zscale_says_so(
    bars: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filters, "has_filters", lambda *names: False)
    span = Shot(probe(bars[1]), 0.5, 1.0, _fast("youtube"), "")
    span.close()
    assert re.search(r"(^|; )hlg\.mp4 is HLG HDR [^;]* no zscale [^;]*washed out", span.note)


@pytest.mark.parametrize(
    ("size", "preset", "scale"),
    [
        ("176x144", "reels", "13.3x"),  # a crop 81 px wide made 1080
        ("176x144", "youtube", "7.5x"),  # the whole picture fitted into 1920x1080
        ("1920x1080", "reels", ""),  # a 608 px crop made 1080: 1.8x, nothing to say
        ("640x360", "youtube", "3.0x"),
    ],
)
def test_a_source_scaled_up_more_than_twice_is_noted(
    make_clip: Callable[..., Path], size: str, preset: str, scale: str
) -> None:
    clip = make_clip(f"up_{size}.mp4", duration=1.0, size=size, audio=False)
    span = Shot(probe(clip), 0.0, 0.5, _fast(preset), "")
    span.close()
    assert f"{span.scale:.1f}x" == scale if scale else span.scale <= render.MAX_UPSCALE
    assert span.scale_note.startswith(f"up_{size}.mp4 is {size}: scaled up ")


def test_a_clip_says_once_that_it_is_scaled_up(
    make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    """The mishap is fitted over blur (7.5x), its recovery shot cropped (13.3x): one note,
    of the softer."""
    clip = make_clip("up_note.mp4", duration=6.0, size="176x144", audio=False)
    preset = _fast("reels").with_overrides(reframe="blur", width=360, height=640)
    res = _render(_plan(clip, preset, recovery=(4.5, 5.9), main=(0.5, 4.4)), preset, tmp_path)
    assert res.note.count("scaled up") == 1, res.note


@pytest.mark.parametrize(
    ("rate", "variable", "mode", "want"),
    [
        (25.0, False, "peak", 25.0),  # kept: made 30, every fifth frame would repeat
        (23.976, False, "peak", 23.976),
        (29.97, False, "peak", 29.97),
        (30.0, False, "peak", 30.0),
        (60.0, False, "peak", 30.0),  # above the preset's rate: brought down to it
        (15.0, False, "peak", 30.0),  # below what the platforms take
        (25.0, True, "peak", 30.0),  # variable-rate phone footage: made constant
        (25.0, False, "constant", 30.0),
    ],
)
def test_output_frame_rate(
    footage: Path, rate: float, variable: bool, mode: str, want: float
) -> None:
    source = replace(probe(footage), fps=rate, variable_fps=variable)
    assert render.output_fps(_fast("reels").with_overrides(fps_mode=mode), source) == want


def test_25_fps_footage_gives_a_25_fps_clip(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    src = make_clip("pal.mp4", duration=12.0, size="640x360", fps=25)
    preset = _fast("reels").with_overrides(width=360, height=640)
    res = _render(_plan(src, preset), preset, tmp_path)
    info = probe(res.path)
    assert info.fps == 25 and not info.variable_fps
    # Every frame its own: the count is the 25 fps count (made 30, it would be 6/5 of it).
    out = run_ffmpeg(["-i", str(res.path), "-f", "null", "-"]).stderr.decode()
    frames = int(re.findall(r"frame=\s*(\d+)", out)[-1])
    assert abs(frames - info.duration * 25) <= 1


def test_non_square_pixels_are_shown_at_their_shape(make_clip: Callable[..., Path]) -> None:
    """Anamorphic footage (here 2:1 pixels, 320x360 coded for a 640x360 picture) is
    read at the shape it is shown at, not squeezed to half its width."""
    opts = {"duration": 2.0, "size": "640x360", "fps": 30, "audio": False}
    wide = make_clip("wide.mp4", **opts, extra=("-crf", "12"))
    squeezed = make_clip(
        "squeezed.mp4", **opts, extra=("-vf", "scale=320:360,setsar=2", "-crf", "12")
    )
    info = probe(squeezed)
    assert (info.width, info.height) == (640, 360)
    preset = _fast("youtube").with_overrides(width=640, height=360)
    frames = []
    for path in (wide, squeezed):
        span = Shot(probe(path), 1.0, 1.5, preset, "")
        try:
            frames.append(span.frame(0.0).astype(float))
        finally:
            span.close()
    # Only the horizontal detail lost to the squeeze differs.
    assert _psnr(frames[0], frames[1]) > 25


@needs_zscale
def test_hdr_footage_is_analysed_as_shown(bars: tuple[Path, Path], tmp_path: Path) -> None:
    from clipkit.analysis.analyse import analyse

    sdr, hlg = (analyse(probe(p), cache_dir=tmp_path) for p in bars)
    # Mean brightness: SDR 0.398; the HLG file read as it is 0.375, tone-mapped 0.388.
    assert abs(float(np.mean(hlg.brightness)) - float(np.mean(sdr.brightness))) < 0.015


def test_crop_cut_by_ffmpeg_matches_the_whole_picture_cropped(footage: Path) -> None:
    """The span's crop is cut by ffmpeg before RGB: the same pixels as cutting it from
    the whole picture (an odd corner included)."""
    from clipkit.clips.reframe import plan_reframe

    preset = _fast("reels").with_overrides(width=540, height=960)
    span = Shot(probe(footage), 3.0, 4.0, preset, "")
    try:
        got = span.frame(0.0).astype(float)
    finally:
        span.close()
    assert span.reader.size[0] < 640  # a third of the picture is read, not all of it
    whole = _frame_at(footage, 3.0, (640, 360)).astype(np.uint8)
    crop = plan_reframe(640, 360, 540, 960, preset.reframe, None)
    assert crop.rect == (219, 0, 202, 360)  # the centred crop: at an odd x
    want = crop.apply(whole).astype(float)
    assert _psnr(got, want) > 40


@pytest.mark.parametrize("size", ["640x360", "1280x720"])
def test_a_moving_crop_read_as_a_band_matches_the_whole_picture_cropped(
    make_clip: Callable[..., Path], size: str
) -> None:
    """A crop that follows the action: ffmpeg cuts (and, for a picture larger than the
    output, shrinks) the band it moves over; each frame is the crop of the whole
    picture at that moment's place on the path."""
    from clipkit.clips.reframe import Action, plan_reframe

    w, h = map(int, size.split("x"))
    src = make_clip(f"band_{size}.mp4", duration=4.0, size=size, fps=30)
    times = np.arange(0.0, 4.01, 0.25)
    cols = (np.arange(16) + 0.5) / 16
    maps = np.zeros((times.size, 12, 16))
    for k, t in enumerate(times):  # the action crosses from left to right
        maps[k, 4:8] = np.exp(-0.5 * ((cols - (0.15 + 0.7 * t / 4)) / 0.05) ** 2)
    action = Action(times, maps, (0.0, 4.0))
    preset = _fast("reels").with_overrides(width=270, height=480, reframe="crop")
    planned = plan_reframe(w, h, *preset.size, "crop", action)
    assert planned.path
    span = Shot(probe(src), 0.0, 4.0, preset, "", Crop.of(planned, 0.0))
    try:
        assert span.reader.size[0] < w * min(1.0, 270 / planned.rect[2])  # the band only
        for t in (0.5, 2.0, 3.5):
            got = span.frame(t).astype(float)
            whole = _frame_at(src, t, (w, h)).astype(np.uint8)
            want = planned.apply(whole, t).astype(float)
            luma = [cv2.cvtColor(f.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(float)
                    for f in (got, want)]  # fmt: skip
            assert _psnr(*luma) > 30, t
    finally:
        span.close()


def test_even_cut_holds_the_crop() -> None:
    from clipkit.clips.reframe import Reframe
    from clipkit.render.clip import _even_cut

    assert _even_cut(Reframe(540, 960, "crop", (203, 1, 203, 357)), 640, 360) == (202, 0, 204, 358)
    assert _even_cut(Reframe(540, 960, "crop", (0, 0, 640, 360)), 640, 360) is None  # whole
    assert _even_cut(Reframe(540, 960, "crop", (436, 0, 203, 360)), 639, 360) is None  # odd edge
    assert _even_cut(Reframe(540, 960, "blur"), 640, 360) is None


def test_pixel_shape_set_by_the_container_counts(
    make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    """HDV's 1440x1080 with a 16:9 shape set in the MOV box (not the stream) is 1920 wide."""
    raw = make_clip("hdv.mp4", duration=1.0, size="1440x1080", audio=False)
    mov = tmp_path / "hdv.mov"
    run_ffmpeg(["-i", str(raw), "-c", "copy", "-aspect", "16:9", str(mov)])
    info = probe(mov)
    assert (info.width, info.height) == (1920, 1080) and info.pixel_aspect == pytest.approx(4 / 3)


@pytest.mark.parametrize("name", ["reels", "youtube"])
def test_shrinking_in_ffmpeg_matches_the_whole_picture_shrunk(
    make_clip: Callable[..., Path], name: str
) -> None:
    """A picture larger than the output is cut and shrunk by ffmpeg (before RGB and tone
    mapping): the same picture as reframing the whole one with OpenCV."""
    from clipkit.clips.reframe import plan_reframe

    src = make_clip("big.mp4", duration=2.0, size="1280x720", fps=30)
    preset = (
        _fast(name).with_overrides(width=270, height=480)
        if name == "reels"
        else (_fast(name).with_overrides(width=480, height=270))
    )
    span = Shot(probe(src), 1.0, 1.5, preset, "")
    try:
        got = span.frame(0.0).astype(float)
    finally:
        span.close()
    assert tuple(span.reader.size) == preset.size  # shrunk before the pipe
    whole = _frame_at(src, 1.0, (1280, 720)).astype(np.uint8)
    want = plan_reframe(1280, 720, *preset.size, preset.reframe, None).apply(whole)
    # Compared in luma: shrunk before RGB, the colour is shrunk at 4:2:0 (as it is encoded
    # anyway), so saturated edges differ (31-33 dB in RGB). Luma is 48 dB here; cut one
    # pixel off, 32.
    luma = [cv2.cvtColor(f.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(float) for f in (got, want)]
    assert _psnr(*luma) > 40


def test_recovery_from_a_file_of_another_matrix_keeps_its_colours(
    footage: Path, bars: tuple[Path, Path], tmp_path: Path
) -> None:
    """The mishap is untagged SD (BT.601) and the recovery shot BT.709 colour bars: both
    come out as they are shown (the bars' colours went to YUV by BT.601 and were 8
    levels off)."""
    sdr = bars[0]
    assert probe(footage).matrix == "" and probe(sdr).matrix == "bt709"
    preset = _fast("youtube").with_overrides(width=640, height=360, crossfade=0.0)
    plan = replace(
        _plan(footage, preset, recovery=(0.2, 1.8)), recovery_source=str(sdr), recovery_caption=""
    )
    res = _render(plan, preset, tmp_path)
    got = _frame_at(res.path, res.duration - 0.2, preset.size)
    span = Shot(probe(sdr), 1.0, 1.5, preset, "")
    try:
        want = span.frame(0.0).astype(float)
    finally:
        span.close()
    # Inside the bars only (flat 9x9 neighbourhoods): what differs there is colour, not
    # coding noise at the edges.
    k = np.ones((9, 9), np.uint8)
    flat = (cv2.dilate(want, k) - cv2.erode(want, k)).max(axis=2) < 3
    assert np.abs(got - want)[flat].mean(axis=0).max() < 1.5  # 0.5 for the bars alone


def test_source_that_runs_dry_is_named(make_clip: Callable[..., Path], tmp_path: Path) -> None:
    """A source cut off in the middle (its index intact, as a phone that died leaves it):
    a clip that runs past the cut holds the last picture and its note says so; one that
    starts past it fails, naming the file and the time (moviepy blamed old ffmpeg
    versions, under the temporary file's name)."""
    full = make_clip("full.mp4", duration=12.0, size="320x180", fps=30, audio=False,
                     extra=("-movflags", "+faststart"))  # fmt: skip
    cut = tmp_path / "cut.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # about 6 s of pictures
    preset = _fast("reels").with_overrides(width=180, height=320)
    plan = replace(_plan(cut, preset, recovery=None), start=3.0, end=9.0, peak=4.0)
    note = _render(plan, preset, tmp_path / "out").note
    assert re.search(r"cut\.mp4 has no pictures after [4-7]\.\d\d s \(cut off\?\)", note)
    late = replace(plan, start=8.0, end=11.0, peak=9.0)
    with pytest.raises(RenderError, match=r"cut\.mp4: no picture at 8\.00 s \(.+\)"):
        _render(late, preset, tmp_path / "out")
    assert not [p for p in (tmp_path / "out").iterdir() if ".part" in p.name]  # no leftovers


def test_the_plans_crop_is_the_one_rendered(footage: Path) -> None:
    """A crop a person moved to the picture's left edge is cut there; a preset asking
    for blur, or a frame of another shape, does not take it."""
    from clipkit.clips.reframe import plan_reframe

    info = probe(footage)
    preset = _fast("reels").with_overrides(width=540, height=960, reframe="auto")
    crop = Crop("crop", (202, 360), ((3.0, 0, 0),))
    shot = Shot(info, 3.0, 4.0, preset, "", crop)
    try:
        got = shot.frame(0.0).astype(float)
    finally:
        shot.close()
    whole = _frame_at(footage, 3.0, (640, 360)).astype(np.uint8)
    assert shot.planned.rect == (0, 0, 202, 360)
    assert _psnr(got, crop.reframe(540, 960).apply(whole).astype(float)) > 40
    blur = preset.with_overrides(reframe="blur")
    assert render.reframe_of(info, blur, crop) == plan_reframe(640, 360, 540, 960, "blur")
    wide = preset.with_overrides(width=960, height=540)
    assert render.reframe_of(info, wide, crop) == plan_reframe(640, 360, 960, 540, "auto")
    assert render.reframe_of(info, preset, None).rect == (219, 0, 202, 360)  # centred
