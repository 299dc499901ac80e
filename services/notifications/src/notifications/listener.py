"""PostgreSQL LISTEN/NOTIFY: how a commit in any replica wakes the others.

The consumer NOTIFYs inside its transaction, so a notification is heard only once it is
committed, by every replica listening on the same database.
"""

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

INBOX_CHANNEL = "construisons_notifications_inbox"
DELIVERY_CHANNEL = "construisons_notifications_deliveries"


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """Queue a NOTIFY in the session's transaction: heard after commit, never on rollback."""
    await session.execute(sa.select(sa.func.pg_notify(channel, payload)))


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
