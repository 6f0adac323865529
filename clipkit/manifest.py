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
import errno
import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from clipkit import __version__
from clipkit.errors import OutputError, disk_full_message

STATE_DIR = ".clipkit/state"
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace ``path`` with ``text`` unless it already holds exactly that."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place, so a
    reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        _raise_if_full(e, path)
        raise
    try:
        _write_fd(fd, text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        _raise_if_full(e, path)
        raise


def _write_fd(fd: int, text: str) -> None:
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _raise_if_full(e: BaseException, path: Path) -> None:
    """OutputError naming the folder when ``e`` says its disk is full (only then: other
    errors of each caller say more in their own words)."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        folder, what = path.parent, path.name
        if ".clipkit" in path.parts:  # clipkit's own records: the output folder is named
            folder = path.parents[len(path.parts) - path.parts.index(".clipkit") - 1]
            what = "clipkit's records"
        raise OutputError(disk_full_message(folder, what)) from None


def check_output_file(path: Path, what: str) -> None:
    """Prove that ``path`` can be written (creating its folder), before any work starts;
    OutputError naming it and the problem otherwise. ``what`` names the file's role."""
    try:
        if path.is_dir():
            raise OutputError(f"{path}: cannot write the {what}: it is a folder")
        above = next((p for p in path.parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise OutputError(f"{path}: cannot write the {what}: {above} is not a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".clipkit-write-test-"):
            pass
    except OSError as e:
        raise OutputError(f"{path}: cannot write the {what} ({e.strerror or e})") from None


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            who = f"process {holder}" if holder else "another process"
            on_wait(f"{out_dir}: waiting for clipkit {who}, which is writing to this folder")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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

    def is_current(self, output: str, key: str) -> bool:
        return self.current(output, key) is not None

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
    "loudness_lufs", "true_peak_dbtp", "limiter_db",
)  # fmt: skip


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
        w.writerow(row)
    return buf.getvalue()


def write_manifest(out_dir: Path, records: list[ClipRecord], sources: list[dict[str, Any]]) -> Path:
    """Write ``manifest.json`` and ``manifest.csv`` (only when they change)."""
    doc = {
        "clipkit_version": __version__,
        "sources": sources,
        "clips": [r.to_dict() for r in records],
    }
    path = out_dir / MANIFEST_JSON
    write_if_changed(path, json.dumps(doc, indent=2, sort_keys=False) + "\n")
    write_if_changed(out_dir / MANIFEST_CSV, _csv_text(records))
    return path
