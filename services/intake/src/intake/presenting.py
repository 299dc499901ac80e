"""What the intake API shows and the helpers its routes share: presenting ideas and
comments to a given viewer, French refusals, the settings."""

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from construisons.auth import INNOVATION_TEAM, Principal
from construisons.events import Person
from intake import domain
from intake.config import Settings
from intake.schemas import IdeaOut, IdeaSummary, TimelineEntry, person

NOT_FOUND = "Idée introuvable."
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Jeton absent, invalide ou expiré"},
}


def settings_of(request: Request) -> Settings:
    """The running app's intake settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def is_team(agent: Principal) -> bool:
    """Whether the caller belongs to the innovation team (sees everything)."""
    return agent.has_role(INNOVATION_TEAM)


def field_error(loc: Sequence[str | int], message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *loc), "msg": message, "ctx": {"error": message}}]
    )


def check_themes(themes: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """The themes without repeats; a 422 naming the first one outside the configured list."""
    for index, theme in enumerate(themes):
        if theme not in allowed:
            raise field_error(
                ("themes", index),
                f"Thème inconnu : « {theme} ». Thèmes possibles : {', '.join(allowed)}.",
            )
    return list(dict.fromkeys(themes))


def co_authors_of(co_authors: Sequence[str], author_sub: str) -> list[str]:
    """Co-authors without repeats and without the author."""
    return [sub for sub in dict.fromkeys(co_authors) if sub != author_sub]


def idea_state(row: Any) -> domain.IdeaState:
    return domain.IdeaState(
        author_sub=row.author_sub,
        co_authors=row.co_authors,
        status=row.status,
        decided=row.decided_at is not None,
        revision=row.revision,
    )


def shown_author(row: Any, viewer: Principal) -> tuple[Person | None, list[str]]:
    """The author and co-authors this viewer may see (none when the author is hidden)."""
    if domain.may_see_author(
        show_author=row.show_author,
        author_sub=row.author_sub,
        co_authors=row.co_authors,
        viewer_sub=viewer.sub,
        viewer_is_team=is_team(viewer),
    ):
        return person(row.author), list(row.co_authors)
    return None, []


def timeline_entries(row: Any, entries: Sequence[Any]) -> list[TimelineEntry]:
    """The submission and every recorded status change, oldest first, with French labels."""
    timeline = [
        TimelineEntry(
            status="submitted",
            label=domain.status_label("submitted"),
            occurred_at=row.created_at,
        )
    ]
    for entry in entries:
        details = entry["details"] or {}
        timeline.append(
            TimelineEntry(
                status=entry["status"],
                label=domain.status_label(entry["status"], details),
                occurred_at=entry["occurred_at"],
                track=details.get("track"),
                directorates=details.get("directorates"),
                duplicate_of=details.get("duplicate_of"),
                reason=details.get("reason"),
            )
        )
    # The submission opens the timeline even if another service's clock lags behind ours.
    timeline.sort(
        key=lambda e: (e.status != "submitted", e.occurred_at, domain.RANK.get(e.status, 0))
    )
    return timeline


def status_details(row: Any) -> dict[str, Any]:
    return {"track": row.track, "directorates": row.redirected_to}


def idea_out(
    row: Any, timeline: Sequence[Any], viewer: Principal, *, supported: bool = False
) -> IdeaOut:
    author, co_authors = shown_author(row, viewer)
    state = idea_state(row)
    return IdeaOut(
        id=row.id,
        title=row.title,
        problem=row.problem,
        solution=row.solution,
        expected_benefits=row.expected_benefits,
        themes=row.themes,
        beneficiaries=row.beneficiaries,
        co_authors=co_authors,
        show_author=row.show_author,
        author=author,
        directorate=row.author_directorate if author is not None else None,
        status=row.status,
        status_label=domain.status_label(row.status, status_details(row)),
        track=row.track,
        redirected_to=row.redirected_to,
        revision=row.revision,
        editable=domain.is_author(state, viewer.sub) and domain.is_open_for_changes(state),
        support_count=row.support_count,
        supported_by_me=supported,
        comment_count=row.comment_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        timeline=timeline_entries(row, timeline),
    )


def summary(row: Any, viewer: Principal) -> IdeaSummary:
    author, _ = shown_author(row, viewer)
    return IdeaSummary(
        id=row.id,
        title=row.title,
        excerpt=row.excerpt,
        themes=row.themes,
        beneficiaries=row.beneficiaries,
        show_author=row.show_author,
        author=author,
        directorate=row.author_directorate if author is not None else None,
        status=row.status,
        status_label=domain.status_label(row.status, {"track": row.track}),
        track=row.track,
        support_count=row.support_count,
        supported_by_me=row.supported_by_me,
        comment_count=row.comment_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def content(row: Any) -> dict[str, Any]:
    """What IdeaSubmitted and IdeaUpdated carry about the idea."""
    return {
        "idea_id": row.id,
        "title": row.title,
        "problem": row.problem,
        "solution": row.solution,
        "expected_benefits": row.expected_benefits,
        "themes": list(row.themes),
        "beneficiaries": row.beneficiaries,
        "co_authors": list(row.co_authors),
        "show_author": row.show_author,
        "author": Person.model_validate(row.author),
        "manager": person(row.manager),
    }


def headers_of(idea_id: uuid.UUID, revision: int) -> dict[str, str]:
    return {"Location": f"/ideas/{idea_id}", "ETag": domain.etag(revision)}
