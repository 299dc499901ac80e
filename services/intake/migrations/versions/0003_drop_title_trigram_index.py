"""drop the title trigram index

Measured at 100,000 ideas, a trigram index scan over titles that share most of their words
costs 75-450 ms; similar ideas are now found through the full-text index and the most recent
ideas, and trigram similarity only ranks those candidates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ideas_title_trgm", table_name="ideas", postgresql_using="gist")


def downgrade() -> None:
    op.create_index(
        "ix_ideas_title_trgm",
        "ideas",
        ["title_key"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={"title_key": "gist_trgm_ops"},
    )
