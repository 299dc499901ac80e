"""Helpers of the intake tests (imported by the test modules): agents of their own, a valid idea, publishing status events.

The intake service and its database live for the whole run: each test uses agents, words
and ideas of its own so tests never see each other's data.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from construisons.events import Event, envelope
from construisons.testing import TestBed, publish_envelope


def unique(prefix: str = "agent") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def idea_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Relais-colis dans nos implantations",
        "problem": "Les agents perdent du temps à récupérer leurs colis hors des heures de service.",
        "solution": "Utiliser nos sites comme points relais pour les colis des agents et usagers.",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Agent:
    sub: str
    headers: dict[str, str]


@dataclass
class Board:
    """The intake service as the intranet sees it, with agents minted on demand."""

    client: httpx.AsyncClient
    testbed: TestBed

    def agent(
        self, prefix: str = "agent", *, roles: list[str] | None = None, **claims: Any
    ) -> Agent:
        sub = unique(prefix)
        claims.setdefault("name", f"Agent {sub}")
        return Agent(sub, self.testbed.auth(sub, roles=roles, **claims))

    async def submit(self, who: Agent, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/ideas", json=idea_body(**overrides), headers=who.headers
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def get(self, idea_id: str, who: Agent) -> dict[str, Any]:
        response = await self.client.get(f"/ideas/{idea_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def publish(
        self, event: Event, *, occurred_at: datetime | None = None, producer: str = "review"
    ) -> None:
        """Publish a status event as review or incubation would."""
        wrapped = envelope(event, producer=producer, correlation_id=event.idea_id)  # type: ignore[attr-defined]
        if occurred_at is not None:
            wrapped = wrapped.model_copy(update={"occurred_at": occurred_at})
        await publish_envelope(self.testbed, wrapped)
