"""Events review acts on: ideas submitted, updated and withdrawn in intake."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from construisons.events import IdeaSubmitted, IdeaUpdated, IdeaWithdrawn
from construisons.messaging import Delivery, Handler, NotReady
from review.config import Settings
from review.domain import cases as lifecycle
from review.domain.calendar import contact_due_on
from review.queries import record, update_case
from review.tables import cases, history


def _text_of(idea: IdeaSubmitted | IdeaUpdated) -> dict[str, Any]:
    return {
        "title": idea.title,
        "problem": idea.problem,
        "solution": idea.solution,
        "expected_benefits": idea.expected_benefits,
        "beneficiaries": idea.beneficiaries,
        "themes": list(idea.themes),
        "co_authors": list(idea.co_authors),
        "author": idea.author.model_dump(),
        "manager": idea.manager.model_dump() if idea.manager else None,
        "directorate": idea.author.directorate,
    }


_OPENED_FIELDS = (
    "idea_id",
    "correlation_id",
    "submitted_at",
    "due_on",
    "title",
    "problem",
    "solution",
    "expected_benefits",
    "beneficiaries",
    "themes",
    "co_authors",
    "author",
    "manager",
    "directorate",
)
_opened = (
    insert(cases)
    .values({name: sa.bindparam(name, type_=cases.c[name].type) for name in _OPENED_FIELDS})
    .on_conflict_do_nothing(index_elements=[cases.c.idea_id])
    .returning(cases.c.idea_id, cases.c.submitted_at, cases.c.author)
    .cte("opened")
)
# One statement, built once: the case and the first line of its history (none when the
# case already existed). Building it per message cost more CPU than running it.
_OPEN_CASE = sa.insert(history).from_select(
    ["idea_id", "at", "action", "actor"],
    sa.select(_opened.c.idea_id, _opened.c.submitted_at, sa.literal("submitted"), _opened.c.author),
)


def on_idea_submitted(settings: Settings) -> Handler:
    async def handle(delivery: Delivery[IdeaSubmitted]) -> None:
        idea = delivery.event
        submitted_at = delivery.envelope.occurred_at
        await delivery.session.execute(
            _OPEN_CASE,
            {
                "idea_id": idea.idea_id,
                "correlation_id": delivery.envelope.correlation_id,
                "submitted_at": submitted_at,
                "due_on": contact_due_on(
                    submitted_at.date(),
                    settings.contact_target_working_days,
                    ignore_public_holidays=settings.contact_ignore_public_holidays,
                ),
                **_text_of(idea),
            },
        )

    return handle


async def _locked_case(delivery: Delivery[Any], idea_id: Any) -> Any:
    return (
        await delivery.session.execute(
            sa.select(cases.c.status, cases.c.revision)
            .where(cases.c.idea_id == idea_id)
            .with_for_update()
        )
    ).first()


async def on_idea_updated(delivery: Delivery[IdeaUpdated]) -> None:
    idea = delivery.event
    case = await _locked_case(delivery, idea.idea_id)
    if case is None:
        raise NotReady("update received before the submission")
    # An older revision than the one the case holds changes nothing.
    if idea.revision <= case.revision:
        return
    status = lifecycle.after_update(lifecycle.Status(case.status))
    if status is None:
        return
    await update_case(
        delivery.session, idea.idea_id, status=status, revision=idea.revision, **_text_of(idea)
    )
    await record(
        delivery.session,
        idea.idea_id,
        "updated",
        idea.author,
        revision=idea.revision,
        status=status,
    )


async def on_idea_withdrawn(delivery: Delivery[IdeaWithdrawn]) -> None:
    idea = delivery.event
    case = await _locked_case(delivery, idea.idea_id)
    if case is None:
        raise NotReady("withdrawal received before the submission")
    status = lifecycle.after_withdrawal(lifecycle.Status(case.status))
    if status is None:
        return
    await update_case(delivery.session, idea.idea_id, status=status, closed_at=sa.func.now())
    await record(delivery.session, idea.idea_id, "withdrawn", idea.author, reason=idea.reason)


def handlers(settings: Settings) -> dict[type, Handler]:
    """The handlers of the review service, bound to its settings."""
    return {
        IdeaSubmitted: on_idea_submitted(settings),
        IdeaUpdated: on_idea_updated,
        IdeaWithdrawn: on_idea_withdrawn,
    }
