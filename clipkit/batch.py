"""Batch processing: sources in, clips out, for one or more presets.

Each source is one unit of work, twice: first probe, analyse (cached), detect and plan
for every preset; then, once the captions' lines have been chosen over the whole batch
(no line twice while a pool lasts, Fail Friday numbered in order: clipkit.wording),
render the clips that are not already up to date. Units go through the Executor; one
failing source is reported and the others finish.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clipkit.children import raise_if_stopped
from clipkit.cluster import executor_for
from clipkit.detection import DetectOptions
from clipkit.errors import ClipkitError, InputError
from clipkit.executor import EventSink, Executor, emit, in_pool
from clipkit.manifest import (
    ClipRecord,
    State,
    clip_key,
    file_digest,
    output_lock,
    write_manifest,
)
from clipkit.review import timeline_data_uri, timeline_png, write_review

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CutOptions:
    """Everything one ``clipkit cut`` run needs besides the list of sources."""

    out_dir: Path
    presets: tuple[str, ...] = ("reels",)
    detect: dict[str, Any] = field(default_factory=dict)  # DetectOptions given explicitly
    caption: str | None = None
    recovery_caption: str | None = None
    recovery_file: Path | None = None
    no_recovery: bool = False
    caption_style: str | None = None  # else each preset's
    lesson: str | None = None
    reframe: str | None = None  # else each preset's
    force: bool = False
    dry_run: bool = False
    cache_dir: Path | None = None
    cluster: str | None = None  # where units run: a Dask scheduler, local:N, else the pool
    # Sources whose file name another source in the run shares (canonical paths): their
    # clips get a short tag so that neither overwrites the other's.
    shared_stems: frozenset[str] = frozenset()


def canonical(path: str) -> str:
    """One spelling per file, so that 'a.mp4' and '/abs/a.mp4' are the same source."""
    return str(Path(path).resolve())


def _tag(source: str) -> str:
    return hashlib.sha256(canonical(source).encode()).hexdigest()[:6]


def shared_stems(paths: list[str]) -> frozenset[str]:
    """The sources (canonical) whose stem another, different source also has."""
    by_stem: dict[str, set[str]] = {}
    for p in paths:
        by_stem.setdefault(Path(p).stem, set()).add(canonical(p))
    return frozenset(c for group in by_stem.values() if len(group) > 1 for c in group)


def _keyed_plan(plan: Any) -> dict[str, Any]:
    """The plan as the clip key sees it: without the source's path, which the key holds
    as its content fingerprint, so moving or re-spelling a folder re-renders nothing;
    a recovery shot from another file by that file's content, so replacing it does."""
    from clipkit.analyse import fingerprint

    d = dict(plan.to_dict())
    d.pop("source_fingerprint", None)  # the key holds the source's fingerprint itself
    src = canonical(d.pop("source"))
    if d.get("recovery_source"):
        rec = canonical(d["recovery_source"])
        try:
            d["recovery_source"] = (
                "<source>" if rec == src else fingerprint(rec, os.path.getsize(rec))
            )
        except OSError:  # rendering it will say what is wrong
            d["recovery_source"] = rec
    return d


@dataclass
class SourceResult:
    """What happened to one source file."""

    path: str
    error: str | None = None
    duration: float | None = None
    fingerprint: str | None = None
    moments: list[dict[str, Any]] = field(default_factory=list)
    # Bursts that stood out but were not reported, with the reason (``detect --explain``).
    rejected: list[dict[str, Any]] = field(default_factory=list)
    made: list[ClipRecord] = field(default_factory=list)
    kept: list[ClipRecord] = field(default_factory=list)
    would_make: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    would_remove: list[str] = field(default_factory=list)  # with --dry-run: stale clips
    notes: list[str] = field(default_factory=list)
    timeline: str | None = None  # review-page picture of the signals, as a data URI
    plans: list[Any] = field(default_factory=list)  # ClipPlans, when detect was asked to plan
    # cut: each preset's ClipPlans, between planning and rendering
    planned: dict[str, list[Any]] = field(default_factory=dict)
    # cut without an analysis cache: the Signals, from planning to rendering
    signals: Any = None

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
            "moments": self.moments,
            "notes": self.notes,
            "rejected": self.rejected,
            "timeline": self.timeline,
        }


def detect_options_for(preset: Any | None, explicit: dict[str, Any]) -> DetectOptions:
    """Detection settings: explicit (CLI/API) values over the preset's, over the defaults."""
    return preset.detect_options(**explicit) if preset is not None else DetectOptions(**explicit)


def _record(
    plan: Any,
    preset: Any,
    result: Any,
    key: str,
    res: SourceResult,
    out_dir: Path,
) -> ClipRecord:
    fingerprint, moments = res.fingerprint or "", res.moments
    rel = lambda p: str(Path(p).resolve().relative_to(out_dir.resolve())) if p else None  # noqa: E731
    rec = plan.recovery
    reasons: list[str] = next(
        (m.get("reasons", []) for m in moments if m.get("peak") == plan.peak), []
    )
    return ClipRecord(
        key=key,
        output=rel(result.path) or "",
        cover=rel(result.cover),
        preset=preset.name,
        preset_digest=preset.digest(),
        source=plan.source,
        source_fingerprint=fingerprint,
        index=plan.index,
        start=plan.start,
        end=plan.end,
        peak=plan.peak,
        score=plan.score,
        reasons=list(reasons),
        caption=plan.caption or "",
        recovery_caption=plan.recovery_caption or "",
        recovery=list(rec) if rec else None,
        recovery_note=plan.recovery_note or None,
        duration=result.duration,
        size_bytes=result.size_bytes,
        notes=[n for n in (plan.note, getattr(result, "note", "")) if n],
        recovery_source=plan.recovery_source,
        plan_note=plan.note,
        recovery_still=plan.recovery_still,
        reframe=getattr(result, "reframe", ""),
        crop=getattr(result, "crop", None),
        loudness=result.loudness.to_dict() if getattr(result, "loudness", None) else None,
        sha256=file_digest(Path(result.path)),
    )


def process_source(path: str, opts: CutOptions, sink: EventSink | None = None) -> SourceResult:
    """Run the whole pipeline on one file (its captions' lines chosen over it alone).
    Never raises a ClipkitError: it is returned."""
    res = plan_source(path, opts, sink)
    _word_cut([res], opts)
    return render_source(res, opts, sink)


def plan_source(path: str, opts: CutOptions, sink: EventSink | None = None) -> SourceResult:
    """Analyse, detect and plan one file for every preset; captions left to choose."""
    return _guarded(path, lambda res: _plan(path, opts, res, sink), sink, final=False)


def render_source(
    res: SourceResult, opts: CutOptions, sink: EventSink | None = None
) -> SourceResult:
    """Render the planned (and worded) clips of ``res``; a failed source stays failed."""
    if res.error:  # (planning said so already)
        return res
    return _guarded(res.path, lambda new: _render(res, new, opts, sink), sink, start=res)


def _analysed(path: str, cache_dir: Path | None, res: SourceResult, sink: EventSink | None) -> Any:
    """Probe and analyse (from the cache when possible); fill in ``res``."""
    from clipkit.analyse import analyse, fingerprint
    from clipkit.probe import probe

    emit({"source": path, "stage": "probe"}, sink)
    info = probe(path)
    res.duration = info.duration
    res.fingerprint = fingerprint(path, info.size_bytes)

    def on_progress(fraction: float) -> None:
        emit({"source": path, "stage": "analyse", "fraction": fraction}, sink)

    # In a pool the other workers keep the cores busy: a split gains nothing there.
    return info, analyse(info, cache_dir=cache_dir, progress=on_progress, split=not in_pool())


def _guarded(
    path: str,
    work: Any,
    sink: EventSink | None,
    *,
    final: bool = True,
    start: SourceResult | None = None,
) -> SourceResult:
    """Run ``work(res)``; a ClipkitError or OSError becomes ``res.error``. ``final``: the
    source's last stage (its end is announced); ``start``: what earlier stages found."""
    res = replace(start) if start is not None else SourceResult(path=path)
    try:
        work(res)
    except ClipkitError as e:
        res.error = str(e)
    except OSError as e:  # a file that vanished or became unreadable mid-run
        res.error = f"{path}: {e.strerror or e}"
    except Exception as e:  # a bug or a library's surprise: this file fails, the batch goes on
        log.debug("unexpected error on %s", path, exc_info=True)
        res.error = f"{path}: unexpected error: {type(e).__name__}: {e}"
    raise_if_stopped()  # (the error may be the unwinding's, a killed ffmpeg's)
    if final or res.error:
        emit({"source": path, "stage": "error" if res.error else "done", "error": res.error}, sink)
    return res


@dataclass(frozen=True)
class DetectJob:
    """What ``clipkit detect`` needs for each file."""

    detect: dict[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None
    preset: str | None = None  # its detection settings apply (and plans are for it)
    plan: bool = False  # also plan the clips
    caption: str | None = None
    recovery_caption: str | None = None
    recovery_file: Path | None = None
    no_recovery: bool = False
    caption_style: str | None = None
    lesson: str | None = None


def detect_source(path: str, job: DetectJob, sink: EventSink | None = None) -> SourceResult:
    """Find the moments in one file (and plan its clips when ``job.preset`` is set)."""

    def work(res: SourceResult) -> None:
        from clipkit.detection import detect_with_notes
        from clipkit.plan import plan_clips
        from clipkit.presets import load_preset

        info, signals = _analysed(path, job.cache_dir, res, sink)
        preset = load_preset(job.preset) if job.preset else None
        found = detect_with_notes(signals, detect_options_for(preset, job.detect))
        moments = found.moments
        res.moments = [m.to_dict() for m in moments]
        res.rejected = [r.to_dict() for r in found.rejected]
        res.notes = list(found.notes)
        if preset is not None and job.plan:  # worded by run_detect, over the batch
            res.planned[job.preset or preset.name] = plan_clips(
                info, signals, moments, preset,
                recovery_file=job.recovery_file, no_recovery=job.no_recovery, worded=False,
            )  # fmt: skip

    return _guarded(path, work, sink)


def _rendering(name: str, opts: CutOptions) -> Any:
    """The preset ``name`` as this run renders it (with --reframe, when given)."""
    from clipkit.presets import load_preset

    preset = load_preset(name)
    return preset.with_overrides(reframe=opts.reframe) if opts.reframe else preset


def _plan(path: str, opts: CutOptions, res: SourceResult, sink: EventSink | None) -> None:
    from clipkit.detection import detect_with_notes
    from clipkit.plan import plan_clips

    info, signals = _analysed(path, opts.cache_dir, res, sink)
    for name in opts.presets:
        preset = _rendering(name, opts)  # its crops are for --reframe, when given
        found = detect_with_notes(signals, detect_options_for(preset, opts.detect))
        moments = found.moments
        if name == opts.presets[0]:
            res.notes = list(found.notes)
            res.moments = [m.to_dict() for m in moments]
            res.rejected = [r.to_dict() for r in found.rejected]
            res.timeline = timeline_data_uri(timeline_png(signals, res.moments, res.rejected))
        res.planned[name] = plan_clips(
            info, signals, moments, preset,
            recovery_file=opts.recovery_file, no_recovery=opts.no_recovery, worded=False,
        )  # fmt: skip


def word_batch(
    results: list[SourceResult],
    preset_names: Iterable[str],
    *,
    caption: str | None = None,
    recovery_caption: str | None = None,
    caption_style: str | None = None,
    lesson: str | None = None,
) -> None:
    """Fill in the captions of every planned clip of ``results`` (``planned``), the lines
    chosen over all of them (see clipkit.wording)."""
    from clipkit.plan import word_plans, words_of
    from clipkit.presets import load_preset
    from clipkit.wording import choose_lines

    presets = {name: load_preset(name) for name in preset_names}
    style = caption_style
    words = [
        words_of(p, presets[name], style, lesson)
        for r in results
        for name, plans in r.planned.items()
        for p in plans
    ]
    lines = choose_lines(words)
    for r in results:
        for name, plans in r.planned.items():
            r.planned[name] = word_plans(
                plans, presets[name],
                caption=caption, recovery_caption=recovery_caption,
                caption_style=style, lesson=lesson, lines=lines,
            )  # fmt: skip


def _word_cut(results: list[SourceResult], opts: CutOptions) -> None:
    word_batch(
        [r for r in results if not r.error],
        opts.presets,
        caption=opts.caption,
        recovery_caption=opts.recovery_caption,
        caption_style=opts.caption_style,
        lesson=opts.lesson,
    )


def _render(
    planned: SourceResult, res: SourceResult, opts: CutOptions, sink: EventSink | None
) -> None:
    from clipkit.probe import probe

    info = probe(res.path)
    res.planned = {}
    state = State(opts.out_dir)
    presets = [(plans, _rendering(name, opts)) for name, plans in planned.planned.items()]
    _render_plans(presets, info, res, state, opts, sink)


def _named(
    plan: Any, preset: Any, res: SourceResult, state: State, opts: CutOptions, wanted: set[str]
) -> tuple[Any, str]:
    """The plan with the file name it is made under, and that name in the output folder:
    tagged when another source's clip has the name, numbered when a clip of this one has."""
    output = f"{preset.name}/{plan.output}"
    other = state.get(output)
    if canonical(res.path) in opts.shared_stems or (
        other and not state.is_source(other.source, res.path)
    ):
        name = Path(plan.output)
        plan = replace(plan, output=f"{name.stem}-{_tag(res.path)}{name.suffix}")
        output = f"{preset.name}/{plan.output}"
    if output in wanted:  # a name template without {index}: number the clip
        name = Path(plan.output)
        plan = replace(plan, output=f"{name.stem}-{plan.index}{name.suffix}")
        output = f"{preset.name}/{plan.output}"
    return plan, output


def _render_plans(
    planned: list[tuple[list[Any], Any]],
    info: Any,
    res: SourceResult,
    state: State,
    opts: CutOptions,
    sink: EventSink | None,
) -> None:
    """Render (or keep, when up to date) each preset's clips of a source. Progress counts
    the clips across presets (clip 3 of 4), so that the source's only goes forward."""
    from clipkit.render import render_clip

    total, number = sum(len(plans) for plans, _ in planned), 0
    for plans, preset in planned:
        wanted: set[str] = set()
        for plan in plans:
            number += 1
            plan, output = _named(plan, preset, res, state, opts, wanted)
            wanted.add(output)
            key = clip_key(res.fingerprint or "", _keyed_plan(plan), preset.digest())
            kept = None if opts.force else state.current(output, key)
            if kept is not None:
                res.kept.append(kept)
                continue
            if opts.dry_run:
                res.would_make.append(output)
                continue
            event = {"source": res.path, "stage": "render", "clip": number, "clips": total}
            emit(event, sink)

            def progress(frames: int, of: int, event: dict[str, Any] = event) -> None:
                emit({**event, "frames": frames, "of": of}, sink)

            out = opts.out_dir / preset.name
            result = render_clip(plan, preset, out, info, progress=progress)
            rec = _record(plan, preset, result, key, res, opts.out_dir)
            state.put(rec)
            res.made.append(rec)
        _remove_stale(state, res, preset.name, wanted, dry_run=opts.dry_run)


def _remove_stale(
    state: State, res: SourceResult, preset: str, wanted: set[str], *, dry_run: bool
) -> None:
    """Delete clips this source used to give for this preset but no longer does (with
    ``dry_run``, only list them)."""
    for rec in state.records():
        same = state.is_source(rec.source, res.path)
        if same and rec.preset == preset and rec.output not in wanted:
            if dry_run:
                res.would_remove.append(rec.output)
                continue
            for rel in (rec.output, rec.cover):
                if rel:
                    (state.out_dir / rel).unlink(missing_ok=True)
            state.drop(rec.output)
            res.removed.append(rec.output)


@dataclass
class BatchReport:
    results: list[SourceResult]

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.error]


def run_batch(
    sources: list[str], opts: CutOptions, *, jobs: int = 1, on_event: EventSink | None = None
) -> BatchReport:
    """Process ``sources`` with ``jobs`` workers and write the manifest."""
    from functools import partial

    opts = replace(opts, shared_stems=shared_stems(sources))
    with _locked(opts):
        clean_partials(opts)
        order = {p: i for i, p in enumerate(sources)}
        with executor_for(opts.cluster, jobs, on_event) as executor:
            planned = sorted(
                executor.map(partial(_plan_one, opts=opts), sources, _lost),
                key=lambda r: order[r.path],
            )
            _word_cut(planned, opts)
            results = list(executor.map(partial(_render_one, opts=opts), planned, _lost))
        results.sort(key=lambda r: order[r.path])
        clean_partials(opts)  # what a worker that died mid-clip left
        _write_outputs(opts, results)
    return BatchReport(results)


def _locked(opts: CutOptions) -> AbstractContextManager[None]:
    """The output folder's lock, for a run that writes to it (one line when it waits)."""
    if opts.dry_run:
        return nullcontext()
    return output_lock(opts.out_dir, lambda line: print(f"clipkit: {line}", file=sys.stderr))


def clean_partials(opts: CutOptions) -> None:
    """Remove temporary files an interrupted run left in the output folders."""
    from clipkit.presets import load_preset

    if opts.dry_run:
        return
    for name in opts.presets:
        for p in (opts.out_dir / load_preset(name).name).glob(".*.part*"):
            p.unlink(missing_ok=True)


def _write_outputs(opts: CutOptions, results: list[SourceResult]) -> None:
    """Rebuild the manifest and the review page from everything in the output folder."""
    if not opts.dry_run:
        state = State(opts.out_dir)
        for r in results:
            state.put_source(r.summary())
        sources, records = state.sources(), state.records()
        write_manifest(
            opts.out_dir,
            records,
            [{k: v for k, v in s.items() if k != "timeline"} for s in sources],
        )
        write_review(opts.out_dir, sources, records)


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


def _lost(item: Any, reason: str, sink: EventSink) -> SourceResult:
    """The result of a source whose worker process died on it twice."""
    path = (
        item if isinstance(item, str) else item.path if isinstance(item, SourceResult) else item[0]
    )
    error = f"{path}: {reason}; skipped it"
    emit({"source": path, "stage": "error", "error": error}, sink)
    return SourceResult(path=path, error=error)


def _plan_one(path: str, sink: EventSink | None, *, opts: CutOptions) -> SourceResult:
    _die_for_tests(path)
    return plan_source(path, opts, sink)


def _render_one(res: SourceResult, sink: EventSink | None, *, opts: CutOptions) -> SourceResult:
    if not res.error:
        _die_for_tests(res.path)
    return render_source(res, opts, sink)


def _plans_one(
    item: tuple[str, list[Any]], sink: EventSink | None, *, opts: CutOptions
) -> SourceResult:
    path, plans = item
    _die_for_tests(path)

    def work(res: SourceResult) -> None:
        from clipkit.detection import detect_with_notes
        from clipkit.fingerprint import check_unchanged
        from clipkit.plan import for_preset, framed, plan_problem

        check_unchanged(path, plans, force=opts.force)
        info, signals = _analysed(path, opts.cache_dir, res, sink)
        presets = [_rendering(name, opts) for name in opts.presets]
        res.moments = [
            {"start": p.start, "end": p.end, "peak": p.peak, "score": p.score} for p in plans
        ]
        # The review page still shows what detection turned down (numpy on cached series).
        found = detect_with_notes(signals, detect_options_for(presets[0], opts.detect))
        res.rejected = [r.to_dict() for r in found.rejected]
        res.timeline = timeline_data_uri(timeline_png(signals, res.moments, res.rejected))
        state = State(opts.out_dir)
        # All checked before any is rendered: an edited plan that asks for the impossible
        # fails its source with the reason, and leaves its earlier clips as they were.
        for preset in presets:
            problems = [q for p in plans if (q := plan_problem(p, info.duration, preset))]
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise InputError(f"{path}: {problems[0]}{more}")
        # A plan without a crop for the preset's frame (written before plans kept it, or
        # for another shape) gets it from the analysis, as it was planned.
        planned = [
            ([framed(for_preset(p, preset), info, signals, preset) for p in plans], preset)
            for preset in presets
        ]
        _render_plans(planned, info, res, state, opts, sink)

    return _guarded(path, work, sink)


def _word_render(plans: list[Any], opts: CutOptions) -> list[Any]:
    """Plans with the captions that their files leave out chosen (over all of them),
    by their own caption_style, else the run's, else the first preset's."""
    from clipkit.plan import word_plans
    from clipkit.presets import load_preset

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


def run_plans(
    plans: list[Any], opts: CutOptions, *, jobs: int = 1, on_event: EventSink | None = None
) -> BatchReport:
    """Render edited plans (from ``clipkit detect --plan``), one unit of work per source."""
    from functools import partial

    plans = _word_render(plans, opts)
    by_source: dict[str, list[Any]] = {}
    for plan in plans:
        by_source.setdefault(plan.source, []).append(plan)
    items = list(by_source.items())
    opts = replace(opts, shared_stems=shared_stems(list(by_source)))
    with _locked(opts):
        clean_partials(opts)
        with executor_for(opts.cluster, jobs, on_event) as executor:
            results = list(executor.map(partial(_plans_one, opts=opts), items, _lost))
        clean_partials(opts)  # what a worker that died mid-clip left
        order = {p: i for i, p in enumerate(by_source)}
        results.sort(key=lambda r: order[r.path])
        _write_outputs(opts, results)
    return BatchReport(results)


def _detect_one(path: str, sink: EventSink | None, *, job: DetectJob) -> SourceResult:
    _die_for_tests(path)
    return detect_source(path, job, sink)


def run_detect(
    sources: list[str], job: DetectJob, *, jobs: int = 1, on_event: EventSink | None = None
) -> list[SourceResult]:
    """Detect moments in ``sources`` with ``jobs`` workers, results in input order."""
    from functools import partial

    from clipkit.fingerprint import stamped

    results = list(Executor(jobs, on_event).map(partial(_detect_one, job=job), sources, _lost))
    order = {p: i for i, p in enumerate(sources)}
    results.sort(key=lambda r: order[r.path])
    if job.plan and job.preset:
        ok = [r for r in results if not r.error]
        word_batch(
            ok, [job.preset],
            caption=job.caption, recovery_caption=job.recovery_caption,
            caption_style=job.caption_style, lesson=job.lesson,
        )  # fmt: skip
        for r in ok:
            r.plans = [stamped(p, r.fingerprint) for plans in r.planned.values() for p in plans]
            r.planned = {}
    return results
