"""PostgreSQL LISTEN: one connection per process that wakes in-process work on NOTIFY.

A NOTIFY queued inside a transaction is heard only once that transaction commits, by every
process listening on the database: how a commit in one replica wakes the others.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

import asyncpg

from construisons.db import asyncpg_dsn

log = logging.getLogger(__name__)


class Listener:
    """One LISTEN connection for the process, reconnected when it drops."""

    def __init__(
        self,
        database_url: str,
        callbacks: Mapping[str, Callable[[str], None]],
        *,
        check_interval: float = 1.0,
    ) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.callbacks = dict(callbacks)
        self.check_interval = check_interval
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pg-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._connection is not None:
            with suppress(Exception):
                await self._connection.close(timeout=2)
            self._connection = None

    def _dispatch(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        callback = self.callbacks.get(channel)
        if callback is not None:
            try:
                callback(payload)
            except Exception:
                log.exception("listener: callback for %s failed", channel)

    async def _run(self) -> None:
        while True:
            if self._connection is None or self._connection.is_closed():
                self.connected.clear()
                try:
                    self._connection = await asyncpg.connect(self.dsn)
                    for channel in self.callbacks:
                        await self._connection.add_listener(channel, self._dispatch)
                    self.connected.set()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("listener: cannot listen yet: %s", exc)
                    self._connection = None
            await asyncio.sleep(self.check_interval)
