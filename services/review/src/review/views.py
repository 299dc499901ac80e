"""What the API shows: response models, built from rows and the domain's rules."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from construisons.events import Person
from review.domain import scoring
from review.domain.calendar import is_contact_overdue
from review.domain.cases import OUTCOME_LABELS, STATUS_LABELS, Status


class CriterionOut(BaseModel):
    key: str
    label: str
    axis: scoring.Axis
    weight: float


class ScoredCount(BaseModel):
    """How many members have scored, out of how many are expected ("3 sur 5")."""

    count: int
    expected: int
    label: str


class AxisMeans(BaseModel):
    impact: float | None
    feasibility: float | None


class MemberScores(BaseModel):
    member: Person
    scores: dict[str, int]
    comment: str | None
    updated_at: datetime


class ScoresOut(BaseModel):
    criteria: list[CriterionOut]
    members: list[MemberScores]
    criterion_means: dict[str, float | None]
    axis_means: AxisMeans
    scored: ScoredCount


class SessionRef(BaseModel):
    id: uuid.UUID
    date: date
    title: str


class CaseSummary(BaseModel):
    idea_id: uuid.UUID
    title: str
    status: Status
    status_label: str
    author: Person
    directorate: str | None
    themes: list[str]
    submitted_at: datetime
    due_on: date | None
    contact_overdue: bool
    first_contact_at: datetime | None
    assignee: Person | None
    session: SessionRef | None
    decision: str | None
    decision_label: str | None
    axis_means: AxisMeans
    scored: ScoredCount


class ContactOut(BaseModel):
    id: uuid.UUID
    contacted_at: datetime
    channel: str
    summary: str
    logged_by: Person
    logged_at: datetime


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    actor: Person | None
    details: dict[str, Any]


class CaseDetail(CaseSummary):
    problem: str
    solution: str
    expected_benefits: str | None
    beneficiaries: str | None
    co_authors: list[str]
    manager: Person | None
    fit: dict[str, Any] | None
    summary: str | None
    concerned_directorates: list[str]
    qualified_at: datetime | None
    duplicate_of: uuid.UUID | None
    closed_at: datetime | None
    decision_reason: str | None
    redirected_to: list[str]
    decided_at: datetime | None
    decided_by: Person | None
    scores: ScoresOut
    contacts: list[ContactOut]
    history: list[HistoryEntry]


def scored_count(count: int, expected: int) -> ScoredCount:
    return ScoredCount(count=count, expected=expected, label=f"{count} sur {expected}")


def expected_scorers(
    session_id: uuid.UUID | None, members: dict[uuid.UUID, list[Any]], default: int
) -> int:
    """Members present at the case's session when recorded, else the committee's size."""
    present = members.get(session_id, []) if session_id else []
    return len(present) or default


def _person(value: Any) -> Person | None:
    return Person.model_validate(value) if value else None


def scores_out(
    criteria: Sequence[scoring.Criterion], cards: Sequence[Any], expected: int
) -> ScoresOut:
    values = [card.scores for card in cards]
    means = scoring.axis_means(criteria, values)
    return ScoresOut(
        criteria=[
            CriterionOut(key=c.key, label=c.label, axis=c.axis, weight=c.weight) for c in criteria
        ],
        members=[
            MemberScores(
                member=Person.model_validate(card.member),
                scores=card.scores,
                comment=card.comment,
                updated_at=card.updated_at,
            )
            for card in cards
        ],
        criterion_means=scoring.criterion_means(criteria, values),
        axis_means=AxisMeans(impact=means["impact"], feasibility=means["feasibility"]),
        scored=scored_count(len(cards), expected),
    )


def session_ref(row: Any) -> SessionRef | None:
    return SessionRef(id=row.id, date=row.held_on, title=row.title) if row is not None else None


def case_summary(
    row: Any,
    *,
    criteria: Sequence[scoring.Criterion],
    cards: Sequence[Any],
    expected: int,
    session: Any,
    today: date,
) -> dict[str, Any]:
    """The fields every view of a case shows, as keyword arguments of CaseSummary."""
    status = Status(row.status)
    means = scoring.axis_means(criteria, [card.scores for card in cards])
    return {
        "idea_id": row.idea_id,
        "title": row.title,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "author": Person.model_validate(row.author),
        "directorate": row.directorate,
        "themes": row.themes,
        "submitted_at": row.submitted_at,
        "due_on": row.due_on,
        "contact_overdue": row.due_on is not None and is_contact_overdue(status, row.due_on, today),
        "first_contact_at": row.first_contact_at,
        "assignee": _person(row.assignee),
        "session": session_ref(session),
        "decision": row.decision,
        "decision_label": OUTCOME_LABELS.get(row.decision) if row.decision else None,
        "axis_means": AxisMeans(impact=means["impact"], feasibility=means["feasibility"]),
        "scored": scored_count(len(cards), expected),
    }


def contact_out(row: Any) -> ContactOut:
    return ContactOut(
        id=row.id,
        contacted_at=row.contacted_at,
        channel=row.channel,
        summary=row.summary,
        logged_by=Person.model_validate(row.logged_by),
        logged_at=row.logged_at,
    )


def case_detail(
    row: Any,
    *,
    criteria: Sequence[scoring.Criterion],
    cards: Sequence[Any],
    expected: int,
    session: Any,
    contacts: Sequence[Any],
    history: Sequence[Any],
    today: date,
) -> CaseDetail:
    return CaseDetail(
        **case_summary(
            row, criteria=criteria, cards=cards, expected=expected, session=session, today=today
        ),
        problem=row.problem,
        solution=row.solution,
        expected_benefits=row.expected_benefits,
        beneficiaries=row.beneficiaries,
        co_authors=row.co_authors,
        manager=_person(row.manager),
        fit=row.fit,
        summary=row.summary,
        concerned_directorates=row.concerned_directorates,
        qualified_at=row.qualified_at,
        duplicate_of=row.duplicate_of,
        closed_at=row.closed_at,
        decision_reason=row.decision_reason,
        redirected_to=row.redirected_to,
        decided_at=row.decided_at,
        decided_by=_person(row.decided_by),
        scores=scores_out(criteria, cards, expected),
        contacts=[contact_out(c) for c in contacts],
        history=[
            HistoryEntry(at=h.at, action=h.action, actor=_person(h.actor), details=h.details)
            for h in history
        ],
    )
