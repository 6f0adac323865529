"""clipkit.run.cluster: the units of cut and render on a Dask cluster (issue 28).

The cluster is a LocalCluster of two worker processes (``--cluster local:2``), on the
samples with a tiny output format (as tests/test_batch.py's), so that the engine and
its faults are under test, not the encoder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clipkit.cli import main
from tests.conftest import REPO, SAMPLES
from tests.test_progress import check_plain

SMALL = (
    "extends: reels\nwidth: 180\nheight: 320\nx264_preset: superfast\n"
    "sensitivity: 1\nmax_moments: 1\n"
)
needs_dask = pytest.mark.skipif(
    __import__("importlib").util.find_spec("distributed") is None,
    reason="Dask distributed is not installed (pip install 'clipkit[cluster]')",
)


def cut(work: Path, *args: str, cache: str = "cache") -> Result:
    """``clipkit cut`` of footage/ with the tiny preset, in ``work``."""
    cwd = os.getcwd()
    os.chdir(work)
    try:
        return CliRunner().invoke(
            main, ["cut", "-p", "small.yaml", "footage", "--cache-dir", cache, *args]
        )
    finally:
        os.chdir(cwd)


def rows(out: Path) -> list[dict[str, object]]:
    doc = json.loads((out / "manifest.json").read_text())
    return sorted(doc["clips"], key=lambda c: str(c["output"]))


def finals(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "small").iterdir())}


def check_whole(out: Path) -> None:
    """Every clip in the manifest is there, whole (its digest), and nothing else is."""
    from clipkit.run.manifest import file_digest

    files = finals(out)
    assert not [n for n in files if n.startswith(".")], files.keys()
    clips = [n for n in files if n.endswith(".mp4")]
    assert clips and sorted(f"small/{n}" for n in clips) == [r["output"] for r in rows(out)]
    for r in rows(out):
        assert file_digest(out / str(r["output"])) == r["sha256"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four samples cut twice: ``--jobs 2`` to out-local/ and ``--cluster local:2``
    to out-cluster/, each from a cold cache of its own (the cluster's analyses on its
    workers). Returns the folder; the two results are in ``_results``."""
    work = tmp_path_factory.mktemp("cluster")
    (work / "footage").mkdir()
    for p in sorted(SAMPLES.glob("*.mp4")):
        shutil.copy(p, work / "footage" / p.name)
    (work / "small.yaml").write_text(SMALL)
    local = cut(work, "-o", "out-local", "-j", "2", cache="cache-local")
    cluster = cut(work, "-o", "out-cluster", "--cluster", "local:2")
    _results[work] = (local, cluster)
    return work


_results: dict[Path, tuple[Result, Result]] = {}


def test_dask_is_not_imported_without_cluster() -> None:
    code = (
        "import sys, clipkit.cli, clipkit.run.batch, clipkit.run.cluster; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_without_dask_one_line_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    src = tmp_path / "a.mp4"
    shutil.copy(SAMPLES / "portrait_phone_spill.mp4", src)
    res = CliRunner().invoke(main, ["cut", str(src), "-o", str(tmp_path / "out"),
                                    "--cluster", "local:2"])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert res.output.splitlines() == [
        "clipkit: error: --cluster needs Dask distributed: pip install 'clipkit[cluster]'"
    ]


def test_a_bad_address_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["cut", "x.mp4", "--cluster", "local:0"])
    assert res.exit_code == 2 and "neither a scheduler address" in res.output


@needs_dask
def test_an_unreachable_scheduler_is_one_line_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "a.mp4"
    shutil.copy(SAMPLES / "portrait_phone_spill.mp4", src)
    monkeypatch.setenv("CLIPKIT_CLUSTER", "tcp://127.0.0.1:1")  # nothing listens there
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["cut", str(src), "-o", str(tmp_path / "out")])
    assert time.monotonic() - t0 < 5
    assert res.exit_code == 2, res.output
    assert res.output.splitlines() == [
        "clipkit: error: tcp://127.0.0.1:1: cannot reach the Dask scheduler (connection refused)"
    ]
    assert not (tmp_path / "out" / "reels").exists()


@needs_dask
def test_the_cluster_makes_the_local_runs_clips(runs: Path) -> None:
    local, cluster = _results[runs]
    assert local.exit_code == 0, local.output
    assert cluster.exit_code == 0, cluster.output
    assert "[0/4 · 0 %] on local:2, 2 workers" in cluster.output.splitlines()
    check_plain(cluster.output)  # the same lines as a local run: every clip to 100 %
    assert finals(runs / "out-cluster") == finals(runs / "out-local")  # byte for byte
    assert rows(runs / "out-cluster") == rows(runs / "out-local")
    check_whole(runs / "out-cluster")


@needs_dask
def test_a_source_a_worker_cannot_read_fails_alone(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated (the tests may run as root, who reads anything): the workers' check of
    a unit's source sees 'permission denied' for a.mp4."""
    work = _two_sources(runs, tmp_path)
    monkeypatch.setenv("CLIPKIT_TEST_UNREADABLE", "a.mp4")  # the workers inherit it
    res = cut(work, "-o", "out", "-q", "--cluster", "local:2", cache=str(runs / "cache"))
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.output.splitlines() if "a.mp4" in ln and "worker" in ln]
    assert len(errors) == 1, res.output
    assert errors[0].startswith("clipkit: footage/a.mp4: cannot be read by worker tcp://127.0.0.1:")
    assert errors[0].endswith(" (permission denied); skipped it")
    check_whole(work / "out")
    assert [r["source"] for r in rows(work / "out")] == ["../footage/b.mp4"]


@needs_dask
@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_a_source_a_worker_cannot_read_fails_alone_chmod(runs: Path, tmp_path: Path) -> None:
    work = _two_sources(runs, tmp_path)
    (work / "footage" / "a.mp4").chmod(0)
    res = cut(work, "-o", "out", "-q", "--cluster", "local:2", cache=str(runs / "cache"))
    assert res.exit_code == 1, res.output
    assert "cannot be read by worker tcp://127.0.0.1:" in res.output
    assert [r["source"] for r in rows(work / "out")] == ["../footage/b.mp4"]


@needs_dask
def test_a_worker_killed_mid_clip_changes_nothing(runs: Path, tmp_path: Path) -> None:
    """A worker process SIGKILLed while its ffmpeg writes a clip: the scheduler runs the
    unit again on a worker; the run ends well, whole clips only, the manifest complete."""
    import psutil

    work = _two_sources(runs, tmp_path)
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:  # the first process writing a clip's part: its worker dies
        me = psutil.Process()
        while not stop.is_set() and not killed:
            for p in me.children(recursive=True):
                try:
                    if any(".part-" in a for a in p.cmdline()):
                        worker = p.parent()
                        if worker is not None and worker.pid != me.pid:
                            os.kill(worker.pid, signal.SIGKILL)
                            killed.append(worker.pid)
                            break
                except psutil.Error:
                    continue
            time.sleep(0.01)

    watcher = threading.Thread(target=killer, daemon=True)
    watcher.start()
    try:
        res = cut(work, "-o", "out", "--cluster", "local:2", cache=str(runs / "cache"))
    finally:
        stop.set()
        watcher.join()
    assert killed, "no worker was killed: the clips were made too fast to catch"
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    check_whole(work / "out")
    assert len(rows(work / "out")) == 2
    check_plain(res.output)


def _two_sources(runs: Path, tmp_path: Path) -> Path:
    """A folder with footage/a.mp4 and b.mp4 (two samples the module's cache knows)."""
    work = tmp_path / "w"
    (work / "footage").mkdir(parents=True)
    shutil.copy(runs / "footage" / "counter_stir_drop_spill.mp4", work / "footage" / "a.mp4")
    shutil.copy(runs / "footage" / "handheld_chop_pan_drop.mp4", work / "footage" / "b.mp4")
    (work / "small.yaml").write_text(SMALL)
    return work


def test_units_run_in_the_clients_folder(tmp_path: Path) -> None:
    """A worker started elsewhere reads the client's relative paths in the client's
    folder (when it has it): units wait for one another's folder."""
    from clipkit.run.cluster import _in_folder

    here = os.getcwd()
    try:
        with _in_folder(str(tmp_path)):
            assert os.getcwd() == str(tmp_path)
            with _in_folder(str(tmp_path)):  # another unit of the same client: no wait
                assert os.getcwd() == str(tmp_path)
        with _in_folder(str(tmp_path / "not here")):  # a folder only the client has
            assert os.getcwd() == str(tmp_path)
    finally:
        os.chdir(here)


def test_a_worker_that_cannot_write_the_output_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's check before a unit (simulated: root writes anywhere)."""
    from types import SimpleNamespace

    from clipkit.run.batch import SourceJob, render_clip_job
    from clipkit.run.cluster import access_problem

    src = tmp_path / "a.mp4"
    src.write_bytes(b"")
    clip = SimpleNamespace(source=str(src), out_dir=tmp_path / "out")  # a clip's unit
    items: list[object] = [clip, SourceJob(path=str(src)), str(src), (str(src), [])]
    for item in items:
        assert access_problem(render_clip_job, item, "tcp://w:1") is None
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert access_problem(render_clip_job, clip, "tcp://w:1") == (
        f"worker tcp://w:1 cannot write the output folder {tmp_path / 'out'} (permission denied)"
    )
    gone = SimpleNamespace(source=str(tmp_path / "b.mp4"), out_dir=tmp_path / "out")
    assert access_problem(render_clip_job, gone, "tcp://w:1") == (
        "cannot be read by worker tcp://w:1 (no such file or directory)"
    )


@needs_dask
def test_a_reels_footage_is_analysed_on_the_cluster(runs: Path) -> None:
    from clipkit.run.reel import ReelJob, make_reel

    events: list[dict[str, object]] = []
    footage = [str(p) for p in sorted((runs / "footage").glob("*.mp4"))]
    job = ReelJob(out_dir=runs / "out-reel", preset=str(runs / "small.yaml"), title="On it",
                  cache_dir=runs / "cache-reel", cluster="local:1", dry_run=True)  # fmt: skip
    report = make_reel(footage, job, on_event=events.append)
    assert report.reel is not None and not report.failed
    assert str(events[0]["where"]).startswith("on local:1")  # the cluster said where
    # Analysed there from a cold cache of its own: the cached analyses are the workers'.
    assert len(list((runs / "cache-reel").glob("*.npz"))) == len(footage)
