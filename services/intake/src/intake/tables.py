"""The intake database: ideas as submitted and shown on the board."""

import sqlalchemy as sa
from construisons.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = new_metadata()

ideas = sa.Table(
    "ideas",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("solution", sa.Text, nullable=False),
    sa.Column("author_sub", sa.String(200), nullable=False, index=True),
    sa.Column("author", JSONB, nullable=False),
    sa.Column("status", sa.String(40), nullable=False, server_default="submitted"),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
