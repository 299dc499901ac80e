"""Operating the platform: dead-letter replay, several replicas side by side."""

import asyncio
import sys
import uuid

import aio_pika
from sqlalchemy.engine import make_url

from construisons.auth import INNOVATION_TEAM
from construisons.events import IdeaSubmitted, Person, envelope
from construisons.testing import CuttableProxy, EventSpy, TestBed, eventually, queue_depth, serve
from intake.config import Settings as IntakeSettings
from intake.main import create_app as create_intake
from review.config import Settings as ReviewSettings
from review.main import create_app as create_review


async def test_replaying_the_dead_letter_queue_delivers_its_messages_to_the_service(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("review")
    event = envelope(
        IdeaSubmitted(
            idea_id=uuid.uuid4(),
            title="Prêt de vélos entre sites",
            problem="Les déplacements courts entre sites se font en voiture de service.",
            solution="Une flotte de vélos partagés réservable depuis l'intranet.",
            author=Person(sub="agent.replay", name="Agent Replay"),
        ),
        producer="intake",
        correlation_id=uuid.uuid4(),
    )
    async with serve(create_review(bed.settings(ReviewSettings))) as review:
        # As if a bug had dead-lettered it earlier: the message sits in review's dead-letter queue.
        connection = await aio_pika.connect(bed.rabbitmq_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            dlx = await channel.get_exchange(f"{bed.prefix}review.dlx")
            await dlx.publish(
                aio_pika.Message(event.model_dump_json().encode(), message_id=str(event.event_id)),
                routing_key="idea.submitted",
            )
        assert await eventually(lambda: _depth_at_least(bed, 1))

        replay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "construisons.replay",
            "review",
            env=bed.environment("review"),
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await replay.communicate()
        assert replay.returncode == 0
        assert output.strip() == b"1 message(s) replayed into review"

        team = bed.auth("team", roles=[INNOVATION_TEAM])

        async def case() -> bool:
            response = await review.get(f"/cases/{event.payload.idea_id}", headers=team)
            return response.status_code == 200

        await eventually(case)
        assert await queue_depth(bed, "review.dead-letter") == 0


async def _depth_at_least(testbed: TestBed, n: int) -> bool:
    return await queue_depth(testbed, "review.dead-letter") >= n


async def test_two_replicas_of_a_service_publish_each_event_exactly_once(testbed: TestBed) -> None:
    bed = testbed.sibling()
    await bed.migrate("intake")
    spy = EventSpy(bed.rabbitmq_url, bed.exchange)
    await spy.start()
    try:
        async with (
            serve(create_intake(bed.settings(IntakeSettings))) as first,
            serve(create_intake(bed.settings(IntakeSettings))) as second,
        ):
            posts = [
                (first if n % 2 else second).post(
                    "/ideas",
                    json={
                        "title": f"Idée répliquée numéro {n}",
                        "problem": "Un problème décrit assez longuement pour être valide.",
                        "solution": "Une solution décrite assez longuement pour être valide.",
                    },
                    headers=bed.auth(f"agent.replica.{n}"),
                )
                for n in range(40)
            ]
            responses = await asyncio.gather(*posts)
            assert all(r.status_code == 201 for r in responses)
            ids = [r.json()["id"] for r in responses]

            async def all_published() -> bool:
                return all(spy.of(IdeaSubmitted, idea_id=i) for i in ids)

            await eventually(all_published, timeout=30)
            await asyncio.sleep(1.0)
        published = [e.payload["idea_id"] for e in spy.received if e.event_type == "idea.submitted"]
        assert sorted(published) == sorted(ids)
    finally:
        await spy.stop()


async def test_database_out_of_reach_answers_503_in_french_and_ready_says_so(
    testbed: TestBed,
) -> None:
    bed = testbed.sibling()
    await bed.migrate("intake")
    url = make_url(bed.database_url("intake"))
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    settings = bed.settings(
        IntakeSettings,
        database_url=url.set(port=proxy.port).render_as_string(hide_password=False),
    )
    async with serve(create_intake(settings)) as intake:
        author = bed.auth("agent.panne")
        idea = {
            "title": "Idée pendant la coupure",
            "problem": "Un problème décrit assez longuement pour être valide.",
            "solution": "Une solution décrite assez longuement pour être valide.",
        }
        assert (await intake.post("/ideas", json=idea, headers=author)).status_code == 201
        await proxy.cut()
        refused = await intake.post("/ideas", json=idea, headers=author)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert "indisponible" in refused.json()["detail"]
        ready = await intake.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False
        await proxy.start()
        assert (await intake.post("/ideas", json=idea, headers=author)).status_code == 201
        mine = await intake.get("/ideas", params={"mine": "true"}, headers=author)
        assert len(mine.json()["items"]) == 2
    await proxy.cut()
