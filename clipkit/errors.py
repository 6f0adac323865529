"""The exceptions clipkit raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations

import errno
import os
import shutil


class ClipkitError(Exception):
    """Base class: anything clipkit reports to a user as a one-line error."""


class InputError(ClipkitError):
    """A source file is missing, unreadable, or not a usable video."""


class TemplateError(InputError, ValueError):
    """A caption or name template that does not fill: a ValueError to the checks of
    presets and options, an InputError (its source fails) through the Python API."""


class PresetError(ClipkitError):
    """A preset file does not parse or does not validate."""


class OutputError(ClipkitError):
    """An output file (a report, a plan) cannot be written where the user asked."""


class RenderError(ClipkitError):
    """Writing an output clip failed."""


class FFmpegNotFound(ClipkitError):
    """No working ffmpeg binary could be found."""


#: Less free space than this on a folder's disk, when a write there failed: it is full.
FULL_BELOW = 1 << 20


def free_bytes(folder: str | os.PathLike[str]) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def disk_full(e: BaseException, folder: str | os.PathLike[str]) -> bool:
    """Whether a write into ``folder`` failed with ``e`` because its disk is full: the
    error says so, or (an ffmpeg's error, which says "Invalid data" as often) almost
    nothing is free there. Ask before the failed write's parts are removed."""
    if getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return True
    if "No space left on device" in str(e) or "Disk quota exceeded" in str(e):
        return True
    free = free_bytes(folder)
    return free is not None and free < FULL_BELOW


def disk_full_message(folder: str | os.PathLike[str], what: str) -> str:
    """The one line for a full disk: the folder, and what was not written."""
    return f"{folder}: the disk is full: {what} not written (free some space, run again)"
