"""Workstreams: the sides of an idea a project explores, and their statuses."""

from dataclasses import dataclass
from typing import Literal

from incubation.domain import Invalid

WorkstreamStatus = Literal["todo", "in_progress", "done", "not_applicable"]

# Every project explores these; the team may add others.
DEFAULT_WORKSTREAMS: tuple[tuple[str, str], ...] = (
    ("legal", "Juridique"),
    ("financial", "Financier"),
    ("market_study", "Étude de marché"),
    ("user_journey", "Parcours usager"),
)


@dataclass(frozen=True)
class Workstream:
    """What the rules need to know of a workstream."""

    key: str
    label: str
    status: WorkstreamStatus
    not_applicable_reason: str | None = None


def is_settled(workstream: Workstream) -> bool:
    """Done, or declared not applicable: nothing left to explore."""
    return workstream.status in ("done", "not_applicable")


def set_status(status: WorkstreamStatus, reason: str | None) -> tuple[WorkstreamStatus, str | None]:
    """The status to store and its reason: `not_applicable` needs one, others drop it."""
    reason = (reason or "").strip() or None
    if status == "not_applicable":
        if reason is None:
            raise Invalid("Un chantier sans objet doit être justifié : indiquez la raison.")
        return status, reason
    return status, None
