"""Finding and running ffmpeg: every ffmpeg process clipkit starts goes through ``spawn``.

clipkit never needs ffprobe or a system install. It looks, in order, at:

1. the ``CLIPKIT_FFMPEG`` environment variable (a path to a binary),
2. ``ffmpeg`` on ``PATH``,
3. the binary that the ``imageio-ffmpeg`` package ships.

The look-up happens on first use, never at import time.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

from clipkit.errors import FFmpegNotFound

ENV_VAR = "CLIPKIT_FFMPEG"


@dataclass(frozen=True)
class FFmpeg:
    """A working ffmpeg binary and where it was found."""

    path: str
    source: str  # "CLIPKIT_FFMPEG", "PATH" or "imageio-ffmpeg"
    version: str


def _version_of(path: str) -> str | None:
    """Return ffmpeg's version string, or None when the binary does not run."""
    try:
        out = _run([path, "-hide_banner", "-version"], timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    m = re.match(r"ffmpeg version (\S+)", out.stdout.decode("utf-8", "replace"))
    return m.group(1) if m else None


def _candidates() -> list[tuple[str, str | None]]:
    env = os.environ.get(ENV_VAR)
    found: list[tuple[str, str | None]] = []
    if env:
        found.append((ENV_VAR, env))
        # A variable that names a broken binary is an error, not a silent fallback.
        return found
    found.append(("PATH", shutil.which("ffmpeg")))
    try:
        import imageio_ffmpeg

        found.append(("imageio-ffmpeg", imageio_ffmpeg.get_ffmpeg_exe()))
    except Exception:  # not installed, or its binary is missing for this platform
        found.append(("imageio-ffmpeg", None))
    return found


def looked_in() -> str:
    """The places the look-up tries, for error messages."""
    return f"${ENV_VAR}, ffmpeg on PATH, and the imageio-ffmpeg package"


@functools.cache
def find_ffmpeg() -> FFmpeg:
    """Return the ffmpeg to use, or raise FFmpegNotFound naming the places looked in."""
    for source, path in _candidates():
        if not path:
            continue
        version = _version_of(path)
        if version is not None:
            return FFmpeg(path=path, source=source, version=version)
        if source == ENV_VAR:
            raise FFmpegNotFound(f"${ENV_VAR}={path}: not a working ffmpeg binary")
    raise FFmpegNotFound(f"no ffmpeg found (looked in {looked_in()})")


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to run."""
    return find_ffmpeg().path


_PR_SET_PDEATHSIG = 1
_KILL = int(signal.SIGKILL)


@functools.cache
def _load_prctl() -> Any:
    """libc's prctl (None off Linux), loaded on first use, not at import; always before
    a fork (by ``die_with_clipkit``): a child between fork and exec loads no library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_clipkit() -> dict[str, Any]:
    """Keywords for ``subprocess.Popen`` that have the child killed when clipkit dies,
    by any signal, SIGKILL included (on Linux; elsewhere none).

    Linux sends the signal when the *thread* that started the child ends, so they are
    given only in the main thread or when the starting thread waits for the child (as
    ``subprocess.run`` and ``with Popen(...)`` do): a child started by a short-lived
    thread would be killed with it. Those children read from or write to a pipe of
    clipkit's, which ends them when clipkit is gone.
    """
    prctl = _load_prctl()
    if prctl is None:
        return {}
    parent = os.getpid()
    return {"preexec_fn": lambda: die_with_parent(parent, prctl)}


def die_with_parent(parent: int, prctl: Any = None) -> None:
    """Have Linux SIGKILL this process when ``parent`` (the thread that started it)
    ends. Runs between fork and exec too (given ``prctl``, loaded before the fork): it
    takes no lock and loads nothing."""
    prctl = prctl or _load_prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, _KILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before it was asked: too late
            os._exit(1)


def die_with_clipkit_here() -> dict[str, Any]:
    """``die_with_clipkit`` for a child whose starting thread may end before it: given
    in the main thread only."""
    return die_with_clipkit() if threading.current_thread() is threading.main_thread() else {}


def spawn(
    args: list[str],
    *,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
    bufsize: int = -1,
    in_thread: bool = False,
    exe: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ffmpeg (``exe``, else the one found) with ``args``: the one place clipkit
    starts an ffmpeg. Its stdin is closed. ``in_thread``: the caller is a thread that may
    end before the child (see ``die_with_clipkit``); the child then ends when its pipe
    to clipkit breaks."""
    cmd = [exe or ffmpeg_exe(), *args]
    return subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, bufsize=bufsize,
        **child_options(in_thread),
    )  # fmt: skip


def child_options(in_thread: bool = False) -> dict[str, Any]:
    """Keywords for ``subprocess.Popen`` of an ffmpeg child (``spawn``'s, and those of
    the encoder moviepy starts): killed with clipkit, unless started ``in_thread``."""
    return die_with_clipkit_here() if in_thread else die_with_clipkit()


def _run(cmd: list[str], timeout: float | None) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(cmd, capture_output=True)`` through ``spawn``."""
    with spawn(cmd[1:], exe=cmd[0]) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:  # a timeout, Ctrl-C: the child goes too
            proc.kill()
            proc.wait()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode or 0, out, err)


def run_ffmpeg(
    args: list[str], *, timeout: float | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args`` (quiet banner), capturing output. Never raises on exit status."""
    return _run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], timeout)


def complaint(text: str, default: str = "ffmpeg could not read it") -> str:
    """The most telling line of ffmpeg's stderr ``text``: its last, without the path or
    the "[dec:h264 @ 0x..]" tags it puts in front."""
    for line in reversed(text.strip().splitlines()):
        line = re.sub(r"^(\[[^]]*\] )+", "", line.strip())
        if line:
            return line.split(": ", 1)[-1] if line.startswith(("/", ".")) else line
    return default


@functools.cache
def has_filters(*names: str) -> bool:
    """Whether the ffmpeg in use has every one of these filters (a system ffmpeg may
    lack those of optional libraries, such as zscale of libzimg)."""
    out = run_ffmpeg(["-filters"]).stdout.decode("utf-8", "replace")
    have = {line.split()[1] for line in out.splitlines() if len(line.split()) > 2}
    return all(n in have for n in names)
