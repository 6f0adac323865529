"""Post text for a clip or a reel: a description, a question to the audience, hashtags.

The description comes from a template chosen per clip by a stable hash of the clip's
key (its source's file name and peak time), not at random: the same clip gets the same
text on every run and machine, and a re-run changes nothing. The whole text is fitted
to the platform's caption limit by cutting the description at a word boundary; the
question goes next, the hashtags last of all.

Proposed preset fields (a :class:`PostStyle` holds them until presets.py has them; the
list-valued ones are also accepted as one string, templates split on ``|`` and
hashtags on spaces or commas, since preset values are scalars today):

- ``post_platform``: whose limits apply (``instagram``, ``tiktok``, ``youtube``,
  ``facebook``, ``x``); built-in presets map to theirs (``PRESET_PLATFORMS``).
- ``post_templates`` / ``post_reel_templates``: description templates; fields
  ``{caption} {recovery_caption} {stem} {time} {index} {preset}`` for a clip,
  ``{title} {count} {preset}`` for a reel.
- ``post_questions`` / ``post_reel_questions``: questions to the audience.
- ``post_hashtags``: hashtags, with or without ``#``.
- ``post_max_chars`` / ``post_max_hashtags``: 0 takes the platform's limit.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from clipkit.clips.plan import ClipPlan
from clipkit.clips.presets import PLATFORM_LIMITS, Limits, Preset
from clipkit.errors import PresetError
from clipkit.files import write_atomic
from clipkit.options import not_one_of

# The platform of each built-in preset.
PRESET_PLATFORMS = {
    "reels": "instagram", "stories": "instagram", "feed": "instagram", "square": "instagram",
    "tiktok": "tiktok", "shorts": "youtube", "youtube": "youtube", "x": "x",
}  # fmt: skip

CLIP_TEMPLATES = (
    "{caption}",
    "Kitchen chaos, {time} into the recording. {caption}",
    "It was all going so well. {caption}",
    "When the recipe said 'easy'. {caption}",
    "Not my finest moment in the kitchen. {caption}",
)
CLIP_QUESTIONS = (
    "Has this ever happened to you?",
    "What would you have done?",
    "Rate this disaster from 1 to 10!",
    "Tag someone who cooks like this.",
    "Be honest: how often has this happened to you?",
)
REEL_TEMPLATES = (
    "{title}: {count} kitchen mishaps, each one worse than the last.",
    "{title}! The week's {count} best kitchen fails.",
    "{title}. {count} times the kitchen won.",
)
REEL_QUESTIONS = (
    "Which one was the worst? Tell us the number!",
    "Which number made you laugh the most?",
    "Which of these has happened to you?",
)
HASHTAGS = ("kitchenfail", "cookingfail", "homecooking")
CLIP_FIELDS = ("caption", "recovery_caption", "stem", "time", "index", "preset")
REEL_FIELDS = ("title", "count", "preset")
ELLIPSIS = "…"


def _words(value: Any, split: str) -> tuple[str, ...]:
    """A list given as a sequence, or as one string split on the pattern ``split``."""
    items = re.split(split, value) if isinstance(value, str) else list(value)
    return tuple(str(i).strip() for i in items if str(i).strip())


@dataclass(frozen=True)
class PostStyle:
    """What the post texts are made from (the proposed ``post_*`` preset fields)."""

    platform: str = "instagram"
    templates: tuple[str, ...] = CLIP_TEMPLATES
    questions: tuple[str, ...] = CLIP_QUESTIONS
    reel_templates: tuple[str, ...] = REEL_TEMPLATES
    reel_questions: tuple[str, ...] = REEL_QUESTIONS
    hashtags: tuple[str, ...] = field(default=HASHTAGS)
    max_chars: int = 0  # 0: the platform's
    max_hashtags: int = 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "post style") -> PostStyle:
        """From ``post_*`` keys (or the bare field names); PresetError for a bad one."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = key.removeprefix("post_")
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean 'post_{close[0]}'?)" if close else ""
                raise PresetError(f"{where}: unknown key '{key}'{hint}")
            if name in ("hashtags",):
                value = _words(value, r"[\s,]+")
            elif name.endswith(("templates", "questions")):
                value = _words(value, r"\|")
            values[name] = value
        return cls(**values).checked(where)

    @classmethod
    def for_preset(cls, preset: str, **values: Any) -> PostStyle:
        """The style for a built-in preset's platform, with ``values`` on top."""
        return cls.from_mapping({"platform": PRESET_PLATFORMS.get(preset, "instagram"), **values})

    @classmethod
    def of_preset(cls, preset: Preset) -> PostStyle:
        """The style a preset's ``post_*`` fields give (empty questions: the built-in)."""
        values: dict[str, Any] = {
            "platform": preset.post_platform,
            "hashtags": preset.post_hashtags,
            "max_chars": preset.post_max_chars,
            "max_hashtags": preset.post_max_hashtags,
        }
        if preset.post_questions.strip():
            values["questions"] = preset.post_questions
        return cls.from_mapping(values, f"preset {preset.name}")

    def checked(self, where: str = "post style") -> PostStyle:
        if self.platform not in PLATFORM_LIMITS:
            problem = not_one_of(self.platform, tuple(PLATFORM_LIMITS))
            raise PresetError(f"{where}: 'post_platform' {problem}")
        for name, allowed in (("templates", CLIP_FIELDS), ("reel_templates", REEL_FIELDS)):
            for template in getattr(self, name):
                _check_template(template, allowed, f"{where}: 'post_{name}'")
        if min(self.max_chars, self.max_hashtags) < 0:
            raise PresetError(f"{where}: 'post_max_chars' and 'post_max_hashtags' must be >= 0")
        return self

    @property
    def limits(self) -> Limits:
        own = PLATFORM_LIMITS[self.platform]
        return Limits(self.max_chars or own.chars, self.max_hashtags or own.hashtags)


def _check_template(template: str, allowed: Sequence[str], where: str) -> None:
    """PresetError unless every field of ``template`` is a bare name of ``allowed``."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        raise PresetError(f"{where}: {template!r} is not a template ({e})") from None
    for _text, name, spec, conversion in parts:
        if name is not None and (name not in allowed or spec or conversion):
            fields_ = " ".join(f"{{{a}}}" for a in allowed)
            raise PresetError(f"{where}: {template!r}: '{{{name}}}' is not one of {fields_}")


@dataclass(frozen=True)
class PostText:
    """The parts of a post's text and the whole, fitted to the platform."""

    description: str
    question: str
    hashtags: tuple[str, ...]
    text: str


def clip_key(plan: ClipPlan) -> str:
    """What makes a clip the same clip on another run or machine: its source's file
    name and the moment's peak (not the folder, not its index among the clips)."""
    return f"{Path(plan.source).name}@{plan.peak:.3f}"


def pick(options: Sequence[str], key: str, salt: str) -> str:
    """One of ``options``, chosen by a stable hash of ``key`` and ``salt``."""
    if not options:
        return ""
    digest = hashlib.sha256(f"{salt}\0{key}".encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def hashtags(tags: Sequence[str], most: int) -> tuple[str, ...]:
    """``#tag`` for each (letters, digits and _ kept), without repeats, at most ``most``."""
    out: list[str] = []
    for tag in tags:
        word = re.sub(r"\W", "", tag)
        if word and word.lower() not in {t[1:].lower() for t in out}:
            out.append(f"#{word}")
    return tuple(out[:most])


def _tidy(text: str) -> str:
    """Spaces collapsed, and nothing dangling where an empty field was."""
    return re.sub(r"\s+([.,!?:])", r"\1", re.sub(r"\s+", " ", text)).strip()


def cut_at_word(text: str, room: int) -> str:
    """``text`` if it fits in ``room`` characters, else its longest run of whole words
    that fits with an ellipsis after it ("" when not even one word does)."""
    if len(text) <= room:
        return text
    head = text[: max(0, room - len(ELLIPSIS)) + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else ""
    cut = cut.rstrip(" ,;:.-")
    return cut + ELLIPSIS if cut else ""


def fit(description: str, question: str, tags: Sequence[str], limits: Limits) -> PostText:
    """The post's text within ``limits``: the description cut first (at a word), then
    dropped, then the question, and only then hashtags from the end."""
    tags = tuple(tags[: limits.hashtags])
    while True:
        tail = "\n\n".join(p for p in (question, " ".join(tags)) if p)
        room = limits.chars - (len(tail) + 2 if tail else 0)
        desc = cut_at_word(description, room) if room > 0 else ""
        text = "\n\n".join(p for p in (desc, tail) if p)
        if len(text) <= limits.chars:
            return PostText(desc, question, tags, text)
        if question:
            question = ""
        elif tags:
            tags = tags[:-1]
        else:
            return PostText("", "", (), "")


def clip_post(plan: ClipPlan, style: PostStyle) -> PostText:
    """The post text of one clip."""
    key = clip_key(plan)
    m, s = divmod(int(plan.peak), 60)
    values = {
        "caption": plan.caption or "",
        "recovery_caption": plan.recovery_caption or "",
        "stem": Path(plan.source).stem,
        "time": f"{m}:{s:02d}",
        "index": plan.index,
        "preset": plan.preset,
    }
    template = pick(style.templates, key, "template") or "{caption}"
    description = _tidy(template.format(**values)) or _tidy(
        CLIP_TEMPLATES[1].format(**values)  # an empty caption: say where it happened
    )
    question = pick(style.questions, key, "question")
    return fit(description, question, hashtags(style.hashtags, 10**6), style.limits)


def reel_post(plans: Sequence[ClipPlan], style: PostStyle, title: str) -> PostText:
    """The post text of a reel of ``plans`` (keyed by all of them, in their order)."""
    key = "|".join(clip_key(p) for p in plans)
    values = {"title": title, "count": len(plans), "preset": plans[0].preset if plans else ""}
    template = pick(style.reel_templates, key, "reel template") or "{title}"
    question = pick(style.reel_questions, key, "reel question")
    return fit(_tidy(template.format(**values)), question, hashtags(style.hashtags, 10**6),
               style.limits)  # fmt: skip


def text_path(output: str | Path) -> Path:
    """Where a clip's or reel's post text goes: beside it, as ``.txt``."""
    return Path(output).with_suffix(".txt")


def write_post(path: Path, post: PostText) -> None:
    """Write the text (and a final newline) atomically."""
    write_atomic(path, post.text + "\n")


__all__ = [
    "PostStyle",
    "PostText",
    "Limits",
    "PLATFORM_LIMITS",
    "PRESET_PLATFORMS",
    "clip_post",
    "reel_post",
    "clip_key",
    "fit",
    "cut_at_word",
    "hashtags",
    "pick",
    "text_path",
    "write_post",
]
