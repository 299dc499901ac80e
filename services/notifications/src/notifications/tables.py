"""The notifications database: intranet inbox, email deliveries, preferences, digest runs."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from construisons.db import new_metadata

metadata = new_metadata()

# The intranet channel: one row per (event, recipient).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recipient_sub", sa.String(200), nullable=False),
    sa.Column("category", sa.String(60), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("link", sa.String(500)),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("event_id", "recipient_sub", name="uq_notifications_event_recipient"),
    sa.Index("ix_notifications_recipient_created", "recipient_sub", sa.text("created_at DESC")),
)

# The email channel: one row per (event, address), written before any SMTP call.
# A digest is a delivery too (event_id NULL) grouping rows in status `in_digest`.
email_deliveries = sa.Table(
    "email_deliveries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("event_type", sa.String(200)),
    sa.Column("recipient_sub", sa.String(200)),
    sa.Column("recipient_address", sa.String(320), nullable=False),
    sa.Column("recipient_name", sa.String(200)),
    sa.Column("category", sa.String(60), nullable=False),
    sa.Column("subject", sa.String(400), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("link", sa.String(500)),
    sa.Column("text_body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("digest_id", UUID(as_uuid=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column(
        "next_attempt_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
    ),
    sa.Column("last_error", sa.Text),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint(
        "event_id", "recipient_address", name="uq_email_deliveries_event_recipient"
    ),
    sa.CheckConstraint(
        "status IN ('pending', 'awaiting_digest', 'in_digest', 'sent', 'failed')",
        name="status",
    ),
    sa.Index(
        "ix_email_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index(
        "ix_email_deliveries_awaiting_digest",
        "recipient_address",
        postgresql_where=sa.text("status = 'awaiting_digest'"),
    ),
    sa.Index("ix_email_deliveries_status_created", "status", "created_at"),
)
# The statuses of the two partial indexes above, as SQL literals for the statements that
# need those indexes: compared with a bound parameter instead, a status does not prove the
# index's predicate once PostgreSQL plans the prepared statement generically, and the due
# mails were then found by reading every delivery ever made (18 ms per claim at 24,000).
PENDING = sa.literal_column("'pending'", sa.String)
AWAITING_DIGEST = sa.literal_column("'awaiting_digest'", sa.String)

# How each person wants email for each category (absent row: the default).
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("recipient_sub", sa.String(200), primary_key=True),
    sa.Column("category", sa.String(60), primary_key=True),
    sa.Column("email", sa.String(20), nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.CheckConstraint("email IN ('immediate', 'digest', 'none')", name="email"),
)

# One row per local day whose scheduled digest has run: replicas run it once.
digest_runs = sa.Table(
    "digest_runs",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
