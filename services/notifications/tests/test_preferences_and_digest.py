"""Preferences: per category, email at once, in the daily digest, or not at all; the
intranet inbox always gets everything."""

import uuid
from typing import Any

from construisons import events as ev
from construisons.testing import eventually


async def test_preferences_default_to_immediate_and_can_be_changed(harness: Any) -> None:
    headers = harness.auth(harness.person("agent").sub)
    initial = await harness.client.get("/me/preferences", headers=headers)
    assert initial.status_code == 200
    categories = initial.json()["categories"]
    assert {c["category"] for c in categories} >= {"idea_progress", "project", "time_allocation"}
    assert all(c["email"] == "immediate" for c in categories)
    assert all(c["label"] for c in categories)

    chosen = {"idea_progress": "digest", "committee_decision": "none"}
    saved = await harness.client.put("/me/preferences", headers=headers, json={"email": chosen})
    assert saved.status_code == 200
    modes = {c["category"]: c["email"] for c in saved.json()["categories"]}
    assert modes["idea_progress"] == "digest"
    assert modes["committee_decision"] == "none"
    assert modes["project"] == "immediate"
    reread = await harness.client.get("/me/preferences", headers=headers)
    assert reread.json() == saved.json()

    # PUT replaces: what is left out goes back to immediate.
    await harness.client.put("/me/preferences", headers=headers, json={"email": {}})
    reset = await harness.client.get("/me/preferences", headers=headers)
    assert all(c["email"] == "immediate" for c in reset.json()["categories"])


async def test_unknown_category_or_mode_is_refused_in_french(harness: Any) -> None:
    headers = harness.auth("agent.prefs")
    unknown = await harness.client.put(
        "/me/preferences", headers=headers, json={"email": {"marketing": "none"}}
    )
    assert unknown.status_code == 422
    assert "Catégorie(s) inconnue(s) : marketing" in unknown.json()["detail"][0]["msg"]
    bad_mode = await harness.client.put(
        "/me/preferences", headers=headers, json={"email": {"project": "weekly"}}
    )
    assert bad_mode.status_code == 422
    assert "valeurs possibles" in bad_mode.json()["detail"][0]["msg"]
    not_json = await harness.client.put(
        "/me/preferences", headers={**headers, "Content-Type": "application/json"}, content="{"
    )
    assert not_json.status_code == 400


async def test_digest_groups_pending_mails_and_none_sends_no_mail(harness: Any) -> None:
    me = harness.person("agent")
    headers = harness.auth(me.sub)
    saved = await harness.client.put(
        "/me/preferences",
        headers=headers,
        json={"email": {"idea_progress": "digest", "committee_decision": "none"}},
    )
    assert saved.status_code == 200

    first = ev.IdeaSentBack(
        idea_id=uuid.uuid4(), title="Jardin partagé", author=me, reason="Quel site ?"
    )
    second = ev.IdeaQualified(idea_id=uuid.uuid4(), title="Ateliers vélo", author=me)
    # Redirected rather than approved: in a full run, incubation would answer an approval.
    decided = ev.IdeaRedirected(
        idea_id=uuid.uuid4(),
        title="Ateliers vélo",
        author=me,
        directorates=["DSI"],
        reason="Relève de la DSI.",
    )
    project = ev.IncubationStarted(
        project_id=uuid.uuid4(),
        idea_id=decided.idea_id,
        title="Ateliers vélo",
        intrapreneur=me,
        track="experiment",
        phase="experimentation",
    )
    envelopes = [await harness.publish(e) for e in (first, second, decided, project)]

    # The inbox gets everything, whatever the email preferences.
    for event in (first, second, decided):
        await harness.wait_processed(me.sub, f"/ideas/{event.idea_id}")
    await harness.wait_processed(me.sub, f"/projects/{project.project_id}")

    # "project" is still immediate: that mail leaves at once; the others wait or never exist.
    await harness.wait_all_sent(envelopes[3].event_id, 1)

    async def mine(sent: Any) -> list[dict[str, Any]]:
        rows = await harness.deliveries(event_id=str(sent.event_id))
        return [r for r in rows if r["recipient_address"] == me.email]

    for waiting in envelopes[:2]:
        [row] = await mine(waiting)
        assert row["status"] == "awaiting_digest"
    assert await mine(envelopes[2]) == []
    ids = {str(e.event_id) for e in envelopes}
    mails = [m for m in harness.smtp.to(me.email) if m["X-Construisons-Event"] in ids]
    assert [m["X-Construisons-Event"] for m in mails] == [str(envelopes[3].event_id)]

    run = await harness.client.post("/digests/run", headers=harness.team)
    assert run.status_code == 200
    assert run.json()["digests"] >= 1 and run.json()["notifications"] >= 2

    async def digest() -> list[Any]:
        return [m for m in harness.smtp.to(me.email) if "récapitulatif" in str(m["Subject"])]

    [mail] = await eventually(digest, timeout=15)
    assert "2 notifications" in str(mail["Subject"])
    text = harness.text_part(mail)
    assert "Jardin partagé" in text and "Ateliers vélo" in text
    assert f"https://intranet.departement.example/ideas/{first.idea_id}" in text
    assert "Jardin partagé" in harness.html_part(mail)
    for grouped in envelopes[:2]:
        [row] = await mine(grouped)
        assert row["status"] == "in_digest" and row["digest_id"]

    # A second run finds nothing left: the digest is not sent twice.
    again = await harness.client.post("/digests/run", headers=harness.team)
    assert again.status_code == 200
    my_digests = [
        d
        for d in await harness.deliveries()
        if d["recipient_address"] == me.email and d["event_type"] == "digest"
    ]
    assert len(my_digests) == 1
    assert len(await digest()) == 1


async def test_only_the_innovation_team_runs_the_digest(harness: Any) -> None:
    for headers, expected in (({}, 401), (harness.auth("agent.x"), 403)):
        response = await harness.client.post("/digests/run", headers=headers)
        assert response.status_code == expected
