"""Pure rules of the idea board: statuses and their order, who may do what, cursors.

No I/O here: the API and the consumers read rows, ask these functions, then write.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from construisons.rules import Forbidden, Refused, StaleVersion, VersionRequired

Status = Literal[
    "submitted",
    "in_qualification",
    "sent_back",
    "qualified",
    "closed_as_duplicate",
    "approved",
    "redirected",
    "in_incubation",
    "implemented",
    "abandoned",
    "withdrawn",
]
STATUSES: tuple[Status, ...] = (
    "submitted",
    "in_qualification",
    "sent_back",
    "qualified",
    "closed_as_duplicate",
    "approved",
    "redirected",
    "in_incubation",
    "implemented",
    "abandoned",
    "withdrawn",
)

# How far along the journey each status is; breaks ties between events of the same instant
# and keeps final statuses from being replaced by an earlier step that arrives late.
RANK: dict[str, int] = {
    "submitted": 0,
    "in_qualification": 1,
    "sent_back": 1,
    "qualified": 2,
    "approved": 3,
    "redirected": 3,
    "closed_as_duplicate": 3,
    "withdrawn": 3,
    "in_incubation": 4,
    "implemented": 5,
    "abandoned": 5,
}
FINAL: frozenset[str] = frozenset(
    {"redirected", "closed_as_duplicate", "withdrawn", "implemented", "abandoned"}
)
# Statuses that mean the committee has decided (or the idea went past the decision).
DECIDED: frozenset[str] = frozenset(
    {"approved", "redirected", "in_incubation", "implemented", "abandoned"}
)

TRACK_LABELS = {"experiment": "expérimentation", "study": "étude de faisabilité"}
_LABELS = {
    "submitted": "Idée déposée",
    "in_qualification": "En cours de qualification avec l'équipe innovation",
    "sent_back": "Renvoyée à son auteur pour compléments",
    "qualified": "Qualifiée, prête pour le comité",
    "closed_as_duplicate": "Close : doublon d'une autre idée",
    "approved": "Retenue par le comité",
    "redirected": "Réorientée vers les directions concernées",
    "in_incubation": "En incubation",
    "implemented": "Mise en œuvre",
    "abandoned": "Projet abandonné",
    "withdrawn": "Retirée par son auteur",
}


def status_label(status: str, details: dict[str, Any] | None = None) -> str:
    """The French label of a status, with its track or directorates when known."""
    details = details or {}
    label = _LABELS.get(status, status)
    if status == "approved" and details.get("track") in TRACK_LABELS:
        return f"{label} (parcours : {TRACK_LABELS[details['track']]})"
    if status == "redirected" and details.get("directorates"):
        return f"Réorientée vers : {', '.join(details['directorates'])}"
    return label


def supersedes(
    new_status: str, new_at: datetime, current_status: str, current_at: datetime
) -> bool:
    """Whether a status change that occurred at `new_at` replaces the current status.

    The most recent change wins, whatever order the events arrive in; a final status
    (withdrawn, redirected, implemented...) only gives way to a later step of the journey.
    """
    if current_status in FINAL and RANK.get(new_status, 0) <= RANK.get(current_status, 0):
        return False
    if current_status == "submitted":
        # Every change comes after the submission, even from a service whose clock lags.
        return RANK.get(new_status, 0) > 0
    return (new_at, RANK.get(new_status, 0)) > (current_at, RANK.get(current_status, 0))


@dataclass(frozen=True)
class IdeaState:
    """What the rules need to know about an idea."""

    author_sub: str
    co_authors: Sequence[str]
    status: str
    decided: bool
    revision: int


def is_author(idea: IdeaState, sub: str) -> bool:
    return sub == idea.author_sub or sub in idea.co_authors


def is_open_for_changes(idea: IdeaState) -> bool:
    """Authors may still edit or withdraw: no decision yet and not withdrawn or closed."""
    return not idea.decided and idea.status not in FINAL and idea.status not in DECIDED


def _closed_reason(idea: IdeaState) -> str:
    if idea.status == "withdrawn":
        return "Cette idée a été retirée par son auteur : elle ne peut plus être modifiée."
    if idea.status == "closed_as_duplicate":
        return "Cette idée a été close comme doublon : elle ne peut plus être modifiée."
    return "Le comité a déjà rendu sa décision sur cette idée : elle ne peut plus être modifiée."


def check_can_edit(idea: IdeaState, sub: str, if_match: str | None) -> None:
    """Author or co-author, before the decision, with the revision they last read."""
    if not is_author(idea, sub):
        raise Forbidden("Seuls l'auteur et les co-auteurs peuvent modifier cette idée.")
    if not is_open_for_changes(idea):
        raise Refused(_closed_reason(idea))
    if if_match is None:
        raise VersionRequired(
            "En-tête If-Match requis : renvoyez l'ETag lu avec l'idée pour la modifier.",
        )
    if not etag_matches(if_match, idea.revision):
        raise StaleVersion(
            "L'idée a été modifiée depuis votre dernière lecture : rechargez-la puis "
            "reportez vos changements.",
        )


def check_can_withdraw(idea: IdeaState, sub: str) -> None:
    """Only the author, and only before the committee's decision."""
    if sub != idea.author_sub:
        raise Forbidden("Seul l'auteur peut retirer son idée.")
    if idea.status == "withdrawn":
        raise Refused("Cette idée a déjà été retirée.")
    if not is_open_for_changes(idea):
        reason = _closed_reason(idea).replace("modifiée", "retirée")
        raise Refused(reason)


def check_can_support(idea: IdeaState, sub: str) -> None:
    """Any agent but the idea's authors, while the idea is not withdrawn."""
    if is_author(idea, sub):
        raise Forbidden("Vous ne pouvez pas soutenir votre propre idée.")
    if idea.status == "withdrawn":
        raise Refused("Cette idée a été retirée : elle ne peut plus être soutenue.")


def etag(revision: int) -> str:
    return f'"{revision}"'


def etag_matches(if_match: str, revision: int) -> bool:
    """RFC 9110 If-Match: `*` or a list of entity tags, one of which is the current one."""
    candidates = [tag.strip() for tag in if_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag(revision) for tag in candidates)


def may_see_author(
    *,
    show_author: bool,
    author_sub: str,
    co_authors: Iterable[str],
    viewer_sub: str,
    viewer_is_team: bool,
) -> bool:
    """The board hides the author's name when asked, except from the team and the authors."""
    return show_author or viewer_is_team or viewer_sub == author_sub or viewer_sub in co_authors


# --- cursors ------------------------------------------------------------------------------

Sort = Literal["newest", "most_supported", "recently_changed"]


class InvalidCursor(ValueError):
    """The cursor was not produced by this board or not for this sort order."""


def encode_cursor(sort: str, key: Sequence[Any]) -> str:
    """An opaque cursor holding the sort key of the last item of a page."""
    raw = json.dumps([sort, [_plain(v) for v in key]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The sort key held by `cursor`; raises InvalidCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stored_sort, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor(cursor) from exc
    if stored_sort != sort or not isinstance(key, list):
        raise InvalidCursor(cursor)
    return key
