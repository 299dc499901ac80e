"""What the review routes share: settings, today's date, the full view of a case."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.events import Person
from review import queries, views
from review.config import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]
# A filter value: one line, no control characters (PostgreSQL refuses NUL in text).
FilterText = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


def today() -> date:
    """Today in UTC: due dates and overdue checks are all in UTC days."""
    return datetime.now(UTC).date()


def person_of(value: dict | None) -> Person | None:
    return Person.model_validate(value) if value else None


async def case_detail(
    session: AsyncSession, settings: Settings, idea_id: uuid.UUID
) -> views.CaseDetail:
    """The whole case as the team and the committee see it."""
    row = await queries.case_row(session, idea_id)
    cards = (await queries.scorecards_of(session, [idea_id]))[idea_id]
    members = await queries.members_of(session, [row.session_id])
    sessions = await queries.sessions_by_id(session, [row.session_id])
    return views.case_detail(
        row,
        criteria=settings.criteria,
        cards=cards,
        expected=views.expected_scorers(row.session_id, members, settings.committee_size),
        session=sessions.get(row.session_id) if row.session_id else None,
        contacts=await queries.contacts_of(session, idea_id),
        history=await queries.history_of(session, idea_id),
        today=today(),
    )
