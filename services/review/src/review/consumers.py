"""Events review acts on: ideas submitted, updated and withdrawn in intake."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from construisons.events import Envelope, IdeaSubmitted, IdeaUpdated, IdeaWithdrawn
from construisons.messaging import INBOX_RECORD, Delivery, Handler, NotReady, OneStatement
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
# One statement, built once (building it per message cost more CPU than running it): the
# event's inbox row, the case and the first line of its history, in one round trip with no
# transaction around it; nothing but the inbox row when the case already exists, nothing at
# all when the event was handled before.
_recorded = INBOX_RECORD.cte("recorded")
_opened = (
    insert(cases)
    .from_select(
        list(_OPENED_FIELDS),
        sa.select(*(sa.bindparam(name, type_=cases.c[name].type) for name in _OPENED_FIELDS)).where(
            sa.exists(sa.select(_recorded.c.event_id))
        ),
    )
    .on_conflict_do_nothing(index_elements=[cases.c.idea_id])
    .returning(cases.c.idea_id, cases.c.submitted_at, cases.c.author)
    .cte("opened")
)
_first_line = (
    sa.insert(history)
    .from_select(
        ["idea_id", "at", "action", "actor"],
        sa.select(
            _opened.c.idea_id, _opened.c.submitted_at, sa.literal("submitted"), _opened.c.author
        ),
    )
    .returning(history.c.idea_id)
    .cte("first_line")
)
_OPEN_CASE = sa.select(
    sa.select(sa.func.count()).select_from(_recorded).scalar_subquery(),
    sa.select(sa.func.count()).select_from(_first_line).scalar_subquery(),
)


def on_idea_submitted(settings: Settings) -> OneStatement:
    def params(envelope: Envelope[IdeaSubmitted]) -> dict[str, Any]:
        idea = envelope.payload
        submitted_at = envelope.occurred_at
        return {
            "idea_id": idea.idea_id,
            "correlation_id": envelope.correlation_id,
            "submitted_at": submitted_at,
            "due_on": contact_due_on(
                submitted_at.date(),
                settings.contact_target_working_days,
                ignore_public_holidays=settings.contact_ignore_public_holidays,
            ),
            **_text_of(idea),
        }

    return OneStatement(_OPEN_CASE, params)


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


def handlers(settings: Settings) -> dict[type, Handler | OneStatement]:
    """The handlers of the review service, bound to its settings."""
    return {
        IdeaSubmitted: on_idea_submitted(settings),
        IdeaUpdated: on_idea_updated,
        IdeaWithdrawn: on_idea_withdrawn,
    }
