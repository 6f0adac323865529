"""The synthetic corpus: which clips to make, making them (two workers), and knowing
when an existing corpus can be used as it is.

A corpus folder holds synth_NNNN.mp4 clips, their labels.yaml and recipe.json: what it
was made from (generator version, seed, clip counts, ffmpeg, every background's hash
and ignore windows). recipe.json is written last, so a corpus whose making was cut
short is never taken for a finished one.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clipkit.files import write_atomic
from clipkit.media.ffmpeg import find_ffmpeg
from tools.eventgen.backgrounds import Background
from tools.eventgen.plan import room

# Bump when a change to the generator changes what it makes: older corpora are remade.
VERSION = 6
# Clips with an event per background (23 backgrounds, one with no room: ~300 events).
EVENTS_PER_BACKGROUND = 14
# Event-free copies per background (same segment and camera treatment, no event).
NEGATIVES_PER_BACKGROUND = 2
# How often each kind of event is made: falls most, then spills and flames, knocks,
# boil-overs.
KINDS = {"fall": 0.42, "splash": 0.17, "flame": 0.15, "knock": 0.14, "foam": 0.12}
# A background needs a stretch of 1 s clear of its ignore windows to hold an event.
MIN_ROOM = 1.0
# Two worker processes: the brief's two cores (each runs its own decoder and encoder).
WORKERS = 2
# Progress is logged every 25 clips.
LOG_EVERY = 25

Log = Callable[[str], Any]


@dataclass(frozen=True)
class Job:
    """One clip to make."""

    name: str
    background: Background
    kind: str  # an event kind, or "none"
    seed: int


def kinds_for(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` event kinds in the shares of KINDS (largest remainders), shuffled."""
    want = {k: n * p for k, p in KINDS.items()}
    counts = {k: int(v) for k, v in want.items()}
    for k in sorted(want, key=lambda k: counts[k] - want[k])[: n - sum(counts.values())]:
        counts[k] += 1
    out = [k for k in KINDS for _ in range(counts[k])]
    return [out[i] for i in rng.permutation(len(out))]


def plan_jobs(backgrounds: list[Background], seed: int, events: int, negatives: int) -> list[Job]:
    """Every clip of a corpus, in order: for each background its event clips (if it has
    room for one) and its event-free copies."""
    rng = np.random.default_rng(seed)
    jobs: list[Job] = []
    for bg in backgrounds:
        kinds = kinds_for(events, rng) if room(bg) >= MIN_ROOM else []
        for kind in kinds + ["none"] * negatives:
            index = len(jobs) + 1
            clip_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
            jobs.append(Job(f"synth_{index:04d}.mp4", bg, kind, clip_seed))
    return jobs


def make(job: Job, out: Path) -> dict[str, Any]:
    """Make one clip into folder ``out``; its label."""
    from tools.eventgen.plan import plan_clip
    from tools.eventgen.render import render

    return render(plan_clip(job.name, job.background, job.kind, job.seed), out / job.name)


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # the workers are the parallelism; one thread each


def _make(args: tuple[Job, Path]) -> dict[str, Any]:
    return make(*args)


def recipe(backgrounds: list[Background], seed: int, events: int, negatives: int) -> dict[str, Any]:
    """What a corpus is made from: if it matches, the corpus is the same."""
    return {
        "version": VERSION,
        "seed": seed,
        "events_per_background": events,
        "negatives_per_background": negatives,
        "ffmpeg": find_ffmpeg().version,
        "backgrounds": [
            {"name": b.name, "sha256": b.sha256, "ignore": [list(w) for w in b.ignore]}
            for b in backgrounds
        ],
    }


def is_current(out: Path, want: dict[str, Any]) -> bool:
    """Whether ``out`` holds a finished corpus made to ``want``."""
    try:
        have = json.loads((out / "recipe.json").read_text())
        labels = (out / "labels.yaml").read_text()
    except (OSError, ValueError):
        return False
    names = [line[:-1] for line in labels.splitlines() if line.endswith(".mp4:")]
    return have == want and bool(names) and all((out / n).exists() for n in names)


def _yaml(labels: dict[str, dict[str, Any]]) -> str:
    """labels.yaml in the real footage's layout (windows as flow lists, one per line)."""
    lines = [
        "# Synthetic training events (tools/eventgen): events painted into the",
        "# event-free real footage named by 'background'. Generated: do not edit.",
        "",
    ]
    for name, lab in labels.items():
        lines.append(f"{name}:")
        lines.append(f"  events: {json.dumps(lab['events'])}")
        if lab["ignore"]:
            lines.append(f"  ignore: {json.dumps(lab['ignore'])}")
        lines.append(f"  background: {json.dumps(lab['background'])}")
        lines.append(f"  kind: {lab['kind']}")
        lines.append(f"  seed: {lab['seed']}")
    return "\n".join(lines) + "\n"


def generate(jobs: list[Job], out: Path, want: dict[str, Any], workers: int, log: Log) -> None:
    """Make every clip of ``jobs`` in ``out`` (replacing an older corpus there)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "recipe.json").unlink(missing_ok=True)  # unfinished from here on
    for old in [*out.glob("synth_*.mp4"), *out.glob(".synth_*.part*")]:
        old.unlink()
    labels: dict[str, dict[str, Any]] = {}
    args = [(j, out) for j in jobs]
    if workers <= 1:
        results: Any = map(_make, args)
        pool = None
    else:
        # "spawn": fresh interpreters, not forks of one that may hold OpenCV's threads.
        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker)
        results = pool.imap(_make, args)
    try:
        for job, lab in zip(jobs, results, strict=True):
            labels[job.name] = lab
            if len(labels) % LOG_EVERY == 0 or len(labels) == len(jobs):
                log(f"eventgen: {len(labels)}/{len(jobs)} clips")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    write_atomic(out / "labels.yaml", _yaml(labels))
    write_atomic(out / "recipe.json", json.dumps(want, indent=1) + "\n")
