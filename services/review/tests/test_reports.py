"""What the directorate sees: the matrix (JSON and SVG), the statistics and the CSV file."""

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from review_support import Desk, now

SVG = "{http://www.w3.org/2000/svg}"


async def test_matrix_svg_is_valid_svg_with_one_point_per_scored_idea(desk: Desk) -> None:
    hostile = "Tri <sélectif> & \"propre\" 'vraiment' ]]>"
    top = await desk.qualified(title=hostile)
    low = await desk.qualified(title="Idée peu faisable")
    unscored = await desk.qualified(title="Idée pas encore notée")
    member = desk.member()
    await desk.score(top, member, strategic_impact=5, feasibility=5)
    await desk.score(low, member, strategic_impact=2, feasibility=1)

    matrix = (await desk.review.get("/matrix", headers=member)).json()
    by_id = {p["idea_id"]: p for p in matrix["points"]}
    assert str(unscored) not in by_id
    assert by_id[str(top)]["quadrant"] == "quick_wins"
    assert by_id[str(top)]["quadrant_label"] == "Fort impact, faisable"
    assert by_id[str(low)]["quadrant"] == "reconsider"
    assert {q["label"] for q in matrix["quadrants"]} == {
        "Fort impact, faisable",
        "Fort impact, difficile",
        "Impact modéré, faisable",
        "Impact modéré, difficile",
    }

    response = await desk.review.get("/matrix.svg", headers=member)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    points = root.findall(f".//{SVG}g[@class='idea']")
    assert len(points) == len(matrix["points"])
    assert all(len(p.findall(f"{SVG}circle")) == 1 for p in points)
    drawn = {p.get("data-idea-id"): p for p in points}
    assert set(drawn) == set(by_id)

    top_circle = drawn[str(top)].find(f"{SVG}circle")
    assert top_circle is not None
    assert top_circle.findtext(f"{SVG}title", "").startswith(hostile)
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    # High impact and feasibility: upper right.
    assert float(top_circle.get("cx", 0)) > width / 2
    assert float(top_circle.get("cy", 0)) < height / 2
    low_circle = drawn[str(low)].find(f"{SVG}circle")
    assert low_circle is not None
    assert float(low_circle.get("cx", 0)) < width / 2
    assert float(low_circle.get("cy", 0)) > height / 2

    labels = [t.text or "" for t in root.findall(f".//{SVG}text[@class='quadrant']")]
    assert len(labels) == 4
    assert any(label.startswith("Fort impact, faisable") for label in labels)


async def test_statistics_on_a_known_data_set(desk: Desk) -> None:
    directorate = f"DIR-{uuid.uuid4().hex[:8]}"
    theme = f"thème-{uuid.uuid4().hex[:8]}"

    async def submitted(days_ago: float, themes: list[str]) -> tuple[uuid.UUID, datetime]:
        occurred_at = now() - timedelta(days=days_ago)
        idea_id = await desk.submit(occurred_at=occurred_at, directorate=directorate, themes=themes)
        return idea_id, occurred_at

    approved, approved_at = await submitted(10, [theme])
    redirected, redirected_at = await submitted(20, [theme, "autre"])
    late, late_at = await submitted(30, [])
    await submitted(30, [])  # never contacted: measured, and late
    await submitted(0, [])  # not due yet: not measured
    await desk.contact(approved, contacted_at=approved_at + timedelta(days=1))
    await desk.contact(redirected, contacted_at=redirected_at + timedelta(days=3))
    await desk.contact(late, contacted_at=late_at + timedelta(days=15))
    for idea_id in (approved, redirected):
        assert (await desk.qualify(idea_id)).status_code == 200
    await desk.decide(approved, "experiment")
    await desk.decide(redirected, "redirect", directorates=["DRH"])

    response = await desk.review.get(
        "/stats", params={"directorate": directorate}, headers=desk.member()
    )
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["funnel"] == {
        "submitted": 5,
        "contacted": 3,
        "qualified": 2,
        "decided": {"experiment": 1, "study": 0, "redirect": 1},
        "sent_back": 0,
        "closed_as_duplicate": 0,
        "withdrawn": 0,
    }
    to_contact = stats["delays"]["submission_to_first_contact"]
    assert to_contact == {"count": 3, "median_days": 3.0, "p90_days": 12.6}
    to_decision = stats["delays"]["submission_to_decision"]
    assert to_decision["count"] == 2
    assert to_decision["median_days"] == pytest.approx(15.0, abs=0.02)
    assert to_decision["p90_days"] == pytest.approx(19.0, abs=0.02)
    assert stats["contact_on_time"] == {"measured": 4, "on_time": 2, "share": 0.5}
    assert list(stats["by_directorate"]) == [directorate]
    assert stats["by_theme"][theme]["funnel"]["submitted"] == 2
    assert stats["by_theme"][theme]["contact_on_time"]["share"] == 1.0
    assert stats["by_theme"]["Sans thème"]["funnel"]["submitted"] == 3

    by_theme = await desk.review.get("/stats", params={"theme": theme}, headers=desk.team)
    assert by_theme.json()["funnel"]["submitted"] == 2


async def test_cases_csv_has_scores_and_cannot_run_formulas(desk: Desk) -> None:
    idea_id = await desk.qualified(title='=HYPERLINK("http://evil.example";"clic")')
    await desk.score(idea_id, desk.member("committee.paul"), strategic_impact=4, feasibility=3)
    await desk.score(idea_id, desk.member("committee.anne"), strategic_impact=5, feasibility=2)

    response = await desk.review.get("/cases.csv", headers=desk.team)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    [row] = [r for r in rows if r["idea_id"] == str(idea_id)]
    assert row["titre"] == '\'=HYPERLINK("http://evil.example";"clic")'
    assert row["statut"] == "qualifiée, transmise au comité"
    assert row["impact (moyenne pondérée)"] == "4,50"
    assert row["faisabilité (moyenne pondérée)"] == "2,50"
    assert row["membres ayant noté"] == "2 sur 5"
    assert row["Impact stratégique (moyenne)"] == "4,50"
    assert row["direction"] == "DSI"
