"""On the real labelled footage in ../shared/footage* (skipped when absent).

The honest accuracy figures are cross-validated, by bench/accuracy.py (each clip judged
by a model fitted without it). What is checked here is that the shipped model is in
step with this clipkit: on the footage it was fitted to, with the analysis as it is
now, it still finds what it found when it was fitted. A change to the analysis or the
features that needs `make train` fails here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tools.labels import Score

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "samples"
FOLDERS = [SHARED / "footage", SHARED / "footage2"]


def _score(folders: list[Path], tmp_path: Path) -> Score:
    sys.path.insert(0, str(ROOT))
    from clipkit.analysis.analyse import analyse
    from clipkit.detection import detect
    from clipkit.media.probe import probe
    from tools.labels import Score, load_labels, score_peaks

    total = Score()
    for folder in folders:
        for name, lab in load_labels(folder).items():
            sig = analyse(probe(folder / name), cache_dir=tmp_path)
            total.add(score_peaks([m.peak for m in detect(sig)], lab))
    return total


@pytest.mark.skipif(
    not all((f / "labels.yaml").exists() for f in FOLDERS), reason="no ../shared/footage*"
)
def test_the_shipped_model_is_in_step_with_the_analysis(tmp_path: Path) -> None:
    sc = _score(FOLDERS, tmp_path)
    assert sc.recall >= 0.75, sc
    assert sc.precision >= 0.6, sc


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
def test_samples_no_false_alarm(tmp_path: Path) -> None:
    sc = _score([SAMPLES], tmp_path)
    assert sc.fp == 0 and sc.tp >= 1, sc


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
@pytest.mark.xfail(
    strict=True,
    reason="issue 24's target, not met yet: the shipped model finds 2 of the samples' 4 "
    "events (portrait_phone_spill.mp4 and one of counter_stir_drop_spill.mp4 score below "
    "the threshold); "
    "bench/accuracy.py prints the figures",
)
def test_samples_every_event(tmp_path: Path) -> None:
    sc = _score([SAMPLES], tmp_path)
    assert sc.fn == 0, sc
