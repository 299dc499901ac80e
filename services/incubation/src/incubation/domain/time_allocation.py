"""The intrapreneur's time: requests, the manager's decision and the 100 % ceiling."""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from construisons.auth import INNOVATION_TEAM, Principal
from construisons.events import TimeDecision
from incubation.domain import Forbidden, Invalid, Refused

WORKING_DAYS_PER_WEEK = 5
FULL_TIME = 100.0
# A request plans ahead at most this far; longer commitments are renewed.
HORIZON = timedelta(days=3 * 366)
# Shares are stored with two decimals; sums compare with this tolerance.
_EPSILON = 1e-6

AllocationStatus = Literal["requested", "approved", "approved_with_changes", "declined"]
GRANTED: frozenset[str] = frozenset({"approved", "approved_with_changes"})


def share_from_days(days_per_week: float) -> float:
    """Days per week as a percentage of a five-day working week."""
    return round(days_per_week * 100 / WORKING_DAYS_PER_WEEK, 2)


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def french_percent(share: float) -> str:
    return f"{share:g} %".replace(".", ",")


@dataclass(frozen=True)
class Grant:
    """A share of working time over a period, both ends included."""

    share_percent: float
    starts_on: date
    ends_on: date

    def overlaps(self, other: "Grant") -> bool:
        return self.starts_on <= other.ends_on and other.starts_on <= self.ends_on


def requested_grant(
    share_percent: float | None,
    days_per_week: float | None,
    starts_on: date,
    ends_on: date,
    today: date,
) -> Grant:
    """Check a request (a share in percent or in days per week, a period not yet over)."""
    if (share_percent is None) == (days_per_week is None):
        raise Invalid(
            "Indiquez la part de temps demandée soit en pourcentage, soit en jours par semaine."
        )
    share = share_percent if share_percent is not None else share_from_days(days_per_week or 0)
    if not 0 < share <= FULL_TIME:
        raise Invalid("La part de temps doit être comprise entre 0 (exclu) et 100 %.")
    if ends_on < starts_on:
        raise Invalid("La date de fin doit suivre la date de début.")
    if ends_on < today:
        raise Invalid("La période demandée est déjà terminée.")
    if ends_on > today + HORIZON:
        raise Invalid(
            "Une demande de temps porte au plus sur les trois prochaines années : "
            "elle pourra être renouvelée."
        )
    return Grant(round(share, 2), starts_on, ends_on)


@dataclass(frozen=True)
class Decision:
    """The answer recorded on a request; `grant` is None when declined."""

    decision: TimeDecision
    grant: Grant | None
    reason: str | None


def decide(
    requested: Grant,
    decision: TimeDecision,
    *,
    share_percent: float | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    reason: str | None = None,
) -> Decision:
    """Approve as asked, approve a lower share and/or a shorter period inside the requested
    one, or decline with a reason."""
    reason = (reason or "").strip() or None
    changes_given = share_percent is not None or starts_on is not None or ends_on is not None
    if decision == "declined":
        if reason is None:
            raise Invalid("Un refus doit être motivé : indiquez la raison.")
        if changes_given:
            raise Invalid("Un refus ne porte ni part de temps ni période.")
        return Decision("declined", None, reason)
    if decision == "approved":
        if changes_given:
            raise Invalid(
                "Pour accorder une autre part de temps ou une autre période, choisissez "
                "« approuvé avec modifications »."
            )
        return Decision("approved", requested, reason)
    granted = Grant(
        round(share_percent, 2) if share_percent is not None else requested.share_percent,
        starts_on or requested.starts_on,
        ends_on or requested.ends_on,
    )
    if granted == requested:
        raise Invalid(
            "Approuvé avec modifications : indiquez une part de temps plus faible ou une "
            "période plus courte que celles demandées."
        )
    if not 0 < granted.share_percent <= requested.share_percent:
        raise Invalid(
            "La part accordée ne peut pas dépasser la part demandée "
            f"({french_percent(requested.share_percent)})."
        )
    if granted.starts_on < requested.starts_on or granted.ends_on > requested.ends_on:
        raise Invalid(
            "La période accordée doit être comprise dans la période demandée "
            f"(du {french_date(requested.starts_on)} au {french_date(requested.ends_on)})."
        )
    if granted.ends_on < granted.starts_on:
        raise Invalid("La date de fin doit suivre la date de début.")
    return Decision("approved_with_changes", granted, reason)


@dataclass(frozen=True)
class GrantedAllocation:
    """An approved allocation of the same agent, as the ceiling check needs it."""

    title: str
    grant: Grant


def check_ceiling(new: Grant, approved: Iterable[GrantedAllocation]) -> None:
    """Refuse a grant that would take the agent over 100 % of their time on any day."""
    overlapping = [a for a in approved if a.grant.overlaps(new)]
    # The total only changes where an allocation starts or the day after one ends.
    bounds = {new.starts_on, new.ends_on + timedelta(days=1)}
    for allocation in overlapping:
        bounds.add(max(allocation.grant.starts_on, new.starts_on))
        bounds.add(min(allocation.grant.ends_on, new.ends_on) + timedelta(days=1))
    days = sorted(bounds)
    for start, next_start in itertools.pairwise(days):
        end = next_start - timedelta(days=1)
        segment = Grant(0, start, end)
        covering = [a for a in overlapping if a.grant.overlaps(segment)]
        total = new.share_percent + sum(a.grant.share_percent for a in covering)
        if total > FULL_TIME + _EPSILON:
            already = "; ".join(
                f"« {a.title} » : {french_percent(a.grant.share_percent)} du "
                f"{french_date(a.grant.starts_on)} au {french_date(a.grant.ends_on)}"
                for a in covering
            )
            raise Refused(
                "Ce temps ne peut pas être accordé : avec les allocations déjà approuvées, "
                f"l'agent serait à {french_percent(round(total, 2))} de son temps de travail "
                f"du {french_date(start)} au {french_date(end)}, au-delà de 100 %. "
                f"Déjà accordé sur cette période : {already}."
            )


def decided_on_behalf(principal: Principal, manager_sub: str, intrapreneur_sub: str) -> bool:
    """Whether the caller answers for the manager (the innovation team, traced as such);
    refuses anyone else, including the intrapreneur deciding on their own request."""
    if principal.sub == intrapreneur_sub:
        raise Forbidden("Vous ne pouvez pas décider vous-même de votre propre demande de temps.")
    if principal.sub == manager_sub:
        return False
    if principal.has_role(INNOVATION_TEAM):
        return True
    raise Forbidden(
        "Seul le responsable hiérarchique de l'intrapreneur (ou l'équipe innovation, en son "
        "nom) peut décider de cette demande de temps."
    )


def ensure_pending(status: str) -> None:
    if status != "requested":
        raise Refused("Cette demande de temps a déjà reçu une réponse.")


def renewal_period(status: str, granted: Grant | None, ends_on: date, today: date) -> Grant:
    """The period of a renewal: from the day after the current allocation ends to `ends_on`;
    only an approved allocation that has not ended yet can be renewed."""
    if status not in GRANTED or granted is None:
        raise Refused("Seule une allocation de temps approuvée peut être renouvelée.")
    if today > granted.ends_on:
        raise Refused(
            f"Cette allocation a pris fin le {french_date(granted.ends_on)} : "
            "faites une nouvelle demande de temps."
        )
    starts_on = granted.ends_on + timedelta(days=1)
    if ends_on > today + HORIZON:
        raise Invalid(
            "Une demande de temps porte au plus sur les trois prochaines années : "
            "elle pourra être renouvelée."
        )
    if ends_on < starts_on:
        raise Invalid(
            f"Le renouvellement commence le {french_date(starts_on)} : "
            "sa date de fin doit suivre cette date."
        )
    return Grant(granted.share_percent, starts_on, ends_on)
