"""Committee scores: criteria with weights on two axes, weighted means, matrix quadrants."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from construisons.rules import Invalid

Axis = Literal["impact", "feasibility"]
AXES: tuple[Axis, ...] = ("impact", "feasibility")
MIN_SCORE, MAX_SCORE = 1, 5
# The matrix splits each axis at the middle of the 1–5 scale.
MIDPOINT = 3.0
MANDATORY = ("strategic_impact", "feasibility")


@dataclass(frozen=True)
class Criterion:
    """One thing the committee scores, on one axis, with its weight in that axis's mean."""

    key: str
    label: str
    axis: Axis
    weight: float = 1.0


DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion("strategic_impact", "Impact stratégique", "impact", 1.0),
    Criterion("feasibility", "Faisabilité", "feasibility", 1.0),
)

Scorecard = Mapping[str, int]
"""One member's scores: criterion key → 1 to 5."""


def check_scorecard(criteria: Sequence[Criterion], scores: Scorecard) -> None:
    """Every criterion scored once, nothing else, each from 1 to 5."""
    keys = {c.key for c in criteria}
    unknown = sorted(set(scores) - keys)
    if unknown:
        raise Invalid(f"Critère(s) inconnu(s) : {', '.join(unknown)}.")
    missing = [c.label for c in criteria if c.key not in scores]
    if missing:
        raise Invalid(f"Note manquante pour : {', '.join(missing)}.")
    out_of_range = [k for k, v in scores.items() if not MIN_SCORE <= v <= MAX_SCORE]
    if out_of_range:
        raise Invalid(
            f"Les notes vont de {MIN_SCORE} à {MAX_SCORE} ({', '.join(sorted(out_of_range))})."
        )


def criterion_means(
    criteria: Sequence[Criterion], scorecards: Sequence[Scorecard]
) -> dict[str, float | None]:
    """Plain mean of the members' scores on each criterion."""
    means: dict[str, float | None] = {}
    for criterion in criteria:
        values = [card[criterion.key] for card in scorecards if criterion.key in card]
        means[criterion.key] = round(sum(values) / len(values), 2) if values else None
    return means


def axis_means(
    criteria: Sequence[Criterion], scorecards: Sequence[Scorecard]
) -> dict[Axis, float | None]:
    """Weighted mean of every member's scores on each axis's criteria.

    Each score counts with its criterion's weight; a criterion added after some members
    scored simply has fewer scores behind it.
    """
    means: dict[Axis, float | None] = {}
    for axis in AXES:
        total = weights = 0.0
        for criterion in (c for c in criteria if c.axis == axis):
            for card in scorecards:
                if criterion.key in card:
                    total += criterion.weight * card[criterion.key]
                    weights += criterion.weight
        means[axis] = round(total / weights, 2) if weights else None
    return means


@dataclass(frozen=True)
class Quadrant:
    key: str
    label: str
    advice: str


QUADRANTS: dict[str, Quadrant] = {
    "quick_wins": Quadrant("quick_wins", "Fort impact, faisable", "À lancer en priorité"),
    "strategic_bets": Quadrant(
        "strategic_bets", "Fort impact, difficile", "Paris stratégiques : étudier la faisabilité"
    ),
    "easy_gains": Quadrant(
        "easy_gains", "Impact modéré, faisable", "Gains rapides : à confier aux directions"
    ),
    "reconsider": Quadrant(
        "reconsider", "Impact modéré, difficile", "À réorienter ou retravailler"
    ),
}


def quadrant_of(impact: float, feasibility: float) -> Quadrant:
    """Where an idea sits on the impact × feasibility matrix (the midpoint counts as high)."""
    high_impact = impact >= MIDPOINT
    feasible = feasibility >= MIDPOINT
    if high_impact:
        return QUADRANTS["quick_wins" if feasible else "strategic_bets"]
    return QUADRANTS["easy_gains" if feasible else "reconsider"]
