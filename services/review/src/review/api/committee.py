"""The committee: sessions and their agenda, scores, decisions and the minutes."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.auth import CommitteeMember, InnovationTeam, TeamOrCommittee
from construisons.db import SessionDep
from construisons.events import CaseScheduled, IdeaApproved, IdeaRedirected, Person
from construisons.http import Line, Text
from review import queries, render, views
from review.api.common import SettingsDep, case_detail, person_of, today
from review.config import Settings
from review.domain import cases as lifecycle
from review.domain import scoring
from review.domain.cases import OUTCOME_LABELS, STATUS_LABELS, Outcome, Status
from review.tables import cases, scorecards, session_members, sessions

router = APIRouter(tags=["committee"])


class MemberOut(BaseModel):
    sub: str
    name: str


class AgendaItem(BaseModel):
    idea_id: uuid.UUID
    title: str
    status: Status
    status_label: str
    decision: str | None


class SessionOut(BaseModel):
    id: uuid.UUID
    date: dt.date
    title: str
    created_by: Person
    created_at: dt.datetime
    members_present: list[MemberOut]
    agenda: list[AgendaItem]


class SessionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"date": "2027-01-14", "title": "Comité de direction générale de janvier"}]
        },
    )

    date: dt.date
    title: Line = Field(min_length=1, max_length=200)


async def _session_out(session: AsyncSession, session_id: uuid.UUID) -> SessionOut:
    row = await queries.session_row(session, session_id)
    members = (await queries.members_of(session, [session_id]))[session_id]
    agenda = (
        await session.execute(
            sa.select(cases.c.idea_id, cases.c.title, cases.c.status, cases.c.decision)
            .where(cases.c.session_id == session_id)
            .order_by(cases.c.qualified_at, cases.c.idea_id)
        )
    ).all()
    return SessionOut(
        id=row.id,
        date=row.held_on,
        title=row.title,
        created_by=Person.model_validate(row.created_by),
        created_at=row.created_at,
        members_present=[MemberOut(sub=m.member_sub, name=m.name) for m in members],
        agenda=[
            AgendaItem(
                idea_id=a.idea_id,
                title=a.title,
                status=Status(a.status),
                status_label=STATUS_LABELS[Status(a.status)],
                decision=a.decision,
            )
            for a in agenda
        ],
    )


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Créer une séance du comité (équipe innovation)",
    responses={401: {}, 403: {}, 422: {}},
)
async def create_session(
    body: SessionIn, member: InnovationTeam, session: SessionDep, response: Response
) -> SessionOut:
    session_id = uuid.uuid4()
    async with session.begin():
        await session.execute(
            sa.insert(sessions).values(
                id=session_id,
                held_on=body.date,
                title=body.title,
                created_by=member.person.model_dump(),
            )
        )
    response.headers["Location"] = f"/sessions/{session_id}"
    return await _session_out(session, session_id)


@router.get(
    "/sessions",
    summary="Lister les séances du comité (équipe innovation ou comité)",
    responses={401: {}, 403: {}},
)
async def list_sessions(_: TeamOrCommittee, session: SessionDep) -> list[SessionOut]:
    ids = (
        await session.scalars(sa.select(sessions.c.id).order_by(sessions.c.held_on.desc()))
    ).all()
    return [await _session_out(session, session_id) for session_id in ids]


@router.get(
    "/sessions/{session_id}",
    summary="Consulter une séance (équipe innovation ou comité)",
    responses={401: {}, 403: {}, 404: {}},
)
async def get_session(session_id: uuid.UUID, _: TeamOrCommittee, session: SessionDep) -> SessionOut:
    return await _session_out(session, session_id)


class AgendaIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"idea_id": "3f0c2b8e-9a51-4a4e-9d1c-2f3e8b7a6c10"}]},
    )

    idea_id: uuid.UUID


@router.post(
    "/sessions/{session_id}/agenda",
    summary="Inscrire une idée qualifiée à l'ordre du jour (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 409: {}},
)
async def schedule_case(
    session_id: uuid.UUID, body: AgendaIn, member: InnovationTeam, session: SessionDep
) -> SessionOut:
    async with session.begin():
        meeting = await queries.session_row(session, session_id)
        row = await queries.case_row(session, body.idea_id, lock=True)
        lifecycle.schedule(Status(row.status))
        if row.session_id == session_id:
            raise lifecycle.Refused("Cette idée est déjà à l'ordre du jour de cette séance.")
        await queries.update_case(session, body.idea_id, session_id=session_id)
        await queries.record(
            session,
            body.idea_id,
            "scheduled",
            member.person,
            session_id=str(session_id),
            previous_session_id=str(row.session_id) if row.session_id else None,
        )
        await queries.announce(
            session,
            row,
            CaseScheduled(
                idea_id=body.idea_id,
                title=row.title,
                session_id=session_id,
                session_title=meeting.title,
                session_date=meeting.held_on,
            ),
        )
    return await _session_out(session, session_id)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sub: Line = Field(min_length=1, max_length=200)
    name: Line = Field(min_length=1, max_length=200)


class MembersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"members": [{"sub": "dg.martin", "name": "Claire Martin"}]}]
        },
    )

    members: list[MemberIn] = Field(max_length=100)


@router.put(
    "/sessions/{session_id}/members",
    summary="Enregistrer les membres présents (équipe innovation)",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def record_members(
    session_id: uuid.UUID, body: MembersIn, _: InnovationTeam, session: SessionDep
) -> SessionOut:
    present = {m.sub: m.name for m in body.members}
    async with session.begin():
        await queries.session_row(session, session_id, lock=True)
        await session.execute(
            sa.delete(session_members).where(session_members.c.session_id == session_id)
        )
        if present:
            await session.execute(
                sa.insert(session_members),
                [
                    {"session_id": session_id, "member_sub": sub, "name": name}
                    for sub, name in present.items()
                ],
            )
    return await _session_out(session, session_id)


class ScoresIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scores": {"strategic_impact": 4, "feasibility": 3},
                    "comment": "Impact fort pour les collèges ruraux.",
                }
            ]
        },
    )

    scores: dict[Annotated[str, Field(max_length=60)], Annotated[int, Field(ge=1, le=5)]] = Field(
        max_length=50
    )
    comment: Text | None = Field(default=None, max_length=5000)


@router.put(
    "/cases/{idea_id}/scores",
    summary="Donner ou modifier ses propres notes (membre du comité)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def put_scores(
    idea_id: uuid.UUID,
    body: ScoresIn,
    member: CommitteeMember,
    session: SessionDep,
    settings: SettingsDep,
) -> views.CaseDetail:
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        scoring.check_scorecard(settings.criteria, body.scores)
        lifecycle.score(Status(row.status))
        if row.session_id is not None:
            present = (await queries.members_of(session, [row.session_id]))[row.session_id]
            if present and member.sub not in {m.member_sub for m in present}:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    "Seuls les membres présents à la séance peuvent noter cette idée.",
                )
        values = {
            "member": member.person.model_dump(),
            "scores": body.scores,
            "comment": body.comment,
            "updated_at": sa.func.now(),
        }
        await session.execute(
            insert(scorecards)
            .values(idea_id=idea_id, member_sub=member.sub, **values)
            .on_conflict_do_update(index_elements=["idea_id", "member_sub"], set_=values)
        )
        await queries.record(session, idea_id, "scored", member.person, scores=body.scores)
    return await case_detail(session, settings, idea_id)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "study",
                    "reason": "Idée prometteuse ; une étude de faisabilité juridique est nécessaire.",
                    "directorates": [],
                }
            ]
        },
    )

    decision: Outcome
    reason: Text = Field(min_length=1, max_length=5000)
    directorates: list[Annotated[Line, Field(min_length=1, max_length=200)]] = Field(
        default=[], max_length=30
    )


@router.post(
    "/cases/{idea_id}/decision",
    summary="Rendre la décision du comité, définitive (membre du comité)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def decide_case(
    idea_id: uuid.UUID,
    body: DecisionIn,
    member: CommitteeMember,
    session: SessionDep,
    settings: SettingsDep,
) -> views.CaseDetail:
    directorates = list(dict.fromkeys(d.strip() for d in body.directorates if d.strip()))
    async with session.begin():
        row = await queries.case_row(session, idea_id, lock=True)
        new_status = lifecycle.decide(Status(row.status), body.decision, directorates)
        redirected_to = directorates if body.decision == "redirect" else []
        await queries.update_case(
            session,
            idea_id,
            status=new_status,
            decision=body.decision,
            decision_reason=body.reason,
            redirected_to=redirected_to,
            decided_at=sa.func.now(),
            decided_by=member.person.model_dump(),
        )
        await queries.record(
            session,
            idea_id,
            "decided",
            member.person,
            decision=body.decision,
            reason=body.reason,
            directorates=redirected_to,
        )
        decided: IdeaApproved | IdeaRedirected
        if body.decision == "redirect":
            decided = IdeaRedirected(
                **queries.idea_of(row),
                problem=row.problem,
                solution=row.solution,
                directorates=redirected_to,
                reason=body.reason,
                session_id=row.session_id,
            )
        else:
            decided = IdeaApproved(
                **queries.idea_of(row),
                problem=row.problem,
                solution=row.solution,
                manager=person_of(row.manager),
                track=body.decision,
                reason=body.reason,
                session_id=row.session_id,
            )
        await queries.announce(session, row, decided)
    return await case_detail(session, settings, idea_id)


class MinutesItem(BaseModel):
    idea_id: uuid.UUID
    title: str
    author: Person
    status: Status
    status_label: str
    decision: str | None
    decision_label: str | None
    reason: str | None
    directorates: list[str]
    decided_at: dt.datetime | None
    decided_by: Person | None
    axis_means: views.AxisMeans
    scored: views.ScoredCount


class Minutes(BaseModel):
    """The record of decisions (relevé de décisions) of one session."""

    session_id: uuid.UUID
    date: dt.date
    title: str
    members_present: list[MemberOut]
    decisions: list[MinutesItem]
    pending: list[MinutesItem]


async def _minutes(session: AsyncSession, settings: Settings, session_id: uuid.UUID) -> Minutes:
    meeting = await queries.session_row(session, session_id)
    members = await queries.members_of(session, [session_id])
    rows = (
        await session.execute(
            sa.select(cases)
            .where(cases.c.session_id == session_id)
            .order_by(cases.c.decided_at.nulls_last(), cases.c.qualified_at, cases.c.idea_id)
        )
    ).all()
    cards = await queries.scorecards_of(session, [r.idea_id for r in rows])
    expected = views.expected_scorers(session_id, members, settings.committee_size)
    items = []
    for row in rows:
        means = scoring.axis_means(settings.criteria, [c.scores for c in cards[row.idea_id]])
        items.append(
            MinutesItem(
                idea_id=row.idea_id,
                title=row.title,
                author=Person.model_validate(row.author),
                status=Status(row.status),
                status_label=STATUS_LABELS[Status(row.status)],
                decision=row.decision,
                decision_label=OUTCOME_LABELS.get(row.decision) if row.decision else None,
                reason=row.decision_reason,
                directorates=row.redirected_to,
                decided_at=row.decided_at,
                decided_by=person_of(row.decided_by),
                axis_means=views.AxisMeans(
                    impact=means["impact"], feasibility=means["feasibility"]
                ),
                scored=views.scored_count(len(cards[row.idea_id]), expected),
            )
        )
    return Minutes(
        session_id=meeting.id,
        date=meeting.held_on,
        title=meeting.title,
        members_present=[MemberOut(sub=m.member_sub, name=m.name) for m in members[session_id]],
        decisions=[i for i in items if i.decision is not None],
        pending=[i for i in items if i.decision is None],
    )


MinutesFormat = Literal["json", "markdown", "html"]
_MEDIA_TYPES: dict[str, MinutesFormat] = {
    "application/json": "json",
    "text/markdown": "markdown",
    "text/html": "html",
}


def _negotiate(request: Request, asked: MinutesFormat | None) -> MinutesFormat:
    if asked is not None:
        return asked
    for part in request.headers.get("accept", "").split(","):
        media_type = part.split(";")[0].strip().lower()
        if media_type in _MEDIA_TYPES:
            return _MEDIA_TYPES[media_type]
    return "json"


@router.get(
    "/sessions/{session_id}/minutes",
    summary="Relevé de décisions d'une séance, en JSON, Markdown ou HTML (équipe ou comité)",
    response_model=Minutes,
    responses={
        200: {"content": {"text/markdown": {}, "text/html": {}}},
        401: {},
        403: {},
        404: {},
    },
)
async def get_minutes(
    session_id: uuid.UUID,
    request: Request,
    _: TeamOrCommittee,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[MinutesFormat | None, Query()] = None,
) -> Any:
    minutes = await _minutes(session, settings, session_id)
    chosen = _negotiate(request, format)
    if chosen == "markdown":
        return Response(
            render.minutes_markdown(minutes.model_dump(mode="json"), generated_on=today()),
            media_type="text/markdown; charset=utf-8",
        )
    if chosen == "html":
        return Response(
            render.minutes_html(minutes.model_dump(mode="json"), generated_on=today()),
            media_type="text/html; charset=utf-8",
        )
    return minutes
