"""The shared idea board: filters, French search, sort orders, pagination, similar ideas."""

import asyncio
from typing import Any

from intake_support import Agent, Board, unique

from construisons.auth import INNOVATION_TEAM


async def _board(board: Board, who: Agent, **params: Any) -> dict[str, Any]:
    response = await board.client.get("/ideas", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _titles(board: Board, who: Agent, **params: Any) -> list[str]:
    return [item["title"] for item in (await _board(board, who, **params))["items"]]


async def test_board_filters_by_theme_directorate_and_my_ideas(board: Board) -> None:
    directorate = unique("DIR")
    mine = board.agent(directorate=directorate)
    other = board.agent(directorate=directorate)
    await board.submit(mine, title="Idée A numérique", themes=["Numérique"])
    await board.submit(
        other, title="Idée B solidarité", themes=["Solidarités"], co_authors=[mine.sub]
    )
    await board.submit(other, title="Idée C numérique", themes=["Numérique"])
    reader = board.agent()

    assert await _titles(board, reader, directorate=directorate) == [
        "Idée C numérique",
        "Idée B solidarité",
        "Idée A numérique",
    ]
    assert await _titles(board, reader, directorate=directorate, theme="Numérique") == [
        "Idée C numérique",
        "Idée A numérique",
    ]
    assert await _titles(board, mine, author="me") == ["Idée B solidarité", "Idée A numérique"]
    assert await _titles(board, mine, mine="true") == ["Idée B solidarité", "Idée A numérique"]


async def test_board_filters_by_status(board: Board) -> None:
    author = board.agent(directorate=unique("DIR"))
    kept = await board.submit(author, title="Idée qui reste")
    gone = await board.submit(author, title="Idée retirée")
    withdrawn = await board.client.post(f"/ideas/{gone['id']}/withdraw", headers=author.headers)
    assert withdrawn.status_code == 200

    assert await _titles(board, author, mine="true", status="withdrawn") == ["Idée retirée"]
    assert await _titles(board, author, mine="true", status="submitted") == [kept["title"]]
    both = await _titles(board, author, mine="true", status=["submitted", "withdrawn"])
    assert len(both) == 2
    refused = await board.client.get("/ideas", params={"status": "lost"}, headers=author.headers)
    assert refused.status_code == 422


async def test_french_search_ignores_accents_and_follows_stemming(board: Board) -> None:
    directorate = unique("DIR")
    author = board.agent(directorate=directorate)
    await board.submit(author, title="Des jardins pour les écoles du département")
    await board.submit(author, title="Covoiturage entre les sites")
    await board.submit(
        author,
        title="Cantine locale",
        problem="Les élèves des collèges mangent des produits venus de très loin.",
    )

    for query in ("ecole", "école", "ÉCOLES", "Ecoles"):
        assert await _titles(board, author, directorate=directorate, q=query) == [
            "Des jardins pour les écoles du département"
        ], query
    assert await _titles(board, author, directorate=directorate, q="eleve college") == [
        "Cantine locale"
    ]
    assert await _titles(board, author, directorate=directorate, q="piscine") == []
    # Search syntax an agent may type never breaks the board.
    for odd in ('"jardins', "jardins OR -", "& | ! :*", "'", "\\'", "'); DROP TABLE ideas; --"):
        response = await board.client.get(
            "/ideas", params={"q": odd, "directorate": directorate}, headers=author.headers
        )
        assert response.status_code == 200, odd
    # Quotes are the searched text's own, whatever follows them.
    assert await _titles(board, author, directorate=directorate, q="l'école") == [
        "Des jardins pour les écoles du département"
    ]
    assert await _titles(board, author, directorate=directorate, q="jardins') OR ('1'='1") == [
        "Des jardins pour les écoles du département"
    ]


async def test_board_sorts_by_support_and_by_latest_change(board: Board) -> None:
    directorate = unique("DIR")
    author = board.agent(directorate=directorate)
    first = await board.submit(author, title="Première idée")
    second = await board.submit(author, title="Deuxième idée")
    third = await board.submit(author, title="Troisième idée")
    for _ in range(2):
        supporter = board.agent()
        await board.client.put(f"/ideas/{second['id']}/support", headers=supporter.headers)
    await board.client.put(f"/ideas/{first['id']}/support", headers=board.agent().headers)

    assert await _titles(board, author, directorate=directorate, sort="most_supported") == [
        "Deuxième idée",
        "Première idée",
        "Troisième idée",
    ]
    edited = await board.client.patch(
        f"/ideas/{first['id']}",
        json={"title": "Première idée, revue"},
        headers={**author.headers, "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    changed = await _titles(board, author, directorate=directorate, sort="recently_changed")
    assert changed[0] == "Première idée, revue"
    assert third["title"] in changed


async def test_cursor_pagination_stays_correct_while_ideas_are_added(board: Board) -> None:
    directorate = unique("DIR")
    author = board.agent(directorate=directorate)
    before = [(await board.submit(author, title=f"Idée numéro {n:02d}"))["id"] for n in range(7)]
    seen: list[str] = []
    page = await _board(board, author, directorate=directorate, limit=3)
    seen += [item["id"] for item in page["items"]]
    pages = 1
    while page["next_cursor"]:
        # Ideas keep arriving while the agent scrolls: they belong to the top of the board.
        await asyncio.gather(
            *(board.submit(author, title="Idée arrivée pendant la lecture") for _ in range(2))
        )
        page = await _board(
            board, author, directorate=directorate, limit=3, cursor=page["next_cursor"]
        )
        seen += [item["id"] for item in page["items"]]
        pages += 1

    assert seen == list(reversed(before))
    assert pages == 3


async def test_a_tampered_cursor_is_refused_in_french(board: Board) -> None:
    who = board.agent()
    for cursor in ("garbage", "eyJ4IjoxfQ", "WyJuZXdlc3QiLCBbMSwgMl1d"):
        response = await board.client.get("/ideas", params={"cursor": cursor}, headers=who.headers)
        assert response.status_code == 400, cursor
        assert "Curseur" in response.json()["detail"]
    directorate = unique("DIR")
    author = board.agent(directorate=directorate)
    for n in range(3):
        await board.submit(author, title=f"Idée paginée {n}")
    page = await _board(board, author, directorate=directorate, limit=1)
    other_sort = await board.client.get(
        "/ideas",
        params={"cursor": page["next_cursor"], "sort": "most_supported"},
        headers=author.headers,
    )
    assert other_sort.status_code == 400


async def test_page_size_is_bounded(board: Board) -> None:
    who = board.agent()
    for limit in (0, 101, "many"):
        response = await board.client.get("/ideas", params={"limit": limit}, headers=who.headers)
        assert response.status_code == 422, limit


async def test_similar_ideas_are_ranked_best_first_with_a_score(board: Board) -> None:
    word = unique("Navette").replace(".", "")
    author = board.agent()
    close = await board.submit(author, title=f"{word} électrique entre les sites du département")
    farther = await board.submit(
        author,
        title="Mutualiser les véhicules de service",
        problem=f"Une {word} électrique pourrait relier les sites, mais les véhicules manquent.",
    )
    response = await board.client.get(
        "/ideas/similar",
        params={"text": f"{word} electrique pour les sites"},
        headers=board.agent().headers,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    ids = [item["id"] for item in items]
    assert ids[:2] == [close["id"], farther["id"]]
    assert items[0]["score"] >= items[1]["score"] > 0
    assert items[0]["status"] == "submitted"

    for odd in ("\\ \\\\ 'l''arbre' & | ! :* <-> (", "le la les", "C:\\Temp\\x y&z"):
        answered = await board.client.get(
            "/ideas/similar", params={"text": odd}, headers=author.headers
        )
        assert answered.status_code == 200, (odd, answered.text)

    too_short = await board.client.get(
        "/ideas/similar", params={"text": "a"}, headers=author.headers
    )
    assert too_short.status_code == 422


async def test_hidden_author_is_shown_only_to_the_team_and_the_authors(board: Board) -> None:
    directorate = unique("DIR")
    co_author = board.agent()
    author = board.agent(name="Sami Discret", directorate=directorate)
    idea = await board.submit(author, show_author=False, co_authors=[co_author.sub])
    agent = board.agent()
    team = board.agent("team", roles=[INNOVATION_TEAM])

    seen_by_agent = await board.get(idea["id"], agent)
    assert seen_by_agent["author"] is None
    assert seen_by_agent["co_authors"] == []
    assert "Sami Discret" not in str(seen_by_agent)
    [card] = (await _board(board, agent, directorate=directorate))["items"]
    assert card["author"] is None
    assert "Sami Discret" not in str(card)

    for who in (team, author, co_author):
        assert (await board.get(idea["id"], who))["author"]["name"] == "Sami Discret"
    [team_card] = (await _board(board, team, directorate=directorate))["items"]
    assert team_card["author"]["name"] == "Sami Discret"
