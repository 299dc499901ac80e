"""The incubation database: projects born of approved ideas, their team, workstreams,
journal, phase history and the intrapreneur's time allocations."""

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from construisons.db import new_metadata

metadata = new_metadata()


def _project_ref() -> "sa.Column[uuid.UUID]":
    return sa.Column(
        "project_id",
        UUID(as_uuid=True),
        sa.ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("idea_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("problem", sa.Text, nullable=False, server_default=""),
    sa.Column("solution", sa.Text, nullable=False, server_default=""),
    sa.Column("co_authors", JSONB, nullable=False, server_default="[]"),
    # Person documents as the events carry them, and their subs for filters and rights.
    sa.Column("intrapreneur", JSONB, nullable=False),
    sa.Column("intrapreneur_sub", sa.String(200), nullable=False, index=True),
    sa.Column("manager", JSONB),
    sa.Column("manager_sub", sa.String(200), index=True),
    sa.Column("directorate", sa.String(200), index=True),
    sa.Column("track", sa.String(20), nullable=False),
    sa.Column("phase", sa.String(40), nullable=False, index=True),
    # The idea's journey: every event about the project carries it.
    sa.Column("correlation_id", UUID(as_uuid=True)),
    sa.Column("outcome", JSONB),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

team_members = sa.Table(
    "team_members",
    metadata,
    _project_ref(),
    sa.Column("sub", sa.String(200), nullable=False, index=True),
    sa.Column("person", JSONB, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("added_by", JSONB, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("project_id", "sub"),
)

workstreams = sa.Table(
    "workstreams",
    metadata,
    _project_ref(),
    sa.Column("key", sa.String(40), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="todo"),
    sa.Column("not_applicable_reason", sa.Text),
    sa.Column("owner", JSONB),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("links", JSONB, nullable=False, server_default="[]"),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.PrimaryKeyConstraint("project_id", "key"),
)

journal_entries = sa.Table(
    "journal_entries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    _project_ref(),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("author", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

phase_changes = sa.Table(
    "phase_changes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    _project_ref(),
    sa.Column("from_phase", sa.String(40), nullable=False),
    sa.Column("to_phase", sa.String(40), nullable=False),
    sa.Column("gate_override_reason", sa.Text),
    sa.Column("changed_by", JSONB, nullable=False),
    sa.Column(
        "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

time_allocations = sa.Table(
    "time_allocations",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    _project_ref(),
    sa.Column("agent_sub", sa.String(200), nullable=False, index=True),
    sa.Column("manager_sub", sa.String(200), nullable=False, index=True),
    sa.Column("intrapreneur", JSONB, nullable=False),
    sa.Column("manager", JSONB, nullable=False),
    sa.Column("requested_share_percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("requested_days_per_week", sa.Numeric(3, 2)),
    sa.Column("requested_starts_on", sa.Date, nullable=False),
    sa.Column("requested_ends_on", sa.Date, nullable=False),
    sa.Column("justification", sa.Text, nullable=False),
    sa.Column("renews", UUID(as_uuid=True), sa.ForeignKey("time_allocations.id")),
    sa.Column("status", sa.String(30), nullable=False, server_default="requested"),
    sa.Column("granted_share_percent", sa.Numeric(5, 2)),
    sa.Column("granted_starts_on", sa.Date),
    sa.Column("granted_ends_on", sa.Date),
    sa.Column("decision_reason", sa.Text),
    sa.Column("decided_by", JSONB),
    sa.Column("on_behalf_of_manager", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column(
        "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
