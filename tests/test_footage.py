"""End to end on the real labelled footage in ../shared/footage (skipped when absent).

Targets from issue 7: recall >= 0.8 and precision >= 0.7 with the default options.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = ROOT.parent / "shared" / "footage"
SAMPLES = ROOT / "samples"


def _score(folder: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    import accuracy

    from clipkit.detect import DetectOptions

    total = accuracy.Score()
    for name, lab in accuracy.load_labels(folder).items():
        peaks = accuracy.clipkit_peaks(folder / name, DetectOptions(), tmp_path)
        total.add(accuracy.score_peaks(peaks, lab))
    return total


@pytest.mark.skipif(not (FOOTAGE / "labels.yaml").exists(), reason="no ../shared/footage")
def test_real_footage_meets_targets(tmp_path: Path) -> None:
    sc = _score(FOOTAGE, tmp_path)
    assert sc.recall >= 0.8, sc
    assert sc.precision >= 0.7, sc


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
@pytest.mark.xfail(
    reason="issue 7 open: the handheld sample's tin is turned down as camera motion (its "
    "shake reads 0.17 frame widths a second) and its excess over the file's usual motion "
    "peaks at 0.13 (0.75 needed); with the generator's true camera shift it reaches 0.76. "
    "The portrait wine spill is the strongest burst in its file, but at 0.31 (it spreads "
    "slowly, so little of any region changes from one frame to the next)",
    strict=True,
)
def test_samples_every_event_no_false_alarm(tmp_path: Path) -> None:
    sc = _score(SAMPLES, tmp_path)
    assert sc.fn == 0 and sc.fp == 0, sc
