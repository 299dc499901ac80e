"""Events that tell someone something: each is routed, then written to the inbox and as
email deliveries by one statement, with the consumer's inbox row."""

import uuid
from typing import Any, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from construisons.events import Envelope, Event
from construisons.messaging import INBOX_RECORD_SQL, OneStatement
from notifications import domain
from notifications.listener import DELIVERY_CHANNEL, INBOX_CHANNEL
from notifications.mail import MailRenderer
from notifications.routing import ROUTES, Directory, Notice, plan

# Built once: an event's whole effect in one statement and one round trip (see
# messaging.OneStatement): its inbox row; the notifications rows and a signal per new row to
# open streams; the mails, each in the status its recipient's preference for the category
# calls for (a mailbox has no preferences: the default), none for whom wants no mail; a
# wake-up call to the delivery workers if a mail is due now. Signals are heard at commit.
# Rows travel as one JSON array each, whatever their number.
_WRITE = sa.text(
    f"""
    WITH recorded AS ({INBOX_RECORD_SQL}),
    written AS (
        INSERT INTO notifications (id, event_id, recipient_sub, category, title, body, link)
        SELECT r.id, r.event_id, r.recipient_sub, r.category, r.title, r.body, r.link
          FROM jsonb_to_recordset(:rows) AS r(id uuid, event_id uuid, recipient_sub text,
                                             category text, title text, body text, link text)
         WHERE EXISTS (SELECT FROM recorded)
        ON CONFLICT ON CONSTRAINT uq_notifications_event_recipient DO NOTHING
        RETURNING id, recipient_sub
    ),
    signalled AS (
        SELECT pg_notify('{INBOX_CHANNEL}',
                         json_build_object('sub', recipient_sub, 'id', id)::text)
          FROM written
    ),
    mailed AS (
        INSERT INTO email_deliveries (id, event_id, event_type, recipient_sub,
                                      recipient_address, recipient_name, category, subject,
                                      message, link, text_body, html_body, status)
        SELECT m.id, m.event_id, m.event_type, m.recipient_sub, m.recipient_address,
               m.recipient_name, m.category, m.subject, m.message, m.link, m.text_body,
               m.html_body, chosen.status
          FROM jsonb_to_recordset(:mails) AS m(id uuid, event_id uuid, event_type text,
                                               recipient_sub text, recipient_address text,
                                               recipient_name text, category text,
                                               subject text, message text, link text,
                                               text_body text, html_body text)
          LEFT JOIN preferences p
                 ON p.recipient_sub = m.recipient_sub AND p.category = m.category
         CROSS JOIN LATERAL (
                SELECT (:statuses ->> coalesce(p.email, :default_mode)) AS status) AS chosen
         WHERE chosen.status IS NOT NULL AND EXISTS (SELECT FROM recorded)
        ON CONFLICT ON CONSTRAINT uq_email_deliveries_event_recipient DO NOTHING
        RETURNING status
    ),
    woken AS (
        SELECT pg_notify('{DELIVERY_CHANNEL}', '') FROM mailed WHERE status = 'pending' LIMIT 1
    )
    SELECT (SELECT count(*) FROM recorded) AS recorded,
           (SELECT count(*) FROM signalled) AS signalled,
           (SELECT count(*) FROM woken) AS woken
    """
).bindparams(
    sa.bindparam("rows", type_=JSONB),
    sa.bindparam("mails", type_=JSONB),
    sa.bindparam("statuses", type_=JSONB),
)
# The status a mail starts in for each email mode (domain.initial_status); a mode missing
# here (none) sends no mail.
_STATUSES = {
    mode: status
    for mode in get_args(domain.EmailMode)
    if (status := domain.initial_status(mode)) is not None
}


def handlers(directory: Directory, renderer: MailRenderer) -> dict[type[Event], OneStatement]:
    """The same handler for every event of the routing table (a test proves it has them all)."""

    def params(envelope: Envelope[Event]) -> dict[str, Any]:
        notices = plan(envelope.payload, directory)
        event_id = str(envelope.event_id)
        return {
            "rows": [_inbox_row(event_id, n) for n in notices if n.sub is not None],
            # Rendered before the preferences are known: a mail nobody wants is rare.
            "mails": [_mail_row(envelope, n, renderer) for n in notices if n.email is not None],
            "statuses": _STATUSES,
            "default_mode": domain.DEFAULT_EMAIL_MODE,
        }

    return dict.fromkeys(ROUTES, OneStatement(_WRITE, params))


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


def _mail_row(envelope: Envelope[Event], notice: Notice, renderer: MailRenderer) -> dict[str, Any]:
    mail = renderer.notice(name=notice.name, title=notice.title, body=notice.body, link=notice.link)
    return {
        "id": str(uuid.uuid4()),
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "recipient_sub": notice.sub,
        "recipient_address": notice.email,
        "recipient_name": notice.name,
        "category": notice.category,
        "subject": mail.subject[:400],
        "message": notice.body,
        "link": notice.link,
        "text_body": mail.text,
        "html_body": mail.html,
    }
