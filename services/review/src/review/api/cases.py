"""Qualification: the innovation team works each case with its author."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from construisons.auth import InnovationTeam, TeamOrCommittee
from construisons.db import SessionDep
from construisons.events import (
    IdeaClosedAsDuplicate,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaSentBack,
)
from construisons.http import Line, Text
from construisons.rules import Invalid
from review import queries, views
from review.api.common import FilterText, SettingsDep, case_detail, today
from review.domain import cases as lifecycle
from review.domain.cases import Status
from review.tables import cases, contacts

router = APIRouter(tags=["qualification"])

Channel = Literal["phone", "email", "meeting", "video", "other"]
# A contact logged with a date slightly ahead of the server's clock is still accepted.
CLOCK_TOLERANCE = timedelta(minutes=5)


class CaseList(BaseModel):
    items: list[views.CaseSummary]
    total: int


@router.get(
    "/cases",
    summary="Lister les dossiers (équipe innovation ou comité)",
    responses={401: {}, 403: {}},
)
async def list_cases(
    _: TeamOrCommittee,
    session: SessionDep,
    settings: SettingsDep,
    status_: Annotated[list[Status], Query(alias="status")] = [],  # noqa: B006
    assignee: FilterText = None,
    overdue: bool | None = None,
    directorate: FilterText = None,
    theme: FilterText = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseList:
    where = queries.case_filters(
        statuses=status_,
        assignee=assignee,
        overdue=overdue,
        directorate=directorate,
        theme=theme,
        today=today(),
    )
    total = await session.scalar(sa.select(sa.func.count()).select_from(cases).where(*where))
    rows = (
        await session.execute(
            sa.select(cases)
            .where(*where)
            .order_by(cases.c.submitted_at, cases.c.idea_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    ids = [row.idea_id for row in rows]
    cards = await queries.scorecards_of(session, ids)
    members = await queries.members_of(session, [row.session_id for row in rows])
    agenda = await queries.sessions_by_id(session, [row.session_id for row in rows])
    return CaseList(
        total=total or 0,
        items=[
            views.CaseSummary(
                **views.case_summary(
                    row,
                    criteria=settings.criteria,
                    cards=cards[row.idea_id],
                    expected=views.expected_scorers(
                        row.session_id, members, settings.committee_size
                    ),
                    session=agenda.get(row.session_id) if row.session_id else None,
                    today=today(),
                )
            )
            for row in rows
        ],
    )


@router.get(
    "/cases/{idea_id}",
    summary="Consulter un dossier et son historique (équipe innovation ou comité)",
    responses={401: {}, 403: {}, 404: {}},
)
async def get_case(
    idea_id: uuid.UUID, _: TeamOrCommittee, session: SessionDep, settings: SettingsDep
) -> views.CaseDetail:
    return await case_detail(session, settings, idea_id)


@router.post(
    "/cases/{idea_id}/assign",
    summary="Prendre le dossier en charge (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}},
)
async def assign_case(
    idea_id: uuid.UUID, member: InnovationTeam, session: SessionDep, settings: SettingsDep
) -> views.CaseDetail:
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        lifecycle.assign(Status(row.status))
        previous = row.assignee["sub"] if row.assignee else None
        await queries.update_case(session, idea_id, assignee=member.person.model_dump())
        await queries.record(session, idea_id, "assigned", member.person, previous=previous)
    return await case_detail(session, settings, idea_id)


class ContactIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "summary": "Échange avec l'auteure : le besoin est confirmé par trois collèges.",
                }
            ]
        },
    )

    contacted_at: datetime | None = Field(
        default=None, description="Date et heure du contact (par défaut : maintenant)."
    )
    channel: Channel
    summary: Text = Field(min_length=1, max_length=5000)

    @field_validator("contacted_at")
    @classmethod
    def _aware_and_past(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.tzinfo is None:
            raise ValueError("La date du contact doit préciser son fuseau horaire.")
        if value > datetime.now(UTC) + CLOCK_TOLERANCE:
            raise ValueError("La date du contact ne peut pas être dans le futur.")
        return value


@router.post(
    "/cases/{idea_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    summary="Consigner un contact avec l'auteur (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def log_contact(
    idea_id: uuid.UUID,
    body: ContactIn,
    member: InnovationTeam,
    session: SessionDep,
) -> views.ContactOut:
    contacted_at = body.contacted_at or datetime.now(UTC)
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        new_status = lifecycle.after_contact(Status(row.status))
        if contacted_at < row.submitted_at:
            raise Invalid("Le contact ne peut pas précéder le dépôt de l'idée.")
        contact_id = uuid.uuid4()
        logged = (
            await session.execute(
                sa.insert(contacts)
                .values(
                    id=contact_id,
                    idea_id=idea_id,
                    contacted_at=contacted_at,
                    channel=body.channel,
                    summary=body.summary,
                    logged_by=member.person.model_dump(),
                )
                .returning(contacts)
            )
        ).one()
        first = row.first_contact_at is None
        first_contact_at = contacted_at if first else min(row.first_contact_at, contacted_at)
        await queries.update_case(
            session, idea_id, status=new_status, first_contact_at=first_contact_at
        )
        await queries.record(
            session, idea_id, "contacted", member.person, channel=body.channel, status=new_status
        )
        if first:
            await queries.announce(
                session,
                row,
                IdeaQualificationStarted(
                    **queries.idea_of(row),
                    contacted_by=member.person,
                    channel=body.channel,
                ),
            )
    return views.contact_out(logged)


class FitGrid(BaseModel):
    """The short grid the team answers when qualifying."""

    model_config = ConfigDict(extra="forbid")

    problem_clearly_stated: bool
    solution_addresses_problem: bool
    beneficiaries: Text = Field(min_length=1, max_length=2000)
    directorates: list[Annotated[Line, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=30
    )


class QualifyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fit": {
                        "problem_clearly_stated": True,
                        "solution_addresses_problem": True,
                        "beneficiaries": "Les agents des collèges ruraux",
                        "directorates": ["Direction de l'éducation"],
                    },
                    "summary": "Mutualiser les trajets des agents entre collèges.",
                }
            ]
        },
    )

    fit: FitGrid
    summary: Text | None = Field(default=None, max_length=5000)


@router.post(
    "/cases/{idea_id}/qualify",
    summary="Qualifier l'idée et la transmettre au comité (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def qualify_case(
    idea_id: uuid.UUID,
    body: QualifyIn,
    member: InnovationTeam,
    session: SessionDep,
    settings: SettingsDep,
) -> views.CaseDetail:
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        lifecycle.check_fit(body.fit.problem_clearly_stated, body.fit.solution_addresses_problem)
        new_status = lifecycle.after_qualification(Status(row.status))
        directorates = list(dict.fromkeys(d.strip() for d in body.fit.directorates))
        await queries.update_case(
            session,
            idea_id,
            status=new_status,
            fit=body.fit.model_dump(),
            summary=body.summary,
            concerned_directorates=directorates,
            qualified_at=sa.func.now(),
        )
        await queries.record(
            session, idea_id, "qualified", member.person, directorates=directorates
        )
        await queries.announce(
            session,
            row,
            IdeaQualified(
                **queries.idea_of(row),
                summary=body.summary,
                directorates=directorates,
            ),
        )
    return await case_detail(session, settings, idea_id)


class SendBackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Pouvez-vous préciser combien d'agents sont concernés ?"}]
        },
    )

    reason: Text = Field(min_length=1, max_length=5000)


@router.post(
    "/cases/{idea_id}/send-back",
    summary="Renvoyer l'idée à son auteur pour compléments (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def send_back_case(
    idea_id: uuid.UUID,
    body: SendBackIn,
    member: InnovationTeam,
    session: SessionDep,
    settings: SettingsDep,
) -> views.CaseDetail:
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        new_status = lifecycle.after_send_back(Status(row.status))
        # Back with its author, the case leaves the agenda it may have been put on.
        await queries.update_case(session, idea_id, status=new_status, session_id=None)
        await queries.record(session, idea_id, "sent_back", member.person, reason=body.reason)
        await queries.announce(
            session,
            row,
            IdeaSentBack(
                **queries.idea_of(row),
                reason=body.reason,
            ),
        )
    return await case_detail(session, settings, idea_id)


class DuplicateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "duplicate_of": "3f0c2b8e-9a51-4a4e-9d1c-2f3e8b7a6c10",
                    "reason": "Même proposition que l'idée sur le covoiturage.",
                }
            ]
        },
    )

    duplicate_of: uuid.UUID
    reason: Text | None = Field(default=None, max_length=5000)


@router.post(
    "/cases/{idea_id}/close-as-duplicate",
    summary="Clore le dossier comme doublon d'une autre idée (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def close_as_duplicate(
    idea_id: uuid.UUID,
    body: DuplicateIn,
    member: InnovationTeam,
    session: SessionDep,
    settings: SettingsDep,
) -> views.CaseDetail:
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        new_status = lifecycle.after_duplicate(Status(row.status), idea_id, body.duplicate_of)
        original = await session.scalar(
            sa.select(cases.c.idea_id).where(cases.c.idea_id == body.duplicate_of)
        )
        if original is None:
            raise Invalid("L'idée désignée comme originale est introuvable.")
        await queries.update_case(
            session,
            idea_id,
            status=new_status,
            duplicate_of=body.duplicate_of,
            closed_at=sa.func.now(),
            session_id=None,
        )
        await queries.record(
            session,
            idea_id,
            "closed_as_duplicate",
            member.person,
            duplicate_of=str(body.duplicate_of),
            reason=body.reason,
        )
        await queries.announce(
            session,
            row,
            IdeaClosedAsDuplicate(
                **queries.idea_of(row),
                duplicate_of=body.duplicate_of,
                reason=body.reason,
            ),
        )
    return await case_detail(session, settings, idea_id)
