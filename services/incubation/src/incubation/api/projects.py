"""Projects: listing, reading, the portfolio board, phase changes and closing."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.auth import CurrentAgent, InnovationTeam, Principal
from construisons.db import SessionDep
from construisons.events import (
    Phase,
    ProjectAbandoned,
    ProjectCompleted,
    ProjectPhaseChanged,
)
from construisons.messaging import emit
from incubation.api.schemas import (
    AbandonIn,
    CompletionIn,
    PhaseChangeIn,
    Portfolio,
    PortfolioColumn,
    PortfolioProject,
    ProjectFull,
    ProjectPage,
    ProjectPublic,
    project_full,
    project_public,
)
from incubation.domain.phases import PHASE_LABELS, PHASES, PhaseChange, change_phase, close
from incubation.domain.rights import may_read_everything
from incubation.queries import (
    Project,
    as_workstream,
    load_project,
    teams_of,
    workstream_rows,
)
from incubation.tables import journal_entries, phase_changes, projects, team_members

router = APIRouter(tags=["projets"])


@router.get(
    "/projects",
    summary="Lister les projets (partie publique)",
    description="Tout agent authentifié. Filtres : phase, direction, intrapreneur, coach "
    "(`me` pour soi-même), idée.",
)
async def list_projects(
    principal: CurrentAgent,
    session: SessionDep,
    phase: Phase | None = None,
    directorate: Annotated[str | None, Query(max_length=200)] = None,
    intrapreneur: Annotated[str | None, Query(max_length=200)] = None,
    coach: Annotated[str | None, Query(max_length=200)] = None,
    idea_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProjectPage:
    # "me" stands for the caller, for the intranet's "my projects" views.
    if intrapreneur == "me":
        intrapreneur = principal.sub
    if coach == "me":
        coach = principal.sub
    conditions: list[sa.ColumnElement[bool]] = []
    if phase is not None:
        conditions.append(projects.c.phase == phase)
    if directorate is not None:
        conditions.append(projects.c.directorate == directorate)
    if intrapreneur is not None:
        conditions.append(projects.c.intrapreneur_sub == intrapreneur)
    if idea_id is not None:
        conditions.append(projects.c.idea_id == idea_id)
    if coach is not None:
        conditions.append(
            sa.exists().where(
                team_members.c.project_id == projects.c.id,
                team_members.c.role == "coach",
                team_members.c.sub == coach,
            )
        )
    where = sa.and_(sa.true(), *conditions)
    total = await session.scalar(sa.select(sa.func.count()).select_from(projects).where(where))
    rows = list(
        await session.execute(
            sa.select(projects)
            .where(where)
            .order_by(projects.c.created_at.desc(), projects.c.id)
            .limit(limit)
            .offset(offset)
        )
    )
    teams = await teams_of(session, [row.id for row in rows])
    return ProjectPage(items=[project_public(row, teams[row.id]) for row in rows], total=total or 0)


@router.get(
    "/portfolio",
    summary="Portefeuille des projets par phase",
    description="Équipe innovation uniquement : le tableau de bord des projets, par phase.",
)
async def portfolio(_: InnovationTeam, session: SessionDep) -> Portfolio:
    rows = list(await session.execute(sa.select(projects).order_by(projects.c.updated_at.desc())))
    columns = {
        phase: PortfolioColumn(phase=phase, label=PHASE_LABELS[phase], count=0, projects=[])
        for phase in PHASES
    }
    for row in rows:
        column = columns[row.phase]
        column.count += 1
        column.projects.append(
            PortfolioProject(
                id=row.id,
                title=row.title,
                track=row.track,
                intrapreneur=row.intrapreneur,
                directorate=row.directorate,
                updated_at=row.updated_at,
            )
        )
    return Portfolio(total=len(rows), phases=list(columns.values()))


async def project_view(
    session: AsyncSession, project: Project, principal: Principal
) -> ProjectFull | ProjectPublic:
    """The whole project for those who may see it, its public part for everyone else."""
    if not may_read_everything(principal, project.people):
        return project_public(project.row, list(project.team))
    project_id = project.row.id
    journal = list(
        await session.execute(
            sa.select(journal_entries)
            .where(journal_entries.c.project_id == project_id)
            .order_by(journal_entries.c.occurred_on.desc(), journal_entries.c.created_at.desc())
        )
    )
    history = list(
        await session.execute(
            sa.select(phase_changes)
            .where(phase_changes.c.project_id == project_id)
            .order_by(phase_changes.c.changed_at)
        )
    )
    return project_full(
        project.row,
        list(project.team),
        await workstream_rows(session, project_id),
        journal,
        history,
    )


@router.get(
    "/projects/{project_id}",
    summary="Consulter un projet",
    description=(
        "Tout agent authentifié lit la partie publique (titre, phase, équipe, bilan) ; "
        "l'intrapreneur, son équipe, son responsable et l'équipe innovation voient tout."
    ),
)
async def get_project(
    project_id: uuid.UUID, principal: CurrentAgent, session: SessionDep
) -> ProjectFull | ProjectPublic:
    return await project_view(session, await load_project(session, project_id), principal)


async def _record_phase(
    session: AsyncSession, project: Project, change: PhaseChange, principal: Principal, **extra: Any
) -> None:
    now = datetime.now(UTC)
    await session.execute(
        sa.update(projects)
        .where(projects.c.id == project.row.id)
        .values(phase=change.to_phase, updated_at=now, **extra)
    )
    await session.execute(
        sa.insert(phase_changes).values(
            id=uuid.uuid4(),
            project_id=project.row.id,
            from_phase=change.from_phase,
            to_phase=change.to_phase,
            gate_override_reason=change.gate_override_reason,
            changed_by=principal.person.model_dump(mode="json"),
            changed_at=now,
        )
    )


async def _reloaded(
    session: AsyncSession, project_id: uuid.UUID, principal: Principal
) -> ProjectFull:
    """The project read back inside the transaction, then the transaction committed."""
    view = await project_view(session, await load_project(session, project_id), principal)
    await session.commit()
    # Only the innovation team changes phases, and it sees every project whole.
    assert isinstance(view, ProjectFull)
    return view


@router.post(
    "/projects/{project_id}/phase",
    summary="Faire avancer le projet d'une phase",
    description=(
        "Équipe innovation uniquement. Toujours vers l'avant ; quitter l'étude de faisabilité "
        "demande que chaque chantier soit fait ou sans objet, sauf dérogation motivée."
    ),
)
async def change_project_phase(
    project_id: uuid.UUID, body: PhaseChangeIn, principal: InnovationTeam, session: SessionDep
) -> ProjectFull:
    project = await load_project(session, project_id, for_update=True)
    streams = [as_workstream(row) for row in await workstream_rows(session, project_id)]
    change = change_phase(project.row.phase, body.to_phase, streams, body.gate_override_reason)
    await _record_phase(session, project, change, principal)
    await emit(
        session,
        ProjectPhaseChanged(
            project_id=project_id,
            idea_id=project.row.idea_id,
            title=project.row.title,
            intrapreneur=project.intrapreneur,
            team=project.team_persons,
            from_phase=change.from_phase,
            to_phase=change.to_phase,
            gate_override_reason=change.gate_override_reason,
        ),
        correlation_id=project.correlation_id,
    )
    return await _reloaded(session, project_id, principal)


@router.post(
    "/projects/{project_id}/complete",
    summary="Déclarer le projet terminé",
    description="Équipe innovation uniquement, pour un projet en mise en œuvre : ce qui a été "
    "mis en œuvre et pour qui.",
)
async def complete_project(
    project_id: uuid.UUID, body: CompletionIn, principal: InnovationTeam, session: SessionDep
) -> ProjectFull:
    project = await load_project(session, project_id, for_update=True)
    change = close(project.row.phase, "completed")
    outcome = {
        "kind": "completed",
        "implemented": body.implemented,
        "beneficiaries": body.beneficiaries,
        "closed_at": datetime.now(UTC).isoformat(),
    }
    await _record_phase(session, project, change, principal, outcome=outcome)
    await emit(
        session,
        ProjectCompleted(
            project_id=project_id,
            idea_id=project.row.idea_id,
            title=project.row.title,
            intrapreneur=project.intrapreneur,
            team=project.team_persons,
            implemented=body.implemented,
            beneficiaries=body.beneficiaries,
        ),
        correlation_id=project.correlation_id,
    )
    return await _reloaded(session, project_id, principal)


@router.post(
    "/projects/{project_id}/abandon",
    summary="Abandonner le projet",
    description="Équipe innovation uniquement, à toute phase ouverte : la raison et les "
    "enseignements.",
)
async def abandon_project(
    project_id: uuid.UUID, body: AbandonIn, principal: InnovationTeam, session: SessionDep
) -> ProjectFull:
    project = await load_project(session, project_id, for_update=True)
    change = close(project.row.phase, "abandoned")
    outcome = {
        "kind": "abandoned",
        "reason": body.reason,
        "lessons_learned": body.lessons_learned,
        "closed_at": datetime.now(UTC).isoformat(),
    }
    await _record_phase(session, project, change, principal, outcome=outcome)
    await emit(
        session,
        ProjectAbandoned(
            project_id=project_id,
            idea_id=project.row.idea_id,
            title=project.row.title,
            intrapreneur=project.intrapreneur,
            team=project.team_persons,
            reason=body.reason,
            lessons_learned=body.lessons_learned,
        ),
        correlation_id=project.correlation_id,
    )
    return await _reloaded(session, project_id, principal)
