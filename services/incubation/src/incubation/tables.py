"""The incubation database: projects born of approved ideas."""

import sqlalchemy as sa
from construisons.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = new_metadata()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("idea_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("intrapreneur", JSONB, nullable=False),
    sa.Column("manager", JSONB),
    sa.Column("track", sa.String(20), nullable=False),
    sa.Column("phase", sa.String(40), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
