"""Platform presets: what a finished clip looks like (size, length, captions, encoding, loudness).

A preset is a YAML file of ``key: value`` pairs; every key is a field of
:class:`Preset`, defined once below with its default, range and help text, so
that the CLI flags (``option_specs``) and the files use the same names and
defaults. Like HandBrake's presets, a file is a sparse overlay: it sets only
what differs from the defaults, or from the preset it ``extends:``.

Built-in presets live in ``presets/*.yaml`` (installed as the package data
``clipkit.builtin_presets``). ``load_preset`` takes a built-in name or the path
of a YAML file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import string
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clipkit.clips.wording import caption_too_long
from clipkit.errors import PresetError, TemplateError
from clipkit.options import (
    DEFAULT_STYLE,
    TEMPLATE_FIELDS,
    TEMPLATE_HELP,
    DetectOptions,
    ExtrasOptions,
    Given,
    PlanOptions,
    check_value,
    export_formats,
    layered,
    option,
    preset_keys,
    sting_name,
)
from clipkit.yamlfile import YamlLimitError, load_yaml

log = logging.getLogger(__name__)

# A preset's name is also its output folder: one plain path part, nothing to climb out with.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")

# Where a user-visible preset file may say which preset it builds on.
EXTENDS_KEY = "extends"
# Extends chains deeper than this are surely a loop or a mistake.
MAX_EXTENDS_DEPTH = 8


def _opt(
    default: Any,
    help: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A preset field: its default, help text and allowed range, in one place."""
    return option(default, help, min=lo, max=hi, choices=choices)


def _from(f: Field[Any], default: Any = MISSING) -> Any:
    """A preset key that an option of clipkit.options also sets: its help, range and
    choices are the option's; its default too, unless the option's means "the preset's"."""
    return field(default=f.default if default is MISSING else default, metadata=f.metadata)


_DETECT = {f.name: f for f in fields(DetectOptions)}
_PLAN = preset_keys(PlanOptions)
# Preset keys of the compilation reel alone (clipkit.posts.reel): no clip depends on them.
REEL_KEYS = ("reel_max_length",)
_EXTRAS = preset_keys(ExtrasOptions)


@dataclass(frozen=True)
class Limits:
    """A platform's caption limits: characters (code points) and hashtags."""

    chars: int
    hashtags: int


# PLATFORMS.md has no caption or description limits yet (its only text figures are the
# subtitle guidelines: ~42 characters a line, 2 lines). These are from secondary sources
# (~, the platforms' help pages could not be read): Instagram captions 2,200 characters
# and 30 hashtags (Reels, feed and Stories alike); TikTok captions 2,200 (the lower of
# the figures reported; 4,000 is reported for newer apps); YouTube descriptions 5,000,
# and a video with more than 15 hashtags has all of them ignored; Facebook posts 63,206;
# X 280 for most accounts (it counts URLs and wide characters more: kept well inside).
# No hashtag limit is published for TikTok, Facebook or X: 30 keeps the text readable.
PLATFORM_LIMITS: dict[str, Limits] = {
    "instagram": Limits(2200, 30),
    "tiktok": Limits(2200, 30),
    "youtube": Limits(5000, 15),
    "facebook": Limits(63206, 30),
    "x": Limits(280, 30),
}


# The lowest frame rate the platforms take (PLATFORMS.md).
MIN_FPS = 23.0


@dataclass(frozen=True)
class Preset:
    """One output format. Sizes are pixels of the output; times are seconds.

    The defaults are the Instagram Reels figures (PLATFORMS.md): 1080x1920 at 30 fps,
    H.264 High, AAC 48 kHz, -14 LUFS, and the Reels safe zone.
    """

    name: str = _opt("custom", "preset name (the file's stem when not given)")
    description: str = _opt("", "one line on what the preset is for")
    # -- frame --------------------------------------------------------------
    width: int = _opt(1080, "output width in pixels (made even)", lo=64, hi=4096)
    height: int = _opt(1920, "output height in pixels (made even)", lo=64, hi=4096)
    # Platforms accept 23-60 fps (Reels/TikTok/Stories, PLATFORMS.md).
    fps: float = _opt(
        30.0, "output frame rate (the highest, with fps_mode peak)", lo=MIN_FPS, hi=60.0
    )
    # HandBrake's "peak frame rate": 24 or 25 fps footage made 30 repeats every fifth or
    # sixth frame, which judders in any pan.
    fps_mode: str = _opt(
        "peak",
        f"peak: footage at a steady rate of {MIN_FPS:g} fps up to fps keeps its own rate; "
        "constant: always fps",
        choices=("peak", "constant"),
    )
    reframe: str = _from(_PLAN["reframe"], "auto")
    # -- timing ---------------------------------------------------------------
    min_length: float = _opt(5.0, "shortest clip, recovery shot included", lo=1.0, hi=600.0)
    max_length: float = _opt(10.0, "longest clip, recovery shot included", lo=1.0, hi=900.0)
    # The viewer needs 1.5-3 s to see what was about to happen (issue 8).
    lead_in: float = _opt(2.0, "seconds shown before the mishap starts", lo=0.0, hi=10.0)
    # Time for things to settle after the burst before the clip may end.
    settle: float = _opt(1.5, "seconds shown after the mishap ends", lo=0.0, hi=10.0)
    recovery: bool = _opt(True, "append a recovery shot after the mishap")
    # 1.5-3 s of calm footage reads as "and then it was fine" without dragging.
    recovery_length: float = _opt(2.5, "length of the recovery shot", lo=0.5, hi=10.0)
    crossfade: float = _opt(0.3, "video and audio crossfade into the recovery shot", lo=0.0, hi=2.0)
    # A compilation reel (``clipkit reel``): a minute holds ten moments at their shortest;
    # each built-in preset sets its platform's longest video (PLATFORMS.md).
    reel_max_length: float = _opt(
        60.0, "longest compilation reel (clipkit reel), title and ending included", lo=3.0, hi=900.0
    )
    # -- captions -------------------------------------------------------------
    # {line} is a line of the caption style's pool, chosen per clip (clipkit.clips.wording).
    caption: str = _from(_PLAN["caption"], "{line}")
    recovery_caption: str = _from(_PLAN["recovery_caption"], "{line}")
    caption_style: str = _from(_PLAN["caption_style"], DEFAULT_STYLE)
    caption_font: str = _opt("DejaVuSans-Bold.ttf", "a font shipped in clipkit.fonts or a path")
    # 3.5-5 % of the frame height is the short-form norm (66-96 px on 1920).
    caption_size: float = _opt(
        0.042, "font size as a fraction of the frame height", lo=0.01, hi=0.2
    )
    caption_color: str = _opt("#FFFFFF", "text colour (#RRGGBB)")
    caption_outline_color: str = _opt("#000000", "outline colour (#RRGGBB)")
    # 4-6 px on 1920 (PLATFORMS.md) = ~0.07 of an 80 px font.
    caption_outline: float = _opt(
        0.07, "outline width as a fraction of the font size", lo=0.0, hi=0.3
    )
    caption_position: str = _opt(
        "top", "where in the safe zone the caption sits", choices=("top", "center", "bottom")
    )
    # Subtitle guidelines: at most 2 lines (PLATFORMS.md).
    caption_max_lines: int = _opt(2, "lines of caption at most", lo=1, hi=6)
    # -- safe zone (fractions of the frame kept free of text) -------------------
    # Meta Reels: ~14 % top, ~35 % bottom, ~6 % sides (PLATFORMS.md).
    safe_top: float = _opt(0.14, "fraction of the height at the top kept free", lo=0.0, hi=0.5)
    safe_bottom: float = _opt(
        0.35, "fraction of the height at the bottom kept free", lo=0.0, hi=0.6
    )
    safe_left: float = _opt(0.06, "fraction of the width at the left kept free", lo=0.0, hi=0.4)
    safe_right: float = _opt(0.06, "fraction of the width at the right kept free", lo=0.0, hi=0.4)
    # -- encoding ---------------------------------------------------------------
    crf: int = _opt(20, "x264 constant quality (lower = better, bigger)", lo=0, hi=51)
    video_bitrate: int = _opt(
        0, "average video bitrate in kb/s instead of crf (0 = use crf)", lo=0, hi=100000
    )
    # Reels: <= 25 Mb/s (PLATFORMS.md); caps crf peaks through the x264 VBV.
    max_bitrate: int = _opt(25000, "peak video bitrate in kb/s (0 = no cap)", lo=0, hi=200000)
    # No "ultrafast": it drops the features of High profile (CABAC, 8x8 transforms).
    x264_preset: str = _opt(
        "medium",
        "x264 speed/size trade-off",
        choices=("superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"),
    )
    # Closed GOP of 1-2 s is accepted everywhere (PLATFORMS.md).
    gop_seconds: float = _opt(2.0, "seconds between key frames", lo=0.5, hi=10.0)
    # AAC-LC 128-320 kb/s (PLATFORMS.md).
    audio_bitrate: int = _opt(160, "AAC bitrate in kb/s", lo=64, hi=320)
    max_file_mb: float = _opt(300.0, "largest file the platform accepts, MB", lo=1.0, hi=100000.0)
    # -- loudness ---------------------------------------------------------------
    # -14 LUFS integrated, true peak -1 to -2 dBTP: common practice (PLATFORMS.md).
    loudness: float = _opt(-14.0, "integrated loudness target, LUFS", lo=-40.0, hi=-5.0)
    true_peak: float = _opt(-1.5, "true peak ceiling, dBTP", lo=-9.0, hi=0.0)
    # Short fades hide the clicks of a hard cut in the sound.
    audio_fade: float = _opt(0.15, "audio fade in/out at the clip's ends", lo=0.0, hi=2.0)
    # -- detection (same names and defaults as clipkit.detect.DetectOptions) -------
    sensitivity: float = _from(_DETECT["sensitivity"])
    max_moments: int = _from(_DETECT["max_moments"])
    min_gap: float = _from(_DETECT["min_gap"])
    # -- naming -----------------------------------------------------------------
    output_name: str = _opt("{stem}_{index:02d}_{preset}.mp4", "output file name template")
    # -- what goes with each clip (clipkit.posts) ----------------------------------
    stills: bool = _from(_EXTRAS["stills"], False)
    still_labels: str = _opt("Before|After", "the still's two labels, separated by |")
    # On by default: a clip is posted with a text, and one made from the clip's own
    # caption and time costs nothing to write or to delete.
    post_text: bool = _from(_EXTRAS["post_text"], True)
    post_platform: str = _opt(
        "instagram",
        "whose caption limits (characters, hashtags) the post text keeps to",
        choices=tuple(PLATFORM_LIMITS),
    )
    post_hashtags: str = _opt(
        "kitchenfail cookingfail homecooking",
        "the post text's hashtags (with or without #, spaces or commas between)",
    )
    post_questions: str = _opt(
        "",
        "questions to the audience, one chosen per clip (| between); empty: the built-in ones",
    )
    post_max_chars: int = _opt(
        0, "longest post text, characters (0: the platform's limit)", lo=0, hi=100000
    )
    post_max_hashtags: int = _opt(
        0, "most hashtags in a post text (0: the platform's limit)", lo=0, hi=100
    )
    sting: str = _from(_EXTRAS["sting"], "")
    # 0 LU: as loud as the clip around it; the duck makes room for it.
    sting_level: float = _opt(0.0, "the sting's loudness over the clip's, LU", lo=-20.0, hi=20.0)
    sting_duck: float = _opt(
        -10.0, "dB the original sound is lowered under the sting", lo=-40.0, hi=0.0
    )
    exports: str = _from(_EXTRAS["exports"], "")

    def to_dict(self) -> dict[str, Any]:
        """All values, fully resolved (no ``extends``)."""
        return asdict(self)

    def detect_options(
        self, given: Given[DetectOptions] | None = None, **explicit: Any
    ) -> DetectOptions:
        """This preset's detection settings, with the ``given`` (or ``explicit``) values
        (CLI, API) on top."""
        return layered(DetectOptions, self, given or DetectOptions.given(**explicit))

    def digest(self) -> str:
        """A stable hash of the values that change a rendered clip.

        Not the name or description, nor the detection settings: those change which
        clips are planned, and each clip's plan is part of its own key already. Nor
        what goes beside the clip (stills, post text, timelines: ``extras``), which has
        its own up-to-date check; nor the reel's settings, which change no clip (a reel's
        own key holds its plan). The sting is in the clip's sound, so it is here.
        """
        skip = {"name", "description", *_DETECT, *EXTRAS_FIELDS, *REEL_KEYS}
        if not self.sting:  # (its level and duck change nothing then)
            skip |= {"sting", "sting_level", "sting_duck"}
        d = {k: v for k, v in self.to_dict().items() if k not in skip}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def with_overrides(self, source: str = "overrides", **values: Any) -> Preset:
        """A copy with ``values`` (e.g. CLI flags) checked and applied; None means unset."""
        given = {k: v for k, v in values.items() if v is not None}
        return replace(self, **_check_values(given, source, {}))

    def extras(self) -> dict[str, Any]:
        """The values of what goes beside a clip (its still, post text and timelines);
        the export formats in one spelling ("edl, FCPXML" is "fcpxml,edl")."""
        values = {k: getattr(self, k) for k in EXTRAS_FIELDS}
        values["exports"] = ",".join(export_formats(self.exports))
        return values

    @property
    def size(self) -> tuple[int, int]:
        return self.width - self.width % 2, self.height - self.height % 2


FIELDS = {f.name: f for f in fields(Preset)}
# The fields of what goes beside a clip rather than into it (see Preset.extras).
EXTRAS_FIELDS = ("stills", "still_labels", "exports", *(k for k in FIELDS if k.startswith("post_")))


def option_specs() -> list[dict[str, Any]]:
    """Each preset field as name, type, default, help, min, max, choices (for CLI flags)."""
    specs = []
    for f in fields(Preset):
        default = f.default if f.default is not MISSING else None
        specs.append({"name": f.name, "type": type(default), "default": default, **f.metadata})
    return specs


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, list(FIELDS) + [EXTENDS_KEY], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fmt_time(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def fill_template(
    template: str, *, source: str, index: int, peak: float, preset: str, line: str = ""
) -> str:
    """Fill a caption or name template: {line} {stem} {name} {index} {time} {seconds}
    {preset} ({line}: the line chosen from the caption style's pool). A template that
    does not fill raises TemplateError: a ValueError where a preset or an option is
    checked, an InputError that fails its source when it came through the Python API."""
    fields_ = {
        "line": line,
        "stem": Path(source).stem,
        "name": Path(source).name,
        "index": index,
        "time": _fmt_time(peak),
        "seconds": peak,
        "preset": preset,
    }
    _check_fields(template)
    try:
        return template.format(**fields_)
    except (KeyError, IndexError, ValueError) as e:
        raise TemplateError(f"template {template!r}: unknown field or format ({e})") from None


# A format width beyond this ({line:>999999999}) is a way to fill the memory, not a look.
MAX_FORMAT_WIDTH = 999


def _check_fields(template: str, depth: int = 0) -> None:
    """TemplateError unless every field of ``template`` (and of its format specs) is a bare
    documented name: no attribute or index access ({stem.__class__}, {index[0]}), no
    positional {} or {0}, no unknown name."""
    allowed = TEMPLATE_HELP
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        raise TemplateError(f"template {template!r}: unknown field or format ({e})") from None
    for _text, name, spec, _conversion in parts:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            raise TemplateError(
                f"template {template!r}: unknown field '{{{name}}}'; allowed: {allowed}"
            )
        if spec and depth < 2:
            _check_fields(spec, depth + 1)
        if spec and any(len(d) > len(str(MAX_FORMAT_WIDTH)) for d in re.findall(r"\d+", spec)):
            raise TemplateError(
                f"template {template!r}: format '{spec}' of '{{{name}}}' is wider than "
                f"{MAX_FORMAT_WIDTH}"
            )


def check_template(template: str) -> str:
    """``template`` if it fills (ValueError saying why otherwise): checked when a preset
    or an option is read, not per clip after the analysis."""
    fill_template(template, source="footage/day1.mp4", index=1, peak=12.5, preset="reels")
    return template


def _check_color(value: str) -> None:
    from PIL import ImageColor

    try:
        ImageColor.getrgb(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a colour (#RRGGBB, or a name like white)") from None


def _shipped_font(name: str) -> bool:
    plain = Path(name).name == name  # (joining a path would give that path)
    return plain and (resources.files("clipkit.fonts") / name).is_file()


def font_file(name: str) -> str:
    """The file of a font shipped in clipkit.fonts (by file name) or of a font path;
    ValueError when there is none or it cannot be loaded."""
    if _shipped_font(name):
        return str(resources.files("clipkit.fonts") / name)
    if not Path(name).is_file():
        raise ValueError(f"no font '{name}' in clipkit.fonts or on disk")
    from PIL import ImageFont

    try:
        ImageFont.truetype(name, 12)
    except OSError as e:
        raise ValueError(f"{name}: cannot load the font ({e})") from None
    return name


def _check_name(value: str) -> None:
    if not PLAIN_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} must be a plain name (letters, digits, - _ . +): it names the output folder"
        )


def _check_caption(value: str) -> None:
    if problem := caption_too_long(value):
        raise ValueError(problem)


def _check_sting(value: str) -> None:
    if value:
        sting_name(value)


def _check_exports(value: str) -> None:
    export_formats(value)


def _check_labels(value: str) -> None:
    if len(value.split("|")) != 2:
        raise ValueError(f"{value!r} must be two labels separated by | (Before|After)")


# The checks a key's value gets beyond its type, range and choices (in this order).
_EXTRA_CHECKS: dict[str, tuple[Any, ...]] = {
    "caption": (_check_caption, check_template),
    "recovery_caption": (_check_caption, check_template),
    "output_name": (check_template,),
    "caption_color": (_check_color,),
    "caption_outline_color": (_check_color,),
    "caption_font": (font_file,),
    "name": (_check_name,),
    "sting": (_check_sting,),
    "exports": (_check_exports,),
    "still_labels": (_check_labels,),
}


def _check_value(key: str, value: Any) -> Any:
    """Return ``value`` converted to the field's type, or raise ValueError saying why."""
    value = check_value(FIELDS[key], value)
    for check in _EXTRA_CHECKS.get(key, ()):
        check(value)
    return value


def _check_values(
    values: dict[str, Any], source: str, lines: dict[str, int], folder: Path | None = None
) -> dict[str, Any]:
    """The values checked and converted; ``folder`` is the preset file's, if any."""
    out = {}
    for key, value in values.items():
        where = f"{source}: line {lines[key]}" if key in lines else source
        if key not in FIELDS:
            raise PresetError(f"{where}: unknown key '{key}'{_suggest(key)}")
        if key == "caption_font" and isinstance(value, str) and folder is not None:
            # A font file next to the preset file is found from any working folder.
            beside = folder / value
            value = (
                str(beside.resolve()) if beside.is_file() and not _shipped_font(value) else value
            )
        try:
            out[key] = _check_value(key, value)
        except ValueError as e:
            raise PresetError(f"{where}: '{key}' {e}") from None
    return out


def _read_yaml(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse safely; return the mapping and each top-level key's line number (1-based)."""
    try:
        data, node = load_yaml(text)
    except YamlLimitError as e:
        raise PresetError(f"{path}: {e}") from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        raise PresetError(f"{path}: line {line}: not valid YAML ({e.problem})") from None
    except yaml.YAMLError as e:
        raise PresetError(f"{path}: not valid YAML ({e})") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise PresetError(f"{path}: line 1: a preset must be a mapping of key: value")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k.value, str)}
    return data, lines


def _builtin_dir() -> Path:
    """The folder of the built-in YAML files, installed or in a source checkout (this
    package's own checkout first: an editable install may map the package data to
    another checkout's, e.g. a git worktree's)."""
    here = Path(__file__).resolve().parents[2]  # the checkout (clipkit/clips/presets.py)
    if (here / "pyproject.toml").is_file() and (here / "presets").is_dir():
        return here / "presets"
    try:
        installed = Path(str(resources.files("clipkit.builtin_presets")))
        if installed.is_dir():
            return installed
    except (ModuleNotFoundError, TypeError):
        pass
    return here / "presets"


def list_presets() -> list[str]:
    """Names of the built-in presets."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def _locate(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    looks_like_path = text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text
    if not looks_like_path:
        builtin = _builtin_dir() / f"{text}.yaml"
        if builtin.is_file():
            return builtin
        raise PresetError(
            f"unknown preset '{text}'{_suggest_preset(text)}; "
            f"available: {', '.join(list_presets())}"
        )
    path = Path(text)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        raise PresetError(f"{path}: no such preset file")
    return path


def _suggest_preset(name: str) -> str:
    close = difflib.get_close_matches(name, list_presets(), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The checked values of ``path`` over those of what it extends."""
    if path.resolve() in chain or len(chain) > MAX_EXTENDS_DEPTH:
        raise PresetError(f"{path}: 'extends' loops back on itself")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PresetError(f"{path}: cannot read ({e})") from None
    data, lines = _read_yaml(path, text)
    base: dict[str, Any] = {}
    parent = data.pop(EXTENDS_KEY, None)
    if parent is not None:
        if not isinstance(parent, str):
            raise PresetError(f"{path}: line {lines[EXTENDS_KEY]}: 'extends' must be a name")
        try:
            base_path = _locate(parent, relative_to=path.parent)
        except PresetError as e:
            raise PresetError(f"{path}: line {lines[EXTENDS_KEY]}: {e}") from None
        base = _resolve(base_path, (*chain, path.resolve()))
    values = _check_values(data, str(path), lines, path.parent)
    base.pop("name", None)  # a preset's name is its own, never its parent's
    return {**base, **values}


def _build(path: Path) -> Preset:
    values = _resolve(path, ())
    # A file's stem names it unless it says otherwise; made safe as a folder name.
    values.setdefault("name", re.sub(r"[^A-Za-z0-9_.+-]", "_", path.stem).lstrip(".") or "preset")
    preset = Preset(**values)
    if preset.min_length > preset.max_length:
        raise PresetError(
            f"{path}: min_length {preset.min_length} is longer than max_length {preset.max_length}"
        )
    if preset.safe_left + preset.safe_right >= 0.9 or preset.safe_top + preset.safe_bottom >= 0.9:
        raise PresetError(f"{path}: the safe zone leaves no room for a caption")
    return preset


def load_preset(name_or_path: str | Path) -> Preset:
    """Load a built-in preset by name, or a YAML preset file, fully resolved."""
    preset = _build(_locate(name_or_path))
    log.debug("preset %s: %s", preset.name, preset.digest())
    return preset


def validate_preset_file(path: str | Path) -> Preset:
    """Check a preset file; return the resolved preset or raise PresetError."""
    p = Path(path)
    if not p.is_file():
        raise PresetError(f"{p}: no such preset file")
    return _build(p)
