"""Status changes from review and incubation, shown on the board and in each timeline.

Events may arrive in any order: each adds its timeline entry, and changes the idea's
status only if it is newer than the one shown (see domain.supersedes).
"""

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from construisons.events import (
    Event,
    IdeaApproved,
    IdeaClosedAsDuplicate,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaRedirected,
    IdeaSentBack,
    IncubationStarted,
    ProjectAbandoned,
    ProjectCompleted,
)
from construisons.messaging import Delivery, Handler
from intake import domain
from intake.tables import idea_timeline, ideas

log = logging.getLogger(__name__)


async def record_status(
    delivery: Delivery[Any],
    status: str,
    details: dict[str, Any] | None = None,
    *,
    decided: bool = False,
    track: str | None = None,
    redirected_to: list[str] | None = None,
) -> None:
    """Add the change to the idea's timeline and show it if no newer status is shown."""
    session = delivery.session
    event = delivery.event
    occurred_at = delivery.envelope.occurred_at
    current = (
        await session.execute(
            sa.select(ideas.c.status, ideas.c.status_at, ideas.c.decided_at)
            .where(ideas.c.id == event.idea_id)
            .with_for_update()
        )
    ).first()
    if current is None:
        # Not an idea of this board (another deployment's, or a test's own): nothing to show.
        log.info("intake: %s for unknown idea %s ignored", event.routing_key, event.idea_id)
        return
    clean = {k: v for k, v in (details or {}).items() if v not in (None, [], "")}
    await session.execute(
        insert(idea_timeline)
        .values(
            idea_id=event.idea_id,
            status=status,
            occurred_at=occurred_at,
            details=clean,
            event_id=delivery.envelope.event_id,
        )
        .on_conflict_do_nothing()
    )
    values: dict[str, Any] = {}
    if decided and current.decided_at is None:
        values["decided_at"] = occurred_at
    if track is not None:
        values["track"] = track
    if redirected_to:
        values["redirected_to"] = redirected_to
    if domain.supersedes(status, occurred_at, current.status, current.status_at):
        values.update(
            status=status,
            status_at=occurred_at,
            updated_at=sa.func.greatest(ideas.c.updated_at, occurred_at),
        )
    if values:
        await session.execute(sa.update(ideas).where(ideas.c.id == event.idea_id).values(**values))


async def on_qualification_started(delivery: Delivery[IdeaQualificationStarted]) -> None:
    await record_status(delivery, "in_qualification")


async def on_qualified(delivery: Delivery[IdeaQualified]) -> None:
    await record_status(delivery, "qualified")


async def on_sent_back(delivery: Delivery[IdeaSentBack]) -> None:
    await record_status(delivery, "sent_back", {"reason": delivery.event.reason})


async def on_closed_as_duplicate(delivery: Delivery[IdeaClosedAsDuplicate]) -> None:
    event = delivery.event
    await record_status(
        delivery,
        "closed_as_duplicate",
        {"duplicate_of": str(event.duplicate_of), "reason": event.reason},
    )


async def on_approved(delivery: Delivery[IdeaApproved]) -> None:
    event = delivery.event
    await record_status(
        delivery,
        "approved",
        {"track": event.track, "reason": event.reason},
        decided=True,
        track=event.track,
    )


async def on_redirected(delivery: Delivery[IdeaRedirected]) -> None:
    event = delivery.event
    await record_status(
        delivery,
        "redirected",
        {"directorates": list(event.directorates), "reason": event.reason},
        decided=True,
        redirected_to=list(event.directorates),
    )


async def on_incubation_started(delivery: Delivery[IncubationStarted]) -> None:
    event = delivery.event
    await record_status(
        delivery, "in_incubation", {"track": event.track}, decided=True, track=event.track
    )


async def on_project_completed(delivery: Delivery[ProjectCompleted]) -> None:
    await record_status(delivery, "implemented", decided=True)


async def on_project_abandoned(delivery: Delivery[ProjectAbandoned]) -> None:
    await record_status(delivery, "abandoned", {"reason": delivery.event.reason}, decided=True)


HANDLERS: dict[type[Event], Handler] = {
    IdeaQualificationStarted: on_qualification_started,
    IdeaQualified: on_qualified,
    IdeaSentBack: on_sent_back,
    IdeaClosedAsDuplicate: on_closed_as_duplicate,
    IdeaApproved: on_approved,
    IdeaRedirected: on_redirected,
    IncubationStarted: on_incubation_started,
    ProjectCompleted: on_project_completed,
    ProjectAbandoned: on_project_abandoned,
}
