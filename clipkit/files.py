"""Writing files so that nothing is ever half-made, and proving a folder writable first.

Every file clipkit writes goes through :func:`atomic_path` (a unique temporary name
beside the target, renamed into place only when complete): a reader, a second run on
the same folder or an interrupted run never sees half a file. A full disk is said in
one line naming the folder (OutputError), as is a folder that cannot be written.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from clipkit.errors import OutputError, disk_full_message


def part_tag() -> str:
    """A temporary file's tag, unique to this process and call: its pid and 6 random hex
    (clipkit.children removes a stopped run's temporary files by their pids)."""
    return f"{os.getpid()}-{secrets.token_hex(3)}"


@contextmanager
def atomic_path(path: Path, suffix: str = ".tmp", *, full: bool = True) -> Iterator[Path]:
    """A unique temporary path beside ``path`` (two workers may write the same target
    at once), ``.NAME.part-PID-XXXXXXSUFFIX``, to write to; renamed onto ``path`` when
    the block ends, removed when it fails. The file gets a normal file's mode (mkstemp
    makes 0600). ``full``: a full disk is an OutputError naming the folder (else the
    OSError, for a caller that can do without the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}.part-{part_tag()}", suffix=suffix, dir=path.parent
        )
    except OSError as e:
        if full:
            raise_if_full(e, path)
        raise
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if full:
            raise_if_full(e, path)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) so that a reader never sees half a file."""
    with atomic_path(path) as tmp:
        _write_text(tmp, text)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace ``path`` with ``text`` unless it already holds exactly that
    (so that make's time stamps stay meaningful)."""
    return bool(write_together({path: text}))


def write_together(texts: Mapping[Path, str]) -> list[Path]:
    """Write each file of ``texts`` that does not already hold its text so that all of
    them change or none does (files that must agree, as the manifest's JSON and CSV):
    each is written whole under its temporary name first, and only then are they all
    renamed (a rename needs no space: a disk that fills leaves the old files as they
    were). The paths written."""
    changed = {p: t for p, t in texts.items() if not _holds(p, t)}
    with ExitStack() as renames:  # on leaving: all renamed, or (an error) all removed
        for path, text in changed.items():
            _write_text(renames.enter_context(atomic_path(path)), text)
    return list(changed)


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (FileNotFoundError, UnicodeDecodeError):
        return False


def raise_if_full(e: BaseException, path: Path) -> None:
    """OutputError naming the folder when ``e`` says its disk is full (only then: other
    errors of each caller say more in their own words)."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        folder, what = path.parent, path.name
        if ".clipkit" in path.parts:  # clipkit's own records: the output folder is named
            folder = path.parents[len(path.parts) - path.parts.index(".clipkit") - 1]
            what = "clipkit's records"
        raise OutputError(disk_full_message(folder, what)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable_folder(folder: Path, problem: str, *, create: bool = True) -> Path:
    """Create ``folder`` if needed and prove it writable, before any work starts;
    OutputError ``problem`` (e.g. "{folder}: output folder cannot be written") with the
    reason otherwise. Without ``create``, nothing is made: the folder, else the nearest
    folder above it that exists (where it would be made), is proved writable."""
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
            at = folder
        else:
            # (a dangling symbolic link is there too: nothing could be made in its place)
            at = next(p for p in (folder, *folder.parents) if p.exists() or p.is_symlink())
            if not at.is_dir():
                raise OutputError(f"{problem} ({at} is not a folder)")
        with tempfile.NamedTemporaryFile(dir=at, prefix=".clipkit-write-test-"):
            pass
    except OSError as e:
        raise OutputError(f"{problem} ({e.strerror or e})") from None
    return folder


def check_output_dir(path: str | Path, *, create: bool = True) -> Path:
    """The output folder ``path``, created (with ``create``) and proved writable
    (OutputError if not)."""
    p = Path(path)
    return check_writable_folder(p, f"{p}: output folder cannot be written", create=create)


def check_output_file(path: Path, what: str) -> None:
    """Prove that ``path`` can be written (creating its folder), before any work starts;
    OutputError naming it and the problem otherwise. ``what`` names the file's role."""
    try:
        if path.is_dir():
            raise OutputError(f"{path}: cannot write the {what}: it is a folder")
        above = next((p for p in path.parents if p.exists()), None)
    except OSError as e:
        raise OutputError(f"{path}: cannot write the {what} ({e.strerror or e})") from None
    if above is not None and not above.is_dir():
        raise OutputError(f"{path}: cannot write the {what}: {above} is not a folder")
    check_writable_folder(path.parent, f"{path}: cannot write the {what}")
