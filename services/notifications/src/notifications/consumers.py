"""Events that tell someone something: each is routed, then written to the inbox and as
email deliveries in the event's own transaction (the inbox row of the consumer included)."""

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from construisons.events import Event
from construisons.messaging import Delivery, Handler
from notifications import domain
from notifications.listener import DELIVERY_CHANNEL, INBOX_CHANNEL, notify
from notifications.mail import MailRenderer
from notifications.routing import ROUTES, Directory, plan
from notifications.tables import email_deliveries, notifications, preferences


def handlers(directory: Directory, renderer: MailRenderer) -> dict[type[Event], Handler]:
    """The same handler for every event of the routing table (a test proves it has them all)."""

    async def on_event(delivery: Delivery[Event]) -> None:
        event, event_id = delivery.event, delivery.envelope.event_id
        session = delivery.session
        notices = plan(event, directory)
        subs = {n.sub for n in notices if n.sub}
        modes: dict[tuple[str, str], domain.EmailMode] = {}
        if subs:
            rows = await session.execute(
                sa.select(preferences).where(preferences.c.recipient_sub.in_(subs))
            )
            modes = {(r.recipient_sub, r.category): r.email for r in rows}
        wake_worker = False
        for notice in notices:
            if notice.sub is not None:
                written = await session.execute(
                    insert(notifications)
                    .values(
                        id=uuid.uuid4(),
                        event_id=event_id,
                        recipient_sub=notice.sub,
                        category=notice.category,
                        title=notice.title,
                        body=notice.body,
                        link=notice.link,
                    )
                    .on_conflict_do_nothing(constraint="uq_notifications_event_recipient")
                    .returning(notifications.c.id)
                )
                notification_id = written.scalar()
                if notification_id is not None:
                    await notify(
                        session,
                        INBOX_CHANNEL,
                        json.dumps({"sub": notice.sub, "id": str(notification_id)}),
                    )
            if notice.email is None:
                continue
            # Mailboxes have no sub, hence no preferences: they always get the mail at once.
            mode = (
                modes.get((notice.sub, notice.category), domain.DEFAULT_EMAIL_MODE)
                if notice.sub
                else domain.DEFAULT_EMAIL_MODE
            )
            status = domain.initial_status(mode)
            if status is None:
                continue
            mail = renderer.notice(
                name=notice.name, title=notice.title, body=notice.body, link=notice.link
            )
            await session.execute(
                insert(email_deliveries)
                .values(
                    id=uuid.uuid4(),
                    event_id=event_id,
                    event_type=delivery.envelope.event_type,
                    recipient_sub=notice.sub,
                    recipient_address=notice.email,
                    recipient_name=notice.name,
                    category=notice.category,
                    subject=mail.subject[:400],
                    message=notice.body,
                    link=notice.link,
                    text_body=mail.text,
                    html_body=mail.html,
                    status=status,
                )
                .on_conflict_do_nothing(constraint="uq_email_deliveries_event_recipient")
            )
            wake_worker = wake_worker or status == "pending"
        if wake_worker:
            await notify(session, DELIVERY_CHANNEL)

    return dict.fromkeys(ROUTES, on_event)
