"""What was made from what: the manifest, and how a re-run knows what is up to date.

Each finished clip leaves a small state record in ``OUT/.clipkit/state/``, written
right after the clip is renamed into place. A record holds the clip's *key*: a hash
of everything the clip depends on (the source's fingerprint, its plan, the
preset's resolved values, clipkit's version). A clip is up to date when its
record's key matches and its file is still there with the recorded size. Because
records are per clip and written as each clip completes, an interrupted run
loses at most the clip that was being written, and the next run picks up there.

``manifest.json`` and ``manifest.csv`` are rebuilt from the records; they are
rewritten only when their content changes, so make's time stamps stay meaningful.
Sources are named relative to the output folder (as plan files name theirs relative
to the plan file): one name per file whichever folder clipkit runs from, and a
project folder that moves as a whole keeps its clips.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from clipkit import __version__
from clipkit.files import raise_if_full, write_if_changed, write_together
from clipkit.options import STING_VERSION

if TYPE_CHECKING:
    from clipkit.clips.plan import ClipPlan
    from clipkit.clips.presets import Preset
    from clipkit.render.clip import RenderResult

STATE_DIR = ".clipkit/state"
# The reels' records (clipkit.run.reel), apart from the clips': ``cut`` never takes a
# reel for a stale clip of its source.
REELS_DIR = ".clipkit/reels"
SOURCES_DIR = ".clipkit/sources"
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"


@dataclass(frozen=True)
class ClipRecord:
    """One manifest row: a clip and everything it was made from."""

    key: str
    output: str  # relative to the output folder
    cover: str | None
    preset: str
    preset_digest: str
    source: str
    source_fingerprint: str
    index: int
    start: float
    end: float
    peak: float
    score: float
    reasons: list[str]
    caption: str
    recovery_caption: str
    recovery: list[float] | None  # [start, end] in the source, or None
    recovery_note: str | None
    duration: float
    size_bytes: int
    clipkit_version: str = __version__
    notes: list[str] = field(default_factory=list)
    # What the review page needs to write the clip's plan back (``clipkit render``
    # takes it): the recovery shot's file (named as ``source`` is) and the plan's note.
    recovery_source: str | None = None
    plan_note: str = ""
    recovery_still: bool = False  # the recovery shot is one frame held (see ClipPlan)
    # How the mishap was fitted (crop, blur, fit) and its crop path: [source time, x, y,
    # w, h] in the source's pixels, every 0.2 s (None: the whole picture is shown).
    reframe: str = ""
    crop: list[list[float]] | None = None
    # The sound as measured on the file: target, integrated (LUFS), true_peak (dBTP),
    # gain and limiter (dB: what the limiter took off the loudest peak), source (LUFS).
    loudness: dict[str, float | None] | None = None
    # The clip file's SHA-256 when it was made: "up to date" checks the bytes, so a clip
    # left corrupt or truncated under its final name is made again.
    sha256: str = ""
    # What was made beside the clip (clipkit.posts): its files by kind (text, still, edl,
    # fcpxml, otio), relative to the output folder, and the key they were made with.
    extras: dict[str, str] = field(default_factory=dict)
    extras_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_plan(self) -> ClipPlan:
        """The plan the clip was made from, its files named as the record names them
        (relative to the output folder), with the source's fingerprint."""
        from clipkit.clips.plan import ClipPlan

        rec = self.recovery
        return ClipPlan(
            source=self.source,
            source_fingerprint=self.source_fingerprint,
            index=self.index,
            start=self.start,
            end=self.end,
            peak=self.peak,
            score=self.score,
            caption=self.caption,
            recovery_caption=self.recovery_caption,
            output=PurePosixPath(self.output).name,
            preset=self.preset,
            # Records made before recovery_source was kept: their shot came from the source.
            recovery_source=(self.recovery_source or self.source) if rec else None,
            recovery_start=rec[0] if rec else None,
            recovery_end=rec[1] if rec else None,
            recovery_note=self.recovery_note or "",
            recovery_still=self.recovery_still,
            note=self.plan_note,
        )


# Bump when the same source, plan and preset come out differently (reframing, captions,
# colour, sound, encoding): a re-run then renders every clip again instead of keeping
# clips made the old way. Releases are covered by __version__; this covers the commits
# in between.
RENDER_VERSION = 2  # 2: loudness reaches the target through a limiter


def clip_key(source_fingerprint: str, plan: dict[str, Any], preset_digest: str) -> str:
    """Hash of everything a rendered clip depends on."""
    blob = json.dumps(
        {
            "src": source_fingerprint,
            "plan": plan,
            "preset": preset_digest,
            "v": __version__,
            "render": RENDER_VERSION,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


# Bump when the same clip and preset give other extras (post text, stills, timelines).
# 2: a reel's timeline cuts end on the frame nearest the plan's end; 3: a held frame
# is each timeline format's freeze frame.
EXTRAS_VERSION = 3


def extras_key(key: str, extras: dict[str, Any]) -> str:
    """Hash of everything a clip's extras depend on: the clip (its ``key``) and the
    preset's values of what goes beside it (``Preset.extras``)."""
    blob = json.dumps({"clip": key, "extras": extras, "v": EXTRAS_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def canonical(path: str) -> str:
    """One spelling per file, so that 'a.mp4' and '/abs/a.mp4' are the same source."""
    return str(Path(path).resolve())


def source_tag(source: str) -> str:
    """A short tag of a source's canonical path: what tells apart the clips of two
    sources that share a file name."""
    return hashlib.sha256(canonical(source).encode()).hexdigest()[:6]


def shared_stems(paths: Iterable[str]) -> frozenset[str]:
    """The sources (canonical) whose stem another, different source also has."""
    by_stem: dict[str, set[str]] = {}
    for p in paths:
        by_stem.setdefault(Path(p).stem, set()).add(canonical(p))
    return frozenset(c for group in by_stem.values() if len(group) > 1 for c in group)


def keyed_plan(plan: ClipPlan, preset: Preset | None = None) -> dict[str, Any]:
    """The plan as the clip key sees it: without the source's path, which the key holds
    as its content fingerprint, so moving or re-spelling a folder re-renders nothing;
    a recovery shot from another file by that file's content, so replacing it does; and
    when the clip has a sting (the plan's, else ``preset``'s), how stings are made."""
    from clipkit.analysis.analyse import fingerprint

    d = dict(plan.to_dict())
    d.pop("source_fingerprint", None)  # the key holds the source's fingerprint itself
    src = canonical(d.pop("source"))
    if d.get("recovery_source"):
        rec = canonical(d["recovery_source"])
        try:
            d["recovery_source"] = (
                "<source>" if rec == src else fingerprint(rec, os.path.getsize(rec))
            )
        except OSError:  # rendering it will say what is wrong
            d["recovery_source"] = rec
    sting = plan.sting if plan.sting is not None else (preset.sting if preset else None)
    if sting:  # how the stings are made: new ones remake these clips and no other
        d["sting_version"] = STING_VERSION
    return d


def record_of(
    plan: ClipPlan,
    preset: Preset,
    result: RenderResult,
    key: str,
    source_fingerprint: str,
    reasons: Iterable[str],
    out_dir: Path,
) -> ClipRecord:
    """The manifest row of a clip just rendered (its file's digest read from disk)."""
    rel = lambda p: str(Path(p).resolve().relative_to(out_dir.resolve())) if p else None  # noqa: E731
    rec = plan.recovery
    return ClipRecord(
        key=key,
        output=rel(result.path) or "",
        cover=rel(result.cover),
        preset=preset.name,
        preset_digest=preset.digest(),
        source=plan.source,
        source_fingerprint=source_fingerprint,
        index=plan.index,
        start=plan.start,
        end=plan.end,
        peak=plan.peak,
        score=plan.score,
        reasons=list(reasons),
        caption=plan.caption or "",
        recovery_caption=plan.recovery_caption or "",
        recovery=list(rec) if rec else None,
        recovery_note=plan.recovery_note or None,
        duration=result.duration,
        size_bytes=result.size_bytes,
        notes=[n for n in (plan.note, result.note) if n],
        recovery_source=plan.recovery_source,
        plan_note=plan.note,
        recovery_still=plan.recovery_still,
        reframe=result.reframe,
        crop=result.crop,
        loudness=result.loudness.to_dict() if result.loudness else None,
        sha256=file_digest(Path(result.path)),
    )


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


LOCK_FILE = ".clipkit/lock"


@contextmanager
def output_lock(out_dir: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the output folder's advisory lock (``flock`` on ``OUT/.clipkit/lock``) while
    a run writes to it: a second run on the same folder waits, after ``on_wait`` has
    been told which process holds the lock. The lock goes with the process (its end,
    even by SIGKILL, releases it)."""
    import fcntl

    path = out_dir / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        raise_if_full(e, path)
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            who = f"process {holder}" if holder else "another process"
            on_wait(f"{out_dir}: waiting for clipkit {who}, which is writing to this folder")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as e:  # not even a few bytes fit: nothing of the run would
            raise_if_full(e, path)
            raise
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # no stale process id for the next run to name
    finally:
        os.close(fd)  # (releases the lock)


def _lock_holder(fd: int, wait: float = 1.0) -> int | None:
    """The process id the lock's holder wrote, waiting up to ``wait`` s for it: the
    holder writes it just after it took the lock."""
    until = time.monotonic() + wait
    while True:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit() and int(text) != os.getpid():
            return int(text)
        if time.monotonic() >= until:
            return None
        time.sleep(0.02)


def _files_named(name: str, out_dir: Path) -> set[str]:
    """The files a record's source ``name`` may mean: relative to the output folder, or
    (in records written before clipkit named them so) to the working folder."""
    return {str((out_dir / name).resolve()), str(Path(name).resolve())}


def _record_paths(path: Path, out_dir: Path) -> set[str]:
    """The canonical source paths a source record may speak of (none if unreadable)."""
    try:
        return _files_named(json.loads(path.read_text(encoding="utf-8"))["path"], out_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return set()


class State:
    """The per-clip records under one output folder (``records``: another kind of
    output's records, kept apart from the clips', e.g. the reels')."""

    def __init__(self, out_dir: Path, records: str = STATE_DIR) -> None:
        self.out_dir = out_dir
        self.dir = out_dir / records

    def source_name(self, path: str) -> str:
        """How the records name the source file ``path`` (as given on the command line)."""
        try:
            return os.path.relpath(os.path.abspath(path), os.path.abspath(self.out_dir))
        except ValueError:  # on another drive (Windows)
            return os.path.abspath(path)

    def is_source(self, name: str, path: str) -> bool:
        """True when the records' source ``name`` is the file ``path``."""
        return str(Path(path).resolve()) in _files_named(name, self.out_dir)

    def _path(self, output: str) -> Path:
        return self.dir / (output.replace("/", "__") + ".json")

    def get(self, output: str) -> ClipRecord | None:
        try:
            data = json.loads(self._path(output).read_text(encoding="utf-8"))
            return ClipRecord(**data)
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def put(self, record: ClipRecord) -> None:
        """Record a finished clip (its ``source`` as given on the command line)."""
        rec_src = record.recovery_source
        record = replace(
            record,
            source=self.source_name(record.source),
            recovery_source=self.source_name(rec_src) if rec_src else None,
        )
        write_if_changed(self._path(record.output), json.dumps(record.to_dict(), indent=1))

    def drop(self, output: str) -> None:
        self._path(output).unlink(missing_ok=True)

    def current(self, output: str, key: str) -> ClipRecord | None:
        """The record of ``output`` when it was made with ``key`` and the file is still the
        one made: its size and digest as recorded (a record without a digest is not)."""
        rec = self.get(output)
        if rec is None or rec.key != key or not rec.sha256:
            return None
        path = self.out_dir / output
        try:
            if path.stat().st_size != rec.size_bytes or file_digest(path) != rec.sha256:
                return None
        except OSError:
            return None
        return rec

    def extras_current(self, rec: ClipRecord, key: str) -> bool:
        """Whether ``rec``'s extras were made with ``key`` and are all still there."""
        return rec.extras_key == key and all(
            (self.out_dir / p).is_file() for p in rec.extras.values()
        )

    def is_current(self, output: str, key: str) -> bool:
        return self.current(output, key) is not None

    def name_for(
        self, plan: ClipPlan, preset: str, *, shared: bool, claimed: dict[str, str]
    ) -> tuple[ClipPlan, str]:
        """The plan with the file name it is made under, and that name in the output
        folder: tagged when another source's clip has the name (in the records, or
        ``claimed`` earlier in this run: output -> source), or when ``shared`` (another
        source of the run has the same file name); numbered when a clip of this source
        has it (a name template without {index})."""
        output = f"{preset}/{plan.output}"
        if shared or self._taken_by_another(output, plan.source, claimed):
            name = Path(plan.output)
            plan = replace(plan, output=f"{name.stem}-{source_tag(plan.source)}{name.suffix}")
            output = f"{preset}/{plan.output}"
        if output in claimed:
            name = Path(plan.output)
            plan = replace(plan, output=f"{name.stem}-{plan.index}{name.suffix}")
            output = f"{preset}/{plan.output}"
        return plan, output

    def _taken_by_another(self, output: str, source: str, claimed: dict[str, str]) -> bool:
        if output in claimed:
            return canonical(claimed[output]) != canonical(source)
        other = self.get(output)
        return other is not None and not self.is_source(other.source, source)

    def stale(self, source: str, preset: str, wanted: set[str]) -> list[ClipRecord]:
        """The clips ``source`` used to give for ``preset`` but no longer does."""
        return [
            rec
            for rec in self.records()
            if self.is_source(rec.source, source)
            and rec.preset == preset
            and rec.output not in wanted
        ]

    def remove(self, rec: ClipRecord) -> None:
        """Delete a clip, its cover, its extras and its record."""
        for rel in (rec.output, rec.cover, *rec.extras.values()):
            if rel:
                (self.out_dir / rel).unlink(missing_ok=True)
        self.drop(rec.output)

    def put_source(self, summary: dict[str, Any]) -> None:
        """Remember what the last run found in one source (moments, errors, timeline).

        One record per file however its path was spelled: a record for the same file
        under another name (a relative path, a moved folder) is replaced.
        """
        folder = self.out_dir / SOURCES_DIR
        canonical = str(Path(summary["path"]).resolve())
        summary = {**summary, "path": self.source_name(summary["path"])}
        name = hashlib.sha256(canonical.encode()).hexdigest()[:16] + ".json"
        for old in folder.glob("*.json") if folder.is_dir() else []:
            if old.name != name and canonical in _record_paths(old, self.out_dir):
                old.unlink(missing_ok=True)
        write_if_changed(folder / name, json.dumps(summary, indent=1))

    def sources(self) -> list[dict[str, Any]]:
        folder = self.out_dir / SOURCES_DIR
        found = []
        for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                found.append(json.loads(p.read_text(encoding="utf-8")))
            except ValueError:
                continue
        return sorted(found, key=lambda s: str(s.get("path")))

    def write_manifest(self) -> Path:
        """Rebuild ``manifest.json`` and ``manifest.csv`` from the records (the sources'
        timelines are for the review page only)."""
        sources = [{k: v for k, v in s.items() if k != "timeline"} for s in self.sources()]
        return write_manifest(self.out_dir, self.records(), sources, self.reels())

    def reels(self) -> list[ClipRecord]:
        """The records of the reels made in this output folder."""
        return State(self.out_dir, REELS_DIR).records()

    def records(self) -> list[ClipRecord]:
        recs = []
        for p in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            rec = self.get(p.stem.replace("__", "/"))
            if rec is not None and (self.out_dir / rec.output).exists():
                recs.append(rec)
        return sorted(recs, key=lambda r: (r.preset, r.source, r.index))


CSV_COLUMNS = (
    "output", "preset", "source", "index", "start", "end", "peak", "score", "reasons",
    "caption", "recovery_caption", "recovery_start", "recovery_end", "recovery_note",
    "duration", "size_bytes", "source_fingerprint", "preset_digest", "clipkit_version",
    "loudness_lufs", "true_peak_dbtp", "limiter_db", "post_text", "still", "timelines",
)  # fmt: skip
TIMELINE_KINDS = ("otio", "fcpxml", "edl")


def _csv_text(records: Iterable[ClipRecord]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in records:
        row = {k: v for k, v in r.to_dict().items() if k in CSV_COLUMNS}
        row["reasons"] = "+".join(r.reasons)
        row["recovery_start"], row["recovery_end"] = r.recovery if r.recovery else ("", "")
        loud = r.loudness or {}
        row["loudness_lufs"] = loud.get("integrated", "")
        row["true_peak_dbtp"] = loud.get("true_peak", "")
        row["limiter_db"] = loud.get("limiter", "")
        row["post_text"] = r.extras.get("text", "")
        row["still"] = r.extras.get("still", "")
        row["timelines"] = " ".join(r.extras[k] for k in TIMELINE_KINDS if k in r.extras)
        w.writerow(row)
    return buf.getvalue()


def reel_entry(r: ClipRecord) -> dict[str, Any]:
    """A reel's entry in ``manifest.json``: its file, title, length, how many moments it
    shows and the best one's score, its sound, digest and what was made beside it."""
    return {
        "output": r.output, "cover": r.cover, "preset": r.preset, "title": r.caption,
        "duration": r.duration, "moments": r.index, "best_score": r.score,
        "size_bytes": r.size_bytes, "loudness": r.loudness, "sha256": r.sha256,
        "notes": r.notes, "extras": r.extras, "clipkit_version": r.clipkit_version,
    }  # fmt: skip


def write_manifest(
    out_dir: Path,
    records: list[ClipRecord],
    sources: list[dict[str, Any]],
    reels: Iterable[ClipRecord] = (),
) -> Path:
    """Write ``manifest.json`` and ``manifest.csv`` (only when they change): both or,
    when the disk is full, neither (the two always describe the same clips). The reels
    are listed in the JSON only (the CSV has a row per clip)."""
    doc: dict[str, Any] = {
        "clipkit_version": __version__,
        "sources": sources,
        "clips": [r.to_dict() for r in records],
    }
    listed = [reel_entry(r) for r in reels]
    if listed:
        doc["reels"] = listed
    path = out_dir / MANIFEST_JSON
    json_text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    write_together({path: json_text, out_dir / MANIFEST_CSV: _csv_text(records)})
    return path
