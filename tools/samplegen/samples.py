"""The committed sample set (samples/) and its labels.yaml, and a long scene for
benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

from tools.samplegen.encode import render_scene
from tools.samplegen.scene import RGB, Happening, SceneSpec, Shot, labels

APPLE: RGB = (185, 30, 25)
TIN: RGB = (222, 224, 230)
JUICE: RGB = (240, 145, 30)
WINE: RGB = (120, 20, 40)

SCENES: tuple[SceneSpec, ...] = (
    SceneSpec(
        name="counter_stir_drop_spill.mp4",
        duration=42.0,
        seed=11,
        shots=(Shot(0.0, 35.5, "stir", "wood"), Shot(35.5, 42.0, "dish", "marble")),
        happenings=(
            Happening("drop", 12.0, x=0.72, color=APPLE),
            Happening("spill", 24.5, x=0.66, color=JUICE),
        ),
        notes="fixed camera over a wooden counter, a spoon circling in a pot the whole time; "
        "an apple falls into view and bounces (12 s), a glass of juice tips and splashes "
        "(24.5 s); hard cut to the finished dish; hand at the lens at both ends",
    ),
    SceneSpec(
        name="handheld_chop_pan_drop.mp4",
        duration=36.0,
        seed=22,
        shots=(Shot(0.0, 29.5, "chop", "wood"), Shot(29.5, 36.0, "dish", "marble")),
        happenings=(Happening("pan", 9.0), Happening("drop", 19.5, x=0.78, color=TIN)),
        handheld=True,
        notes="handheld, continuous shake, rhythmic chopping with knife taps; a fast pan "
        "away at 9 s (whole-frame motion, not an event) and a slow drift back; a tin "
        "falls and clatters at 19.5 s; cut to the dish (steady)",
    ),
    SceneSpec(
        name="negative_cut_light_clang.mp4",
        duration=40.0,
        seed=33,
        shots=(
            Shot(0.0, 14.0, "chop", "wood"),
            Shot(14.0, 33.5, "stir", "stone"),
            Shot(33.5, 40.0, "dish", "marble"),
        ),
        happenings=(Happening("light", 20.0), Happening("loud", 27.0)),
        notes="negative: busy chopping, a hard cut at 14 s to stirring on stone, the room "
        "light off at 20 s and on again at 21.2 s, a loud clang off screen at 27 s with "
        "no motion; no mishap",
    ),
    SceneSpec(
        name="portrait_phone_spill.mp4",
        duration=30.0,
        seed=44,
        shots=(Shot(0.0, 23.5, "stir", "stone"), Shot(23.5, 30.0, "dish", "marble")),
        happenings=(Happening("spill", 13.0, x=0.3, y=0.86, color=WINE),),
        width=360,
        height=640,
        handheld=True,
        shake=0.02,  # light: half the handheld sample's
        rotate=True,
        vfr=True,
        notes="phone footage: 9:16, coded 640x360 with a 90 degree display rotation, "
        "variable frame rate (jitter, and ~20 fps from 12 s to 18 s); light shake; a glass "
        "of red wine tips and splashes at 13 s",
    ),
)


def bench_spec(duration: float = 60.0, seed: int = 1) -> SceneSpec:
    """A long fixed-camera scene for benchmarks: stirring, a drop, a spill, the dish."""
    dish = duration - 6.5
    return SceneSpec(
        name=f"bench_{int(duration)}s.mp4",
        duration=duration,
        seed=seed,
        shots=(Shot(0.0, dish, "stir", "wood"), Shot(dish, duration, "dish", "marble")),
        happenings=(
            Happening("drop", duration * 0.3, color=APPLE),
            Happening("spill", duration * 0.6, x=0.66, color=JUICE),
        ),
        notes="benchmark scene",
    )


LABELS_HEADER = """\
# Ground truth for the generated samples. Written by `python -m tools.samplegen`
# (make samples) from the generator's scene descriptions: do not edit by hand.
# Times are seconds from the start of the file (as ffmpeg decodes it).
#
#   events:   windows where a mishap happens and a detector must report a moment
#             (from just before the burst starts to just after it ends).
#   ignore:   windows where reporting is neither right nor wrong; nothing else in
#             the file should be reported.
#   recovery: the calm, sharp finished-dish shot near the end of the file.
#   notes:    what the clip shows and what makes it hard.
"""


def _flow(value: object) -> str:
    return str(value).replace("'", "")


def labels_yaml(scenes: tuple[SceneSpec, ...] = SCENES) -> str:
    """labels.yaml's text for ``scenes``."""
    import yaml  # only needed here

    parts = [LABELS_HEADER]
    for spec in scenes:
        lab = labels(spec)
        notes = yaml.safe_dump(lab["notes"], width=10_000).strip().removesuffix("...").strip()
        parts.append(
            f"\n{spec.name}:\n  events: {_flow(lab['events'])}\n  ignore: {_flow(lab['ignore'])}"
            f"\n  recovery: {_flow(lab['recovery'])}\n  notes: {notes}\n"
        )
    return "".join(parts)


def write_samples(
    outdir: str | os.PathLike[str], scenes: tuple[SceneSpec, ...] = SCENES
) -> list[Path]:
    """Render every scene into ``outdir`` (as its spec says) and write its labels.yaml."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [render_scene(spec, out / spec.name) for spec in scenes]
    (out / "labels.yaml").write_text(labels_yaml(scenes))
    return paths
