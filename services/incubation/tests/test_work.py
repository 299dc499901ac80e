"""Working on a project over HTTP: its team, workstreams and journal, and who may do it."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from construisons.testing import TestBed

Approve = Callable[..., Awaitable[dict[str, Any]]]
Unique = Callable[[str], str]


async def test_intrapreneur_builds_the_team_and_the_innovation_team_adds_a_coach(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    unique: Unique,
    team_auth: dict[str, str],
) -> None:
    author = unique("agent.lead")
    project = await approve(author=author)
    path = f"/projects/{project['id']}/team"
    expert = {"sub": unique("agent.jurist"), "name": "Juriste", "directorate": "DAJ"}
    added = await incubation.post(
        path, json={"person": expert, "role": "expert"}, headers=testbed.auth(author)
    )
    assert added.status_code == 201, added.text
    assert added.json()["person"]["name"] == "Juriste"
    coach = await incubation.post(
        path,
        json={"person": {"sub": "team.coach", "name": "Léa Coach"}, "role": "coach"},
        headers=team_auth,
    )
    assert coach.status_code == 201

    duplicate = await incubation.post(
        path, json={"person": expert, "role": "member"}, headers=testbed.auth(author)
    )
    assert duplicate.status_code == 409
    self_added = await incubation.post(
        path, json={"person": {"sub": author}, "role": "member"}, headers=team_auth
    )
    assert self_added.status_code == 409
    bad_role = await incubation.post(
        path, json={"person": {"sub": "x"}, "role": "boss"}, headers=team_auth
    )
    assert bad_role.status_code == 422

    public = await incubation.get(
        f"/projects/{project['id']}", headers=testbed.auth("agent.reader")
    )
    assert [(m["person"]["sub"], m["role"]) for m in public.json()["team"]] == [
        (expert["sub"], "expert"),
        ("team.coach", "coach"),
    ]

    removed = await incubation.delete(f"{path}/{expert['sub']}", headers=testbed.auth(author))
    assert removed.status_code == 204
    gone = await incubation.delete(f"{path}/{expert['sub']}", headers=testbed.auth(author))
    assert gone.status_code == 404


async def test_an_agent_cannot_edit_a_project_that_is_not_theirs(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    project = await approve(author=unique("agent.owner"))
    stranger = testbed.auth(unique("agent.stranger"))
    base = f"/projects/{project['id']}"
    attempts = [
        ("POST", f"{base}/team", {"person": {"sub": "me"}, "role": "member"}),
        ("DELETE", f"{base}/team/someone", None),
        ("POST", f"{base}/workstreams", {"key": "procurement", "label": "Achats"}),
        ("PATCH", f"{base}/workstreams/legal", {"status": "done"}),
        (
            "POST",
            f"{base}/journal",
            {"kind": "meeting", "occurred_on": "2027-01-10", "title": "Réunion"},
        ),
    ]
    for method, url, body in attempts:
        response = await incubation.request(method, url, json=body, headers=stranger)
        assert response.status_code == 403, (method, url)
        assert response.json()["detail"].startswith("Seuls")
    journal = await incubation.get(f"{base}/journal", headers=stranger)
    assert journal.status_code == 403
    full = await incubation.get(base, headers=testbed.auth(project["intrapreneur"]["sub"]))
    assert {w["status"] for w in full.json()["workstreams"]} == {"todo"}
    assert full.json()["team"] == []


async def test_team_members_work_on_workstreams_and_the_journal(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    unique: Unique,
    team_auth: dict[str, str],
) -> None:
    author = unique("agent.maker")
    project = await approve(author=author)
    base = f"/projects/{project['id']}"
    member = unique("agent.analyst")
    await incubation.post(
        f"{base}/team",
        json={"person": {"sub": member, "name": "Analyste"}, "role": "member"},
        headers=testbed.auth(author),
    )
    as_member = testbed.auth(member, name="Analyste")

    extra = await incubation.post(
        f"{base}/workstreams",
        json={"key": "procurement", "label": "Achats"},
        headers=testbed.auth(author),
    )
    assert extra.status_code == 201
    assert extra.json()["status"] == "todo"
    twice = await incubation.post(
        f"{base}/workstreams", json={"key": "procurement", "label": "Achats"}, headers=team_auth
    )
    assert twice.status_code == 409
    by_member = await incubation.post(
        f"{base}/workstreams", json={"key": "hr", "label": "RH"}, headers=as_member
    )
    assert by_member.status_code == 403

    updated = await incubation.patch(
        f"{base}/workstreams/market_study",
        json={
            "status": "in_progress",
            "owner": {"sub": member, "name": "Analyste"},
            "notes": "Entretiens avec trois départements.",
            "links": [{"label": "Synthèse", "url": "https://intranet.example/docs/synthese"}],
        },
        headers=as_member,
    )
    assert updated.status_code == 200, updated.text
    stream = updated.json()
    assert stream["status"] == "in_progress"
    assert stream["owner"]["sub"] == member
    assert stream["links"] == [
        {"label": "Synthèse", "url": "https://intranet.example/docs/synthese"}
    ]
    notes_only = await incubation.patch(
        f"{base}/workstreams/market_study", json={"notes": "Suite."}, headers=as_member
    )
    assert notes_only.json()["status"] == "in_progress"
    assert notes_only.json()["links"] == stream["links"]
    bad_link = await incubation.patch(
        f"{base}/workstreams/legal",
        json={"links": [{"label": "Doc", "url": "javascript:alert(1)"}]},
        headers=as_member,
    )
    assert bad_link.status_code == 422
    unknown = await incubation.patch(
        f"{base}/workstreams/nothing", json={"status": "done"}, headers=as_member
    )
    assert unknown.status_code == 404

    entry = await incubation.post(
        f"{base}/journal",
        json={
            "kind": "decision",
            "occurred_on": "2027-02-03",
            "title": "Choix du site pilote",
            "body": "Le site de Nord est retenu.",
        },
        headers=as_member,
    )
    assert entry.status_code == 201, entry.text
    assert entry.json()["author"]["sub"] == member
    bad_kind = await incubation.post(
        f"{base}/journal",
        json={"kind": "gossip", "occurred_on": "2027-02-03", "title": "x"},
        headers=as_member,
    )
    assert bad_kind.status_code == 422
    journal = await incubation.get(f"{base}/journal", headers=testbed.auth(author))
    assert [e["title"] for e in journal.json()] == ["Choix du site pilote"]
    full = await incubation.get(base, headers=as_member)
    assert full.json()["visibility"] == "full"
    assert full.json()["journal"][0]["kind"] == "decision"
    assert [w["key"] for w in full.json()["workstreams"]][-1] == "procurement"
