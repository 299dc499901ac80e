"""The email delivery worker: claims due deliveries, sends them, retries, builds digests.

Deliveries are rows first (written by the consumer in the event's transaction) and SMTP
second. Each due row is claimed with `FOR UPDATE SKIP LOCKED` and stays locked while it
is sent and marked, so several replicas never send the same row twice. Only a crash between
the SMTP server's acceptance and the commit can resend a mail, with the same Message-ID.
"""

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notifications import domain
from notifications.config import Settings
from notifications.mail import (
    SUBJECT_PREFIX,
    DigestItem,
    MailRenderer,
    SmtpMailer,
    SmtpSession,
)
from notifications.tables import digest_runs, email_deliveries

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DigestRun:
    digests: int
    notifications: int


async def build_digests(conn: AsyncConnection, renderer: MailRenderer) -> DigestRun:
    """Group every mail awaiting its digest into one pending digest mail per address."""
    rows = (
        await conn.execute(
            sa.select(email_deliveries)
            .where(email_deliveries.c.status == "awaiting_digest")
            .order_by(email_deliveries.c.recipient_address, email_deliveries.c.created_at)
            .with_for_update(skip_locked=True)
        )
    ).all()
    digests = 0
    for address, group in groupby(rows, key=lambda row: row.recipient_address):
        items = list(group)
        digest_id = uuid.uuid4()
        mail = renderer.digest(
            name=items[0].recipient_name,
            items=[
                DigestItem(r.subject.removeprefix(SUBJECT_PREFIX), r.message, r.link) for r in items
            ],
        )
        await conn.execute(
            sa.insert(email_deliveries).values(
                id=digest_id,
                event_type="digest",
                recipient_sub=items[0].recipient_sub,
                recipient_address=address,
                recipient_name=items[0].recipient_name,
                category="digest",
                subject=mail.subject,
                message="\n\n".join(r.message for r in items),
                text_body=mail.text,
                html_body=mail.html,
                status="pending",
            )
        )
        await conn.execute(
            sa.update(email_deliveries)
            .where(email_deliveries.c.id.in_([r.id for r in items]))
            .values(status="in_digest", digest_id=digest_id)
        )
        digests += 1
    return DigestRun(digests=digests, notifications=len(rows))


@dataclass
class DeliveryWorker:
    """Sends due emails and runs the daily digest; wakes on NOTIFY and also polls."""

    engine: AsyncEngine
    settings: Settings
    renderer: MailRenderer
    mailer: SmtpMailer
    clock: Callable[[], datetime] = utcnow
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _digest_checked: date | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="email-delivery-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self, _payload: str = "") -> None:
        self._wake.set()

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            self._wake.clear()
            try:
                await self.run_scheduled_digest()
                await self.send_due()
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The database is unreachable: nothing was sent that is not marked.
                backoff = min(30.0, max(0.5, backoff * 2))
                log.warning("email worker: pass failed, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff * (0.8 + random.random() * 0.4))
                continue
            try:
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self.settings.delivery_poll_interval
                )
            except TimeoutError:
                pass

    async def send_due(self) -> int:
        """Send every delivery due now, one locked row at a time per sender, each sender over
        its own SMTP connection; returns how many were sent."""
        sent = await asyncio.gather(
            *(self._sender() for _ in range(self.settings.delivery_concurrency))
        )
        return sum(sent)

    async def _sender(self) -> int:
        # Senders share nothing but the table: SKIP LOCKED hands each a different row.
        smtp = self.mailer.session()
        try:
            return await self._send_due(smtp)
        finally:
            await smtp.close()

    async def _send_due(self, smtp: SmtpSession) -> int:
        sent = 0
        while True:
            async with self.engine.begin() as conn:
                now = self.clock()
                row = (
                    await conn.execute(
                        sa.select(email_deliveries)
                        .where(
                            email_deliveries.c.status == "pending",
                            email_deliveries.c.next_attempt_at <= now,
                        )
                        .order_by(email_deliveries.c.next_attempt_at)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if row is None:
                    return sent
                attempts = row.attempts + 1
                try:
                    await smtp.send(
                        self.mailer.message(
                            delivery_id=row.id,
                            event_id=row.event_id,
                            to=row.recipient_address,
                            subject=row.subject,
                            text=row.text_body,
                            html=row.html_body,
                        )
                    )
                except Exception as exc:
                    unreachable = isinstance(exc, (OSError, TimeoutError))
                    status, next_attempt = domain.after_failure(
                        attempts,
                        self.clock(),
                        max_attempts=self.settings.delivery_max_attempts,
                        base=self.settings.delivery_backoff_seconds,
                        cap=self.settings.delivery_backoff_max_seconds,
                    )
                    log.warning(
                        "email %s to %s: attempt %d failed (%s): %s",
                        row.id,
                        row.recipient_address,
                        attempts,
                        status,
                        exc,
                    )
                    values = {
                        "attempts": attempts,
                        "status": status,
                        "next_attempt_at": next_attempt,
                        "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                    }
                else:
                    unreachable = False
                    values = {"attempts": attempts, "status": "sent", "sent_at": self.clock()}
                    sent += 1
                await conn.execute(
                    sa.update(email_deliveries)
                    .where(email_deliveries.c.id == row.id)
                    .values(**values)
                )
            if unreachable:
                # The server itself is down: the next pass tries again, one mail at a time.
                return sent

    async def run_scheduled_digest(self) -> DigestRun | None:
        """Build today's digests once the configured hour has come, once across replicas."""
        if self.settings.digest_hour is None:
            return None
        day = domain.digest_day_due(
            self.clock(), hour=self.settings.digest_hour, timezone=self.settings.digest_timezone
        )
        if day is None or day == self._digest_checked:
            return None
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                insert(digest_runs)
                .values(day=day)
                .on_conflict_do_nothing()
                .returning(digest_runs.c.day)
            )
            result = await build_digests(conn, self.renderer) if claimed.first() else None
        self._digest_checked = day
        return result

    async def run_digest_now(self) -> DigestRun:
        """Build the digests right away (the team's manual trigger)."""
        async with self.engine.begin() as conn:
            result = await build_digests(conn, self.renderer)
        self.wake()
        return result
