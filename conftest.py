"""Fixtures for every test of the repository: each service running in-process on the test bed.

The generic ones (test bed, event spy, helpers) come from the `construisons.testing` plugin.
"""

import importlib
import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from construisons.testing import TestBed, serve


async def _running(testbed: TestBed, service: str) -> AsyncIterator[httpx.AsyncClient]:
    await testbed.migrate(service)
    config = importlib.import_module(f"{service}.config")
    main = importlib.import_module(f"{service}.main")
    async with serve(main.create_app(testbed.settings(config.Settings))) as client:
        yield client


@pytest.fixture(scope="session")
async def intake(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "intake"):
        yield client


@pytest.fixture(scope="session")
async def review(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "review"):
        yield client


@pytest.fixture(scope="session")
async def incubation(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "incubation"):
        yield client


class MailCatcher:
    """A real SMTP server (aiosmtpd) on a free loopback port keeping every message it accepts.

    `stop()` then `start()` simulates an outage: the port refuses connections in between.
    Addresses in `refused` are rejected with a 550, as a mail server does for unknown users.
    """

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.lower() in self.refused:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        # A stopped aiosmtpd controller cannot start again: a new one takes the same port.
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in list(self.messages) if address.lower() in str(m["To"]).lower()]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailCatcher]:
    server = MailCatcher()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notifications_settings(testbed: TestBed, smtp_server: MailCatcher) -> Any:
    from notifications.config import Settings

    return testbed.settings(
        Settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        intranet_base_url="https://intranet.departement.example",
        committee_members=[
            {"sub": "committee.claire", "email": "claire.comite@departement.example"},
            {"email": "comite.direction@departement.example"},
        ],
        directorate_mailboxes={
            "DSI": "dsi@departement.example",
            "DRH": "drh@departement.example",
        },
        delivery_poll_interval=0.5,
        delivery_concurrency=2,
        delivery_max_attempts=6,
        delivery_backoff_seconds=0.3,
        delivery_backoff_max_seconds=1.5,
        # Digests run when a test asks (POST /digests/run or a replica with its own clock).
        digest_hour=None,
    )


@pytest.fixture(scope="session")
async def notifications(
    testbed: TestBed, notifications_settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    from notifications.main import create_app

    await testbed.migrate("notifications")
    async with serve(create_app(notifications_settings)) as client:
        yield client
