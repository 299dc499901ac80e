"""Events that tell someone something: each is routed, then written to the inbox and as
email deliveries in the event's own transaction (the inbox row of the consumer included)."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from construisons.events import Event
from construisons.messaging import Delivery, Handler
from notifications import domain
from notifications.listener import DELIVERY_CHANNEL, INBOX_CHANNEL
from notifications.mail import MailRenderer
from notifications.routing import ROUTES, Directory, Notice, plan

# Built once, two statements per event (a statement built per message, or one per row kind,
# cost more CPU than running them). Rows travel as one JSON array each, whatever their number.
_WRITE_INBOX = sa.text(
    f"""
    WITH written AS (
        INSERT INTO notifications (id, event_id, recipient_sub, category, title, body, link)
        SELECT r.id, r.event_id, r.recipient_sub, r.category, r.title, r.body, r.link
          FROM jsonb_to_recordset(:rows) AS r(id uuid, event_id uuid, recipient_sub text,
                                             category text, title text, body text, link text)
        ON CONFLICT ON CONSTRAINT uq_notifications_event_recipient DO NOTHING
        RETURNING id, recipient_sub
    ), signalled AS (
        -- Open streams hear of each new row once the transaction commits.
        SELECT pg_notify('{INBOX_CHANNEL}',
                         json_build_object('sub', recipient_sub, 'id', id)::text)
          FROM written
    )
    SELECT (SELECT count(*) FROM signalled) AS signalled,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(p.recipient_sub, p.category, p.email)),
                            '[]'::jsonb)
              FROM preferences p
             WHERE p.recipient_sub = ANY(:subs)) AS preferences
    """
).bindparams(sa.bindparam("rows", type_=JSONB), sa.bindparam("subs", type_=ARRAY(sa.String)))
_WRITE_MAILS = sa.text(
    f"""
    WITH written AS (
        INSERT INTO email_deliveries (id, event_id, event_type, recipient_sub,
                                      recipient_address, recipient_name, category, subject,
                                      message, link, text_body, html_body, status)
        SELECT m.id, m.event_id, m.event_type, m.recipient_sub, m.recipient_address,
               m.recipient_name, m.category, m.subject, m.message, m.link, m.text_body,
               m.html_body, m.status
          FROM jsonb_to_recordset(:mails) AS m(id uuid, event_id uuid, event_type text,
                                               recipient_sub text, recipient_address text,
                                               recipient_name text, category text,
                                               subject text, message text, link text,
                                               text_body text, html_body text, status text)
        ON CONFLICT ON CONSTRAINT uq_email_deliveries_event_recipient DO NOTHING
        RETURNING status
    )
    -- The delivery workers wake once the transaction commits, if a mail is due now.
    SELECT pg_notify('{DELIVERY_CHANNEL}', '') FROM written WHERE status = 'pending' LIMIT 1
    """
).bindparams(sa.bindparam("mails", type_=JSONB))


def handlers(directory: Directory, renderer: MailRenderer) -> dict[type[Event], Handler]:
    """The same handler for every event of the routing table (a test proves it has them all)."""

    async def on_event(delivery: Delivery[Event]) -> None:
        notices = plan(delivery.event, directory)
        if not notices:
            return
        session = delivery.session
        event_id = str(delivery.envelope.event_id)
        written = (
            await session.execute(
                _WRITE_INBOX,
                {
                    "rows": [_inbox_row(event_id, n) for n in notices if n.sub is not None],
                    "subs": sorted({n.sub for n in notices if n.sub and n.email}),
                },
            )
        ).one()
        modes = {(sub, category): mode for sub, category, mode in written.preferences}
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
            await session.execute(_WRITE_MAILS, {"mails": mails})

    return dict.fromkeys(ROUTES, on_event)


def _inbox_row(event_id: str, notice: Notice) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "event_id": event_id,
        "recipient_sub": notice.sub,
        "category": notice.category,
        "title": notice.title,
        "body": notice.body,
        "link": notice.link,
    }


def _mail_row(
    delivery: Delivery[Event], notice: Notice, status: str, renderer: MailRenderer
) -> dict[str, Any]:
    mail = renderer.notice(name=notice.name, title=notice.title, body=notice.body, link=notice.link)
    return {
        "id": str(uuid.uuid4()),
        "event_id": str(delivery.envelope.event_id),
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
