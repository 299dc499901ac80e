"""Who may see and change a project."""

from collections.abc import Collection
from dataclasses import dataclass

from construisons.auth import INNOVATION_TEAM, Principal
from incubation.domain import Forbidden


@dataclass(frozen=True)
class ProjectPeople:
    """The people a project's rights depend on."""

    intrapreneur_sub: str
    manager_sub: str | None
    team_subs: Collection[str]


def is_steward(principal: Principal, people: ProjectPeople) -> bool:
    """The intrapreneur and the innovation team run the project: they see and edit it all."""
    return principal.sub == people.intrapreneur_sub or principal.has_role(INNOVATION_TEAM)


def may_read_everything(principal: Principal, people: ProjectPeople) -> bool:
    """Stewards, team members and the intrapreneur's manager see the whole project;
    every other agent sees its public part."""
    return (
        is_steward(principal, people)
        or principal.sub in people.team_subs
        or (people.manager_sub is not None and principal.sub == people.manager_sub)
    )


def ensure_steward(principal: Principal, people: ProjectPeople) -> None:
    """Refuse whoever is neither the intrapreneur nor in the innovation team."""
    if not is_steward(principal, people):
        raise Forbidden("Seuls l'intrapreneur et l'équipe innovation peuvent modifier ce projet.")


def ensure_contributor(principal: Principal, people: ProjectPeople) -> None:
    """Stewards and team members work on the project (workstreams, journal)."""
    if not (is_steward(principal, people) or principal.sub in people.team_subs):
        raise Forbidden(
            "Seuls l'intrapreneur, l'équipe du projet et l'équipe innovation peuvent "
            "travailler sur ce projet."
        )


def ensure_may_read_everything(principal: Principal, people: ProjectPeople) -> None:
    if not may_read_everything(principal, people):
        raise Forbidden(
            "Cette partie du projet est réservée à l'intrapreneur, à son équipe, à son "
            "responsable et à l'équipe innovation."
        )


def ensure_may_see_time(principal: Principal, agent_sub: str, manager_sub: str | None) -> None:
    """Time allocations are between the intrapreneur, their manager and the innovation team."""
    if principal.sub not in (agent_sub, manager_sub) and not principal.has_role(INNOVATION_TEAM):
        raise Forbidden(
            "Les demandes de temps sont réservées à l'intrapreneur, à son responsable et à "
            "l'équipe innovation."
        )


def ensure_intrapreneur(principal: Principal, people: ProjectPeople) -> None:
    """Time is asked for by the intrapreneur themself, and by no one else."""
    if principal.sub != people.intrapreneur_sub:
        raise Forbidden("Seul l'intrapreneur du projet peut demander du temps pour ce projet.")
