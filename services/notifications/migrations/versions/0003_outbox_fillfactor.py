"""Outbox pages keep room for the relay's mark of each row

The relay marks each published row (published_at), which writes a new version of the
row. On a full page that version goes to another page, and the WAL holds the whole row
again, the event's body included: about 870 bytes for an idea's submission in intake.
With room left on the page, the new version stays on it and PostgreSQL logs only the
bytes that changed. Pages already full stay as they are. Notifications publishes no event
today: its outbox is set as every service's is, as the shared model says.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox RESET (fillfactor)")
