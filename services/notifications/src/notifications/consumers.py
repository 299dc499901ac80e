"""Events that tell someone something: each is routed, then written to the inbox and as
email deliveries in the event's own transaction (the inbox row of the consumer included)."""

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.events import Event
from construisons.messaging import Delivery, Handler
from notifications import domain
from notifications.listener import DELIVERY_CHANNEL, INBOX_CHANNEL
from notifications.mail import MailRenderer
from notifications.routing import ROUTES, Directory, Notice, plan
from notifications.tables import email_deliveries, notifications, preferences

# A NOTIFY payload holds at most 8000 bytes: signals go by batches well under it.
SIGNALS_PER_NOTIFY = 50


def handlers(directory: Directory, renderer: MailRenderer) -> dict[type[Event], Handler]:
    """The same handler for every event of the routing table (a test proves it has them all)."""

    async def on_event(delivery: Delivery[Event]) -> None:
        notices = plan(delivery.event, directory)
        if not notices:
            return
        session = delivery.session
        modes = await _email_modes(session, notices)
        signals = await _write_inbox(session, delivery, notices)
        mails = []
        for notice in notices:
            if notice.email is None:
                continue
            # Mailboxes have no sub, hence no preferences: they always get the mail at once.
            mode = modes.get((notice.sub, notice.category), domain.DEFAULT_EMAIL_MODE)
            status = domain.initial_status(mode)
            if status is not None:
                mails.append(_mail_row(delivery, notice, status, renderer))
        if mails:
            await session.execute(
                insert(email_deliveries)
                .values(mails)
                .on_conflict_do_nothing(constraint="uq_email_deliveries_event_recipient")
            )
        await _notify(session, signals, wake_worker=any(m["status"] == "pending" for m in mails))

    return dict.fromkeys(ROUTES, on_event)


async def _email_modes(
    session: AsyncSession, notices: list[Notice]
) -> dict[tuple[str | None, str], domain.EmailMode]:
    subs = {n.sub for n in notices if n.sub and n.email}
    if not subs:
        return {}
    rows = await session.execute(
        sa.select(preferences).where(preferences.c.recipient_sub.in_(subs))
    )
    return {(r.recipient_sub, r.category): r.email for r in rows}


async def _write_inbox(
    session: AsyncSession, delivery: Delivery[Event], notices: list[Notice]
) -> list[dict[str, str]]:
    """One inbox row per sub; returns what to signal to open streams (new rows only)."""
    rows = [
        {
            "id": uuid.uuid4(),
            "event_id": delivery.envelope.event_id,
            "recipient_sub": n.sub,
            "category": n.category,
            "title": n.title,
            "body": n.body,
            "link": n.link,
        }
        for n in notices
        if n.sub is not None
    ]
    if not rows:
        return []
    written = await session.execute(
        insert(notifications)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notifications_event_recipient")
        .returning(notifications.c.id, notifications.c.recipient_sub)
    )
    return [{"sub": r.recipient_sub, "id": str(r.id)} for r in written]


def _mail_row(
    delivery: Delivery[Event], notice: Notice, status: str, renderer: MailRenderer
) -> dict[str, Any]:
    mail = renderer.notice(name=notice.name, title=notice.title, body=notice.body, link=notice.link)
    return {
        "id": uuid.uuid4(),
        "event_id": delivery.envelope.event_id,
        "event_type": delivery.envelope.event_type,
        "recipient_sub": notice.sub,
        "recipient_address": notice.email,
        "recipient_name": notice.name,
        "category": notice.category,
        "subject": mail.subject[:400],
        "message": notice.body,
        "link": notice.link,
        "text_body": mail.text,
        "html_body": mail.html,
        "status": status,
    }


async def _notify(
    session: AsyncSession, signals: list[dict[str, str]], *, wake_worker: bool
) -> None:
    """NOTIFY open streams and the delivery workers, heard once the transaction commits."""
    calls = [
        sa.func.pg_notify(INBOX_CHANNEL, json.dumps(signals[i : i + SIGNALS_PER_NOTIFY]))
        for i in range(0, len(signals), SIGNALS_PER_NOTIFY)
    ]
    if wake_worker:
        calls.append(sa.func.pg_notify(DELIVERY_CHANNEL, ""))
    if calls:
        await session.execute(sa.select(*calls))
