"""Whether a plan's source is still the file it was planned on.

``clipkit detect --plan`` records each clip's ``source_fingerprint``: the file's size
and a digest of a few sampled blocks of its bytes (``clipkit.analysis.analyse.fingerprint``, the
analysis cache's key: cheap on any length of footage, and blind to a copy, a move or a
touch). ``clipkit render`` refuses a source whose fingerprint is no longer the one its
plan recorded: a file replaced by another video of the same length would otherwise be
cut at the old plan's times without a word. Plans without one (older plans, plans a
person wrote) render as before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import replace

from clipkit.clips.plan import ClipPlan
from clipkit.errors import InputError


def stamped(plan: ClipPlan, fingerprint: str | None) -> ClipPlan:
    """``plan`` recording that its source had ``fingerprint`` when it was planned."""
    return replace(plan, source_fingerprint=fingerprint or "")


def changed_source(path: str, plans: Iterable[ClipPlan]) -> str | None:
    """Why ``path`` is not the file ``plans`` (all of it) were made from, or None when
    it is, when they record no fingerprint, or when it cannot be read (which reading it
    for the render then says)."""
    from clipkit.analysis.analyse import fingerprint

    recorded = {p.source_fingerprint for p in plans if p.source_fingerprint}
    if not recorded:
        return None
    try:
        st = os.stat(path)
        # (A FIFO would block the read; what it is, reading it for the render says.)
        now = fingerprint(path, st.st_size) if stat.S_ISREG(st.st_mode) else None
    except OSError:
        return None
    if now is None or recorded <= {now}:
        return None
    return (
        f"{path}: not the file its plan was made from (it changed since `clipkit detect "
        "--plan`): plan it again, or pass --force to render the plan on it as it is"
    )


def check_unchanged(path: str, plans: Iterable[ClipPlan], *, force: bool = False) -> None:
    """Raise InputError when ``path`` changed since ``plans`` were made (unless ``force``)."""
    if not force and (problem := changed_source(path, plans)):
        raise InputError(problem)


__all__ = ["stamped", "changed_source", "check_unchanged"]
