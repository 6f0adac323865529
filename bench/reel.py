"""Reel render speed: clipkit against one ffmpeg filtergraph doing the same reel.

A reel of ten moments (4 s cuts of 1920x1080 footage, each with its numbered card),
the title card first and a recovery shot last, 0.3 s crossfades, at the preset's size:
rendered by clipkit (clipkit.posts.reelrender) and by one ffmpeg command (trim,
crop/scale, overlay of the same card pictures, xfade; the sound crossfaded and given
the measured gain through the same limiter), alternately, at the same x264 settings.
Prints both wall and CPU times and the ratio (target <= 1.3), and that the outputs
match: size, frame count, duration and PSNR.

    python bench/reel.py [--repeat N] [--preset reels] [--keep DIR] [--moviepy]

``--moviepy`` also times moviepy's own compositing of the same reel (pictures only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

# bench/render.py: its footage, timer, frame count, PSNR and verdict.
from render import frames, psnr, timed, verdict, workspace

from clipkit.clips.captions import layout
from clipkit.clips.plan import ClipPlan
from clipkit.clips.presets import Preset, load_preset
from clipkit.clips.reframe import _centre_crop
from clipkit.media import audio as media_audio
from clipkit.media.ffmpeg import run_ffmpeg
from clipkit.media.probe import probe
from clipkit.posts.reel import ReelOptions, ReelPlan, plan_reel
from clipkit.posts.reelrender import audio_spans, moment_caption, render_reel, title_card
from clipkit.render import loudness
from clipkit.render.clip import FASTSTART, TAG_BT709, x264_args

MOMENTS = 10
TARGET = 1.3  # at most this many times ffmpeg's wall time
MIN_PSNR = 35.0  # dB between the two outputs (crossfades mix in RGB vs YUV)


def bench_reel(src: Path, preset: str) -> ReelPlan:
    """Ten moments spread over the 20 s footage, each with a recovery shot at 15-17.5 s."""
    plans = [
        ClipPlan(source=str(src), index=i + 1, start=1.2 * i, end=1.2 * i + 6.0,
                 peak=1.2 * i + 2.0, score=0.5 + 0.04 * i, caption=f"Oops number {i + 1}",
                 recovery_caption="Nailed it anyway", output=f"m{i}.mp4", preset=preset,
                 recovery_source=str(src), recovery_start=15.0, recovery_end=17.5)
        for i in range(MOMENTS)
    ]  # fmt: skip
    reel = plan_reel(plans, "Fail Friday, bench", ReelOptions(cut_max=4.0, max_length=900))
    assert reel is not None
    return reel


def ffmpeg_reference(reel: ReelPlan, preset: Preset, work: Path, out: Path) -> None:
    """The same reel from one ffmpeg command."""
    w, h = preset.size
    info = probe(reel.parts[1].source)
    cx, cy, cw, ch = _centre_crop(info.width, info.height, w / h)
    title = work / "title.png"
    Image.fromarray(title_card(reel.title, preset)).save(title)
    args, video, cards = ["-y"], [], []
    for i, part in enumerate(reel.parts):
        if part.kind == "title":
            args += ["-loop", "1", "-framerate", f"{preset.fps:g}", "-t", f"{part.length:.6f}",
                     "-i", str(title)]  # fmt: skip
            video.append(f"[{i}:v]fps={preset.fps:g},setpts=PTS-STARTPTS[p{i}]")
            continue
        args += ["-ss", f"{part.start:.6f}", "-t", f"{part.length:.6f}", "-i", part.source]
        text = moment_caption(part)
        cap = layout(text, preset, w, h)
        assert cap is not None
        png = work / f"card{i}.png"
        Image.fromarray(cap.rgba).save(png)
        cards.append((i, png, cap.x, cap.y))
        video.append(
            f"[{i}:v]fps={preset.fps:g},trim=duration={part.length:.6f},setpts=PTS-STARTPTS,"
            f"crop={cw}:{ch}:{cx}:{cy},scale={w}:{h}:flags=bilinear[c{i}]"
        )
    n = len(reel.parts)
    for k, (i, png, x, y) in enumerate(cards):
        args += ["-i", str(png)]
        video.append(f"[c{i}][{n + k}:v]overlay={x}:{y}[p{i}]")
    last = "p0"
    for i in range(1, n):
        video.append(
            f"[{last}][p{i}]xfade=transition=fade:duration={reel.transition:g}:"
            f"offset={reel.parts[i].at:.6f}[x{i}]"
        )
        last = f"x{i}"
    video.append(f"[{last}]format=yuv420p,{TAG_BT709}[vout]")
    spans = audio_spans(reel, {info.path: info})
    silence = n + len(cards)  # the title card's sound
    args += ["-f", "lavfi", "-t", f"{spans[0].length:.6f}", "-i", "anullsrc=r=48000:cl=stereo"]
    labels = [f"{silence}:a"] + [f"{i}:a" for i in range(1, n)]
    m = media_audio.measure(spans, reel.transition, reel.duration, preset.audio_fade)
    audio = media_audio.chain(labels, spans, reel.transition, reel.duration, preset.audio_fade,
                              loudness.apply_filter(preset, m))  # fmt: skip
    args += [
        "-filter_complex", ";".join(video) + ";" + audio,
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "libx264", "-preset", preset.x264_preset, "-pix_fmt", "yuv420p",
        *x264_args(preset),
        "-c:a", "aac", "-b:a", f"{preset.audio_bitrate}k", "-ar", "48000", "-ac", "2",
        *FASTSTART, str(out),
    ]  # fmt: skip
    res = run_ffmpeg(args)
    if res.returncode != 0:
        sys.exit(res.stderr.decode()[-800:])


def moviepy_reel(reel: ReelPlan, preset: Preset, out: Path) -> None:
    """The reel's pictures by moviepy's own compositing (subclipped, cropped, resized,
    an ImageClip card composited on each, CrossFadeIn, concatenate_videoclips with
    padding): what clipkit would be had it used moviepy's public API. Pictures only,
    which flatters it: no sound is made."""
    from moviepy import CompositeVideoClip, ImageClip, VideoFileClip, concatenate_videoclips, vfx

    w, h = preset.size
    info = probe(reel.parts[1].source)
    cx, cy, cw, ch = _centre_crop(info.width, info.height, w / h)
    sources, parts = [], []
    for i, part in enumerate(reel.parts):
        if part.kind == "title":
            clip = ImageClip(title_card(reel.title, preset)).with_duration(part.length)
        else:
            src = VideoFileClip(part.source, audio=False)
            sources.append(src)
            cut = src.subclipped(part.start, part.start + part.length)
            cut = cut.cropped(x1=cx, y1=cy, width=cw, height=ch).resized(new_size=(w, h))
            cap = layout(moment_caption(part), preset, w, h)
            assert cap is not None
            card = ImageClip(cap.rgba).with_position((cap.x, cap.y)).with_duration(part.length)
            clip = CompositeVideoClip([cut, card], size=(w, h))
        if i:
            clip = clip.with_effects([vfx.CrossFadeIn(reel.transition)])
        parts.append(clip)
    whole = concatenate_videoclips(parts, method="compose", padding=-reel.transition)
    whole.write_videofile(str(out), fps=preset.fps, codec="libx264", audio=False,
                          preset=preset.x264_preset, pixel_format="yuv420p", logger=None,
                          ffmpeg_params=["-vf", TAG_BT709, *x264_args(preset)])  # fmt: skip
    whole.close()
    for src in sources:
        src.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    ap.add_argument("--preset", default="reels")
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    ap.add_argument(
        "--moviepy", action="store_true", help="also time moviepy's own compositing, once"
    )
    opts = ap.parse_args()
    preset = load_preset(opts.preset)
    work, src = workspace(opts.keep, "clipkit-bench-reel-")
    reel = bench_reel(src, preset.name)
    ours_out, ref_out = work / "clipkit.media.mp4", work / "ffmpeg.mp4"
    ours, ref = [], []
    for _ in range(opts.repeat):  # alternate, so load from other work hits both alike
        ref.append(timed(ffmpeg_reference, reel, preset, work, ref_out))
        ours.append(timed(render_reel, reel, preset, ours_out))
    (ow, oc), (rw, rc) = min(ours), min(ref)
    a, b = probe(ours_out), probe(ref_out)
    fa, fb = frames(ours_out), frames(ref_out)
    checks = {
        "size": (a.width, a.height) == (b.width, b.height) == preset.size,
        "frames": abs(fa - fb) <= 1,
        "duration": abs(a.duration - b.duration) < 1.5 / preset.fps,
        "psnr": (p := psnr(ours_out, ref_out)) >= MIN_PSNR,
        "wall": ow / rw <= TARGET,
    }
    moments = sum(part.kind == "moment" for part in reel.parts)
    print(f"reel: {moments} moments, {reel.duration:.1f} s at {preset.size[0]}x{preset.size[1]}")
    print(f"ffmpeg filtergraph: wall {rw:6.2f} s  cpu {rc:6.2f} s")
    print(f"clipkit reel:       wall {ow:6.2f} s  cpu {oc:6.2f} s")
    print(f"ratio: wall {ow / rw:.2f}x  cpu {oc / rc:.2f}x  (target <= {TARGET})")
    print(f"outputs: {a.duration:.2f} s / {b.duration:.2f} s, frames {fa} / {fb}, PSNR {p:.1f} dB")
    if opts.moviepy:
        mw, mc = timed(moviepy_reel, reel, preset, work / "moviepy.mp4")
        print(f"moviepy compositing: wall {mw:6.2f} s  cpu {mc:6.2f} s  (pictures only): "
              f"{mw / rw:.2f}x ffmpeg's wall")  # fmt: skip
    return verdict(checks, work, opts.keep is not None)


if __name__ == "__main__":
    sys.exit(main())
