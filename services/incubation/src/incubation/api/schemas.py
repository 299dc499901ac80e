"""Request and response bodies of the incubation API, and row-to-body conversions."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from construisons.events import Person, Phase, TimeDecision, Track
from construisons.http import Line, Text
from incubation.domain.phases import PHASE_LABELS
from incubation.domain.workstreams import WorkstreamStatus

TeamRole = Literal["coach", "expert", "member"]
JournalKind = Literal["meeting", "decision", "milestone"]
ShortText = Annotated[Text, Field(min_length=1, max_length=5000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Body):
    """Someone named by the caller, as the intranet directory describes them."""

    sub: Annotated[Line, Field(min_length=1, max_length=200)]
    name: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[Line, Field(max_length=320)] | None = None
    directorate: Annotated[Line, Field(max_length=200)] | None = None

    def person(self) -> Person:
        return Person(**self.model_dump())


class TeamMemberIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person": {
                        "sub": "coach.nadia",
                        "name": "Nadia Coach",
                        "email": "nadia@departement.example",
                    },
                    "role": "coach",
                }
            ]
        }
    )

    person: PersonIn
    role: TeamRole


class TeamMember(BaseModel):
    person: Person
    role: TeamRole
    added_at: datetime


class Outcome(BaseModel):
    """How the project ended."""

    kind: Literal["completed", "abandoned"]
    implemented: str | None = None
    beneficiaries: str | None = None
    reason: str | None = None
    lessons_learned: str | None = None
    closed_at: datetime


class ProjectPublic(BaseModel):
    """What every agent may read of a project."""

    id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    track: Track
    phase: Phase
    phase_label: str
    intrapreneur: Person
    directorate: str | None
    team: list[TeamMember]
    outcome: Outcome | None
    created_at: datetime
    visibility: Literal["public"] = "public"


class DocumentLink(Body):
    label: Annotated[Line, Field(min_length=1, max_length=200)]
    url: HttpUrl


class WorkstreamOut(BaseModel):
    key: str
    label: str
    status: WorkstreamStatus
    not_applicable_reason: str | None
    owner: Person | None
    notes: str
    links: list[dict[str, str]]
    updated_at: datetime


class JournalEntry(BaseModel):
    id: uuid.UUID
    kind: JournalKind
    occurred_on: date
    title: str
    body: str
    author: Person
    created_at: datetime


class PhaseChangeOut(BaseModel):
    from_phase: Phase
    to_phase: Phase
    gate_override_reason: str | None
    changed_by: Person
    changed_at: datetime


class ProjectFull(ProjectPublic):
    """The whole project: for the intrapreneur, the team, the manager and the innovation team."""

    visibility: Literal["full"] = "full"  # type: ignore[assignment]
    problem: str
    solution: str
    co_authors: list[str]
    manager: Person | None
    workstreams: list[WorkstreamOut]
    journal: list[JournalEntry]
    phase_history: list[PhaseChangeOut]
    updated_at: datetime


class ProjectPage(BaseModel):
    items: list[ProjectPublic]
    total: int


class PortfolioProject(BaseModel):
    id: uuid.UUID
    title: str
    track: Track
    intrapreneur: Person
    directorate: str | None
    updated_at: datetime


class PortfolioColumn(BaseModel):
    phase: Phase
    label: str
    count: int
    projects: list[PortfolioProject]


class Portfolio(BaseModel):
    total: int
    phases: list[PortfolioColumn]


class PhaseChangeIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"to_phase": "experimentation"}]})

    to_phase: Phase
    gate_override_reason: Annotated[Text, Field(max_length=2000)] | None = None


class CompletionIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "implemented": "Une plateforme de prêt de salles des collèges hors temps scolaire.",
                    "beneficiaries": "Associations du territoire et agents des collèges",
                }
            ]
        }
    )

    implemented: ShortText
    beneficiaries: ShortText


class AbandonIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "Le coût de maintenance dépasse le gain attendu.",
                    "lessons_learned": "Associer la DSI dès l'étude de faisabilité.",
                }
            ]
        }
    )

    reason: ShortText
    lessons_learned: Annotated[Text, Field(max_length=5000)] | None = None


class WorkstreamIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key": "accessibility", "label": "Accessibilité"}]}
    )

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    label: Annotated[Line, Field(min_length=1, max_length=200)]


class WorkstreamPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "done",
                    "notes": "Avis juridique favorable.",
                    "links": [
                        {
                            "label": "Note juridique",
                            "url": "https://intranet.example/docs/note-juridique",
                        }
                    ],
                }
            ]
        }
    )

    status: WorkstreamStatus | None = None
    not_applicable_reason: Annotated[Text, Field(max_length=2000)] | None = None
    owner: PersonIn | None = None
    notes: Annotated[Text, Field(max_length=20000)] | None = None
    links: Annotated[list[DocumentLink], Field(max_length=50)] | None = None


class JournalEntryIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "milestone",
                    "occurred_on": "2027-02-01",
                    "title": "Premier collège pilote",
                    "body": "Lancement au collège Jean-Moulin.",
                }
            ]
        }
    )

    kind: JournalKind
    occurred_on: date
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    body: Annotated[Text, Field(max_length=20000)] = ""


Share = Annotated[float, Field(gt=0, le=100)]
DaysPerWeek = Annotated[float, Field(gt=0, le=5)]


class TimeRequestIn(Body):
    """A share of working time, in percent or in days per week, over a period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "share_percent": 20,
                    "starts_on": "2027-02-01",
                    "ends_on": "2027-06-30",
                    "justification": "Mener l'expérimentation dans deux collèges.",
                }
            ]
        }
    )

    share_percent: Share | None = None
    days_per_week: DaysPerWeek | None = None
    starts_on: date
    ends_on: date
    justification: Annotated[Text, Field(min_length=1, max_length=2000)]


class RenewalIn(Body):
    """Carry on after the current allocation; the same share unless another is given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ends_on": "2027-12-31", "justification": "Généraliser à dix collèges."}]
        }
    )

    share_percent: Share | None = None
    days_per_week: DaysPerWeek | None = None
    ends_on: date
    justification: Annotated[Text, Field(min_length=1, max_length=2000)]


class TimeDecisionIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "approved_with_changes",
                    "share_percent": 10,
                    "reason": "Période de forte activité au printemps.",
                }
            ]
        }
    )

    decision: TimeDecision
    share_percent: Share | None = None
    days_per_week: DaysPerWeek | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    reason: Annotated[Text, Field(max_length=2000)] | None = None


class Period(BaseModel):
    share_percent: float
    days_per_week: float | None = None
    starts_on: date
    ends_on: date


class TimeAllocation(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    project_title: str
    intrapreneur: Person
    manager: Person
    requested: Period
    justification: str
    renews: uuid.UUID | None
    status: Literal["requested", "approved", "approved_with_changes", "declined"]
    granted: Period | None
    decision_reason: str | None
    decided_by: Person | None
    on_behalf_of_manager: bool
    decided_at: datetime | None
    requested_at: datetime


class TimeAllocationPage(BaseModel):
    items: list[TimeAllocation]


def team_member(row: sa.Row[Any]) -> TeamMember:
    return TeamMember(person=row.person, role=row.role, added_at=row.added_at)


def project_public(row: sa.Row[Any], team: list[sa.Row[Any]]) -> ProjectPublic:
    return ProjectPublic(**_public_fields(row, team))


def _public_fields(row: sa.Row[Any], team: list[sa.Row[Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "idea_id": row.idea_id,
        "title": row.title,
        "track": row.track,
        "phase": row.phase,
        "phase_label": PHASE_LABELS[row.phase],
        "intrapreneur": row.intrapreneur,
        "directorate": row.directorate,
        "team": [team_member(member) for member in team],
        "outcome": row.outcome,
        "created_at": row.created_at,
    }


def project_full(
    row: sa.Row[Any],
    team: list[sa.Row[Any]],
    workstreams: list[sa.Row[Any]],
    journal: list[sa.Row[Any]],
    history: list[sa.Row[Any]],
) -> ProjectFull:
    return ProjectFull(
        **_public_fields(row, team),
        problem=row.problem,
        solution=row.solution,
        co_authors=row.co_authors,
        manager=row.manager,
        workstreams=[workstream(w) for w in workstreams],
        journal=[journal_entry(entry) for entry in journal],
        phase_history=[
            PhaseChangeOut(
                from_phase=h.from_phase,
                to_phase=h.to_phase,
                gate_override_reason=h.gate_override_reason,
                changed_by=h.changed_by,
                changed_at=h.changed_at,
            )
            for h in history
        ],
        updated_at=row.updated_at,
    )


def workstream(row: sa.Row[Any]) -> WorkstreamOut:
    return WorkstreamOut(
        key=row.key,
        label=row.label,
        status=row.status,
        not_applicable_reason=row.not_applicable_reason,
        owner=row.owner,
        notes=row.notes,
        links=row.links,
        updated_at=row.updated_at,
    )


def journal_entry(row: sa.Row[Any]) -> JournalEntry:
    return JournalEntry(
        id=row.id,
        kind=row.kind,
        occurred_on=row.occurred_on,
        title=row.title,
        body=row.body,
        author=row.author,
        created_at=row.created_at,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def time_allocation(row: sa.Row[Any], project_title: str) -> TimeAllocation:
    granted = None
    if row.granted_share_percent is not None:
        granted = Period(
            share_percent=float(row.granted_share_percent),
            starts_on=row.granted_starts_on,
            ends_on=row.granted_ends_on,
        )
    return TimeAllocation(
        id=row.id,
        project_id=row.project_id,
        project_title=project_title,
        intrapreneur=row.intrapreneur,
        manager=row.manager,
        requested=Period(
            share_percent=float(row.requested_share_percent),
            days_per_week=_number(row.requested_days_per_week),
            starts_on=row.requested_starts_on,
            ends_on=row.requested_ends_on,
        ),
        justification=row.justification,
        renews=row.renews,
        status=row.status,
        granted=granted,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        on_behalf_of_manager=row.on_behalf_of_manager,
        decided_at=row.decided_at,
        requested_at=row.requested_at,
    )
