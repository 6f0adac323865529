"""The clipkit command line. The only module that knows click."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import Field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clipkit import __version__
from clipkit.errors import ClipkitError
from clipkit.options import DEFAULT_PRESET

if TYPE_CHECKING:
    from clipkit.options import DetectOptions, Given
    from clipkit.run.batch import BatchReport, CutOptions, SourceOutcome

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn a ClipkitError into one line on stderr and exit 1, or the error's own
    ``exit_code`` (a traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClipkitError as e:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"clipkit: error: {e}", err=True)
            sys.exit(getattr(e, "exit_code", 1))

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from clipkit.children import Stopped, stopping_cleanly

        try:
            with stopping_cleanly():
                return super().invoke(ctx)
        except (KeyboardInterrupt, Stopped) as e:
            # Outputs are renamed into place only when complete, so nothing half-made is
            # left; 128 + the signal is what shells and make expect of a stopped command.
            if isinstance(e, Stopped) and e.signum != signal.SIGINT:
                click.echo(f"clipkit: stopped by {e}", err=True)
                sys.exit(e.exit_code)
            click.echo("\nclipkit: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clipkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
def main(debug: bool) -> None:
    """Find the mishap moments in raw kitchen footage and cut them into clips ready to post.

    \b
    Typical use:
      clipkit cut --preset reels footage/ -o out/
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
def doctor() -> None:
    """Check that ffmpeg, OpenCV, moviepy and Python are present and work."""
    from clipkit.run.doctor import run_checks

    checks = run_checks()
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "ok  " if c.ok else "FAIL"
        click.echo(f"{mark} {c.name:<{width}}  {c.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)


# -- shared options ---------------------------------------------------------------


# Click-only details that the option fields (clipkit.options) leave open.
_PATH_TYPES: dict[str, click.Path] = {
    "out_dir": click.Path(path_type=Path),
    "cache_dir": click.Path(file_okay=False, path_type=Path),
    "recovery_file": click.Path(exists=True, dir_okay=False, path_type=Path),
}
# Fields whose flag defaults to the field's default; the others default to None, so that
# a value the user did not give comes from the preset (or, for the cache, is made then).
_SHOWN = ("out_dir", "presets")


def _short_caption(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from clipkit.clips.wording import caption_too_long

    if value is not None and (problem := caption_too_long(value)):
        raise click.BadParameter(problem)
    return value


def _template(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A caption template that fills, checked before any work (a usage error if not)."""
    from clipkit.clips.presets import check_template

    value = _short_caption(ctx, param, value)
    try:
        return None if value is None else check_template(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _cache_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    """The analysis cache folder: the flag's, else the default (resolved at run time)."""
    from clipkit.options import default_cache_dir

    return value or default_cache_dir()


def _cluster(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A cluster's address, checked in form before any work (reached when the run starts)."""
    from clipkit.run.cluster import ClusterError, check_address

    try:
        return check_address(value) if value else None
    except ClusterError as e:
        raise click.BadParameter(str(e)) from None


def _sting(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A sting's name (none: no sting), checked before any work."""
    from clipkit.errors import PresetError
    from clipkit.render.sting import get_sting

    if value is None or value.strip().lower() in ("", "none"):
        return None if value is None else ""
    try:
        return get_sting(value).name
    except PresetError as e:
        raise click.BadParameter(str(e)) from None


def _exports(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Timeline formats (none: none), checked before any work; OTIO's package too."""
    from clipkit.errors import ClipkitError
    from clipkit.posts.timeline import check_exports

    if value is None or value.strip().lower() in ("", "none"):
        return None if value is None else ""
    try:
        return ",".join(check_exports(value))
    except ClipkitError as e:
        raise click.BadParameter(str(e)) from None


_CALLBACKS: dict[str, Callable[..., Any]] = {
    "sting": _sting,
    "exports": _exports,
    "cluster": _cluster,
    "caption": _template,
    "recovery_caption": _template,
    "lesson": _short_caption,
    "cache_dir": _cache_dir,
}


def _help(f: Field[Any]) -> str:
    text: str = f.metadata["help"]
    text = text[:1].upper() + text[1:]
    if env := f.metadata.get("envvar"):
        text += f" [env: {env}]"
    key = f.metadata.get("preset_key")
    return f"{text} [overrides the preset's {key}]" if key else text


def _click_type(f: Field[Any], ranged: bool) -> Any:
    kind, meta = f.metadata["kind"], f.metadata
    if meta.get("choices"):
        return click.Choice(meta["choices"])
    if f.name in _PATH_TYPES:
        return _PATH_TYPES[f.name]
    if ranged and kind is int and (meta["min"] is not None or meta["max"] is not None):
        return click.IntRange(min=meta["min"], max=meta["max"])
    return str if kind is tuple else kind


def _option(f: Field[Any], *, ranged: bool = True) -> Callable[[F], F]:
    """The click option of one field of clipkit.options: its flags, type, help and
    default (see _SHOWN) come from the field."""
    from dataclasses import MISSING

    from clipkit.options import flags_of

    kind = f.metadata["kind"]
    if kind is bool and f.default is None:  # --x/--no-x; not given: the preset's
        return click.option(*flags_of(f), f.name, default=None, help=_help(f))
    if kind is bool:
        return click.option(*flags_of(f), f.name, is_flag=True, help=_help(f))
    shown = f.name in _SHOWN
    # (A default made by a factory, the cache folder, is made when the run starts.)
    default = f.default if f.default_factory is MISSING else None
    return click.option(
        *flags_of(f),
        f.name,
        type=_click_type(f, ranged),
        multiple=kind is tuple,
        default=default if shown else None,
        show_default=True if shown else (None if default is None else str(default)),
        callback=_CALLBACKS.get(f.name),
        envvar=f.metadata.get("envvar"),
        help=_help(f),
    )


def options_of(kind: type, *names: str, ranged: bool = True) -> Callable[[F], F]:
    """One click option per field of ``kind`` (those in ``names``, in that order, else
    all): same name, default, range and help as the API and the presets."""
    from dataclasses import fields

    by_name = {f.name: f for f in fields(kind)}

    def add(func: F) -> F:
        for name in reversed(names or tuple(by_name)):
            func = _option(by_name[name], ranged=ranged)(func)
        return func

    return add


def detect_options(func: F) -> F:
    """One flag per DetectOptions field, checked by DetectOptions itself (checked_detect)."""
    from clipkit.options import DetectOptions

    return options_of(DetectOptions, ranged=False)(func)


def checked_detect(values: dict[str, Any]) -> Given[DetectOptions]:
    """The detection flags the user gave, checked by DetectOptions itself."""
    from dataclasses import fields

    from clipkit.options import DetectOptions

    names = {f.name for f in fields(DetectOptions)}
    try:
        return DetectOptions.given(**{k: v for k, v in values.items() if k in names})
    except ValueError as e:
        raise click.UsageError(str(e)) from None


def style_options(func: F) -> F:
    """--caption-style and --lesson: where the lines of captions without a text come from."""
    from clipkit.options import PlanOptions

    return options_of(PlanOptions, "caption_style", "lesson")(func)


def _run_option(*names: str) -> Callable[[F], F]:
    from clipkit.options import RunOptions

    return options_of(RunOptions, *names)


def resolve_sources(
    paths: tuple[str, ...], *, exclude: tuple[Path, ...] = (), verbose: bool
) -> tuple[list[str], int]:
    """Expand PATHs to video files; say what was skipped or missing. Returns the
    files, and how many paths were missing or could not be looked at."""
    from clipkit.media.discover import find_videos

    found = find_videos(paths, exclude=exclude)
    for p in found.missing:
        click.echo(f"clipkit: {p}: no such file or folder", err=True)
    for p in found.outputs:
        click.echo(f"clipkit: {p}: skipped: a clipkit output folder, not footage", err=True)
    for p, why in found.unusable:
        click.echo(f"clipkit: {p}: skipped: {why}", err=True)
    if verbose:
        for p in found.skipped:
            click.echo(f"skipped (not a video): {p}", err=True)
    return [str(p) for p in found.videos], len(found.missing) + len(found.unusable)


def _fmt_span(tag: str, m: dict[str, Any], why: str) -> str:
    """One line of ``detect``'s text output: a moment (``tag`` #1, #2...) or a rejected
    burst (``--``)."""
    return (
        f"  {tag:<3} {m['start']:7.2f} - {m['end']:7.2f} s   peak {m['peak']:7.2f} s   "
        f"score {m['score']:.2f}   {why}"
    )


def _fmt_moment(i: int, m: dict[str, Any]) -> str:
    return _fmt_span(f"#{i}", m, "+".join(m.get("reasons", [])) or "-")


def _fmt_rejected(m: dict[str, Any]) -> str:
    return _fmt_span("--", m, f"not reported: {m['why']}")


def _progress_for(total: int, quiet: bool) -> Any:
    from clipkit.progress import make_progress

    return make_progress(total, quiet=quiet)


# -- detect -----------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the clip plans to FILE (.yaml or .json) for `clipkit render`.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite a plan file even when it was edited since clipkit wrote it.",
)
@click.option(
    "-p",
    "--preset",
    default=DEFAULT_PRESET,
    show_default=True,
    help="Preset whose detection settings apply and that plans are made for.",
)
@detect_options
@_run_option("cache_dir", "jobs")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("-v", "--verbose", is_flag=True, help="Also list files that were skipped.")
@click.option(
    "--explain",
    is_flag=True,
    help="Also list the bursts that stood out but were not reported, and why "
    "(the camera moved, the light changed, --min-gap, ...).",
)
@style_options
@friendly_errors
def detect(
    paths: tuple[str, ...],
    as_json: bool,
    output: Path | None,
    plan_file: Path | None,
    force: bool,
    preset: str,
    cache_dir: Path | None,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    explain: bool,
    caption_style: str | None,
    lesson: str | None,
    **detect_values: Any,
) -> None:
    """Find the mishap moments in video files and folders (recursively)."""
    from clipkit.clips.presets import load_preset
    from clipkit.run.batch import DetectJob, run_detect

    sources, unfound = resolve_sources(paths, verbose=verbose)
    load_preset(preset)  # a bad preset name fails before any work
    _check_detect_outputs(output, plan_file, force)  # ...and so does a bad output
    job = DetectJob(
        detect=checked_detect(detect_values),
        cache_dir=cache_dir,
        jobs=jobs,
        preset=preset,
        plan=plan_file is not None,
        caption_style=caption_style,
        lesson=lesson,
    )
    with _progress_for(len(sources), quiet or as_json and output is None) as bar:
        results = run_detect(sources, job, on_event=bar)
    text = _detect_json(results, explain) if as_json else _detect_text(results, explain)
    if output is not None:
        _write_detect_output(output, text)
    else:
        click.echo(text, nl=False)
    failed = [r.path for r in results if r.error]
    if plan_file is not None:
        _write_detect_plan(plan_file, results, failed)
    _finish(paths, sources, failed, unfound)


def _check_detect_outputs(output: Path | None, plan_file: Path | None, force: bool) -> None:
    """Fail before any work when the output or the plan file cannot be written (or the
    plan file was edited since clipkit wrote it, and ``force`` is not given)."""
    from clipkit.clips.plan import edited_by_hand
    from clipkit.errors import OutputError
    from clipkit.files import check_output_file

    if output is not None:
        check_output_file(output, "output file")
    if plan_file is not None:
        check_output_file(plan_file, "plan file")
        if plan_file.exists() and not force and edited_by_hand(plan_file):
            raise OutputError(
                f"{plan_file}: edited since clipkit wrote it (or not a plan file): not "
                "overwritten (move it away, or pass --force)"
            )


def _detect_json(results: list[Any], explain: bool) -> str:
    import json

    from clipkit import __version__

    files = []
    for r in results:
        entry: dict[str, Any] = {
            "path": r.path, "duration": r.duration, "error": r.error, "moments": r.moments,
        }  # fmt: skip
        if r.notes:
            entry["notes"] = list(r.notes)
        if explain:
            entry["rejected"] = r.rejected
        files.append(entry)
    doc = {"clipkit_version": __version__, "files": files}
    return json.dumps(doc, indent=2) + "\n"


def _detect_lines(r: Any, explain: bool) -> list[str]:
    """``detect``'s text on one file."""
    if r.error:
        # Errors name their file already (they are also printed on their own).
        return [f"{r.path}: error: {r.error.removeprefix(f'{r.path}: ')}"]
    lines = [f"{r.path}  ({r.duration:.1f} s, {len(r.moments)} moment(s))"]
    # In time order, numbered like the clips `cut` makes of them; the score says
    # which is best.
    in_time = sorted(r.moments, key=lambda m: m["peak"])
    spans = [(m["peak"], _fmt_moment(i, m)) for i, m in enumerate(in_time, 1)]
    if explain:
        spans += [(m["peak"], _fmt_rejected(m)) for m in r.rejected]
    lines += [line for _, line in sorted(spans, key=lambda s: s[0])]
    return lines + [f"  note: {n}" for n in r.notes]


def _detect_text(results: list[Any], explain: bool) -> str:
    lines = [line for r in results for line in _detect_lines(r, explain)]
    return "\n".join(lines) + "\n" if lines else ""


def _write_detect_output(output: Path, text: str) -> None:
    from clipkit.errors import OutputError
    from clipkit.files import write_if_changed

    try:
        write_if_changed(output, text)
    except OSError as e:
        why = e.strerror or e
        raise OutputError(f"{output}: cannot write the output file ({why})") from None


def _write_detect_plan(plan_file: Path, results: list[Any], failed: list[str]) -> None:
    if failed and len(failed) == len(results):
        # A plan of no clips would read as "no moments there": none is better.
        click.echo(f"clipkit: {plan_file}: not written, because every file failed", err=True)
        return
    from clipkit.clips.plan import save_plans

    # The good files' plans are kept; the exit code and the lines below say that the
    # plan lacks the failed files' clips (make deletes it: .DELETE_ON_ERROR).
    save_plans(plan_file, [p for r in results for p in r.plans])
    if failed:
        click.echo(
            f"clipkit: {plan_file}: written without the clips of {len(failed)} file(s) that failed",
            err=True,
        )


def _finish(paths: tuple[str, ...], sources: list[str], failed: list[str], missing: int) -> None:
    """Say what went wrong, and exit 1 when any file failed or any path was missing or
    could not be looked at."""
    if not sources and not missing:
        click.echo("clipkit: no video files found in " + ", ".join(paths), err=True)
    _fail_if(failed, missing)


def _fail_if(failed: list[str], missing: int = 0) -> None:
    """List the files that failed, and exit 1 when any did or any path was missing."""
    if failed:
        click.echo(f"clipkit: {len(failed)} file(s) failed:", err=True)
        for p in failed:
            click.echo(f"  {p}", err=True)
    if failed or missing:
        sys.exit(1)


# -- cut and render ---------------------------------------------------------------------


def _check_not_footage(paths: Iterable[str], out_dir: Path, what: str) -> None:
    """A usage error when the output folder is one of the footage folders: the next run
    would take the whole folder for clipkit's output."""
    for p in paths:
        with contextlib.suppress(OSError, RuntimeError):  # said by resolve_sources
            if Path(p).is_dir() and Path(p).resolve() == out_dir.resolve():
                raise click.BadParameter(
                    f"{out_dir} is one of the footage folders: {what} would be mixed with the "
                    "footage (choose another folder, e.g. one inside it)",
                    param_hint="'-o' / '--out'",
                )


def caption_options(func: F) -> F:
    from clipkit.options import PlanOptions

    names = ("caption", "recovery_caption", "recovery_file", "no_recovery")
    return options_of(PlanOptions, *names)(func)


def run_options(func: F) -> F:
    for decorator in reversed(
        [
            _run_option("jobs", "cluster", "force", "dry_run"),
            click.option(
                "-q", "--quiet", is_flag=True, help="Print only errors (and then the summary)."
            ),
            click.option(
                "-v", "--verbose", is_flag=True, help="Also list every clip and skipped file."
            ),
            _run_option("cache_dir"),
        ]
    ):
        func = decorator(func)
    return func


def extras_options(func: F) -> F:
    """--stills, --post-text, --sting, --export: what goes with each clip."""
    from clipkit.options import ExtrasOptions

    return options_of(ExtrasOptions)(func)


def reframe_option(func: F) -> F:
    """--reframe: how footage of another shape is fitted, over the presets' choice."""
    from clipkit.options import PlanOptions

    return options_of(PlanOptions, "reframe")(func)


def _check_presets(names: tuple[str, ...]) -> None:
    from clipkit.clips.presets import load_preset
    from clipkit.errors import PresetError

    seen: dict[str, str] = {}
    for name in dict.fromkeys(names):
        preset = load_preset(name)  # unknown names and bad files fail before any work
        if preset.name in seen:  # both would write OUT/<name>/
            raise PresetError(
                f"{name}: named '{preset.name}' like {seen[preset.name]}: "
                "their clips would overwrite each other's (give one another 'name')"
            )
        seen[preset.name] = name


def _check_out(out_dir: Path, dry_run: bool) -> None:
    if dry_run:
        return
    from clipkit.files import check_output_dir

    check_output_dir(out_dir)


def _describe_loudness(d: dict[str, Any]) -> str:
    """A clip's loudness record (see clipkit.render.loudness.Loudness) as one line."""
    from clipkit.render.loudness import Loudness

    try:
        return Loudness(**d).describe()
    except TypeError:  # a record written by another version
        return f"sound: {d}"


def _report_source(r: SourceOutcome, out_dir: Path, *, verbose: bool, quiet: bool) -> None:
    """What went on with one source: its error, notes and (``verbose``) clips."""
    if r.error:
        click.echo(f"clipkit: {r.error}", err=True)
    if not quiet:  # what the manifest notes of a source and a new clip (in a pool, too)
        for note in r.notes:
            click.echo(f"note: {r.path}: {note}", err=True)
        for rec in r.made:
            for note in rec.notes:
                click.echo(f"note: {out_dir / rec.output}: {note}", err=True)
    if verbose:
        _report_clips(r, out_dir)


def _report_clips(r: SourceOutcome, out_dir: Path) -> None:
    """--verbose: every clip of a source, made, kept or removed."""
    if r.no_moments:
        click.echo(f"no moments in {r.path}", err=True)
    for rec in r.made:
        click.echo(f"made {out_dir / rec.output}", err=True)
        if rec.loudness:
            click.echo(f"  {_describe_loudness(rec.loudness)}", err=True)
    for rec in r.kept:
        click.echo(f"up to date {out_dir / rec.output}", err=True)
    for o in r.removed:
        click.echo(f"removed stale {out_dir / o}", err=True)


def _report_dry_run(report: BatchReport, out_dir: Path) -> None:
    kept = sum(len(r.kept) for r in report.results)
    would = [o for r in report.results for o in r.would_make]
    stale = [o for r in report.results for o in r.would_remove]
    for o in would:
        click.echo(f"would make {out_dir / o}")
    for o in stale:
        click.echo(f"would remove stale {out_dir / o}")
    gone = f", {len(stale)} stale clip(s) would be removed" if stale else ""
    click.echo(f"{len(would)} clip(s) would be made, {kept} up to date{gone}.")


def _report(
    report: BatchReport,
    out_dir: Path,
    *,
    dry_run: bool,
    verbose: bool,
    quiet: bool,
    unread: int = 0,
) -> None:
    """What the run did; ``unread``: input files (plans) that failed before it, counted
    with the sources that failed in it, so that the summary and the list agree."""
    for r in report.results:
        _report_source(r, out_dir, verbose=verbose, quiet=quiet)
    failed = len(report.failed) + unread
    if dry_run:
        _report_dry_run(report, out_dir)
    elif not quiet or failed:
        made = sum(len(r.made) for r in report.results)
        kept = sum(len(r.kept) for r in report.results)
        empty = sum(r.no_moments for r in report.results)
        none = f", {empty} file(s) without moments" if empty else ""
        click.echo(
            f"{made} clip(s) made, {kept} up to date, {failed} file(s) failed"
            f"{none} -> {out_dir / 'index.html'}",
            err=True,
        )


def _run_opts(out_dir: Path, presets: tuple[str, ...], values: dict[str, Any]) -> CutOptions:
    """CutOptions from the parsed flags: run flags by name, detection flags when given."""
    from dataclasses import fields

    from clipkit.run.batch import CutOptions

    detect = checked_detect(values)
    _check_presets(presets)
    if values.get("recovery_file"):  # one bad recovery file would fail every source
        from clipkit.media.probe import probe

        probe(str(values["recovery_file"]))
    _check_out(out_dir, values.get("dry_run", False))
    run_names = {f.name for f in fields(CutOptions)} - {"out_dir", "presets", "detect"}
    return CutOptions(
        out_dir=out_dir,
        presets=tuple(dict.fromkeys(presets)),
        detect=detect,
        **{k: v for k, v in values.items() if k in run_names},
    )


def _run(
    sources: list[Any],
    opts: CutOptions,
    values: dict[str, Any],
    batch: Callable[..., Any],
    unread: int = 0,
) -> Any:
    """Run ``batch`` over ``sources`` with progress, then report (``unread``: input files
    that already failed). Returns the report."""
    from clipkit.children import temporaries_in

    temporaries_in(opts.out_dir)  # removed when a signal stops the run
    quiet, verbose = values["quiet"], values["verbose"]
    total = len(dict.fromkeys(getattr(s, "source", s) for s in sources))  # plans name sources
    with _progress_for(total, quiet) as bar:
        report = batch(sources, opts, on_event=bar)
    _report(report, opts.out_dir, dry_run=opts.dry_run, verbose=verbose, quiet=quiet, unread=unread)
    return report


@main.command()
@click.argument("paths", nargs=-1, required=True)
@_run_option("presets", "out_dir")
@caption_options
@style_options
@reframe_option
@extras_options
@detect_options
@run_options
@friendly_errors
def cut(paths: tuple[str, ...], presets: tuple[str, ...], out_dir: Path, **values: Any) -> None:
    """Detect, plan and render clips for every video in PATHS (files or folders)."""
    from clipkit.run.batch import run_batch

    _check_not_footage(paths, out_dir, "clips")
    opts = _run_opts(out_dir, presets, values)
    sources, unfound = resolve_sources(paths, exclude=(out_dir,), verbose=values["verbose"])
    report = _run(sources, opts, values, run_batch) if sources else None
    _finish(paths, sources, [r.path for r in report.failed] if report else [], unfound)


@main.command()
@click.argument(
    "plan_files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@_run_option("presets", "out_dir")
@style_options
@reframe_option
@extras_options
@run_options
@friendly_errors
def render(
    plan_files: tuple[Path, ...], presets: tuple[str, ...], out_dir: Path, **values: Any
) -> None:
    """Render the clips of plan files written (and perhaps edited) by `clipkit detect --plan`.

    Each clip keeps the window, recovery shot and captions its plan gives (a preset's
    caption templates are for `cut` and `detect --plan`); a clip without a `caption`
    (or `recovery_caption`) gets a line of its `caption_style` (else --caption-style,
    else the first preset's). The preset gives the rest: size, frame rate, the look of
    captions, length limits, encoding and loudness.
    """
    from clipkit.clips.plan import load_plans
    from clipkit.errors import InputError
    from clipkit.run.batch import run_plans

    opts = _run_opts(out_dir, presets, values)
    plans, bad = [], []
    # A plan file named twice (a glob and a name, say) is read once.
    for f in {f.resolve(): f for f in plan_files}.values():
        try:
            plans += load_plans(f)
        except InputError as e:
            click.echo(f"clipkit: error: {e}", err=True)
            bad.append(str(f))
    plans = list(dict.fromkeys(plans))  # ...and so is a clip planned twice over
    if not plans and not bad and not values["quiet"]:
        click.echo("clipkit: the plan files hold no clips: nothing to render", err=True)
    report = _run(plans, opts, values, run_plans, unread=len(bad))
    _fail_if(bad + [r.path for r in report.failed])


# -- reel ---------------------------------------------------------------------------


def reel_extras_options(func: F) -> F:
    """--post-text and --export: of what goes with a clip, what a reel has too."""
    from clipkit.options import ExtrasOptions

    return options_of(ExtrasOptions, "post_text", "exports")(func)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-p",
    "--preset",
    default="reels",
    show_default=True,
    help="Built-in preset name or a preset YAML file: the reel's format and its longest "
    "length (reel_max_length).",
)
@_run_option("out_dir")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    metavar="N",
    default=10,
    show_default=True,
    help="How many of the best moments the reel shows (fewer when they would not fit).",
)
@click.option(
    "--order",
    type=click.Choice(("time", "score")),
    default="time",
    show_default=True,
    help="time: as they happened, numbered up; score: a countdown ending on the best.",
)
@click.option("--title", default=None, help='Opening title [default: "Fail Friday" and the date].')
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    default=None,
    metavar="DATE",
    help="Only footage recorded from DATE on (YYYY-MM-DD, or with a time: the file's "
    "creation time, else its modification time; local time).",
)
@style_options
@detect_options
@run_options
@reel_extras_options
@friendly_errors
def reel(
    paths: tuple[str, ...],
    preset: str,
    out_dir: Path,
    top: int,
    order: str,
    title: str | None,
    since: Any,
    **values: Any,
) -> None:
    """Make one compilation reel of the best moments across the footage in PATHS: an
    opening title, each moment as a short numbered cut, and the best recovery shot to
    end on; its post text is written beside it (.txt). A PATH that is an earlier run's
    output folder gives the moments of the clips made there, with their captions."""
    from clipkit.clips.presets import load_preset
    from clipkit.files import check_output_dir
    from clipkit.options import ExtrasOptions
    from clipkit.run.reel import ReelJob, is_output_folder, make_reel, recorded_since

    load_preset(preset)  # a bad preset name fails before any work...
    if not values["dry_run"]:  # ...and so does a folder that cannot be written
        check_output_dir(out_dir, create=False)  # (made only when there is a reel)
    quiet, verbose = values["quiet"], values["verbose"]
    folders = [p for p in dict.fromkeys(paths) if is_output_folder(p)]
    footage = tuple(p for p in paths if p not in folders)
    _check_not_footage(footage, out_dir, "the reel")  # (an output folder may be both)
    sources, unfound = (
        resolve_sources(footage, exclude=(out_dir,), verbose=verbose) if footage else ([], 0)
    )
    recorded = None
    if since is not None and sources:
        sources, recorded = recorded_since(sources, since)
        if not sources and not folders:
            click.echo(f"clipkit: no footage recorded since {since:%Y-%m-%d %H:%M}: no reel made")
            _fail_if([], unfound)
            return
    if not sources and not folders:
        _finish(paths, sources, [], unfound)
        return
    job = ReelJob(
        out_dir=out_dir, preset=preset, title=title, top=top, order=order,
        detect=checked_detect(values), cache_dir=values["cache_dir"], cluster=values["cluster"],
        caption_style=values["caption_style"], lesson=values["lesson"], since=since,
        extras=ExtrasOptions(post_text=values["post_text"], exports=values["exports"]),
        force=values["force"], dry_run=values["dry_run"],
    )  # fmt: skip
    with _progress_for(len(sources) + len(folders) + 1, quiet) as bar:  # +1: the reel
        report = make_reel(
            [*sources, *folders], job, jobs=values["jobs"], on_event=bar, recorded=recorded
        )
    _say_reel(report, quiet=quiet, verbose=verbose)
    _fail_if([r.path for r in report.failed], unfound)


def _say_reel(report: Any, *, quiet: bool, verbose: bool) -> None:
    """What ``reel`` found and did, in a few lines."""
    for r in report.failed:
        click.echo(f"clipkit: {r.error}", err=True)
    if verbose:
        for r in report.results:
            for note in r.notes:
                click.echo(f"note: {r.path}: {note}", err=True)
    if report.reel is None:
        click.echo("clipkit: no moments in the footage: no reel made")
        return
    n = sum(p.kind == "moment" for p in report.reel.parts)
    what = f"({report.duration:.1f} s, {n} moment(s))"
    if report.up_to_date:
        click.echo(f"{report.output}: up to date {what}")
    elif report.made:
        click.echo(f"made {report.output} {what}")
        if report.note and not quiet:
            click.echo(f"note: {report.output}: {report.note}", err=True)
        if verbose and report.loudness:
            click.echo(f"  {_describe_loudness(report.loudness)}", err=True)
    else:
        click.echo(f"would make {report.output} {what}")


# -- presets ------------------------------------------------------------------------


@main.group()
def presets() -> None:
    """List, show and validate output presets."""


@presets.command("list")
def presets_list() -> None:
    """List the built-in presets."""
    from clipkit.clips.presets import list_presets, load_preset

    for name in list_presets():
        p = load_preset(name)
        w, h = p.size
        click.echo(f"{name:<10} {w}x{h} {p.fps:g} fps  {p.description}")


@presets.command("show")
@click.argument("name")
@friendly_errors
def presets_show(name: str) -> None:
    """Show a preset's fully resolved values (as YAML)."""
    import yaml

    from clipkit.clips.presets import load_preset

    click.echo(yaml.safe_dump(load_preset(name).to_dict(), sort_keys=False), nl=False)


@presets.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def presets_validate(files: tuple[Path, ...]) -> None:
    """Check preset YAML files: unknown keys, wrong types, out-of-range values."""
    from clipkit.clips.presets import validate_preset_file

    bad = 0
    for f in files:  # every file is checked, so one run lists every problem
        try:
            validate_preset_file(f)
        except ClipkitError as e:
            click.echo(f"clipkit: error: {e}", err=True)
            bad += 1
        else:
            click.echo(f"{f}: ok")
    if bad:
        sys.exit(1)
