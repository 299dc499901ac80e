"""The intrapreneur's time: requests, the manager's decision, renewals."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.auth import INNOVATION_TEAM, CurrentAgent, Principal
from construisons.db import SessionDep
from construisons.events import Person, TimeAllocationDecided, TimeAllocationRequested
from construisons.messaging import emit
from incubation.api.schemas import (
    RenewalIn,
    TimeAllocation,
    TimeAllocationPage,
    TimeDecisionIn,
    TimeRequestIn,
    time_allocation,
)
from incubation.domain import Forbidden, Invalid, Refused
from incubation.domain.phases import ensure_open
from incubation.domain.rights import ensure_intrapreneur, ensure_may_see_time
from incubation.domain.time_allocation import (
    GRANTED,
    Grant,
    GrantedAllocation,
    check_ceiling,
    decide,
    decided_on_behalf,
    ensure_pending,
    renewal_period,
    requested_grant,
    share_from_days,
)
from incubation.queries import ALLOCATION_NOT_FOUND, Project, load_allocation, load_project
from incubation.tables import projects, time_allocations

router = APIRouter(tags=["temps de l'intrapreneur"])


def _today() -> date:
    return datetime.now(UTC).date()


async def _manager_of(session: AsyncSession, project: Project, principal: Principal) -> Person:
    """The manager recorded with the approved idea, or else the one the intranet's sign-on
    gives for the intrapreneur, recorded on the project from now on."""
    if project.manager is not None:
        return project.manager
    manager = principal.manager
    if manager is None:
        raise Refused(
            "Aucun responsable hiérarchique n'est connu pour l'intrapreneur : la demande de "
            "temps ne peut pas lui être adressée. Contactez l'équipe innovation."
        )
    await session.execute(
        sa.update(projects)
        .where(projects.c.id == project.row.id)
        .values(manager=manager.model_dump(mode="json"), manager_sub=manager.sub)
    )
    return manager


async def _create_request(
    session: AsyncSession,
    project: Project,
    principal: Principal,
    grant: Grant,
    days_per_week: float | None,
    justification: str,
    renews: uuid.UUID | None = None,
) -> TimeAllocation:
    manager = await _manager_of(session, project, principal)
    allocation_id = uuid.uuid4()
    row = (
        await session.execute(
            sa.insert(time_allocations)
            .values(
                id=allocation_id,
                project_id=project.row.id,
                agent_sub=project.row.intrapreneur_sub,
                manager_sub=manager.sub,
                intrapreneur=project.row.intrapreneur,
                manager=manager.model_dump(mode="json"),
                requested_share_percent=grant.share_percent,
                requested_days_per_week=days_per_week,
                requested_starts_on=grant.starts_on,
                requested_ends_on=grant.ends_on,
                justification=justification,
                renews=renews,
            )
            .returning(*time_allocations.c)
        )
    ).one()
    await emit(
        session,
        TimeAllocationRequested(
            allocation_id=allocation_id,
            project_id=project.row.id,
            idea_id=project.row.idea_id,
            title=project.row.title,
            intrapreneur=project.intrapreneur,
            manager=manager,
            share_percent=grant.share_percent,
            starts_on=grant.starts_on,
            ends_on=grant.ends_on,
            justification=justification,
        ),
        correlation_id=project.correlation_id,
    )
    out = time_allocation(row, project.row.title)
    await session.commit()
    return out


@router.post(
    "/projects/{project_id}/time-allocations",
    status_code=status.HTTP_201_CREATED,
    summary="Demander du temps pour le projet",
    description=(
        "L'intrapreneur uniquement : une part de son temps de travail (en pourcentage, ou en "
        "jours par semaine sur une semaine de 5 jours) sur une période, avec une "
        "justification. La demande est adressée à son responsable hiérarchique."
    ),
)
async def request_time(
    project_id: uuid.UUID, body: TimeRequestIn, principal: CurrentAgent, session: SessionDep
) -> TimeAllocation:
    project = await load_project(session, project_id, for_update=True)
    ensure_intrapreneur(principal, project.people)
    ensure_open(project.row.phase)
    grant = requested_grant(
        body.share_percent, body.days_per_week, body.starts_on, body.ends_on, _today()
    )
    return await _create_request(
        session, project, principal, grant, body.days_per_week, body.justification
    )


@router.post(
    "/time-allocations/{allocation_id}/renewal",
    status_code=status.HTTP_201_CREATED,
    summary="Renouveler une allocation de temps avant son terme",
    description=(
        "L'intrapreneur uniquement, pour une allocation approuvée qui n'a pas encore pris fin : "
        "une nouvelle demande qui commence le lendemain de sa fin, adressée au responsable."
    ),
)
async def renew_time(
    allocation_id: uuid.UUID, body: RenewalIn, principal: CurrentAgent, session: SessionDep
) -> TimeAllocation:
    current = await load_allocation(session, allocation_id)
    project = await load_project(session, current.project_id, for_update=True)
    ensure_intrapreneur(principal, project.people)
    ensure_open(project.row.phase)
    granted = None
    if current.status in GRANTED:
        granted = Grant(
            float(current.granted_share_percent),
            current.granted_starts_on,
            current.granted_ends_on,
        )
    period = renewal_period(current.status, granted, body.ends_on, _today())
    pending = await session.scalar(
        sa.select(time_allocations.c.id).where(
            time_allocations.c.renews == allocation_id,
            time_allocations.c.status == "requested",
        )
    )
    if pending is not None:
        raise Refused("Un renouvellement de cette allocation attend déjà une réponse.")
    if body.share_percent is not None or body.days_per_week is not None:
        period = requested_grant(
            body.share_percent, body.days_per_week, period.starts_on, period.ends_on, _today()
        )
    return await _create_request(
        session,
        project,
        principal,
        period,
        body.days_per_week,
        body.justification,
        renews=allocation_id,
    )


@router.post(
    "/time-allocations/{allocation_id}/decision",
    summary="Décider d'une demande de temps",
    description=(
        "Le responsable hiérarchique enregistré pour l'intrapreneur, ou l'équipe innovation "
        "en son nom (tracé comme tel) : approuver, approuver avec une part plus faible ou une "
        "période plus courte, ou refuser avec une raison. Les allocations approuvées d'un "
        "agent ne peuvent dépasser 100 % de son temps sur aucun jour (409)."
    ),
)
async def decide_time(
    allocation_id: uuid.UUID, body: TimeDecisionIn, principal: CurrentAgent, session: SessionDep
) -> TimeAllocation:
    current = await load_allocation(session, allocation_id)
    on_behalf = decided_on_behalf(principal, current.manager_sub, current.agent_sub)
    # One decision at a time per agent: the 100 % ceiling is checked against committed grants.
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(current.agent_sub)))
    )
    current = await load_allocation(session, allocation_id, for_update=True)
    ensure_pending(current.status)
    project = await load_project(session, current.project_id)
    ensure_open(project.row.phase)
    share = body.share_percent
    if body.days_per_week is not None:
        if share is not None:
            raise Invalid(
                "Indiquez la part accordée soit en pourcentage, soit en jours par semaine."
            )
        share = share_from_days(body.days_per_week)
    requested = Grant(
        float(current.requested_share_percent),
        current.requested_starts_on,
        current.requested_ends_on,
    )
    decision = decide(
        requested,
        body.decision,
        share_percent=share,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        reason=body.reason,
    )
    if decision.grant is not None:
        check_ceiling(decision.grant, await _granted_to(session, current.agent_sub))
    decided_by = principal.person
    grant = decision.grant
    row = (
        await session.execute(
            sa.update(time_allocations)
            .where(time_allocations.c.id == allocation_id)
            .values(
                status=decision.decision,
                granted_share_percent=grant.share_percent if grant else None,
                granted_starts_on=grant.starts_on if grant else None,
                granted_ends_on=grant.ends_on if grant else None,
                decision_reason=decision.reason,
                decided_by=decided_by.model_dump(mode="json"),
                on_behalf_of_manager=on_behalf,
                decided_at=datetime.now(UTC),
            )
            .returning(*time_allocations.c)
        )
    ).one()
    await emit(
        session,
        TimeAllocationDecided(
            allocation_id=allocation_id,
            project_id=project.row.id,
            idea_id=project.row.idea_id,
            title=project.row.title,
            intrapreneur=Person.model_validate(current.intrapreneur),
            manager=Person.model_validate(current.manager),
            decision=decision.decision,
            share_percent=grant.share_percent if grant else None,
            starts_on=grant.starts_on if grant else None,
            ends_on=grant.ends_on if grant else None,
            reason=decision.reason,
            decided_by=decided_by,
            on_behalf_of_manager=on_behalf,
        ),
        correlation_id=project.correlation_id,
    )
    out = time_allocation(row, project.row.title)
    await session.commit()
    return out


async def _granted_to(session: AsyncSession, agent_sub: str) -> list[GrantedAllocation]:
    rows = await session.execute(
        sa.select(time_allocations, projects.c.title)
        .join(projects, projects.c.id == time_allocations.c.project_id)
        .where(
            time_allocations.c.agent_sub == agent_sub,
            time_allocations.c.status.in_(GRANTED),
        )
    )
    return [
        GrantedAllocation(
            title=row.title,
            grant=Grant(
                float(row.granted_share_percent), row.granted_starts_on, row.granted_ends_on
            ),
        )
        for row in rows
    ]


def _with_titles() -> sa.Select[Any]:
    return sa.select(time_allocations, projects.c.title.label("project_title")).join(
        projects, projects.c.id == time_allocations.c.project_id
    )


@router.get(
    "/time-allocations",
    summary="Demandes de temps en attente de décision",
    description=(
        "`manager=me` : les demandes qui attendent la décision de l'appelant, pour tout agent "
        "(un responsable voit celles de ses agents). Sans ce filtre : toutes les demandes en "
        "attente, pour l'équipe innovation uniquement."
    ),
)
async def pending_time_allocations(
    principal: CurrentAgent,
    session: SessionDep,
    manager: Annotated[Literal["me"] | None, Query()] = None,
) -> TimeAllocationPage:
    query = _with_titles().where(time_allocations.c.status == "requested")
    if manager == "me":
        query = query.where(time_allocations.c.manager_sub == principal.sub)
    elif not principal.has_role(INNOVATION_TEAM):
        raise Forbidden(
            "Seule l'équipe innovation voit toutes les demandes ; utilisez manager=me pour "
            "celles qui attendent votre décision."
        )
    rows = await session.execute(query.order_by(time_allocations.c.requested_at))
    return TimeAllocationPage(items=[time_allocation(row, row.project_title) for row in rows])


@router.get(
    "/time-allocations/{allocation_id}",
    summary="Consulter une demande de temps",
    description="L'intrapreneur, son responsable et l'équipe innovation.",
)
async def get_time_allocation(
    allocation_id: uuid.UUID, principal: CurrentAgent, session: SessionDep
) -> TimeAllocation:
    row = (
        await session.execute(_with_titles().where(time_allocations.c.id == allocation_id))
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, ALLOCATION_NOT_FOUND)
    ensure_may_see_time(principal, row.agent_sub, row.manager_sub)
    return time_allocation(row, row.project_title)


@router.get(
    "/projects/{project_id}/time-allocations",
    summary="Historique des demandes de temps du projet",
    description="L'intrapreneur, son responsable et l'équipe innovation.",
)
async def project_time_allocations(
    project_id: uuid.UUID, principal: CurrentAgent, session: SessionDep
) -> TimeAllocationPage:
    project = await load_project(session, project_id)
    ensure_may_see_time(principal, project.row.intrapreneur_sub, project.row.manager_sub)
    rows = await session.execute(
        _with_titles()
        .where(time_allocations.c.project_id == project_id)
        .order_by(time_allocations.c.requested_at)
    )
    return TimeAllocationPage(items=[time_allocation(row, row.project_title) for row in rows])
