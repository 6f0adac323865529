"""The score of a candidate: a logistic model over FEATURES, fitted by ``make train``
(tools/train.py, with SciPy) and shipped as data (``model.json`` beside this
file), applied here in numpy. Its output is the model's probability that the
candidate is a mishap, which ``--sensitivity`` thresholds.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from clipkit.detection.features import FEATURES
from clipkit.errors import ClipkitError

MODEL_FILE = "model.json"


class ModelError(ClipkitError):
    """The model file is missing, unreadable, or fitted for other features."""


@dataclass(frozen=True)
class Model:
    """A standardised logistic model: p = 1 / (1 + exp(-(z . coef + intercept))),
    z = (x - mean) / scale, over the named features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    # The score a candidate needs at the default sensitivity (0.5): the one that gave the
    # best balance of precision and recall on footage the model had not seen while
    # fitting (see tools/train.py).
    threshold: float = 0.5
    info: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, and how

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (self.mean.shape == self.scale.shape == self.coef.shape == (n,)):
            raise ModelError(f"model: {n} features but arrays of other lengths")
        if not (np.all(np.isfinite(self.coef)) and np.all(self.scale > 0)):
            raise ModelError("model: coefficients must be finite and scales positive")
        if not 0.0 < self.threshold < 1.0:
            raise ModelError(f"model: threshold must be between 0 and 1, not {self.threshold}")

    def needed(self, sensitivity: float) -> float:
        """The score a candidate needs at ``sensitivity`` (0..1): 1 at 0, ``threshold`` at
        0.5, 0 at 1, straight in between: more sensitivity never asks for more."""
        if sensitivity <= 0.5:
            return 1.0 - (1.0 - self.threshold) * sensitivity / 0.5
        return self.threshold * (1.0 - sensitivity) / 0.5

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's share of the log-odds, per row (same shape as ``x``)."""
        return (np.atleast_2d(x) - self.mean) / self.scale * self.coef

    def score(self, x: np.ndarray) -> np.ndarray:
        """The probability of each row of ``x`` (candidates x FEATURES) being a mishap."""
        z = self.contributions(x).sum(axis=1) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
            "threshold": round(float(self.threshold), 6),
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "model") -> Model:
        try:
            if d.get("kind") != "logistic":
                raise ModelError(f"{where}: unknown kind {d.get('kind')!r}")
            return cls(
                features=tuple(d["features"]),
                mean=np.asarray(d["mean"], float),
                scale=np.asarray(d["scale"], float),
                coef=np.asarray(d["coef"], float),
                intercept=float(d["intercept"]),
                threshold=float(d.get("threshold", 0.5)),
                info=dict(d.get("info") or {}),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{where}: not a clipkit model ({e})") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    def check(self, where: str = "model") -> Model:
        """Self, when it was fitted for the features this clipkit computes."""
        if self.features != FEATURES:
            raise ModelError(
                f"{where}: fitted for other features than this clipkit computes (run `make train`)"
            )
        return self


def load(path: str | Path) -> Model:
    """A model file, checked against FEATURES."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read the model ({e})") from None
    return Model.from_dict(d, str(path)).check(str(path))


@functools.lru_cache(maxsize=1)
def shipped() -> Model:
    """The model shipped with clipkit (read once)."""
    ref = resources.files("clipkit.detection").joinpath(MODEL_FILE)
    try:
        d = json.loads(ref.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"clipkit's own {MODEL_FILE}: cannot read it ({e})") from None
    return Model.from_dict(d, MODEL_FILE).check(MODEL_FILE)
