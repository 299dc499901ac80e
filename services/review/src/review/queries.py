"""The reads and writes the review service needs, in SQLAlchemy Core."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.events import Event, Person
from construisons.messaging import emit
from construisons.rules import NotFound
from review.domain.cases import Status
from review.tables import cases, contacts, history, scorecards, session_members, sessions


async def case_row(session: AsyncSession, idea_id: uuid.UUID, *, lock: bool = False) -> Any:
    """The case's row, locked for the transaction when `lock`; 404 when there is none."""
    query = sa.select(cases).where(cases.c.idea_id == idea_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("Dossier introuvable.")
    return row


async def session_row(session: AsyncSession, session_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = sa.select(sessions).where(sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("Séance introuvable.")
    return row


def idea_of(row: Any) -> dict[str, Any]:
    """The fields every event about a case's idea carries: id, title, author, co-authors."""
    return {
        "idea_id": row.idea_id,
        "title": row.title,
        "author": Person.model_validate(row.author),
        "co_authors": row.co_authors,
    }


async def announce(session: AsyncSession, row: Any, event: Event) -> None:
    """Write an event to the outbox in the idea's journey (its submission's correlation id)."""
    await emit(session, event, correlation_id=row.correlation_id)


async def record(
    session: AsyncSession,
    idea_id: uuid.UUID,
    action: str,
    actor: Person | None,
    **details: Any,
) -> None:
    """Add a line to the case's history."""
    await session.execute(
        sa.insert(history).values(
            idea_id=idea_id,
            action=action,
            actor=actor.model_dump(mode="json") if actor else None,
            details=details,
        )
    )


async def update_case(session: AsyncSession, idea_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(cases)
        .where(cases.c.idea_id == idea_id)
        .values(updated_at=sa.func.now(), **values)
    )


async def scorecards_of(
    session: AsyncSession, idea_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    ids = list(idea_ids)
    found: dict[uuid.UUID, list[Any]] = {idea_id: [] for idea_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        sa.select(scorecards)
        .where(scorecards.c.idea_id.in_(ids))
        .order_by(scorecards.c.updated_at, scorecards.c.member_sub)
    )
    for row in rows:
        found[row.idea_id].append(row)
    return found


async def members_of(
    session: AsyncSession, session_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, list[Any]]:
    """Members recorded as present, per session."""
    ids = sorted({i for i in session_ids if i is not None})
    found: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        sa.select(session_members)
        .where(session_members.c.session_id.in_(ids))
        .order_by(session_members.c.name)
    )
    for row in rows:
        found[row.session_id].append(row)
    return found


async def sessions_by_id(
    session: AsyncSession, session_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, Any]:
    ids = sorted({i for i in session_ids if i is not None})
    if not ids:
        return {}
    rows = await session.execute(sa.select(sessions).where(sessions.c.id.in_(ids)))
    return {row.id: row for row in rows}


async def contacts_of(session: AsyncSession, idea_id: uuid.UUID) -> Sequence[Any]:
    return (
        await session.execute(
            sa.select(contacts)
            .where(contacts.c.idea_id == idea_id)
            .order_by(contacts.c.contacted_at, contacts.c.logged_at)
        )
    ).all()


async def history_of(session: AsyncSession, idea_id: uuid.UUID) -> Sequence[Any]:
    return (
        await session.execute(
            sa.select(history).where(history.c.idea_id == idea_id).order_by(history.c.id)
        )
    ).all()


def case_filters(
    *,
    statuses: Sequence[Status] = (),
    assignee: str | None = None,
    overdue: bool | None = None,
    directorate: str | None = None,
    theme: str | None = None,
    today: date,
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses of the case list; `overdue` follows domain.calendar.is_contact_overdue."""
    clauses: list[sa.ColumnElement[bool]] = []
    if statuses:
        clauses.append(cases.c.status.in_([s.value for s in statuses]))
    if assignee is not None:
        clauses.append(cases.c.assignee["sub"].astext == assignee)
    if directorate is not None:
        clauses.append(cases.c.directorate == directorate)
    if theme is not None:
        clauses.append(cases.c.themes.contains([theme]))
    late = sa.and_(cases.c.status == Status.SUBMITTED.value, cases.c.due_on < today)
    if overdue is True:
        clauses.append(late)
    elif overdue is False:
        clauses.append(sa.not_(late))
    return clauses
