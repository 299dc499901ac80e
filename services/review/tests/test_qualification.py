"""Qualification through HTTP and the real broker: cases opened from intake's events,
contacts, qualification, send-back, duplicates, withdrawal, overdue first contacts."""

import uuid
from datetime import UTC, datetime, timedelta

from review_support import Desk, now

from construisons.events import (
    IdeaClosedAsDuplicate,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaSentBack,
    IdeaUpdated,
    IdeaWithdrawn,
    Person,
)
from construisons.testing import EventSpy, eventually

AUTHOR = Person(sub="agent.auteur", name="Camille Auteur", directorate="DSI")


async def test_submitted_idea_opens_a_case_with_its_due_date_and_history(desk: Desk) -> None:
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    idea_id = await desk.submit(occurred_at=friday, directorate="DRH", themes=["santé"])
    case = await desk.case(idea_id)
    assert case["status"] == "submitted"
    assert case["directorate"] == "DRH"
    assert case["themes"] == ["santé"]
    assert case["co_authors"] == ["agent.coauteur"]
    assert case["manager"]["sub"] == "manager.chef"
    # Five working days after a Friday: the next Friday.
    assert case["due_on"] == "2026-12-04"
    assert [h["action"] for h in case["history"]] == ["submitted"]


async def test_the_same_submission_delivered_twice_opens_one_case(desk: Desk) -> None:
    idea_id = await desk.submit()
    await desk.submit(idea_id=idea_id, title="Un autre titre")
    listed = await desk.review.get("/cases", headers=desk.team, params={"limit": 500})
    assert [c["idea_id"] for c in listed.json()["items"]].count(str(idea_id)) == 1
    assert (await desk.case(idea_id))["title"] == "Covoiturage entre sites"


async def test_first_contact_starts_qualification_and_is_announced_once(
    desk: Desk, event_spy: EventSpy
) -> None:
    correlation_id = uuid.uuid4()
    idea_id = await desk.submit(correlation_id=correlation_id)
    first = await desk.contact(idea_id, channel="email")
    assert first.status_code == 201, first.text
    assert first.json()["logged_by"]["name"] == "Léa Équipe"
    assert (await desk.contact(idea_id)).status_code == 201

    started = await event_spy.wait_for(IdeaQualificationStarted, idea_id=idea_id)
    assert started.correlation_id == correlation_id
    assert started.payload["channel"] == "email"
    assert started.payload["contacted_by"]["sub"] == "team.lea"
    assert started.payload["author"]["name"] == "Camille Auteur"

    case = await desk.case(idea_id)
    assert case["status"] == "in_qualification"
    assert len(case["contacts"]) == 2
    assert len(event_spy.of(IdeaQualificationStarted, idea_id=idea_id)) == 1


async def test_a_contact_cannot_be_dated_before_submission_or_in_the_future(desk: Desk) -> None:
    idea_id = await desk.submit(occurred_at=now() - timedelta(days=2))
    before = await desk.contact(idea_id, contacted_at=now() - timedelta(days=3))
    assert before.status_code == 422
    assert "précéder le dépôt" in before.json()["detail"]
    future = await desk.contact(idea_id, contacted_at=now() + timedelta(days=1))
    assert future.status_code == 422
    assert (await desk.case(idea_id))["contacts"] == []


async def test_qualification_sends_the_case_to_the_committee(
    desk: Desk, event_spy: EventSpy
) -> None:
    idea_id = await desk.submit()
    await desk.contact(idea_id)
    response = await desk.qualify(idea_id, directorates=["DRH", "DSI", "DRH"])
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "qualified"
    assert case["concerned_directorates"] == ["DRH", "DSI"]
    assert case["summary"] == "Résumé reformulé."
    assert case["fit"]["beneficiaries"] == "Les agents des collèges"

    qualified = await event_spy.wait_for(IdeaQualified, idea_id=idea_id)
    assert qualified.payload["directorates"] == ["DRH", "DSI"]
    assert qualified.payload["summary"] == "Résumé reformulé."

    again = await desk.qualify(idea_id)
    assert again.status_code == 409
    assert "déjà qualifiée" in again.json()["detail"]


async def test_qualifying_without_a_contact_is_refused(desk: Desk) -> None:
    idea_id = await desk.submit()
    response = await desk.qualify(idea_id)
    assert response.status_code == 409
    assert "contacté son auteur" in response.json()["detail"]
    assert (await desk.case(idea_id))["status"] == "submitted"


async def test_qualifying_requires_a_confirmed_fit_and_a_directorate(desk: Desk) -> None:
    idea_id = await desk.submit()
    await desk.contact(idea_id)
    unfit = await desk.qualify(idea_id, solution_addresses_problem=False)
    assert unfit.status_code == 422
    assert "renvoyez-la" in unfit.json()["detail"]
    no_directorate = await desk.qualify(idea_id, directorates=[])
    assert no_directorate.status_code == 422
    assert (await desk.case(idea_id))["status"] == "in_qualification"


async def test_sent_back_case_resumes_when_the_author_updates_the_idea(
    desk: Desk, event_spy: EventSpy
) -> None:
    idea_id = await desk.submit()
    early = await desk.review.post(
        f"/cases/{idea_id}/send-back", json={"reason": "Précisez"}, headers=desk.team
    )
    assert early.status_code == 409
    await desk.contact(idea_id)
    response = await desk.review.post(
        f"/cases/{idea_id}/send-back",
        json={"reason": "Quel est le coût estimé ?"},
        headers=desk.team,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "sent_back"
    sent_back = await event_spy.wait_for(IdeaSentBack, idea_id=idea_id)
    assert sent_back.payload["reason"] == "Quel est le coût estimé ?"
    assert (await desk.qualify(idea_id)).status_code == 409

    update = IdeaUpdated(
        idea_id=idea_id,
        revision=2,
        title="Covoiturage entre sites, coût chiffré",
        problem="Les agents viennent seuls en voiture.",
        solution="Une application de covoiturage interne, 5 000 € par an.",
        themes=["mobilité", "budget"],
        author=AUTHOR,
    )
    await desk.publish(update)
    case = await desk.wait_for_case(idea_id, status="in_qualification")
    assert case["title"] == "Covoiturage entre sites, coût chiffré"
    assert case["themes"] == ["mobilité", "budget"]

    # An older revision arriving late changes nothing.
    await desk.publish(update.model_copy(update={"revision": 1, "title": "Ancien titre"}))
    await desk.publish(update.model_copy(update={"revision": 3, "title": "Titre final"}))
    case = await desk.wait_for_case(idea_id, title="Titre final")
    assert [h["details"].get("revision") for h in case["history"] if h["action"] == "updated"] == [
        2,
        3,
    ]


async def test_closing_as_a_duplicate_links_the_original(desk: Desk, event_spy: EventSpy) -> None:
    original = await desk.submit(title="Covoiturage (première idée)")
    idea_id = await desk.submit()

    itself = await desk.review.post(
        f"/cases/{idea_id}/close-as-duplicate",
        json={"duplicate_of": str(idea_id)},
        headers=desk.team,
    )
    assert itself.status_code == 422
    unknown = await desk.review.post(
        f"/cases/{idea_id}/close-as-duplicate",
        json={"duplicate_of": str(uuid.uuid4())},
        headers=desk.team,
    )
    assert unknown.status_code == 422

    response = await desk.review.post(
        f"/cases/{idea_id}/close-as-duplicate",
        json={"duplicate_of": str(original), "reason": "Même proposition."},
        headers=desk.team,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed_as_duplicate"
    assert response.json()["duplicate_of"] == str(original)
    closed = await event_spy.wait_for(IdeaClosedAsDuplicate, idea_id=idea_id)
    assert closed.payload["duplicate_of"] == str(original)

    refused = await desk.contact(idea_id)
    assert refused.status_code == 409
    assert "clos" in refused.json()["detail"]


async def test_withdrawn_idea_closes_its_case(desk: Desk) -> None:
    idea_id = await desk.submit()
    await desk.contact(idea_id)
    await desk.publish(
        IdeaWithdrawn(idea_id=idea_id, title="x", author=AUTHOR, reason="Plus utile")
    )
    case = await desk.wait_for_case(idea_id, status="withdrawn")
    assert case["closed_at"] is not None
    assert case["history"][-1]["details"]["reason"] == "Plus utile"
    for response in (
        await desk.qualify(idea_id),
        await desk.review.post(f"/cases/{idea_id}/assign", headers=desk.team),
        await desk.contact(idea_id),
    ):
        assert response.status_code == 409
        assert "retirée par son auteur" in response.json()["detail"]


async def test_withdrawal_arriving_before_its_submission_still_closes_the_case(desk: Desk) -> None:
    idea_id = uuid.uuid4()
    await desk.publish(
        IdeaWithdrawn(idea_id=idea_id, title="x", author=AUTHOR, reason="Doublon de ma part")
    )
    await desk.submit(idea_id=idea_id)
    case = await desk.wait_for_case(idea_id, status="withdrawn")
    assert case["history"][-1]["details"]["reason"] == "Doublon de ma part"


async def test_team_member_takes_a_case_and_finds_it_by_assignee(desk: Desk) -> None:
    idea_id = await desk.submit()
    taker = desk.testbed.auth("team.noe", roles=["innovation_team"], name="Noé Équipe")
    response = await desk.review.post(f"/cases/{idea_id}/assign", headers=taker)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["name"] == "Noé Équipe"
    mine = await desk.review.get("/cases", params={"assignee": "team.noe"}, headers=desk.team)
    assert [c["idea_id"] for c in mine.json()["items"]] == [str(idea_id)]


async def test_overdue_cases_are_listed_until_the_author_is_contacted(desk: Desk) -> None:
    directorate = f"DIR-{uuid.uuid4().hex[:6]}"
    late = await desk.submit(occurred_at=now() - timedelta(days=30), directorate=directorate)
    fresh = await desk.submit(directorate=directorate)

    async def overdue_ids() -> list[str]:
        response = await desk.review.get(
            "/cases", params={"overdue": "true", "directorate": directorate}, headers=desk.team
        )
        assert response.status_code == 200, response.text
        return [c["idea_id"] for c in response.json()["items"]]

    assert await overdue_ids() == [str(late)]
    assert (await desk.case(late))["contact_overdue"] is True
    assert (await desk.case(fresh))["contact_overdue"] is False
    await desk.contact(late)
    assert await overdue_ids() == []


async def test_filters_by_status(desk: Desk) -> None:
    directorate = f"DIR-{uuid.uuid4().hex[:6]}"
    submitted = await desk.submit(directorate=directorate)
    qualified = await desk.qualified(directorate=directorate)
    response = await desk.review.get(
        "/cases",
        params=[("status", "qualified"), ("directorate", directorate)],
        headers=desk.team,
    )
    assert [c["idea_id"] for c in response.json()["items"]] == [str(qualified)]
    both = await desk.review.get(
        "/cases",
        params=[("status", "qualified"), ("status", "submitted"), ("directorate", directorate)],
        headers=desk.team,
    )
    assert both.json()["total"] == 2
    assert {c["idea_id"] for c in both.json()["items"]} == {str(submitted), str(qualified)}
    bad = await desk.review.get("/cases", params={"status": "lost"}, headers=desk.team)
    assert bad.status_code == 422


async def test_unknown_case_is_not_found(desk: Desk) -> None:
    response = await desk.review.get(f"/cases/{uuid.uuid4()}", headers=desk.team)
    assert response.status_code == 404
    assert response.json() == {"detail": "Dossier introuvable."}


async def test_case_events_carry_the_ideas_correlation_id(desk: Desk, event_spy: EventSpy) -> None:
    correlation_id = uuid.uuid4()
    idea_id = await desk.qualified(correlation_id=correlation_id)
    qualified = await event_spy.wait_for(IdeaQualified, idea_id=idea_id)
    assert qualified.correlation_id == correlation_id
    assert qualified.producer == "review"

    async def both() -> bool:
        return all(
            e.correlation_id == correlation_id
            for e in event_spy.received
            if e.payload.get("idea_id") == str(idea_id)
        )

    assert await eventually(both)
