"""``clipkit reel``: footage in, one compilation reel (and its post text) out.

The moments are found and planned exactly as ``clipkit detect --plan`` finds and plans
them (clipkit.batch.run_detect: the analysis cache, detection, clip plans and their
captions), the reel is planned from those plans (clipkit.posts.reel) and rendered
(clipkit.posts.reelrender). Nothing is decoded to decide anything: the reframing reads
the cached analysis back.

A reel is up to date as a clip is (clipkit.manifest): its record holds a key of
everything it is made from (the sources' content, the reel's plan, the preset's
values, clipkit's version), and the file must still have the recorded digest. Reel
records live apart from the clips' (``OUT/.clipkit/reels/``), so that ``cut`` never
takes a reel for a stale clip of its source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clipkit.batch import DetectJob, SourceOutcome, run_detect
from clipkit.errors import OutputError
from clipkit.executor import EventSink
from clipkit.manifest import ClipRecord, State, canonical, clip_key, file_digest, output_lock
from clipkit.options import DEFAULT_PRESET, DetectOptions, Given
from clipkit.plan import ClipPlan
from clipkit.posts.extras import PostOptions, reel_extras
from clipkit.posts.posttext import PostStyle, text_path
from clipkit.posts.reel import ReelOptions, ReelPlan, default_title, plan_reel
from clipkit.presets import Preset, load_preset

REELS_DIR = ".clipkit/reels"
# Bump when the same reel plan comes out differently (title card, cards, transitions).
REEL_VERSION = 1


@dataclass(frozen=True)
class ReelJob:
    """Everything one ``clipkit reel`` run needs besides the sources."""

    out_dir: Path
    preset: str = DEFAULT_PRESET
    title: str | None = None  # None: "Fail Friday" and today's date
    top: int = ReelOptions.top
    order: str = ReelOptions.order
    detect: Given[DetectOptions] = Given(DetectOptions)
    cache_dir: Path | None = None
    caption_style: str | None = None
    lesson: str | None = None
    force: bool = False
    dry_run: bool = False


@dataclass
class ReelReport:
    """What a run found and did."""

    results: list[SourceOutcome]
    reel: ReelPlan | None = None
    output: Path | None = None  # the reel's file (made, kept, or that would be made)
    text: Path | None = None  # its post text
    made: bool = False
    up_to_date: bool = False
    duration: float = 0.0
    loudness: dict[str, float | None] | None = None
    note: str = ""

    @property
    def failed(self) -> list[SourceOutcome]:
        return [r for r in self.results if r.error]


def recorded_since(sources: Sequence[str], since: datetime) -> tuple[list[str], dict[str, float]]:
    """The sources recorded at or after ``since`` (the container's creation time, else
    the file's modification time; a naive ``since`` is local time), and each source's
    recording time. A file that cannot be probed is kept, for the run to report."""
    from clipkit.errors import InputError
    from clipkit.probe import probe

    limit = since.timestamp()
    kept, when = [], {}
    for s in sources:
        try:
            when[s] = probe(s).recorded
        except InputError:
            kept.append(s)
            continue
        if when[s] >= limit:
            kept.append(s)
    return kept, when


def reel_name(title: str) -> str:
    """The reel's file name, from its title: "fail-friday-7-december-2026.mp4"."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-_")[:80].strip("-_")
    return f"{slug or 'reel'}.mp4"


def reel_options(preset: Preset, job: ReelJob) -> ReelOptions:
    """The reel's options: the run's, within the preset's and its platform's limit."""
    return ReelOptions.for_preset(
        preset.name, top=job.top, order=job.order, max_length=preset.reel_max_length
    ).checked()


def _key(reel: ReelPlan, results: Sequence[SourceOutcome], preset: Preset) -> str:
    """The reel's key: its plan with each file named by its content, not its path (a
    moved folder re-renders nothing), the preset's values and the versions."""
    from clipkit.analyse import fingerprint

    prints = {canonical(r.path): r.fingerprint or "" for r in results}

    def content(path: str) -> str:
        c = canonical(path)
        if c not in prints:  # a recovery shot from another file
            try:
                prints[c] = fingerprint(c, os.path.getsize(c))
            except OSError:
                prints[c] = c
        return prints[c]

    plan = reel.to_dict()
    plan["parts"] = [{**p, "source": content(p["source"]) if p["source"] else "",
                      "clip": ""} for p in plan["parts"]]  # fmt: skip
    plan["reel"] = REEL_VERSION
    return clip_key("reel", plan, preset.digest())


def _record(
    reel: ReelPlan, preset: Preset, key: str, output: str, made: Any, out_dir: Path
) -> ClipRecord:
    moments = [p for p in reel.parts if p.kind == "moment"]
    return ClipRecord(
        key=key, output=output, cover=str(made.cover.relative_to(out_dir)), preset=preset.name,
        preset_digest=preset.digest(), source=moments[0].source, source_fingerprint="",
        index=len(moments), start=0.0, end=reel.duration, peak=0.0,
        score=max(p.score for p in moments), reasons=[], caption=reel.title,
        recovery_caption="", recovery=None, recovery_note=None, duration=made.duration,
        size_bytes=made.size_bytes, notes=[made.note] if made.note else [],
        loudness=made.loudness.to_dict() if made.loudness else None,
        sha256=file_digest(made.path),
    )  # fmt: skip


def check_writable(out_dir: Path) -> None:
    """OutputError unless ``out_dir`` (or the folder it would be made in) can be written:
    checked before any work, without making anything."""
    above = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
    if above is None or not above.is_dir() or not os.access(above, os.W_OK | os.X_OK):
        raise OutputError(f"{out_dir}: output folder cannot be written")


def make_reel(
    sources: list[str],
    job: ReelJob,
    *,
    jobs: int | None = None,
    on_event: EventSink | None = None,
    recorded: dict[str, float] | None = None,
    today: date | None = None,
) -> ReelReport:
    """Find the best moments of ``sources`` and make their reel in ``job.out_dir /
    <preset>/`` (unless it is up to date); ``recorded``: each source's recording time
    (time order across files), probed when not given."""
    from clipkit.probe import probe

    preset = load_preset(job.preset)
    opts = reel_options(preset, job)
    detect = DetectJob(
        detect=job.detect, cache_dir=job.cache_dir, preset=job.preset, plan=True,
        caption_style=job.caption_style, lesson=job.lesson, jobs=jobs,
    )  # fmt: skip
    results = run_detect(sources, detect, on_event=on_event)
    plans: list[ClipPlan] = [p for r in results if not r.error for p in r.plans]
    if recorded is None:
        recorded = {p: probe(p).recorded for p in dict.fromkeys(p.source for p in plans)}
    title = job.title if job.title is not None else default_title(today or date.today())
    reel = plan_reel(plans, title, opts, recorded)
    report = ReelReport(results, reel)
    if reel is None:
        return report
    folder = job.out_dir / preset.name
    output = folder / reel_name(title)
    rel = f"{preset.name}/{output.name}"
    report.output, report.text, report.duration = output, text_path(output), reel.duration
    key = _key(reel, results, preset)
    state = State(job.out_dir, REELS_DIR)
    kept = None if job.force else state.current(rel, key)
    if kept is not None and report.text.exists():
        report.up_to_date, report.loudness = True, kept.loudness
        return report
    if job.dry_run:
        return report
    with output_lock(job.out_dir, lambda line: None):
        folder.mkdir(parents=True, exist_ok=True)
        for p in folder.glob(f".{output.stem}.part*"):  # an interrupted run's
            p.unlink(missing_ok=True)
        if kept is not None:  # (only its post text was missing)
            report.up_to_date, report.loudness = True, kept.loudness
        else:
            made = _render(reel, preset, output, sources, job)
            state.put(_record(reel, preset, key, rel, made, job.out_dir))
            report.made, report.note = True, made.note
            report.loudness = made.loudness.to_dict() if made.loudness else None
        style = PostStyle.for_preset(preset.name)
        w, h = preset.size
        reel_extras(reel, plans, output, (w, h), preset.fps, PostOptions(style=style))
    return report


def _render(reel: ReelPlan, preset: Preset, output: Path, sources: list[str], job: ReelJob) -> Any:
    from clipkit.analyse import analyse
    from clipkit.posts.reelrender import render_reel
    from clipkit.probe import probe

    used = dict.fromkeys(p.source for p in reel.parts if p.kind == "moment")
    # The analysis read back from the cache (no decode) steers the moments' reframing.
    signals = (
        {s: analyse(probe(s), cache_dir=job.cache_dir) for s in used} if job.cache_dir else None
    )
    return render_reel(reel, preset, output, signals=signals)


__all__ = ["ReelJob", "ReelReport", "make_reel", "recorded_since", "reel_name", "REELS_DIR"]
