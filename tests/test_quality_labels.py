"""The hand-labelled action boxes (tests/data/action_boxes.yaml) that bench/quality.py
judges crops by: their shape always; that they name the footage and events of
../shared/footage*/labels.yaml when that folder exists (skipped when absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BOXES = ROOT / "tests" / "data" / "action_boxes.yaml"
# A labelled time may sit this far outside its event window.
NEAR = 1.0


def _boxes() -> dict[str, list[dict[str, Any]]]:
    with open(BOXES) as f:
        return yaml.safe_load(f)


def test_every_entry_has_boxes_inside_the_frame_near_its_event() -> None:
    data = _boxes()
    assert data, "no entries"
    for name, events in data.items():
        assert len(Path(name).parts) == 2, f"{name}: not FOLDER/FILE"
        assert isinstance(events, list) and events, f"{name}: no events"
        for ev in events:
            assert set(ev) == {"event", "boxes"}, f"{name}: keys {sorted(ev)}"
            a, b = (float(v) for v in ev["event"])
            assert a < b, f"{name}: event {ev['event']}"
            times = [float(x["t"]) for x in ev["boxes"]]
            assert times, f"{name} {ev['event']}: no boxes"
            assert times == sorted(set(times)), f"{name} {ev['event']}: times not increasing"
            for x in ev["boxes"]:
                t, box = float(x["t"]), x["box"]
                where = f"{name} {ev['event']} t={t}"
                assert a - NEAR <= t <= b + NEAR, f"{where}: outside the event window"
                assert len(box) == 4, f"{where}: {box}"
                x0, y0, x1, y1 = (float(v) for v in box)
                assert 0.0 <= x0 < x1 <= 1.0, f"{where}: x {x0}..{x1}"
                assert 0.0 <= y0 < y1 <= 1.0, f"{where}: y {y0}..{y1}"


def _shared_events() -> dict[str, list[tuple[float, float]]]:
    out = {}
    for labels in sorted(SHARED.glob("footage*/labels.yaml")):
        with open(labels) as f:
            for file, lab in (yaml.safe_load(f) or {}).items():
                evs = [(float(a), float(b)) for a, b in (lab.get("events") or [])]
                if evs:
                    out[f"{labels.parent.name}/{file}"] = evs
    return out


@pytest.mark.skipif(not list(SHARED.glob("footage*/labels.yaml")), reason="no ../shared/footage*")
def test_entries_name_the_shared_footage_and_its_events() -> None:
    data = _boxes()
    events = _shared_events()
    for name, entries in data.items():
        folder = SHARED / Path(name).parts[0]
        if not folder.is_dir():
            continue
        assert (SHARED / name).is_file(), f"{name}: not in {SHARED}"
        for ev in entries:
            a, b = (float(v) for v in ev["event"])
            assert (a, b) in events.get(name, []), f"{name}: [{a}, {b}] is not a labelled event"
    # And every labelled event of a folder that is there has its boxes.
    for name, evs in events.items():
        got = {tuple(float(v) for v in ev["event"]) for ev in data.get(name, [])}
        missing = [e for e in evs if e not in got]
        assert not missing, f"{name}: no action boxes for {missing}"
