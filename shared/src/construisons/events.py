"""Event contracts: the envelope and every event the services exchange.

Each event is a pydantic model with its routing key and version. Consumers ignore unknown
fields; a breaking change gets a new version. `python -m construisons.events` regenerates
the JSON Schemas checked in under `shared/schemas/`.
"""

import json
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Track = Literal["experiment", "study"]
Phase = Literal["feasibility_study", "experimentation", "implementation", "completed", "abandoned"]
TimeDecision = Literal["approved", "approved_with_changes", "declined"]


class Contract(BaseModel):
    """Base of every contract model: unknown fields are ignored, instances are frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Person(Contract):
    """Someone named in an event, with what a consumer needs to reach them."""

    sub: str
    name: str | None = None
    email: str | None = None
    directorate: str | None = None


class Event(Contract):
    """Base of every event payload."""

    routing_key: ClassVar[str]
    version: ClassVar[int] = 1


class IdeaSubmitted(Event):
    routing_key = "idea.submitted"
    idea_id: uuid.UUID
    title: str
    problem: str
    solution: str
    expected_benefits: str | None = None
    themes: list[str] = []
    beneficiaries: str | None = None
    co_authors: list[str] = []
    show_author: bool = True
    author: Person
    manager: Person | None = None


class IdeaUpdated(Event):
    routing_key = "idea.updated"
    idea_id: uuid.UUID
    revision: int
    title: str
    problem: str
    solution: str
    expected_benefits: str | None = None
    themes: list[str] = []
    beneficiaries: str | None = None
    co_authors: list[str] = []
    show_author: bool = True
    author: Person
    manager: Person | None = None


class IdeaWithdrawn(Event):
    routing_key = "idea.withdrawn"
    idea_id: uuid.UUID
    title: str
    author: Person
    co_authors: list[str] = []
    reason: str | None = None


class IdeaQualificationStarted(Event):
    routing_key = "idea.qualification_started"
    idea_id: uuid.UUID
    title: str
    author: Person
    co_authors: list[str] = []
    contacted_by: Person
    channel: str


class IdeaQualified(Event):
    routing_key = "idea.qualified"
    idea_id: uuid.UUID
    title: str
    author: Person
    co_authors: list[str] = []
    summary: str | None = None
    directorates: list[str] = []


class IdeaSentBack(Event):
    """The team asks the author for more information before qualifying."""

    routing_key = "idea.sent_back"
    idea_id: uuid.UUID
    title: str
    author: Person
    co_authors: list[str] = []
    reason: str


class IdeaClosedAsDuplicate(Event):
    routing_key = "idea.closed_as_duplicate"
    idea_id: uuid.UUID
    title: str
    author: Person
    co_authors: list[str] = []
    duplicate_of: uuid.UUID
    reason: str | None = None


class FirstContactOverdue(Event):
    """No contact with the author was logged by the promised date."""

    routing_key = "idea.first_contact_overdue"
    idea_id: uuid.UUID
    title: str
    author: Person
    due_on: date


class CaseScheduled(Event):
    """A qualified case was put on a committee session's agenda."""

    routing_key = "committee.case_scheduled"
    idea_id: uuid.UUID
    title: str
    session_id: uuid.UUID
    session_title: str
    session_date: date


class IdeaApproved(Event):
    routing_key = "idea.approved"
    idea_id: uuid.UUID
    title: str
    problem: str
    solution: str
    author: Person
    co_authors: list[str] = []
    manager: Person | None = None
    track: Track
    reason: str
    session_id: uuid.UUID | None = None


class IdeaRedirected(Event):
    routing_key = "idea.redirected"
    idea_id: uuid.UUID
    title: str
    problem: str = ""
    solution: str = ""
    author: Person
    co_authors: list[str] = []
    directorates: list[str] = Field(min_length=1)
    reason: str
    session_id: uuid.UUID | None = None


class IncubationStarted(Event):
    routing_key = "incubation.started"
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    manager: Person | None = None
    track: Track
    phase: Phase


class TimeAllocationRequested(Event):
    routing_key = "incubation.time_allocation_requested"
    allocation_id: uuid.UUID
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    manager: Person
    share_percent: float
    starts_on: date
    ends_on: date
    justification: str


class TimeAllocationDecided(Event):
    routing_key = "incubation.time_allocation_decided"
    allocation_id: uuid.UUID
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    manager: Person
    decision: TimeDecision
    share_percent: float | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    reason: str | None = None
    decided_by: Person
    on_behalf_of_manager: bool = False


class ProjectPhaseChanged(Event):
    routing_key = "incubation.phase_changed"
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    team: list[Person] = []
    from_phase: Phase
    to_phase: Phase
    gate_override_reason: str | None = None


class ProjectCompleted(Event):
    routing_key = "incubation.completed"
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    team: list[Person] = []
    implemented: str
    beneficiaries: str


class ProjectAbandoned(Event):
    routing_key = "incubation.abandoned"
    project_id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    intrapreneur: Person
    team: list[Person] = []
    reason: str
    lessons_learned: str | None = None


E = TypeVar("E", bound=Event)


class Envelope(BaseModel, Generic[E]):
    """What travels on the bus: metadata shared by every event around its payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    producer: str
    payload: E


class RawEnvelope(BaseModel):
    """The envelope read before its payload's type is known."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID
    event_type: str
    version: int
    occurred_at: datetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    producer: str
    payload: dict[str, Any]


EVENTS: tuple[type[Event], ...] = (
    IdeaSubmitted,
    IdeaUpdated,
    IdeaWithdrawn,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaSentBack,
    IdeaClosedAsDuplicate,
    FirstContactOverdue,
    CaseScheduled,
    IdeaApproved,
    IdeaRedirected,
    IncubationStarted,
    TimeAllocationRequested,
    TimeAllocationDecided,
    ProjectPhaseChanged,
    ProjectCompleted,
    ProjectAbandoned,
)
BY_TYPE: dict[tuple[str, int], type[Event]] = {(e.routing_key, e.version): e for e in EVENTS}
_ENVELOPES: dict[type[Event], type[Envelope[Any]]] = {e: Envelope[e] for e in EVENTS}  # type: ignore[valid-type]


class UnknownEvent(ValueError):
    """The event type or version is not one this code knows."""


def envelope(
    payload: E,
    *,
    producer: str,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
) -> Envelope[E]:
    """Wrap a payload in a new envelope."""
    # The parametrised class is looked up once per event type, not rebuilt per message.
    model = _ENVELOPES.get(type(payload)) or Envelope[type(payload)]  # type: ignore[misc]
    return model(  # type: ignore[return-value,operator]
        event_type=payload.routing_key,
        version=payload.version,
        correlation_id=correlation_id,
        causation_id=causation_id,
        producer=producer,
        payload=payload,
    )


def parse(body: bytes | str) -> Envelope[Event]:
    """Parse a message body into a typed envelope; raises ValidationError or UnknownEvent."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise UnknownEvent(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UnknownEvent("not a JSON object")
    model = BY_TYPE.get((data.get("event_type"), data.get("version")))  # type: ignore[arg-type]
    if model is None:
        raise UnknownEvent(f"{data.get('event_type')} v{data.get('version')}")
    return _ENVELOPES[model].model_validate(data)


SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_of(event: type[Event]) -> dict[str, Any]:
    """The JSON Schema of an event in its envelope."""
    schema = Envelope[event].model_json_schema()  # type: ignore[valid-type]
    schema["title"] = event.__name__
    schema["x-routing-key"] = event.routing_key
    schema["x-version"] = event.version
    return schema


def schema_file(event: type[Event]) -> Path:
    return SCHEMA_DIR / f"{event.routing_key}.v{event.version}.json"


def render_schema(event: type[Event]) -> str:
    return json.dumps(schema_of(event), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas() -> None:
    """Regenerate every checked-in schema file and remove stale ones."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    wanted = {schema_file(e): render_schema(e) for e in EVENTS}
    for stale in set(SCHEMA_DIR.glob("*.json")) - set(wanted):
        stale.unlink()
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_schemas()
    sys.stdout.write(f"{len(EVENTS)} schemas written to {SCHEMA_DIR}\n")
