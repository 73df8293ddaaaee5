"""One place that spawns background work: keeps a reference, logs failures, drains on shutdown.

Bolt acks an event first and runs listeners as tasks nobody awaits; answers and audit writes
must not be lost when the process stops, so they go through this registry."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self.accepting = True

    def spawn(self, work: Coroutine[object, object, T], name: str) -> asyncio.Task[T] | None:
        if not self.accepting:
            work.close()
            log.warning("task_refused_shutting_down", task=name)
            return None
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error(
                "task_failed", task=task.get_name(), error=type(exc).__name__, reason=str(exc)
            )

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until nothing is in flight (tests, benchmarks); intake stays open."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Stop taking new work, then wait for what is in flight (cancel past the timeout)."""
        self.accepting = False
        if not self._tasks:
            return
        done, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        log.info("tasks_drained", completed=len(done), cancelled=len(pending))
