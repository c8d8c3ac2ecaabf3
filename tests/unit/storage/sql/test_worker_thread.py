"""The SQLite threads' hop: calls run in order on one thread, errors reach the caller, a
cancelled caller's call still runs, and the thread stops and starts again."""

from __future__ import annotations

import asyncio
import threading

import pytest

from yabot.storage.sql.worker_thread import WorkerThread


async def test_calls_run_in_order_on_one_other_thread() -> None:
    worker = WorkerThread("test-worker")
    seen: list[tuple[int, str]] = []

    def record(i: int) -> int:
        seen.append((i, threading.current_thread().name))
        return i * 2

    results = await asyncio.gather(*(worker.call(record, i) for i in range(50)))
    assert results == [i * 2 for i in range(50)]
    assert [i for i, _ in seen] == list(range(50))
    assert {name for _, name in seen} == {"test-worker"}
    await worker.stop()
    assert not worker.running


async def test_an_error_reaches_the_caller_and_the_thread_goes_on() -> None:
    worker = WorkerThread("test-worker")

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await worker.call(fail)
    assert await worker.call(lambda: 7) == 7
    await worker.stop()


async def test_a_cancelled_callers_call_still_runs_before_later_ones() -> None:
    worker = WorkerThread("test-worker")
    gate, ran = threading.Event(), []
    blocked = worker.call(gate.wait, 5)
    cancelled = worker.call(ran.append, "cancelled")
    cancelled.cancel()
    worker.submit(ran.append, "submitted")
    later = worker.call(ran.append, "later")
    gate.set()
    await blocked
    await later
    assert ran == ["cancelled", "submitted", "later"]
    await worker.stop()


async def test_a_stopped_thread_starts_again_on_the_next_call() -> None:
    worker = WorkerThread("test-worker")
    first = await worker.call(threading.current_thread)
    await worker.stop()
    worker.submit(print, "never")  # stopped: nothing to run it, nothing starts
    assert not worker.running
    second = await worker.call(threading.current_thread)
    assert worker.running and first is not second and not first.is_alive()
    await worker.stop()
