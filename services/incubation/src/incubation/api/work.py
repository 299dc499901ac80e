"""Working on a project: its team, its workstreams and its journal."""

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy.dialects.postgresql import insert

from construisons.auth import CurrentAgent
from construisons.db import SessionDep
from incubation.api.schemas import (
    JournalEntry,
    JournalEntryIn,
    TeamMember,
    TeamMemberIn,
    WorkstreamIn,
    WorkstreamOut,
    WorkstreamPatch,
    journal_entry,
    team_member,
    workstream,
)
from incubation.domain import Refused
from incubation.domain.phases import ensure_open
from incubation.domain.rights import (
    ensure_contributor,
    ensure_may_read_everything,
    ensure_steward,
)
from incubation.domain.workstreams import set_status
from incubation.queries import load_project
from incubation.tables import journal_entries, projects, team_members, workstreams

router = APIRouter(tags=["travail sur le projet"])

WORKSTREAM_NOT_FOUND = "Chantier introuvable."


async def _touch(session: SessionDep, project_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(projects).where(projects.c.id == project_id).values(updated_at=sa.func.now())
    )


@router.post(
    "/projects/{project_id}/team",
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter un membre à l'équipe du projet",
    description="L'intrapreneur ou l'équipe innovation. Rôles : coach (de l'équipe innovation), "
    "expert, membre.",
)
async def add_team_member(
    project_id: uuid.UUID, body: TeamMemberIn, principal: CurrentAgent, session: SessionDep
) -> TeamMember:
    project = await load_project(session, project_id, for_update=True)
    ensure_steward(principal, project.people)
    ensure_open(project.row.phase)
    if body.person.sub == project.row.intrapreneur_sub:
        raise Refused("L'intrapreneur fait déjà partie du projet.")
    row = (
        await session.execute(
            insert(team_members)
            .values(
                project_id=project_id,
                sub=body.person.sub,
                person=body.person.person().model_dump(mode="json"),
                role=body.role,
                added_by=principal.person.model_dump(mode="json"),
            )
            .on_conflict_do_nothing()
            .returning(*team_members.c)
        )
    ).first()
    if row is None:
        raise Refused("Cette personne fait déjà partie de l'équipe du projet.")
    await _touch(session, project_id)
    await session.commit()
    return team_member(row)


@router.delete(
    "/projects/{project_id}/team/{sub}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retirer un membre de l'équipe du projet",
    description="L'intrapreneur ou l'équipe innovation.",
)
async def remove_team_member(
    project_id: uuid.UUID, sub: str, principal: CurrentAgent, session: SessionDep
) -> Response:
    project = await load_project(session, project_id, for_update=True)
    ensure_steward(principal, project.people)
    ensure_open(project.row.phase)
    removed = await session.scalar(
        sa.delete(team_members)
        .where(team_members.c.project_id == project_id, team_members.c.sub == sub)
        .returning(team_members.c.sub)
    )
    if removed is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "Cette personne ne fait pas partie de l'équipe."
        )
    await _touch(session, project_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/projects/{project_id}/workstreams",
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter un chantier au projet",
    description="L'intrapreneur ou l'équipe innovation.",
)
async def add_workstream(
    project_id: uuid.UUID, body: WorkstreamIn, principal: CurrentAgent, session: SessionDep
) -> WorkstreamOut:
    project = await load_project(session, project_id, for_update=True)
    ensure_steward(principal, project.people)
    ensure_open(project.row.phase)
    position = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(workstreams.c.position) + 1, 0)).where(
            workstreams.c.project_id == project_id
        )
    )
    row = (
        await session.execute(
            insert(workstreams)
            .values(project_id=project_id, key=body.key, label=body.label, position=position)
            .on_conflict_do_nothing()
            .returning(*workstreams.c)
        )
    ).first()
    if row is None:
        raise Refused(f"Le projet a déjà un chantier « {body.key} ».")
    await _touch(session, project_id)
    await session.commit()
    return workstream(row)


@router.patch(
    "/projects/{project_id}/workstreams/{key}",
    summary="Mettre à jour un chantier",
    description="L'intrapreneur, l'équipe du projet ou l'équipe innovation : statut (sans "
    "objet avec une raison), responsable, notes, liens vers les documents.",
)
async def update_workstream(
    project_id: uuid.UUID,
    key: str,
    body: WorkstreamPatch,
    principal: CurrentAgent,
    session: SessionDep,
) -> WorkstreamOut:
    project = await load_project(session, project_id, for_update=True)
    ensure_contributor(principal, project.people)
    ensure_open(project.row.phase)
    current = (
        await session.execute(
            sa.select(workstreams).where(
                workstreams.c.project_id == project_id, workstreams.c.key == key
            )
        )
    ).first()
    if current is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, WORKSTREAM_NOT_FOUND)
    given = body.model_fields_set
    values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if "status" in given or "not_applicable_reason" in given:
        new_status, reason = set_status(
            body.status or current.status,
            body.not_applicable_reason
            if "not_applicable_reason" in given
            else current.not_applicable_reason,
        )
        values.update(status=new_status, not_applicable_reason=reason)
    if "owner" in given:
        values["owner"] = body.owner.person().model_dump(mode="json") if body.owner else None
    if "notes" in given:
        values["notes"] = body.notes or ""
    if "links" in given:
        values["links"] = [{"label": link.label, "url": str(link.url)} for link in body.links or []]
    row = (
        await session.execute(
            sa.update(workstreams)
            .where(workstreams.c.project_id == project_id, workstreams.c.key == key)
            .values(**values)
            .returning(*workstreams.c)
        )
    ).one()
    await _touch(session, project_id)
    await session.commit()
    return workstream(row)


@router.post(
    "/projects/{project_id}/journal",
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter une entrée au journal du projet",
    description="L'intrapreneur, l'équipe du projet ou l'équipe innovation : réunion, "
    "décision ou jalon, datés.",
)
async def add_journal_entry(
    project_id: uuid.UUID, body: JournalEntryIn, principal: CurrentAgent, session: SessionDep
) -> JournalEntry:
    project = await load_project(session, project_id, for_update=True)
    ensure_contributor(principal, project.people)
    ensure_open(project.row.phase)
    row = (
        await session.execute(
            sa.insert(journal_entries)
            .values(
                id=uuid.uuid4(),
                project_id=project_id,
                kind=body.kind,
                occurred_on=body.occurred_on,
                title=body.title,
                body=body.body,
                author=principal.person.model_dump(mode="json"),
            )
            .returning(*journal_entries.c)
        )
    ).one()
    await _touch(session, project_id)
    await session.commit()
    return journal_entry(row)


@router.get(
    "/projects/{project_id}/journal",
    summary="Lire le journal du projet",
    description="L'intrapreneur, l'équipe du projet, son responsable et l'équipe innovation.",
)
async def list_journal(
    project_id: uuid.UUID, principal: CurrentAgent, session: SessionDep
) -> list[JournalEntry]:
    project = await load_project(session, project_id)
    ensure_may_read_everything(principal, project.people)
    rows = await session.execute(
        sa.select(journal_entries)
        .where(journal_entries.c.project_id == project_id)
        .order_by(journal_entries.c.occurred_on.desc(), journal_entries.c.created_at.desc())
    )
    return [journal_entry(row) for row in rows]
