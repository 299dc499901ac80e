"""Reads and locks the API needs, in SQLAlchemy Core."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.events import Person
from incubation.domain.rights import ProjectPeople
from incubation.domain.workstreams import Workstream
from incubation.tables import projects, team_members, time_allocations, workstreams

PROJECT_NOT_FOUND = "Projet introuvable."
ALLOCATION_NOT_FOUND = "Demande de temps introuvable."


@dataclass(frozen=True)
class Project:
    """A project row with its team, as most routes need it."""

    row: sa.Row[Any]
    team: Sequence[sa.Row[Any]]

    @property
    def people(self) -> ProjectPeople:
        return ProjectPeople(
            intrapreneur_sub=self.row.intrapreneur_sub,
            manager_sub=self.row.manager_sub,
            team_subs=frozenset(member.sub for member in self.team),
        )

    @property
    def intrapreneur(self) -> Person:
        return Person.model_validate(self.row.intrapreneur)

    @property
    def manager(self) -> Person | None:
        return Person.model_validate(self.row.manager) if self.row.manager else None

    @property
    def team_persons(self) -> list[Person]:
        """The team as events carry it (the intrapreneur has a field of their own)."""
        return [Person.model_validate(member.person) for member in self.team]

    @property
    def correlation_id(self) -> uuid.UUID:
        # Projects opened before correlation ids were stored continue the idea's journey.
        return self.row.correlation_id or self.row.idea_id


async def teams_of(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[sa.Row[Any]]]:
    """Team members of several projects at once, in the order they joined."""
    teams: dict[uuid.UUID, list[sa.Row[Any]]] = defaultdict(list)
    if not project_ids:
        return teams
    rows = await session.execute(
        sa.select(team_members)
        .where(team_members.c.project_id.in_(project_ids))
        .order_by(team_members.c.added_at, team_members.c.sub)
    )
    for row in rows:
        teams[row.project_id].append(row)
    return teams


async def load_project(
    session: AsyncSession, project_id: uuid.UUID, *, for_update: bool = False
) -> Project:
    """The project and its team; 404 when unknown. `for_update` serialises writers."""
    query = sa.select(projects).where(projects.c.id == project_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, PROJECT_NOT_FOUND)
    return Project(row, (await teams_of(session, [project_id]))[project_id])


async def workstream_rows(session: AsyncSession, project_id: uuid.UUID) -> list[sa.Row[Any]]:
    rows = await session.execute(
        sa.select(workstreams)
        .where(workstreams.c.project_id == project_id)
        .order_by(workstreams.c.position)
    )
    return list(rows)


def as_workstream(row: sa.Row[Any]) -> Workstream:
    return Workstream(
        key=row.key,
        label=row.label,
        status=row.status,
        not_applicable_reason=row.not_applicable_reason,
    )


async def load_allocation(
    session: AsyncSession, allocation_id: uuid.UUID, *, for_update: bool = False
) -> sa.Row[Any]:
    query = sa.select(time_allocations).where(time_allocations.c.id == allocation_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, ALLOCATION_NOT_FOUND)
    return row
