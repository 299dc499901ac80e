"""Who may call what: every endpoint answers 401 without a valid token and 403 to the
wrong roles, before it looks at the case or the body."""

import uuid
from typing import Any

import httpx
import pytest

from construisons.auth import COMMITTEE, INNOVATION_TEAM
from construisons.testing import TestBed

CASE = uuid.uuid4()
SESSION = uuid.uuid4()
TEAM, BOARD = INNOVATION_TEAM, COMMITTEE
EITHER = (TEAM, BOARD)

# (method, path, body, roles allowed)
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, tuple[str, ...]]] = [
    ("GET", "/cases", None, EITHER),
    ("GET", f"/cases/{CASE}", None, EITHER),
    ("GET", "/cases.csv", None, EITHER),
    ("POST", f"/cases/{CASE}/assign", None, (TEAM,)),
    ("POST", f"/cases/{CASE}/contacts", {"channel": "phone", "summary": "x"}, (TEAM,)),
    ("POST", f"/cases/{CASE}/qualify", {}, (TEAM,)),
    ("POST", f"/cases/{CASE}/send-back", {"reason": "x"}, (TEAM,)),
    ("POST", f"/cases/{CASE}/close-as-duplicate", {"duplicate_of": str(SESSION)}, (TEAM,)),
    ("PUT", f"/cases/{CASE}/scores", {"scores": {}}, (BOARD,)),
    ("POST", f"/cases/{CASE}/decision", {"decision": "study", "reason": "x"}, (BOARD,)),
    ("POST", "/sessions", {"date": "2026-12-15", "title": "x"}, (TEAM,)),
    ("GET", "/sessions", None, EITHER),
    ("GET", f"/sessions/{SESSION}", None, EITHER),
    ("POST", f"/sessions/{SESSION}/agenda", {"idea_id": str(CASE)}, (TEAM,)),
    ("PUT", f"/sessions/{SESSION}/members", {"members": []}, (TEAM,)),
    ("GET", f"/sessions/{SESSION}/minutes", None, EITHER),
    ("GET", "/matrix", None, EITHER),
    ("GET", "/matrix.svg", None, EITHER),
    ("GET", "/stats", None, EITHER),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
async def test_endpoint_refuses_strangers_and_wrong_roles(
    testbed: TestBed,
    review: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: tuple[str, ...],
) -> None:
    async def call(headers: dict[str, str]) -> httpx.Response:
        return await review.request(method, path, json=body, headers=headers)

    anonymous = await call({})
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"].startswith("Authentification requise")
    assert (await call({"Authorization": "Bearer pas-un-jeton"})).status_code == 401

    for roles in ([], *[[role] for role in EITHER if role not in allowed]):
        refused = await call(testbed.auth("agent.curieux", roles=roles))
        assert refused.status_code == 403, (roles, refused.text)

    for role in allowed:
        let_in = await call(testbed.auth("someone", roles=[role]))
        assert let_in.status_code not in (401, 403), (role, let_in.text)
