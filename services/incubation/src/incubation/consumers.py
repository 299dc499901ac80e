"""Events incubation acts on."""

import uuid

from construisons.events import IdeaApproved, IncubationStarted
from construisons.messaging import Delivery, Handler
from sqlalchemy.dialects.postgresql import insert

from incubation.tables import projects

START_PHASE = {"study": "feasibility_study", "experiment": "experimentation"}


async def on_idea_approved(delivery: Delivery[IdeaApproved]) -> None:
    idea = delivery.event
    project_id = uuid.uuid4()
    phase = START_PHASE[idea.track]
    created = await delivery.session.scalar(
        insert(projects)
        .values(
            id=project_id,
            idea_id=idea.idea_id,
            title=idea.title,
            intrapreneur=idea.author.model_dump(),
            manager=idea.manager.model_dump() if idea.manager else None,
            track=idea.track,
            phase=phase,
        )
        .on_conflict_do_nothing(index_elements=[projects.c.idea_id])
        .returning(projects.c.id)
    )
    if created is None:
        return
    await delivery.emit(
        IncubationStarted(
            project_id=project_id,
            idea_id=idea.idea_id,
            title=idea.title,
            intrapreneur=idea.author,
            manager=idea.manager,
            track=idea.track,
            phase=phase,  # type: ignore[arg-type]
        )
    )


HANDLERS: dict[type, Handler] = {IdeaApproved: on_idea_approved}
