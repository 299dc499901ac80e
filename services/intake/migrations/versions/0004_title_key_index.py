"""index ideas by normalised title

Finds ideas of the same title (case and accents ignored) at any age, in a bounded time, for
the similar-ideas answer of each submission.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ideas_title_key", "ideas", ["title_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ideas_title_key", table_name="ideas")
