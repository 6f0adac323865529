"""Render speed: clipkit's moviepy path against one ffmpeg filtergraph, side by side.

Renders a 10 s 1080x1920 clip (7.8 s mishap + 2.5 s recovery shot, 0.3 s
crossfade, captions on both) from 1920x1080 footage, both ways, at the same
x264 preset and crf and the same two-pass loudness, and reports the wall and
CPU time ratio (target <= 1.3) and that the outputs match: size, frame count,
duration and PSNR >= 38 dB.

    python bench/render.py [--repeat N] [--preset reels] [--keep DIR]
    python bench/render.py --batch 50   # memory and open files over a batch

With ``--batch N`` it renders N small clips in one process instead and checks
that memory and open file handles stay flat (every clip and reader closed).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from clipkit.clips.captions import layout
from clipkit.clips.plan import ClipPlan
from clipkit.clips.presets import Preset, load_preset
from clipkit.clips.reframe import _centre_crop
from clipkit.media import audio
from clipkit.media.ffmpeg import run_ffmpeg
from clipkit.media.probe import probe
from clipkit.render import loudness
from clipkit.render.clip import FASTSTART, RGB_TO_YUV, TAG_BT709, render_clip, x264_args

MAIN = (3.0, 10.8)  # the mishap span in the footage, s
RECOVERY = (15.0, 17.5)  # the recovery span, s
TARGET = 1.3  # at most this many times ffmpeg's wall and CPU time
MIN_PSNR = 38.0  # dB between the two outputs


def make_footage(path: Path) -> None:
    """20 s of 1080p30 landscape footage with a tone (x264 veryfast, like a phone file)."""
    out = run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=1920x1080:r=30:d=20",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=20:r=48000,volume=0.3",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            # BT.709 and tagged so, like a camera's HD footage (ffmpeg's default for an
            # RGB source is BT.601, untagged, which HD footage is taken not to be).
            "-vf",
            RGB_TO_YUV,
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ]
    )
    if out.returncode != 0:
        sys.exit(out.stderr.decode()[-500:])


def bench_plan(src: Path, preset: str) -> ClipPlan:
    return ClipPlan(
        source=str(src),
        index=1,
        start=MAIN[0],
        end=MAIN[1],
        peak=6.0,
        score=1.0,
        caption="Wait for it... the pasta goes everywhere",
        recovery_caption="Nailed it anyway",
        output="clipkit.media.mp4",
        preset=preset,
        recovery_source=str(src),
        recovery_start=RECOVERY[0],
        recovery_end=RECOVERY[1],
    )


def ffmpeg_reference(src: Path, preset: Preset, work: Path, out: Path) -> None:
    """The same clip from one ffmpeg filtergraph (and the same loudnorm passes)."""
    w, h = preset.size
    info = probe(src)
    cx, cy, cw, ch = _centre_crop(info.width, info.height, w / h)
    spans = [audio.AudioSpan(str(src), a, b - a, True) for a, b in (MAIN, RECOVERY)]
    xf = preset.crossfade
    total = sum(s.length for s in spans) - xf
    caps = []
    for i, text in enumerate(("Wait for it... the pasta goes everywhere", "Nailed it anyway")):
        cap = layout(text, preset, w, h)
        assert cap is not None
        png = work / f"cap{i}.png"
        from PIL import Image

        Image.fromarray(cap.rgba).save(png)
        caps.append((png, cap.x, cap.y))
    video = []
    for i, s in enumerate(spans):
        video.append(
            f"[{i}:v]fps={preset.fps:g},trim=duration={s.length:.6f},"
            f"setpts=PTS-STARTPTS,crop={cw}:{ch}:{cx}:{cy},"
            f"scale={w}:{h}:flags=bilinear[c{i}];"
            f"[c{i}][{i + 2}:v]overlay={caps[i][1]}:{caps[i][2]}[o{i}]"
        )
    video.append(
        f"[o0][o1]xfade=transition=fade:duration={xf}:offset={spans[0].length - xf:.6f},"
        f"format=yuv420p,{TAG_BT709}[vout]"
    )
    m = audio.measure(spans, xf, total, preset.audio_fade)
    sound = audio.chain(
        ["0:a", "1:a"], spans, xf, total, preset.audio_fade, loudness.apply_filter(preset, m)
    )
    args = ["-y"]
    for s in spans:
        args += ["-ss", f"{s.start:.6f}", "-t", f"{s.length:.6f}", "-i", str(src)]
    for png, _, _ in caps:
        args += ["-i", str(png)]
    args += [
        "-filter_complex",
        ";".join(video) + ";" + sound,
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        "-c:v",
        "libx264",
        "-preset",
        preset.x264_preset,
        *x264_args(preset),
        "-c:a",
        "aac",
        "-b:a",
        f"{preset.audio_bitrate}k",
        "-ar",
        "48000",
        "-ac",
        "2",
        *FASTSTART,
        str(out),
    ]
    res = run_ffmpeg(args)
    if res.returncode != 0:
        sys.exit(res.stderr.decode()[-800:])


def timed(fn: Callable[..., object], *args: object) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its children) of ``fn(*args)``."""
    usage = resource.getrusage
    r0s, r0c = usage(resource.RUSAGE_SELF), usage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    fn(*args)
    wall = time.perf_counter() - t0
    r1s, r1c = usage(resource.RUSAGE_SELF), usage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(b, f) - getattr(a, f)
        for a, b in ((r0s, r1s), (r0c, r1c))
        for f in ("ru_utime", "ru_stime")
    )
    return wall, cpu


def frames(path: Path) -> int:
    err = run_ffmpeg(["-i", str(path), "-map", "0:v", "-f", "null", "-"]).stderr.decode()
    return int(re.findall(r"frame=\s*(\d+)", err)[-1])


def psnr(a: Path, b: Path) -> float:
    err = run_ffmpeg(
        ["-i", str(a), "-i", str(b), "-lavfi", "[0:v][1:v]psnr", "-f", "null", "-"]
    ).stderr.decode()
    m = re.search(r"average:(\S+)", err)
    return float(m.group(1)) if m and m.group(1) != "inf" else 99.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def batch(src: Path, preset: Preset, work: Path, n: int) -> bool:
    """Render ``n`` small clips; memory and file handles must not grow."""
    small = preset.with_overrides(width=270, height=480, x264_preset="superfast")
    rss, fds = [], []
    info = probe(src)
    for i in range(n):
        plan = bench_plan(src, small.name)
        render_clip(replace(plan, index=i + 1, output=f"batch_{i:02d}.mp4"), small, work, info)
        rss.append(_rss_mb())
        fds.append(len(os.listdir("/proc/self/fd")))
    warm = max(1, n // 5)  # allocator and import warm-up
    grew = rss[-1] - rss[warm]
    print(
        f"batch of {n}: RSS {rss[warm]:.0f} -> {rss[-1]:.0f} MB (+{grew:.0f}), "
        f"open files {fds[warm]} -> {fds[-1]}"
    )
    # Flat: less than 1 MB per clip of growth after warm-up, no leaked handles.
    return grew < max(20.0, n * 1.0) and fds[-1] <= fds[warm]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    ap.add_argument("--preset", default="reels")
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    ap.add_argument("--batch", type=int, default=0, help="render N small clips instead")
    opts = ap.parse_args()
    preset = load_preset(opts.preset)
    work, src = workspace(opts.keep, "clipkit-bench-")
    if opts.batch:
        return 0 if batch(src, preset, work, opts.batch) else 1
    ours_out, ref_out = work / "clipkit.media.mp4", work / "ffmpeg.mp4"
    ours, ref = [], []
    for _ in range(opts.repeat):  # alternate, so load from other work hits both alike
        ref.append(timed(ffmpeg_reference, src, preset, work, ref_out))
        plan = bench_plan(src, preset.name)
        ours.append(timed(render_clip, plan, preset, work, probe(src)))
    (ow, oc), (rw, rc) = min(ours), min(ref)
    a, b = probe(ours_out), probe(ref_out)
    checks = {
        "size": (a.width, a.height) == (b.width, b.height) == preset.size,
        "frames": frames(ours_out) == frames(ref_out),
        "duration": abs(a.duration - b.duration) < 1.5 / preset.fps,
        "psnr": (p := psnr(ours_out, ref_out)) >= MIN_PSNR,
        "wall": ow / rw <= TARGET,
        "cpu": oc / rc <= TARGET,
    }
    print(f"ffmpeg filtergraph: wall {rw:6.2f} s  cpu {rc:6.2f} s")
    print(f"clipkit (moviepy):  wall {ow:6.2f} s  cpu {oc:6.2f} s")
    print(f"ratio: wall {ow / rw:.2f}x  cpu {oc / rc:.2f}x  (target <= {TARGET})")
    print(
        f"outputs: {a.width}x{a.height} {a.duration:.2f} s / {b.duration:.2f} s, "
        f"frames {frames(ours_out)} / {frames(ref_out)}, PSNR {p:.1f} dB"
    )
    return verdict(checks, work, opts.keep is not None)


def workspace(keep: Path | None, prefix: str) -> tuple[Path, Path]:
    """The work folder (``keep``, else a new temporary one) and the footage in it."""
    work = Path(keep or tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "footage.mp4"
    if not src.exists():
        make_footage(src)
    return work, src


def verdict(checks: dict[str, bool], work: Path, keep: bool) -> int:
    """Print the checks, remove the work folder unless it is to be kept; the exit status."""
    print("checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in checks.items()))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
