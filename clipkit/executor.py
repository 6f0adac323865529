"""The one place where work is handed out.

``Executor.map`` runs a function over items, inline for one job or in a pool of
worker processes for several, and yields results as they finish. Progress events
from workers come back through a queue to the caller's callback. A distributed
engine would plug in here and nowhere else.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Event = dict[str, Any]
EventSink = Callable[[Event], None]

_worker_queue: Any = None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _init_worker(q: Any) -> None:
    global _worker_queue
    _worker_queue = q
    from clipkit.ffmpeg import die_with_parent

    die_with_parent(os.getppid())  # a worker (and its ffmpeg) ends with clipkit


def in_pool() -> bool:
    """True in a worker process of a pool: other workers share the cores with it."""
    return _worker_queue is not None


def emit(event: Event, sink: EventSink | None = None) -> None:
    """Send a progress event: to ``sink`` when given, else to the parent process."""
    if sink is not None:
        sink(event)
    elif _worker_queue is not None:
        _worker_queue.put(event)


class Executor:
    """Runs ``fn(item, sink)`` for each item on ``jobs`` processes."""

    def __init__(self, jobs: int, on_event: EventSink | None = None) -> None:
        self.jobs = max(1, jobs)
        self.on_event = on_event or (lambda e: None)

    def map(self, fn: Callable[[T, EventSink | None], R], items: Iterable[T]) -> Iterator[R]:
        items = list(items)
        if self.jobs == 1 or len(items) <= 1:
            for item in items:
                yield fn(item, self.on_event)
            return
        yield from self._pool_map(fn, items)

    def _pool_map(self, fn: Callable[[T, EventSink | None], R], items: list[T]) -> Iterator[R]:
        # "spawn": workers start clean (no inherited threads or open readers).
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    self.on_event(q.get(timeout=0.1))
                except queue.Empty:
                    continue

        pumper = threading.Thread(target=pump, daemon=True)
        pumper.start()
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(items)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(q,),
        )
        try:
            pending: set[Future[R]] = {pool.submit(fn, item, None) for item in items}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            stop.set()
            pumper.join()
            while True:  # deliver what is left in the queue
                try:
                    self.on_event(q.get_nowait())
                except (queue.Empty, OSError, ValueError):
                    break
