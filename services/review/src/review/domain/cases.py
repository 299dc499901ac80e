"""The case's lifecycle: which step is allowed in which state, and why not (in French)."""

import uuid
from enum import StrEnum
from typing import Literal

from construisons.rules import Invalid, Refused

Outcome = Literal["experiment", "study", "redirect"]


class Status(StrEnum):
    """Where a case stands, from submission to the committee's decision."""

    SUBMITTED = "submitted"
    IN_QUALIFICATION = "in_qualification"
    SENT_BACK = "sent_back"
    QUALIFIED = "qualified"
    APPROVED = "approved"
    REDIRECTED = "redirected"
    CLOSED_AS_DUPLICATE = "closed_as_duplicate"
    WITHDRAWN = "withdrawn"


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "déposée, en attente d'un premier contact",
    Status.IN_QUALIFICATION: "en cours de qualification",
    Status.SENT_BACK: "renvoyée à l'auteur pour compléments",
    Status.QUALIFIED: "qualifiée, transmise au comité",
    Status.APPROVED: "retenue par le comité",
    Status.REDIRECTED: "réorientée vers les directions concernées",
    Status.CLOSED_AS_DUPLICATE: "close comme doublon",
    Status.WITHDRAWN: "retirée par son auteur",
}
OUTCOME_LABELS: dict[str, str] = {
    "experiment": "Retenue : expérimentation immédiate",
    "study": "Retenue : étude de faisabilité préalable",
    "redirect": "Réorientée vers les directions concernées",
}

DECIDED = frozenset({Status.APPROVED, Status.REDIRECTED})
CLOSED = frozenset({Status.CLOSED_AS_DUPLICATE, Status.WITHDRAWN})
TERMINAL = DECIDED | CLOSED


def _label(status: Status) -> str:
    return STATUS_LABELS[status]


def _refuse_if_finished(status: Status) -> None:
    if status in DECIDED:
        raise Refused(f"Le comité a déjà rendu sa décision sur cette idée ({_label(status)}).")
    if status in CLOSED:
        raise Refused(f"Ce dossier est clos : l'idée est {_label(status)}.")


def assign(status: Status) -> None:
    """A team member may take any case still open."""
    _refuse_if_finished(status)


def after_contact(status: Status) -> Status:
    """Logging a contact with the author starts (or resumes) the qualification."""
    _refuse_if_finished(status)
    if status in (Status.SUBMITTED, Status.SENT_BACK):
        return Status.IN_QUALIFICATION
    return status


def after_qualification(status: Status) -> Status:
    """The team confirms the fit between problem and solution and hands over to the committee."""
    _refuse_if_finished(status)
    if status == Status.SUBMITTED:
        raise Refused(
            "Impossible de qualifier une idée sans avoir d'abord contacté son auteur : "
            "enregistrez un premier contact."
        )
    if status == Status.SENT_BACK:
        raise Refused(
            "L'idée attend des compléments de son auteur : enregistrez un nouveau contact "
            "ou attendez sa mise à jour avant de la qualifier."
        )
    if status == Status.QUALIFIED:
        raise Refused("Cette idée est déjà qualifiée et transmise au comité.")
    return Status.QUALIFIED


def check_fit(problem_clearly_stated: bool, solution_addresses_problem: bool) -> None:
    """Qualifying means confirming the fit; without it the idea goes back to its author."""
    if not (problem_clearly_stated and solution_addresses_problem):
        raise Invalid(
            "Pour qualifier l'idée, le problème doit être clairement posé et la solution y "
            "répondre ; sinon, renvoyez-la à son auteur pour compléments."
        )


def after_send_back(status: Status) -> Status:
    """Asking the author for more information, during qualification or before the decision."""
    _refuse_if_finished(status)
    if status == Status.SUBMITTED:
        raise Refused("Contactez d'abord l'auteur avant de lui renvoyer l'idée pour compléments.")
    if status == Status.SENT_BACK:
        raise Refused("L'idée est déjà renvoyée à son auteur pour compléments.")
    return Status.SENT_BACK


def after_duplicate(status: Status, idea_id: uuid.UUID, duplicate_of: uuid.UUID) -> Status:
    """Closing a case as the duplicate of another idea."""
    if idea_id == duplicate_of:
        raise Invalid("Une idée ne peut pas être le doublon d'elle-même.")
    _refuse_if_finished(status)
    return Status.CLOSED_AS_DUPLICATE


def _require_qualified(status: Status, action: str) -> None:
    _refuse_if_finished(status)
    if status != Status.QUALIFIED:
        raise Refused(
            f"Impossible {action} : l'idée n'est pas encore qualifiée ({_label(status)})."
        )


def schedule(status: Status) -> None:
    """Only a qualified, undecided case goes on a committee session's agenda."""
    _require_qualified(status, "de l'inscrire à l'ordre du jour")


def score(status: Status) -> None:
    """Scores are given, and may be changed, between qualification and decision."""
    _require_qualified(status, "de noter cette idée")


def decide(status: Status, outcome: Outcome, directorates: list[str]) -> Status:
    """The committee's final decision on a qualified case."""
    if outcome == "redirect" and not [d for d in directorates if d.strip()]:
        raise Invalid("Une réorientation doit désigner au moins une direction concernée.")
    _require_qualified(status, "de statuer sur cette idée")
    return Status.REDIRECTED if outcome == "redirect" else Status.APPROVED


def after_update(status: Status) -> Status | None:
    """An update of the idea by its author; None when the case no longer follows the text.

    A case sent back for more information resumes its qualification when the author
    updates the idea: the update is the answer the team was waiting for.
    """
    if status in TERMINAL:
        return None
    if status == Status.SENT_BACK:
        return Status.IN_QUALIFICATION
    return status


def after_withdrawal(status: Status) -> Status | None:
    """The author withdraws the idea; None when it is too late (decided or already closed)."""
    if status in TERMINAL:
        return None
    return Status.WITHDRAWN
