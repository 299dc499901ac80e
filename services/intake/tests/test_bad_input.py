"""Bad input never breaks intake: a clear 4xx in French, no 500, nothing half-written."""

import asyncio
import json
from typing import Any

import pytest
from intake_support import Agent, Board, idea_body

from construisons.events import IdeaSubmitted
from construisons.testing import EventSpy

TEXT_FIELDS = ("title", "problem", "solution", "expected_benefits")
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>gras</b>'


def _raw(body: str) -> tuple[bytes, dict[str, str]]:
    return body.encode("utf-8", "surrogatepass"), {"Content-Type": "application/json"}


BAD_BODIES: list[tuple[str, Any, set[int]]] = [
    ("no body", None, {422}),
    ("empty object", {}, {422}),
    ("json null", "null", {422}),
    ("json array", "[]", {422}),
    ("json string", '"une idée"', {422}),
    ("malformed json", '{"title": "Relais', {400}),
    ("trailing garbage", '{"title": "x"} {', {400}),
    ("form encoded", "title=Relais&problem=x", {400, 422}),
    ("title too short", idea_body(title="Ab"), {422}),
    ("title too long", idea_body(title="T" * 121), {422}),
    ("problem too short", idea_body(problem="Trop court"), {422}),
    ("solution too long", idea_body(solution="s" * 5001), {422}),
    ("blank title", idea_body(title="        "), {422}),
    ("title on two lines", idea_body(title="Relais\ncolis partout"), {422}),
    ("title is a number", idea_body(title=12345), {422}),
    ("problem is a list", idea_body(problem=["a" * 30]), {422}),
    ("solution is an object", idea_body(solution={"text": "s" * 30}), {422}),
    ("themes is a string", idea_body(themes="Numérique"), {422}),
    ("theme is a number", idea_body(themes=[3]), {422}),
    ("too many themes", idea_body(themes=["Numérique"] * 11), {422}),
    ("co_authors is a string", idea_body(co_authors="agent.x"), {422}),
    ("co_author is empty", idea_body(co_authors=[""]), {422}),
    ("show_author is a string", idea_body(show_author="oui"), {422}),
    ("show_author is null", idea_body(show_author=None), {422}),
    ("beneficiaries unknown", idea_body(beneficiaries="martiens"), {422}),
    ("expected_benefits empty", idea_body(expected_benefits=""), {422}),
    ("unknown field status", idea_body(status="approved"), {422}),
    ("unknown field author", idea_body(author={"sub": "someone.else"}), {422}),
    ("unknown field id", idea_body(id="00000000-0000-0000-0000-000000000000"), {422}),
    ("nested deeply", idea_body(themes=[[[[["Numérique"]]]]]), {422}),
    ("huge number", '{"title": 1' + "0" * 5000 + "}", {400, 422}),
    (
        "lone surrogate",
        json.dumps(idea_body(title="Relais @ colis")).replace("@", "\\ud800"),
        {422},
    ),
]
for _field in TEXT_FIELDS:
    for _char in ("\u0000", "\u0007", "\u001b", "\u007f"):
        BAD_BODIES.append(
            (
                f"control {ord(_char):#04x} in {_field}",
                idea_body(**{_field: f"Texte {_char} " + "x" * 30}),
                {422},
            )
        )


async def _post(board: Board, who: Agent, body: Any) -> Any:
    if body is None:
        return await board.client.post("/ideas", headers=who.headers)
    if isinstance(body, str):
        content, extra = _raw(body)
        if body.startswith("title="):
            extra = {"Content-Type": "application/x-www-form-urlencoded"}
        return await board.client.post("/ideas", content=content, headers={**who.headers, **extra})
    return await board.client.post("/ideas", json=body, headers=who.headers)


async def _mine(board: Board, who: Agent) -> list[dict[str, Any]]:
    response = await board.client.get("/ideas", params={"mine": "true"}, headers=who.headers)
    return response.json()["items"]


@pytest.mark.parametrize("name,body,expected", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_bad_submission_is_refused_and_nothing_is_written(
    board: Board, name: str, body: Any, expected: set[int]
) -> None:
    who = board.agent()
    response = await _post(board, who, body)
    assert response.status_code in expected, (name, response.status_code, response.text)
    detail = response.json()["detail"]
    assert detail
    if response.status_code == 422:
        assert all(error["msg"] and error["field"] for error in detail)
    assert await _mine(board, who) == []


async def test_empty_submission_lists_one_french_message_per_missing_field(board: Board) -> None:
    response = await board.client.post("/ideas", json={}, headers=board.agent().headers)
    assert response.status_code == 422
    messages = {e["field"]: e["msg"] for e in response.json()["detail"]}
    assert messages == {
        "title": "Ce champ est obligatoire.",
        "problem": "Ce champ est obligatoire.",
        "solution": "Ce champ est obligatoire.",
    }


async def test_an_oversize_body_gets_413_and_writes_nothing(
    board: Board, event_spy: EventSpy
) -> None:
    who = board.agent()
    huge = idea_body(problem="p" * 70_000)
    declared = await board.client.post("/ideas", json=huge, headers=who.headers)
    assert declared.status_code == 413

    async def chunks() -> Any:
        payload = json.dumps(huge).encode()
        for start in range(0, len(payload), 8192):
            yield payload[start : start + 8192]

    streamed = await board.client.post(
        "/ideas", content=chunks(), headers={**who.headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "trop volumineux" in streamed.json()["detail"]
    assert await _mine(board, who) == []
    await asyncio.sleep(0.3)
    assert not [e for e in event_spy.of(IdeaSubmitted) if e.payload["author"]["sub"] == who.sub]


async def test_html_in_every_text_field_is_stored_and_returned_as_given(board: Board) -> None:
    author = board.agent(name=HTML[:40])
    fields = {
        "title": f"Titre {HTML}"[:120],
        "problem": f"Problème {HTML}",
        "solution": f"Solution {HTML}",
        "expected_benefits": f"Bénéfices {HTML}",
        "co_authors": ["<i>agent</i>"],
    }
    response = await board.client.post("/ideas", json=idea_body(**fields), headers=author.headers)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    idea = await board.get(response.json()["id"], author)
    for name, value in fields.items():
        assert idea[name] == value
    [card] = await _mine(board, author)
    assert card["title"] == fields["title"]
    comment = await board.client.post(
        f"/ideas/{idea['id']}/comments", json={"body": HTML}, headers=board.agent().headers
    )
    assert comment.status_code == 201
    listed = await board.client.get(f"/ideas/{idea['id']}/comments", headers=author.headers)
    assert listed.json()["items"][0]["body"] == HTML
    found = await board.client.get("/ideas", params={"q": "<script>"}, headers=author.headers)
    assert found.status_code == 200


BAD_PATCHES: list[tuple[str, Any, set[int]]] = [
    ("malformed json", '{"title": ', {400}),
    ("json array", "[]", {422}),
    ("unknown field", {"status": "approved"}, {422}),
    ("author change", {"author": {"sub": "x"}}, {422}),
    ("revision change", {"revision": 9}, {422}),
    ("title too short", {"title": "Ab"}, {422}),
    ("title null", {"title": None}, {422}),
    ("problem wrong type", {"problem": 42}, {422}),
    ("control character", {"solution": "Solution \u0000" + "x" * 30}, {422}),
    ("unknown theme", {"themes": ["Astrologie"]}, {422}),
    ("oversize", {"problem": "p" * 70_000}, {413}),
]


@pytest.mark.parametrize("name,body,expected", BAD_PATCHES, ids=[b[0] for b in BAD_PATCHES])
async def test_bad_edit_is_refused_and_the_idea_is_unchanged(
    board: Board, name: str, body: Any, expected: set[int]
) -> None:
    author = board.agent()
    idea = await board.submit(author)
    headers = {**author.headers, "If-Match": '"1"'}
    url = f"/ideas/{idea['id']}"
    if isinstance(body, str):
        content, extra = _raw(body)
        response = await board.client.patch(url, content=content, headers={**headers, **extra})
    else:
        response = await board.client.patch(url, json=body, headers=headers)
    assert response.status_code in expected, (name, response.status_code, response.text)
    after = await board.get(idea["id"], author)
    assert after["revision"] == 1
    assert {k: after[k] for k in ("title", "problem", "solution", "themes")} == {
        k: idea[k] for k in ("title", "problem", "solution", "themes")
    }


BAD_QUERIES = [
    ("/ideas", {"q": "jardin\x00"}),
    ("/ideas", {"q": "x" * 201}),
    ("/ideas", {"theme": "\x07"}),
    ("/ideas", {"sort": "random"}),
    ("/ideas", {"author": "someone"}),
    ("/ideas", {"mine": "peut-être"}),
    ("/ideas", {"cursor": "\x00"}),
    ("/ideas/similar", {}),
    ("/ideas/similar", {"text": "colis\x00"}),
    ("/ideas/similar", {"text": "x" * 501}),
    ("/ideas/similar", {"text": "colis", "limit": 0}),
    ("/ideas/not-an-id", {}),
    ("/ideas/not-an-id/comments", {}),
]


@pytest.mark.parametrize("path,params", BAD_QUERIES)
async def test_bad_query_parameters_get_a_4xx(board: Board, path: str, params: dict) -> None:
    response = await board.client.get(path, params=params, headers=board.agent().headers)
    assert response.status_code in {400, 422}, response.text
    assert response.json()["detail"]


async def test_bad_comments_and_moderation_are_refused_and_nothing_is_written(
    board: Board,
) -> None:
    from construisons.auth import INNOVATION_TEAM

    author = board.agent()
    idea = await board.submit(author)
    url = f"/ideas/{idea['id']}/comments"
    for body in (
        {},
        {"body": ""},
        {"body": "   "},
        {"body": 3},
        {"body": "x" * 3001},
        {"body": "ok\x00"},
        {"body": "ok", "author": "x"},
    ):
        response = await board.client.post(url, json=body, headers=board.agent().headers)
        assert response.status_code == 422, body
    assert (await board.get(idea["id"], author))["comment_count"] == 0
    comment = await board.client.post(url, json={"body": "Correct"}, headers=author.headers)
    team = board.agent("team", roles=[INNOVATION_TEAM])
    hide = f"{url}/{comment.json()['id']}/hide"
    for body in ({}, {"reason": ""}, {"reason": "\x00\x00\x00"}, {"reason": "ok", "x": 1}):
        response = await board.client.post(hide, json=body, headers=team.headers)
        assert response.status_code == 422, body
    listed = await board.client.get(url, headers=board.agent().headers)
    assert [c["body"] for c in listed.json()["items"]] == ["Correct"]
