"""Every endpoint refuses a missing or invalid token (401) and the wrong role (403)."""

import uuid

import httpx
import pytest

from construisons.testing import TestBed

SOME = uuid.uuid4()
ENDPOINTS = [
    ("GET", "/projects"),
    ("GET", f"/projects/{SOME}"),
    ("GET", "/portfolio"),
    ("POST", f"/projects/{SOME}/phase"),
    ("POST", f"/projects/{SOME}/complete"),
    ("POST", f"/projects/{SOME}/abandon"),
    ("POST", f"/projects/{SOME}/team"),
    ("DELETE", f"/projects/{SOME}/team/someone"),
    ("POST", f"/projects/{SOME}/workstreams"),
    ("PATCH", f"/projects/{SOME}/workstreams/legal"),
    ("POST", f"/projects/{SOME}/journal"),
    ("GET", f"/projects/{SOME}/journal"),
    ("POST", f"/projects/{SOME}/time-allocations"),
    ("GET", f"/projects/{SOME}/time-allocations"),
    ("GET", "/time-allocations"),
    ("GET", f"/time-allocations/{SOME}"),
    ("POST", f"/time-allocations/{SOME}/decision"),
    ("POST", f"/time-allocations/{SOME}/renewal"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "invalid", "not-bearer"],
)
async def test_every_endpoint_needs_a_valid_token(
    incubation: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await incubation.request(method, path, json={}, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/portfolio", None),
        ("POST", f"/projects/{SOME}/phase", {"to_phase": "implementation"}),
        ("POST", f"/projects/{SOME}/complete", {"implemented": "x", "beneficiaries": "y"}),
        ("POST", f"/projects/{SOME}/abandon", {"reason": "x"}),
        ("GET", "/time-allocations", None),
    ],
)
async def test_team_only_endpoints_refuse_other_agents(
    testbed: TestBed, incubation: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await incubation.request(
        method, path, json=body, headers=testbed.auth("agent.plain", roles=["committee"])
    )
    assert response.status_code == 403
    assert response.json()["detail"]
