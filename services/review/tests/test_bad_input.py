"""Bad input gets a French 4xx, never a 500, and changes nothing."""

from review_support import Desk


async def test_filters_refuse_control_characters(desk: Desk) -> None:
    for path, params in (
        ("/cases", {"assignee": "team\x00lea"}),
        ("/cases", {"directorate": "DSI\n"}),
        ("/stats", {"theme": "\x01"}),
        ("/cases", {"overdue": "peut-être"}),
        ("/cases", {"limit": "0"}),
    ):
        response = await desk.review.get(path, params=params, headers=desk.team)
        assert response.status_code == 422, (path, params, response.text)


async def test_malformed_bodies_are_refused_in_french(desk: Desk) -> None:
    idea_id = await desk.submit()
    not_json = await desk.review.post(
        f"/cases/{idea_id}/contacts",
        content=b"{pas du json",
        headers={**desk.team, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    assert not_json.json()["detail"] == "Le corps de la requête n'est pas un JSON valide."

    naive = await desk.review.post(
        f"/cases/{idea_id}/contacts",
        json={"channel": "phone", "summary": "x", "contacted_at": "2026-12-01T10:00:00"},
        headers=desk.team,
    )
    assert naive.status_code == 422
    assert "fuseau horaire" in naive.json()["detail"][0]["msg"]

    control = await desk.review.post(
        f"/cases/{idea_id}/contacts",
        json={"channel": "phone", "summary": "bip\x07"},
        headers=desk.team,
    )
    assert control.status_code == 422
    pigeon = await desk.review.post(
        f"/cases/{idea_id}/contacts",
        json={"channel": "pigeon", "summary": "x"},
        headers=desk.team,
    )
    assert pigeon.status_code == 422
    assert "valeurs possibles" in pigeon.json()["detail"][0]["msg"]

    too_big = await desk.review.post(
        f"/cases/{idea_id}/contacts",
        json={"channel": "phone", "summary": "x" * 100_000},
        headers=desk.team,
    )
    assert too_big.status_code == 413

    case = await desk.case(idea_id)
    assert case["contacts"] == [] and case["status"] == "submitted"


async def test_scores_must_be_whole_numbers(desk: Desk) -> None:
    idea_id = await desk.qualified()
    response = await desk.review.put(
        f"/cases/{idea_id}/scores",
        json={"scores": {"strategic_impact": 3.5, "feasibility": 2}},
        headers=desk.member(),
    )
    assert response.status_code == 422
    assert (await desk.case(idea_id))["scores"]["members"] == []


async def test_unknown_fields_are_refused_in_french(desk: Desk) -> None:
    response = await desk.review.post(
        "/sessions",
        json={"date": "2027-01-14", "title": "Comité", "lieu": "Salle 3"},
        headers=desk.team,
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "lieu"
    assert error["msg"] == "Ce champ n'est pas reconnu."
