"""Nothing outlives clipkit: neither its child processes nor this run's temporary files.

Every child process is started so that Linux kills it when clipkit dies, by any signal,
SIGKILL included (``clipkit.media.ffmpeg.die_with_clipkit``; pool workers likewise, and
theirs with them). A SIGTERM or SIGINT lets clipkit do more than die: it stops its
children at once (ffmpeg killed, pool workers told, and they kill theirs), lets the work
under way unwind (each temporary file is removed by the code that made it, the output
folder's lock is let go), removes any temporary file of this run's processes still left
(its own names only: they carry the id of the process that made them, see
``clipkit.files.part_tag``; another run's are never touched), and exits with 128 + the
signal's number.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import resource_tracker
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """SIGTERM or SIGINT arrived: raised in the main thread, so that the work under way
    unwinds. A BaseException, like KeyboardInterrupt: no ``except Exception`` stops it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """What shells expect of a command a signal ended: 128 + its number."""
        return 128 + self.signum

    def __str__(self) -> str:
        return signal.Signals(self.signum).name


_stopping = 0  # the signal that arrived (0: none): the work is unwinding
_in_worker = False  # this process is a pool worker
_busy = False  # in a pool worker: an item is being worked on (else idle in the pool)
_folders: list[Path] = []  # where this run writes temporary files
_pids: set[int] = set()  # processes of this run that may have written some


def child_pids() -> list[int]:
    """The processes this one started that still run (all of them on Linux, else the
    multiprocessing ones)."""
    me = os.getpid()
    if not sys.platform.startswith("linux"):
        return [p.pid for p in multiprocessing.active_children() if p.pid]
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                # "pid (name) state ppid ...": the name may hold spaces and parentheses
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == me:
            found.append(int(entry.name))
    return found


def stop_children(sig: int = signal.SIGTERM) -> None:
    """Stop every child process: ``sig`` to pool workers (so that they unwind, and stop
    theirs), SIGKILL to the others (ffmpeg: on SIGTERM it would finish its output first,
    a temporary file that is removed anyway). Multiprocessing's resource tracker is
    left alone: it ends by itself with clipkit."""
    workers = {p.pid for p in multiprocessing.active_children()}
    tracker = getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None)
    for pid in child_pids():
        if pid == tracker:
            continue
        _pids.add(pid)
        with contextlib.suppress(OSError):  # ended meanwhile
            os.kill(pid, sig if pid in workers else signal.SIGKILL)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _stopping
    if _stopping:  # asked again while unwinding: the workers get no more time
        stop_children(signal.SIGKILL)
        return
    _stopping = signum
    stop_children()
    if _in_worker and not _busy:  # idle in the pool: nothing to unwind
        os._exit(128 + signum)
    raise Stopped(signum)


def raise_if_stopped() -> None:
    """Raise ``Stopped`` again when a signal arrived: for code that turns errors into
    results (a failed source), since the unwinding may meet one (a killed ffmpeg's) in a
    ``finally`` that replaces ``Stopped`` with it."""
    if _stopping:
        raise Stopped(_stopping)


@contextmanager
def stopping_cleanly() -> Iterator[None]:
    """Within: SIGTERM and SIGINT stop the children and raise ``Stopped`` in the main
    thread; once it has unwound, this run's temporary files still left are removed.
    The signals' former handlers come back after (a no-op outside the main thread)."""
    global _stopping
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, _on_signal) for s in SIGNALS}
    try:
        yield
        raise_if_stopped()
    except Stopped:
        remove_temporaries()
        raise
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        _stopping = 0
        _folders.clear()
        _pids.clear()


def in_worker() -> None:
    """In a pool worker: SIGTERM and SIGINT stop its children; work under way unwinds
    (see ``working``) and the worker exits, an idle one at once."""
    global _in_worker
    _in_worker = True
    for s in SIGNALS:
        signal.signal(s, _on_signal)


@contextmanager
def working() -> Iterator[None]:
    """A pool worker's item: a signal unwinds it, then the worker exits with 128 + the
    signal's number (not taking another item, nor reporting a traceback)."""
    global _busy
    _busy = True
    try:
        yield
        raise_if_stopped()
    except Stopped as e:
        os._exit(e.exit_code)
    finally:
        _busy = False


def temporaries_in(folder: Path) -> None:
    """This run writes temporary files in ``folder`` (and the folders in it)."""
    _folders.append(folder)


def remove_temporaries() -> None:
    """Remove the temporary files this run's processes left in its folders: the names
    that carry their process ids, no other."""
    for pid in {os.getpid(), *_pids}:
        for folder in _folders:
            for pattern in (f".*.part-{pid}-*", f"*/.*.part-{pid}-*"):
                for p in folder.glob(pattern):
                    with contextlib.suppress(OSError):  # gone meanwhile
                        p.unlink()


__all__ = [
    "Stopped",
    "stopping_cleanly",
    "raise_if_stopped",
    "in_worker",
    "working",
    "temporaries_in",
    "remove_temporaries",
    "child_pids",
    "stop_children",
]
