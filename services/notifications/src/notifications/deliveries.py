"""The email delivery worker: claims due deliveries, sends them, retries, builds digests.

Deliveries are rows first (written by the consumer in the event's transaction) and SMTP
second. Due rows are claimed by batches with `FOR UPDATE SKIP LOCKED` and stay locked while
they are sent and marked, so several replicas never send the same row twice. Only a crash
between the SMTP server's acceptance and the batch's commit can resend mails (at most a
batch, each with the same Message-ID).
"""

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any

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
from notifications.tables import AWAITING_DIGEST, PENDING, digest_runs, email_deliveries

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DigestRun:
    digests: int
    notifications: int


# Built once. Every mail awaiting its digest, by address, locked until its digest is written.
DIGEST_CLAIM = (
    sa.select(email_deliveries)
    .where(email_deliveries.c.status == AWAITING_DIGEST)
    .order_by(email_deliveries.c.recipient_address, email_deliveries.c.created_at)
    .with_for_update(skip_locked=True)
)


async def build_digests(conn: AsyncConnection, renderer: MailRenderer) -> DigestRun:
    """Group every mail awaiting its digest into one pending digest mail per address."""
    rows = (await conn.execute(DIGEST_CLAIM)).all()
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


# Built once. Due deliveries, claimed a batch at a time: each stays locked while it is sent
# and until the batch is marked, so replicas never send the same one twice. One claim per
# batch rather than per mail also keeps the cost of walking the index of due rows down.
DUE_CLAIM = (
    sa.select(email_deliveries)
    .where(
        email_deliveries.c.status == PENDING,
        email_deliveries.c.next_attempt_at <= sa.bindparam("now"),
    )
    .order_by(email_deliveries.c.next_attempt_at)
    .limit(sa.bindparam("batch"))
    .with_for_update(skip_locked=True)
)
# Marks each delivery of a batch (executemany); what a failure leaves unset is kept.
# Parameters are named apart from the columns, which an UPDATE reserves for itself.
_MARK = (
    sa.update(email_deliveries)
    .where(email_deliveries.c.id == sa.bindparam("row_id"))
    .values(
        attempts=sa.bindparam("new_attempts"),
        status=sa.bindparam("new_status"),
        next_attempt_at=sa.func.coalesce(
            sa.bindparam("new_next_attempt_at", type_=sa.DateTime(timezone=True)),
            email_deliveries.c.next_attempt_at,
        ),
        last_error=sa.func.coalesce(
            sa.bindparam("new_last_error", type_=sa.Text), email_deliveries.c.last_error
        ),
        sent_at=sa.bindparam("new_sent_at", type_=sa.DateTime(timezone=True)),
    )
)


# How often a worker giving way to waiting events looks again for mails that may leave.
GIVE_WAY_RECHECK = 0.25


@dataclass
class DeliveryWorker:
    """Sends due emails and runs the daily digest; wakes on NOTIFY and also polls.

    Mails give way to events: while events wait for the service's consumer (a burst, a
    backlog after an outage), a mail leaves once it has been due for
    `delivery_give_way_seconds`, so that the inbox and the mails of the events are written
    first, on cores that the sending would take; it leaves at once when no event waits.
    However long the backlog lasts, no mail waits longer than that, and mails still leave
    as fast as they come.
    """

    engine: AsyncEngine
    settings: Settings
    renderer: MailRenderer
    mailer: SmtpMailer
    clock: Callable[[], datetime] = utcnow
    # Whether events are waiting for the consumer (construisons.messaging.Consumer.had_backlog).
    events_waiting: Callable[[], bool] = lambda: False
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
            if self._giving_way():
                # Mails held back: look again shortly, not at every event's wake-up call.
                await asyncio.sleep(GIVE_WAY_RECHECK)
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
                rows = (
                    await conn.execute(
                        DUE_CLAIM,
                        {"now": self._leaving_by(), "batch": self.settings.delivery_batch_size},
                    )
                ).all()
                if not rows:
                    return sent
                outcomes = []
                for row in rows:
                    outcome = await self._send_one(smtp, row)
                    outcomes.append(outcome)
                    if outcome["new_status"] == "sent":
                        sent += 1
                    elif outcome["unreachable"]:
                        # The server itself is down: the rows not tried stay as they were
                        # for the next pass.
                        break
                await conn.execute(_MARK, outcomes)
            if outcomes[-1]["unreachable"]:
                return sent

    def _giving_way(self) -> bool:
        return self.settings.delivery_give_way_seconds > 0 and self.events_waiting()

    def _leaving_by(self) -> datetime:
        """Mails due by this time may leave now (see the class's note on giving way)."""
        now = self.clock()
        if self._giving_way():
            return now - timedelta(seconds=self.settings.delivery_give_way_seconds)
        return now

    async def _send_one(self, smtp: SmtpSession, row: sa.Row[Any]) -> dict[str, Any]:
        """Send one claimed delivery; the values to mark it with (see _MARK)."""
        attempts = row.attempts + 1
        try:
            await smtp.send(
                row.recipient_address,
                self.mailer.message(
                    delivery_id=row.id,
                    event_id=row.event_id,
                    to=row.recipient_address,
                    subject=row.subject,
                    text=row.text_body,
                    html=row.html_body,
                ),
            )
        except Exception as exc:
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
            return {
                "row_id": row.id,
                "new_attempts": attempts,
                "new_status": status,
                "new_next_attempt_at": next_attempt,
                "new_last_error": f"{type(exc).__name__}: {exc}"[:2000],
                "new_sent_at": None,
                "unreachable": isinstance(exc, (OSError, TimeoutError)),
            }
        return {
            "row_id": row.id,
            "new_attempts": attempts,
            "new_status": "sent",
            "new_next_attempt_at": None,
            "new_last_error": None,
            "new_sent_at": self.clock(),
            "unreachable": False,
        }

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
