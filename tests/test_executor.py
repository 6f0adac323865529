from __future__ import annotations

import os
from typing import Any

from clipkit.executor import EventSink, Executor, emit


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
