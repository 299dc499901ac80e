"""The review database: one case per idea, from qualification to the committee's decision."""

import sqlalchemy as sa
from construisons.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = new_metadata()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("idea_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("solution", sa.Text, nullable=False),
    sa.Column("author", JSONB, nullable=False),
    sa.Column("manager", JSONB),
    sa.Column("status", sa.String(40), nullable=False, server_default="submitted"),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
