"""Clip quality on labelled footage: does a clip show the action, keep the whole event,
end on a recovery shot and sound right.

    python bench/quality.py [FOLDER ...] [-p PRESET ...] [--reuse] [--sensitivity S]

FOLDER holds videos and a labels.yaml (default: every ../shared/footage* folder). The
bench runs `clipkit cut -p PRESET` (reels by default; repeat -p for more) of this
checkout on them into bench/_work/quality/out/ (emptied first) with a new, empty
analysis cache, then reads its manifest.json (each record names its preset). --reuse
judges the last run's clips instead of cutting again.

A clip's moment matches a labelled event when its peak lies inside the event's window
widened by 0.5 s (tools/labels.py's rule). For each clip it prints one row (its span in
the source, the event it matches, box: the share of good event frames / the least share
of the box inside at any of them, window ok or SHORT, recovery shot, still or none with
"!" when it overlaps an event, integrated LUFS / true peak dBTP with X when off target),
and then the totals against these targets:

- action box: the share of the event's hand-labelled action box
  (tests/data/action_boxes.yaml, interpolated between its labelled times) that lies
  inside the clip's crop (the manifest's `crop` samples [t, x, y, w, h], interpolated;
  `crop: null` shows the whole frame), every 0.1 s of the event inside the clip. A
  frame is good when >= 90 % of the box is inside; a clip when >= 90 % of its event
  frames are good. Target: >= 90 % of the matched clips. A note says when the action
  is wider than the crop itself (a 9:16 crop of 16:9 footage is 32 % of its width):
  there only a wider framing can meet the target;
- window: the clip holds the whole event and >= 1 s after it where the preset's
  max_length allows it (event + 1.5 s + 1 s <= max_length), else at least the event's
  end and 1 s after it (capped at the end of the file). Target: every matched clip;
- recovery: the clip ends on a recovery shot (or a still: one frame at recovery[0])
  that overlaps no labelled event. Target: every clip;
- loudness: integrated within 1 LU of the preset's target and true peak at or under
  its ceiling, for clips with sound (silent clips are skipped). Target: every clip.

It is a benchmark, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clipkit.clips.presets import Preset, load_preset  # noqa: E402
from clipkit.media.probe import VideoInfo, probe  # noqa: E402
from tools.labels import TOLERANCE, load_labels, windows  # noqa: E402
from tools.train import default_folders  # noqa: E402

WORK = ROOT / "bench" / "_work" / "quality"
BOXES = ROOT / "tests" / "data" / "action_boxes.yaml"
STEP = 0.1  # s between judged frames of an event
BOX_INSIDE = 0.90  # share of the box inside the crop for a frame to be good
FRAMES_GOOD = 0.90  # share of good frames for a clip to be good
TARGET_BOX = 0.90  # share of good clips
AFTER = 1.0  # s kept after the event
RECOVERY_ROOM = 1.5  # s the recovery shot takes of max_length
LOUDNESS_LU = 1.0


@dataclass
class Row:
    """One clip's figures; None where a figure does not apply."""

    preset: str
    folder: Path  # the output folder (the manifest's names are relative to it)
    name: str  # FOLDER/FILE
    record: dict[str, Any]
    event: tuple[float, float] | None = None
    box: float | None = None  # share of good event frames
    box_worst: float | None = None  # smallest share of the box inside, over those frames
    window: bool | None = None
    window_why: str = ""
    recovery: str = "none"  # "shot", "still" or "none"
    recovery_overlap: bool = False
    loud: bool | None = None
    notes: list[str] = field(default_factory=list)


def run_cut(folders: list[Path], presets: list[str], sensitivity: float | None) -> Path:
    """`clipkit cut` of this checkout into a new output folder, with a new cache."""
    out, cache = WORK / "out", WORK / "cache"
    for d in (out, cache):
        shutil.rmtree(d, ignore_errors=True)
    cache.mkdir(parents=True)
    cmd = [sys.executable, "-m", "clipkit", "cut", "-q", "-o", str(out), "--cache-dir", str(cache)]
    for p in presets:
        cmd += ["-p", p]
    if sensitivity is not None:
        cmd += ["--sensitivity", str(sensitivity)]
    cmd += [str(f) for f in folders]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    print("$ python", " ".join(cmd[1:]), flush=True)
    r = subprocess.run(cmd, cwd=ROOT, env=env)
    if r.returncode != 0:
        print(f"(clipkit cut exited with {r.returncode}: some files failed; judging what was made)")
    return out


def load_boxes() -> dict[str, list[dict[str, Any]]]:
    with open(BOXES) as f:
        return yaml.safe_load(f) or {}


def box_at(boxes: list[dict[str, Any]], t: float) -> np.ndarray:
    """The labelled box at ``t`` (fractions), linear between labelled times, held at the
    ends."""
    ts = np.array([float(b["t"]) for b in boxes])
    bs = np.array([[float(v) for v in b["box"]] for b in boxes])
    return np.array([np.interp(t, ts, bs[:, k]) for k in range(4)])


def crop_at(crop: list[list[float]], t: float) -> np.ndarray:
    """The crop rectangle (x, y, w, h, source pixels) at ``t``, linear between samples."""
    c = np.array(crop, dtype=float)
    return np.array([np.interp(t, c[:, 0], c[:, k]) for k in range(1, 5)])


def share_inside(box: np.ndarray, rect: np.ndarray, width: int, height: int) -> float:
    """How much of ``box`` (fractions) lies inside ``rect`` (x, y, w, h in pixels)."""
    x0, y0, x1, y1 = box * [width, height, width, height]
    cx0, cy0, cw, ch = rect
    ix = max(0.0, min(x1, cx0 + cw) - max(x0, cx0))
    iy = max(0.0, min(y1, cy0 + ch) - max(y0, cy0))
    area = (x1 - x0) * (y1 - y0)
    return ix * iy / area if area > 0 else 1.0


def judge_box(row: Row, boxes: list[dict[str, Any]], info: VideoInfo) -> None:
    rec, (a, b) = row.record, row.event  # type: ignore[misc]
    lo, hi = max(a, float(rec["start"])), min(b, float(rec["end"]))
    if hi < lo:
        row.notes.append("the event is outside the clip")
        row.box, row.box_worst = 0.0, 0.0
        return
    crop = rec.get("crop")
    shares, wide = [], 0
    for t in np.arange(lo, hi + 1e-9, STEP):
        if not crop:  # null: the whole frame is shown
            shares.append(1.0)
            continue
        box, rect = box_at(boxes, t), crop_at(crop, t)
        shares.append(share_inside(box, rect, info.width, info.height))
        # A box this much wider (or taller) than the crop cannot be 90 % inside it
        # wherever the crop goes: only a wider framing (a smaller zoom, blur or fit) can.
        bw, bh = (box[2] - box[0]) * info.width, (box[3] - box[1]) * info.height
        wide += rect[2] < BOX_INSIDE * bw or rect[3] < BOX_INSIDE * bh
    s = np.array(shares)
    row.box = float(np.mean(s >= BOX_INSIDE))
    row.box_worst = float(s.min())
    if wide:
        row.notes.append(
            f"the action is wider than the crop in {wide} of {len(s)} event frames "
            "(no placement of that crop can show it)"
        )


def judge_window(row: Row, preset: Preset, info: VideoInfo) -> None:
    rec, (a, b) = row.record, row.event  # type: ignore[misc]
    start, end = float(rec["start"]), float(rec["end"])
    need_end = min(b + AFTER, info.duration - 0.05)
    whole = (b - a) + RECOVERY_ROOM + AFTER <= preset.max_length
    if whole:
        row.window = start <= a + 1e-6 and end >= need_end - 1e-6
        if not row.window:
            row.window_why = f"[{start:.2f}, {end:.2f}] s misses [{a}, {need_end:.2f}]"
    else:
        row.window = start <= b and end >= need_end - 1e-6
        if not row.window:
            row.window_why = f"[{start:.2f}, {end:.2f}] s misses [{b}, {need_end:.2f}] (long event)"


def judge_recovery(row: Row, events: dict[str, list[tuple[float, float]]]) -> None:
    rec = row.record
    r = rec.get("recovery")
    if not r:
        row.recovery = "none"
        return
    still = bool(rec.get("recovery_still"))
    row.recovery = "still" if still else "shot"
    r0, r1 = float(r[0]), float(r[0] if still else r[1])
    src = rec.get("recovery_source")
    name = row.name if not src or src == rec["source"] else _label_name(row.folder / src)
    for a, b in events.get(name, []):
        if (a <= r0 <= b) if still else (r0 < b and r1 > a):
            row.recovery_overlap = True
            row.notes.append(f"recovery [{r0:.2f}, {r1:.2f}] overlaps event [{a}, {b}]")
    # Not a target, but worth a look: a "recovery" from before the mishap, or a moving
    # shot replaying part of the clip (a still from its last frames is by design).
    if row.event is not None and name == row.name:
        if r1 <= row.event[0]:
            row.notes.append(f"recovery [{r0:.2f}, {r1:.2f}] is from before the event")
        elif not still and r0 < float(rec["end"]):
            row.notes.append(f"recovery shot starts at {r0:.2f} s, inside the clip")


def judge_loudness(row: Row, preset: Preset) -> None:
    loud = row.record.get("loudness") or {}
    i, tp = loud.get("integrated"), loud.get("true_peak")
    if i is None:
        return  # silent
    ok_i = abs(float(i) - preset.loudness) <= LOUDNESS_LU
    ok_tp = tp is not None and float(tp) <= preset.true_peak + 1e-6
    row.loud = ok_i and ok_tp
    if not row.loud:
        row.notes.append(f"loudness {i} LUFS, true peak {tp} dBTP")


def _label_name(path: Path) -> str:
    p = path.resolve()
    return f"{p.parent.name}/{p.name}"


def judge_preset(
    out: Path, preset_name: str, labels: dict[str, dict[str, Any]], boxes: dict
) -> list[Row] | None:
    preset = load_preset(preset_name)
    # One manifest for the run, at the top of the output folder; sources are named
    # relative to that folder, and each record says its preset.
    folder = out
    manifest = folder / "manifest.json"
    if not manifest.exists():
        print(f"\n{preset.name}: no manifest at {manifest}")
        return None
    with open(manifest) as f:
        records = [r for r in json.load(f).get("clips", []) if r.get("preset") == preset.name]
    events = {n: windows(lab, "events") for n, lab in labels.items()}
    infos: dict[str, VideoInfo] = {}
    rows = []
    for rec in records:
        src = folder / rec["source"]
        name = _label_name(src)
        if name not in labels:
            continue  # not labelled footage
        if name not in infos:
            infos[name] = probe(src.resolve())
        info = infos[name]
        row = Row(preset.name, folder, name, rec)
        peak = float(rec["peak"])
        for a, b in events[name]:
            if a - TOLERANCE <= peak <= b + TOLERANCE:
                row.event = (a, b)
                break
        if row.event is not None:
            if "crop" in rec:
                ev = [e for e in boxes.get(name, []) if tuple(e["event"]) == row.event]
                if ev:
                    judge_box(row, ev[0]["boxes"], info)
                else:
                    row.notes.append("no action boxes for this event")
            judge_window(row, preset, info)
        judge_recovery(row, events)
        judge_loudness(row, preset)
        rows.append(row)
    report(preset, rows, records, events)
    return rows


def _pct(k: int, n: int) -> str:
    return f"{k} of {n} ({k / n:.0%})" if n else "none"


def report(
    preset: Preset,
    rows: list[Row],
    records: list[dict[str, Any]],
    events: dict[str, list[tuple[float, float]]],
) -> None:
    has_crop = any("crop" in r for r in records)
    print(f"\n{preset.name} ({preset.width}x{preset.height}, max_length {preset.max_length} s)")
    print(
        f"{'clip':52s} {'[start, end]':>15s} {'event':>13s} {'box':>9s} "
        f"{'window':>6s} {'recov':>5s} {'LUFS/dBTP':>12s}"
    )
    for r in sorted(rows, key=lambda r: (r.name, float(r.record["start"]))):
        rec = r.record
        clip = f"{r.name[:48]} #{rec['index']}"
        span = f"[{float(rec['start']):.1f}, {float(rec['end']):.1f}]"
        ev = f"[{r.event[0]}, {r.event[1]}]" if r.event else "(none)"
        box = "-" if r.box is None else f"{r.box:.0%}/{r.box_worst:.0%}"
        win = "-" if r.window is None else ("ok" if r.window else "SHORT")
        rv = r.recovery + ("!" if r.recovery_overlap else "")
        loud = rec.get("loudness") or {}
        lt = "silent"
        if loud.get("integrated") is not None:
            lt = f"{float(loud['integrated']):.1f}/{float(loud.get('true_peak') or 0):.1f}"
            lt += "" if r.loud else " X"
        print(f"{clip[:52]:52s} {span:>15s} {ev:>13s} {box:>9s} {win:>6s} {rv:>5s} {lt:>12s}")
        notes = list(r.notes)
        if r.window_why:
            notes.append(r.window_why)
        if r.recovery == "none":
            why = rec.get("recovery_note") or "; ".join(rec.get("notes") or []) or "(no note)"
            notes.append(f"no recovery: {why}")
        for n in notes:
            print(f"    {n}")

    matched = [r for r in rows if r.event is not None]
    print(
        f"\nTOTAL {preset.name}: {len(rows)} clips of labelled footage, "
        f"{len(matched)} on a labelled event"
    )
    if not has_crop:
        print("  action box: no crop path in manifest (not judged)")
    else:
        judged = [r.box for r in matched if r.box is not None]
        good = sum(box >= FRAMES_GOOD for box in judged)
        met = judged and good / len(judged) >= TARGET_BOX
        print(
            f"  action box >= {BOX_INSIDE:.0%} inside in >= {FRAMES_GOOD:.0%} of the event's "
            f"frames: {_pct(good, len(judged))}   target >= {TARGET_BOX:.0%} of clips: "
            f"{'met' if met else 'NOT met'}"
        )
    windows = [r for r in matched if r.window is not None]
    good = sum(bool(r.window) for r in windows)
    print(
        f"  window holds the event and {AFTER:.0f} s after it: {_pct(good, len(windows))}"
        f"   target every clip: {'met' if good == len(windows) else 'NOT met'}"
    )
    shot = sum(r.recovery == "shot" for r in rows)
    still = sum(r.recovery == "still" for r in rows)
    none = sum(r.recovery == "none" for r in rows)
    over = sum(r.recovery_overlap for r in rows)
    ok = none == 0 and over == 0
    print(
        f"  recovery: {shot} shot, {still} still, {none} none; {over} overlap a labelled "
        f"event   target every clip, none overlapping: {'met' if ok else 'NOT met'}"
    )
    loud = [r for r in rows if r.loud is not None]
    good = sum(bool(r.loud) for r in loud)
    print(
        f"  loudness within {LOUDNESS_LU:.0f} LU of {preset.loudness} LUFS, true peak <= "
        f"{preset.true_peak} dBTP: {_pct(good, len(loud))} with sound "
        f"({len(rows) - len(loud)} silent)   target every clip: "
        f"{'met' if good == len(loud) else 'NOT met'}"
    )
    # How many events any clip shows (the rest are detection's misses: bench/accuracy.py).
    shown = {(r.name, r.event) for r in matched}
    n_events = sum(len(e) for e in events.values())
    print(f"  labelled events with a clip: {len(shown)} of {n_events}")
    missed = sorted((n, e) for n, evs in events.items() for e in evs if (n, e) not in shown)
    for n, (a, b) in missed:
        print(f"    no clip: {n} [{a}, {b}]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("-p", "--preset", action="append", help="preset (repeat); default reels")
    ap.add_argument("--reuse", action="store_true", help="judge the last run's clips")
    ap.add_argument("--sensitivity", type=float, default=None)
    args = ap.parse_args(argv)
    folders = args.folders or [f for f in default_folders() if f.name.startswith("footage")]
    presets = args.preset or ["reels"]
    labels: dict[str, dict[str, Any]] = {}
    for f in folders:
        for file, lab in load_labels(f).items():
            labels[f"{f.resolve().name}/{file}"] = lab
    total_events = sum(len(windows(lab, "events")) for lab in labels.values())
    print(f"{len(labels)} labelled files, {total_events} events, in {len(folders)} folders")
    out = WORK / "out" if args.reuse else run_cut(folders, presets, args.sensitivity)
    boxes = load_boxes()
    for p in presets:
        judge_preset(out, p, labels, boxes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
