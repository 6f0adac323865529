"""What goes beside a rendered clip or reel: its post text, its before/after still and
its timelines for editors, in one call for the batch to make after the render.

Each returns the files it wrote by kind (``text``, ``still``, ``edl``, ``fcpxml``,
``otio``), for the manifest's columns and the review page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clipkit.analysis.signals import Signals
from clipkit.clips.plan import ClipPlan
from clipkit.clips.presets import Preset
from clipkit.posts.posttext import PostStyle, clip_post, reel_post, text_path, write_post
from clipkit.posts.reel import ReelPlan, reel_timeline
from clipkit.posts.stills import FONT, LABELS, still_path, write_still
from clipkit.posts.timeline import build_timeline, export_path, parse_exports, write_timeline


@dataclass(frozen=True)
class PostOptions:
    """Which extras to make (the proposed ``stills``, ``still_labels``, ``exports``,
    ``post_text`` and ``post_*`` preset fields)."""

    post_text: bool = True
    style: PostStyle = field(default_factory=PostStyle)
    stills: bool = False
    still_labels: tuple[str, str] = LABELS
    font: str = FONT
    exports: tuple[str, ...] = ()  # of clipkit.posts.timeline.EXPORTS

    @classmethod
    def of_preset(cls, preset: Preset) -> PostOptions:
        """The extras a preset asks for (its ``stills``, ``post_*`` and ``exports``)."""
        before, after = (preset.still_labels.split("|") + ["", ""])[:2]
        return cls(
            post_text=preset.post_text,
            style=PostStyle.of_preset(preset),
            stills=preset.stills,
            still_labels=(before.strip(), after.strip()),
            font=preset.caption_font,
            exports=parse_exports(preset.exports),
        )


def clip_extras(
    plan: ClipPlan,
    out_dir: Path,
    size: tuple[int, int],
    fps: float,
    opts: PostOptions,
    signals: Signals | None = None,
    recovery_signals: Signals | None = None,
) -> dict[str, Path]:
    """Write the extras of the clip ``plan`` rendered as ``out_dir / plan.output`` at
    ``size`` and ``fps``; ``signals``: its source's analysis, ``recovery_signals``: its
    recovery shot's file's (for the still)."""
    clip = out_dir / plan.output
    made: dict[str, Path] = {}
    if opts.post_text:
        made["text"] = text_path(clip)
        write_post(made["text"], clip_post(plan, opts.style))
    if opts.stills:
        made["still"] = write_still(plan, size, still_path(clip), signals=signals,
                                    recovery_signals=recovery_signals,
                                    labels=opts.still_labels, font=opts.font)  # fmt: skip
    if opts.exports:
        tl = build_timeline([plan], fps, clip.stem, size)
        for fmt in opts.exports:
            made[fmt] = write_timeline(tl, fmt, export_path(clip, fmt))
    return made


def reel_extras(
    reel: ReelPlan,
    plans: Sequence[ClipPlan],
    output: Path,
    size: tuple[int, int],
    fps: float,
    opts: PostOptions,
) -> dict[str, Path]:
    """Write the extras of ``reel`` (made of ``plans``) rendered as ``output``."""
    made: dict[str, Path] = {}
    # The plans shown, by file and clip (two files of one name give clips of one name).
    used = {(p.source, p.clip) for p in reel.parts if p.kind == "moment"}
    if opts.post_text:
        made["text"] = text_path(output)
        shown = [p for p in plans if (p.source, p.output) in used]
        write_post(made["text"], reel_post(shown, opts.style, reel.title))
    if opts.exports:
        tl = reel_timeline(reel, fps, reel.title, size)
        for fmt in opts.exports:
            made[fmt] = write_timeline(tl, fmt, export_path(output, fmt))
    return made


__all__ = ["PostOptions", "clip_extras", "reel_extras"]
