"""Events incubation acts on."""

import uuid

from sqlalchemy.dialects.postgresql import insert

from construisons.events import IdeaApproved, IncubationStarted
from construisons.messaging import Delivery, Handler
from incubation.domain.phases import start_phase
from incubation.domain.workstreams import DEFAULT_WORKSTREAMS
from incubation.tables import projects, workstreams


async def on_idea_approved(delivery: Delivery[IdeaApproved]) -> None:
    """Open the idea's project once: the inbox drops a redelivered event, the unique idea_id
    an approval sent again under a new event id."""
    idea = delivery.event
    project_id = uuid.uuid4()
    phase = start_phase(idea.track)
    created = await delivery.session.scalar(
        insert(projects)
        .values(
            id=project_id,
            idea_id=idea.idea_id,
            title=idea.title,
            problem=idea.problem,
            solution=idea.solution,
            co_authors=list(idea.co_authors),
            intrapreneur=idea.author.model_dump(mode="json"),
            intrapreneur_sub=idea.author.sub,
            manager=idea.manager.model_dump(mode="json") if idea.manager else None,
            manager_sub=idea.manager.sub if idea.manager else None,
            directorate=idea.author.directorate,
            track=idea.track,
            phase=phase,
            correlation_id=delivery.envelope.correlation_id,
        )
        .on_conflict_do_nothing(index_elements=[projects.c.idea_id])
        .returning(projects.c.id)
    )
    if created is None:
        return
    await delivery.session.execute(
        insert(workstreams),
        [
            {"project_id": project_id, "key": key, "label": label, "position": position}
            for position, (key, label) in enumerate(DEFAULT_WORKSTREAMS)
        ],
    )
    await delivery.emit(
        IncubationStarted(
            project_id=project_id,
            idea_id=idea.idea_id,
            title=idea.title,
            intrapreneur=idea.author,
            manager=idea.manager,
            track=idea.track,
            phase=phase,
        )
    )


HANDLERS: dict[type, Handler] = {IdeaApproved: on_idea_approved}
