"""The real clips that synthetic events are painted into: every event-free clip of the
labelled footage folders (kitchen work and everyday scenes: hard negatives).

A background keeps its folder's ignore windows, so that no event is placed where the
real footage already holds ambiguous motion, and its bytes' hash, so that a corpus knows
when it was made from other footage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from clipkit.media.probe import probe
from tools.labels import load_labels, windows

Window = tuple[float, float]


@dataclass(frozen=True)
class Background:
    """One event-free real clip, as the generator needs it."""

    name: str  # "<folder name>/<file name>": what a synthetic clip's label names
    path: Path
    duration: float  # seconds
    fps: float
    width: int  # as displayed
    height: int
    audio_rate: int  # Hz, 0 when the file has no sound
    audio_channels: int
    ignore: tuple[Window, ...]  # the folder label's ignore windows, seconds
    sha256: str

    @property
    def has_audio(self) -> bool:
        return self.audio_rate > 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_backgrounds(folders: list[Path]) -> list[Background]:
    """Every clip labelled ``events: []`` in the labels.yaml of ``folders``, sorted by
    name. A folder without labels.yaml, or a listed file that is missing, is an error
    naming it: a corpus silently made from fewer backgrounds would train another model."""
    out = []
    for folder in folders:
        if not (folder / "labels.yaml").exists():
            raise FileNotFoundError(f"{folder}: no labels.yaml")
        for file, label in load_labels(folder).items():
            if label.get("events"):
                continue
            path = folder / file
            info = probe(path)
            out.append(
                Background(
                    name=f"{folder.name}/{file}",
                    path=path,
                    duration=info.duration,
                    fps=info.fps,
                    width=info.width,
                    height=info.height,
                    audio_rate=info.audio_rate if info.has_audio else 0,
                    audio_channels=info.audio_channels if info.has_audio else 0,
                    ignore=tuple(windows(label, "ignore")),
                    sha256=_sha256(path),
                )
            )
    return sorted(out, key=lambda b: b.name)


def shifted(ignore: tuple[Window, ...], start: float, length: float) -> list[Window]:
    """``ignore`` windows as seen in the segment [start, start + length] of their clip:
    shifted to start at 0, cut to the segment, and left out where nothing remains."""
    out = []
    for a, b in ignore:
        a, b = max(a - start, 0.0), min(b - start, length)
        if b - a > 0.0:
            out.append((round(a, 3), round(b, 3)))
    return out


def free_spans(
    length: float, ignore: list[Window], head: float, tail: float, gap: float
) -> list[Window]:
    """The stretches of a clip of ``length`` seconds where an event may be: from ``head``
    to ``length - tail``, at least ``gap`` seconds away from every ignore window."""
    spans = [(head, length - tail)]
    for a, b in sorted(ignore):
        nxt = []
        for s, e in spans:
            if e <= a - gap or s >= b + gap:
                nxt.append((s, e))
                continue
            if s < a - gap:
                nxt.append((s, a - gap))
            if e > b + gap:
                nxt.append((b + gap, e))
        spans = nxt
    return [(s, e) for s, e in spans if e > s]
