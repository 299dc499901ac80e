"""Test fixtures shared by every service's tests and the cross-service tests (a pytest plugin).

Real PostgreSQL and RabbitMQ only: their URLs come from TEST_DATABASE_URL and
TEST_RABBITMQ_URL; without them, testcontainers starts them where a Docker engine answers;
with neither, tests fail under CI and are skipped elsewhere. Each run has its own
databases, exchange and queues, created here and removed at the end.
"""

import asyncio
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from construisons import db
from construisons.auth import mint_token
from construisons.events import Envelope, Event, RawEnvelope
from construisons.settings import ServiceSettings

SERVICES = ("intake", "review", "incubation", "notifications")
S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _unavailable(what: str) -> None:
    message = f"{what}: set its TEST_* URL or run a Docker engine"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def database_admin_url() -> Iterator[str]:
    """An asyncpg URL of a PostgreSQL server on which the tests may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if not _docker_answers():
        _unavailable("PostgreSQL")
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16", driver="asyncpg") as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    url = os.environ.get("TEST_RABBITMQ_URL")
    if url:
        yield url
        return
    if not _docker_answers():
        _unavailable("RabbitMQ")
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-management") as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(5672)
        yield f"amqp://guest:guest@{host}:{port}/"


@dataclass
class TestBed:
    """One isolated world for a test run: database names, exchange and queue prefix."""

    __test__ = False

    admin_url: str
    rabbitmq_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: set[str] = field(default_factory=set)
    siblings: list["TestBed"] = field(default_factory=list)

    def sibling(self) -> "TestBed":
        """Another isolated world on the same servers (its own databases, exchange, queues)."""
        bed = TestBed(self.admin_url, self.rabbitmq_url)
        self.siblings.append(bed)
        return bed

    @property
    def exchange(self) -> str:
        return f"test.{self.run_id}"

    @property
    def prefix(self) -> str:
        return f"test.{self.run_id}."

    def database_url(self, service: str, variant: str = "") -> str:
        """This run's database of a service (a `variant` gives it a second, separate one)."""
        name = f"t_{self.run_id}_{service}" + (f"_{variant}" if variant else "")
        url = make_url(self.admin_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def settings(self, settings_cls: type[S], **overrides: Any) -> S:
        """Settings of a service pointed at this run's database, exchange and queues."""
        service = settings_cls.model_fields["service_name"].default
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": self.database_url(service),
            "rabbitmq_url": self.rabbitmq_url,
            "bus_exchange": self.exchange,
            "bus_queue_prefix": self.prefix,
            "bus_reconnect_interval": 0.5,
            "outbox_poll_interval": 0.2,
            "database_pool_size": 5,
        }
        values.update(overrides)
        return settings_cls(**values)

    def environment(self, service: str, variant: str = "", **overrides: str) -> dict[str, str]:
        """The same settings as environment variables, for a service run as a process."""
        env = dict(os.environ)
        env.update(
            ENVIRONMENT="test",
            DATABASE_URL=self.database_url(service, variant),
            RABBITMQ_URL=self.rabbitmq_url,
            BUS_EXCHANGE=self.exchange,
            BUS_QUEUE_PREFIX=self.prefix,
            BUS_RECONNECT_INTERVAL="0.5",
            OUTBOX_POLL_INTERVAL="0.2",
        )
        env.update(overrides)
        return env

    async def migrate(self, service: str, variant: str = "") -> None:
        url = self.database_url(service, variant)
        if url not in self.databases:
            await db.migrate_async(service_dir(service), url)
            self.databases.add(url)

    async def cleanup(self) -> None:
        for sibling in self.siblings:
            await sibling.cleanup()
        for url in self.databases:
            with suppress(Exception):
                await db.drop_database(url)
        with suppress(Exception):
            connection = await aio_pika.connect(self.rabbitmq_url)
            async with connection:
                channel = await connection.channel()
                for service in SERVICES:
                    for suffix in ("events", "dead-letter"):
                        with suppress(Exception):
                            await channel.queue_delete(f"{self.prefix}{service}.{suffix}")
                            channel = await connection.channel()
                    with suppress(Exception):
                        await channel.exchange_delete(f"{self.prefix}{service}.dlx")
                        channel = await connection.channel()
                with suppress(Exception):
                    await channel.exchange_delete(self.exchange)

    def token(self, sub: str, *, roles: list[str] | None = None, **claims: Any) -> str:
        return mint_token(ServiceSettings(), sub=sub, roles=roles, **claims)

    def auth(self, sub: str, *, roles: list[str] | None = None, **claims: Any) -> dict[str, str]:
        """Authorization header of a development token for `sub`."""
        return {"Authorization": f"Bearer {self.token(sub, roles=roles, **claims)}"}


def service_dir(service: str) -> Path:
    """The folder of a service's project (its alembic.ini and migrations)."""
    module = importlib.import_module(service)
    return Path(module.__file__ or "").resolve().parents[2]


@pytest.fixture(scope="session")
async def testbed(database_admin_url: str, rabbitmq_url: str) -> AsyncIterator[TestBed]:
    bed = TestBed(database_admin_url, rabbitmq_url)
    yield bed
    await bed.cleanup()


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give an HTTP client to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Await `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


class EventSpy:
    """Records every event published on the run's exchange, through a queue of its own."""

    def __init__(self, rabbitmq_url: str, exchange: str) -> None:
        self.rabbitmq_url = rabbitmq_url
        self.exchange = exchange
        self.received: list[RawEnvelope] = []
        self.raw: list[aio_pika.abc.AbstractIncomingMessage] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.rabbitmq_url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.raw.append(message)
        with suppress(Exception):
            self.received.append(RawEnvelope.model_validate_json(message.body))

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    def of(self, event: type[Event], **payload_fields: Any) -> list[RawEnvelope]:
        """Events of this type whose payload has these field values (compared as JSON)."""
        wanted = json.loads(json.dumps(payload_fields, default=str))
        return [
            e
            for e in self.received
            if e.event_type == event.routing_key
            and all(e.payload.get(k) == v for k, v in wanted.items())
        ]

    async def wait_for(
        self, event: type[Event], *, timeout: float = 15.0, **payload_fields: Any
    ) -> RawEnvelope:
        async def found() -> RawEnvelope | None:
            matches = self.of(event, **payload_fields)
            return matches[0] if matches else None

        return await eventually(found, timeout=timeout)


@pytest.fixture(scope="session")
async def event_spy(testbed: TestBed) -> AsyncIterator[EventSpy]:
    spy = EventSpy(testbed.rabbitmq_url, testbed.exchange)
    await spy.start()
    yield spy
    await spy.stop()


async def publish_envelope(
    testbed: TestBed, envelope: Envelope[Any] | bytes, routing_key: str | None = None
) -> None:
    """Publish straight onto the run's exchange, as another service's relay would."""
    await publish_envelopes(testbed, [envelope], routing_key)


async def publish_envelopes(
    testbed: TestBed, envelopes: Sequence[Envelope[Any] | bytes], routing_key: str | None = None
) -> None:
    """Publish several, in order, over one connection (see publish_envelope)."""
    connection = await aio_pika.connect(testbed.rabbitmq_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            testbed.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for envelope in envelopes:
            if isinstance(envelope, bytes):
                body, key, message_id = envelope, routing_key or "", str(uuid.uuid4())
            else:
                body = envelope.model_dump_json().encode()
                key, message_id = routing_key or envelope.event_type, str(envelope.event_id)
            await exchange.publish(
                aio_pika.Message(
                    body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                routing_key=key,
            )


async def queue_depth(testbed: TestBed, queue: str) -> int:
    """How many messages wait in a queue of this run (name without the run's prefix)."""
    connection = await aio_pika.connect(testbed.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(f"{testbed.prefix}{queue}", passive=True)
        return declared.declaration_result.message_count or 0


class CuttableProxy:
    """A loopback TCP proxy the tests can cut and restore, to take a server away mid-run."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    def to_url(cls, url: str) -> "CuttableProxy":
        parsed = make_url(url.replace("amqp://", "postgresql://", 1))
        return cls(parsed.host or "127.0.0.1", parsed.port or 5672)

    def url(self, original: str) -> str:
        host_port = f"{self.target[0]}:{self.target[1]}"
        return original.replace(host_port, f"127.0.0.1:{self.port}", 1)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


class ServiceProcess:
    """A service run as its own process (`python -m <service> serve`), to kill and restart."""

    def __init__(self, service: str, env: dict[str, str]) -> None:
        self.service = service
        self.env = env
        self.port = _free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, timeout: float = 30.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.service, "serve", "--port", str(self.port), env=self.env
        )
        async with httpx.AsyncClient(base_url=self.base_url) as client:

            async def ready() -> bool:
                with suppress(httpx.HTTPError):
                    return (await client.get("/ready")).status_code == 200
                return False

            await eventually(ready, timeout=timeout, interval=0.2)

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=15)
            except TimeoutError:
                await self.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
