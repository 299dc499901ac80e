"""The intranet page's live stream: server-sent events pushed when a notification arrives.

httpx's ASGI transport buffers whole responses, so the stream is read from a second replica
of the service served by uvicorn on a loopback port. That replica shares the database and
the queue with the first: whichever consumes the event, the NOTIFY sent at commit reaches
the replica holding the stream.
"""

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn

from construisons import events as ev
from construisons.testing import eventually
from notifications.main import create_app


@asynccontextmanager
async def replica(settings: Any) -> AsyncIterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


async def _next_event(lines: AsyncIterator[str]) -> tuple[str, str]:
    """The next (event, data) pair of the stream, skipping pings and comments."""
    name, data = "message", ""
    async for line in lines:
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data = line.removeprefix("data:").strip()
        elif line == "" and data:
            return name, data
    raise AssertionError("the stream ended")


async def test_stream_receives_a_notification_published_after_it_opened(
    harness: Any, notifications_settings: Any
) -> None:
    me, someone_else = harness.person("agent"), harness.person("agent")
    async with (
        replica(notifications_settings) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=20) as http,
        http.stream("GET", "/me/notifications/stream", headers=harness.auth(me.sub)) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            assert await _next_event(lines) == ("ready", "{}")

        # Someone else's notification is not pushed to me; mine is.
        other = ev.IdeaSentBack(
            idea_id=uuid.uuid4(), title="Pas pour moi", author=someone_else, reason="?"
        )
        mine = ev.IdeaSentBack(
            idea_id=uuid.uuid4(), title="Potager du collège", author=me, reason="Quel collège ?"
        )
        await harness.publish(other)
        await harness.wait_processed(someone_else.sub, f"/ideas/{other.idea_id}")
        await harness.publish(mine)
        async with asyncio.timeout(15):
            name, data = await _next_event(lines)

    assert name == "notification"
    pushed = json.loads(data)
    assert pushed["link"] == f"/ideas/{mine.idea_id}"
    assert "Potager du collège" in pushed["title"]
    assert pushed["read"] is False
    [stored] = await harness.items_about(me.sub, f"/ideas/{mine.idea_id}")
    assert stored["id"] == pushed["id"]


async def test_reconnected_stream_first_sends_what_arrived_in_between(
    harness: Any, notifications_settings: Any
) -> None:
    me = harness.person("agent")
    seen_event, missed_event = (
        ev.IdeaSentBack(idea_id=uuid.uuid4(), title=title, author=me, reason="?")
        for title in ("Déjà vue", "Arrivée pendant la coupure")
    )
    await harness.publish(seen_event)
    seen = await harness.wait_processed(me.sub, f"/ideas/{seen_event.idea_id}")
    await harness.publish(missed_event)
    missed = await harness.wait_processed(me.sub, f"/ideas/{missed_event.idea_id}")

    headers = {**harness.auth(me.sub), "Last-Event-ID": seen["id"]}
    async with (
        replica(notifications_settings) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=20) as http,
        http.stream("GET", "/me/notifications/stream", headers=headers) as stream,
    ):
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            assert await _next_event(lines) == ("ready", "{}")
            name, data = await _next_event(lines)
    assert name == "notification"
    assert json.loads(data)["id"] == missed["id"]
