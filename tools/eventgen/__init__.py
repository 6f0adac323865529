"""Synthetic training events for the detection model: falls, spills, boil-overs,
knock-overs and flare-ups painted into the event-free clips of the real footage.

Real labelled events are few (a few dozen); this corpus gives the model hundreds more,
at the sizes and speeds of real ones, on real kitchen backgrounds (with their camera
shake, noise, compression and sound), plus event-free copies of the same backgrounds
with the same treatment, so that the treatment itself is not what marks an event.

    python -m tools.eventgen [FOLDER ...] [-o DIR] [--seed N]

Not part of the installed package. Deterministic: the same seed and backgrounds give
the same labels and the same decoded frames.

Modules: backgrounds (which clips), plan (one clip's choices), render (making it),
scene (ffmpeg in and out), track (following the real camera), camera (added camera
motion), layer (compositing), events (what painters share), rigid / liquid / foam /
flame (the painters), sprites (objects' looks), sound (impact sounds), corpus (the set).
"""

from __future__ import annotations

from pathlib import Path

from tools.eventgen.backgrounds import find_backgrounds
from tools.eventgen.corpus import (
    EVENTS_PER_BACKGROUND,
    NEGATIVES_PER_BACKGROUND,
    VERSION,
    WORKERS,
    Log,
    generate,
    is_current,
    plan_jobs,
    recipe,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tools" / "_work" / "synthetic"

__all__ = ["DEFAULT_OUT", "VERSION", "default_folders", "ensure_corpus"]


def default_folders() -> list[Path]:
    """Every labelled real footage folder next to the repository (../shared/footage*)."""
    return sorted(
        p for p in (ROOT.parent / "shared").glob("footage*") if (p / "labels.yaml").exists()
    )


def ensure_corpus(
    folders: list[Path],
    log: Log = print,
    out: Path | None = None,
    seed: int = 0,
    *,
    events_per_background: int = EVENTS_PER_BACKGROUND,
    negatives_per_background: int = NEGATIVES_PER_BACKGROUND,
    workers: int = WORKERS,
) -> Path:
    """The folder (``out``, default tools/_work/synthetic) of a synthetic corpus made
    from the event-free clips of ``folders``: its clips and labels.yaml. An existing
    corpus made the same way (same generator version, seed, counts and backgrounds) is
    used as it is; anything else there is made again."""
    out = Path(out) if out is not None else DEFAULT_OUT
    backgrounds = find_backgrounds([Path(f) for f in folders])
    if not backgrounds:
        raise ValueError(f"no event-free clips in {', '.join(map(str, folders))}")
    want = recipe(backgrounds, seed, events_per_background, negatives_per_background)
    if is_current(out, want):
        log(f"eventgen: {out} is up to date")
        return out
    jobs = plan_jobs(backgrounds, seed, events_per_background, negatives_per_background)
    log(f"eventgen: making {len(jobs)} clips from {len(backgrounds)} backgrounds in {out}")
    generate(jobs, out, want, workers, log)
    return out
