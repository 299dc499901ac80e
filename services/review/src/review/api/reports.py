"""What the general directorate sees: the matrix, the statistics, the committee's file."""

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.auth import TeamOrCommittee
from construisons.db import SessionDep
from review import queries, render, views
from review.api.common import FilterText, SettingsDep, today
from review.config import Settings
from review.domain import scoring
from review.domain.cases import CLOSED, STATUS_LABELS, Status
from review.domain.stats import CaseFacts, report
from review.tables import cases

router = APIRouter(tags=["reports"])


class MatrixPoint(BaseModel):
    idea_id: uuid.UUID
    title: str
    status: Status
    impact: float
    feasibility: float
    quadrant: str
    quadrant_label: str
    scored: views.ScoredCount


class QuadrantOut(BaseModel):
    key: str
    label: str
    advice: str


class Matrix(BaseModel):
    quadrants: list[QuadrantOut]
    points: list[MatrixPoint]


async def _matrix(session: AsyncSession, settings: Settings) -> Matrix:
    rows = (
        await session.execute(
            sa.select(cases)
            .where(cases.c.status.not_in([s.value for s in CLOSED]))
            .order_by(cases.c.submitted_at, cases.c.idea_id)
        )
    ).all()
    cards = await queries.scorecards_of(session, [r.idea_id for r in rows])
    members = await queries.members_of(session, [r.session_id for r in rows])
    points = []
    for row in rows:
        means = scoring.axis_means(settings.criteria, [c.scores for c in cards[row.idea_id]])
        impact, feasibility = means["impact"], means["feasibility"]
        if impact is None or feasibility is None:
            continue
        quadrant = scoring.quadrant_of(impact, feasibility)
        points.append(
            MatrixPoint(
                idea_id=row.idea_id,
                title=row.title,
                status=Status(row.status),
                impact=impact,
                feasibility=feasibility,
                quadrant=quadrant.key,
                quadrant_label=quadrant.label,
                scored=views.scored_count(
                    len(cards[row.idea_id]),
                    views.expected_scorers(row.session_id, members, settings.committee_size),
                ),
            )
        )
    return Matrix(
        quadrants=[
            QuadrantOut(key=q.key, label=q.label, advice=q.advice)
            for q in scoring.QUADRANTS.values()
        ],
        points=points,
    )


@router.get(
    "/matrix",
    summary="Matrice impact × faisabilité des idées notées (équipe innovation ou comité)",
    responses={401: {}, 403: {}},
)
async def get_matrix(_: TeamOrCommittee, session: SessionDep, settings: SettingsDep) -> Matrix:
    return await _matrix(session, settings)


@router.get(
    "/matrix.svg",
    summary="La même matrice en image SVG, à projeter (équipe innovation ou comité)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, 401: {}, 403: {}},
)
async def get_matrix_svg(
    _: TeamOrCommittee, session: SessionDep, settings: SettingsDep
) -> Response:
    matrix = await _matrix(session, settings)
    return Response(
        render.matrix_svg([p.model_dump() for p in matrix.points]),
        media_type="image/svg+xml; charset=utf-8",
    )


@router.get(
    "/stats",
    summary="Entonnoir, délais et respect de la promesse de contact (équipe innovation ou comité)",
    responses={401: {}, 403: {}},
)
async def get_stats(
    _: TeamOrCommittee,
    session: SessionDep,
    directorate: FilterText = None,
    theme: FilterText = None,
) -> dict[str, Any]:
    where = queries.case_filters(directorate=directorate, theme=theme, today=today())
    rows = (await session.execute(sa.select(cases).where(*where))).all()
    facts = [
        CaseFacts(
            status=Status(row.status),
            submitted_at=row.submitted_at,
            due_on=row.due_on or row.submitted_at.date(),
            first_contact_at=row.first_contact_at,
            qualified_at=row.qualified_at,
            decided_at=row.decided_at,
            decision=row.decision,
            directorate=row.directorate,
            themes=tuple(row.themes),
        )
        for row in rows
    ]
    return {"generated_on": today().isoformat(), **report(facts, today())}


@router.get(
    "/cases.csv",
    summary="Les dossiers et leurs notes, en CSV pour le dossier du comité (équipe ou comité)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 401: {}, 403: {}},
)
async def get_cases_csv(_: TeamOrCommittee, session: SessionDep, settings: SettingsDep) -> Response:
    rows = (
        await session.execute(sa.select(cases).order_by(cases.c.submitted_at, cases.c.idea_id))
    ).all()
    cards = await queries.scorecards_of(session, [r.idea_id for r in rows])
    members = await queries.members_of(session, [r.session_id for r in rows])
    agenda = await queries.sessions_by_id(session, [r.session_id for r in rows])
    criteria = settings.criteria
    header = [
        "idea_id",
        "titre",
        "statut",
        "auteur",
        "direction",
        "thèmes",
        "déposée le",
        "premier contact attendu le",
        "premier contact le",
        "chargé(e) de qualification",
        "séance",
        "décision",
        "motif",
        "impact (moyenne pondérée)",
        "faisabilité (moyenne pondérée)",
        "membres ayant noté",
        *[f"{c.label} (moyenne)" for c in criteria],
    ]

    def line(row: Any) -> list[Any]:
        values = [c.scores for c in cards[row.idea_id]]
        means = scoring.axis_means(criteria, values)
        per_criterion = scoring.criterion_means(criteria, values)
        meeting = agenda.get(row.session_id) if row.session_id else None
        expected = views.expected_scorers(row.session_id, members, settings.committee_size)
        return [
            row.idea_id,
            row.title,
            STATUS_LABELS[Status(row.status)],
            row.author.get("name") or row.author.get("sub"),
            row.directorate,
            ", ".join(row.themes),
            row.submitted_at,
            row.due_on,
            row.first_contact_at,
            (row.assignee or {}).get("name"),
            f"{meeting.held_on.isoformat()} {meeting.title}" if meeting else None,
            row.decision,
            row.decision_reason,
            means["impact"],
            means["feasibility"],
            f"{len(values)} sur {expected}",
            *[per_criterion[c.key] for c in criteria],
        ]

    return Response(
        render.csv_document(header, (line(row) for row in rows)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'},
    )
