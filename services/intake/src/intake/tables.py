"""The intake database: ideas as submitted and shown on the board, supports, comments."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from construisons.db import new_metadata

metadata = new_metadata()

# `immutable_unaccent` is created by migration 0002 (in PL/pgSQL since 0006): unaccent()
# itself is only STABLE, and generated columns and index expressions need an IMMUTABLE
# function.
SEARCH_VECTOR = (
    "setweight(to_tsvector('french'::regconfig, immutable_unaccent(title)), 'A') || "
    "setweight(to_tsvector('french'::regconfig, immutable_unaccent("
    "problem || ' ' || solution || ' ' || coalesce(expected_benefits, ''))), 'B')"
)
# Compared with pg_trgm's similarity() when ranking likely duplicates.
TITLE_KEY = "lower(immutable_unaccent(title))"

ideas = sa.Table(
    "ideas",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("solution", sa.Text, nullable=False),
    sa.Column("expected_benefits", sa.Text),
    sa.Column("themes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("beneficiaries", sa.String(20)),
    sa.Column("co_authors", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("show_author", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("author_sub", sa.String(200), nullable=False, index=True),
    sa.Column("author", JSONB, nullable=False),
    sa.Column("author_directorate", sa.String(200)),
    sa.Column("manager", JSONB),
    sa.Column("status", sa.String(40), nullable=False, server_default="submitted"),
    # occurred_at of the event that set `status`: an older event never overwrites it.
    sa.Column(
        "status_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("track", sa.String(20)),
    sa.Column("redirected_to", ARRAY(sa.Text), nullable=False, server_default="{}"),
    # Set by the first decision event received, whatever order the events arrive in.
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("support_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("comment_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("search", TSVECTOR, sa.Computed(SEARCH_VECTOR, persisted=True)),
    sa.Column("title_key", sa.Text, sa.Computed(TITLE_KEY, persisted=True)),
    # Keyset pagination: one index per sort order, the id breaking ties.
    sa.Index("ix_ideas_newest", sa.text("created_at DESC"), sa.text("id DESC")),
    sa.Index(
        "ix_ideas_most_supported",
        sa.text("support_count DESC"),
        sa.text("created_at DESC"),
        sa.text("id DESC"),
    ),
    sa.Index("ix_ideas_recently_changed", sa.text("updated_at DESC"), sa.text("id DESC")),
    sa.Index("ix_ideas_status_newest", "status", sa.text("created_at DESC"), sa.text("id DESC")),
    sa.Index("ix_ideas_author_directorate", "author_directorate"),
    sa.Index("ix_ideas_themes", "themes", postgresql_using="gin"),
    sa.Index("ix_ideas_co_authors", "co_authors", postgresql_using="gin"),
    sa.Index("ix_ideas_search", "search", postgresql_using="gin"),
    sa.Index("ix_ideas_title_key", "title_key"),
)

idea_timeline = sa.Table(
    "idea_timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "idea_id", UUID(as_uuid=True), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("details", JSONB, nullable=False, server_default="{}"),
    # The event that brought the change (unique: a replayed event adds no second entry).
    sa.Column("event_id", UUID(as_uuid=True), unique=True),
    sa.Index("ix_idea_timeline_idea", "idea_id", "occurred_at"),
)

supports = sa.Table(
    "supports",
    metadata,
    sa.Column(
        "idea_id",
        UUID(as_uuid=True),
        sa.ForeignKey("ideas.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("agent_sub", sa.String(200), primary_key=True),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "idea_id", UUID(as_uuid=True), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("author_sub", sa.String(200), nullable=False),
    sa.Column("author", JSONB, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("hidden_at", sa.DateTime(timezone=True)),
    sa.Column("hidden_by", JSONB),
    sa.Column("hidden_reason", sa.Text),
    sa.Index("ix_comments_idea", "idea_id", "created_at", "id"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    # The primary key is what makes concurrent identical posts create one idea.
    sa.Column("agent_sub", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("idea_id", UUID(as_uuid=True)),
    sa.Column("status_code", sa.Integer),
    sa.Column("response", JSONB),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
