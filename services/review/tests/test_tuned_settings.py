"""Review run with its own settings: custom weighted criteria, a committee of three, and a
fast watch for overdue first contacts."""

import asyncio
from datetime import timedelta

from review_support import Tuned, now

from construisons.events import FirstContactOverdue
from construisons.testing import eventually


async def test_weighted_mean_with_custom_criteria(tuned: Tuned) -> None:
    desk = tuned.desk
    idea_id = await desk.qualified()
    case = await desk.case(idea_id)
    assert [(c["key"], c["axis"], c["weight"]) for c in case["scores"]["criteria"]] == [
        ("strategic_impact", "impact", 2.0),
        ("user_value", "impact", 1.0),
        ("feasibility", "feasibility", 1.0),
        ("cost", "feasibility", 3.0),
    ]
    partial = await desk.score(idea_id, desk.member("committee.paul"), strategic_impact=5)
    assert partial.status_code == 422
    assert "Valeur pour les usagers" in partial.json()["detail"]

    await desk.score(
        idea_id,
        desk.member("committee.paul"),
        strategic_impact=5,
        user_value=2,
        feasibility=4,
        cost=2,
    )
    response = await desk.score(
        idea_id,
        desk.member("committee.anne"),
        strategic_impact=3,
        user_value=4,
        feasibility=1,
        cost=5,
    )
    scores = response.json()["scores"]
    # impact (2·5 + 2 + 2·3 + 4) / 6 = 3.67; feasibility (4 + 3·2 + 1 + 3·5) / 8 = 3.25
    assert scores["axis_means"] == {"impact": 3.67, "feasibility": 3.25}
    assert scores["criterion_means"]["cost"] == 3.5
    assert scores["scored"]["label"] == "2 sur 3"

    matrix = (await desk.review.get("/matrix", headers=desk.team)).json()
    [point] = [p for p in matrix["points"] if p["idea_id"] == str(idea_id)]
    assert (point["impact"], point["feasibility"]) == (3.67, 3.25)


async def test_overdue_first_contact_is_announced_once(tuned: Tuned) -> None:
    desk, spy = tuned.desk, tuned.spy
    late = await desk.submit(occurred_at=now() - timedelta(days=20))
    fresh = await desk.submit()

    overdue = await spy.wait_for(FirstContactOverdue, idea_id=late)
    case = await desk.case(late)
    assert overdue.payload["due_on"] == case["due_on"]
    assert overdue.correlation_id is not None
    assert overdue.producer == "review"

    async def flagged_in_history() -> bool:
        case = await desk.case(late)
        return "first_contact_overdue" in [h["action"] for h in case["history"]]

    assert await eventually(flagged_in_history)
    # Several scans later, still exactly one event for that case and none for the fresh one.
    await asyncio.sleep(1.2)
    assert len(spy.of(FirstContactOverdue, idea_id=late)) == 1
    assert spy.of(FirstContactOverdue, idea_id=fresh) == []

    # In this world of its own, the late case is the only one overdue.
    metrics = (await desk.review.get("/metrics")).text
    assert "construisons_review_first_contacts_overdue 1.0" in metrics
    assert 'construisons_review_cases{status="submitted"}' in metrics
