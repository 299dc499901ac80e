"""An idea posted to intake becomes a case in review and a notification in the author's inbox."""

import httpx

from construisons.auth import INNOVATION_TEAM
from construisons.testing import TestBed, eventually

IDEA = {
    "title": "Relais-colis dans nos implantations",
    "problem": "Les agents perdent du temps à récupérer leurs colis hors des heures de service.",
    "solution": "Utiliser nos sites comme points relais pour les colis des agents et des usagers.",
}


async def test_posted_idea_reaches_review_and_the_authors_inbox(
    testbed: TestBed,
    intake: httpx.AsyncClient,
    review: httpx.AsyncClient,
    notifications: httpx.AsyncClient,
) -> None:
    author = testbed.auth("agent.skeleton", name="Camille Skeleton")
    posted = await intake.post("/ideas", json=IDEA, headers=author)
    assert posted.status_code == 201, posted.text
    idea_id = posted.json()["id"]
    assert posted.headers["Location"] == f"/ideas/{idea_id}"

    team = testbed.auth("team.lea", roles=[INNOVATION_TEAM])

    async def case() -> dict | None:
        response = await review.get(f"/cases/{idea_id}", headers=team)
        return response.json() if response.status_code == 200 else None

    found = await eventually(case)
    assert found["title"] == IDEA["title"]
    assert found["author"]["name"] == "Camille Skeleton"

    async def inbox() -> list | None:
        response = await notifications.get("/me/notifications", headers=author)
        return [n for n in response.json()["items"] if n["link"] == f"/ideas/{idea_id}"]

    [notification] = await eventually(inbox)
    assert "Relais-colis" in notification["title"]
