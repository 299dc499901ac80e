"""Projects over HTTP and the real broker: creation from IdeaApproved, reading, phases."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from construisons.events import (
    IdeaApproved,
    IncubationStarted,
    ProjectAbandoned,
    ProjectCompleted,
    ProjectPhaseChanged,
    envelope,
)
from construisons.testing import EventSpy, TestBed, publish_envelope

Approve = Callable[..., Awaitable[dict[str, Any]]]
Unique = Callable[[str], str]


async def test_redelivered_approval_opens_the_project_once(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    event_spy: EventSpy,
    team_auth: dict[str, str],
    unique: Unique,
    make_idea: Callable[..., IdeaApproved],
) -> None:
    idea = make_idea(author=unique("agent.twice"), manager=unique("manager"))
    approval = envelope(idea, producer="review", correlation_id=uuid.uuid4())
    await publish_envelope(testbed, approval)
    await publish_envelope(testbed, approval)
    # The same approval sent again by review under a new event id.
    await publish_envelope(
        testbed, envelope(idea, producer="review", correlation_id=approval.correlation_id)
    )
    started = await event_spy.wait_for(IncubationStarted, idea_id=idea.idea_id)
    assert started.correlation_id == approval.correlation_id
    assert started.causation_id == approval.event_id

    # A later approval is consumed after the copies: once it is there, they were too.
    sentinel = make_idea(author=unique("agent.sentinel"))
    await publish_envelope(
        testbed, envelope(sentinel, producer="review", correlation_id=uuid.uuid4())
    )
    await event_spy.wait_for(IncubationStarted, idea_id=sentinel.idea_id)
    await asyncio.sleep(0.5)

    listed = await incubation.get(
        "/projects", params={"idea_id": str(idea.idea_id)}, headers=team_auth
    )
    assert listed.json()["total"] == 1
    assert len(event_spy.of(IncubationStarted, idea_id=idea.idea_id)) == 1


@pytest.mark.parametrize(
    ("track", "phase"), [("study", "feasibility_study"), ("experiment", "experimentation")]
)
async def test_each_track_starts_in_its_own_phase(
    approve: Approve, event_spy: EventSpy, track: str, phase: str, unique: Unique
) -> None:
    author, manager = unique("agent.track"), unique("manager.track")
    project = await approve(author=author, manager=manager, track=track, directorate="DRH")

    assert project["phase"] == phase
    assert project["track"] == track
    assert project["intrapreneur"]["sub"] == author
    assert project["manager"]["sub"] == manager
    assert project["directorate"] == "DRH"
    assert project["problem"].startswith("Les agents")
    assert [w["key"] for w in project["workstreams"]] == [
        "legal",
        "financial",
        "market_study",
        "user_journey",
    ]
    assert {w["status"] for w in project["workstreams"]} == {"todo"}
    started = await event_spy.wait_for(IncubationStarted, project_id=project["id"])
    assert started.payload["phase"] == phase
    assert started.payload["manager"]["sub"] == manager


async def test_any_agent_reads_only_the_public_part_of_a_project(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    author = unique("agent.public")
    project = await approve(author=author, manager=unique("manager"))

    seen = await incubation.get(f"/projects/{project['id']}", headers=testbed.auth("agent.x"))
    assert seen.status_code == 200
    public = seen.json()
    assert public["visibility"] == "public"
    assert public["title"] == project["title"]
    assert public["phase"] == "feasibility_study"
    assert public["team"] == []
    assert public["outcome"] is None
    for private in ("problem", "solution", "workstreams", "journal", "manager"):
        assert private not in public

    own = await incubation.get(f"/projects/{project['id']}", headers=testbed.auth(author))
    assert own.json()["visibility"] == "full"


async def test_unknown_project_is_404(testbed: TestBed, incubation: httpx.AsyncClient) -> None:
    response = await incubation.get(f"/projects/{uuid.uuid4()}", headers=testbed.auth("agent"))
    assert response.status_code == 404
    assert response.json()["detail"] == "Projet introuvable."


async def test_projects_are_filtered_by_phase_directorate_intrapreneur_coach_and_idea(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    unique: Unique,
) -> None:
    directorate = unique("DIR")
    author = unique("agent.filter")
    study = await approve(author=author, track="study", directorate=directorate)
    experiment = await approve(
        author=unique("agent.other"), track="experiment", directorate=directorate
    )
    coach = unique("team.coach")
    added = await incubation.post(
        f"/projects/{experiment['id']}/team",
        json={"person": {"sub": coach, "name": "Coach"}, "role": "coach"},
        headers=team_auth,
    )
    assert added.status_code == 201

    async def ids(**params: str) -> list[str]:
        response = await incubation.get("/projects", params=params, headers=testbed.auth("a"))
        assert response.status_code == 200
        return [p["id"] for p in response.json()["items"]]

    assert sorted(await ids(directorate=directorate)) == sorted([study["id"], experiment["id"]])
    assert await ids(directorate=directorate, phase="experimentation") == [experiment["id"]]
    assert await ids(intrapreneur=author) == [study["id"]]
    mine = await incubation.get(
        "/projects", params={"intrapreneur": "me"}, headers=testbed.auth(author)
    )
    assert [p["id"] for p in mine.json()["items"]] == [study["id"]]
    assert await ids(coach=coach) == [experiment["id"]]
    assert await ids(idea_id=study["idea_id"]) == [study["id"]]
    bad = await incubation.get("/projects", params={"phase": "nowhere"}, headers=team_auth)
    assert bad.status_code == 422


async def test_portfolio_groups_projects_by_phase_for_the_innovation_team(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    unique: Unique,
) -> None:
    project = await approve(author=unique("agent.board"), track="experiment")
    board = await incubation.get("/portfolio", headers=team_auth)
    assert board.status_code == 200
    columns = {column["phase"]: column for column in board.json()["phases"]}
    assert list(columns) == [
        "feasibility_study",
        "experimentation",
        "implementation",
        "completed",
        "abandoned",
    ]
    assert columns["experimentation"]["label"] == "Expérimentation"
    assert project["id"] in [p["id"] for p in columns["experimentation"]["projects"]]
    assert all(c["count"] == len(c["projects"]) for c in columns.values())
    assert board.json()["total"] == sum(c["count"] for c in columns.values())

    refused = await incubation.get("/portfolio", headers=testbed.auth("agent.curious"))
    assert refused.status_code == 403


async def test_leaving_the_feasibility_study_needs_every_workstream_settled(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    event_spy: EventSpy,
    unique: Unique,
) -> None:
    project = await approve(author=unique("agent.gate"))
    path = f"/projects/{project['id']}"
    refused = await incubation.post(
        f"{path}/phase", json={"to_phase": "experimentation"}, headers=team_auth
    )
    assert refused.status_code == 409
    assert "Juridique" in refused.json()["detail"]

    for key in ("legal", "financial", "market_study"):
        done = await incubation.patch(
            f"{path}/workstreams/{key}", json={"status": "done"}, headers=team_auth
        )
        assert done.status_code == 200
    unjustified = await incubation.patch(
        f"{path}/workstreams/user_journey", json={"status": "not_applicable"}, headers=team_auth
    )
    assert unjustified.status_code == 422
    still = await incubation.post(
        f"{path}/phase", json={"to_phase": "experimentation"}, headers=team_auth
    )
    assert still.status_code == 409
    assert "Parcours usager" in still.json()["detail"]
    assert "Juridique" not in still.json()["detail"]

    justified = await incubation.patch(
        f"{path}/workstreams/user_journey",
        json={"status": "not_applicable", "not_applicable_reason": "Aucun usager externe."},
        headers=team_auth,
    )
    assert justified.json()["not_applicable_reason"] == "Aucun usager externe."
    moved = await incubation.post(
        f"{path}/phase", json={"to_phase": "experimentation"}, headers=team_auth
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["phase"] == "experimentation"
    assert moved.json()["phase_history"][0]["changed_by"]["sub"] == "team.coach"
    event = await event_spy.wait_for(ProjectPhaseChanged, project_id=project["id"])
    assert event.payload["from_phase"] == "feasibility_study"
    assert event.payload["to_phase"] == "experimentation"
    assert event.payload["gate_override_reason"] is None


async def test_innovation_team_overrides_the_gate_with_a_recorded_reason(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    event_spy: EventSpy,
    unique: Unique,
) -> None:
    project = await approve(author=unique("agent.override"))
    expert = unique("agent.expert")
    await incubation.post(
        f"/projects/{project['id']}/team",
        json={"person": {"sub": expert, "name": "Expert", "email": "e@x.fr"}, "role": "expert"},
        headers=team_auth,
    )
    blank = await incubation.post(
        f"/projects/{project['id']}/phase",
        json={"to_phase": "implementation", "gate_override_reason": "  "},
        headers=team_auth,
    )
    assert blank.status_code == 409
    moved = await incubation.post(
        f"/projects/{project['id']}/phase",
        json={"to_phase": "implementation", "gate_override_reason": "Urgence élus."},
        headers=team_auth,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["phase_history"][0]["gate_override_reason"] == "Urgence élus."
    event = await event_spy.wait_for(ProjectPhaseChanged, project_id=project["id"])
    assert event.payload["to_phase"] == "implementation"
    assert event.payload["gate_override_reason"] == "Urgence élus."
    assert [p["sub"] for p in event.payload["team"]] == [expert]
    assert event.payload["team"][0]["email"] == "e@x.fr"


async def test_a_project_never_moves_back_a_phase(
    incubation: httpx.AsyncClient, approve: Approve, team_auth: dict[str, str], unique: Unique
) -> None:
    project = await approve(author=unique("agent.back"), track="experiment")
    path = f"/projects/{project['id']}/phase"
    same = await incubation.post(path, json={"to_phase": "experimentation"}, headers=team_auth)
    assert same.status_code == 409
    forward = await incubation.post(path, json={"to_phase": "implementation"}, headers=team_auth)
    assert forward.status_code == 200
    back = await incubation.post(path, json={"to_phase": "experimentation"}, headers=team_auth)
    assert back.status_code == 409
    assert "en arrière" in back.json()["detail"]
    start = await incubation.post(path, json={"to_phase": "feasibility_study"}, headers=team_auth)
    assert start.status_code == 409
    closing = await incubation.post(path, json={"to_phase": "completed"}, headers=team_auth)
    assert closing.status_code == 409


async def test_only_the_innovation_team_changes_phases(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    author = unique("agent.self")
    project = await approve(author=author, track="experiment")
    for path, body in (
        ("phase", {"to_phase": "implementation"}),
        ("complete", {"implemented": "x", "beneficiaries": "y"}),
        ("abandon", {"reason": "x"}),
    ):
        response = await incubation.post(
            f"/projects/{project['id']}/{path}", json=body, headers=testbed.auth(author)
        )
        assert response.status_code == 403, path


async def test_completed_project_records_its_outcome_and_is_closed(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    event_spy: EventSpy,
    unique: Unique,
) -> None:
    author = unique("agent.done")
    project = await approve(author=author, track="experiment")
    path = f"/projects/{project['id']}"
    early = await incubation.post(
        f"{path}/complete",
        json={"implemented": "Application", "beneficiaries": "Agents"},
        headers=team_auth,
    )
    assert early.status_code == 409
    await incubation.post(f"{path}/phase", json={"to_phase": "implementation"}, headers=team_auth)
    done = await incubation.post(
        f"{path}/complete",
        json={"implemented": "Application de covoiturage", "beneficiaries": "Agents des sites"},
        headers=team_auth,
    )
    assert done.status_code == 200, done.text
    assert done.json()["phase"] == "completed"
    event = await event_spy.wait_for(ProjectCompleted, project_id=project["id"])
    assert event.payload["implemented"] == "Application de covoiturage"
    assert event.payload["intrapreneur"]["sub"] == author

    public = await incubation.get(path, headers=testbed.auth("agent.anyone"))
    assert public.json()["outcome"]["kind"] == "completed"
    assert public.json()["outcome"]["beneficiaries"] == "Agents des sites"
    again = await incubation.post(f"{path}/abandon", json={"reason": "x"}, headers=team_auth)
    assert again.status_code == 409
    frozen = await incubation.post(
        f"{path}/journal",
        json={"kind": "milestone", "occurred_on": "2027-01-01", "title": "Après coup"},
        headers=testbed.auth(author),
    )
    assert frozen.status_code == 409


async def test_abandoned_project_tells_the_team_why(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    team_auth: dict[str, str],
    event_spy: EventSpy,
    unique: Unique,
) -> None:
    project = await approve(author=unique("agent.stop"))
    member = unique("agent.member")
    await incubation.post(
        f"/projects/{project['id']}/team",
        json={"person": {"sub": member}, "role": "member"},
        headers=team_auth,
    )
    empty = await incubation.post(
        f"/projects/{project['id']}/abandon", json={"reason": ""}, headers=team_auth
    )
    assert empty.status_code == 422
    stopped = await incubation.post(
        f"/projects/{project['id']}/abandon",
        json={"reason": "Coût trop élevé.", "lessons_learned": "Chiffrer plus tôt."},
        headers=team_auth,
    )
    assert stopped.status_code == 200
    assert stopped.json()["outcome"]["reason"] == "Coût trop élevé."
    event = await event_spy.wait_for(ProjectAbandoned, project_id=project["id"])
    assert event.payload["lessons_learned"] == "Chiffrer plus tôt."
    assert [p["sub"] for p in event.payload["team"]] == [member]
