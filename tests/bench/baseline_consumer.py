"""Scenario 2's baseline: a minimal FastStream subscriber inserting one row per message.

It reads the (already declared, quorum) queue `BENCH_QUEUE` with the services' prefetch,
quiet per-message logging like theirs, and one SQLAlchemy transaction per message: no
envelope parsing, no inbox, no outbox. Rows carry `received_at = now()` so the drain rate
is measured from the database, as it is for the services' inbox.
"""

import asyncio
import logging
import os
import signal
import uuid

import sqlalchemy as sa
from faststream.rabbit import Channel, QueueType, RabbitBroker, RabbitQueue
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import create_async_engine

metadata = sa.MetaData()
received = sa.Table(
    "baseline_received",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("body", JSONB, nullable=False),
    sa.Column(
        "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)


async def main() -> None:
    engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=10, max_overflow=0)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    broker = RabbitBroker(
        os.environ["RABBITMQ_URL"],
        default_channel=Channel(prefetch_count=int(os.environ.get("BUS_PREFETCH", "50"))),
        log_level=logging.DEBUG,
    )
    queue = RabbitQueue(
        os.environ["BENCH_QUEUE"], queue_type=QueueType.QUORUM, durable=True, declare=False
    )

    @broker.subscriber(queue)
    async def on_message(body: dict) -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(received).values(id=uuid.uuid4(), body=body))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    await stop.wait()
    await broker.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
