"""The committee through HTTP and the real broker: sessions, scores, decisions, minutes."""

import uuid

from review_support import Desk

from construisons.events import CaseScheduled, IdeaApproved, IdeaRedirected
from construisons.testing import EventSpy


async def test_deciding_an_unqualified_case_is_refused(desk: Desk, event_spy: EventSpy) -> None:
    idea_id = await desk.submit()
    await desk.contact(idea_id)
    response = await desk.decide(idea_id)
    assert response.status_code == 409
    assert "pas encore qualifiée" in response.json()["detail"]
    assert (await desk.case(idea_id))["status"] == "in_qualification"
    assert event_spy.of(IdeaApproved, idea_id=idea_id) == []


async def test_scoring_as_a_non_member_is_refused(desk: Desk) -> None:
    idea_id = await desk.qualified()
    for caller in (desk.team, desk.testbed.auth("agent.lambda")):
        response = await desk.score(idea_id, caller)
        assert response.status_code == 403
        assert (
            response.json()["detail"] == "Vous n'avez pas les droits nécessaires pour cette action."
        )
    assert (await desk.case(idea_id))["scores"]["members"] == []


async def test_members_score_and_change_their_own_scores_until_the_decision(desk: Desk) -> None:
    idea_id = await desk.qualified()
    submitted = await desk.submit()
    refused = await desk.score(submitted, desk.member())
    assert refused.status_code == 409

    paul = desk.member("committee.paul", "Paul Comité")
    anne = desk.member("committee.anne", "Anne Comité")
    assert (await desk.score(idea_id, paul, strategic_impact=5, feasibility=2)).status_code == 200
    response = await desk.score(idea_id, anne, strategic_impact=3, feasibility=4)
    assert response.status_code == 200, response.text
    scores = response.json()["scores"]
    assert scores["scored"] == {"count": 2, "expected": 5, "label": "2 sur 5"}
    assert scores["axis_means"] == {"impact": 4.0, "feasibility": 3.0}

    changed = await desk.score(idea_id, paul, strategic_impact=1, feasibility=2)
    scores = changed.json()["scores"]
    assert scores["scored"]["count"] == 2
    assert {m["member"]["name"]: m["scores"] for m in scores["members"]} == {
        "Paul Comité": {"strategic_impact": 1, "feasibility": 2},
        "Anne Comité": {"strategic_impact": 3, "feasibility": 4},
    }
    assert scores["axis_means"] == {"impact": 2.0, "feasibility": 3.0}

    assert (await desk.decide(idea_id, member=anne)).status_code == 200
    late = await desk.score(idea_id, paul, strategic_impact=5, feasibility=5)
    assert late.status_code == 409
    assert "déjà rendu sa décision" in late.json()["detail"]


async def test_scores_cover_every_criterion_from_one_to_five(desk: Desk) -> None:
    idea_id = await desk.qualified()
    member = desk.member()
    missing = await desk.score(idea_id, member, strategic_impact=4)
    assert missing.status_code == 422
    assert "Faisabilité" in missing.json()["detail"]
    unknown = await desk.score(idea_id, member, strategic_impact=4, feasibility=3, budget=2)
    assert unknown.status_code == 422
    too_high = await desk.score(idea_id, member, strategic_impact=6, feasibility=3)
    assert too_high.status_code == 422
    assert (await desk.case(idea_id))["scores"]["members"] == []


async def test_approval_carries_what_incubation_needs(desk: Desk, event_spy: EventSpy) -> None:
    correlation_id = uuid.uuid4()
    idea_id = await desk.qualified(correlation_id=correlation_id)
    no_reason = await desk.decide(idea_id, "study", reason="")
    assert no_reason.status_code == 422
    response = await desk.decide(idea_id, "study", member=desk.member("committee.dg", "Directrice"))
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "approved"
    assert case["decision"] == "study"
    assert case["decided_by"]["name"] == "Directrice"

    approved = await event_spy.wait_for(IdeaApproved, idea_id=idea_id)
    assert approved.correlation_id == correlation_id
    payload = approved.payload
    assert payload["track"] == "study"
    assert payload["reason"] == "Utile et peu coûteux."
    assert payload["problem"] == "Les agents viennent seuls en voiture."
    assert payload["solution"] == "Une application de covoiturage interne."
    assert payload["author"]["sub"] == "agent.auteur"
    assert payload["manager"]["sub"] == "manager.chef"
    assert payload["co_authors"] == ["agent.coauteur"]


async def test_a_second_decision_is_refused(desk: Desk, event_spy: EventSpy) -> None:
    idea_id = await desk.qualified()
    assert (await desk.decide(idea_id, "experiment")).status_code == 200
    second = await desk.decide(idea_id, "redirect", directorates=["DRH"])
    assert second.status_code == 409
    assert "déjà rendu sa décision" in second.json()["detail"]
    await event_spy.wait_for(IdeaApproved, idea_id=idea_id)
    assert (await desk.case(idea_id))["decision"] == "experiment"
    assert event_spy.of(IdeaRedirected, idea_id=idea_id) == []


async def test_redirect_needs_a_directorate(desk: Desk, event_spy: EventSpy) -> None:
    idea_id = await desk.qualified()
    for directorates in (None, [], ["   "]):
        response = await desk.decide(idea_id, "redirect", directorates=directorates)
        assert response.status_code == 422, response.text
    assert (await desk.case(idea_id))["status"] == "qualified"

    response = await desk.decide(
        idea_id, "redirect", directorates=["Direction des routes", "DRH"], reason="Hors programme"
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "redirected"
    redirected = await event_spy.wait_for(IdeaRedirected, idea_id=idea_id)
    assert redirected.payload["directorates"] == ["Direction des routes", "DRH"]
    assert redirected.payload["reason"] == "Hors programme"


async def test_only_the_committee_decides(desk: Desk) -> None:
    idea_id = await desk.qualified()
    response = await desk.decide(idea_id, member=desk.team)
    assert response.status_code == 403
    assert (await desk.case(idea_id))["status"] == "qualified"


async def test_session_agenda_and_members_present(desk: Desk, event_spy: EventSpy) -> None:
    meeting = await desk.new_session("Comité du 15 décembre")
    assert meeting["agenda"] == [] and meeting["members_present"] == []
    session_id = meeting["id"]

    unqualified = await desk.submit()
    refused = await desk.review.post(
        f"/sessions/{session_id}/agenda", json={"idea_id": str(unqualified)}, headers=desk.team
    )
    assert refused.status_code == 409
    assert "pas encore qualifiée" in refused.json()["detail"]

    idea_id = await desk.qualified()
    response = await desk.review.post(
        f"/sessions/{session_id}/agenda", json={"idea_id": str(idea_id)}, headers=desk.team
    )
    assert response.status_code == 200, response.text
    assert [a["idea_id"] for a in response.json()["agenda"]] == [str(idea_id)]
    scheduled = await event_spy.wait_for(CaseScheduled, idea_id=idea_id)
    assert scheduled.payload["session_id"] == session_id
    assert scheduled.payload["session_date"] == "2026-12-15"
    twice = await desk.review.post(
        f"/sessions/{session_id}/agenda", json={"idea_id": str(idea_id)}, headers=desk.team
    )
    assert twice.status_code == 409

    members = await desk.review.put(
        f"/sessions/{session_id}/members",
        json={
            "members": [
                {"sub": "committee.paul", "name": "Paul Comité"},
                {"sub": "committee.anne", "name": "Anne Comité"},
                {"sub": "committee.zoe", "name": "Zoé Comité"},
            ]
        },
        headers=desk.team,
    )
    assert members.status_code == 200, members.text
    assert len(members.json()["members_present"]) == 3

    scored = await desk.score(idea_id, desk.member("committee.paul"))
    assert scored.json()["scores"]["scored"]["label"] == "1 sur 3"
    assert scored.json()["session"]["id"] == session_id
    absent = await desk.score(idea_id, desk.member("committee.absent"))
    assert absent.status_code == 403
    assert "présents" in absent.json()["detail"]

    unknown = await desk.review.post(
        f"/sessions/{uuid.uuid4()}/agenda", json={"idea_id": str(idea_id)}, headers=desk.team
    )
    assert unknown.status_code == 404


async def test_session_needs_a_date_and_a_title(desk: Desk) -> None:
    for body in (
        {"title": "Sans date"},
        {"date": "2026-12-15", "title": ""},
        {"date": "demain", "title": "x"},
    ):
        response = await desk.review.post("/sessions", json=body, headers=desk.team)
        assert response.status_code == 422, body


async def test_minutes_list_the_sessions_decisions_in_json_markdown_and_html(desk: Desk) -> None:
    meeting = await desk.new_session("Comité <b>spécial</b>")
    session_id = meeting["id"]
    members = {"members": [{"sub": "committee.paul", "name": "Paul & Co"}]}
    await desk.review.put(f"/sessions/{session_id}/members", json=members, headers=desk.team)
    approved = await desk.qualified(title="Tri des <script>alert(1)</script> déchets")
    redirected = await desk.qualified(title="Navette *rapide*")
    pending = await desk.qualified(title="Idée en attente")
    for idea_id in (approved, redirected, pending):
        await desk.review.post(
            f"/sessions/{session_id}/agenda", json={"idea_id": str(idea_id)}, headers=desk.team
        )
    paul = desk.member("committee.paul")
    await desk.score(approved, paul, strategic_impact=5, feasibility=4)
    await desk.decide(approved, "experiment", member=paul, reason="Rapide & utile")
    await desk.decide(redirected, "redirect", directorates=["DRH"], member=paul)

    response = await desk.review.get(f"/sessions/{session_id}/minutes", headers=paul)
    assert response.status_code == 200
    minutes = response.json()
    assert [d["idea_id"] for d in minutes["decisions"]] == [str(approved), str(redirected)]
    assert minutes["decisions"][0]["decision_label"] == "Retenue : expérimentation immédiate"
    assert minutes["decisions"][0]["axis_means"] == {"impact": 5.0, "feasibility": 4.0}
    assert minutes["decisions"][0]["scored"]["label"] == "1 sur 1"
    assert minutes["decisions"][1]["directorates"] == ["DRH"]
    assert [p["idea_id"] for p in minutes["pending"]] == [str(pending)]

    markdown = await desk.review.get(
        f"/sessions/{session_id}/minutes", headers={**paul, "Accept": "text/markdown"}
    )
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "# Relevé de décisions" in markdown.text
    assert "Navette \\*rapide\\*" in markdown.text
    assert "<script>" not in markdown.text

    html = await desk.review.get(
        f"/sessions/{session_id}/minutes", params={"format": "html"}, headers=paul
    )
    assert html.headers["content-type"].startswith("text/html")
    assert "<script>" not in html.text and "<b>" not in html.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.text
    assert "Paul &amp; Co" in html.text
    assert "Rapide &amp; utile" in html.text

    bad = await desk.review.get(
        f"/sessions/{session_id}/minutes", params={"format": "pdf"}, headers=paul
    )
    assert bad.status_code == 422
