"""Helpers of the incubation tests: approve an idea as review would, act as someone."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from construisons.auth import INNOVATION_TEAM
from construisons.events import IdeaApproved, Person, Track, envelope
from construisons.testing import TestBed, eventually, publish_envelope


def _unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Subs of their own for each test: the service's database lives for the whole run."""
    return _unique


def _approved_idea(
    *,
    author: str,
    manager: str | None = None,
    track: Track = "study",
    directorate: str = "DSI",
    idea_id: uuid.UUID | None = None,
    title: str = "Covoiturage entre sites",
) -> IdeaApproved:
    return IdeaApproved(
        idea_id=idea_id or uuid.uuid4(),
        title=title,
        problem="Les agents multiplient les trajets seuls entre nos sites.",
        solution="Une application de covoiturage réservée aux agents.",
        author=Person(
            sub=author,
            name=f"Agent {author}",
            email=f"{author}@departement.example",
            directorate=directorate,
        ),
        co_authors=["co.auteur"],
        manager=Person(sub=manager, email=f"{manager}@departement.example") if manager else None,
        track=track,
        reason="Fort impact et faisabilité démontrée.",
    )


@pytest.fixture
def make_idea() -> Callable[..., IdeaApproved]:
    """An IdeaApproved as review publishes it."""
    return _approved_idea


@pytest.fixture
def team_auth(testbed: TestBed) -> dict[str, str]:
    return testbed.auth("team.coach", roles=[INNOVATION_TEAM], name="Léa Coach")


@pytest.fixture
def approve(
    testbed: TestBed, incubation: httpx.AsyncClient, team_auth: dict[str, str]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Publish an IdeaApproved as review does and wait for its project (full view)."""

    async def run(**fields: Any) -> dict[str, Any]:
        idea = _approved_idea(**fields)
        await publish_envelope(
            testbed, envelope(idea, producer="review", correlation_id=uuid.uuid4())
        )

        async def project() -> dict[str, Any] | None:
            found = await incubation.get(
                "/projects", params={"idea_id": str(idea.idea_id)}, headers=team_auth
            )
            items = found.json()["items"]
            if not items:
                return None
            full = await incubation.get(f"/projects/{items[0]['id']}", headers=team_auth)
            return full.json()

        return await eventually(project)

    return run
