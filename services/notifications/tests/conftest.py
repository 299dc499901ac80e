"""What the notifications tests share: one harness over the running service, the bus and the
test SMTP server (see the root conftest for `notifications`, `smtp_server`)."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from construisons.auth import INNOVATION_TEAM
from construisons.events import Envelope, Event, Person, envelope
from construisons.testing import TestBed, eventually, publish_envelope, serve
from notifications.config import Settings
from notifications.main import create_app

TEAM_MAILBOX = "innovation@departement.example"
COMMITTEE_SUB = "committee.claire"
COMMITTEE_EMAILS = {"claire.comite@departement.example", "comite.direction@departement.example"}
DIRECTORATE_MAILBOXES = {"DSI": "dsi@departement.example", "DRH": "drh@departement.example"}
# What a service of a test's own takes from the suite's notifications settings.
_SMTP_AND_WORKER = {
    "smtp_host",
    "smtp_port",
    "intranet_base_url",
    "delivery_poll_interval",
    "delivery_concurrency",
    "digest_hour",
}


@dataclass
class Harness:
    """Drives the notifications service from the outside: events in, inbox and mail out."""

    testbed: TestBed
    client: httpx.AsyncClient
    smtp: Any

    team_mailbox = TEAM_MAILBOX
    committee_sub = COMMITTEE_SUB
    committee_emails = COMMITTEE_EMAILS
    directorate_mailboxes = DIRECTORATE_MAILBOXES

    @staticmethod
    def person(role: str, *, email: bool = True) -> Person:
        """A fresh person: tests never share recipients by accident."""
        sub = f"{role}.{uuid.uuid4().hex[:8]}"
        return Person(
            sub=sub,
            name=f"{role.capitalize()} {sub[-4:]}",
            email=f"{sub}@departement.example" if email else None,
            directorate="DSI",
        )

    @staticmethod
    def text_part(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @staticmethod
    def html_part(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    @property
    def team(self) -> dict[str, str]:
        return self.testbed.auth("team.lea", roles=[INNOVATION_TEAM])

    def auth(self, sub: str) -> dict[str, str]:
        return self.testbed.auth(sub)

    async def publish(self, event: Event, *, again: Envelope[Any] | None = None) -> Envelope[Any]:
        """Publish an event as its producing service would (or publish `again` once more)."""
        sent = again or envelope(event, producer="test", correlation_id=uuid.uuid4())
        await publish_envelope(self.testbed, sent)
        return sent

    async def inbox(self, sub: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/me/notifications", headers=self.auth(sub), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def items_about(self, sub: str, link: str) -> list[dict[str, Any]]:
        return [n for n in (await self.inbox(sub, limit=200))["items"] if n["link"] == link]

    async def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/deliveries", headers=self.team, params={"limit": 500, **params}
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def mails_of(self, event_id: uuid.UUID) -> list[EmailMessage]:
        return [m for m in list(self.smtp.messages) if m["X-Construisons-Event"] == str(event_id)]

    async def wait_all_sent(self, event_id: uuid.UUID, count: int) -> list[dict[str, Any]]:
        async def sent() -> tuple[list[dict[str, Any]]] | None:
            rows = await self.deliveries(event_id=str(event_id))
            done = len(rows) == count and all(r["status"] == "sent" for r in rows)
            return (rows,) if done else None

        [rows] = await eventually(sent, timeout=20)
        return rows

    async def wait_processed(self, sub: str, link: str) -> dict[str, Any]:
        [item] = await eventually(lambda: self.items_about(sub, link), timeout=20)
        return item


@pytest.fixture
def harness(testbed: TestBed, notifications: httpx.AsyncClient, smtp_server: Any) -> Harness:
    return Harness(testbed, notifications, smtp_server)


@pytest.fixture
def smtp_refusing(smtp_server: Any) -> Iterator[set[str]]:
    """Addresses the test SMTP server answers with a 550 during one test."""
    yield smtp_server.refused
    smtp_server.refused.clear()


@dataclass
class OwnService:
    """A notifications service in a world of the test's own (database, exchange, queue),
    sending to the suite's SMTP server: for tests that stop, restart or alter it."""

    testbed: TestBed
    settings: Settings
    smtp: Any

    def app(self) -> FastAPI:
        return create_app(self.settings)

    @asynccontextmanager
    async def serve(self, app: FastAPI | None = None) -> AsyncIterator[Harness]:
        async with serve(app or self.app()) as client:
            yield Harness(self.testbed, client, self.smtp)


@pytest.fixture
def own_service(
    testbed: TestBed, notifications_settings: Any, smtp_server: Any
) -> Callable[..., Awaitable[OwnService]]:
    """`await own_service(**settings)`: a migrated world of its own, the settings overridden."""

    async def make(**overrides: Any) -> OwnService:
        bed = testbed.sibling()
        await bed.migrate("notifications")
        suite = notifications_settings.model_dump(include=_SMTP_AND_WORKER)
        return OwnService(bed, bed.settings(Settings, **{**suite, **overrides}), smtp_server)

    return make
