"""Submitting an idea: what the form gets back, what downstream services receive."""

import asyncio

import asyncpg
import pytest
from intake_support import Board, idea_body, unique

from construisons.db import asyncpg_dsn
from construisons.events import IdeaSubmitted
from construisons.testing import EventSpy
from intake.config import DEFAULT_THEMES, Settings


async def test_agent_submits_an_idea_and_gets_it_back_with_its_location(board: Board) -> None:
    author = board.agent(name="Camille Martin", directorate="DSI")
    body = idea_body(
        expected_benefits="Moins de trajets, des agents plus disponibles.",
        themes=["Conditions de travail", "Transition écologique"],
        beneficiaries="both",
    )
    response = await board.client.post("/ideas", json=body, headers=author.headers)

    assert response.status_code == 201, response.text
    idea = response.json()
    assert response.headers["Location"] == f"/ideas/{idea['id']}"
    assert response.headers["ETag"] == '"1"'
    assert idea["author"]["name"] == "Camille Martin"
    assert idea["directorate"] == "DSI"
    assert idea["status"] == "submitted"
    assert idea["themes"] == ["Conditions de travail", "Transition écologique"]
    assert idea["beneficiaries"] == "both"
    assert idea["editable"] is True
    assert [e["status"] for e in idea["timeline"]] == ["submitted"]
    assert idea["timeline"][0]["label"] == "Idée déposée"
    assert isinstance(idea["similar"], list)

    read = await board.get(idea["id"], board.agent())
    assert read["title"] == body["title"]
    assert read["expected_benefits"] == body["expected_benefits"]


async def test_idea_submitted_carries_what_downstream_services_need(
    board: Board, event_spy: EventSpy
) -> None:
    co_author = unique("coauthor")
    author = board.agent(
        name="Léa Durand",
        email="lea.durand@departement.example",
        directorate="DGA Solidarités",
        manager_sub="manager.bernard",
        manager_email="bernard@departement.example",
    )
    idea = await board.submit(
        author,
        themes=["Solidarités"],
        co_authors=[co_author, co_author, author.sub],
        show_author=False,
        beneficiaries="public",
    )

    event = await event_spy.wait_for(IdeaSubmitted, idea_id=idea["id"])
    payload = event.payload
    assert event.producer == "intake"
    assert str(event.correlation_id) == idea["id"]
    assert payload["author"] == {
        "sub": author.sub,
        "name": "Léa Durand",
        "email": "lea.durand@departement.example",
        "directorate": "DGA Solidarités",
    }
    assert payload["manager"]["sub"] == "manager.bernard"
    assert payload["manager"]["email"] == "bernard@departement.example"
    assert payload["themes"] == ["Solidarités"]
    assert payload["co_authors"] == [co_author]
    assert payload["show_author"] is False
    assert payload["beneficiaries"] == "public"
    assert payload["problem"] == idea_body()["problem"]


async def test_a_theme_outside_the_configured_list_is_refused_in_french(board: Board) -> None:
    author = board.agent()
    response = await board.client.post(
        "/ideas", json=idea_body(themes=["Numérique", "Astrologie"]), headers=author.headers
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "themes.1"
    assert "Thème inconnu" in error["msg"]


async def test_agents_can_read_the_configured_themes(board: Board) -> None:
    response = await board.client.get("/themes", headers=board.agent().headers)
    assert response.status_code == 200
    assert response.json()["themes"] == DEFAULT_THEMES


def test_themes_are_configured_by_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEMES", "Voirie, Collèges ,Culture")
    assert Settings().themes == ["Voirie", "Collèges", "Culture"]
    monkeypatch.setenv("THEMES", '["Voirie", "Archives"]')
    assert Settings().themes == ["Voirie", "Archives"]


async def _my_ideas(board: Board, headers: dict[str, str]) -> list[dict]:
    response = await board.client.get("/ideas", params={"mine": "true"}, headers=headers)
    assert response.status_code == 200
    return response.json()["items"]


async def test_the_same_idempotency_key_returns_the_first_result_and_creates_nothing(
    board: Board,
) -> None:
    author = board.agent()
    headers = {**author.headers, "Idempotency-Key": "form-42"}
    first = await board.client.post("/ideas", json=idea_body(), headers=headers)
    again = await board.client.post("/ideas", json=idea_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert len(await _my_ideas(board, author.headers)) == 1


async def test_concurrent_identical_posts_with_one_key_make_one_idea(
    board: Board, event_spy: EventSpy
) -> None:
    author = board.agent()
    headers = {**author.headers, "Idempotency-Key": unique("double-click")}
    responses = await asyncio.gather(
        *(board.client.post("/ideas", json=idea_body(), headers=headers) for _ in range(8))
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await _my_ideas(board, author.headers)) == 1
    idea_id = responses[0].json()["id"]
    await event_spy.wait_for(IdeaSubmitted, idea_id=idea_id)
    await asyncio.sleep(0.5)
    assert (
        len([e for e in event_spy.of(IdeaSubmitted) if e.payload["author"]["sub"] == author.sub])
        == 1
    )


async def test_an_idempotency_key_older_than_its_time_to_live_makes_a_new_idea(
    board: Board,
) -> None:
    author = board.agent()
    headers = {**author.headers, "Idempotency-Key": "form-tomorrow"}
    first = await board.client.post("/ideas", json=idea_body(), headers=headers)
    # A day goes by: the key's clock is moved back rather than the test waiting for it.
    connection = await asyncpg.connect(asyncpg_dsn(board.testbed.database_url("intake")))
    try:
        await connection.execute(
            "UPDATE idempotency_keys SET created_at = created_at - interval '25 hours'"
            " WHERE agent_sub = $1",
            author.sub,
        )
    finally:
        await connection.close()

    again = await board.client.post("/ideas", json=idea_body(), headers=headers)
    replay = await board.client.post("/ideas", json=idea_body(), headers=headers)

    assert first.status_code == again.status_code == replay.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert replay.json()["id"] == again.json()["id"]
    assert len(await _my_ideas(board, author.headers)) == 2


async def test_the_same_key_from_two_agents_makes_two_ideas(board: Board) -> None:
    key = unique("shared-key")
    one, two = board.agent(), board.agent()
    first = await board.client.post(
        "/ideas", json=idea_body(), headers={**one.headers, "Idempotency-Key": key}
    )
    second = await board.client.post(
        "/ideas", json=idea_body(), headers={**two.headers, "Idempotency-Key": key}
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


async def test_an_unusable_idempotency_key_is_refused(board: Board) -> None:
    author = board.agent()
    response = await board.client.post(
        "/ideas", json=idea_body(), headers={**author.headers, "Idempotency-Key": "x" * 300}
    )
    assert response.status_code == 422
    assert await _my_ideas(board, author.headers) == []


async def test_submission_answers_with_the_closest_existing_ideas(board: Board) -> None:
    word = unique("Composteur").replace(".", "")
    original = await board.submit(board.agent(), title=f"{word} partagé dans les collèges")
    response = await board.client.post(
        "/ideas",
        json=idea_body(title=f"{word} partagés dans nos collèges"),
        headers=board.agent().headers,
    )
    assert response.status_code == 201
    similar = response.json()["similar"]
    assert similar, "the near-duplicate should be proposed"
    assert similar[0]["id"] == original["id"]
    assert 0 < similar[0]["score"] <= 1
    assert response.json()["id"] not in [s["id"] for s in similar]


async def test_the_near_duplicate_comes_first_among_many_recent_ideas_sharing_a_word(
    board: Board,
) -> None:
    word = unique("Saleuse").replace(".", "")
    original = await board.submit(board.agent(), title=f"{word} des routes départementales")
    for _ in range(25):
        await board.submit(board.agent(), title=f"{word} {unique('modèle')}")
    response = await board.client.post(
        "/ideas",
        json=idea_body(title=f"{word} pour les routes départementales"),
        headers=board.agent().headers,
    )
    assert response.status_code == 201
    similar = response.json()["similar"]
    assert [s["id"] for s in similar][:1] == [original["id"]]
    assert len(similar) == 5
    assert similar[0]["score"] > similar[1]["score"]
