"""Detection: Signals -> candidates -> features -> fitted model -> Moments.

``detect`` is the whole stage; the modules are its steps: ``series`` (what each frame
shows against its region's baseline), ``candidates`` (where something may have
happened), ``features`` (what describes each candidate), ``model`` (the fitted score,
shipped as data) and ``moments`` (threshold, spacing, explanations).
"""

from clipkit.detection.moments import (
    Detection,
    DetectOptions,
    Moment,
    Rejected,
    detect,
    detect_with_notes,
)
from clipkit.detection.series import action_map, action_maps

__all__ = [
    "Detection",
    "DetectOptions",
    "Moment",
    "Rejected",
    "action_map",
    "action_maps",
    "detect",
    "detect_with_notes",
]
