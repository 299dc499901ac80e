"""Delivery guarantees across services: nothing lost, nothing done twice, poison isolated."""

import asyncio
import random
import uuid

import asyncpg
import httpx

from construisons.auth import INNOVATION_TEAM
from construisons.db import asyncpg_dsn
from construisons.events import Envelope, IdeaSubmitted, IdeaWithdrawn, Person, envelope
from construisons.messaging import Delivery, PermanentFailure
from construisons.service import create_service_app
from construisons.testing import (
    CuttableProxy,
    EventSpy,
    ServiceProcess,
    TestBed,
    eventually,
    publish_envelope,
    publish_envelopes,
    queue_depth,
    serve,
)
from intake.config import Settings as IntakeSettings
from intake.main import create_app as create_intake
from review.config import Settings as ReviewSettings
from review.main import create_app as create_review

IDEA = {
    "title": "Covoiturage entre collèges",
    "problem": "Les agents des collèges ruraux font seuls de longs trajets pour les réunions.",
    "solution": "Une bourse de covoiturage interne, ouverte aux agents de tous les sites.",
}


def submitted(author: str = "agent.bus") -> IdeaSubmitted:
    return IdeaSubmitted(
        idea_id=uuid.uuid4(),
        title="Boîte à outils partagée",
        problem="Chaque service achète ses propres outils rarement utilisés.",
        solution="Une outilthèque commune entre services, réservable sur l'intranet.",
        author=Person(sub=author, name="Agent Bus", email=f"{author}@departement.example"),
    )


async def case_of(review: httpx.AsyncClient, testbed: TestBed, idea_id: object) -> dict | None:
    response = await review.get(
        f"/cases/{idea_id}", headers=testbed.auth("team", roles=[INNOVATION_TEAM])
    )
    return response.json() if response.status_code == 200 else None


async def inbox_links(notifications: httpx.AsyncClient, testbed: TestBed, sub: str) -> list[str]:
    response = await notifications.get("/me/notifications", headers=testbed.auth(sub))
    return [item["link"] for item in response.json()["items"]]


async def test_same_event_delivered_twice_creates_one_case_and_one_notification(
    testbed: TestBed, review: httpx.AsyncClient, notifications: httpx.AsyncClient
) -> None:
    author = f"agent.twice.{uuid.uuid4().hex[:6]}"
    event = envelope(submitted(author), producer="intake", correlation_id=uuid.uuid4())
    await publish_envelope(testbed, event)
    await publish_envelope(testbed, event)
    # A later event, handled after both copies were delivered: once it shows, so would a
    # second notification have.
    sentinel = envelope(submitted(author), producer="intake", correlation_id=uuid.uuid4())
    await publish_envelope(testbed, sentinel)

    async def both_seen() -> list[str] | None:
        links = await inbox_links(notifications, testbed, author)
        wanted = {f"/ideas/{sentinel.payload.idea_id}", f"/ideas/{event.payload.idea_id}"}
        return links if wanted <= set(links) else None

    await eventually(both_seen)
    await asyncio.sleep(0.5)
    links = await inbox_links(notifications, testbed, author)
    assert links.count(f"/ideas/{event.payload.idea_id}") == 1
    assert await eventually(lambda: case_of(review, testbed, sentinel.payload.idea_id))
    case = await case_of(review, testbed, event.payload.idea_id)
    assert case is not None and case["title"] == "Boîte à outils partagée"


async def test_malformed_message_is_dead_lettered_and_the_next_one_is_processed(
    testbed: TestBed, review: httpx.AsyncClient
) -> None:
    before = await queue_depth(testbed, "review.dead-letter")
    await publish_envelope(
        testbed, b'{"event_type": "idea.submitted", "payload": ', routing_key="idea.submitted"
    )

    async def dead_lettered() -> bool:
        return await queue_depth(testbed, "review.dead-letter") == before + 1

    await eventually(dead_lettered)
    valid = envelope(submitted(), producer="intake", correlation_id=uuid.uuid4())
    await publish_envelope(testbed, valid)
    assert await eventually(lambda: case_of(review, testbed, valid.payload.idea_id))
    assert await queue_depth(testbed, "review.dead-letter") == before + 1


async def test_event_committed_but_not_published_before_a_crash_is_published_once_on_restart(
    testbed: TestBed, review: httpx.AsyncClient, event_spy: EventSpy
) -> None:
    await testbed.migrate("intake", "crash")
    crashing = ServiceProcess(
        "intake", testbed.environment("intake", "crash", OUTBOX_RELAY_ENABLED="false")
    )
    await crashing.start()
    try:
        async with httpx.AsyncClient(base_url=crashing.base_url) as client:
            posted = await client.post("/ideas", json=IDEA, headers=testbed.auth("agent.crash"))
        assert posted.status_code == 201, posted.text
        idea_id = posted.json()["id"]
    finally:
        await crashing.kill()
    await asyncio.sleep(0.5)
    assert event_spy.of(IdeaSubmitted, idea_id=idea_id) == []
    assert await case_of(review, testbed, idea_id) is None

    restarted = ServiceProcess("intake", testbed.environment("intake", "crash"))
    await restarted.start()
    try:
        assert await eventually(lambda: case_of(review, testbed, idea_id))
        await asyncio.sleep(1.0)
        assert len(event_spy.of(IdeaSubmitted, idea_id=idea_id)) == 1
    finally:
        await restarted.stop()


async def test_ideas_posted_while_the_broker_is_unreachable_are_delivered_when_it_returns(
    testbed: TestBed, review: httpx.AsyncClient, event_spy: EventSpy
) -> None:
    proxy = CuttableProxy.to_url(testbed.rabbitmq_url)
    await proxy.start()
    await testbed.migrate("intake", "outage")
    settings = testbed.settings(
        IntakeSettings,
        database_url=testbed.database_url("intake", "outage"),
        rabbitmq_url=proxy.url(testbed.rabbitmq_url),
    )
    async with serve(create_intake(settings)) as intake:
        await proxy.cut()
        ids = []
        for n in range(5):
            posted = await intake.post(
                "/ideas",
                json={**IDEA, "title": f"Idée pendant la panne {n}"},
                headers=testbed.auth("agent.outage"),
            )
            assert posted.status_code == 201, posted.text
            ids.append(posted.json()["id"])
        await asyncio.sleep(1.0)
        assert all(event_spy.of(IdeaSubmitted, idea_id=i) == [] for i in ids)

        await proxy.start()
        for idea_id in ids:
            assert await eventually(
                lambda idea_id=idea_id: case_of(review, testbed, idea_id), timeout=30
            )
        assert all(len(event_spy.of(IdeaSubmitted, idea_id=i)) == 1 for i in ids)
    await proxy.cut()


async def test_every_published_event_is_persistent_and_identified(
    testbed: TestBed, intake: httpx.AsyncClient, event_spy: EventSpy
) -> None:
    posted = await intake.post("/ideas", json=IDEA, headers=testbed.auth("agent.persist"))
    idea_id = posted.json()["id"]
    found = await event_spy.wait_for(IdeaSubmitted, idea_id=idea_id)
    [message] = [m for m in event_spy.raw if m.message_id == str(found.event_id)]
    assert message.delivery_mode == 2
    assert message.correlation_id == str(found.correlation_id) == idea_id


async def test_event_whose_handler_keeps_failing_is_dead_lettered_after_the_delivery_limit(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("review")
    attempts: list[uuid.UUID] = []
    handled: list[uuid.UUID] = []

    async def handler(delivery: Delivery[IdeaWithdrawn]) -> None:
        if delivery.event.reason == "panne":
            attempts.append(delivery.envelope.event_id)
            raise RuntimeError("this handler cannot process it")
        handled.append(delivery.envelope.event_id)

    settings = bed.settings(ReviewSettings, bus_delivery_limit=2, bus_retry_delay=0.05)
    app = create_service_app(
        settings, title="test", description="test", routers=[], handlers={IdeaWithdrawn: handler}
    )

    def withdrawn(reason: str) -> Envelope[IdeaWithdrawn]:
        payload = IdeaWithdrawn(
            idea_id=uuid.uuid4(), title="Idée", author=Person(sub="a"), reason=reason
        )
        return envelope(payload, producer="intake", correlation_id=uuid.uuid4())

    async with serve(app):
        failing, fine = withdrawn("panne"), withdrawn("changement de poste")
        await publish_envelope(bed, failing)
        await publish_envelope(bed, fine)

        async def dead_lettered() -> bool:
            return await queue_depth(bed, "review.dead-letter") == 1

        await eventually(dead_lettered)
        await eventually(lambda: _async(fine.event_id in handled))
    assert len(attempts) == 3  # the first delivery and two redeliveries
    assert set(attempts) == {failing.event_id}
    assert handled == [fine.event_id]


async def _async(value: bool) -> bool:
    return value


async def test_ideas_posted_to_two_replicas_are_each_published_once_and_promptly(
    testbed: TestBed, event_spy: EventSpy
) -> None:
    await testbed.migrate("intake", "replicas")
    # Polling so rare that only the relays' own wake-ups can deliver within the test.
    settings = testbed.settings(
        IntakeSettings,
        database_url=testbed.database_url("intake", "replicas"),
        outbox_poll_interval=60.0,
    )
    async with serve(create_intake(settings)) as first, serve(create_intake(settings)) as second:

        async def post(client: httpx.AsyncClient, n: int) -> str:
            posted = await client.post(
                "/ideas",
                json={**IDEA, "title": f"Idée déposée sur deux répliques {n}"},
                headers=testbed.auth(f"agent.replica.{n}"),
            )
            assert posted.status_code == 201, posted.text
            return str(posted.json()["id"])

        ids = await asyncio.gather(*(post((first, second)[n % 2], n) for n in range(30)))
        for idea_id in ids:
            await event_spy.wait_for(IdeaSubmitted, idea_id=idea_id, timeout=10)
        await asyncio.sleep(0.5)
        assert all(len(event_spy.of(IdeaSubmitted, idea_id=i)) == 1 for i in ids)


async def test_a_backlog_is_written_in_batches_and_a_bad_event_holds_back_none_of_its_batch(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("review")
    settings = bed.settings(ReviewSettings, bus_delivery_limit=1, bus_retry_delay=0.05)
    async with serve(create_review(settings)):
        pass  # the queue and its bindings now exist: the backlog waits in the queue
    backlog = [
        envelope(submitted(f"agent.backlog.{n}"), producer="intake", correlation_id=uuid.uuid4())
        for n in range(200)
    ]
    # PostgreSQL refuses a NUL character in text: this event's statement always fails.
    poison = submitted("agent.backlog.nul").model_copy(update={"problem": "Un caractère \x00"})
    poison_event = envelope(poison, producer="intake", correlation_id=uuid.uuid4())
    await publish_envelopes(bed, [*backlog[:100], backlog[0], poison_event, *backlog[100:]])

    async with serve(create_review(settings)) as review:

        async def all_cases() -> dict | None:
            response = await review.get(
                "/cases", params={"limit": 500}, headers=bed.auth("team", roles=[INNOVATION_TEAM])
            )
            listed = response.json()
            return listed if listed["total"] >= len(backlog) else None

        listed = await eventually(all_cases, timeout=30)

        async def dead_lettered() -> bool:
            return await queue_depth(bed, "review.dead-letter") == 1

        await eventually(dead_lettered)
        assert {item["idea_id"] for item in listed["items"]} == {
            str(e.payload.idea_id) for e in backlog
        }
        assert listed["total"] == len(backlog)
    # Every message was acknowledged: none came back to the queue when the consumer left.
    assert await queue_depth(bed, "review.events") == 0
    # Written together: most cases share their transaction with others (one each, alone).
    connection = await asyncpg.connect(asyncpg_dsn(bed.database_url("review")))
    try:
        together = await connection.fetchval(
            "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM cases"
            " GROUP BY xmin::text HAVING count(*) > 1) AS batches"
        )
    finally:
        await connection.close()
    assert together >= len(backlog) / 2


async def test_messages_finishing_in_any_order_are_each_settled_once_and_as_they_should(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("review")
    handled: list[uuid.UUID] = []
    failed_once: set[uuid.UUID] = set()

    async def handler(delivery: Delivery[IdeaWithdrawn]) -> None:
        # Handlers of random length: messages finish in any order, acks interleave.
        await asyncio.sleep(random.random() * 0.02)
        event_id = delivery.envelope.event_id
        if delivery.event.reason == "illisible":
            raise PermanentFailure("cannot be read")
        if delivery.event.reason == "panne passagère" and event_id not in failed_once:
            failed_once.add(event_id)
            raise RuntimeError("a passing failure")
        handled.append(event_id)

    def consuming() -> object:
        settings = bed.settings(ReviewSettings, bus_delivery_limit=3, bus_retry_delay=0.01)
        return create_service_app(
            settings,
            title="test",
            description="test",
            routers=[],
            handlers={IdeaWithdrawn: handler},
        )

    async with serve(consuming()):
        pass  # the queue exists: the messages below wait in it, then come 50 at a time
    reasons = [
        "illisible" if n % 17 == 5 else "panne passagère" if n % 7 == 3 else "fin"
        for n in range(400)
    ]
    sent = [
        envelope(
            IdeaWithdrawn(
                idea_id=uuid.uuid4(), title="Idée", author=Person(sub="a"), reason=reason
            ),
            producer="intake",
            correlation_id=uuid.uuid4(),
        )
        for reason in reasons
    ]
    await publish_envelopes(bed, sent)
    unreadable = [e.event_id for e in sent if e.payload.reason == "illisible"]
    readable = [e.event_id for e in sent if e.payload.reason != "illisible"]

    async with serve(consuming()):

        async def all_settled() -> bool:
            dead = await queue_depth(bed, "review.dead-letter")
            return len(handled) >= len(readable) and dead >= len(unreadable)

        await eventually(all_settled, timeout=30)
        await asyncio.sleep(0.3)
    assert sorted(handled) == sorted(readable)  # each exactly once, none lost
    assert failed_once == {e.event_id for e in sent if e.payload.reason == "panne passagère"}
    assert await queue_depth(bed, "review.dead-letter") == len(unreadable)
    # Nothing left unacknowledged: no message came back to the queue when the consumer left.
    assert await queue_depth(bed, "review.events") == 0


async def test_an_outbox_backlog_leaves_in_the_order_it_was_written_each_event_once(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("intake")
    spy = EventSpy(bed.rabbitmq_url, bed.exchange)
    await spy.start()
    try:
        # Written with no relay running: the next one finds a backlog of many waves.
        quiet = bed.settings(IntakeSettings, outbox_relay_enabled=False)
        ids = []
        async with serve(create_intake(quiet)) as intake:
            for n in range(60):
                posted = await intake.post(
                    "/ideas",
                    json={**IDEA, "title": f"Idée en attente de publication n°{n}"},
                    headers=bed.auth(f"agent.outbox.{n}"),
                )
                assert posted.status_code == 201, posted.text
                ids.append(posted.json()["id"])
        await asyncio.sleep(0.3)
        assert spy.received == []

        async with serve(create_intake(bed.settings(IntakeSettings))):

            async def all_published() -> bool:
                return len(spy.of(IdeaSubmitted)) >= len(ids)

            await eventually(all_published, timeout=15)
            await asyncio.sleep(0.3)
        published = spy.of(IdeaSubmitted)
        assert [e.payload["idea_id"] for e in published] == ids
        for found, message in zip(published, spy.raw, strict=True):
            assert message.message_id == str(found.event_id)
            assert message.type == "idea.submitted"
            assert message.delivery_mode == 2
            assert message.correlation_id == str(found.correlation_id)
    finally:
        await spy.stop()


async def test_an_event_nobody_listens_to_yet_waits_in_the_outbox_until_someone_does(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("intake")
    async with serve(create_intake(bed.settings(IntakeSettings))) as intake:
        # No queue is bound to idea.submitted on this exchange: the broker returns the publish.
        posted = await intake.post("/ideas", json=IDEA, headers=bed.auth("agent.unheard"))
        assert posted.status_code == 201, posted.text
        idea_id = posted.json()["id"]
        # The relay tried at once (woken by the commit) and keeps trying: the row stays.
        await asyncio.sleep(1.0)
        connection = await asyncpg.connect(asyncpg_dsn(bed.database_url("intake")))
        try:
            kept = await connection.fetch("SELECT published_at FROM outbox")
        finally:
            await connection.close()
        assert [row["published_at"] for row in kept] == [None]

        spy = EventSpy(bed.rabbitmq_url, bed.exchange)
        await spy.start()
        try:
            found = await spy.wait_for(IdeaSubmitted, idea_id=idea_id, timeout=15)
            assert found.payload["idea_id"] == idea_id
        finally:
            await spy.stop()
