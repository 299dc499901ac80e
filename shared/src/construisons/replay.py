"""Replay a service's dead-letter queue into its queue, once the cause is fixed.

    python -m construisons.replay review [--limit N]

Reads RABBITMQ_URL, BUS_QUEUE_PREFIX like the services. Each message goes back to the
service's own queue only (other consumers already have it); the inbox makes a replay of an
already handled event harmless.
"""

import argparse
import asyncio
import sys

import aio_pika

from construisons.messaging import Topology
from construisons.settings import ServiceSettings


async def replay_dead_letters(
    settings: ServiceSettings, service: str, *, limit: int | None = None
) -> int:
    """Move up to `limit` messages (all by default) from the dead-letter queue back; returns the count."""
    topology = Topology.for_service(settings, service)
    connection = await aio_pika.connect(settings.rabbitmq_url)
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dead = await channel.declare_queue(topology.dead_letter_queue.name, passive=True)
        target = topology.queue.name
        while limit is None or moved < limit:
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in message.headers.items() if not k.startswith("x-")}
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    type=message.type,
                    app_id=message.app_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=target,
                mandatory=True,
            )
            await message.ack()
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("service", choices=["intake", "review", "incubation", "notifications"])
    parser.add_argument("--limit", type=int, default=None, help="replay at most this many messages")
    args = parser.parse_args(argv)
    moved = asyncio.run(replay_dead_letters(ServiceSettings(), args.service, limit=args.limit))
    sys.stdout.write(f"{moved} message(s) replayed into {args.service}\n")


if __name__ == "__main__":
    main()
