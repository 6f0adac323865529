"""What the captions say: built-in lines per caption style, chosen per clip for a batch.

Pure: names and times in, text out. Each clip draws its lines from its style's pools by
a hash of its source's file name and its moment's time, so the same clip gets the same
words on every run; clips are then taken in a fixed order (source name, time), and a
clip whose line another clip of the batch already has takes the next unused one, so no
line repeats until the pool has been used up. ``friday`` numbers its clips in that
order. A preset's or a plan's caption is a template: ``{line}`` is where the chosen line
goes, and an explicit caption (``--caption``, a plan's ``caption``) has no need of one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from clipkit.options import DEFAULT_STYLE, STYLES

# Short lines: the longest fits two lines of the Reels safe zone at the preset's size
# (tests/test_wording.py lays every one out on every built-in preset).
MISHAP = {
    "humor": (
        "Wait for it...",
        "Well, that escalated quickly",
        "The kitchen had other plans",
        "Plot twist in 3, 2, 1...",
        "Gravity: 1, me: 0",
        "This is fine.",
        "Nobody saw that. Right?",
        "Chef's kiss? Not quite",
    ),
    "question": (
        "Has this ever happened to you?",
        "Be honest: how often do you do this?",
        "What would you have done?",
        "Is it just me, or...?",
        "Who else has had a day like this?",
        "Did you see it coming?",
    ),
    # With a lesson (--lesson, a plan's ``lesson``), the line is LESSON with it.
    "lesson": (
        "Lesson learned the hard way",
        "Learn from my mistakes",
        "Don't be like me",
        "Today's lesson, live",
        "Watch and learn. What not to do",
    ),
    "friday": (
        "Fail Friday #{n}",
        "Fail Friday #{n}: wait for it...",
        "Fail Friday #{n}: the kitchen wins",
        "Fail Friday #{n}: don't try this at home",
        "Fail Friday #{n}: gravity strikes again",
    ),
}
RECOVERY = {
    "humor": (
        "Nailed it anyway",
        "Saved it. Mostly.",
        "Still counts as cooking",
        "Dinner is served (eventually)",
        "Happy ending after all",
        "Tasted great, I promise",
    ),
    "question": (
        "Would you still eat it?",
        "Rate the rescue from 1 to 10",
        "Did I save it? Tell me below",
        "Tag someone who needs to see this",
        "What's your worst kitchen fail?",
    ),
    "lesson": (
        "Now you know",
        "Save this for later",
        "You're welcome",
        "Learned it so you don't have to",
        "Don't say I didn't warn you",
    ),
    "friday": (
        "See you next Friday",
        "Still nailed it",
        "Happy Friday anyway",
        "Back to cooking",
        "Weekend saved",
    ),
}
LESSON = "Lesson learned: {lesson}"

# A caption is read in the second or two a clip gives it, in at most a few lines
# (caption_max_lines); this is far past any that can be, and short of text that only
# fills the memory of the layout.
MAX_CAPTION_CHARS = 500


def caption_too_long(text: str) -> str | None:
    """Why ``text`` is too long for a caption (a template, a lesson), or None."""
    if len(text) <= MAX_CAPTION_CHARS:
        return None
    return f"too long ({len(text):,} characters; a caption may have {MAX_CAPTION_CHARS} at most)"


@dataclass(frozen=True)
class Words:
    """What the lines of one clip depend on."""

    source: str  # the source file (only its name counts: moving a folder changes nothing)
    peak: float  # the moment's time, s
    style: str = DEFAULT_STYLE
    lesson: str = ""

    @property
    def name(self) -> str:
        return PurePath(self.source.replace("\\", "/")).name

    def order(self) -> tuple[str, float, str]:
        return self.name, round(self.peak, 1), self.source


def _start(words: Words, kind: str, size: int) -> int:
    """Where this clip's own pick lies in a pool of ``size`` lines (from a hash)."""
    text = f"{kind}|{words.style}|{words.name}|{words.peak:.1f}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % size


class _Pool:
    """A pool's lines handed out without repeats until every one has been used (those
    in ``taken``, captions already shown beside them, count as used)."""

    def __init__(self, lines: tuple[str, ...], taken: Iterable[str] = ()) -> None:
        self.lines = lines
        shown = tuple(taken)
        self.used: set[int] = {i for i, line in enumerate(lines) if any(line in t for t in shown)}
        if len(self.used) == len(lines):
            self.used.clear()

    def take(self, start: int) -> str:
        if len(self.used) == len(self.lines):
            self.used.clear()  # used up: a new round
        i = start
        while i in self.used:
            i = (i + 1) % len(self.lines)
        self.used.add(i)
        return self.lines[i]


def choose_lines(clips: Iterable[Words], taken: Iterable[str] = ()) -> dict[Words, tuple[str, str]]:
    """The (mishap, recovery) lines of each clip of a batch. A clip listed twice (one
    moment planned for several presets) gets one pair of lines. ``taken``: captions
    shown beside these clips (e.g. a reel's clips from an earlier run): their lines
    come last."""
    taken = tuple(taken)
    unique = sorted(set(clips), key=Words.order)
    pools: dict[tuple[str, str], _Pool] = {}
    fridays = 0
    out: dict[Words, tuple[str, str]] = {}
    for w in unique:
        if w.style not in STYLES:
            raise ValueError(f"unknown caption style {w.style!r}")
        lines = []
        for kind, table in (("mishap", MISHAP), ("recovery", RECOVERY)):
            pool = pools.setdefault((kind, w.style), _Pool(table[w.style], taken))
            if kind == "mishap" and w.style == "lesson" and w.lesson.strip():
                lines.append(LESSON.format(lesson=w.lesson.strip()))
                continue
            lines.append(pool.take(_start(w, kind, len(pool.lines))))
        if w.style == "friday":
            fridays += 1
            lines[0] = lines[0].replace("{n}", str(fridays))
        out[w] = (lines[0], lines[1])
    return out
