"""Every option once: its default, range and help, in the metadata of one field.

One frozen dataclass per stage: :class:`DetectOptions` (which moments), :class:`PlanOptions`
(a run's say over its presets' captions, recovery shot and framing) and
:class:`RunOptions` (where clips go, the cache, how many workers, what to redo). The CLI
flags (``clipkit.cli``), the preset keys (``clipkit.clips.presets``) and the Python API
(``clipkit.run.batch``) are made from these fields or checked against them
(tests/test_options.py). Values are layered in one place, :func:`layered`: the defaults,
then a preset's values, then the values given explicitly (flags, API arguments).

Nothing here reads the environment or the disk at import time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

# What a caption or name template may use (``clipkit.clips.presets.fill_template``).
TEMPLATE_FIELDS = ("line", "stem", "name", "index", "time", "seconds", "preset")
TEMPLATE_HELP = " ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)

# The preset a run uses when none is named, through every door.
DEFAULT_PRESET = "reels"

REFRAMES = ("auto", "crop", "blur", "fit", "center", "follow")

# The caption styles, and a preset's when it names none (clipkit.clips.wording has their lines).
STYLES = ("humor", "question", "lesson", "friday")
DEFAULT_STYLE = "humor"


def option(
    default: Any = None,
    help: str = "",
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
    kind: type | None = None,
    flags: tuple[str, ...] = (),
    preset_key: str | None = None,
    factory: Any = None,
    envvar: str | None = None,
) -> Any:
    """A field with its default, help and allowed range in one place. ``kind`` is the
    value's type when the default (None) does not tell; ``flags`` the CLI spellings
    (default ``--field-name``); ``preset_key`` the preset key the field overrides;
    ``envvar`` the environment variable the CLI also reads it from."""
    meta = {
        "help": help,
        "min": min,
        "max": max,
        "choices": choices,
        "kind": kind or type(default),
        "flags": flags,
        "preset_key": preset_key,
        "envvar": envvar,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def default_of(f: Field[Any]) -> Any:
    """A field's default (its factory's value, made now)."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def out_of_range(f: Field[Any], value: float) -> bool:
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    return (lo is not None and value < lo) or (hi is not None and value > hi)


def _number(kind: type, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    if kind is int and value != int(value):
        raise ValueError(f"must be a whole number, not {value!r}")
    return int(value) if kind is int else float(value)


def check_value(f: Field[Any], value: Any) -> Any:
    """``value`` converted to the field's type, or ValueError saying why (the key's name
    left for the caller to put in front)."""
    kind = f.metadata.get("kind", type(f.default))
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
    elif kind in (int, float):
        value = _number(kind, value)
        if out_of_range(f, value):
            lo, hi = f.metadata["min"], f.metadata["max"]
            raise ValueError(f"{value} is out of range ({lo} to {hi})")
    elif kind is str and not isinstance(value, str):
        raise ValueError(f"must be text, not {value!r}")
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ValueError(not_one_of(value, choices))
    return value


def not_one_of(value: Any, choices: tuple[str, ...]) -> str:
    """Why ``value`` is not a valid choice: the choices, and the nearest one if any."""
    import difflib

    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{value!r} is not one of {', '.join(choices)}{hint}"


# The sound stings clipkit makes (clipkit.render.sting synthesises them) and the timeline
# formats it writes (clipkit.posts.timeline), named here where options are checked: the
# presets and plans that name them come before the stage that makes them.
STING_NAMES = ("boing", "whoosh", "record-scratch", "sad-trombone")
# Bump when the stings sound different: the key of every clip with a sting holds it (a
# preset's digest, a plan's key), so those clips are made again and no other.
# 2: faded ends, nothing aliased, the boing's wobble slowing, the whoosh's noise, the
# scratch's strokes, the trombone's brass.
STING_VERSION = 2
EXPORT_FORMATS = ("otio", "fcpxml", "edl")


def sting_name(name: str) -> str:
    """The sting ``name`` as clipkit spells it (``_`` and spaces read as ``-``);
    ValueError listing the choices, with the nearest one, otherwise."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in STING_NAMES:
        raise ValueError(not_one_of(name, STING_NAMES))
    return key


def export_formats(text: str) -> tuple[str, ...]:
    """The formats of ``--export otio,fcpxml,edl`` (in that order, each once);
    ValueError listing the choices, with the nearest, for an unknown one."""
    asked = [p.strip().lower().lstrip(".") for p in text.split(",") if p.strip()]
    for name in asked:
        if name not in EXPORT_FORMATS:
            raise ValueError(not_one_of(name, EXPORT_FORMATS))
    return tuple(f for f in EXPORT_FORMATS if f in asked)


Opts = TypeVar("Opts", bound="Options")


class Options:
    """Base of the option classes: every value is checked against its field on creation."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or f.metadata.get("kind") in (None, Path, tuple):
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number and f.metadata["kind"] in (int, float) and out_of_range(f, value):
                lo, hi = f.metadata["min"], f.metadata["max"]
                bounds = f"between {lo:g} and {hi:g}" if hi is not None else f">= {lo:g}"
                raise ValueError(f"{f.name} must be {bounds}, not {value}")
            try:
                check_value(f, value)
            except ValueError as e:
                raise ValueError(f"{f.name} {e}") from None

    @classmethod
    def given(cls: type[Opts], **values: Any) -> Given[Opts]:
        """The values given explicitly (None: not given), checked as this class checks them."""
        chosen = {k: v for k, v in values.items() if v is not None}
        replace(cls(), **chosen)  # unknown names and bad values fail here
        return Given(cls, tuple(sorted(chosen.items())))


@dataclass(frozen=True)
class Given(Generic[Opts]):
    """Values given explicitly for some fields of ``kind`` (flags, API arguments): they
    win over a preset's, which win over the defaults (see :func:`layered`)."""

    kind: type[Opts]
    values: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def layered(
    kind: type[Opts], preset: object | None = None, given: Given[Opts] | None = None
) -> Opts:
    """The one place options are layered: ``kind``'s defaults, then ``preset``'s values
    of the same names, then the ``given`` values."""
    names = [f.name for f in fields(kind)]
    values = {n: getattr(preset, n) for n in names if preset is not None and hasattr(preset, n)}
    if given is not None:
        values.update(given.as_dict())
    return kind(**values)


def default_cache_dir() -> Path:
    """$CLIPKIT_CACHE_DIR, else $XDG_CACHE_HOME/clipkit, else ~/.cache/clipkit (read at
    call time, never at import)."""
    env = os.environ.get("CLIPKIT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "clipkit"


def default_jobs() -> int:
    """The number of cores this process may use (worker processes, decoder threads)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# -- the options of each stage ----------------------------------------------------------


@dataclass(frozen=True)
class DetectOptions(Options):
    """Which moments are reported. A preset may carry each of these keys."""

    sensitivity: float = option(
        0.5,
        "0..1: how readily a candidate counts as a moment. 0.5 asks the model's "
        "probability that it is a mishap to reach the level that balanced precision and "
        "recall on footage it had not seen; 1 takes any candidate, 0 none. Higher finds "
        "more (and more false alarms), never fewer.",
        min=0.0,
        max=1.0,
    )
    # 10: more than that in one file is rarely worth posting, and a bound keeps a long
    # noisy recording from flooding the output; 1000 is far past any use.
    max_moments: int = option(
        10, "At most this many moments per file (best first).", min=0, max=1000
    )
    # 3 s: clips run 5-10 s, so two peaks closer than this would share one clip.
    min_gap: float = option(
        3.0, "At least this many seconds between the peaks of two moments.", min=0.0, max=3600.0
    )


CAPTION_HELP = (
    f"mishap caption template: {TEMPLATE_HELP} are filled in ({{line}}: a line of the "
    "caption style's); empty for none"
)
RECOVERY_CAPTION_HELP = (
    f"caption template over the recovery shot (the same fields: {TEMPLATE_HELP}); empty for none"
)
STYLE_HELP = (
    "the built-in lines captions are chosen from: humor, question (asks the audience), "
    "lesson (with a lesson), friday (Fail Friday #N)"
)
REFRAME_HELP = (
    "how a frame of another shape is fitted: auto (a crop that follows the action, "
    "or fit over a blurred copy when the action is wider than the crop), crop, blur, "
    "fit (over black) or center (a still centred crop); follow: the older name of crop"
)


@dataclass(frozen=True)
class PlanOptions(Options):
    """A run's say over its presets' captions, recovery shot and framing; None: each
    preset's own value."""

    caption: str | None = option(None, CAPTION_HELP, kind=str, preset_key="caption")
    recovery_caption: str | None = option(
        None, RECOVERY_CAPTION_HELP, kind=str, preset_key="recovery_caption"
    )
    caption_style: str | None = option(
        None, STYLE_HELP, kind=str, choices=STYLES, preset_key="caption_style"
    )
    lesson: str | None = option(
        None,
        "the lesson of caption style lesson (which it implies when no style is given): "
        '"Lesson learned: LESSON"',
        kind=str,
    )
    reframe: str | None = option(
        None, REFRAME_HELP, kind=str, choices=REFRAMES, preset_key="reframe"
    )
    recovery_file: Path | None = option(
        None,
        "append this video as the recovery shot instead of one from the source",
        kind=Path,
        flags=("--recovery",),
    )
    no_recovery: bool = option(False, "append no recovery shot")


STILLS_HELP = (
    "write a before/after JPEG beside each clip (the mishap's peak beside the recovery "
    "shot's sharpest frame)"
)
POST_TEXT_HELP = (
    "write the post text (a description, a question to the audience, hashtags; fitted to "
    "the preset's platform) as a .txt beside each clip"
)
STING_HELP = (
    "mix a sound effect in at each mishap's peak, the original sound ducked under it: "
    "boing, whoosh, record-scratch or sad-trombone; none for none"
)
EXPORT_HELP = (
    "write timelines for video editors beside each clip: otio, fcpxml, edl, or several "
    "separated by commas; none for none"
)


@dataclass(frozen=True)
class ExtrasOptions(Options):
    """What goes with each clip besides its video (clipkit.posts); None: each preset's
    own value. --sting and --export are checked by the CLI's callbacks (their choices
    live in clipkit.posts, which these options must not import)."""

    stills: bool | None = option(
        None, STILLS_HELP, kind=bool, flags=("--stills/--no-stills",), preset_key="stills"
    )
    post_text: bool | None = option(
        None,
        POST_TEXT_HELP,
        kind=bool,
        flags=("--post-text/--no-post-text",),
        preset_key="post_text",
    )
    sting: str | None = option(None, STING_HELP, kind=str, preset_key="sting")
    exports: str | None = option(
        None, EXPORT_HELP, kind=str, flags=("--export",), preset_key="exports"
    )


@dataclass(frozen=True)
class RunOptions(Options):
    """Where a run's clips go, and how it works."""

    out_dir: Path = option(
        Path("out"),
        "output folder: clips go to OUT/<preset>/, with manifest.json and index.html",
        kind=Path,
        flags=("-o", "--out", "--output"),  # --output: detect's name for its -o
    )
    presets: tuple[str, ...] = option(
        (DEFAULT_PRESET,),
        "built-in preset name or a preset YAML file; repeat for several platforms",
        kind=tuple,
        flags=("-p", "--preset"),
    )
    # None (through the API only): no cache; the signals go from planning to rendering.
    cache_dir: Path | None = option(
        help="where analysis results are cached (when not given: $CLIPKIT_CACHE_DIR, else "
        "~/.cache/clipkit)",
        kind=Path,
        factory=default_cache_dir,
    )
    jobs: int | None = option(
        None, "files worked on at once (when not given: the number of cores)", kind=int, min=1,
        flags=("-j", "--jobs"),
    )  # fmt: skip
    cluster: str | None = option(
        None,
        "run the work on a Dask cluster: a scheduler's address (tcp://HOST:8786), or local:N "
        "for N worker processes here (needs clipkit[cluster])",
        kind=str,
        envvar="CLIPKIT_CLUSTER",
    )
    force: bool = option(
        False, "re-render clips that are up to date (and render plans on changed sources)"
    )
    dry_run: bool = option(False, "say what would be made; make nothing", flags=("-n", "--dry-run"))

    @property
    def workers(self) -> int:
        """``jobs``, or every core when not given."""
        return self.jobs or default_jobs()


def same_as(kind: type[Options], name: str) -> Any:
    """A field defined like ``kind``'s field ``name`` (for a class that needs the same
    option without the rest of ``kind``)."""
    f = next(f for f in fields(kind) if f.name == name)
    if f.default_factory is not MISSING:
        return field(default_factory=f.default_factory, metadata=f.metadata)
    return field(default=f.default, metadata=f.metadata)


def flags_of(f: Field[Any]) -> tuple[str, ...]:
    """A field's CLI spellings."""
    return tuple(f.metadata.get("flags") or ("--" + f.name.replace("_", "-"),))


def preset_keys(kind: type[Options]) -> Mapping[str, Field[Any]]:
    """The fields of ``kind`` that a preset also has, by the preset key's name."""
    found: dict[str, Field[Any]] = {}
    for f in fields(kind):
        key = f.metadata.get("preset_key") or (f.name if kind is DetectOptions else None)
        if key:
            found[key] = f
    return found
