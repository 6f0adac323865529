"""Finding the video files a command was pointed at."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Container extensions taken from folders (compared case-insensitively).
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".3gp", ".mts", ".m2ts", ".mpg"}
)


#: A folder holding this is a clipkit output folder (see clipkit.run.manifest.STATE_DIR).
OUTPUT_MARKER = ".clipkit"


@dataclass
class Found:
    """What a walk over the given paths turned up."""

    videos: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # non-video files inside folders
    missing: list[Path] = field(default_factory=list)  # paths that do not exist
    outputs: list[Path] = field(default_factory=list)  # given folders that are clipkit output
    unusable: list[tuple[Path, str]] = field(default_factory=list)  # (path, why it was left)


def why_unusable(e: BaseException) -> str:
    """Why a path could not be looked at, in a few words (pathlib reports a symlink
    loop as RuntimeError before Python 3.13, as OSError ELOOP after)."""
    if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP:
        return "a symlink loop"
    if getattr(e, "errno", None) in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return str(getattr(e, "strerror", None) or e)


def is_video_name(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def find_videos(paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[Path] = ()) -> Found:
    """Expand files and folders (recursively) into video files, in a stable order.

    A file named explicitly is taken whatever its extension; inside folders only
    video containers are taken. Folders in ``exclude`` (e.g. the output folder when
    it lies inside the input) and hidden files and folders are never read.
    """
    walk = _Walk({p.resolve() for p in exclude})
    for raw in paths:
        p = Path(raw)
        try:
            walk.take(p)
        except (OSError, RuntimeError) as e:  # e.g. a file in a folder that cannot be entered
            walk.note(p, e)
    return walk.found


class _Walk:
    """One find_videos: what it found, and each video once (by its resolved path)."""

    def __init__(self, excluded: set[Path]) -> None:
        self.excluded = excluded
        self.found = Found()
        self.seen: set[Path] = set()

    def note(self, p: Path, e: BaseException) -> None:
        if all(p != q for q, _ in self.found.unusable):  # named twice: said once
            self.found.unusable.append((p, why_unusable(e)))

    def resolved(self, p: Path) -> Path | None:
        try:
            return p.resolve()
        except (OSError, RuntimeError) as e:
            self.note(p, e)
            return None

    def add(self, p: Path) -> None:
        key = self.resolved(p)
        if key is not None and key not in self.seen:
            self.seen.add(key)
            self.found.videos.append(p)

    def take(self, p: Path) -> None:
        """A path given by name: a folder is walked, a file taken whatever its name."""
        if p.is_symlink() and self.resolved(p) is None:
            return
        if p.is_dir() and (p / OUTPUT_MARKER).is_dir():
            self.found.outputs.append(p)
        elif p.is_dir():
            self.folder(p)
        elif p.exists():
            self.add(p)
        else:
            self.found.missing.append(p)

    def folder(self, p: Path) -> None:
        # A folder inside that cannot be read is said, and the rest walked.
        for root, dirs, files in os.walk(p, onerror=lambda e: self.note(Path(e.filename), e)):
            rootp = Path(root)
            if (rootp / OUTPUT_MARKER).is_dir():  # clipkit's own output: never footage
                dirs[:] = []
                continue
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".") and self.resolved(rootp / d) not in self.excluded
            )
            for name in sorted(files):
                f = rootp / name
                if name.startswith("."):
                    continue
                (self.add(f) if is_video_name(f) else self.found.skipped.append(f))
