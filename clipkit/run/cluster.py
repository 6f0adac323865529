"""Units of work on a Dask distributed cluster, behind the Executor's interface.

``executor_for`` picks the engine once for a run: the local process pool
(clipkit.run.executor) unless ``--cluster`` names a scheduler (``tcp://host:8786``) or asks
for a local cluster (``local:N``). Dask is imported only then, and is an optional extra.

A unit runs on a worker as ``fn(item, sink)``; its progress events go to the scheduler
as the worker's events (topic of this map), and from there to the caller's sink, in the
caller's thread. The unit's result says how many events it sent, so that none is lost
at its end. Workers see footage and output folders at the same paths (a shared file
system): one that cannot read a unit's source or write the output folder fails that
unit in one line naming the worker and the path. A worker that dies mid-unit has the
unit re-run by the scheduler on another (``allowed-failures``: once, like the local
pool); a unit whose workers died twice is ``lost``.

What makes a unit (any caller, e.g. one per clip): ``fn`` a module-level function of
clipkit (the workers import it), bound with ``functools.partial``, its run options as
``opts`` (whose ``out_dir`` the worker checks it can write); ``item`` picklable, naming
the file it reads (a path, or its ``source`` or ``path``, or a tuple's first element);
``fn(item, sink)`` emits its progress through ``sink`` (events with a ``source``) and
returns its outcome as data, writing nothing but its own output file (temporary name,
then rename): the client alone writes records, manifest and review page.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from clipkit.errors import ClipkitError
from clipkit.run.executor import EventSink, Executor, mark_pool

T = TypeVar("T")
R = TypeVar("R")

#: How long to try reaching a scheduler (and, on one without workers, to wait for one)
#: before saying it cannot be reached: a scheduler on the network answers in far less.
CONNECT_TIMEOUT = 10.0
#: How long a finished unit's last progress events may lag behind its result.
EVENT_LAG = 5.0
#: A scheduler re-runs a unit whose worker died this many times; one more death and the
#: unit is lost (the local pool's rule: tried once more).
ALLOWED_FAILURES = 1
INSTALL = "pip install 'clipkit[cluster]'"

log = logging.getLogger(__name__)
_LOG = logging.getLogger("distributed")
_ADDRESS = re.compile(r"^(local:\d+|[a-z][a-z0-9+.-]*://\S+)$")


class ClusterError(ClipkitError):
    """A cluster that cannot be used: bad address, unreachable, or Dask not installed."""

    exit_code = 2


def check_address(address: str) -> str:
    """``address`` when it is ``local:N`` (N >= 1) or ``scheme://...``, else a ClusterError."""
    if not _ADDRESS.match(address) or re.fullmatch(r"local:0+", address):
        raise ClusterError(
            f"{address!r}: neither a scheduler address (tcp://HOST:8786) nor local:N "
            "(N >= 1 worker processes here)"
        )
    return address


def executor_for(
    cluster: str | None, jobs: int, on_event: EventSink | None = None
) -> Executor | ClusterExecutor:
    """The executor of a run: the local pool of ``jobs`` processes, or the cluster."""
    if not cluster:
        return Executor(jobs, on_event)
    return ClusterExecutor(check_address(cluster), on_event)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--cluster needs Dask distributed: {INSTALL}") from None
    return distributed


class ClusterExecutor:
    """``map(fn, items, lost)`` like clipkit.run.executor.Executor, on a Dask cluster. Use it
    as a context manager: it connects (or starts the local cluster) on entry, before any
    work, and lets go on exit."""

    def __init__(self, address: str, on_event: EventSink | None = None) -> None:
        self.address = address
        self.on_event = on_event or (lambda e: None)
        self.client: Any = None
        self.cluster: Any = None
        self._log_level: int | None = None

    def __enter__(self) -> ClusterExecutor:
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def _connect(self) -> None:
        distributed = _distributed()
        # distributed logs a worker's death, a reconnection... as warnings on stderr;
        # clipkit says what matters for the run itself (debug logging shows them all).
        quiet = logging.DEBUG if logging.getLogger().level <= logging.DEBUG else logging.ERROR
        self._log_level = _LOG.level
        _LOG.setLevel(quiet)
        if self.address.startswith("local:"):
            n = int(self.address.split(":", 1)[1])
            self.cluster = distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # no network beyond loopback
                dashboard_address=None,
                silence_logs=quiet,  # in the workers
                memory_limit=0,  # as the local pool: no per-worker cap, no restarts
                scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES},
            )
            self.client = distributed.Client(self.cluster, set_as_default=False)
        else:
            _knock(self.address)
            try:
                self.client = distributed.Client(
                    self.address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False
                )
            except (OSError, TimeoutError) as e:
                why = str(e).split("\n")[0] or type(e).__name__
                if "Timed out" in why or isinstance(e, TimeoutError):
                    why = f"no answer in {CONNECT_TIMEOUT:g} s"
                raise ClusterError(
                    f"{self.address}: cannot reach the Dask scheduler ({why})"
                ) from None
        n = self._workers()
        if not n:
            raise ClusterError(
                f"{self.address}: the scheduler has no workers "
                f"(start some: dask worker {self.address})"
            )
        workers = "1 worker" if n == 1 else f"{n} workers"
        self.on_event({"stage": "cluster", "where": f"on {self.address}, {workers}"})

    def _workers(self) -> int:
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            return 0
        return len(self.client.nthreads())

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        if self._log_level is not None:
            _LOG.setLevel(self._log_level)
            self._log_level = None

    def map(
        self,
        fn: Callable[[T, EventSink | None], R],
        items: Iterable[T],
        lost: Callable[[T, str, EventSink], R] | None = None,
    ) -> Iterator[R]:
        """Run ``fn(item, sink)`` on the cluster for each item; yield results as they
        finish (in that order). A unit that fails with a ClipkitError, or whose workers
        died twice, gives ``lost(item, reason, sink)`` (raised without ``lost``)."""
        if self.client is None:
            raise RuntimeError("ClusterExecutor used outside 'with'")
        items = list(items)
        if not items:
            return
        distributed = _distributed()
        topic = f"clipkit-{uuid.uuid4().hex}"
        events = _Events(self.on_event)
        self.client.subscribe_topic(topic, events.put)
        futures = {
            self.client.submit(
                _run_unit, fn, item, topic, os.getcwd(), key=f"{topic}-{i}", pure=False
            ): i
            for i, item in enumerate(items)
        }
        pending = set(futures)
        try:
            while pending:
                events.drain(0.05)
                for fut in sorted((f for f in pending if f.done()), key=futures.__getitem__):
                    pending.discard(fut)
                    unit = f"{futures[fut] + 1} of {len(items)}"
                    result, reason = self._outcome(fut, unit, events, distributed)
                    if reason is None:
                        yield result
                    elif lost is None:
                        raise ClusterError(reason)
                    else:
                        yield lost(items[futures[fut]], reason, self.on_event)
        finally:
            for fut in pending:
                fut.cancel()
            events.drain(0)
            self.client.unsubscribe_topic(topic)

    def _outcome(
        self, fut: Any, unit: str, events: _Events, distributed: Any
    ) -> tuple[Any, str | None]:
        """A finished unit's result (its events delivered first), or why it failed."""
        if fut.status == "finished":
            attempt, sent, result, problem, took = fut.result()
            log.debug("unit %s took %.2f s", unit, took)  # (bench/cluster.py reads it)
            events.wait_for(attempt, sent)
            return result, problem
        if fut.status == "cancelled":  # the scheduler lost it (restarted?)
            return None, f"the scheduler {self.address} dropped it"
        return None, _failure(fut.exception(), distributed)


class _Events:
    """Progress events the units publish, handed to the run's sink in the client; counted
    per attempt of a unit, so its result waits until its events are in."""

    def __init__(self, on_event: EventSink) -> None:
        self.on_event = on_event
        self.queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.received: dict[str, int] = {}

    def put(self, message: tuple[float, dict[str, Any]]) -> None:
        self.queue.put(message[1])

    def drain(self, timeout: float) -> None:
        try:
            msg = self.queue.get(timeout=timeout)
            while True:
                self.received[msg["attempt"]] = self.received.get(msg["attempt"], 0) + 1
                self.on_event(msg["event"])
                msg = self.queue.get_nowait()
        except queue.Empty:
            pass

    def wait_for(self, attempt: str, sent: int) -> None:
        """Deliver events until the ``sent`` events of ``attempt`` are in (or a while)."""
        deadline = time.monotonic() + EVENT_LAG
        while self.received.get(attempt, 0) < sent and time.monotonic() < deadline:
            self.drain(0.05)


def _knock(address: str) -> None:
    """Fail at once when a tcp:// scheduler's port refuses or its host is unknown (the
    Client would try again until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme != "tcp" or not parts.hostname:
        return
    try:
        port = parts.port or 8786
        socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT).close()
    except ValueError:
        raise ClusterError(f"{address}: not a port number") from None
    except TimeoutError:
        raise ClusterError(
            f"{address}: cannot reach the Dask scheduler (no answer in {CONNECT_TIMEOUT:g} s)"
        ) from None
    except OSError as e:
        why = _why(e) if e.strerror else str(e)
        raise ClusterError(f"{address}: cannot reach the Dask scheduler ({why})") from None


def _failure(exc: BaseException | None, distributed: Any) -> str:
    """Why a unit failed on the cluster, in a few words; a bug is raised as it is."""
    if isinstance(exc, distributed.KilledWorker):
        return "its worker process died twice (killed, or out of memory)"
    if isinstance(exc, ClipkitError):
        return str(exc)
    raise exc or RuntimeError("a unit failed without an exception")


def unit_source(item: Any) -> str | None:
    """The file a unit reads: the item itself (a path), its ``source`` or ``path``, or the
    first element of a tuple."""
    if isinstance(item, str | os.PathLike):
        return os.fspath(item)
    for name in ("source", "path"):
        value = getattr(item, name, None)
        if isinstance(value, str | os.PathLike):
            return os.fspath(value)
    if isinstance(item, tuple) and item and isinstance(item[0], str | os.PathLike):
        return os.fspath(item[0])
    return None


def unit_out_dir(fn: Any, item: Any) -> Path | None:
    """The output folder a unit writes to: the item's ``out_dir`` (a clip's unit), else
    ``opts.out_dir`` of a ``functools.partial``."""
    out = getattr(item, "out_dir", None)
    if out is None:
        out = getattr(getattr(fn, "keywords", {}).get("opts"), "out_dir", None)
    return Path(out) if out is not None else None


def access_problem(fn: Any, item: Any, worker: str) -> str | None:
    """What stops this worker from doing the unit: its source cannot be read, or the
    output folder cannot be written here. None when both are fine. (Said after the
    source's path, by ``lost``.)"""
    source = unit_source(item)
    if source is not None:
        try:
            if os.environ.get("CLIPKIT_TEST_UNREADABLE") == Path(source).name:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            os.close(os.open(source, os.O_RDONLY))
        except OSError as e:
            return f"cannot be read by worker {worker} ({_why(e)})"
    out = unit_out_dir(fn, item)
    if out is not None:
        folder = out
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"worker {worker} cannot write the output folder {out} (permission denied)"
    return None


def _why(e: OSError) -> str:
    return (e.strerror or str(e)).lower()


_folder = threading.Condition()
_folder_users = 0  # units running in this worker process, all in the current folder


@contextmanager
def _in_folder(folder: str) -> Iterator[None]:
    """Run in ``folder`` (the client's, so that the paths it was given, relative ones
    too, mean the same files here), when this machine has it. The current folder is the
    process's: units of clients in other folders wait for one another."""
    global _folder_users
    with _folder:
        _folder.wait_for(lambda: _folder_users == 0 or os.getcwd() == folder)
        if _folder_users == 0 and os.path.isdir(folder):
            os.chdir(folder)
        _folder_users += 1
    try:
        yield
    finally:
        with _folder:
            _folder_users -= 1
            _folder.notify_all()


def _run_unit(
    fn: Callable[[Any, EventSink | None], Any], item: Any, topic: str, folder: str
) -> tuple[str, int, Any, str | None, float]:
    """On a worker: run one unit, its events sent under ``topic``, in the client's
    ``folder``. Returns the attempt's id, how many events it sent, the result, what
    stopped it (or None), and how long it took (s)."""
    with _in_folder(folder):
        attempt, sent, result, problem, took = _run_here(fn, item, topic)
        source = unit_source(item)
        if problem and source and not os.path.isabs(source) and os.getcwd() != folder:
            problem += f"; a path relative to {folder}, which it does not have"
        return attempt, sent, result, problem, took


def _run_here(
    fn: Callable[[Any, EventSink | None], Any], item: Any, topic: str
) -> tuple[str, int, Any, str | None, float]:
    from distributed import get_worker

    t0 = time.perf_counter()
    worker = get_worker()
    mark_pool()  # other units share this machine's cores: no split decoding
    attempt, sent = uuid.uuid4().hex, 0

    def sink(event: dict[str, Any]) -> None:
        nonlocal sent
        sent += 1
        worker.log_event(topic, {"attempt": attempt, "event": event})

    problem = access_problem(fn, item, worker.address)
    result = fn(item, sink) if problem is None else None
    return attempt, sent, result, problem, time.perf_counter() - t0
