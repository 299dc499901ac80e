"""PostgreSQL LISTEN/NOTIFY: how a commit in any replica wakes the others.

The consumer NOTIFYs inside its transaction, so a notification is heard only once it is
committed, by every replica listening on the same database.
"""

import asyncio
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.db import asyncpg_dsn

log = logging.getLogger(__name__)

INBOX_CHANNEL = "construisons_notifications_inbox"
DELIVERY_CHANNEL = "construisons_notifications_deliveries"


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """Queue a NOTIFY in the session's transaction: heard after commit, never on rollback."""
    await session.execute(sa.select(sa.func.pg_notify(channel, payload)))


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
        self._task = asyncio.create_task(self._run(), name="notifications-listener")

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
                log.exception("notifications listener: callback for %s failed", channel)

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
                    log.warning("notifications listener: cannot listen yet: %s", exc)
                    self._connection = None
            await asyncio.sleep(self.check_interval)


class InboxHub:
    """Fans out new-notification signals to the streams open in this process, per person."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = {}

    def publish(self, payload: str) -> None:
        """Called with a NOTIFY payload: a JSON list of `{"sub": ..., "id": ...}`."""
        try:
            signals = json.loads(payload)
        except ValueError:
            return
        for signal in signals if isinstance(signals, list) else [signals]:
            for queue in self._subscribers.get(signal.get("sub"), ()):
                queue.put_nowait(str(signal.get("id")))

    @contextmanager
    def subscribe(self, sub: str) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.setdefault(sub, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(sub, set())
            queues.discard(queue)
            if not queues:
                self._subscribers.pop(sub, None)
