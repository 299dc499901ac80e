"""Helpers of the review tests: open cases as intake would, and walk them through review.

A module name of its own, so the tests of other services never import it by mistake.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from construisons.auth import COMMITTEE, INNOVATION_TEAM
from construisons.events import IdeaSubmitted, IdeaUpdated, IdeaWithdrawn, Person, envelope
from construisons.testing import EventSpy, TestBed, eventually, publish_envelope

FIT = {
    "problem_clearly_stated": True,
    "solution_addresses_problem": True,
    "beneficiaries": "Les agents des collèges",
    "directorates": ["Direction de l'éducation"],
}


@dataclass
class Desk:
    """The review service as the team and the committee use it, plus intake's events."""

    review: httpx.AsyncClient
    testbed: TestBed

    @property
    def team(self) -> dict[str, str]:
        return self.testbed.auth("team.lea", roles=[INNOVATION_TEAM], name="Léa Équipe")

    def member(self, sub: str = "committee.paul", name: str | None = None) -> dict[str, str]:
        return self.testbed.auth(sub, roles=[COMMITTEE], name=name or sub)

    async def submit(
        self,
        *,
        title: str = "Covoiturage entre sites",
        occurred_at: datetime | None = None,
        directorate: str = "DSI",
        themes: list[str] | None = None,
        idea_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Publish IdeaSubmitted as intake would and wait until review opened the case."""
        idea_id = idea_id or uuid.uuid4()
        event = IdeaSubmitted(
            idea_id=idea_id,
            title=title,
            problem="Les agents viennent seuls en voiture.",
            solution="Une application de covoiturage interne.",
            themes=themes if themes is not None else ["mobilité"],
            co_authors=["agent.coauteur"],
            author=Person(
                sub="agent.auteur",
                name="Camille Auteur",
                email="camille@departement.example",
                directorate=directorate,
            ),
            manager=Person(sub="manager.chef", email="chef@departement.example"),
        )
        wrapped = envelope(event, producer="intake", correlation_id=correlation_id or uuid.uuid4())
        if occurred_at is not None:
            wrapped = wrapped.model_copy(update={"occurred_at": occurred_at})
        await publish_envelope(self.testbed, wrapped)
        await self.wait_for_case(idea_id)
        return idea_id

    async def publish(self, event: IdeaUpdated | IdeaWithdrawn) -> None:
        await publish_envelope(
            self.testbed, envelope(event, producer="intake", correlation_id=uuid.uuid4())
        )

    async def wait_for_case(self, idea_id: uuid.UUID, **expected: Any) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            response = await self.review.get(f"/cases/{idea_id}", headers=self.team)
            if response.status_code != 200:
                return None
            body = response.json()
            return body if all(body.get(k) == v for k, v in expected.items()) else None

        return await eventually(found)

    async def case(self, idea_id: uuid.UUID) -> dict[str, Any]:
        response = await self.review.get(f"/cases/{idea_id}", headers=self.team)
        assert response.status_code == 200, response.text
        return response.json()

    async def contact(
        self, idea_id: uuid.UUID, *, contacted_at: datetime | None = None, channel: str = "phone"
    ) -> httpx.Response:
        body: dict[str, Any] = {"channel": channel, "summary": "Échange avec l'auteur."}
        if contacted_at is not None:
            body["contacted_at"] = contacted_at.isoformat()
        return await self.review.post(f"/cases/{idea_id}/contacts", json=body, headers=self.team)

    async def qualify(self, idea_id: uuid.UUID, **fit: Any) -> httpx.Response:
        return await self.review.post(
            f"/cases/{idea_id}/qualify",
            json={"fit": {**FIT, **fit}, "summary": "Résumé reformulé."},
            headers=self.team,
        )

    async def qualified(self, **submit: Any) -> uuid.UUID:
        """A case contacted and qualified, ready for the committee."""
        idea_id = await self.submit(**submit)
        assert (await self.contact(idea_id)).status_code == 201
        response = await self.qualify(idea_id)
        assert response.status_code == 200, response.text
        return idea_id

    async def score(
        self, idea_id: uuid.UUID, member: dict[str, str], **scores: int
    ) -> httpx.Response:
        return await self.review.put(
            f"/cases/{idea_id}/scores",
            json={"scores": scores or {"strategic_impact": 4, "feasibility": 3}},
            headers=member,
        )

    async def decide(
        self,
        idea_id: uuid.UUID,
        decision: str = "experiment",
        *,
        directorates: list[str] | None = None,
        member: dict[str, str] | None = None,
        reason: str = "Utile et peu coûteux.",
    ) -> httpx.Response:
        body: dict[str, Any] = {"decision": decision, "reason": reason}
        if directorates is not None:
            body["directorates"] = directorates
        return await self.review.post(
            f"/cases/{idea_id}/decision", json=body, headers=member or self.member()
        )

    async def new_session(self, title: str = "Comité de décembre") -> dict[str, Any]:
        response = await self.review.post(
            "/sessions", json={"date": "2026-12-15", "title": title}, headers=self.team
        )
        assert response.status_code == 201, response.text
        return response.json()


@dataclass
class Tuned:
    """A second review service, in a world of its own, with non-default settings."""

    desk: Desk
    spy: EventSpy


def now() -> datetime:
    return datetime.now(UTC)
