"""``clipkit reel``: footage (or an earlier run's output folder) in, one compilation reel
and what goes beside it out.

The moments come from footage, found and planned exactly as ``clipkit detect --plan``
finds and plans them (clipkit.run.batch.run_detect: the analysis cache, detection, clip
plans), or from an output folder's ``manifest.json``: the clips an earlier ``cut``
made there, with the captions they were given (edited on the review page or not). The
reel is planned from those plans (clipkit.posts.reel) and rendered
(clipkit.posts.reelrender). Nothing is decoded to decide anything: the reframing reads
the cached analysis back, and goes without when there is none.

A reel is up to date as a clip is (clipkit.run.manifest): its record holds a key of
everything it is made from (the sources' content, the reel's plan, the preset's
values, clipkit's version), and the file must still have the recorded digest. Reel
records live apart from the clips' (``OUT/.clipkit/reels/``), so that ``cut`` never
takes a reel for a stale clip of its source; ``manifest.json`` lists them under
``reels`` and the review page shows them first.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clipkit.analysis.signals import Signals
from clipkit.clips.plan import ClipPlan, word_plans, words_of
from clipkit.clips.presets import Preset
from clipkit.clips.wording import choose_lines
from clipkit.errors import InputError, OutputError
from clipkit.media.probe import VideoInfo
from clipkit.options import DEFAULT_PRESET, DetectOptions, ExtrasOptions, Given
from clipkit.posts.extras import PostOptions, reel_extras
from clipkit.posts.reel import ReelOptions, ReelPlan, default_title, plan_reel, ranked
from clipkit.run.batch import DetectJob, SourceOutcome, presets_for, run_detect
from clipkit.run.executor import EventSink, emit
from clipkit.run.manifest import (
    MANIFEST_JSON,
    REELS_DIR,
    ClipRecord,
    State,
    canonical,
    clip_key,
    extras_key,
    file_digest,
    output_lock,
)

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
    # Where the footage is analysed: a Dask cluster's address (clipkit.run.cluster), None
    # for the local pool; the reel itself is one file, rendered here.
    cluster: str | None = None
    caption_style: str | None = None
    lesson: str | None = None
    # Of what goes beside a clip, a reel has its post text and timelines (--post-text,
    # --export): stills and stings are a clip's.
    extras: ExtrasOptions = field(default_factory=ExtrasOptions)
    # Only moments of footage recorded from then on (an output folder's clips too).
    since: datetime | None = None
    force: bool = False
    dry_run: bool = False


@dataclass
class ReelReport:
    """What a run found and did."""

    results: list[SourceOutcome]
    reel: ReelPlan | None = None
    output: Path | None = None  # the reel's file (made, kept, or that would be made)
    extras: dict[str, Path] = field(default_factory=dict)  # its post text, timelines
    made: bool = False
    up_to_date: bool = False
    duration: float = 0.0
    loudness: dict[str, float | None] | None = None
    note: str = ""

    @property
    def failed(self) -> list[SourceOutcome]:
        return [r for r in self.results if r.error]

    @property
    def text(self) -> Path | None:
        """Its post text (None when the preset makes none)."""
        return self.extras.get("text")


def recorded_since(sources: Sequence[str], since: datetime) -> tuple[list[str], dict[str, float]]:
    """The sources recorded at or after ``since`` (the container's creation time, else
    the file's modification time; a naive ``since`` is local time), and each source's
    recording time. A file that cannot be probed is kept, for the run to report."""
    from clipkit.media.probe import probe

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


# -- moments from an output folder ---------------------------------------------------------


def is_output_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder an earlier run wrote: its manifest.json beside
    clipkit's records (``.clipkit/``), or a manifest.json that lists clips. A footage
    folder holding another tool's manifest.json is footage."""
    manifest = Path(path, MANIFEST_JSON)
    if not manifest.is_file():
        return False
    if Path(path, ".clipkit").is_dir():
        return True
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("clips"), list)


def _records(folder: Path) -> list[ClipRecord]:
    """The clip records of ``folder``'s manifest.json; InputError naming it if unreadable."""
    path = folder / MANIFEST_JSON
    known = {f.name for f in fields(ClipRecord)}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [ClipRecord(**{k: v for k, v in c.items() if k in known}) for c in doc["clips"]]
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(f"{path}: not a clipkit manifest (run clipkit cut again)") from None


def moments_of_output(folder: Path, preset: str) -> list[SourceOutcome]:
    """The moments an earlier ``cut`` made clips of in ``folder``, as each source's
    planned clips with the captions the clips have: those of ``preset`` (else of any
    preset, one per moment). A source that is gone, or changed since its clips were
    made, is that source's error; the others go on."""
    from clipkit.analysis.analyse import fingerprint

    records = _records(folder)
    mine = [r for r in records if r.preset == preset] or records
    by_source: dict[str, list[ClipPlan]] = {}
    prints: dict[str, str] = {}
    for r in mine:
        plan = _plan_of(r, folder, preset)
        by_source.setdefault(plan.source, [])
        if not any(same_moment(plan, p) for p in by_source[plan.source]):
            by_source[plan.source].append(plan)
        prints.setdefault(plan.source, r.source_fingerprint)
    outcomes = []
    for source, plans in by_source.items():
        try:
            now = fingerprint(source, os.path.getsize(source))
        except OSError as e:
            why = f"{source}: cannot be read ({e.strerror or e}); its clips are in {folder}"
            outcomes.append(SourceOutcome(source, error=why))
            continue
        if prints[source] and now != prints[source]:
            why = f"{source}: changed since its clips were made in {folder} (cut it again)"
            outcomes.append(SourceOutcome(source, error=why))
            continue
        outcomes.append(SourceOutcome(source, fingerprint=now, plans=tuple(plans)))
    return outcomes


def _plan_of(r: ClipRecord, folder: Path, preset: str) -> ClipPlan:
    """The plan of the clip ``r`` records, its files named from here, checked as a plan
    file's clip is (a manifest may have been edited): InputError naming the manifest
    and the clip otherwise."""
    where = f"{folder / MANIFEST_JSON}: {r.output}"
    try:
        plan = ClipPlan.from_dict(r.to_plan().to_dict(), where)
    except (TypeError, ValueError, IndexError, AttributeError):
        raise InputError(f"{where}: not a clip as clipkit records one") from None
    whole = lambda name: os.path.normpath(os.path.join(folder, name))  # noqa: E731
    rec = plan.recovery_source
    return replace(plan, source=whole(plan.source), preset=preset,
                   recovery_source=whole(rec) if rec else None)  # fmt: skip


# Two plans of one file whose peaks are this close show the same moment (the same
# analysis finds the same peak to a frame; one file's moments are at least --min-gap,
# 3 s by default, apart).
SAME_PEAK = 1.0


def same_moment(a: ClipPlan, b: ClipPlan) -> bool:
    """Whether ``a`` and ``b`` are one moment (e.g. its clips for two presets, or the
    file given as footage and its clips in an output folder)."""
    return canonical(a.source) == canonical(b.source) and abs(a.peak - b.peak) <= SAME_PEAK


# -- making the reel -----------------------------------------------------------------------


def _key(
    reel: ReelPlan, results: Sequence[SourceOutcome], preset: Preset, framed: Iterable[str] = ()
) -> str:
    """The reel's key: its plan with each file named by its content, not its path (a
    moved folder re-renders nothing), which of them were framed by their cached analysis
    (``framed``: one found later makes the reel again), the preset's values but its
    sting's (a reel has none) and the versions."""
    from clipkit.analysis.analyse import fingerprint

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
    plan["framed"] = sorted(content(s) for s in framed)
    return clip_key("reel", plan, replace(preset, sting="").digest())


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


def _worded(
    plans: list[ClipPlan], fresh: set[int], top: int, preset: Preset, job: ReelJob
) -> list[ClipPlan]:
    """``plans`` with the captions of the reel's candidates (the best ``top``) found in
    footage this run chosen again over just them: over a whole batch a caption's lines
    come round again, within one reel they do not (while the lines last). Captions from
    an output folder's clips are theirs (a person may have written them)."""
    candidates = ranked(plans)[:top]
    best = {id(p) for p in candidates if id(p) in fresh}
    if not best:
        return plans
    picked = [replace(p, caption=None, recovery_caption=None) for p in plans if id(p) in best]
    style, lesson = job.caption_style, job.lesson
    taken = [
        c for p in candidates if id(p) not in best for c in (p.caption, p.recovery_caption) if c
    ]
    lines = choose_lines([words_of(p, preset, style, lesson) for p in picked], taken)
    again = iter(word_plans(picked, preset, caption_style=style, lesson=lesson, lines=lines))
    return [next(again) if id(p) in best else p for p in plans]


def _moments(
    sources: list[str], job: ReelJob, preset: Preset, jobs: int | None, on_event: EventSink | None
) -> tuple[list[SourceOutcome], list[ClipPlan]]:
    """Each source's outcome, and the planned clips of all of them (footage detected
    now and captioned for the reel; output folders read back)."""
    folders = [s for s in sources if is_output_folder(s)]
    footage = [s for s in sources if s not in folders]
    results: list[SourceOutcome] = []
    if footage:
        detect = DetectJob(
            detect=job.detect, cache_dir=job.cache_dir, preset=job.preset, plan=True,
            caption_style=job.caption_style, lesson=job.lesson, jobs=jobs, cluster=job.cluster,
        )  # fmt: skip
        results = run_detect(footage, detect, on_event=on_event)
    read: list[SourceOutcome] = []
    for folder in folders:
        read += moments_of_output(Path(folder), preset.name)
        emit({"source": folder, "stage": "done"}, on_event)
    # One plan per moment: a file given as footage and in an output folder (or in two)
    # is shown once, with the folder's clip (its caption may be a person's).
    plans: list[ClipPlan] = []
    for p in (p for r in (*read, *results) if not r.error for p in r.plans):
        if not any(same_moment(p, q) for q in plans):
            plans.append(p)
    fresh = {id(p) for r in results if not r.error for p in r.plans}
    return [*results, *read], _worded(plans, fresh, job.top, preset, job)


def make_reel(
    sources: list[str],
    job: ReelJob,
    *,
    jobs: int | None = None,
    on_event: EventSink | None = None,
    recorded: dict[str, float] | None = None,
    today: date | None = None,
) -> ReelReport:
    """Make the reel of the best moments of ``sources`` (footage files, or output
    folders of earlier runs) in ``job.out_dir / <preset>/``, unless it is up to date;
    ``recorded``: each source's recording time (time order across files), probed when
    not given. ``on_event`` hears each source's progress, then the reel's (one more
    item, named by the reel's file)."""
    from clipkit.media.probe import probe

    (preset,) = presets_for([job.preset], None, job.extras)
    opts = reel_options(preset, job)
    results, plans = _moments(sources, job, preset, jobs, on_event)
    infos = {s: probe(s) for s in dict.fromkeys(p.source for p in plans)}
    recorded = {**{s: info.recorded for s, info in infos.items()}, **(recorded or {})}
    if job.since is not None:
        plans = [p for p in plans if recorded[p.source] >= job.since.timestamp()]
    title = job.title if job.title is not None else default_title(today or date.today())
    reel = plan_reel(plans, title, opts, recorded)
    report = ReelReport(results, reel)
    # The reel's progress is one more item, named by its file (no source's name).
    item = str(job.out_dir / preset.name / reel_name(title))
    if reel is None:
        emit({"source": item, "stage": "done"}, on_event)
        return report
    try:
        for s in dict.fromkeys(p.source for p in reel.parts if p.source):
            infos[s] = infos[s] if s in infos else probe(s)  # (an ending from another file)
        _make(reel, plans, results, preset, infos, job, report, Progress(item, on_event))
    except BaseException:
        emit({"source": item, "stage": "error"}, on_event)
        raise
    emit({"source": item, "stage": "done"}, on_event)
    return report


@dataclass(frozen=True)
class Progress:
    """Where the reel's progress goes, and the name of its item."""

    item: str
    sink: EventSink | None

    def __call__(self, frames: int, of: int) -> None:
        emit({"source": self.item, "stage": "render", "frames": frames, "of": of}, self.sink)


def _make(
    reel: ReelPlan,
    plans: list[ClipPlan],
    results: list[SourceOutcome],
    preset: Preset,
    infos: dict[str, VideoInfo],
    job: ReelJob,
    report: ReelReport,
    progress: Progress,
) -> None:
    """Make ``reel`` (and what goes beside it) unless it is up to date; ``report`` says
    what was done."""
    folder = job.out_dir / preset.name
    output = folder / reel_name(reel.title)
    rel = f"{preset.name}/{output.name}"
    report.output, report.duration = output, reel.duration
    signals = _framing(reel, infos, job.cache_dir)
    key = _key(reel, results, preset, signals)
    extras = extras_key(key, preset.extras())
    state = State(job.out_dir, REELS_DIR)
    if State(job.out_dir).get(rel) is not None:  # never over a clip
        raise OutputError(f"{output}: a clip of that name is there: give the reel another --title")
    kept = None if job.force else state.current(rel, key)
    if kept is not None and state.extras_current(kept, extras):
        report.up_to_date, report.loudness = True, kept.loudness
        report.extras = {k: job.out_dir / p for k, p in kept.extras.items()}
        return
    if job.dry_run:
        return
    with output_lock(job.out_dir, lambda line: None):
        folder.mkdir(parents=True, exist_ok=True)
        for p in folder.glob(f".{output.stem}.part*"):  # an interrupted run's
            p.unlink(missing_ok=True)
        before = state.get(rel)  # what was made under this name last (its extras)
        if kept is not None:  # only what goes beside it is missing or out of date
            report.up_to_date, report.loudness, record = True, kept.loudness, kept
        else:
            from clipkit.posts.reelrender import render_reel

            emit({"source": progress.item, "stage": "render"}, progress.sink)
            made = render_reel(reel, preset, output, signals=signals, progress=progress)
            record = _record(reel, preset, key, rel, made, job.out_dir)
            state.put(record)  # the reel stands even if what goes beside it fails
            report.made, report.note = True, made.note
            report.loudness = made.loudness.to_dict() if made.loudness else None
        old = set(before.extras.values()) if before else set()
        record = _with_extras(record, reel, plans, preset, infos, job.out_dir, old)
        report.extras = {k: job.out_dir / p for k, p in record.extras.items()}
        state.put(replace(record, extras_key=extras))
        _write_listings(job.out_dir)


def _with_extras(
    record: ClipRecord,
    reel: ReelPlan,
    plans: Sequence[ClipPlan],
    preset: Preset,
    infos: dict[str, VideoInfo],
    out_dir: Path,
    old: set[str],
) -> ClipRecord:
    """``record`` with the reel's post text and timelines made (at the reel's frame
    rate), and those made before (``old``, and the record's) no longer asked for removed."""
    from clipkit.posts.reelrender import reel_fps

    fps = reel_fps(preset, {s: infos[s] for s in {p.source for p in reel.parts if p.source}})
    made = reel_extras(reel, plans, out_dir / record.output, preset.size, fps,
                       PostOptions.of_preset(preset))  # fmt: skip
    files = {kind: str(p.relative_to(out_dir)) for kind, p in made.items()}
    for gone in (old | set(record.extras.values())) - set(files.values()):
        (out_dir / gone).unlink(missing_ok=True)
    return replace(record, extras=files)


def _write_listings(out_dir: Path) -> None:
    """The output folder's manifest and review page, with the reel in them."""
    from clipkit.run.review import write_review_of

    state = State(out_dir)
    state.write_manifest()
    write_review_of(state)


def _framing(
    reel: ReelPlan, infos: Mapping[str, VideoInfo], cache_dir: Path | None
) -> dict[str, Signals]:
    """The analysis of each moment's source that the cache holds (read back, never
    decoded again): it steers the moments' reframing; a source without one is framed as
    a clip without one is."""
    from clipkit.analysis.analyse import cached

    used = dict.fromkeys(p.source for p in reel.parts if p.kind == "moment")
    found = {s: cached(infos[s], cache_dir) for s in used}
    return {s: sig for s, sig in found.items() if sig is not None}


__all__ = [
    "ReelJob",
    "ReelReport",
    "is_output_folder",
    "make_reel",
    "moments_of_output",
    "recorded_since",
    "reel_name",
]
