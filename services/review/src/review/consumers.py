"""Events review acts on."""

from construisons.events import IdeaSubmitted
from construisons.messaging import Delivery, Handler
from sqlalchemy.dialects.postgresql import insert

from review.tables import cases


async def on_idea_submitted(delivery: Delivery[IdeaSubmitted]) -> None:
    idea = delivery.event
    await delivery.session.execute(
        insert(cases)
        .values(
            idea_id=idea.idea_id,
            title=idea.title,
            problem=idea.problem,
            solution=idea.solution,
            author=idea.author.model_dump(),
            manager=idea.manager.model_dump() if idea.manager else None,
            correlation_id=delivery.envelope.correlation_id,
            submitted_at=delivery.envelope.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=[cases.c.idea_id])
    )


HANDLERS: dict[type, Handler] = {IdeaSubmitted: on_idea_submitted}
