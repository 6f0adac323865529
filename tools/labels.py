"""Labelled footage: a folder of videos with a labels.yaml, and the scoring rule that
both training and bench/accuracy.py use.

A moment (or candidate) is right when its peak lies inside an event window widened by
TOLERANCE s; a second one on the same event is a false alarm; one inside an ignore
window counts neither way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Labels are hand-placed to about a frame or two; 0.5 s is the issues' tolerance.
TOLERANCE = 0.5


def load_labels(folder: Path) -> dict[str, dict[str, Any]]:
    with open(folder / "labels.yaml") as f:
        return yaml.safe_load(f) or {}


def windows(label: dict[str, Any], key: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in (label.get(key) or [])]


def label_of(peak: float, label: dict[str, Any]) -> int | None:
    """1 when ``peak`` is on an event, 0 when it would be a false alarm, None when it is
    in an ignore window."""
    if any(a - TOLERANCE <= peak <= b + TOLERANCE for a, b in windows(label, "events")):
        return 1
    if any(a <= peak <= b for a, b in windows(label, "ignore")):
        return None
    return 0


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, o: Score) -> None:
        self.tp, self.fp, self.fn = self.tp + o.tp, self.fp + o.fp, self.fn + o.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (
            f"P {self.precision:.2f} R {self.recall:.2f} F1 {self.f1:.2f} "
            f"(TP {self.tp} FP {self.fp} FN {self.fn})"
        )


def score_peaks(peaks: list[float], label: dict[str, Any]) -> Score:
    """Score moment peaks against one file's labels."""
    events = windows(label, "events")
    hit = [False] * len(events)
    sc = Score()
    for p in peaks:
        for i, (a, b) in enumerate(events):
            if a - TOLERANCE <= p <= b + TOLERANCE:
                if hit[i]:
                    sc.fp += 1
                else:
                    hit[i] = True
                    sc.tp += 1
                break
        else:
            if not any(a <= p <= b for a, b in windows(label, "ignore")):
                sc.fp += 1
    sc.fn = hit.count(False)
    return sc


def coverage(start: float, end: float, label: dict[str, Any], peak: float) -> float | None:
    """The share of the event window that ``peak`` hit that [start, end] covers (None
    when the peak is on no event)."""
    for a, b in windows(label, "events"):
        if a - TOLERANCE <= peak <= b + TOLERANCE:
            return max(0.0, min(end, b) - max(start, a)) / max(b - a, 1e-9)
    return None
