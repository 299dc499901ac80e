"""Several replicas side by side: each mail leaves once, the daily digest runs once a day."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from construisons import events as ev
from construisons.testing import eventually, serve
from notifications.main import create_app


async def test_two_replicas_send_each_mail_exactly_once(
    harness: Any, notifications_settings: Any
) -> None:
    async with serve(create_app(notifications_settings)):
        sent = [
            await harness.publish(
                ev.IdeaSubmitted(
                    idea_id=uuid.uuid4(),
                    title=f"Idée n°{n}",
                    problem="p",
                    solution="s",
                    author=harness.person("author"),
                )
            )
            for n in range(12)
        ]
        deliveries = [await harness.wait_all_sent(e.event_id, 2) for e in sent]

    ids = [d["id"] for rows in deliveries for d in rows]
    assert len(ids) == 24
    received = [str(m["X-Construisons-Delivery"]) for m in list(harness.smtp.messages)]
    assert all(received.count(delivery_id) == 1 for delivery_id in ids)


async def test_scheduled_digest_runs_at_the_configured_hour_once_a_day(
    harness: Any, notifications_settings: Any
) -> None:
    me = harness.person("agent")
    saved = await harness.client.put(
        "/me/preferences", headers=harness.auth(me.sub), json={"email": {"idea_progress": "digest"}}
    )
    assert saved.status_code == 200

    async def sent_back(title: str) -> dict[str, Any]:
        event = ev.IdeaSentBack(idea_id=uuid.uuid4(), title=title, author=me, reason="?")
        envelope = await harness.publish(event)
        await harness.wait_processed(me.sub, f"/ideas/{event.idea_id}")
        [row] = await harness.deliveries(event_id=str(envelope.event_id))
        return row

    def digests() -> list[Any]:
        return [m for m in harness.smtp.to(me.email) if "récapitulatif" in str(m["Subject"])]

    async def digest_count(count: int) -> list[Any] | None:
        found = digests()
        return found if len(found) == count else None

    # A replica whose clock we hold: 16:00 in Paris, the digest hour is 17:00.
    now = [datetime(2030, 1, 7, 15, 0, tzinfo=UTC)]
    app = create_app(notifications_settings.model_copy(update={"digest_hour": 17}))
    app.state.delivery_worker.clock = lambda: now[0]
    async with serve(app):
        first = await sent_back("Composteurs")
        await asyncio.sleep(1.5)  # three polls of the worker
        [row] = await harness.deliveries(event_id=first["event_id"])
        assert row["status"] == "awaiting_digest"
        assert digests() == []

        now[0] = datetime(2030, 1, 7, 16, 0, tzinfo=UTC)
        [mail] = await eventually(lambda: digest_count(1), timeout=15)
        assert "Composteurs" in harness.text_part(mail)

        # Later the same day: it waits for tomorrow's digest.
        second = await sent_back("Ruches")
        await asyncio.sleep(1.5)
        [row] = await harness.deliveries(event_id=second["event_id"])
        assert row["status"] == "awaiting_digest"

        now[0] = datetime(2030, 1, 8, 16, 30, tzinfo=UTC)
        await eventually(lambda: digest_count(2), timeout=15)
    assert "Ruches" in harness.text_part(digests()[1])
    assert "Composteurs" not in harness.text_part(digests()[1])
