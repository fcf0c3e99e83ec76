"""Fire-and-forget tasks owned by the app (asynchronous command results, simulated charging, timeouts).

Tasks are kept referenced until they finish (asyncio keeps only weak references), failures are logged
rather than lost, and the app cancels whatever is still running when it shuts down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

__all__ = ["BackgroundTasks"]

log = logging.getLogger("ocpi_engine.background")


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Run `coro` in the background; None (and the coroutine closed) once the app is shutting down."""
        if self._closed:
            coro.close()
            return None
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0, *, names: str | None = None) -> None:
        """Wait (at most `timeout` seconds) until no task runs, or none whose name starts with `names`; for tests.

        Polls rather than awaiting the tasks: a test client may run the app on another event loop."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.01) + 2):
            pending = [t for t in list(self._tasks) if names is None or t.get_name().startswith(names)]
            if not pending:
                return
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.01)
        raise TimeoutError(f"{len(pending)} background task(s) still running: "
                           f"{sorted(t.get_name() for t in pending)[:5]}")

    async def aclose(self) -> None:
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
