"""The review database: one case per idea, from qualification to the committee's decision."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from construisons.db import new_metadata

metadata = new_metadata()

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("created_by", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

session_members = sa.Table(
    "session_members",
    metadata,
    sa.Column("session_id", UUID(as_uuid=True), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("member_sub", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)

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
    sa.Column("expected_benefits", sa.Text),
    sa.Column("beneficiaries", sa.Text),
    sa.Column("themes", JSONB, nullable=False, server_default="[]"),
    sa.Column("co_authors", JSONB, nullable=False, server_default="[]"),
    # The author's directorate at submission: statistics are broken down by it.
    sa.Column("directorate", sa.String(200)),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("due_on", sa.Date),
    sa.Column("assignee", JSONB),
    sa.Column("first_contact_at", sa.DateTime(timezone=True)),
    sa.Column("overdue_notified_at", sa.DateTime(timezone=True)),
    sa.Column("fit", JSONB),
    sa.Column("summary", sa.Text),
    sa.Column("concerned_directorates", JSONB, nullable=False, server_default="[]"),
    sa.Column("qualified_at", sa.DateTime(timezone=True)),
    sa.Column("duplicate_of", UUID(as_uuid=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("session_id", UUID(as_uuid=True), sa.ForeignKey("sessions.id")),
    sa.Column("decision", sa.String(20)),
    sa.Column("decision_reason", sa.Text),
    sa.Column("redirected_to", JSONB, nullable=False, server_default="[]"),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", JSONB),
    sa.Index("ix_cases_status_due_on", "status", "due_on"),
    sa.Index("ix_cases_session_id", "session_id"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("idea_id", UUID(as_uuid=True), sa.ForeignKey("cases.idea_id"), nullable=False),
    sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("logged_by", JSONB, nullable=False),
    sa.Column(
        "logged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("ix_contacts_idea_id", "idea_id"),
)

scorecards = sa.Table(
    "scorecards",
    metadata,
    sa.Column("idea_id", UUID(as_uuid=True), sa.ForeignKey("cases.idea_id"), primary_key=True),
    sa.Column("member_sub", sa.String(200), primary_key=True),
    sa.Column("member", JSONB, nullable=False),
    sa.Column("scores", JSONB, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

history = sa.Table(
    "case_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("idea_id", UUID(as_uuid=True), sa.ForeignKey("cases.idea_id"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("actor", JSONB),
    sa.Column("details", JSONB, nullable=False, server_default="{}"),
    sa.Index("ix_case_history_idea_id", "idea_id"),
)
