"""Statuses on the board come from review and incubation events, whatever their order."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from intake_support import Agent, Board

from construisons.events import (
    IdeaApproved,
    IdeaClosedAsDuplicate,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaRedirected,
    IdeaSentBack,
    IncubationStarted,
    Person,
    ProjectAbandoned,
    ProjectCompleted,
    envelope,
)
from construisons.testing import eventually, publish_envelope

AUTHOR = Person(sub="agent.events", name="Agent Événements")
TEAM = Person(sub="team.lea", name="Léa Équipe")


def _at(idea: dict[str, Any], minutes: int) -> datetime:
    return datetime.fromisoformat(idea["created_at"]) + timedelta(minutes=minutes)


def _qualification_started(idea_id: uuid.UUID) -> IdeaQualificationStarted:
    return IdeaQualificationStarted(
        idea_id=idea_id, title="t", author=AUTHOR, contacted_by=TEAM, channel="téléphone"
    )


def _qualified(idea_id: uuid.UUID) -> IdeaQualified:
    return IdeaQualified(idea_id=idea_id, title="t", author=AUTHOR)


def _approved(idea_id: uuid.UUID, track: str = "study") -> IdeaApproved:
    return IdeaApproved(
        idea_id=idea_id,
        title="t",
        problem="p",
        solution="s",
        author=AUTHOR,
        track=track,  # type: ignore[arg-type]
        reason="Impact fort.",
    )


def _incubation(idea_id: uuid.UUID, track: str = "study") -> IncubationStarted:
    return IncubationStarted(
        project_id=uuid.uuid4(),
        idea_id=idea_id,
        title="t",
        intrapreneur=AUTHOR,
        track=track,  # type: ignore[arg-type]
        phase="feasibility_study" if track == "study" else "experimentation",
    )


async def _timeline_of(board: Board, idea_id: str, who: Agent, *statuses: str) -> dict[str, Any]:
    """The idea once its timeline holds each of `statuses` (as many times as listed)."""

    async def read() -> dict[str, Any] | None:
        idea = await board.get(idea_id, who)
        shown = [e["status"] for e in idea["timeline"]]
        return idea if all(shown.count(s) >= statuses.count(s) for s in statuses) else None

    return await eventually(read)


def _published(idea: dict[str, Any]) -> list[dict[str, Any]]:
    """The submission and the entries this test published (its clock runs a minute or more
    ahead): when the whole suite runs, the real incubation service also answers IdeaApproved
    with an IncubationStarted of its own, stamped with the present time."""
    created = datetime.fromisoformat(idea["created_at"])
    return [
        e
        for e in idea["timeline"]
        if e["status"] == "submitted"
        or datetime.fromisoformat(e["occurred_at"]) >= created + timedelta(seconds=55)
    ]


async def test_the_whole_journey_appears_in_the_timeline_with_french_labels(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    idea_id = uuid.UUID(idea["id"])
    project = uuid.uuid4()
    journey = [
        (_qualification_started(idea_id), "review"),
        (_qualified(idea_id), "review"),
        (_approved(idea_id, "experiment"), "review"),
        (_incubation(idea_id, "experiment"), "incubation"),
        (
            ProjectCompleted(
                project_id=project,
                idea_id=idea_id,
                title="t",
                intrapreneur=AUTHOR,
                implemented="Des relais-colis sur 12 sites.",
                beneficiaries="Agents",
            ),
            "incubation",
        ),
    ]
    for minutes, (event, producer) in enumerate(journey, start=1):
        await board.publish(event, occurred_at=_at(idea, minutes), producer=producer)

    shown = await _timeline_of(board, idea["id"], author, "implemented")

    assert shown["status"] == "implemented"
    assert shown["status_label"] == "Mise en œuvre"
    assert shown["track"] == "experiment"
    assert [(e["status"], e["label"]) for e in _published(shown)] == [
        ("submitted", "Idée déposée"),
        ("in_qualification", "En cours de qualification avec l'équipe innovation"),
        ("qualified", "Qualifiée, prête pour le comité"),
        ("approved", "Retenue par le comité (parcours : expérimentation)"),
        ("in_incubation", "En incubation"),
        ("implemented", "Mise en œuvre"),
    ]
    assert shown["editable"] is False


async def test_an_older_event_arriving_late_never_overwrites_a_newer_status(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    idea_id = uuid.UUID(idea["id"])
    # The decision arrives first, the steps before it afterwards.
    await board.publish(_approved(idea_id), occurred_at=_at(idea, 30))
    await board.publish(_qualified(idea_id), occurred_at=_at(idea, 20))
    await board.publish(_qualification_started(idea_id), occurred_at=_at(idea, 10))

    shown = await _timeline_of(board, idea["id"], author, "in_qualification", "qualified")

    assert shown["status"] == "approved"
    assert [e["status"] for e in _published(shown)] == [
        "submitted",
        "in_qualification",
        "qualified",
        "approved",
    ]
    stamps = [e["occurred_at"] for e in shown["timeline"]]
    assert stamps == sorted(stamps, key=datetime.fromisoformat)
    directorate_card = await board.client.get(
        "/ideas", params={"mine": "true", "status": "approved"}, headers=author.headers
    )
    assert [c["id"] for c in directorate_card.json()["items"]] == [idea["id"]]


async def test_incubation_news_before_the_decision_event_keeps_the_later_status(
    board: Board,
) -> None:
    author = board.agent()
    idea = await board.submit(author)
    idea_id = uuid.UUID(idea["id"])
    await board.publish(_incubation(idea_id), occurred_at=_at(idea, 40), producer="incubation")
    await board.publish(_approved(idea_id), occurred_at=_at(idea, 30))

    shown = await _timeline_of(board, idea["id"], author, "approved", "in_incubation")

    assert shown["status"] == "in_incubation"
    assert shown["track"] == "study"
    assert [e["status"] for e in _published(shown)] == ["submitted", "approved", "in_incubation"]


async def test_a_late_review_event_does_not_revive_a_withdrawn_idea(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    withdrawn = await board.client.post(f"/ideas/{idea['id']}/withdraw", headers=author.headers)
    assert withdrawn.status_code == 200
    await board.publish(
        _qualification_started(uuid.UUID(idea["id"])),
        occurred_at=datetime.now(UTC) + timedelta(seconds=5),
    )

    shown = await _timeline_of(board, idea["id"], author, "withdrawn", "in_qualification")

    assert shown["status"] == "withdrawn"
    assert shown["editable"] is False


async def test_redirection_names_the_directorates(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    await board.publish(
        IdeaRedirected(
            idea_id=uuid.UUID(idea["id"]),
            title="t",
            author=AUTHOR,
            directorates=["DGA Routes", "Direction des collèges"],
            reason="Relève des directions opérationnelles.",
        ),
        occurred_at=_at(idea, 5),
    )

    shown = await _timeline_of(board, idea["id"], author, "redirected")

    assert shown["status"] == "redirected"
    assert shown["redirected_to"] == ["DGA Routes", "Direction des collèges"]
    last = shown["timeline"][-1]
    assert last["label"] == "Réorientée vers : DGA Routes, Direction des collèges"
    assert last["directorates"] == ["DGA Routes", "Direction des collèges"]
    assert shown["status_label"] == last["label"]


async def test_sent_back_duplicate_and_abandoned_are_shown(board: Board) -> None:
    author = board.agent()
    first = await board.submit(author)
    second = await board.submit(author)
    third = await board.submit(author)
    await board.publish(
        IdeaSentBack(
            idea_id=uuid.UUID(first["id"]), title="t", author=AUTHOR, reason="Précisez le coût."
        ),
        occurred_at=_at(first, 5),
    )
    await board.publish(
        IdeaClosedAsDuplicate(
            idea_id=uuid.UUID(second["id"]),
            title="t",
            author=AUTHOR,
            duplicate_of=uuid.UUID(first["id"]),
        ),
        occurred_at=_at(second, 5),
    )
    await board.publish(_approved(uuid.UUID(third["id"])), occurred_at=_at(third, 5))
    await board.publish(
        ProjectAbandoned(
            project_id=uuid.uuid4(),
            idea_id=uuid.UUID(third["id"]),
            title="t",
            intrapreneur=AUTHOR,
            reason="Pas de budget.",
        ),
        occurred_at=_at(third, 50),
        producer="incubation",
    )

    sent_back = await _timeline_of(board, first["id"], author, "sent_back")
    assert sent_back["status"] == "sent_back"
    assert sent_back["editable"] is True
    duplicate = await _timeline_of(board, second["id"], author, "closed_as_duplicate")
    assert duplicate["status"] == "closed_as_duplicate"
    assert duplicate["timeline"][-1]["duplicate_of"] == first["id"]
    assert duplicate["editable"] is False
    abandoned = await _timeline_of(board, third["id"], author, "abandoned")
    assert abandoned["status"] == "abandoned"
    assert abandoned["timeline"][-1]["reason"] == "Pas de budget."


async def test_a_redelivered_event_adds_nothing(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    wrapped = envelope(
        _qualified(uuid.UUID(idea["id"])), producer="review", correlation_id=uuid.UUID(idea["id"])
    ).model_copy(update={"occurred_at": _at(idea, 10)})
    await publish_envelope(board.testbed, wrapped)
    await publish_envelope(board.testbed, wrapped)
    await board.publish(_approved(uuid.UUID(idea["id"])), occurred_at=_at(idea, 60))

    shown = await _timeline_of(board, idea["id"], author, "approved")

    assert [e["status"] for e in _published(shown)] == ["submitted", "qualified", "approved"]


async def test_events_about_unknown_ideas_are_ignored(board: Board) -> None:
    stranger = uuid.uuid4()
    await board.publish(_qualified(stranger))
    author = board.agent()
    idea = await board.submit(author)
    await board.publish(_qualified(uuid.UUID(idea["id"])))
    shown = await _timeline_of(board, idea["id"], author, "qualified")
    assert shown["status"] == "qualified"
    missing = await board.client.get(f"/ideas/{stranger}", headers=author.headers)
    assert missing.status_code == 404
