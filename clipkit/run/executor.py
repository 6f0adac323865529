"""The one place where work is handed out.

``Executor.map`` runs a function over items, inline for one job or in a pool of
worker processes for several, and yields results as they finish. Progress events
from workers come back through a queue to the caller's callback. A distributed
engine plugs in beside it: clipkit.run.cluster (``executor_for`` picks one of the two).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from clipkit.children import in_worker, raise_if_stopped, working
from clipkit.errors import ClipkitError
from clipkit.options import default_jobs

T = TypeVar("T")
R = TypeVar("R")

Event = dict[str, Any]
EventSink = Callable[[Event], None]

__all__ = ["Executor", "EventSink", "default_jobs", "emit", "in_pool"]

_worker_queue: Any = None
_started: Any = None  # in a worker: one flag per item, set when it starts
_cluster_worker = False  # in a worker process of a cluster (clipkit.run.cluster)


def _init_worker(q: Any, started: Any = None) -> None:
    global _worker_queue, _started
    _worker_queue, _started = q, started
    from clipkit.media.ffmpeg import die_with_parent

    die_with_parent(os.getppid())  # a worker (and its ffmpeg) ends with clipkit
    in_worker()  # ...and a SIGTERM unwinds its work (removing its temporary files)


def in_pool() -> bool:
    """True in a worker process of a pool or a cluster: other workers share the cores
    with it."""
    return _worker_queue is not None or _cluster_worker


def mark_pool() -> None:
    """Say that this process is a cluster's worker (see ``in_pool``)."""
    global _cluster_worker
    _cluster_worker = True


def emit(event: Event, sink: EventSink | None = None) -> None:
    """Send a progress event: to ``sink`` when given, else to the parent process."""
    if sink is not None:
        sink(event)
    elif _worker_queue is not None:
        _worker_queue.put(event)


class Executor:
    """Runs ``fn(item, sink)`` for each item on ``jobs`` processes; an item's events
    reach ``on_event`` before its result is yielded.

    A worker process that dies (killed by hand or by the out-of-memory killer) breaks
    its pool; the items that had not finished go on in a new one. An item that was
    being worked on when a worker died is tried once more, alone (so that it is known
    to be the one), and if its worker dies again ``lost(item, reason, sink)`` gives its
    result: the batch goes on without it.
    """

    def __init__(self, jobs: int, on_event: EventSink | None = None) -> None:
        self.jobs = max(1, jobs)
        self.on_event = on_event or (lambda e: None)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to let go: each ``map`` has its own pool (as a cluster's executor has
        a connection, both are used with 'with')."""

    def map(
        self,
        fn: Callable[[T, EventSink | None], R],
        items: Iterable[T],
        lost: Callable[[T, str, EventSink], R] | None = None,
    ) -> Iterator[R]:
        items = list(items)
        if self.jobs == 1 or len(items) <= 1:
            for item in items:
                yield fn(item, self.on_event)
                raise_if_stopped()  # (a signal met by code that made it an error)
            return
        yield from self._pool_map(fn, items, lost)

    def _pool_map(
        self,
        fn: Callable[[T, EventSink | None], R],
        items: list[T],
        lost: Callable[[T, str, EventSink], R] | None,
    ) -> Iterator[R]:
        todo = list(range(len(items)))
        suspects: list[int] = []  # were running when a worker died: retried one by one
        while todo or suspects:
            alone = not todo
            batch = [suspects.pop(0)] if alone else todo
            workers = 1 if alone else min(self.jobs, len(batch))
            unfinished, started = yield from self._one_pool(fn, items, batch, workers)
            if not alone:
                todo = [i for i in unfinished if i not in started]
            for i in unfinished:
                if i not in started:
                    continue
                if not alone:
                    suspects.append(i)
                    continue
                reason = f"its worker process died twice ({_DIED})"
                if lost is None:
                    raise WorkerDied(reason)
                yield lost(items[i], reason, self.on_event)

    def _one_pool(
        self,
        fn: Callable[[T, EventSink | None], R],
        items: list[T],
        batch: list[int],
        workers: int,
    ) -> Generator[R, None, tuple[list[int], set[int]]]:
        """Run ``batch`` (indices of ``items``) in one pool, yielding results. Returns the
        indices left unfinished when a worker died, and which of them had started."""
        # "spawn": workers start clean (no inherited threads or open readers). A queue and
        # a start flag per item for each pool: a worker killed while writing to the queue
        # may leave its lock held.
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        flags = ctx.RawArray("b", len(items))
        stop = threading.Event()
        ended: set[int] = set()  # items whose worker has sent all its events
        cond = threading.Condition()

        def pump() -> None:
            while not stop.is_set():
                try:
                    event = q.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(event, tuple) and event[0] == _END:
                    with cond:
                        ended.add(event[1])
                        cond.notify_all()
                else:
                    self.on_event(event)

        pumper = threading.Thread(target=pump, daemon=True)
        pumper.start()
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(q, flags)
        )
        unfinished: list[int] = []
        try:
            futures: dict[Future[R], int] = {pool.submit(_run, fn, i, items[i]): i for i in batch}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=futures.__getitem__):
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        unfinished.append(futures[fut])
                        continue
                    index = futures[fut]
                    with cond:  # an item's events come before its result
                        cond.wait_for(lambda: index in ended, timeout=_EVENTS_WAIT)  # noqa: B023
                    yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            stop.set()
            pumper.join()
            while True:  # deliver what is left in the queue
                try:
                    event = q.get_nowait()
                except (queue.Empty, OSError, ValueError):
                    break
                if not (isinstance(event, tuple) and event[0] == _END):
                    self.on_event(event)
        unfinished.sort()
        return unfinished, {i for i in unfinished if flags[i]}


_DIED = "killed, or out of memory"
# Sent by a worker after an item's last event: its result is yielded once that is in.
_END = "clipkit-executor-end"
# How long a result waits for its events at most (s): they are in flight, not lost.
_EVENTS_WAIT = 5.0


class WorkerDied(ClipkitError):
    """A worker process died twice on the same item, and no ``lost`` was given."""


def _run(fn: Callable[[T, EventSink | None], R], index: int, item: T) -> R:
    """In a worker: mark item ``index`` as started (shared memory: seen even if this
    process dies at once), then run it."""
    if _started is not None:
        _started[index] = 1
    with working():
        result = fn(item, None)
    if _worker_queue is not None:
        _worker_queue.put((_END, index))
    return result
