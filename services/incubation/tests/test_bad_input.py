"""Bad input on every writing endpoint is answered in French with a 4xx, never a 500."""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx

from construisons.testing import TestBed

Approve = Callable[..., Awaitable[dict[str, Any]]]
Unique = Callable[[str], str]
NEXT_YEAR = date.today().year + 1

BODIES: list[Any] = [
    None,
    [],
    "texte",
    42,
    {"unexpected": True},
    {
        "to_phase": None,
        "person": {"sub": "a\x00b"},
        "role": "coach",
        "share_percent": "beaucoup",
        "starts_on": "2027-02-30",
        "decision": "peut-être",
        "kind": "meeting",
        "occurred_on": "hier",
        "title": "x" * 500,
        "links": [{"label": "a", "url": "ftp://x"}],
        "status": "done",
        "not_applicable_reason": 3,
    },
]


async def test_bad_bodies_never_cause_a_server_error(
    testbed: TestBed,
    incubation: httpx.AsyncClient,
    approve: Approve,
    unique: Unique,
    team_auth: dict[str, str],
) -> None:
    author, manager = unique("agent.fuzz"), unique("manager.fuzz")
    project = await approve(author=author, manager=manager)
    asked = await incubation.post(
        f"/projects/{project['id']}/time-allocations",
        json={
            "share_percent": 10,
            "starts_on": f"{NEXT_YEAR}-01-01",
            "ends_on": f"{NEXT_YEAR}-02-01",
            "justification": "Essai",
        },
        headers=testbed.auth(author),
    )
    assert asked.status_code == 201, asked.text
    allocation = asked.json()["id"]
    base = f"/projects/{project['id']}"
    writes = [
        ("POST", f"{base}/phase", team_auth),
        ("POST", f"{base}/complete", team_auth),
        ("POST", f"{base}/abandon", team_auth),
        ("POST", f"{base}/team", team_auth),
        ("POST", f"{base}/workstreams", team_auth),
        ("PATCH", f"{base}/workstreams/legal", team_auth),
        ("POST", f"{base}/journal", team_auth),
        ("POST", f"{base}/time-allocations", testbed.auth(author)),
        ("POST", f"/time-allocations/{allocation}/decision", testbed.auth(manager)),
        ("POST", f"/time-allocations/{allocation}/renewal", testbed.auth(author)),
    ]
    for method, url, headers in writes:
        for body in BODIES:
            response = await incubation.request(method, url, json=body, headers=headers)
            assert 400 <= response.status_code < 500, (method, url, body, response.text)
            assert response.json()["detail"], (method, url, body)
        garbage = await incubation.request(
            method,
            url,
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert garbage.status_code == 400, (method, url)
    bad_ids = await incubation.get("/projects/not-a-uuid", headers=team_auth)
    assert bad_ids.status_code == 422
    still = await incubation.get(base, headers=team_auth)
    assert still.json()["phase"] == "feasibility_study"
    assert still.json()["team"] == []
