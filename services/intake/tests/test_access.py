"""Who may call what: every endpoint refuses a missing or bad token, and each role is held
to what it may do."""

import uuid
from datetime import timedelta

import jwt
import pytest
from intake_support import Board, idea_body

from construisons.auth import COMMITTEE, INNOVATION_TEAM, mint_token
from construisons.settings import ServiceSettings

ENDPOINTS = [
    ("GET", "/themes"),
    ("POST", "/ideas"),
    ("GET", "/ideas"),
    ("GET", "/ideas/similar?text=colis"),
    ("GET", "/ideas/{id}"),
    ("PATCH", "/ideas/{id}"),
    ("POST", "/ideas/{id}/withdraw"),
    ("PUT", "/ideas/{id}/support"),
    ("DELETE", "/ideas/{id}/support"),
    ("GET", "/ideas/{id}/comments"),
    ("POST", "/ideas/{id}/comments"),
    ("POST", "/ideas/{id}/comments/{id}/hide"),
]


def _expired() -> str:
    return mint_token(ServiceSettings(), sub="agent.late", lifetime=timedelta(seconds=-60))


def _forged() -> str:
    return jwt.encode(
        {"sub": "agent.forger", "exp": 9_999_999_999},
        "not-the-secret-of-this-platform-at-all",
        "HS256",
    )


@pytest.mark.parametrize("method,path", ENDPOINTS)
@pytest.mark.parametrize("token", [None, "expired", "forged"])
async def test_every_endpoint_refuses_a_missing_or_bad_token(
    board: Board, method: str, path: str, token: str | None
) -> None:
    idea = await board.submit(board.agent())
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {_expired() if token == 'expired' else _forged()}"
    response = await board.client.request(
        method, path.replace("{id}", idea["id"]), json=idea_body(), headers=headers
    )
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")


async def test_every_role_may_use_the_board(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    for who in (
        board.agent(),
        board.agent("team", roles=[INNOVATION_TEAM]),
        board.agent("committee", roles=[COMMITTEE]),
    ):
        assert (await board.client.get("/ideas", headers=who.headers)).status_code == 200
        assert (
            await board.client.get(f"/ideas/{idea['id']}", headers=who.headers)
        ).status_code == 200
        posted = await board.client.post("/ideas", json=idea_body(), headers=who.headers)
        assert posted.status_code == 201
        supported = await board.client.put(f"/ideas/{idea['id']}/support", headers=who.headers)
        assert supported.status_code == 200
        commented = await board.client.post(
            f"/ideas/{idea['id']}/comments", json={"body": "Intéressant"}, headers=who.headers
        )
        assert commented.status_code == 201


async def test_only_the_innovation_team_hides_comments(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    comment = await board.client.post(
        f"/ideas/{idea['id']}/comments", json={"body": "Hors sujet"}, headers=board.agent().headers
    )
    url = f"/ideas/{idea['id']}/comments/{comment.json()['id']}/hide"
    for who in (author, board.agent(), board.agent("committee", roles=[COMMITTEE])):
        refused = await board.client.post(url, json={"reason": "Hors sujet"}, headers=who.headers)
        assert refused.status_code == 403
        assert "droits" in refused.json()["detail"]
    team = board.agent("team", roles=[INNOVATION_TEAM])
    assert (
        await board.client.post(url, json={"reason": "Hors sujet"}, headers=team.headers)
    ).status_code == 200
    unknown = f"/ideas/{idea['id']}/comments/{uuid.uuid4()}/hide"
    assert (
        await board.client.post(unknown, json={"reason": "Hors sujet"}, headers=team.headers)
    ).status_code == 404


async def test_only_the_author_withdraws(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    url = f"/ideas/{idea['id']}/withdraw"
    for who in (
        board.agent(),
        board.agent("team", roles=[INNOVATION_TEAM]),
        board.agent("committee", roles=[COMMITTEE]),
    ):
        assert (await board.client.post(url, headers=who.headers)).status_code == 403
    assert (await board.get(idea["id"], author))["status"] == "submitted"
