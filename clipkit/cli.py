"""The clipkit command line. The only module that knows click."""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from clipkit import __version__
from clipkit.errors import ClipkitError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn a ClipkitError into one line on stderr and exit 1 (a traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClipkitError as e:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"clipkit: error: {e}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Outputs are renamed into place only when complete, so nothing half-made is
            # left; 130 is what shells and make expect of an interrupted command.
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
    from clipkit.doctor import run_checks

    checks = run_checks()
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "ok  " if c.ok else "FAIL"
        click.echo(f"{mark} {c.name:<{width}}  {c.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)


# -- shared options ---------------------------------------------------------------


def detect_options(func: F) -> F:
    """Add one flag per DetectOptions field: same name, default and help as the API.

    Flags default to None so a value the user did not give can come from the preset.
    """
    from dataclasses import MISSING, fields

    from clipkit.detection import DetectOptions

    for f in reversed(fields(DetectOptions)):
        default = f.default if f.default is not MISSING else None
        choices = f.metadata.get("choices")
        ftype: Any = click.Choice(choices) if choices else type(default)
        func = click.option(
            "--" + f.name.replace("_", "-"),
            f.name,
            type=ftype,
            default=None,
            show_default=str(default),
            help=f.metadata.get("help", ""),
        )(func)
    return func


def given(**values: Any) -> dict[str, Any]:
    """The options the user actually gave."""
    return {k: v for k, v in values.items() if v is not None}


def checked_detect(values: dict[str, Any]) -> dict[str, Any]:
    """The detection flags the user gave, checked by DetectOptions itself."""
    from dataclasses import fields

    from clipkit.detection import DetectOptions

    names = {f.name for f in fields(DetectOptions)}
    chosen = given(**{k: v for k, v in values.items() if k in names})
    try:
        DetectOptions(**chosen)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    return chosen


def _cache_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    """The analysis cache folder: the flag's, else the default (resolved at run time)."""
    from clipkit.analyse import default_cache_dir

    return value or default_cache_dir()


cache_option = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=_cache_dir,
    help="Where analysis results are cached [default: $CLIPKIT_CACHE_DIR or ~/.cache/clipkit].",
)
jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Files worked on at once [default: the number of cores].",
)


def _short_caption(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from clipkit.wording import caption_too_long

    if value is not None and (problem := caption_too_long(value)):
        raise click.BadParameter(problem)
    return value


def style_options(func: F) -> F:
    """--caption-style and --lesson: where the lines of captions without a text come from."""
    from clipkit.presets import FIELDS

    choices = FIELDS["caption_style"].metadata["choices"]
    for decorator in reversed(
        [
            click.option(
                "--caption-style",
                type=click.Choice(choices),
                default=None,
                help="The built-in lines captions are chosen from (overrides the preset's "
                "caption_style): humor, question (asks the audience), lesson (with "
                "--lesson), friday (Fail Friday #N).",
            ),
            click.option(
                "--lesson",
                default=None,
                callback=_short_caption,
                help="The lesson of --caption-style lesson (which it implies when no style "
                'is given): "Lesson learned: LESSON".',
            ),
        ]
    ):
        func = decorator(func)
    return func


def reframe_option(func: F) -> F:
    """--reframe: how footage of another shape is fitted, over the presets' choice."""
    return click.option(
        "--reframe",
        type=click.Choice(("auto", "crop", "blur", "fit", "center")),
        default=None,
        help="How footage of another shape is fitted (overrides the presets' reframe): "
        "auto (a crop following the action, or fit over blur when the action is wider "
        "than the crop), crop, blur, fit (over black), center.",
    )(func)


def resolve_sources(
    paths: tuple[str, ...], *, exclude: tuple[Path, ...] = (), verbose: bool
) -> tuple[list[str], int]:
    """Expand PATHs to video files; say what was skipped or missing. Returns the
    files, and how many paths were missing or could not be looked at."""
    from clipkit.discover import find_videos

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
    default="reels",
    show_default=True,
    help="Preset whose detection settings apply and that plans are made for.",
)
@detect_options
@cache_option
@jobs_option
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
    import json

    from clipkit import __version__
    from clipkit.batch import DetectJob, run_detect
    from clipkit.errors import OutputError
    from clipkit.executor import default_jobs
    from clipkit.manifest import check_output_file
    from clipkit.plan import edited_by_hand
    from clipkit.presets import load_preset

    sources, unfound = resolve_sources(paths, verbose=verbose)
    load_preset(preset)  # a bad preset name fails before any work
    # ...and so does an output that cannot be written.
    if output is not None:
        check_output_file(output, "output file")
    if plan_file is not None:
        check_output_file(plan_file, "plan file")
        if plan_file.exists() and not force and edited_by_hand(plan_file):
            raise OutputError(
                f"{plan_file}: edited since clipkit wrote it (or not a plan file): not "
                "overwritten (move it away, or pass --force)"
            )
    job = DetectJob(
        detect=checked_detect(detect_values),
        cache_dir=cache_dir,
        preset=preset,
        plan=plan_file is not None,
        caption_style=caption_style,
        lesson=lesson,
    )
    with _progress_for(len(sources), quiet or as_json and output is None) as bar:
        results = run_detect(sources, job, jobs=jobs or default_jobs(), on_event=bar)

    if as_json:
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
        text = json.dumps(doc, indent=2) + "\n"
    else:
        lines = []
        for r in results:
            if r.error:
                # Errors name their file already (they are also printed on their own).
                problem = r.error.removeprefix(f"{r.path}: ")
                lines.append(f"{r.path}: error: {problem}")
                continue
            lines.append(f"{r.path}  ({r.duration:.1f} s, {len(r.moments)} moment(s))")
            # In time order, numbered like the clips `cut` makes of them; the score says
            # which is best.
            in_time = sorted(r.moments, key=lambda m: m["peak"])
            spans = [(m["peak"], _fmt_moment(i, m)) for i, m in enumerate(in_time, 1)]
            if explain:
                spans += [(m["peak"], _fmt_rejected(m)) for m in r.rejected]
            lines += [line for _, line in sorted(spans, key=lambda s: s[0])]
            lines += [f"  note: {n}" for n in r.notes]
        text = "\n".join(lines) + "\n" if lines else ""
    if output is not None:
        from clipkit.manifest import write_if_changed

        try:
            write_if_changed(output, text)
        except OSError as e:
            why = e.strerror or e
            raise OutputError(f"{output}: cannot write the output file ({why})") from None
    else:
        click.echo(text, nl=False)
    failed = [r.path for r in results if r.error]
    if plan_file is not None and failed and len(failed) == len(results):
        # A plan of no clips would read as "no moments there": none is better.
        click.echo(f"clipkit: {plan_file}: not written, because every file failed", err=True)
    elif plan_file is not None:
        from clipkit.plan import save_plans

        # The good files' plans are kept; the exit code and the lines below say that the
        # plan lacks the failed files' clips (make deletes it: .DELETE_ON_ERROR).
        save_plans(plan_file, [p for r in results for p in r.plans])
        if failed:
            click.echo(
                f"clipkit: {plan_file}: written without the clips of {len(failed)} file(s) "
                "that failed",
                err=True,
            )
    _finish(paths, sources, failed, unfound)


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

preset_multi = click.option(
    "-p",
    "--preset",
    "presets",
    multiple=True,
    default=("reels",),
    show_default=True,
    help="Built-in preset name or a preset YAML file; repeat for several platforms.",
)
out_option = click.option(
    "-o",
    "--out",
    "--output",  # detect's name for its -o
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder: clips go to OUT/<preset>/, with manifest.json and index.html.",
)


def _template(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A caption template that fills, checked before any work (a usage error if not)."""
    from clipkit.presets import check_template

    value = _short_caption(ctx, param, value)
    try:
        return None if value is None else check_template(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def caption_options(func: F) -> F:
    for decorator in reversed(
        [
            click.option(
                "--caption",
                callback=_template,
                help="Mishap caption template (overrides the preset's): "
                "{line} (the caption style's line) {stem} {name} {index} {time} {seconds} "
                "{preset} are filled in.",
            ),
            click.option(
                "--recovery-caption", callback=_template, help="Caption over the recovery shot."
            ),
            click.option(
                "--recovery",
                "recovery_file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Append this video as the recovery shot instead of one from the source.",
            ),
            click.option("--no-recovery", is_flag=True, help="Append no recovery shot."),
        ]
    ):
        func = decorator(func)
    return func


def run_options(func: F) -> F:
    for decorator in reversed(
        [
            jobs_option,
            click.option("--force", is_flag=True, help="Re-render clips that are up to date."),
            click.option(
                "-n", "--dry-run", is_flag=True, help="Say what would be made; make nothing."
            ),
            click.option(
                "-q", "--quiet", is_flag=True, help="Print only errors (and then the summary)."
            ),
            click.option(
                "-v", "--verbose", is_flag=True, help="Also list every clip and skipped file."
            ),
            cache_option,
        ]
    ):
        func = decorator(func)
    return func


def _check_presets(names: tuple[str, ...]) -> None:
    from clipkit.errors import PresetError
    from clipkit.presets import load_preset

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
    from clipkit.render import check_output_dir

    check_output_dir(out_dir)


def _describe_loudness(d: dict[str, Any]) -> str:
    """A clip's loudness record (see clipkit.loudness.Loudness) as one line."""
    from clipkit.loudness import Loudness

    try:
        return Loudness(**d).describe()
    except TypeError:  # a record written by another version
        return f"sound: {d}"


def _report(report: Any, out_dir: Path, *, dry_run: bool, verbose: bool, quiet: bool) -> None:
    made = sum(len(r.made) for r in report.results)
    kept = sum(len(r.kept) for r in report.results)
    would = [o for r in report.results for o in r.would_make]
    for r in report.results:
        if r.error:
            click.echo(f"clipkit: {r.error}", err=True)
        if not quiet:  # what the manifest notes of a source and a new clip (in a pool, too)
            for note in r.notes:
                click.echo(f"note: {r.path}: {note}", err=True)
            for rec in r.made:
                for note in rec.notes:
                    click.echo(f"note: {out_dir / rec.output}: {note}", err=True)
        if verbose:
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
    if dry_run:
        stale = [o for r in report.results for o in r.would_remove]
        for o in would:
            click.echo(f"would make {out_dir / o}")
        for o in stale:
            click.echo(f"would remove stale {out_dir / o}")
        gone = f", {len(stale)} stale clip(s) would be removed" if stale else ""
        click.echo(f"{len(would)} clip(s) would be made, {kept} up to date{gone}.")
    elif not quiet or report.failed:
        empty = sum(r.no_moments for r in report.results)
        none = f", {empty} file(s) without moments" if empty else ""
        click.echo(
            f"{made} clip(s) made, {kept} up to date, {len(report.failed)} file(s) failed"
            f"{none} -> {out_dir / 'index.html'}",
            err=True,
        )


def _run_opts(out_dir: Path, presets: tuple[str, ...], values: dict[str, Any]) -> Any:
    """CutOptions from the parsed flags: run flags by name, detection flags when given."""
    from dataclasses import fields

    from clipkit.batch import CutOptions

    detect = checked_detect(values)
    _check_presets(presets)
    if values.get("recovery_file"):  # one bad recovery file would fail every source
        from clipkit.probe import probe

        probe(str(values["recovery_file"]))
    _check_out(out_dir, values.get("dry_run", False))
    run_names = {f.name for f in fields(CutOptions)} - {"out_dir", "presets", "detect"}
    return CutOptions(
        out_dir=out_dir,
        presets=tuple(dict.fromkeys(presets)),
        detect=detect,
        **{k: v for k, v in values.items() if k in run_names},
    )


def _run(sources: list[Any], opts: Any, values: dict[str, Any], batch: Callable[..., Any]) -> Any:
    """Run ``batch`` over ``sources`` with progress, then report. Returns the report."""
    from clipkit.executor import default_jobs

    quiet, verbose = values["quiet"], values["verbose"]
    total = len(dict.fromkeys(getattr(s, "source", s) for s in sources))  # plans name sources
    with _progress_for(total, quiet) as bar:
        report = batch(sources, opts, jobs=values["jobs"] or default_jobs(), on_event=bar)
    _report(report, opts.out_dir, dry_run=opts.dry_run, verbose=verbose, quiet=quiet)
    return report


@main.command()
@click.argument("paths", nargs=-1, required=True)
@preset_multi
@out_option
@caption_options
@style_options
@reframe_option
@detect_options
@run_options
@friendly_errors
def cut(paths: tuple[str, ...], presets: tuple[str, ...], out_dir: Path, **values: Any) -> None:
    """Detect, plan and render clips for every video in PATHS (files or folders)."""
    from clipkit.batch import run_batch

    for p in paths:  # the next run would take the whole folder for clipkit's output
        with contextlib.suppress(OSError, RuntimeError):  # said by resolve_sources
            if Path(p).is_dir() and Path(p).resolve() == out_dir.resolve():
                raise click.BadParameter(
                    f"{out_dir} is one of the footage folders: clips would be mixed with the "
                    "footage (choose another folder, e.g. one inside it)",
                    param_hint="'-o' / '--out'",
                )
    opts = _run_opts(out_dir, presets, values)
    sources, unfound = resolve_sources(paths, exclude=(out_dir,), verbose=values["verbose"])
    report = _run(sources, opts, values, run_batch) if sources else None
    _finish(paths, sources, [r.path for r in report.failed] if report else [], unfound)


@main.command()
@click.argument(
    "plan_files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@preset_multi
@out_option
@style_options
@reframe_option
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
    from clipkit.batch import run_plans
    from clipkit.errors import InputError
    from clipkit.plan import load_plans

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
    report = _run(plans, opts, values, run_plans)
    _fail_if(bad + [r.path for r in report.failed])


# -- reel ---------------------------------------------------------------------------


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
@out_option
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
    end on; its post text is written beside it (.txt)."""
    from clipkit.executor import default_jobs
    from clipkit.posts.reelrun import ReelJob, check_writable, make_reel, recorded_since
    from clipkit.presets import load_preset

    load_preset(preset)  # a bad preset name fails before any work...
    if not values["dry_run"]:
        check_writable(out_dir)  # ...and so does a folder that cannot be written
    quiet, verbose = values["quiet"], values["verbose"]
    sources, unfound = resolve_sources(paths, exclude=(out_dir,), verbose=verbose)
    recorded = None
    if since is not None and sources:
        sources, recorded = recorded_since(sources, since)
        if not sources:
            click.echo(f"clipkit: no footage recorded since {since:%Y-%m-%d %H:%M}: no reel made")
            _fail_if([], unfound)
            return
    if not sources:
        _finish(paths, sources, [], unfound)
        return
    job = ReelJob(
        out_dir=out_dir, preset=preset, title=title, top=top, order=order,
        detect=checked_detect(values), cache_dir=values["cache_dir"],
        caption_style=values["caption_style"], lesson=values["lesson"],
        force=values["force"], dry_run=values["dry_run"],
    )  # fmt: skip
    with _progress_for(len(sources), quiet) as bar:
        report = make_reel(
            sources, job, jobs=values["jobs"] or default_jobs(), on_event=bar, recorded=recorded
        )
    for r in report.failed:
        click.echo(f"clipkit: {r.error}", err=True)
    if verbose:
        for r in report.results:
            for note in r.notes:
                click.echo(f"note: {r.path}: {note}", err=True)
    if report.reel is None:
        click.echo("clipkit: no moments in the footage: no reel made")
    else:
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
    _fail_if([r.path for r in report.failed], unfound)


# -- presets ------------------------------------------------------------------------


@main.group()
def presets() -> None:
    """List, show and validate output presets."""


@presets.command("list")
def presets_list() -> None:
    """List the built-in presets."""
    from clipkit.presets import list_presets, load_preset

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

    from clipkit.presets import load_preset

    click.echo(yaml.safe_dump(load_preset(name).to_dict(), sort_keys=False), nl=False)


@presets.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def presets_validate(files: tuple[Path, ...]) -> None:
    """Check preset YAML files: unknown keys, wrong types, out-of-range values."""
    from clipkit.presets import validate_preset_file

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
