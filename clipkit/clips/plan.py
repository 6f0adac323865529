"""From moments to clip plans: the window, the recovery shot, the captions, the name.

Pure: numbers in, data out; nothing here decodes video. A plan is plain data
that ``save_plans`` writes as YAML or JSON, so a person can fix a caption or
drop a clip before ``render`` reads it back.

Recovery shot sources, in order of precedence:

1. ``no_recovery=True`` (``--no-recovery``) or a preset with ``recovery: false``: none.
2. ``recovery_file`` (``--recovery FILE``): that file's first ``recovery_length`` s.
3. A per-source sidecar (see :mod:`clipkit.clips.recovery`): ``<stem>.recovery.yaml`` next
   to the source, which may name a ``file`` and a ``start``/``end`` window.
4. The calmest, sharpest, well-exposed stretch of the same file after the mishap,
   preferring the end of the recording (where the finished dish usually is).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path, PurePath
from typing import Any, Protocol

import yaml

from clipkit.analysis.signals import Signals
from clipkit.clips.presets import Preset, fill_template
from clipkit.clips.recovery import RecoverySource, best_recovery, find_recovery
from clipkit.clips.reframe import Crop, action_for, plan_reframe
from clipkit.clips.wording import Words, caption_too_long, choose_lines
from clipkit.errors import InputError, OutputError
from clipkit.files import write_atomic
from clipkit.media.probe import VideoInfo
from clipkit.options import STYLES, not_one_of, sting_name
from clipkit.yamlfile import MAX_INT, MAX_INT_TEXT, YamlLimitError, load_yaml, too_large

# Two windows overlapping by more than this fraction of the shorter one are
# near-duplicates: the lower-scoring moment is dropped.
MAX_OVERLAP = 0.5

# The one kind of file a clip is (``output_name`` gives every name this ending).
VIDEO_SUFFIX = ".mp4"


class MomentLike(Protocol):
    """What plan needs of a detected moment (clipkit.detection.Moment fits)."""

    @property
    def start(self) -> float: ...
    @property
    def peak(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def score(self) -> float: ...


@dataclass(frozen=True)
class ClipPlan:
    """One clip to render: what to cut from where, what to write on it, what to call it."""

    source: str
    index: int  # 1-based, in time order within the source
    start: float  # clip window in the source, seconds
    end: float
    peak: float  # the moment's peak (the cover image is taken here)
    score: float
    # Text over the mishap ("" for none; None, in a plan file without it: a line of the
    # caption style's, chosen when the plan is rendered).
    caption: str | None
    recovery_caption: str | None  # text over the recovery shot, likewise
    output: str  # file name inside the output folder
    preset: str  # the preset the name and lengths were planned for
    recovery_source: str | None = None  # file of the recovery shot (None: no recovery)
    recovery_start: float | None = None
    recovery_end: float | None = None
    recovery_note: str = ""  # how the recovery shot was chosen, or why there is none
    # The recovery shot is the frame at recovery_start held still, with a slow zoom,
    # until recovery_end: the footage had no calm stretch after the mishap.
    recovery_still: bool = False
    note: str = ""  # anything else a person should know (e.g. short source)
    caption_style: str = ""  # the style the captions' lines come from ("": the preset's)
    lesson: str = ""  # the lesson of the ``lesson`` style
    # How the mishap is framed (None: worked out when rendered, with no analysis to
    # steer it; plans written before clipkit kept it have none).
    crop: Crop | None = None
    # The source's content when it was planned (clipkit.run.fingerprint; "": not recorded).
    source_fingerprint: str = ""
    # The sound sting at the peak (clipkit.render.sting): None, the preset's; "", none.
    sting: str | None = None

    @property
    def recovery(self) -> tuple[float, float] | None:
        if self.recovery_source is None or self.recovery_start is None:
            return None
        return (self.recovery_start, self.recovery_end or self.recovery_start)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["crop"] = self.crop.to_data() if self.crop is not None else None
        if self.sting is None:  # (plans and clip keys as before there were stings)
            del d["sting"]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "plan") -> ClipPlan:
        """Build from a mapping, checking keys and types; errors start with ``where``."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InputError(f"{where}: unknown key '{unknown[0]}'")
        missing = [n for n in ("source", "index", "start", "end") if n not in data]
        if missing:
            raise InputError(f"{where}: missing '{missing[0]}'")
        values = _numbers(dict(data), where)
        if not isinstance(values.get("recovery_still", False), bool):
            raise InputError(f"{where}: 'recovery_still' must be true or false")
        values.setdefault("peak", values["start"])
        values.setdefault("score", 0.0)
        _texts(values, where)
        _check_output(values["output"], where)
        _check_windows(values, where)
        if values.get("crop") is not None:
            try:
                values["crop"] = Crop.from_data(values["crop"])
            except ValueError as e:
                raise InputError(f"{where}: 'crop' {e}") from None
        return cls(**values)


def _numbers(values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values`` with its times and score as floats (finite) and its index an int."""
    key = "index"
    try:
        for key in ("start", "end", "peak", "score", "recovery_start", "recovery_end"):
            if values.get(key) is not None:
                values[key] = float(values[key])
                if not math.isfinite(values[key]):  # "inf" or "nan" as text
                    raise InputError(f"{where}: '{key}' must be a finite number")
        key = "index"
        values["index"] = int(values["index"])
    except (TypeError, ValueError):
        raise InputError(f"{where}: '{key}' must be a number") from None
    return values


def _texts(values: dict[str, Any], where: str) -> None:
    """Make the text values strings (captions: None when absent) and check them."""
    for key in ("source", "recovery_source"):  # paths: text or nothing, never str([1])
        if values.get(key) is not None and not isinstance(values[key], str):
            raise InputError(f"{where}: '{key}' must be a file name")
    text_keys = ("output", "preset", "caption_style", "lesson", "note", "recovery_note")
    for key in (*text_keys, "source_fingerprint"):
        values[key] = "" if values.get(key) is None else str(values[key])
    for key in ("caption", "recovery_caption"):  # absent: chosen from the style
        values[key] = None if values.get(key) is None else str(values[key])
    for key in ("caption", "recovery_caption", "lesson"):
        if values[key] and (problem := caption_too_long(values[key])):
            raise InputError(f"{where}: '{key}' {problem}")
    _check_sting(values, where)
    if values["caption_style"] and values["caption_style"] not in STYLES:
        problem = not_one_of(values["caption_style"], STYLES)
        raise InputError(f"{where}: 'caption_style' {problem}")


def _check_sting(values: dict[str, Any], where: str) -> None:
    """A plan's sting: a name of clipkit.render.sting's (spelled as it spells them), ""
    or none for none, absent for the preset's."""
    sting = values.get("sting")
    if sting is None:
        return
    if not isinstance(sting, str):
        raise InputError(f"{where}: 'sting' must be a sting's name")
    if sting.strip().lower() in ("", "none"):
        values["sting"] = ""
        return
    try:
        values["sting"] = sting_name(sting)
    except ValueError as e:
        raise InputError(f"{where}: sting {e}") from None


def _check_output(out: str, where: str) -> None:
    if out and (out != PurePath(out.replace("\\", "/")).name or out.startswith(".")):
        raise InputError(f"{where}: 'output' must be a plain file name, not {out!r}")
    if out and not out.lower().endswith(VIDEO_SUFFIX):
        # manifest.json, index.html, a cover image: the folder's other files are not
        # a clip's to overwrite, and a clip is an MP4 whatever its name says.
        raise InputError(
            f"{where}: 'output' must be a video file name ending in {VIDEO_SUFFIX}, not {out!r}"
        )


def _check_windows(values: dict[str, Any], where: str) -> None:
    if not values["end"] > values["start"] >= 0:
        raise InputError(f"{where}: needs 0 <= start < end")
    if values.get("recovery_source") and values.get("recovery_start") is None:
        raise InputError(f"{where}: 'recovery_source' without 'recovery_start'")
    rs, re_ = values.get("recovery_start"), values.get("recovery_end")
    # (A still recovery shot may end past the source: the frame at its start is held.)
    if (rs is not None and rs < 0) or (rs is not None and re_ is not None and re_ <= rs):
        window = f"{rs:g} to {re_:g} s" if re_ is not None else f"from {rs:g} s"
        raise InputError(
            f"{where}: the recovery shot ({window}) needs 0 <= recovery_start < recovery_end"
        )


def output_name(template: str, *, source: str, index: int, peak: float, preset: str) -> str:
    """A safe file name from the template: never a path outside the output folder."""
    name = fill_template(template, source=source, index=index, peak=peak, preset=preset)
    name = PurePath(name.replace("\\", "/")).name  # drop any folder part, incl. ".."
    name = "".join(c if c.isprintable() and c not in '<>:"|?*' else "_" for c in name)
    name = name.lstrip(".") or f"clip_{index:02d}"
    return name if name.lower().endswith(VIDEO_SUFFIX) else name + VIDEO_SUFFIX


# What a clip keeps around its event when the preset's maximum length is tight: 1.5 s
# to see what was going on, 1 s to see where things ended up.
MIN_LEAD = 1.5
MIN_SETTLE = 1.0


def clip_window(
    moment: MomentLike, duration: float, preset: Preset, room: float
) -> tuple[float, float]:
    """The window for a moment: ``lead_in`` s before it starts, ``settle`` s after it
    ends, at least ``min_length`` and at most ``room`` long. When ``room`` cannot hold
    both, the payoff wins: the clip keeps the end of the event and its settle and gives
    up lead-in (a clip that stops as the foam reaches the rim has no point)."""
    lo = min(preset.min_length, room)
    start = moment.start - preset.lead_in
    end = max(moment.end + preset.settle, start + lo)
    if end - start > room:  # give up lead-in down to its least, then settle, then more
        least_lead = min(preset.lead_in, MIN_LEAD)
        start = min(moment.start - least_lead, end - room) if room else end
        least_end = moment.end + min(preset.settle, MIN_SETTLE)
        end = max(least_end, start + room)
        start = max(start, end - room)
    if start < 0:  # clamp to the file by sliding, then cutting
        end, start = min(end - start, max(duration, room)), 0.0
    if end > duration:
        start, end = max(0.0, start - (end - duration)), duration
    return round(start, 3), round(end, 3)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return max(0.0, inter) / shorter if shorter > 0 else 1.0


def _pick_windows(
    moments: Sequence[MomentLike], duration: float, preset: Preset, room: float
) -> list[tuple[MomentLike, tuple[float, float]]]:
    """Windows of the best moments first, skipping near-duplicates; in time order."""
    chosen: list[tuple[MomentLike, tuple[float, float]]] = []
    for m in sorted(moments, key=lambda m: -m.score):
        win = clip_window(m, duration, preset, room)
        if all(_overlap(win, w) <= MAX_OVERLAP for _, w in chosen):
            chosen.append((m, win))
    return sorted(chosen, key=lambda c: c[1][0])


def _recovery_for(
    window: tuple[float, float],
    settled: float,
    signals: Signals,
    length: float,
    given: RecoverySource | None,
    source: str,
) -> tuple[str | None, float | None, float | None, str, bool]:
    """(file, start, end, note, still) of the recovery shot for one clip window."""
    if given is not None and given.none:
        return None, None, None, f"no recovery shot ({given.origin} says none)", False
    if given is not None and (given.file or given.start is not None):
        file = given.file or source
        start = given.start if given.start is not None else 0.0
        end = given.end if given.end is not None else start + length
        return file, start, min(end, start + length), f"from {given.origin}", False
    rec, note = best_recovery(signals, window[1], length, settled)
    if rec is None:
        return None, None, None, f"no recovery shot: {note}", False
    return source, rec.start, rec.end, note, rec.still


def _recovery_length(preset: Preset) -> float:
    """Recovery length that still leaves room for a minimum-length mishap window."""
    spare = preset.max_length - preset.min_length + preset.crossfade
    return max(0.0, min(preset.recovery_length, spare))


def _short_source_plan(
    info: VideoInfo, moments: Sequence[MomentLike]
) -> tuple[MomentLike, tuple[float, float], str]:
    best = max(moments, key=lambda m: m.score)
    note = f"source is {info.duration:g} s, shorter than the minimum: the whole file"
    return best, (0.0, round(info.duration, 3)), note


def plan_clips(
    info: VideoInfo,
    signals: Signals,
    moments: Sequence[MomentLike],
    preset: Preset,
    *,
    caption: str | None = None,
    recovery_caption: str | None = None,
    recovery_file: str | Path | RecoverySource | None = None,
    no_recovery: bool = False,
    sidecar: bool = True,
    caption_style: str | None = None,
    lesson: str | None = None,
    worded: bool = True,
) -> list[ClipPlan]:
    """Plan one clip per (non-overlapping) moment of ``info``'s file.

    ``caption``/``recovery_caption`` replace the preset's templates, whose ``{line}``
    comes from ``caption_style`` (else the preset's); ``recovery_file`` (or the
    source's sidecar unless ``sidecar`` is False) gives the recovery shot. Without
    ``worded`` the captions are left None, for ``word_plans`` to fill in with the lines
    chosen over a whole batch.
    """
    if not moments:
        return []
    given: RecoverySource | None
    if isinstance(recovery_file, (str, Path)):
        given = RecoverySource(file=str(recovery_file))
    else:
        given = (
            recovery_file
            if recovery_file is not None
            else (find_recovery(info.path) if sidecar and not no_recovery else None)
        )
    want_recovery = preset.recovery and not no_recovery
    rec_len = _recovery_length(preset) if want_recovery else 0.0
    room = preset.max_length - (rec_len - preset.crossfade if rec_len else 0.0)
    if info.duration < preset.min_length:
        picked = [_short_source_plan(info, moments)]
    else:
        picked = [(m, w, "") for m, w in _pick_windows(moments, info.duration, preset, room)]
    plans = []
    for index, (m, win, note) in enumerate(picked, start=1):
        rec: tuple[str | None, float | None, float | None, str, bool]
        if not want_recovery:
            rec = (None, None, None, "no recovery shot (--no-recovery or the preset's choice)",
                   False)  # fmt: skip
        else:
            rec = _recovery_for(win, m.end, signals, rec_len, given, info.path)
        kw: dict[str, Any] = {
            "source": info.path,
            "index": index,
            "peak": m.peak,
            "preset": preset.name,
        }
        plans.append(
            ClipPlan(
                source=info.path,
                index=index,
                start=win[0],
                end=win[1],
                peak=round(min(max(m.peak, win[0]), win[1]), 3),
                score=round(float(m.score), 4),
                caption=None,
                recovery_caption=None if rec[0] else "",
                output=output_name(preset.output_name, **kw),
                preset=preset.name,
                recovery_source=rec[0],
                recovery_start=rec[1],
                recovery_end=rec[2],
                recovery_note=rec[3],
                recovery_still=rec[4],
                note=note,
            )
        )
        plans[-1] = framed(plans[-1], info, signals, preset)
    if not worded:
        return plans
    return word_plans(
        plans,
        preset,
        caption=caption,
        recovery_caption=recovery_caption,
        caption_style=caption_style,
        lesson=lesson,
    )


def words_of(
    plan: ClipPlan, preset: Preset, caption_style: str | None = None, lesson: str | None = None
) -> Words:
    """What ``plan``'s lines depend on: its own style and lesson, else those given, else
    the preset's style (``lesson`` when a lesson is given and no style)."""
    lesson = plan.lesson or lesson or ""
    style = plan.caption_style or caption_style or ("lesson" if lesson else preset.caption_style)
    return Words(plan.source, plan.peak, style, lesson)


def word_plans(
    plans: Sequence[ClipPlan],
    preset: Preset,
    *,
    caption: str | None = None,
    recovery_caption: str | None = None,
    caption_style: str | None = None,
    lesson: str | None = None,
    lines: Mapping[Words, tuple[str, str]] | None = None,
) -> list[ClipPlan]:
    """The plans with their missing (None) captions filled in: ``caption`` and
    ``recovery_caption`` (else the preset's templates), with ``{line}`` from ``lines``
    (``clipkit.clips.wording.choose_lines`` over a batch; over these plans when not given).
    A caption a plan has (a person wrote it) is kept."""
    words = [words_of(p, preset, caption_style, lesson) for p in plans]
    chosen = lines if lines is not None else choose_lines(words)
    out = []
    for plan, w in zip(plans, words, strict=True):
        line, rline = chosen[w]
        kw: dict[str, Any] = {
            "source": plan.source,
            "index": plan.index,
            "peak": plan.peak,
            "preset": preset.name,
        }
        cap, rcap = plan.caption, plan.recovery_caption
        if cap is None:
            cap = fill_template(preset.caption if caption is None else caption, **kw, line=line)
        if rcap is None:
            template = preset.recovery_caption if recovery_caption is None else recovery_caption
            rcap = fill_template(template, **kw, line=rline) if plan.recovery else ""
        out.append(
            replace(plan, caption=cap, recovery_caption=rcap, caption_style=w.style,
                    lesson=w.lesson)
        )  # fmt: skip
    return out


def crop_for(
    info: VideoInfo, signals: Signals | None, preset: Preset, start: float, end: float, peak: float
) -> Crop:
    """How the span [``start``, ``end``] s of a moment peaking at ``peak`` is framed in
    ``preset``'s frame: where its action is, from the analysis (see clipkit.clips.reframe)."""
    out_w, out_h = preset.size
    action = action_for(signals, start, end, peak)
    reframe = plan_reframe(info.width, info.height, out_w, out_h, preset.reframe, action)
    return Crop.of(reframe, start)


def framed(plan: ClipPlan, info: VideoInfo, signals: Signals | None, preset: Preset) -> ClipPlan:
    """``plan`` with the crop for ``preset`` (from the analysis ``signals``), unless it
    has one of that frame's shape already (a person may have edited it)."""
    if plan.crop is not None and plan.crop.fits(info.width, info.height, *preset.size):
        return plan
    return replace(plan, crop=crop_for(info, signals, preset, plan.start, plan.end, plan.peak))


def for_preset(plan: ClipPlan, preset: Preset) -> ClipPlan:
    """The plan with its output named for ``preset`` (when planned for another one)."""
    if plan.preset == preset.name and plan.output:
        return plan
    name = output_name(
        preset.output_name, source=plan.source, index=plan.index, peak=plan.peak, preset=preset.name
    )
    return replace(plan, output=name, preset=preset.name)


PLAN_VERSION = 1


# Paths in a plan file are relative to the plan file's folder (absolute ones stay so),
# so that rendering works from any working directory and a project folder can move.
_PATH_KEYS = ("source", "recovery_source")


def _paths_relative(d: dict[str, Any], plan_file: Path) -> dict[str, Any]:
    base = os.path.abspath(plan_file.parent)
    for k in _PATH_KEYS:
        if d.get(k):
            d[k] = os.path.relpath(os.path.abspath(d[k]), base)
    return d


def _paths_from(d: dict[str, Any], plan_file: Path) -> dict[str, Any]:
    d = dict(d)
    for k in _PATH_KEYS:
        if isinstance(d.get(k), str) and d[k] and not os.path.isabs(d[k]):
            d[k] = os.path.normpath(os.path.join(os.path.abspath(plan_file.parent), d[k]))
    return d


def save_plans(path: str | Path, plans: Sequence[ClipPlan]) -> None:
    """Write ``plans`` as YAML (.yaml/.yml) or JSON (anything else), atomically."""
    path = Path(path)
    clips = [_paths_relative(p.to_dict(), path) for p in plans]
    doc = {"version": PLAN_VERSION, "digest": _digest(clips), "clips": clips}
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.dump(doc, Dumper=_PlanDumper, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text)
    except OSError as e:
        raise OutputError(f"{path}: cannot write the plan file ({e.strerror or e})") from None


class _PlanDumper(yaml.SafeDumper):
    """Writes a list of plain numbers on one line (a crop's size and keyframes)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat or None)


_PlanDumper.add_representer(list, _represent_list)


def _digest(clips: Any) -> str:
    """A hash of the clips' values (not of their layout, comments or key order)."""
    text = json.dumps(clips, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def edited_by_hand(path: str | Path) -> bool:
    """True when ``path`` holds anything but plans exactly as ``save_plans`` wrote them:
    a person's edits (or another file) that writing plans there would destroy."""
    try:
        doc = _read_plan_file(Path(path))
    except InputError:
        return True
    if not isinstance(doc, dict):
        return True
    try:
        return bool(doc.get("digest") != _digest(doc.get("clips")))
    except (TypeError, ValueError):  # values no plan writer makes (bytes, lone surrogates)
        return True


class _JsonNumberError(ValueError):
    """A number token in a JSON plan that no plan value can be, and why."""

    def __init__(self, token: str, problem: str) -> None:
        super().__init__(token)
        self.token, self.problem = token, problem


def _finite_json_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonNumberError(text, f"must be a finite number, not {text}")
    return value


def _json_int(text: str) -> int:
    # (Past 4,300 digits Python refuses to read an int at all; past MAX_INT no float
    # holds it, and no plan value comes near.)
    if len(text) > MAX_INT_TEXT or abs(int(text)) > MAX_INT:
        raise _JsonNumberError(text, too_large(text))
    return int(text)


def _load_json(text: str) -> Any:
    """``json.loads``, refusing Infinity, NaN and numbers too big for a float (1e999, an
    int of 400 digits), which Python's json reads without a word, with the line and key;
    and nesting too deep for Python's json to read."""
    try:
        return json.loads(
            text,
            parse_constant=_finite_json_number,
            parse_float=_finite_json_number,
            parse_int=_json_int,
        )
    except _JsonNumberError as e:
        m = re.search(r'"([^"\\]*)"\s*:\s*' + re.escape(e.token), text)
        at = m.start() if m else text.find(e.token)
        where = f"'{m.group(1)}' " if m else ""
        line = text.count("\n", 0, max(at, 0)) + 1
        raise YamlLimitError(f"line {line}: {where}{e.problem}") from None
    except RecursionError:
        raise YamlLimitError("the file nests too deeply; refused") from None


def _read_plan_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        doc = load_yaml(text)[0] if path.suffix.lower() in (".yaml", ".yml") else _load_json(text)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    except YamlLimitError as e:
        raise InputError(f"{path}: not a valid plan file ({e})") from None
    except yaml.MarkedYAMLError as e:  # an unquoted "Oops: it fell" in a caption, say
        line = f"line {e.problem_mark.line + 1}: " if e.problem_mark else ""
        hint = "; put text that holds ': ' in quotes" if "mapping values" in str(e.problem) else ""
        raise InputError(f"{path}: {line}not a valid plan file ({e.problem}{hint})") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: line {e.lineno}: not a valid plan file ({e.msg})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a valid plan file ({str(e).splitlines()[0]})") from None
    return doc


def load_plans(path: str | Path) -> list[ClipPlan]:
    """Read a plan file written by ``save_plans`` (and perhaps edited by a person)."""
    path = Path(path)
    doc = _read_plan_file(path)
    clips = doc.get("clips") if isinstance(doc, dict) else None
    if not isinstance(clips, list):
        raise InputError(f"{path}: expected a mapping with a 'clips' list")
    plans = []
    for i, item in enumerate(clips, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{path}: clip {i}: expected a mapping")
        plans.append(ClipPlan.from_dict(_paths_from(item, path), where=f"{path}: clip {i}"))
    return plans


def total_length(plan: ClipPlan, preset: Preset) -> float:
    """The rendered clip's length: both spans less the crossfade between them."""
    rec = plan.recovery
    if rec is None:
        return plan.end - plan.start
    return plan.end - plan.start + rec[1] - rec[0] - min(preset.crossfade, rec[1] - rec[0])


# How far a plan may reach past the end of its source (probed durations and the last
# frame's time differ by up to a frame or two).
END_SLACK = 0.1


def plan_problem(plan: ClipPlan, duration: float, preset: Preset) -> str | None:
    """Why ``plan`` (perhaps edited by a person) cannot be rendered for ``preset`` from a
    source ``duration`` s long, or None when it can."""
    where = f"clip {plan.index} ({plan.start:g}-{plan.end:g} s)"
    if plan.start >= duration:
        return f"{where} starts after the end of the source ({duration:g} s)"
    if plan.end > duration + END_SLACK:
        return f"{where} ends after the end of the source ({duration:g} s)"
    rec = plan.recovery
    same_file = Path(plan.recovery_source or "").resolve() == Path(plan.source).resolve()
    last = rec[0] if rec is not None and plan.recovery_still else rec[1] if rec else 0.0
    if rec is not None and same_file and (last > duration + END_SLACK or rec[0] >= rec[1]):
        return f"{where}: its recovery shot ({rec[0]:g}-{rec[1]:g} s) is not within the source"
    length = total_length(plan, preset)
    if length > preset.max_length + END_SLACK:
        return (
            f"{where} would be {length:.1f} s long, over the max_length of preset "
            f"{preset.name} ({preset.max_length:g} s; shorten it, or use a preset that allows more)"
        )
    return None


__all__ = [
    "plan_problem",
    "ClipPlan",
    "plan_clips",
    "save_plans",
    "load_plans",
    "for_preset",
    "framed",
    "crop_for",
    "output_name",
    "fill_template",
    "word_plans",
    "words_of",
    "total_length",
]
