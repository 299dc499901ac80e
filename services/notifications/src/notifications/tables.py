"""The notifications database: the intranet inbox of every agent."""

import sqlalchemy as sa
from construisons.db import new_metadata
from sqlalchemy.dialects.postgresql import UUID

metadata = new_metadata()

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
