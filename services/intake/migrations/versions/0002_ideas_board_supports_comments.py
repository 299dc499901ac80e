"""ideas board supports comments

French full-text search with accents ignored (unaccent + the `french` configuration) and
trigram similarity (pg_trgm); keyset-pagination indexes; supports, comments, timeline and
idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 16:14:57.010230
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    # unaccent() is only STABLE (its dictionary could change); pinning the dictionary makes
    # it safe to declare IMMUTABLE, which generated columns and indexes require.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION public.immutable_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
        """
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("agent_sub", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("idea_id", sa.UUID(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("agent_sub", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("idea_id", sa.UUID(), nullable=False),
        sa.Column("author_sub", sa.String(length=200), nullable=False),
        sa.Column("author", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_comments_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index("ix_comments_idea", "comments", ["idea_id", "created_at", "id"], unique=False)
    op.create_table(
        "idea_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("idea_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_timeline_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_timeline")),
        sa.UniqueConstraint("event_id", name=op.f("uq_idea_timeline_event_id")),
    )
    op.create_index(
        "ix_idea_timeline_idea", "idea_timeline", ["idea_id", "occurred_at"], unique=False
    )
    op.create_table(
        "supports",
        sa.Column("idea_id", sa.UUID(), nullable=False),
        sa.Column("agent_sub", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_supports_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("idea_id", "agent_sub", name=op.f("pk_supports")),
    )
    op.add_column("ideas", sa.Column("expected_benefits", sa.Text(), nullable=True))
    op.add_column(
        "ideas",
        sa.Column("themes", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("ideas", sa.Column("beneficiaries", sa.String(length=20), nullable=True))
    op.add_column(
        "ideas",
        sa.Column("co_authors", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "ideas",
        sa.Column("show_author", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column("ideas", sa.Column("author_directorate", sa.String(length=200), nullable=True))
    op.add_column(
        "ideas", sa.Column("manager", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "ideas",
        sa.Column(
            "status_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    )
    op.add_column("ideas", sa.Column("track", sa.String(length=20), nullable=True))
    op.add_column(
        "ideas",
        sa.Column(
            "redirected_to", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column("ideas", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ideas", sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "ideas", sa.Column("support_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "ideas", sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "ideas",
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('french'::regconfig, immutable_unaccent(title)), 'A') || setweight(to_tsvector('french'::regconfig, immutable_unaccent(problem || ' ' || solution || ' ' || coalesce(expected_benefits, ''))), 'B')",
                persisted=True,
            ),
            nullable=True,
        ),
    )
    op.add_column(
        "ideas",
        sa.Column(
            "title_key",
            sa.Text(),
            sa.Computed("lower(immutable_unaccent(title))", persisted=True),
            nullable=True,
        ),
    )
    op.create_index("ix_ideas_author_directorate", "ideas", ["author_directorate"], unique=False)
    op.create_index(
        "ix_ideas_co_authors", "ideas", ["co_authors"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_ideas_most_supported",
        "ideas",
        [
            sa.literal_column("support_count DESC"),
            sa.literal_column("created_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_ideas_newest",
        "ideas",
        [sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_ideas_recently_changed",
        "ideas",
        [sa.literal_column("updated_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index("ix_ideas_search", "ideas", ["search"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_ideas_status_newest",
        "ideas",
        ["status", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index("ix_ideas_themes", "ideas", ["themes"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_ideas_title_trgm",
        "ideas",
        ["title_key"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={"title_key": "gist_trgm_ops"},
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index(
        "ix_ideas_title_trgm",
        table_name="ideas",
        postgresql_using="gist",
        postgresql_ops={"title_key": "gist_trgm_ops"},
    )
    op.drop_index("ix_ideas_themes", table_name="ideas", postgresql_using="gin")
    op.drop_index("ix_ideas_status_newest", table_name="ideas")
    op.drop_index("ix_ideas_search", table_name="ideas", postgresql_using="gin")
    op.drop_index("ix_ideas_recently_changed", table_name="ideas")
    op.drop_index("ix_ideas_newest", table_name="ideas")
    op.drop_index("ix_ideas_most_supported", table_name="ideas")
    op.drop_index("ix_ideas_co_authors", table_name="ideas", postgresql_using="gin")
    op.drop_index("ix_ideas_author_directorate", table_name="ideas")
    op.drop_column("ideas", "title_key")
    op.drop_column("ideas", "search")
    op.drop_column("ideas", "comment_count")
    op.drop_column("ideas", "support_count")
    op.drop_column("ideas", "revision")
    op.drop_column("ideas", "decided_at")
    op.drop_column("ideas", "redirected_to")
    op.drop_column("ideas", "track")
    op.drop_column("ideas", "status_at")
    op.drop_column("ideas", "manager")
    op.drop_column("ideas", "author_directorate")
    op.drop_column("ideas", "show_author")
    op.drop_column("ideas", "co_authors")
    op.drop_column("ideas", "beneficiaries")
    op.drop_column("ideas", "themes")
    op.drop_column("ideas", "expected_benefits")
    op.drop_table("supports")
    op.drop_index("ix_idea_timeline_idea", table_name="idea_timeline")
    op.drop_table("idea_timeline")
    op.drop_index("ix_comments_idea", table_name="comments")
    op.drop_table("comments")
    op.drop_table("idempotency_keys")
    op.execute("DROP FUNCTION IF EXISTS public.immutable_unaccent(text)")
    # ### end Alembic commands ###
