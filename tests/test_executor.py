from __future__ import annotations

import os
import time
from typing import Any

from clipkit.run.executor import EventSink, Executor, emit


def square(x: int, sink: EventSink | None) -> tuple[int, int]:
    emit({"source": str(x), "stage": "work"}, sink)
    return x * x, os.getpid()


def test_inline_runs_in_this_process() -> None:
    events: list[dict[str, Any]] = []
    results = list(Executor(1, events.append).map(square, [1, 2, 3]))
    assert [r for r, _ in results] == [1, 4, 9]
    assert {pid for _, pid in results} == {os.getpid()}
    assert [e["source"] for e in events] == ["1", "2", "3"]


def test_pool_runs_in_workers_and_forwards_events() -> None:
    events: list[dict[str, Any]] = []
    results = list(Executor(2, events.append).map(square, [1, 2, 3, 4]))
    assert sorted(r for r, _ in results) == [1, 4, 9, 16]
    assert os.getpid() not in {pid for _, pid in results}
    assert sorted(e["source"] for e in events) == ["1", "2", "3", "4"]


def chatty(x: int, sink: EventSink | None) -> int:
    for step in range(20):
        emit({"source": str(x), "stage": "work", "step": step}, sink)
    return x


def test_an_items_events_come_before_its_result() -> None:
    """What lets a caller say a source is done after its last progress line."""
    seen: list[tuple[str, int]] = []
    executor = Executor(2, lambda e: seen.append(("event", int(e["source"]))))
    for x in executor.map(chatty, range(6)):
        assert sum(1 for what, i in seen if what == "event" and i == x) == 20
        seen.append(("result", x))
    assert len(seen) == 6 * 21


def dies_on_three(x: int, sink: EventSink | None) -> int:
    """Item 3's worker always dies; item 2's only the first time (a marker file says).
    Item 3 dies only once item 2 has died once: a dying worker breaks the pool, which
    kills the others, and item 2 killed so before it got to die itself would (rightly)
    be lost after its own death on the retry."""
    marker = os.environ["CLIPKIT_TEST_MARKER"]
    if x == 3:
        deadline = time.monotonic() + 10.0
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(9)
    if x == 2 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(9)
    return x * 10


def test_a_dying_worker_is_retried_once_then_lost(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CLIPKIT_TEST_MARKER", str(tmp_path / "died"))
    lost: list[tuple[int, str]] = []

    def on_lost(x: int, reason: str, sink: EventSink) -> int:
        lost.append((x, reason))
        return -x

    results = list(Executor(2).map(dies_on_three, [1, 2, 3, 4, 5], on_lost))
    assert sorted(results) == [-3, 10, 20, 40, 50]
    assert lost == [(3, "its worker process died twice (killed, or out of memory)")]


def test_a_dying_worker_without_lost_raises_one_clear_error() -> None:
    import pytest

    from clipkit.run.executor import WorkerDied

    with pytest.raises(WorkerDied, match="died twice"):
        list(Executor(2).map(dies_on_three_always, [1, 3]))


def dies_on_three_always(x: int, sink: EventSink | None) -> int:
    if x == 3:
        os._exit(9)
    return x
