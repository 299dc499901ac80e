"""Emails are never lost and never sent twice: redelivery, SMTP outage, bounded retries."""

import asyncio
import re
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from construisons import events as ev
from construisons.db import DriverStatement, asyncpg_dsn
from construisons.testing import eventually, publish_envelopes
from notifications.deliveries import DIGEST_CLAIM, DUE_CLAIM


def _submitted(h: Any, title: str = "Navette entre les sites") -> ev.IdeaSubmitted:
    return ev.IdeaSubmitted(
        idea_id=uuid.uuid4(),
        title=title,
        problem="Les sites sont mal desservis.",
        solution="Une navette partagée aux heures d'embauche.",
        author=h.person("author"),
    )


async def test_redelivered_event_sends_nothing_more(harness: Any) -> None:
    event = _submitted(harness)
    sent = await harness.publish(event)
    await harness.publish(event, again=sent)
    await harness.wait_all_sent(sent.event_id, 2)

    # Once more after everything went out, then a later event to know the bus was drained.
    await harness.publish(event, again=sent)
    marker = await harness.publish(_submitted(harness))
    await harness.wait_all_sent(marker.event_id, 2)

    assert len(await harness.items_about(event.author.sub, f"/ideas/{event.idea_id}")) == 1
    assert len(await harness.deliveries(event_id=str(sent.event_id))) == 2
    assert sorted(str(m["To"]) for m in harness.mails_of(sent.event_id)) == sorted(
        [event.author.email, harness.team_mailbox]
    )


async def test_a_burst_larger_than_a_batch_leaves_each_mail_once(harness: Any) -> None:
    # Two senders claim batches of DELIVERY_BATCH_SIZE (20): 60 mails take several batches.
    events = [_submitted(harness, f"Idée numéro {i} du lot") for i in range(30)]
    sent = await asyncio.gather(*(harness.publish(event) for event in events))
    for envelope in sent:
        rows = await harness.wait_all_sent(envelope.event_id, 2)
        assert all(r["attempts"] == 1 and r["sent_at"] for r in rows)
    for event, envelope in zip(events, sent, strict=True):
        mails = harness.mails_of(envelope.event_id)
        assert sorted(str(m["To"]) for m in mails) == sorted(
            [event.author.email, harness.team_mailbox]
        )
        assert all(event.title in str(m["Subject"]) for m in mails)
        assert len({m["Message-ID"] for m in mails}) == 2


async def test_mail_waits_while_smtp_is_down_and_leaves_once_when_it_returns(
    harness: Any,
) -> None:
    harness.smtp.stop()
    try:
        event = _submitted(harness)
        sent = await harness.publish(event)

        async def tried_and_waiting() -> list[dict[str, Any]] | None:
            rows = await harness.deliveries(event_id=str(sent.event_id))
            ok = len(rows) == 2 and all(
                r["status"] == "pending" and r["attempts"] >= 1 and r["last_error"] for r in rows
            )
            return rows if ok else None

        await eventually(tried_and_waiting, timeout=10)
        # The intranet does not wait for the mail server.
        await harness.wait_processed(event.author.sub, f"/ideas/{event.idea_id}")
        assert harness.mails_of(sent.event_id) == []
    finally:
        harness.smtp.start()

    rows = await harness.wait_all_sent(sent.event_id, 2)
    assert all(r["sent_at"] for r in rows)
    # Longer than the largest backoff: no retry of an already sent mail can still come.
    await asyncio.sleep(2)
    assert sorted(str(m["To"]) for m in harness.mails_of(sent.event_id)) == sorted(
        [event.author.email, harness.team_mailbox]
    )


async def test_refused_mail_is_marked_failed_after_bounded_attempts_and_can_be_retried(
    harness: Any, smtp_refusing: set[str]
) -> None:
    event = _submitted(harness)
    smtp_refusing.add(event.author.email)
    sent = await harness.publish(event)

    async def failed() -> list[dict[str, Any]] | None:
        rows = await harness.deliveries(status="failed")
        return [r for r in rows if r["event_id"] == str(sent.event_id)] or None

    [delivery] = await eventually(failed, timeout=20)
    assert delivery["recipient_address"] == event.author.email
    assert delivery["attempts"] == 6
    assert "550" in delivery["last_error"]
    metrics = (await harness.client.get("/metrics")).text
    [failed_gauge] = re.findall(
        r'^construisons_notifications_email_deliveries\{status="failed"\} (\S+)$', metrics, re.M
    )
    assert float(failed_gauge) >= 1
    # The team's mailbox got its copy all the same.
    assert [str(m["To"]) for m in harness.mails_of(sent.event_id)] == [harness.team_mailbox]

    smtp_refusing.clear()
    retried = await harness.client.post(f"/deliveries/{delivery['id']}/retry", headers=harness.team)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0

    await harness.wait_all_sent(sent.event_id, 2)
    assert sorted(str(m["To"]) for m in harness.mails_of(sent.event_id)) == sorted(
        [event.author.email, harness.team_mailbox]
    )
    again = await harness.client.post(f"/deliveries/{delivery['id']}/retry", headers=harness.team)
    assert again.status_code == 409
    assert "échec" in again.json()["detail"]


async def test_retrying_an_unknown_delivery_is_not_found(harness: Any) -> None:
    response = await harness.client.post(f"/deliveries/{uuid.uuid4()}/retry", headers=harness.team)
    assert response.status_code == 404
    assert response.json()["detail"] == "Envoi de courriel introuvable."


async def test_html_in_an_idea_title_arrives_escaped_in_the_html_part(harness: Any) -> None:
    title = '<script>alert("x")</script> Vélos & <b>trottinettes</b>'
    event = _submitted(harness, title=title)
    sent = await harness.publish(event)
    await harness.wait_all_sent(sent.event_id, 2)
    [mail] = [m for m in harness.mails_of(sent.event_id) if m["To"] == event.author.email]

    html = harness.html_part(mail)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Vélos &amp; &lt;b&gt;" in html
    # The plain-text part and the subject carry the title as the author wrote it.
    assert title in harness.text_part(mail)
    assert title in str(mail["Subject"])
    [item] = await harness.items_about(event.author.sub, f"/ideas/{event.idea_id}")
    assert title in item["title"]


async def test_only_the_innovation_team_sees_and_retries_deliveries(harness: Any) -> None:
    agent = harness.auth("agent.curious")
    committee = harness.testbed.auth("committee.member", roles=["committee"])
    some_id = uuid.uuid4()
    for headers, expected in (({}, 401), (agent, 403), (committee, 403)):
        listed = await harness.client.get("/deliveries?status=failed", headers=headers)
        assert listed.status_code == expected
        retried = await harness.client.post(f"/deliveries/{some_id}/retry", headers=headers)
        assert retried.status_code == expected
    invalid = {"Authorization": "Bearer not-a-token"}
    assert (await harness.client.get("/deliveries", headers=invalid)).status_code == 401
    bad_status = await harness.client.get("/deliveries?status=lost", headers=harness.team)
    assert bad_status.status_code == 422


async def test_due_mails_are_found_by_their_index_however_the_claim_is_planned(
    harness: Any,
) -> None:
    # A sender's claim is a prepared statement: after a few runs PostgreSQL may plan it
    # once for any parameters. That plan must still reach the due mails through the index
    # of pending deliveries, not by reading every delivery ever made.
    connection = await asyncpg.connect(asyncpg_dsn(harness.testbed.database_url("notifications")))
    try:
        await connection.execute(
            "SET plan_cache_mode = force_generic_plan;"
            " SET enable_seqscan = off; SET enable_bitmapscan = off"
        )
        async with connection.transaction():
            for statement, index in (
                (DUE_CLAIM, "ix_email_deliveries_due"),
                (DIGEST_CLAIM, "ix_email_deliveries_awaiting_digest"),
            ):
                sql = DriverStatement.compile(statement).sql
                await connection.execute(f"PREPARE claim AS {sql}")
                arguments = ", ".join(["NULL"] * sql.count("$"))
                plan = "\n".join(
                    row[0]
                    for row in await connection.fetch(
                        f"EXPLAIN EXECUTE claim{f'({arguments})' if arguments else ''}"
                    )
                )
                await connection.execute("DEALLOCATE claim")
                assert f"Index Scan using {index}" in plan, plan
    finally:
        await connection.close()


def _unaddressed_submission(n: int) -> ev.Envelope[ev.IdeaSubmitted]:
    """An idea whose author has no address: one mail, the innovation team's."""
    return ev.envelope(
        ev.IdeaSubmitted(
            idea_id=uuid.uuid4(),
            title=f"Idée de la rafale n°{n}",
            problem="Les sites sont mal desservis.",
            solution="Une navette partagée aux heures d'embauche.",
            author=ev.Person(sub=f"agent.burst.{n}"),
        ),
        producer="intake",
        correlation_id=uuid.uuid4(),
    )


async def _waits_of_sent_mails(
    harness: Any, events: list[ev.Envelope[ev.IdeaSubmitted]]
) -> list[float]:
    """Once each event's one mail is sent, how long each waited from written to sent (s)."""
    rows = [row for e in events for row in await harness.wait_all_sent(e.event_id, 1)]
    return [
        (
            datetime.fromisoformat(r["sent_at"]) - datetime.fromisoformat(r["created_at"])
        ).total_seconds()
        for r in rows
    ]


async def test_mails_give_way_to_a_burst_of_events_then_all_leave(
    own_service: Any,
) -> None:
    service = await own_service()
    async with service.serve():
        pass  # the queue exists: the burst below waits in it
    burst = [_unaddressed_submission(n) for n in range(400)]
    await publish_envelopes(service.testbed, burst)

    async with service.serve() as harness:

        async def all_sent() -> list[dict[str, Any]] | None:
            rows = await harness.deliveries()
            done = len(rows) == len(burst) and all(r["status"] == "sent" for r in rows)
            return rows if done else None

        rows = await eventually(all_sent, timeout=30)
    written = max(datetime.fromisoformat(r["created_at"]) for r in rows)
    # Every mail left once the burst was written (without giving way, dozens left while it
    # was), and none waited for its longest delay: the end of the burst let them go.
    assert all(datetime.fromisoformat(r["sent_at"]) > written for r in rows)
    assert all((datetime.fromisoformat(r["sent_at"]) - written).total_seconds() < 10 for r in rows)


async def test_under_a_backlog_that_never_ends_a_mail_waits_the_give_way_delay_at_most(
    own_service: Any,
) -> None:
    service = await own_service(delivery_give_way_seconds=1.0)
    app = service.app()
    # A consumer that never sees the end of its backlog.
    app.state.delivery_worker.events_waiting = lambda: True
    async with service.serve(app) as harness:
        events = [_unaddressed_submission(n) for n in range(3)]
        await publish_envelopes(service.testbed, events)
        waited = await _waits_of_sent_mails(harness, events)
    # They gave way for the delay, then left without waiting for the backlog's end.
    assert all(1.0 <= w < 5.0 for w in waited), waited


async def test_events_that_come_one_at_a_time_hold_no_mail_back(
    own_service: Any,
) -> None:
    service = await own_service(delivery_give_way_seconds=30.0)
    async with service.serve() as harness:
        # One every 0.2 s for 6 s: taken for a backlog, they would hold the first mails
        # back for the whole 6 s.
        events = [_unaddressed_submission(n) for n in range(30)]
        for event in events:
            await publish_envelopes(service.testbed, [event])
            await asyncio.sleep(0.2)
        waited = await _waits_of_sent_mails(harness, events)
    # No backlog, no waiting.
    assert all(w < 3.0 for w in waited), waited
