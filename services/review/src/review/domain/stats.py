"""Programme statistics: the funnel, delays and the contact promise, from plain case facts."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from review.domain.cases import Status

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CaseFacts:
    """What the statistics need to know about one case."""

    status: Status
    submitted_at: datetime
    due_on: date
    first_contact_at: datetime | None = None
    qualified_at: datetime | None = None
    decided_at: datetime | None = None
    decision: str | None = None
    directorate: str | None = None
    themes: Sequence[str] = field(default_factory=tuple)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_DAY


def _delay_summary(values: Sequence[float]) -> dict[str, Any]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "count": len(values),
        "median_days": rounded(percentile(values, 50)),
        "p90_days": rounded(percentile(values, 90)),
    }


def summarize(cases: Iterable[CaseFacts], today: date) -> dict[str, Any]:
    """Funnel, delays (in calendar days) and on-time contact share of a set of cases.

    A case counts towards the on-time share once it is contacted or its due day is over;
    it is on time when its first contact happened on or before its due day.
    """
    cases = list(cases)
    decided = [c for c in cases if c.decided_at is not None]
    contact_delays = [
        _days(c.submitted_at, c.first_contact_at) for c in cases if c.first_contact_at
    ]
    decision_delays = [_days(c.submitted_at, c.decided_at) for c in decided if c.decided_at]
    measured = [c for c in cases if c.first_contact_at is not None or today > c.due_on]
    on_time = [
        c
        for c in measured
        if c.first_contact_at is not None and c.first_contact_at.date() <= c.due_on
    ]
    return {
        "funnel": {
            "submitted": len(cases),
            "contacted": sum(1 for c in cases if c.first_contact_at is not None),
            "qualified": sum(1 for c in cases if c.qualified_at is not None),
            "decided": {
                "experiment": sum(1 for c in decided if c.decision == "experiment"),
                "study": sum(1 for c in decided if c.decision == "study"),
                "redirect": sum(1 for c in decided if c.decision == "redirect"),
            },
            "sent_back": sum(1 for c in cases if c.status == Status.SENT_BACK),
            "closed_as_duplicate": sum(1 for c in cases if c.status == Status.CLOSED_AS_DUPLICATE),
            "withdrawn": sum(1 for c in cases if c.status == Status.WITHDRAWN),
        },
        "delays": {
            "submission_to_first_contact": _delay_summary(contact_delays),
            "submission_to_decision": _delay_summary(decision_delays),
        },
        "contact_on_time": {
            "measured": len(measured),
            "on_time": len(on_time),
            "share": round(len(on_time) / len(measured), 4) if measured else None,
        },
    }


def report(cases: Iterable[CaseFacts], today: date) -> dict[str, Any]:
    """The whole report: overall figures, then the same per directorate and per theme."""
    cases = list(cases)
    by_directorate: dict[str, list[CaseFacts]] = {}
    by_theme: dict[str, list[CaseFacts]] = {}
    for case in cases:
        by_directorate.setdefault(case.directorate or "Non renseignée", []).append(case)
        for theme in case.themes or ("Sans thème",):
            by_theme.setdefault(theme, []).append(case)
    return {
        **summarize(cases, today),
        "by_directorate": {
            name: summarize(group, today) for name, group in sorted(by_directorate.items())
        },
        "by_theme": {name: summarize(group, today) for name, group in sorted(by_theme.items())},
    }
