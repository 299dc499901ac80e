"""Events that tell someone something."""

import uuid

from construisons.events import IdeaSubmitted
from construisons.messaging import Delivery, Handler
from sqlalchemy.dialects.postgresql import insert

from notifications.tables import notifications


async def on_idea_submitted(delivery: Delivery[IdeaSubmitted]) -> None:
    idea = delivery.event
    await delivery.session.execute(
        insert(notifications)
        .values(
            id=uuid.uuid4(),
            event_id=delivery.envelope.event_id,
            recipient_sub=idea.author.sub,
            category="idea_received",
            title=f"Votre idée « {idea.title} » a bien été reçue",
            body="L'équipe innovation vous contactera prochainement pour en parler avec vous.",
            link=f"/ideas/{idea.idea_id}",
        )
        .on_conflict_do_nothing(constraint="uq_notifications_event_recipient")
    )


HANDLERS: dict[type, Handler] = {IdeaSubmitted: on_idea_submitted}
