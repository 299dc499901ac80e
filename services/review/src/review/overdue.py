"""The background watch that tells when an author's first contact is overdue."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import FastAPI

from construisons.db import Sessions
from construisons.events import FirstContactOverdue, Person
from review.domain.cases import Status
from review.queries import announce, record
from review.tables import cases

log = logging.getLogger(__name__)
BATCH = 200


async def flag_overdue_contacts(sessionmaker: Sessions) -> int:
    """Emit FirstContactOverdue once for each case past its due day without a contact."""
    today = datetime.now(UTC).date()
    flagged = 0
    while True:
        async with sessionmaker.begin() as session:
            rows = (
                await session.execute(
                    sa.select(cases)
                    .where(
                        cases.c.status == Status.SUBMITTED.value,
                        cases.c.due_on < today,
                        cases.c.overdue_notified_at.is_(None),
                    )
                    .order_by(cases.c.due_on)
                    .limit(BATCH)
                    # Replicas share the work instead of flagging a case twice.
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await announce(
                    session,
                    row,
                    FirstContactOverdue(
                        idea_id=row.idea_id,
                        title=row.title,
                        author=Person.model_validate(row.author),
                        due_on=row.due_on,
                    ),
                )
                await record(
                    session, row.idea_id, "first_contact_overdue", None, due_on=str(row.due_on)
                )
            if rows:
                await session.execute(
                    sa.update(cases)
                    .where(cases.c.idea_id.in_([r.idea_id for r in rows]))
                    .values(overdue_notified_at=sa.func.now())
                )
        flagged += len(rows)
        if len(rows) < BATCH:
            return flagged


@asynccontextmanager
async def watch_first_contacts(app: FastAPI) -> AsyncIterator[None]:
    """Run the overdue check now and then every OVERDUE_SCAN_INTERVAL_SECONDS."""
    interval = app.state.settings.overdue_scan_interval_seconds

    async def loop() -> None:
        while True:
            try:
                await flag_overdue_contacts(app.state.sessionmaker)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("review: overdue first-contact check failed; retrying later")
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="review-overdue-contacts")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
