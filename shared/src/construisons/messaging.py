"""Messaging shared by the services: topology, transactional outbox and its relay, inbox.

Every service publishes the same way (rows in its `outbox` table, written in the
transaction of the state change, published by a relay with publisher confirms) and
consumes the same way (one quorum queue, an inbox row per event written in the transaction
of the handler's effect, ack after commit, dead-letter queue for what cannot succeed).
"""

import asyncio
import contextlib
import contextvars
import json
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, cast

import aio_pika
import aiormq
import asyncpg
import sqlalchemy as sa
from faststream.exceptions import RejectMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from construisons import events
from construisons.db import DriverStatement, Sessions, driver_connection, events_written
from construisons.observability import bind_log_context, log_context, trace_headers
from construisons.settings import ServiceSettings

log = logging.getLogger(__name__)

# Any constant works: one relay per database publishes at a time, which keeps the order.
RELAY_LOCK_KEY = 7_410_517

OUTBOX = sa.table(
    "outbox",
    sa.column("id", sa.BigInteger),
    sa.column("event_id", UUID(as_uuid=True)),
    sa.column("routing_key", sa.String),
    sa.column("body", sa.LargeBinary),
    sa.column("headers", JSONB),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("attempts", sa.Integer),
)
INBOX = sa.table(
    "inbox",
    sa.column("consumer", sa.String),
    sa.column("event_id", UUID(as_uuid=True)),
    sa.column("event_type", sa.String),
)


# --- topology -------------------------------------------------------------------------


@dataclass(frozen=True)
class Topology:
    """Names of the exchange and of one consuming service's queues."""

    exchange_name: str
    prefix: str
    consumer: str
    delivery_limit: int = 5

    @classmethod
    def for_service(cls, settings: ServiceSettings, consumer: str) -> "Topology":
        return cls(
            exchange_name=settings.bus_exchange,
            prefix=settings.bus_queue_prefix,
            consumer=consumer,
            delivery_limit=settings.bus_delivery_limit,
        )

    @property
    def exchange(self) -> RabbitExchange:
        return RabbitExchange(self.exchange_name, type=ExchangeType.TOPIC, durable=True)

    @property
    def dead_letter_exchange(self) -> RabbitExchange:
        return RabbitExchange(
            f"{self.prefix}{self.consumer}.dlx", type=ExchangeType.FANOUT, durable=True
        )

    @property
    def queue(self) -> RabbitQueue:
        return RabbitQueue(
            f"{self.prefix}{self.consumer}.events",
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments={
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange.name,
            },
        )

    @property
    def dead_letter_queue(self) -> RabbitQueue:
        return RabbitQueue(
            f"{self.prefix}{self.consumer}.dead-letter", queue_type=QueueType.QUORUM, durable=True
        )


def new_broker(settings: ServiceSettings, **kwargs: Any) -> RabbitBroker:
    """A broker whose publishes are confirmed and whose unroutable messages raise."""
    return RabbitBroker(
        settings.rabbitmq_url,
        default_channel=Channel(
            publisher_confirms=True, on_return_raises=True, prefetch_count=settings.bus_prefetch
        ),
        reconnect_interval=settings.bus_reconnect_interval,
        app_id=settings.service_name,
        log_level=logging.DEBUG,
        # Handlers take the raw message and parse it themselves: no injection per message.
        apply_types=False,
        **kwargs,
    )


async def declare_topology(
    broker: RabbitBroker, topology: Topology, routing_keys: list[str]
) -> None:
    """Declare the exchange, the consumer's queue with its bindings, and its dead-letter pair."""
    exchange = await broker.declare_exchange(topology.exchange)
    dlx = await broker.declare_exchange(topology.dead_letter_exchange)
    dlq = await broker.declare_queue(topology.dead_letter_queue)
    await dlq.bind(dlx, routing_key="")
    queue = await broker.declare_queue(topology.queue)
    for key in routing_keys:
        await queue.bind(exchange, routing_key=key)


# --- outbox ---------------------------------------------------------------------------


# Built once. An event's outbox row, for `emit` or for a caller's own statement that writes
# its change and its event together (one round trip, atomic without a transaction).
OUTBOX_INSERT = (
    sa.insert(OUTBOX)
    .values(
        event_id=sa.bindparam("outbox_event_id", type_=UUID(as_uuid=True)),
        routing_key=sa.bindparam("outbox_routing_key", type_=sa.String),
        body=sa.bindparam("outbox_body", type_=sa.LargeBinary),
        headers=sa.bindparam("outbox_headers", type_=JSONB),
    )
    .returning(OUTBOX.c.id)
)


def outbox_params(
    payload: events.Event,
    *,
    producer: str,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[events.Envelope[Any], dict[str, Any]]:
    """An event in its envelope, and the parameters of OUTBOX_INSERT that write it."""
    envelope = events.envelope(
        payload, producer=producer, correlation_id=correlation_id, causation_id=causation_id
    )
    bind_log_context(correlation_id=correlation_id, idea_id=getattr(payload, "idea_id", None))
    return envelope, {
        "outbox_event_id": envelope.event_id,
        "outbox_routing_key": payload.routing_key,
        "outbox_body": envelope.model_dump_json().encode(),
        "outbox_headers": {**trace_headers(), **(headers or {})},
    }


async def emit(
    session: AsyncSession,
    payload: events.Event,
    *,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    headers: Mapping[str, str] | None = None,
) -> events.Envelope[Any]:
    """Write an event to the outbox inside the caller's transaction; published after commit."""
    envelope, params = outbox_params(
        payload,
        producer=session.info["producer"],
        correlation_id=correlation_id,
        causation_id=causation_id,
        headers=headers,
    )
    await session.execute(OUTBOX_INSERT, params)
    events_written(session)
    return envelope


# The relay's statements, run by the driver on each batch (see db.DriverStatement).
_RELAY_LOCK = DriverStatement.compile(
    sa.select(sa.func.pg_try_advisory_xact_lock(sa.literal(RELAY_LOCK_KEY, sa.BigInteger)))
)
_PENDING = DriverStatement.compile(
    sa.select(OUTBOX.c.id, OUTBOX.c.event_id, OUTBOX.c.routing_key, OUTBOX.c.body, OUTBOX.c.headers)
    .where(OUTBOX.c.published_at.is_(None))
    .order_by(OUTBOX.c.id)
    .limit(sa.bindparam("batch_size", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
_PUBLISHED = DriverStatement.compile(
    sa.update(OUTBOX)
    .where(OUTBOX.c.id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.BigInteger))))
    .values(published_at=sa.func.now())
)


# Publishes started in one turn of the event loop: fewer than aiormq's frame queue holds.
_PUBLISH_WAVE = 8
_PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)


@dataclass
class OutboxRelay:
    """Publishes pending outbox rows in order, marks them published, and never loses one.

    It wakes when a transaction of its process that wrote events commits, and polls for
    the rest; a transaction-scoped advisory lock lets several replicas run side by side
    with one publishing at a time, and a replica finding the lock taken tries again
    shortly (the holder may have read its batch before this replica's rows were written).
    """

    engine: AsyncEngine
    broker: RabbitBroker
    exchange: RabbitExchange
    wake: asyncio.Event
    poll_interval: float = 1.0
    lock_retry: float = 0.05
    batch_size: int = 500
    retention: timedelta = timedelta(days=7)
    publish_timeout: float = 10.0
    on_published: Callable[[list[str]], None] | None = None
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        backoff = 0.0
        last_purge = datetime.min.replace(tzinfo=UTC)
        while True:
            # Cleared before reading: rows committed from now on set it again.
            self.wake.clear()
            try:
                published = await self.publish_pending()
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                backoff = min(30.0, max(0.2, backoff * 2))
                log.warning("outbox relay: publish failed, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff * (0.8 + random.random() * 0.4))
                continue
            if published is None:
                await asyncio.sleep(self.lock_retry)
                continue
            if published >= self.batch_size:
                continue
            if datetime.now(UTC) - last_purge > timedelta(hours=1):
                await self.purge_published()
                last_purge = datetime.now(UTC)
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass

    async def publish_pending(self) -> int | None:
        """Publish one batch of pending rows; returns how many were published, None when
        another replica holds the lock."""
        async with driver_connection(self.engine) as conn, conn.transaction():
            if not await conn.fetchval(_RELAY_LOCK.sql, *_RELAY_LOCK.args({})):
                return None
            rows = await conn.fetch(_PENDING.sql, *_PENDING.args({"batch_size": self.batch_size}))
            if not rows:
                return 0
            await self._publish_all(rows)
            await conn.execute(
                _PUBLISHED.sql, *_PUBLISHED.args({"ids": [row["id"] for row in rows]})
            )
        if self.on_published is not None:
            self.on_published([row["routing_key"] for row in rows])
        return len(rows)

    async def _publish_all(self, rows: list[asyncpg.Record]) -> None:
        """Publish rows in order, many in flight, their confirms awaited together.

        aiormq writes a connection's frames through a queue of ten
        (`aiormq.Connection.FRAME_BUFFER_SIZE`). A publish that finds it full waits there
        holding the channel's lock, and each of the others then waits its own turn of the
        event loop for the lock. In a loaded intake, where a turn serves every request in
        flight, 500 events took five seconds to leave (the outbox ten seconds behind its
        writes). The publishes start in waves smaller than the queue, one wave a turn, as
        the connection's writer empties it: 500 events in about one second under the same
        load, and a few milliseconds idle.
        """
        channel = await self._channel()
        publishes: list[asyncio.Task[None]] = []
        try:
            for start in range(0, len(rows), _PUBLISH_WAVE):
                wave = rows[start : start + _PUBLISH_WAVE]
                publishes += [asyncio.create_task(self._publish(channel, row)) for row in wave]
                await asyncio.sleep(0)
            await asyncio.gather(*publishes)
        finally:
            # Once one fails, or the relay stops, the batch is not marked: no publish of it
            # goes on in the background (what left is published again, and deduplicated).
            for task in publishes:
                task.cancel()

    async def _channel(self) -> aiormq.Channel:
        """The broker's channel as it is now (a reconnection replaces it)."""
        exchange = await self.broker.declare_exchange(self.exchange)
        return cast(aiormq.Channel, await exchange.channel.get_underlay_channel())

    async def _publish(self, channel: aiormq.Channel, row: asyncpg.Record) -> None:
        """Publish one row, persistent and mandatory (unroutable: an error), and wait for its
        confirm. Unlike aio-pika's publish (and so FastStream's), it does not wait, holding
        the channel's lock, for its frame to reach the socket: that wait is a turn of the
        event loop for each publish, one after the other."""
        properties = aiormq.spec.Basic.Properties(
            delivery_mode=_PERSISTENT,
            message_id=str(row["event_id"]),
            correlation_id=str(json.loads(row["body"])["correlation_id"]),
            message_type=row["routing_key"],
            content_type="application/json",
            # The trace context of the transaction that wrote the event, if any.
            headers=row["headers"] or None,
        )
        await channel.basic_publish(
            row["body"],
            exchange=self.exchange.name,
            routing_key=row["routing_key"],
            properties=properties,
            mandatory=True,
            timeout=self.publish_timeout,
            wait=False,
        )

    async def purge_published(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.delete(OUTBOX).where(
                    OUTBOX.c.published_at < sa.func.now() - self.retention,
                )
            )


# --- inbox ----------------------------------------------------------------------------


@dataclass
class Delivery(Generic[events.E]):
    """One event being handled: the handler's session and the envelope it came in."""

    session: AsyncSession
    envelope: events.Envelope[events.E]

    @property
    def event(self) -> events.E:
        return self.envelope.payload

    async def emit(self, payload: events.Event) -> events.Envelope[Any]:
        """Emit a follow-up event in the same transaction, in the same journey."""
        return await emit(
            self.session,
            payload,
            correlation_id=self.envelope.correlation_id,
            causation_id=self.envelope.event_id,
        )


Handler = Callable[[Delivery[Any]], Awaitable[None]]


@dataclass(frozen=True)
class OneStatement:
    """A handler whose whole effect is one statement, run with the event's inbox row in a
    single round trip and no transaction around it (a statement is atomic on its own).

    The statement holds the inbox row as a CTE (INBOX_RECORD, or INBOX_RECORD_SQL in text),
    makes its effect depend on that row having been written (a redelivered event changes
    nothing), and answers one row whose first column counts the inbox rows written (0:
    already handled). `params` gives the statement's own parameters for an envelope; the
    consumer adds the inbox's. A BEGIN and a COMMIT fewer per message (and no statement
    waiting on the previous one): on review's busiest event, a third of its CPU. The
    statement is compiled once and run by the driver (see db.DriverStatement); it writes
    no outbox rows (the relay would only find them at its next poll).

    Under load the consumer runs the events waiting for the same statement together, in
    one transaction and one round trip (see StatementBatches).
    """

    statement: sa.Executable
    params: Callable[[events.Envelope[Any]], dict[str, Any]]
    compiled: DriverStatement = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", DriverStatement.compile(self.statement))


# Built once: constructing the statement per message cost more CPU than running it.
# The event's inbox row: returned when written, nothing when the event was handled before.
INBOX_RECORD = (
    insert(INBOX)
    .values(
        consumer=sa.bindparam("consumer"),
        event_id=sa.bindparam("event_id"),
        event_type=sa.bindparam("event_type"),
    )
    .on_conflict_do_nothing()
    .returning(INBOX.c.event_id)
)
# The same, as SQL text for statements written as text.
INBOX_RECORD_SQL = (
    "INSERT INTO inbox (consumer, event_id, event_type)"
    " VALUES (:consumer, :event_id, :event_type)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


@dataclass(eq=False)
class StatementBatches:
    """Runs one OneStatement for the events waiting for it, together.

    Each event's message task hands its arguments over and waits. Whoever gets a connection
    takes every event waiting then (at most `size`) and runs the statement once per event
    in one transaction, pipelined in one round trip (asyncpg's fetchmany): one commit, one
    write and one wait instead of one each per event. An event alone runs alone, at once,
    so a quiet queue waits for nothing. At most `lanes` batches run at a time, each taking
    a connection in turn with the sessions.

    Nothing is acknowledged before its batch commits: each message task gets its event's
    result (False: handled before) and goes on as if it had run the statement itself. If a
    batch fails, its events get None and each runs alone, so that one bad event or a lost
    connection is handled as it would be without batches: retried, or dead-lettered alone.
    """

    statement: OneStatement
    sessionmaker: Sessions
    size: int = 50
    lanes: int = 2
    _waiting: deque[tuple[list[Any], asyncio.Future[bool | None]]] = field(default_factory=deque)
    _busy: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, args: list[Any]) -> bool | None:
        """The event's inbox result once its batch is committed; None if the batch failed."""
        future: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if self._busy < self.lanes:
            self._busy += 1
            # A context of its own: a batch belongs to no one event's log context.
            task = asyncio.create_task(self._drain(), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[list[Any], asyncio.Future[bool | None]]] = []
        try:
            # The lane is freed in the same step as it finds nothing waiting: an event
            # handed over after that finds a free lane.
            while self._waiting:
                batch = []
                results = await self._run_batch(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._busy -= 1
            for _, future in batch:
                # Cancelled mid-batch (the service stopping): its messages are not acked.
                future.cancel()

    async def _run_batch(
        self, batch: list[tuple[list[Any], asyncio.Future[bool | None]]]
    ) -> list[bool | Exception | None]:
        """Fill `batch` with what waits once a connection is free, and run it: each
        event's result, None to run it alone, or the error of an event that ran alone."""
        sql = self.statement.compiled.sql
        try:
            async with self.sessionmaker.driver() as connection:
                while self._waiting and len(batch) < self.size:
                    batch.append(self._waiting.popleft())
                if len(batch) == 1:
                    return [bool(await connection.fetchval(sql, *batch[0][0]))]
                async with connection.transaction():
                    rows = await connection.fetchmany(sql, [args for args, _ in batch])
                return [bool(row[0]) for row in rows]
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            if not batch:
                # No connection to be had: every waiting event runs alone, and fails alone
                # into its retry, rather than this lane trying again at once.
                batch.extend(self._waiting)
                self._waiting.clear()
            else:
                log.info("%d events could not run together, each runs alone: %s", len(batch), exc)
            return [None] * len(batch)


class PermanentFailure(Exception):
    """A handler's verdict that this event can never be processed: dead-letter it now."""


class NotReady(Exception):
    """The event depends on another not received yet (say, a withdrawal before its
    submission): it is given back and retried with backoff, within the delivery limit."""


@dataclass
class Consumer:
    """Runs each event through its handler exactly once per consumer (the inbox)."""

    name: str
    sessionmaker: Sessions
    handlers: Mapping[type[events.Event], Handler | OneStatement]
    on_consumed: Callable[[str, str], None] | None = None
    retry_delay: float = 0.5
    batch_size: int = 50
    # Messages in hand at once from which the queue is taken to hold a backlog: events that
    # come one at a time rarely overlap, a backlog fills the prefetch.
    backlog_from: int = 4
    _batches: dict[int, StatementBatches] = field(default_factory=dict, init=False, repr=False)
    _in_hand: int = field(default=0, init=False, repr=False)
    _backlog_seen: float = field(default=-1e9, init=False, repr=False)

    def had_backlog(self, within: float = 0.5) -> bool:
        """Whether a message began, during the last `within` seconds, while `backlog_from`
        others were in hand: events are waiting, and work that can wait gives way to them
        (the mails of notifications.deliveries)."""
        return time.monotonic() - self._backlog_seen < within

    @property
    def routing_keys(self) -> list[str]:
        return sorted(event.routing_key for event in self.handlers)

    async def handle(self, body: bytes, *, redeliveries: int = 0) -> None:
        """Handle one message; `redeliveries` (from the quorum queue) paces retries of failures."""
        if self._in_hand >= self.backlog_from:
            self._backlog_seen = time.monotonic()
        self._in_hand += 1
        try:
            await self._parse_and_handle(body, redeliveries)
        finally:
            self._in_hand -= 1

    async def _parse_and_handle(self, body: bytes, redeliveries: int) -> None:
        try:
            envelope = events.parse(body)
        except (ValidationError, events.UnknownEvent, ValueError) as exc:
            log.error("%s: unreadable message sent to the dead-letter queue: %s", self.name, exc)
            self._count("unreadable", "dead_lettered")
            raise RejectMessage() from exc
        handler = self.handlers.get(type(envelope.payload))
        if handler is None:
            return
        with log_context(
            correlation_id=envelope.correlation_id,
            event_id=envelope.event_id,
            idea_id=getattr(envelope.payload, "idea_id", None),
        ):
            await self._handle(envelope, handler, redeliveries)

    async def _handle(
        self, envelope: events.Envelope[Any], handler: Handler | OneStatement, redeliveries: int
    ) -> None:
        inbox = {
            "consumer": self.name,
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
        }
        try:
            if isinstance(handler, OneStatement):
                args = handler.compiled.args({**handler.params(envelope), **inbox})
                fresh = await self._batches_of(handler).run(args) if self.batch_size > 1 else None
                if fresh is None:
                    async with self.sessionmaker.driver() as connection:
                        fresh = bool(await connection.fetchval(handler.compiled.sql, *args))
            else:
                async with self.sessionmaker.begin() as session:
                    fresh = (await session.execute(INBOX_RECORD, inbox)).first() is not None
                    if fresh:
                        await handler(Delivery(session, envelope))
            if not fresh:
                self._count(envelope.event_type, "duplicate")
                return
        except PermanentFailure as exc:
            log.error(
                "%s: %s %s dead-lettered: %s",
                self.name,
                envelope.event_type,
                envelope.event_id,
                exc,
            )
            self._count(envelope.event_type, "dead_lettered")
            raise RejectMessage() from exc
        except Exception as exc:
            # Wait before giving the message back, so that a passing outage (database
            # restarting) or a missing earlier event is ridden out within the delivery limit.
            await asyncio.sleep(min(self.retry_delay * 2**redeliveries, 30.0))
            not_ready = isinstance(exc, NotReady)
            log.log(
                logging.INFO if not_ready else logging.WARNING,
                "%s: %s %s given back for a retry: %s",
                self.name,
                envelope.event_type,
                envelope.event_id,
                exc,
                exc_info=not not_ready,
            )
            self._count(envelope.event_type, "not_ready" if not_ready else "failed")
            raise
        self._count(envelope.event_type, "consumed")

    def _batches_of(self, statement: OneStatement) -> StatementBatches:
        batches = self._batches.get(id(statement))
        if batches is None:
            batches = StatementBatches(statement, self.sessionmaker, size=self.batch_size)
            self._batches[id(statement)] = batches
        return batches

    def _count(self, event_type: str, outcome: str) -> None:
        if self.on_consumed is not None:
            self.on_consumed(event_type, outcome)


_IN_HAND, _DONE, _SETTLED = 0, 1, 2


@dataclass(eq=False)
class Acknowledgements:
    """A consumer's acknowledgements, one frame for many wherever that is safe.

    Messages are handled concurrently and finish in any order, and the delivery tags of a
    channel are consecutive. Once every message from the oldest one in hand up to a done one
    is done or settled, one basic.ack with `multiple` settles them all: one frame, and one
    settlement in the quorum queue, for the lot (per message, RabbitMQ spent four times
    the CPU). It is sent as soon as `batch` messages are waiting for it or none is left in
    hand; a done message waiting behind a slower one is acked on its own after `linger`
    seconds at most. A message given back or rejected is so on its own, at once. Every
    frame is sent under one lock, after the decision taken under it: an ack never covers a
    message in hand, nor one already settled, nor a tag not yet seen (the walk stops at a
    gap). A message of a channel since replaced is left to the broker, which redelivers it.
    """

    batch: int = 12
    linger: float = 0.05
    _channel: Any = None
    _next: int = 1
    _states: dict[int, tuple[int, RabbitMessage]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _timer: asyncio.TimerHandle | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def received(self, message: RabbitMessage) -> None:
        if message.raw_message.channel is not self._channel:
            # A new channel (the first, or after a reconnection): its tags start at 1.
            self._channel, self._next, self._states = message.raw_message.channel, 1, {}
        self._states[_tag(message)] = (_IN_HAND, message)

    async def ack(self, message: RabbitMessage) -> None:
        async with self._lock:
            if self._mark(message, _DONE):
                await self._flush(force=False)

    async def nack(self, message: RabbitMessage) -> None:
        """Give the message back to the queue (redelivered, within the delivery limit)."""
        async with self._lock:
            if self._mark(message, _SETTLED):
                await message.nack()
                await self._flush(force=False)

    async def reject(self, message: RabbitMessage) -> None:
        """Reject the message: it goes to the dead-letter queue."""
        async with self._lock:
            if self._mark(message, _SETTLED):
                await message.reject()
                await self._flush(force=False)

    def _mark(self, message: RabbitMessage, state: int) -> bool:
        tag = _tag(message)
        if message.raw_message.channel is not self._channel or tag not in self._states:
            return False
        self._states[tag] = (state, message)
        return True

    async def _flush(self, *, force: bool) -> None:
        """Ack what is done: the run from the oldest tag with one frame when worth it, and
        done messages behind one in hand on their own when `batch` of them wait; all of it
        when `force`d. What is left done waits for a timer."""
        tag, last_done, run = self._next, None, 0
        while (entry := self._states.get(tag)) is not None and entry[0] != _IN_HAND:
            if entry[0] == _DONE:
                last_done, run = entry[1], run + 1
            tag += 1
        if force or run >= self.batch or tag - self._next == len(self._states):
            if last_done is not None:
                await last_done.ack(multiple=True)
            for settled in range(self._next, tag):
                del self._states[settled]
            self._next, run = tag, 0
        behind = [
            m
            for t, (state, m) in self._states.items()
            if state == _DONE and not self._next <= t < tag
        ]
        if behind and (force or len(behind) >= self.batch):
            for message in behind:
                await message.ack()
                self._states[_tag(message)] = (_SETTLED, message)
            behind = []
        if (run or behind) and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.linger, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        task = asyncio.create_task(self._flush_all(), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_all(self) -> None:
        async with self._lock:
            with contextlib.suppress(Exception):  # a closed channel: the broker redelivers
                await self._flush(force=True)


def _tag(message: RabbitMessage) -> int:
    # A consumed message always has one; 0 is never walked, so never covered by another's.
    return message.raw_message.delivery_tag or 0


def subscribe(
    broker: RabbitBroker, topology: Topology, consumer: Consumer, *, ack_batch: int = 12
) -> None:
    """Attach the consumer to its queue; a failing handler is nacked and retried up to the
    queue's delivery limit, then dead-lettered. Acknowledgements are the consumer's own
    (see Acknowledgements); the message itself is the handler's argument, undecoded."""
    acks = Acknowledgements(batch=ack_batch)

    async def on_message(message: RabbitMessage) -> None:
        acks.received(message)
        redeliveries = int(message.headers.get("x-delivery-count") or 0)
        try:
            await consumer.handle(message.body, redeliveries=redeliveries)
        except RejectMessage:
            await acks.reject(message)
        except Exception:
            await acks.nack(message)
            raise
        else:
            await acks.ack(message)

    broker.subscriber(
        topology.queue,
        ack_policy=AckPolicy.MANUAL,
        decoder=_undecoded,
        title=f"{topology.consumer}.events",
        description=f"Events consumed by {topology.consumer}: {', '.join(consumer.routing_keys)}",
    )(on_message)


async def _undecoded(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """The handler takes the message as it came: the consumer parses the envelope itself."""
    return message
