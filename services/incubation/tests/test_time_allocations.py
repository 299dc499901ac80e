"""The intrapreneur's time over HTTP and the real broker: request, the manager's decision,
the 100 % ceiling, renewals."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from construisons.auth import INNOVATION_TEAM
from construisons.events import TimeAllocationDecided, TimeAllocationRequested
from construisons.testing import EventSpy, TestBed

Approve = Callable[..., Awaitable[dict[str, Any]]]
Unique = Callable[[str], str]

NEXT_YEAR = date.today().year + 1
JAN_1 = date(NEXT_YEAR, 1, 1)
JUN_30 = date(NEXT_YEAR, 6, 30)


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "share_percent": 20,
        "starts_on": JAN_1.isoformat(),
        "ends_on": JUN_30.isoformat(),
        "justification": "Mener l'étude de faisabilité avec les sites pilotes.",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
async def people(testbed: TestBed, approve: Approve, unique: Unique) -> dict[str, Any]:
    """A project, its intrapreneur's and manager's headers."""
    author, manager = unique("agent.time"), unique("manager.time")
    project = await approve(author=author, manager=manager)
    return {
        "project": project,
        "author": author,
        "manager": manager,
        "as_author": testbed.auth(author, manager_sub=manager),
        "as_manager": testbed.auth(manager),
    }


async def ask(
    incubation: httpx.AsyncClient,
    people: dict[str, Any],
    project: dict[str, Any] | None = None,
    **body: Any,
) -> dict[str, Any]:
    project = project or people["project"]
    response = await incubation.post(
        f"/projects/{project['id']}/time-allocations",
        json=request_body(**body),
        headers=people["as_author"],
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_intrapreneur_asks_days_per_week_and_their_manager_is_asked(
    incubation: httpx.AsyncClient,
    people: dict[str, Any],
    event_spy: EventSpy,
    unique: Unique,
    testbed: TestBed,
) -> None:
    allocation = await ask(incubation, people, share_percent=None, days_per_week=2)
    assert allocation["requested"]["share_percent"] == 40.0
    assert allocation["requested"]["days_per_week"] == 2.0
    assert allocation["status"] == "requested"
    assert allocation["manager"]["sub"] == people["manager"]

    event = await event_spy.wait_for(TimeAllocationRequested, allocation_id=allocation["id"])
    assert event.payload["share_percent"] == 40.0
    assert event.payload["manager"]["sub"] == people["manager"]
    assert event.payload["intrapreneur"]["sub"] == people["author"]
    assert event.payload["starts_on"] == JAN_1.isoformat()

    waiting = await incubation.get(
        "/time-allocations", params={"manager": "me"}, headers=people["as_manager"]
    )
    assert [a["id"] for a in waiting.json()["items"]] == [allocation["id"]]
    assert waiting.json()["items"][0]["project_title"] == people["project"]["title"]
    other = await incubation.get(
        "/time-allocations", params={"manager": "me"}, headers=testbed.auth(unique("manager"))
    )
    assert other.json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"share_percent": 20, "days_per_week": 1}, 422),
        ({"share_percent": None}, 422),
        ({"share_percent": 120}, 422),
        ({"share_percent": None, "days_per_week": 6}, 422),
        ({"starts_on": JUN_30.isoformat(), "ends_on": JAN_1.isoformat()}, 422),
        ({"starts_on": "2020-01-01", "ends_on": "2020-02-01"}, 422),
        ({"justification": ""}, 422),
        ({"starts_on": "demain"}, 422),
        ({"ends_on": "9999-12-31"}, 422),
    ],
)
async def test_a_malformed_time_request_is_refused_in_french(
    incubation: httpx.AsyncClient, people: dict[str, Any], body: dict[str, Any], status: int
) -> None:
    response = await incubation.post(
        f"/projects/{people['project']['id']}/time-allocations",
        json=request_body(**body),
        headers=people["as_author"],
    )
    assert response.status_code == status
    assert response.json()["detail"]


async def test_only_the_intrapreneur_asks_for_time(
    testbed: TestBed, incubation: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    path = f"/projects/{people['project']['id']}/time-allocations"
    for headers in (
        testbed.auth("agent.stranger"),
        people["as_manager"],
        testbed.auth("team.someone", roles=[INNOVATION_TEAM]),
    ):
        response = await incubation.post(path, json=request_body(), headers=headers)
        assert response.status_code == 403
        assert "intrapreneur" in response.json()["detail"]


async def test_manager_approves_the_request(
    incubation: httpx.AsyncClient, people: dict[str, Any], event_spy: EventSpy
) -> None:
    allocation = await ask(incubation, people)
    decided = await incubation.post(
        f"/time-allocations/{allocation['id']}/decision",
        json={"decision": "approved"},
        headers=people["as_manager"],
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "approved"
    assert body["granted"]["share_percent"] == 20.0
    assert body["decided_by"]["sub"] == people["manager"]
    assert body["on_behalf_of_manager"] is False
    event = await event_spy.wait_for(TimeAllocationDecided, allocation_id=allocation["id"])
    assert event.payload["decision"] == "approved"
    assert event.payload["share_percent"] == 20.0
    assert event.payload["on_behalf_of_manager"] is False

    waiting = await incubation.get(
        "/time-allocations", params={"manager": "me"}, headers=people["as_manager"]
    )
    assert waiting.json()["items"] == []
    again = await incubation.post(
        f"/time-allocations/{allocation['id']}/decision",
        json={"decision": "declined", "reason": "Changement d'avis"},
        headers=people["as_manager"],
    )
    assert again.status_code == 409


async def test_manager_of_another_agent_cannot_approve_time(
    testbed: TestBed, incubation: httpx.AsyncClient, people: dict[str, Any], unique: Unique
) -> None:
    allocation = await ask(incubation, people)
    path = f"/time-allocations/{allocation['id']}/decision"
    for headers in (testbed.auth(unique("manager.other")), people["as_author"]):
        response = await incubation.post(path, json={"decision": "approved"}, headers=headers)
        assert response.status_code == 403
    still = await incubation.get(
        f"/time-allocations/{allocation['id']}", headers=people["as_author"]
    )
    assert still.json()["status"] == "requested"


async def test_innovation_team_records_the_managers_answer_on_their_behalf(
    testbed: TestBed, incubation: httpx.AsyncClient, people: dict[str, Any], event_spy: EventSpy
) -> None:
    allocation = await ask(incubation, people)
    team = testbed.auth("team.secretary", roles=[INNOVATION_TEAM], name="Secrétariat")
    decided = await incubation.post(
        f"/time-allocations/{allocation['id']}/decision",
        json={"decision": "declined", "reason": "Période de clôture budgétaire."},
        headers=team,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["on_behalf_of_manager"] is True
    assert decided.json()["decided_by"]["sub"] == "team.secretary"
    assert decided.json()["granted"] is None
    event = await event_spy.wait_for(TimeAllocationDecided, allocation_id=allocation["id"])
    assert event.payload["decision"] == "declined"
    assert event.payload["reason"] == "Période de clôture budgétaire."
    assert event.payload["on_behalf_of_manager"] is True
    assert event.payload["decided_by"]["sub"] == "team.secretary"
    assert event.payload["manager"]["sub"] == people["manager"]


async def test_a_decline_needs_a_reason(
    incubation: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    allocation = await ask(incubation, people)
    response = await incubation.post(
        f"/time-allocations/{allocation['id']}/decision",
        json={"decision": "declined"},
        headers=people["as_manager"],
    )
    assert response.status_code == 422
    assert "raison" in response.json()["detail"]


async def test_manager_grants_less_time_over_a_shorter_period(
    incubation: httpx.AsyncClient, people: dict[str, Any], event_spy: EventSpy
) -> None:
    allocation = await ask(incubation, people, share_percent=40)
    path = f"/time-allocations/{allocation['id']}/decision"
    for refused in (
        {"decision": "approved_with_changes", "share_percent": 50},
        {"decision": "approved_with_changes", "ends_on": (JUN_30 + timedelta(days=1)).isoformat()},
        {"decision": "approved_with_changes", "starts_on": (JAN_1 - timedelta(days=1)).isoformat()},
        {"decision": "approved_with_changes"},
        {"decision": "approved", "share_percent": 10},
    ):
        response = await incubation.post(path, json=refused, headers=people["as_manager"])
        assert response.status_code == 422, refused
    granted = await incubation.post(
        path,
        json={
            "decision": "approved_with_changes",
            "days_per_week": 1,
            "ends_on": date(NEXT_YEAR, 3, 31).isoformat(),
            "reason": "Un jour par semaine jusqu'au bilan de mars.",
        },
        headers=people["as_manager"],
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["granted"] == {
        "share_percent": 20.0,
        "days_per_week": None,
        "starts_on": JAN_1.isoformat(),
        "ends_on": date(NEXT_YEAR, 3, 31).isoformat(),
    }
    event = await event_spy.wait_for(TimeAllocationDecided, allocation_id=allocation["id"])
    assert event.payload["decision"] == "approved_with_changes"
    assert event.payload["share_percent"] == 20.0
    assert event.payload["ends_on"] == date(NEXT_YEAR, 3, 31).isoformat()


async def test_approved_time_never_exceeds_full_time_on_any_day(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    author, manager = unique("agent.busy"), unique("manager.busy")
    first = await approve(author=author, manager=manager, title="Guichet unique")
    second = await approve(author=author, manager=manager, title="Tiers-lieux")
    people = {"as_author": testbed.auth(author), "project": first}
    as_manager = testbed.auth(manager)

    base = await ask(incubation, people, share_percent=60)
    approved = await incubation.post(
        f"/time-allocations/{base['id']}/decision",
        json={"decision": "approved"},
        headers=as_manager,
    )
    assert approved.status_code == 200
    spring = await ask(
        incubation,
        people,
        project=second,
        share_percent=50,
        starts_on=date(NEXT_YEAR, 3, 1).isoformat(),
        ends_on=date(NEXT_YEAR, 9, 30).isoformat(),
    )
    path = f"/time-allocations/{spring['id']}/decision"
    over = await incubation.post(path, json={"decision": "approved"}, headers=as_manager)
    assert over.status_code == 409
    detail = over.json()["detail"]
    assert "100 %" in detail
    assert f"du 01/03/{NEXT_YEAR} au 30/06/{NEXT_YEAR}" in detail
    assert "« Guichet unique »" in detail

    later = await incubation.post(
        path,
        json={"decision": "approved_with_changes", "starts_on": date(NEXT_YEAR, 7, 1).isoformat()},
        headers=as_manager,
    )
    assert later.status_code == 200, later.text
    history = await incubation.get(
        f"/projects/{second['id']}/time-allocations", headers=people["as_author"]
    )
    assert [a["status"] for a in history.json()["items"]] == ["approved_with_changes"]


async def test_an_approved_allocation_is_renewed_before_its_end(
    incubation: httpx.AsyncClient, people: dict[str, Any], event_spy: EventSpy
) -> None:
    allocation = await ask(incubation, people, share_percent=30)
    declined_first = await ask(incubation, people, share_percent=10)
    await incubation.post(
        f"/time-allocations/{declined_first['id']}/decision",
        json={"decision": "declined", "reason": "Doublon"},
        headers=people["as_manager"],
    )
    not_approved = await incubation.post(
        f"/time-allocations/{declined_first['id']}/renewal",
        json={"ends_on": date(NEXT_YEAR, 12, 31).isoformat(), "justification": "Suite"},
        headers=people["as_author"],
    )
    assert not_approved.status_code == 409

    await incubation.post(
        f"/time-allocations/{allocation['id']}/decision",
        json={"decision": "approved"},
        headers=people["as_manager"],
    )
    renewal = {"ends_on": date(NEXT_YEAR, 12, 31).isoformat(), "justification": "Expérimentation"}
    renewed = await incubation.post(
        f"/time-allocations/{allocation['id']}/renewal", json=renewal, headers=people["as_author"]
    )
    assert renewed.status_code == 201, renewed.text
    body = renewed.json()
    assert body["renews"] == allocation["id"]
    assert body["requested"]["starts_on"] == date(NEXT_YEAR, 7, 1).isoformat()
    assert body["requested"]["share_percent"] == 30.0
    await event_spy.wait_for(TimeAllocationRequested, allocation_id=body["id"])
    twice = await incubation.post(
        f"/time-allocations/{allocation['id']}/renewal", json=renewal, headers=people["as_author"]
    )
    assert twice.status_code == 409
    by_manager = await incubation.post(
        f"/time-allocations/{allocation['id']}/renewal", json=renewal, headers=people["as_manager"]
    )
    assert by_manager.status_code == 403


async def test_time_history_is_for_the_intrapreneur_the_manager_and_the_team(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    people: dict[str, Any],
    team_auth: dict[str, str],
) -> None:
    allocation = await ask(incubation, people)
    path = f"/projects/{people['project']['id']}/time-allocations"
    for headers in (people["as_author"], people["as_manager"], team_auth):
        response = await incubation.get(path, headers=headers)
        assert response.status_code == 200
        assert [a["id"] for a in response.json()["items"]] == [allocation["id"]]
    stranger = testbed.auth("agent.stranger")
    assert (await incubation.get(path, headers=stranger)).status_code == 403
    one = await incubation.get(f"/time-allocations/{allocation['id']}", headers=stranger)
    assert one.status_code == 403
    everything = await incubation.get("/time-allocations", headers=stranger)
    assert everything.status_code == 403
    pending = await incubation.get("/time-allocations", headers=team_auth)
    assert allocation["id"] in [a["id"] for a in pending.json()["items"]]


async def test_without_a_recorded_manager_the_sign_on_manager_is_asked(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    author, manager = unique("agent.alone"), unique("manager.sso")
    project = await approve(author=author, manager=None)
    path = f"/projects/{project['id']}/time-allocations"
    nobody = await incubation.post(path, json=request_body(), headers=testbed.auth(author))
    assert nobody.status_code == 409
    assert "responsable" in nobody.json()["detail"]

    asked = await incubation.post(
        path, json=request_body(), headers=testbed.auth(author, manager_sub=manager)
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["manager"]["sub"] == manager
    decided = await incubation.post(
        f"/time-allocations/{asked.json()['id']}/decision",
        json={"decision": "approved"},
        headers=testbed.auth(manager),
    )
    assert decided.status_code == 200
    full = await incubation.get(f"/projects/{project['id']}", headers=testbed.auth(manager))
    assert full.json()["manager"]["sub"] == manager


async def test_concurrent_approvals_cannot_together_exceed_full_time(
    testbed: TestBed, incubation: httpx.AsyncClient, approve: Approve, unique: Unique
) -> None:
    author, manager = unique("agent.race"), unique("manager.race")
    projects = [await approve(author=author, manager=manager) for _ in range(2)]
    people = {"as_author": testbed.auth(author)}
    requests = [await ask(incubation, people, project=p, share_percent=60) for p in projects]
    answers = await asyncio.gather(
        *(
            incubation.post(
                f"/time-allocations/{r['id']}/decision",
                json={"decision": "approved"},
                headers=testbed.auth(manager),
            )
            for r in requests
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
