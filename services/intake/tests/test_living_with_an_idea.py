"""Editing with optimistic concurrency, withdrawing, supporting and commenting."""

import asyncio
import uuid

from intake_support import Agent, Board

from construisons.auth import COMMITTEE, INNOVATION_TEAM
from construisons.events import IdeaApproved, IdeaRedirected, IdeaUpdated, IdeaWithdrawn, Person
from construisons.testing import EventSpy, eventually


def _if_match(who: Agent, etag: str) -> dict[str, str]:
    return {**who.headers, "If-Match": etag}


async def test_author_edits_with_the_etag_and_idea_updated_is_emitted(
    board: Board, event_spy: EventSpy
) -> None:
    author = board.agent()
    idea = await board.submit(author)
    read = await board.client.get(f"/ideas/{idea['id']}", headers=author.headers)
    etag = read.headers["ETag"]

    response = await board.client.patch(
        f"/ideas/{idea['id']}",
        json={"title": "Relais-colis dans tous nos sites", "themes": ["Numérique"]},
        headers=_if_match(author, etag),
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    edited = response.json()
    assert edited["title"] == "Relais-colis dans tous nos sites"
    assert edited["themes"] == ["Numérique"]
    assert edited["problem"] == idea["problem"]
    assert edited["revision"] == 2
    event = await event_spy.wait_for(IdeaUpdated, idea_id=idea["id"], revision=2)
    assert event.payload["title"] == "Relais-colis dans tous nos sites"
    assert event.payload["author"]["sub"] == author.sub
    assert event.payload["solution"] == idea["solution"]


async def test_a_stale_if_match_gets_412_and_loses_nothing(board: Board) -> None:
    author = board.agent()
    co_author = board.agent()
    idea = await board.submit(author, co_authors=[co_author.sub])
    url = f"/ideas/{idea['id']}"
    first = await board.client.patch(
        url, json={"title": "Version du co-auteur"}, headers=_if_match(co_author, '"1"')
    )
    assert first.status_code == 200

    stale = await board.client.patch(
        url, json={"title": "Version de l'auteur"}, headers=_if_match(author, '"1"')
    )

    assert stale.status_code == 412
    assert "modifiée depuis votre dernière lecture" in stale.json()["detail"]
    assert (await board.get(idea["id"], author))["title"] == "Version du co-auteur"


async def test_an_edit_without_if_match_is_refused(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    response = await board.client.patch(
        f"/ideas/{idea['id']}", json={"title": "Sans précondition"}, headers=author.headers
    )
    assert response.status_code == 428
    assert (await board.get(idea["id"], author))["revision"] == 1


async def test_only_authors_may_edit(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    for who in (
        board.agent(),
        board.agent("team", roles=[INNOVATION_TEAM]),
        board.agent("committee", roles=[COMMITTEE]),
    ):
        response = await board.client.patch(
            f"/ideas/{idea['id']}", json={"title": "Pas mon idée"}, headers=_if_match(who, '"1"')
        )
        assert response.status_code == 403
    assert (await board.get(idea["id"], author))["title"] == idea["title"]


async def test_required_fields_cannot_be_emptied_by_an_edit(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    for body in ({"title": None}, {"problem": None}, {"show_author": None}, {"status": "approved"}):
        response = await board.client.patch(
            f"/ideas/{idea['id']}", json=body, headers=_if_match(author, '"1"')
        )
        assert response.status_code == 422, body
    assert (await board.get(idea["id"], author))["revision"] == 1


async def _decided(board: Board, idea: dict, author: Agent, event: object) -> None:
    await board.publish(event)  # type: ignore[arg-type]

    async def decided() -> bool:
        return (await board.get(idea["id"], author))["editable"] is False

    await eventually(decided)


async def test_after_the_committee_decides_edits_and_withdrawal_get_409(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    person = Person(sub=author.sub, name="Agent")
    await _decided(
        board,
        idea,
        author,
        IdeaApproved(
            idea_id=uuid.UUID(idea["id"]),
            title=idea["title"],
            problem=idea["problem"],
            solution=idea["solution"],
            author=person,
            track="experiment",
            reason="Impact fort, coût faible.",
        ),
    )
    edit = await board.client.patch(
        f"/ideas/{idea['id']}", json={"title": "Trop tard"}, headers=_if_match(author, '"1"')
    )
    assert edit.status_code == 409
    assert "comité" in edit.json()["detail"]
    withdraw = await board.client.post(f"/ideas/{idea['id']}/withdraw", headers=author.headers)
    assert withdraw.status_code == 409

    redirected = await board.submit(author)
    await _decided(
        board,
        redirected,
        author,
        IdeaRedirected(
            idea_id=uuid.UUID(redirected["id"]),
            title=redirected["title"],
            author=person,
            directorates=["DGA Routes"],
            reason="Relève de la voirie.",
        ),
    )
    edit = await board.client.patch(
        f"/ideas/{redirected['id']}", json={"title": "Trop tard"}, headers=_if_match(author, '"1"')
    )
    assert edit.status_code == 409


async def test_author_withdraws_before_the_decision(board: Board, event_spy: EventSpy) -> None:
    author = board.agent()
    co_author = board.agent()
    idea = await board.submit(author, co_authors=[co_author.sub])
    url = f"/ideas/{idea['id']}/withdraw"

    refused = await board.client.post(url, headers=co_author.headers)
    assert refused.status_code == 403
    response = await board.client.post(
        url, json={"reason": "Une solution existe déjà."}, headers=author.headers
    )

    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["timeline"][-1]["label"] == "Retirée par son auteur"
    assert withdrawn["timeline"][-1]["reason"] == "Une solution existe déjà."
    event = await event_spy.wait_for(IdeaWithdrawn, idea_id=idea["id"])
    assert event.payload["reason"] == "Une solution existe déjà."
    assert event.payload["co_authors"] == [co_author.sub]
    again = await board.client.post(url, headers=author.headers)
    assert again.status_code == 409
    edit = await board.client.patch(
        f"/ideas/{idea['id']}", json={"title": "Après retrait"}, headers=_if_match(author, '"1"')
    )
    assert edit.status_code == 409


async def test_an_agent_supports_an_idea_once_and_may_take_it_back(board: Board) -> None:
    author = board.agent()
    supporter = board.agent()
    idea = await board.submit(author)
    url = f"/ideas/{idea['id']}/support"

    first = await board.client.put(url, headers=supporter.headers)
    second = await board.client.put(url, headers=supporter.headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == {"idea_id": idea["id"], "supported": True, "support_count": 1}
    seen = await board.get(idea["id"], supporter)
    assert seen["support_count"] == 1
    assert seen["supported_by_me"] is True
    assert (await board.get(idea["id"], author))["supported_by_me"] is False

    taken_back = await board.client.delete(url, headers=supporter.headers)
    assert taken_back.json()["support_count"] == 0
    again = await board.client.delete(url, headers=supporter.headers)
    assert again.json()["support_count"] == 0


async def test_authors_cannot_support_their_own_idea(board: Board) -> None:
    author = board.agent()
    co_author = board.agent()
    idea = await board.submit(author, co_authors=[co_author.sub])
    for who in (author, co_author):
        response = await board.client.put(f"/ideas/{idea['id']}/support", headers=who.headers)
        assert response.status_code == 403
        assert "propre idée" in response.json()["detail"]
    assert (await board.get(idea["id"], author))["support_count"] == 0


async def test_supporting_an_unknown_idea_is_404(board: Board) -> None:
    response = await board.client.put(
        f"/ideas/{uuid.uuid4()}/support", headers=board.agent().headers
    )
    assert response.status_code == 404


async def test_agents_comment_and_the_team_hides_a_comment_with_a_reason(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    url = f"/ideas/{idea['id']}/comments"
    polite = await board.client.post(
        url, json={"body": "Bonne idée, testée chez nous."}, headers=board.agent().headers
    )
    rude = await board.client.post(
        url, json={"body": "Propos déplacés"}, headers=board.agent().headers
    )
    assert polite.status_code == rude.status_code == 201
    assert (await board.get(idea["id"], author))["comment_count"] == 2

    agent = board.agent()
    refused = await board.client.post(
        f"{url}/{rude.json()['id']}/hide",
        json={"reason": "Propos irrespectueux"},
        headers=agent.headers,
    )
    assert refused.status_code == 403
    committee = board.agent("committee", roles=[COMMITTEE])
    refused = await board.client.post(
        f"{url}/{rude.json()['id']}/hide",
        json={"reason": "Propos irrespectueux"},
        headers=committee.headers,
    )
    assert refused.status_code == 403

    team = board.agent("team", roles=[INNOVATION_TEAM], name="Léa Équipe")
    hidden = await board.client.post(
        f"{url}/{rude.json()['id']}/hide",
        json={"reason": "Propos irrespectueux"},
        headers=team.headers,
    )
    assert hidden.status_code == 200, hidden.text
    again = await board.client.post(
        f"{url}/{rude.json()['id']}/hide", json={"reason": "Encore"}, headers=team.headers
    )
    assert again.status_code == 409

    for_agents = (await board.client.get(url, headers=agent.headers)).json()["items"]
    assert [c["body"] for c in for_agents] == ["Bonne idée, testée chez nous."]
    assert (await board.get(idea["id"], author))["comment_count"] == 1
    for_team = (await board.client.get(url, headers=team.headers)).json()["items"]
    assert [c["hidden"] for c in for_team] == [False, True]
    assert for_team[1]["hidden_reason"] == "Propos irrespectueux"
    assert for_team[1]["hidden_by"]["name"] == "Léa Équipe"


async def test_comments_page_through_with_a_cursor(board: Board) -> None:
    idea = await board.submit(board.agent())
    url = f"/ideas/{idea['id']}/comments"
    for n in range(5):
        await board.client.post(
            url, json={"body": f"Commentaire {n}"}, headers=board.agent().headers
        )
    reader = board.agent()
    bodies: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await board.client.get(url, params=params, headers=reader.headers)).json()
        bodies += [c["body"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert bodies == [f"Commentaire {n}" for n in range(5)]


async def test_commenting_an_unknown_idea_is_404(board: Board) -> None:
    who = board.agent()
    url = f"/ideas/{uuid.uuid4()}/comments"
    assert (
        await board.client.post(url, json={"body": "Bonjour"}, headers=who.headers)
    ).status_code == 404
    assert (await board.client.get(url, headers=who.headers)).status_code == 404


async def test_two_simultaneous_edits_from_the_same_version_keep_one_and_refuse_the_other(
    board: Board,
) -> None:
    author = board.agent()
    co_author = board.agent()
    idea = await board.submit(author, co_authors=[co_author.sub])
    url = f"/ideas/{idea['id']}"
    first, second = await asyncio.gather(
        board.client.patch(
            url, json={"title": "Version A de l'idée"}, headers=_if_match(author, '"1"')
        ),
        board.client.patch(
            url, json={"title": "Version B de l'idée"}, headers=_if_match(co_author, '"1"')
        ),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    shown = await board.get(idea["id"], author)
    assert shown["revision"] == 2
    assert shown["title"] == winner.json()["title"]


async def test_simultaneous_supports_from_one_agent_count_once(board: Board) -> None:
    idea = await board.submit(board.agent())
    supporter = board.agent()
    responses = await asyncio.gather(
        *(
            board.client.put(f"/ideas/{idea['id']}/support", headers=supporter.headers)
            for _ in range(6)
        )
    )
    assert {r.status_code for r in responses} == {200}
    assert (await board.get(idea["id"], supporter))["support_count"] == 1
