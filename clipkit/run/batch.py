"""Batch processing: sources in, clips out, for one or more presets.

A source goes down the pipeline of DESIGN.md in two kinds of unit of work, each plain
picklable data in and out, handed out by the Executor:

    analyse_source   one per source: probe -> analyse -> detect -> plan   (-> Analysis)
    render_clip_job  one per clip:   render, into the clip's own file     (-> ClipOutcome)

Between them, on the client, the captions' lines are chosen over the whole batch (no
line twice while a pool lasts, Fail Friday numbered in order: clipkit.clips.wording), and
each clip is named and checked against the manifest (clips up to date are kept). The
client alone writes the records, the manifest and the review page; a worker writes
only its clip. One failing source is reported and the others finish.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clipkit.analysis.signals import Signals
from clipkit.children import raise_if_stopped
from clipkit.clips.plan import ClipPlan
from clipkit.clips.presets import Preset
from clipkit.errors import ClipkitError, InputError
from clipkit.media.probe import VideoInfo
from clipkit.options import (
    DEFAULT_PRESET,
    DetectOptions,
    ExtrasOptions,
    Given,
    PlanOptions,
    RunOptions,
    default_jobs,
    layered,
    preset_keys,
    same_as,
)
from clipkit.run.cluster import ClusterExecutor, executor_for
from clipkit.run.executor import EventSink, Executor, emit, in_pool
from clipkit.run.manifest import (
    ClipRecord,
    State,
    canonical,
    clip_key,
    extras_key,
    keyed_plan,
    output_lock,
    record_of,
    shared_stems,
)

log = logging.getLogger(__name__)

Runner = Executor | ClusterExecutor  # where the units run (clipkit.run.cluster.executor_for)
Moment = dict[str, Any]  # a moment or a turned-down candidate as written out (to_dict)


@dataclass(frozen=True)
class CutOptions(RunOptions, PlanOptions, ExtrasOptions):
    """Everything one ``clipkit cut`` (or ``render``) run needs besides its sources: the
    run's options and its say over the presets' (clipkit.options: captions, framing and
    what goes with each clip), and the detection values given explicitly (over each
    preset's)."""

    detect: Given[DetectOptions] = Given(DetectOptions)
    # Sources whose file name another source in the run shares (canonical paths): their
    # clips get a short tag so that neither overwrites the other's.
    shared_stems: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DetectJob(PlanOptions):
    """What ``clipkit detect`` needs for each file."""

    detect: Given[DetectOptions] = Given(DetectOptions)
    cache_dir: Path | None = same_as(RunOptions, "cache_dir")
    jobs: int | None = same_as(RunOptions, "jobs")
    cluster: str | None = same_as(RunOptions, "cluster")  # (None: the local pool)
    preset: str = DEFAULT_PRESET  # its detection settings apply (and plans are for it)
    plan: bool = False  # also plan the clips


# -- the units of work --------------------------------------------------------------------


@dataclass(frozen=True)
class PresetPlans:
    """The clips of one source planned for one preset."""

    preset: Preset
    plans: tuple[ClipPlan, ...]


@dataclass(frozen=True)
class SourceJob:
    """One unit of analysis: a source, and how far down the pipeline it goes."""

    path: str
    presets: tuple[Preset, ...] = ()  # the first one's detection is the source's
    detect: Given[DetectOptions] = Given(DetectOptions)
    cache_dir: Path | None = None  # None: analysed afresh, nothing kept
    recovery_file: Path | None = None
    no_recovery: bool = False
    plan: bool = True  # plan the clips of every preset
    timeline: bool = True  # draw the review page's picture of the signals
    edited: tuple[ClipPlan, ...] | None = None  # plans from a plan file, taken as they are
    force: bool = False  # render edited plans on a source changed since it was planned


@dataclass(frozen=True)
class Analysis:
    """What a source gave up to planning (its clips' captions still to choose); as far
    as it got, with the error that stopped it."""

    path: str
    error: str | None = None
    info: VideoInfo | None = None
    fingerprint: str | None = None
    moments: tuple[Moment, ...] = ()
    rejected: tuple[Moment, ...] = ()  # stood out, not reported, and why (--explain)
    notes: tuple[str, ...] = ()
    timeline: str | None = None  # the review page's picture of the signals (data URI)
    planned: tuple[PresetPlans, ...] = ()


@dataclass(frozen=True)
class ClipJob:
    """One unit of rendering: a named, worded clip and what its record needs."""

    source: str  # as the run names it
    plan: ClipPlan
    preset: Preset
    out_dir: Path  # the run's output folder (the clip goes to its preset's folder)
    key: str
    fingerprint: str
    reasons: tuple[str, ...]
    info: VideoInfo  # the source, as probed when it was analysed
    number: int  # the source's clip ``number`` of ``clips`` (across presets), for progress
    clips: int
    extras_key: str = ""  # what the clip's extras are made with (clipkit.run.manifest)
    # The clip's record when the clip is up to date: only its extras are made.
    kept: ClipRecord | None = None
    # The analysis cache: the still's frames are chosen from the analysis read back
    # (when the cache has it; never decoded again).
    cache_dir: Path | None = None


@dataclass(frozen=True)
class ClipOutcome:
    """A clip rendered (its record), or why not."""

    source: str
    record: ClipRecord | None = None
    error: str | None = None


@dataclass(frozen=True)
class SourceOutcome:
    """What happened to one source file."""

    path: str
    error: str | None = None
    duration: float | None = None
    fingerprint: str | None = None
    moments: Sequence[Moment] = ()
    rejected: Sequence[Moment] = ()
    notes: Sequence[str] = ()
    timeline: str | None = None
    plans: Sequence[ClipPlan] = ()  # ``detect --plan``: the source's clips planned
    made: Sequence[ClipRecord] = ()
    kept: Sequence[ClipRecord] = ()
    would_make: Sequence[str] = ()  # --dry-run: clips to make, and stale ones to remove
    would_remove: Sequence[str] = ()
    removed: Sequence[str] = ()

    @property
    def no_moments(self) -> bool:
        """Analysed without error, and nothing stood out."""
        return not self.error and not self.moments

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "duration": self.duration,
            "fingerprint": self.fingerprint,
            "error": self.error,
            "moments": list(self.moments),
            "notes": list(self.notes),
            "rejected": list(self.rejected),
            "timeline": self.timeline,
        }


@dataclass(frozen=True)
class BatchReport:
    results: Sequence[SourceOutcome]

    @property
    def failed(self) -> list[SourceOutcome]:
        return [r for r in self.results if r.error]


def _error_of(path: str, e: Exception) -> str:
    """The one line that a failure of ``path``'s work becomes."""
    if isinstance(e, ClipkitError):
        return str(e)
    if isinstance(e, OSError):  # a file that vanished or became unreadable mid-run
        return f"{path}: {e.strerror or e}"
    # A bug or a library's surprise: this file fails, the batch goes on.
    log.debug("unexpected error on %s", path, exc_info=(type(e), e, e.__traceback__))
    return f"{path}: unexpected error: {type(e).__name__}: {e}"


# -- analysis: probe -> analyse -> detect -> plan ------------------------------------------


def analyse_source(job: SourceJob, sink: EventSink | None = None) -> Analysis:
    """One source down the pipeline as far as planning. Never raises for a bad file:
    the result says how far it got, and what stopped it."""
    _die_for_tests(job.path)
    done = Analysis(job.path)
    try:
        for done in _stages(job, sink):  # noqa: B007 (the last one is the result)
            pass
    except Exception as e:
        done = replace(done, error=_error_of(job.path, e))
    raise_if_stopped()  # (the error may be the unwinding's, a killed ffmpeg's)
    return done


def _stages(job: SourceJob, sink: EventSink | None) -> Iterator[Analysis]:
    """The pipeline of one source, yielding what is known after each stage."""
    from clipkit.analysis.analyse import analyse, fingerprint
    from clipkit.detection import detect_with_notes
    from clipkit.media.probe import probe
    from clipkit.run.fingerprint import check_unchanged

    path = job.path
    if job.edited is not None:  # before any work: is it the file the plans were made on?
        check_unchanged(path, list(job.edited), force=job.force)
    emit({"source": path, "stage": "probe"}, sink)
    info = probe(path)
    done = Analysis(path, info=info, fingerprint=fingerprint(path, info.size_bytes))
    yield done

    def on_progress(fraction: float) -> None:
        emit({"source": path, "stage": "analyse", "fraction": fraction}, sink)

    # In a pool the other workers keep the cores busy: a split gains nothing there.
    signals = analyse(info, cache_dir=job.cache_dir, progress=on_progress, split=not in_pool())
    first = job.presets[0] if job.presets else None
    found = detect_with_notes(signals, layered(DetectOptions, first, job.detect))
    rejected = tuple(r.to_dict() for r in found.rejected)
    if job.edited is not None:
        moments = tuple(_moment_of(p) for p in job.edited)
        done = replace(done, moments=moments, rejected=rejected)
    else:
        moments = tuple(m.to_dict() for m in found.moments)
        done = replace(done, moments=moments, rejected=rejected, notes=tuple(found.notes))
    if job.timeline:
        from clipkit.run.review import timeline_data_uri, timeline_png

        done = replace(done, timeline=timeline_data_uri(timeline_png(signals, moments, rejected)))
    yield done
    if job.plan:
        edited = job.edited is not None
        planned = _edited(job, info, signals) if edited else _planned(job, info, signals)
        yield replace(done, planned=planned)


def _moment_of(plan: ClipPlan) -> Moment:
    return {"start": plan.start, "end": plan.end, "peak": plan.peak, "score": plan.score}


def _planned(job: SourceJob, info: VideoInfo, signals: Signals) -> tuple[PresetPlans, ...]:
    """Each preset's clips, planned from the moments its detection settings give."""
    from clipkit.clips.plan import plan_clips
    from clipkit.detection import detect_with_notes

    out = []
    for preset in job.presets:
        found = detect_with_notes(signals, layered(DetectOptions, preset, job.detect))
        plans = plan_clips(
            info, signals, found.moments, preset,
            recovery_file=job.recovery_file, no_recovery=job.no_recovery, worded=False,
        )  # fmt: skip
        out.append(PresetPlans(preset, tuple(plans)))
    return tuple(out)


def _edited(job: SourceJob, info: VideoInfo, signals: Signals) -> tuple[PresetPlans, ...]:
    """The plans of a plan file for each preset, all checked before any is rendered: an
    edited plan that asks for the impossible fails its source with the reason, and
    leaves its earlier clips as they were. A plan without a crop for the preset's frame
    (written before plans kept it, or for another shape) gets it from the analysis, as
    it was planned."""
    from clipkit.clips.plan import for_preset, framed, plan_problem

    plans = job.edited or ()
    for preset in job.presets:
        problems = [q for p in plans if (q := plan_problem(p, info.duration, preset))]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InputError(f"{job.path}: {problems[0]}{more}")
    return tuple(
        PresetPlans(pr, tuple(framed(for_preset(p, pr), info, signals, pr) for p in plans))
        for pr in job.presets
    )


def _lost_source(job: SourceJob, reason: str, sink: EventSink) -> Analysis:
    """The analysis of a source whose worker process died on it twice."""
    return Analysis(job.path, error=f"{job.path}: {reason}; skipped it")


# -- captions: chosen over the whole batch ------------------------------------------------


def word_batch(analyses: Sequence[Analysis], opts: PlanOptions) -> list[Analysis]:
    """The analyses with the captions of every planned clip filled in, the lines chosen
    over all of them (see clipkit.clips.wording)."""
    from clipkit.clips.plan import word_plans, words_of
    from clipkit.clips.wording import choose_lines

    style, lesson = opts.caption_style, opts.lesson
    words = [
        words_of(p, pp.preset, style, lesson)
        for a in analyses
        for pp in a.planned
        for p in pp.plans
    ]
    lines = choose_lines(words)

    def worded(pp: PresetPlans) -> PresetPlans:
        plans = word_plans(
            pp.plans, pp.preset,
            caption=opts.caption, recovery_caption=opts.recovery_caption,
            caption_style=style, lesson=lesson, lines=lines,
        )  # fmt: skip
        return PresetPlans(pp.preset, tuple(plans))

    return [replace(a, planned=tuple(worded(pp) for pp in a.planned)) for a in analyses]


# -- rendering: one clip ----------------------------------------------------------------


def render_clip_job(job: ClipJob, sink: EventSink | None = None) -> ClipOutcome:
    """Render one clip into its file; its record (for the client to keep) or the error."""
    from clipkit.render.clip import render_clip

    source = job.source
    _die_for_tests(source)
    try:
        event = {"source": source, "stage": "render", "clip": job.number, "clips": job.clips}
        emit(event, sink)

        def progress(frames: int, of: int) -> None:
            emit({**event, "frames": frames, "of": of}, sink)

        out = job.out_dir / job.preset.name
        rec = job.kept
        if rec is not None:  # its sources as the run names them, as record_of's are
            rec = replace(rec, source=job.plan.source, recovery_source=job.plan.recovery_source)
        else:
            result = render_clip(job.plan, job.preset, out, job.info, progress=progress)
            rec = record_of(
                job.plan, job.preset, result, job.key, job.fingerprint, job.reasons, job.out_dir
            )
        try:
            outcome = ClipOutcome(source, record=_with_extras(job, rec))
        except Exception as e:  # the clip stands; its extras are tried again next run
            outcome = ClipOutcome(
                source, record=replace(rec, extras_key=""), error=_error_of(source, e)
            )
    except Exception as e:
        outcome = ClipOutcome(source, error=_error_of(source, e))
    raise_if_stopped()  # (the error may be the unwinding's, a killed ffmpeg's)
    return outcome


def _still_signals(job: ClipJob) -> tuple[Signals | None, Signals | None]:
    """The cached analyses of the clip's source and of its recovery shot's file (the
    same when the shot is from the source), None where the cache has none."""
    from clipkit.analysis.analyse import cached
    from clipkit.media.probe import probe

    signals = cached(job.info, job.cache_dir)
    other = job.plan.recovery_source
    if not other or canonical(other) == canonical(job.plan.source):
        return signals, signals
    try:
        return signals, cached(probe(other), job.cache_dir)
    except InputError:  # the still says what is wrong with it
        return signals, None


def _with_extras(job: ClipJob, rec: ClipRecord) -> ClipRecord:
    """``rec`` with the extras its preset asks for made beside the clip (post text,
    still, timelines), and those it no longer asks for removed."""
    from clipkit.clips.plan import for_preset
    from clipkit.posts.extras import PostOptions, clip_extras
    from clipkit.render.clip import output_fps

    preset, folder = job.preset, job.out_dir / job.preset.name
    plan = for_preset(job.plan, preset)
    fps = output_fps(preset, job.info)
    signals, recovery = _still_signals(job) if preset.stills else (None, None)
    made = clip_extras(plan, folder, preset.size, fps, PostOptions.of_preset(preset),
                       signals=signals, recovery_signals=recovery)  # fmt: skip
    files = {kind: str(p.relative_to(job.out_dir)) for kind, p in made.items()}
    for old in set(rec.extras.values()) - set(files.values()):
        (job.out_dir / old).unlink(missing_ok=True)
    return replace(rec, extras=files, extras_key=job.extras_key)


def _lost_clip(job: ClipJob, reason: str, sink: EventSink) -> ClipOutcome:
    """The outcome of a clip whose worker process died on it twice."""
    return ClipOutcome(job.source, error=f"{job.source}: {reason}; skipped it")


# -- the client: naming, up-to-date checks, records ----------------------------------------


@dataclass
class _Source:
    """The client's account of one source while its clips are rendered."""

    analysis: Analysis
    jobs: list[ClipJob] = field(default_factory=list)
    kept: list[ClipRecord] = field(default_factory=list)
    would_make: list[str] = field(default_factory=list)
    wanted: dict[str, set[str]] = field(default_factory=dict)  # preset -> its outputs
    made: list[ClipRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    left: int = 0  # clips not back yet


def _reasons(a: Analysis, plan: ClipPlan) -> tuple[str, ...]:
    found: list[str] = next(
        (m.get("reasons", []) for m in a.moments if m.get("peak") == plan.peak), []
    )
    return tuple(found)


def _schedule(a: Analysis, opts: CutOptions, state: State, claimed: dict[str, str]) -> _Source:
    """Name each planned clip of ``a``; keep those up to date, list or queue the rest.
    ``claimed``: the outputs named so far in this run, and their sources."""
    assert a.info is not None  # analysed without error: probed
    src = _Source(a)
    total, number = sum(len(pp.plans) for pp in a.planned), 0
    shared = canonical(a.path) in opts.shared_stems
    for pp in a.planned:
        wanted = src.wanted.setdefault(pp.preset.name, set())
        for plan in pp.plans:
            number += 1
            plan, output = state.name_for(plan, pp.preset.name, shared=shared, claimed=claimed)
            claimed[output] = a.path
            wanted.add(output)
            key = clip_key(a.fingerprint or "", keyed_plan(plan, pp.preset), pp.preset.digest())
            extras = extras_key(key, pp.preset.extras())
            kept = None if opts.force else state.current(output, key)
            if kept is not None and state.extras_current(kept, extras):
                src.kept.append(kept)
            elif opts.dry_run:
                src.would_make.append(output)
            else:
                job = ClipJob(
                    source=a.path,
                    plan=plan,
                    preset=pp.preset,
                    out_dir=opts.out_dir,
                    key=key,
                    fingerprint=a.fingerprint or "",
                    reasons=_reasons(a, plan),
                    info=a.info,
                    number=number,
                    clips=total,
                    extras_key=extras,
                    kept=kept,  # up to date but for its extras: only they are made
                    cache_dir=opts.cache_dir,
                )
                src.jobs.append(job)
    src.left = len(src.jobs)
    return src


def _outcome(src: _Source, state: State, *, dry_run: bool) -> SourceOutcome:
    """The source's outcome, its stale clips removed (listed, with ``dry_run``) when all
    went well."""
    a = src.analysis
    error = a.error or (src.errors[0] if src.errors else None)
    stale = [] if error else [r for p, w in src.wanted.items() for r in state.stale(a.path, p, w)]
    if not dry_run:
        for rec in stale:
            state.remove(rec)
    return SourceOutcome(
        path=a.path, error=error, duration=a.info.duration if a.info else None,
        fingerprint=a.fingerprint, moments=a.moments, rejected=a.rejected, notes=a.notes,
        timeline=a.timeline, made=tuple(src.made), kept=tuple(src.kept),
        would_make=tuple(src.would_make),
        would_remove=tuple(r.output for r in stale) if dry_run else (),
        removed=() if dry_run else tuple(r.output for r in stale),
    )  # fmt: skip


def _finished(path: str, error: str | None, sink: EventSink) -> None:
    emit({"source": path, "stage": "error" if error else "done", "error": error}, sink)


# -- the driver ---------------------------------------------------------------------------


def _analyse_all(jobs: list[SourceJob], executor: Runner) -> list[Analysis]:
    """Every source analysed (one unit each), in the order given."""
    order = {j.path: i for i, j in enumerate(jobs)}
    found = executor.map(analyse_source, jobs, _lost_source)
    return sorted(found, key=lambda a: order[a.path])


def _cut(
    jobs: list[SourceJob],
    presets: tuple[Preset, ...],
    opts: CutOptions,
    on_event: EventSink | None,
    word: Callable[[list[Analysis]], list[Analysis]],
) -> BatchReport:
    """The one driver of ``cut`` and ``render``: analyse each source, choose the
    captions (``word``), render each clip not up to date, write the manifest."""
    with _locked(opts, on_event), executor_for(opts.cluster, opts.workers, on_event) as executor:
        sink = executor.on_event
        _clean_partials(opts, presets)
        analyses = _analyse_all(jobs, executor)
        for a in analyses:
            if a.error:
                _finished(a.path, a.error, sink)
        analyses = word([a for a in analyses if not a.error]) + [a for a in analyses if a.error]
        state, claimed = State(opts.out_dir), dict[str, str]()
        sources = {a.path: _schedule(a, opts, state, claimed) for a in analyses if not a.error}
        _render_all(sources, state, executor)
        _clean_partials(opts, presets)  # what a worker that died mid-clip left
        order = {j.path: i for i, j in enumerate(jobs)}
        results = [
            _outcome(sources.get(a.path) or _Source(a), state, dry_run=opts.dry_run)
            for a in sorted(analyses, key=lambda a: order[a.path])
        ]
        _write_outputs(opts, results)
    return BatchReport(results)


def _render_all(sources: dict[str, _Source], state: State, executor: Runner) -> None:
    """Render every clip queued (one unit each), keeping each record as it comes back,
    so that an interrupted run keeps what it made. A source is done with its last clip."""
    for src in sources.values():
        if not src.left:
            _finished(src.analysis.path, None, executor.on_event)
    todo = [j for src in sources.values() for j in src.jobs]
    for clip in executor.map(render_clip_job, todo, _lost_clip):
        src = sources[clip.source]
        if clip.record is not None:
            state.put(clip.record)
            src.made.append(clip.record)
        if clip.error is not None:
            src.errors.append(clip.error)
        src.left -= 1
        if not src.left:
            _finished(clip.source, src.errors[0] if src.errors else None, executor.on_event)


def presets_for(
    names: Iterable[str], reframe: str | None, extras: ExtrasOptions | None = None
) -> tuple[Preset, ...]:
    """The presets ``names`` as this run renders them (with --reframe and the extras'
    options, when given)."""
    from clipkit.clips.presets import load_preset

    keys = preset_keys(ExtrasOptions).items() if extras else ()
    given = {key: getattr(extras, f.name) for key, f in keys}
    overrides = {k: v for k, v in {"reframe": reframe, **given}.items() if v is not None}
    loaded = (load_preset(name) for name in names)
    return tuple(p.with_overrides(**overrides) if overrides else p for p in loaded)


def _source_jobs(
    sources: Iterable[str],
    presets: tuple[Preset, ...],
    detect: Given[DetectOptions],
    cache_dir: Path | None,
    opts: PlanOptions,
    *,
    plan: bool = True,
    timeline: bool = True,
) -> list[SourceJob]:
    """A unit of analysis per source."""
    rec, none = opts.recovery_file, opts.no_recovery
    return [
        SourceJob(path, presets, detect, cache_dir, rec, none, plan=plan, timeline=timeline)
        for path in sources
    ]


def run_batch(
    sources: list[str], opts: CutOptions, *, on_event: EventSink | None = None
) -> BatchReport:
    """Cut ``sources``: detect, plan and render the clips of every preset, and write the
    manifest and the review page."""
    opts = replace(opts, shared_stems=shared_stems(sources))
    presets = presets_for(opts.presets, opts.reframe, opts)
    jobs = _source_jobs(sources, presets, opts.detect, opts.cache_dir, opts)
    return _cut(jobs, presets, opts, on_event, lambda found: word_batch(found, opts))


def run_plans(
    plans: list[ClipPlan], opts: CutOptions, *, on_event: EventSink | None = None
) -> BatchReport:
    """Render edited plans (from ``clipkit detect --plan``), one unit of analysis per
    source and of rendering per clip."""
    plans = _word_render(plans, opts)
    by_source: dict[str, list[ClipPlan]] = {}
    for plan in plans:
        by_source.setdefault(plan.source, []).append(plan)
    opts = replace(opts, shared_stems=shared_stems(by_source))
    presets = presets_for(opts.presets, opts.reframe, opts)
    jobs = [
        SourceJob(path, presets, opts.detect, opts.cache_dir, edited=tuple(mine), force=opts.force)
        for path, mine in by_source.items()
    ]
    return _cut(jobs, presets, opts, on_event, lambda found: found)


def _word_render(plans: list[ClipPlan], opts: CutOptions) -> list[ClipPlan]:
    """Plans with the captions that their files leave out chosen (over all of them),
    by their own caption_style, else the run's, else the first preset's."""
    from clipkit.clips.plan import word_plans
    from clipkit.clips.presets import load_preset

    todo = [i for i, p in enumerate(plans) if p.caption is None or p.recovery_caption is None]
    if not todo or not opts.presets:
        return plans
    worded = word_plans(
        [plans[i] for i in todo],
        load_preset(opts.presets[0]),
        caption_style=opts.caption_style,
        lesson=opts.lesson,
    )
    out = list(plans)
    for i, plan in zip(todo, worded, strict=True):
        out[i] = plan
    return out


def run_detect(
    sources: list[str], job: DetectJob, *, on_event: EventSink | None = None
) -> list[SourceOutcome]:
    """Detect moments in ``sources`` (and plan their clips, with ``job.plan``), results
    in input order."""
    presets = presets_for([job.preset], job.reframe)
    jobs = _source_jobs(
        sources, presets, job.detect, job.cache_dir, job, plan=job.plan, timeline=False
    )
    from clipkit.run.fingerprint import stamped

    with executor_for(job.cluster, job.jobs or default_jobs(), on_event) as executor:
        found = _analyse_all(jobs, executor)
    for a in found:
        _finished(a.path, a.error, on_event or (lambda e: None))
    if job.plan:
        worded = iter(word_batch([a for a in found if not a.error], job))
        found = [a if a.error else next(worded) for a in found]
    return [
        SourceOutcome(
            path=a.path,
            error=a.error,
            duration=a.info.duration if a.info else None,
            fingerprint=a.fingerprint,
            moments=a.moments,
            rejected=a.rejected,
            notes=a.notes,
            plans=tuple(stamped(p, a.fingerprint) for pp in a.planned for p in pp.plans)
            if not a.error
            else (),
        )  # fmt: skip
        for a in found
    ]


# -- the output folder ----------------------------------------------------------------------


def _locked(opts: CutOptions, on_event: EventSink | None) -> AbstractContextManager[None]:
    """The output folder's lock, for a run that writes to it; when it waits, a line to
    show (a ``say`` event; logged without a callback: the library never prints)."""
    if opts.dry_run:
        return nullcontext()

    def waiting(line: str) -> None:
        if on_event is None:
            log.warning("%s", line)
        else:
            on_event({"stage": "wait", "say": line})

    return output_lock(opts.out_dir, waiting)


def _clean_partials(opts: CutOptions, presets: Iterable[Preset]) -> None:
    """Remove temporary files an interrupted run left in the output folders."""
    if opts.dry_run:
        return
    for preset in presets:
        for p in (opts.out_dir / preset.name).glob(".*.part*"):
            p.unlink(missing_ok=True)


def _write_outputs(opts: CutOptions, results: list[SourceOutcome]) -> None:
    """Rebuild the manifest and the review page from everything in the output folder."""
    from clipkit.run.review import write_review_of

    if not opts.dry_run:
        state = State(opts.out_dir)
        for r in results:
            state.put_source(r.summary())
        state.write_manifest()
        write_review_of(state)


def _die_for_tests(path: str) -> None:
    """Tests of a worker that dies: ``CLIPKIT_TEST_DIE_ON`` names a file whose worker
    exits at once, every time, or only the first time when ``CLIPKIT_TEST_DIE_ONCE``
    names a marker file (made on the first death)."""
    name = os.environ.get("CLIPKIT_TEST_DIE_ON")
    if not name or not in_pool() or Path(path).name != name:
        return
    once = os.environ.get("CLIPKIT_TEST_DIE_ONCE")
    if once:
        try:
            Path(once).touch(exist_ok=False)
        except FileExistsError:
            return
    os._exit(9)
