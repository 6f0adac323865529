"""A signal stops clipkit cleanly: children stopped, this run's temporary files removed."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import clipkit.run.batch
from clipkit import children
from clipkit.children import Stopped
from clipkit.cli import main


def test_stopped_says_its_signal_and_exit_code() -> None:
    e = Stopped(signal.SIGTERM)
    assert (str(e), e.exit_code) == ("SIGTERM", 143)
    assert not isinstance(e, Exception)  # no `except Exception` swallows it


def _parts(folder: Path, pid: int) -> list[Path]:
    made = []
    for name in (f".a_01_reels.part-{pid}-0a1b2c.mp4", f".a_01_reels.part-{pid}-0a1b2c.m4a"):
        (folder / name).write_bytes(b"half")
        made.append(folder / name)
    return made


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_and_removes_only_its_own_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals, code: int
) -> None:
    (tmp_path / "a.mp4").write_bytes(b"")
    out = tmp_path / "out"
    (out / "reels").mkdir(parents=True)
    # Another run's files on the same folder (its process ids: 1 and a number ending
    # like this one's) are not this run's to remove; nor is a finished clip.
    others = _parts(out / "reels", 1) + _parts(out / "reels", int(f"{os.getpid()}1"))
    (out / "reels" / "a_01_reels.mp4").write_bytes(b"a clip")
    mine: list[Path] = []

    def run_batch(*args: object, **kwargs: object) -> None:
        mine.extend(_parts(out / "reels", os.getpid()) + _parts(out, os.getpid()))
        os.kill(os.getpid(), sig)
        raise AssertionError("the signal did not stop the run")

    monkeypatch.setattr(clipkit.run.batch, "run_batch", run_batch)
    before = {s: signal.getsignal(s) for s in children.SIGNALS}
    res = CliRunner().invoke(main, ["cut", "-q", str(tmp_path / "a.mp4"), "-o", str(out)])
    assert res.exit_code == code, res.output
    said = "clipkit: stopped by SIGTERM" if sig == signal.SIGTERM else "\nclipkit: interrupted"
    assert res.output == said + "\n"
    assert mine and not [p for p in mine if p.exists()]
    assert all(p.exists() for p in others)
    assert (out / "reels" / "a_01_reels.mp4").exists()
    assert {s: signal.getsignal(s) for s in children.SIGNALS} == before  # handlers back


def test_an_error_met_while_unwinding_does_not_hide_the_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed ffmpeg's error, raised in a ``finally`` while the signal unwinds the
    render, would replace it; the source would fail and the batch go on."""
    from clipkit.errors import RenderError

    seen: list[str] = []

    def stages(job: clipkit.run.batch.SourceJob, sink: object = None) -> Iterator[object]:
        seen.append(Path(job.path).name)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            raise RenderError(f"{job.path}: muxing failed (Invalid data)")
        yield  # (a generator, as the pipeline's stages are)

    monkeypatch.setattr(clipkit.run.batch, "_stages", stages)
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"")
    args = ["cut", "-q", "-j", "1", str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "out")])
    assert res.exit_code == 143, res.output
    assert res.output == "clipkit: stopped by SIGTERM\n"
    assert seen == ["a.mp4"]  # the batch went no further


def terminated_once(x: int, sink: object) -> int:
    """Item 2's worker is sent a SIGTERM (by hand, say) the first time, mid-work."""
    marker = Path(os.environ["CLIPKIT_TEST_MARKER"])
    if x == 2 and not marker.exists():
        part = marker.with_name("part")
        part.write_text("half a file")
        marker.touch()
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)  # (never reached: the signal unwinds the work)
        finally:
            part.unlink()
    return x * 10


def test_a_worker_stopped_by_hand_unwinds_and_counts_as_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from clipkit.run.executor import Executor

    monkeypatch.setenv("CLIPKIT_TEST_MARKER", str(tmp_path / "stopped"))
    assert sorted(Executor(2).map(terminated_once, [1, 2, 3])) == [10, 20, 30]  # 2 again
    assert (tmp_path / "stopped").exists() and not (tmp_path / "part").exists()
    assert "Traceback" not in capfd.readouterr().err
