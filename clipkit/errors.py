"""The exceptions clipkit raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class ClipkitError(Exception):
    """Base class: anything clipkit reports to a user as a one-line error."""


class InputError(ClipkitError):
    """A source file is missing, unreadable, or not a usable video."""


class PresetError(ClipkitError):
    """A preset file does not parse or does not validate."""


class OutputError(ClipkitError):
    """An output file (a report, a plan) cannot be written where the user asked."""


class RenderError(ClipkitError):
    """Writing an output clip failed."""


class FFmpegNotFound(ClipkitError):
    """No working ffmpeg binary could be found."""
