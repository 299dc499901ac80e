"""Each event reaches exactly the right people, on the right channels, once.

Every event of the contracts is published on the real broker as its producer would; the
test then reads each concerned person's intranet inbox, the delivery rows and the mails
the real (test) SMTP server received.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from construisons import events as ev
from construisons.events import Person


@dataclass
class Case:
    """One event and who must hear of it: subs in the inbox, addresses by email."""

    event: ev.Event
    inbox: set[str]
    email: set[str]
    bystanders: set[str] = field(default_factory=set)


def _idea(h: Any) -> dict[str, Any]:
    author, co_author = h.person("author"), h.person("coauthor", email=False)
    return {
        "idea_id": uuid.uuid4(),
        "title": "Covoiturage entre agents",
        "author": author,
        "co_authors": [co_author.sub],
    }


def submitted(h: Any) -> Case:
    base, manager = _idea(h), h.person("manager")
    event = ev.IdeaSubmitted(problem="p", solution="s", manager=manager, **base)
    author, [co_author] = base["author"], base["co_authors"]
    return Case(event, {author.sub, co_author}, {author.email, h.team_mailbox}, {manager.sub})


def updated(h: Any) -> Case:
    base, manager = _idea(h), h.person("manager")
    event = ev.IdeaUpdated(revision=2, problem="p", solution="s", manager=manager, **base)
    # The author made the change: only the co-authors, on the intranet, are told.
    return Case(event, set(base["co_authors"]), set(), {base["author"].sub, manager.sub})


def withdrawn(h: Any) -> Case:
    base = _idea(h)
    event = ev.IdeaWithdrawn(reason="Je change de service.", **base)
    return Case(
        event,
        {base["author"].sub, *base["co_authors"]},
        {base["author"].email, h.team_mailbox},
    )


def qualification_started(h: Any) -> Case:
    base, coach = _idea(h), h.person("team")
    event = ev.IdeaQualificationStarted(contacted_by=coach, channel="téléphone", **base)
    return Case(
        event, {base["author"].sub, *base["co_authors"]}, {base["author"].email}, {coach.sub}
    )


def qualified(h: Any) -> Case:
    base = _idea(h)
    event = ev.IdeaQualified(summary="Prêt.", directorates=["DSI"], **base)
    return Case(
        event,
        {base["author"].sub, *base["co_authors"], h.committee_sub},
        {base["author"].email, *h.committee_emails},
    )


def sent_back(h: Any) -> Case:
    base = _idea(h)
    event = ev.IdeaSentBack(reason="Préciser le public visé.", **base)
    return Case(event, {base["author"].sub, *base["co_authors"]}, {base["author"].email})


def closed_as_duplicate(h: Any) -> Case:
    base = _idea(h)
    event = ev.IdeaClosedAsDuplicate(duplicate_of=uuid.uuid4(), **base)
    return Case(event, {base["author"].sub, *base["co_authors"]}, {base["author"].email})


def first_contact_overdue(h: Any) -> Case:
    author = h.person("author")
    event = ev.FirstContactOverdue(
        idea_id=uuid.uuid4(), title="Tiers-lieux", author=author, due_on=date(2026, 12, 1)
    )
    return Case(event, set(), {h.team_mailbox}, {author.sub})


def case_scheduled(h: Any) -> Case:
    event = ev.CaseScheduled(
        idea_id=uuid.uuid4(),
        title="Tiers-lieux",
        session_id=uuid.uuid4(),
        session_title="Comité de décembre",
        session_date=date(2026, 12, 17),
    )
    return Case(event, {h.committee_sub}, set(h.committee_emails))


def approved(h: Any) -> Case:
    base, manager = _idea(h), h.person("manager")
    event = ev.IdeaApproved(
        problem="p", solution="s", manager=manager, track="study", reason="Fort impact.", **base
    )
    return Case(
        event, {base["author"].sub, *base["co_authors"]}, {base["author"].email}, {manager.sub}
    )


def redirected(h: Any) -> Case:
    base = _idea(h)
    event = ev.IdeaRedirected(
        directorates=["DSI", "DRH", "Culture"], reason="Relève de la gestion courante.", **base
    )
    # "Culture" has no configured mailbox: the innovation team gets it to forward it.
    return Case(
        event,
        {base["author"].sub, *base["co_authors"]},
        {base["author"].email, *h.directorate_mailboxes.values(), h.team_mailbox},
    )


def _project(h: Any) -> dict[str, Any]:
    return {
        "project_id": uuid.uuid4(),
        "idea_id": uuid.uuid4(),
        "title": "Covoiturage entre agents",
        "intrapreneur": h.person("intra"),
    }


def incubation_started(h: Any) -> Case:
    base, manager = _project(h), h.person("manager")
    event = ev.IncubationStarted(manager=manager, track="study", phase="feasibility_study", **base)
    intrapreneur = base["intrapreneur"]
    return Case(event, {intrapreneur.sub}, {intrapreneur.email}, {manager.sub})


def time_requested(h: Any) -> Case:
    base, manager = _project(h), h.person("manager")
    event = ev.TimeAllocationRequested(
        allocation_id=uuid.uuid4(),
        manager=manager,
        share_percent=20.0,
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 6, 30),
        justification="Expérimentation sur deux sites.",
        **base,
    )
    return Case(event, {manager.sub}, {manager.email}, {base["intrapreneur"].sub})


def time_decided(h: Any) -> Case:
    base, manager = _project(h), h.person("manager")
    event = ev.TimeAllocationDecided(
        allocation_id=uuid.uuid4(),
        manager=manager,
        decision="approved_with_changes",
        share_percent=10.0,
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 3, 31),
        decided_by=manager,
        **base,
    )
    intrapreneur = base["intrapreneur"]
    return Case(event, {intrapreneur.sub}, {intrapreneur.email}, {manager.sub})


def _team(h: Any) -> list[Person]:
    return [h.person("member"), h.person("member", email=False)]


def _team_case(event: ev.Event, intrapreneur: Person, team: list[Person]) -> Case:
    return Case(
        event,
        {intrapreneur.sub, *(m.sub for m in team)},
        {intrapreneur.email, *(m.email for m in team if m.email)},
    )


def phase_changed(h: Any) -> Case:
    base, team = _project(h), _team(h)
    event = ev.ProjectPhaseChanged(
        team=team, from_phase="feasibility_study", to_phase="experimentation", **base
    )
    return _team_case(event, base["intrapreneur"], team)


def completed(h: Any) -> Case:
    base, team = _project(h), _team(h)
    event = ev.ProjectCompleted(team=team, implemented="Appli", beneficiaries="Agents", **base)
    return _team_case(event, base["intrapreneur"], team)


def abandoned(h: Any) -> Case:
    base, team = _project(h), _team(h)
    event = ev.ProjectAbandoned(team=team, reason="Pas de besoin confirmé.", **base)
    return _team_case(event, base["intrapreneur"], team)


CASES: dict[type[ev.Event], Callable[[Any], Case]] = {
    ev.IdeaSubmitted: submitted,
    ev.IdeaUpdated: updated,
    ev.IdeaWithdrawn: withdrawn,
    ev.IdeaQualificationStarted: qualification_started,
    ev.IdeaQualified: qualified,
    ev.IdeaSentBack: sent_back,
    ev.IdeaClosedAsDuplicate: closed_as_duplicate,
    ev.FirstContactOverdue: first_contact_overdue,
    ev.CaseScheduled: case_scheduled,
    ev.IdeaApproved: approved,
    ev.IdeaRedirected: redirected,
    ev.IncubationStarted: incubation_started,
    ev.TimeAllocationRequested: time_requested,
    ev.TimeAllocationDecided: time_decided,
    ev.ProjectPhaseChanged: phase_changed,
    ev.ProjectCompleted: completed,
    ev.ProjectAbandoned: abandoned,
}


def test_every_event_of_the_contracts_is_covered_here() -> None:
    assert set(CASES) == set(ev.EVENTS)


def _link(event: ev.Event) -> str:
    project_id = getattr(event, "project_id", None)
    return f"/projects/{project_id}" if project_id else f"/ideas/{event.idea_id}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("event_type", list(CASES), ids=lambda e: e.__name__)
async def test_event_reaches_exactly_the_right_people_on_the_right_channels(
    harness: Any, event_type: type[ev.Event]
) -> None:
    case = CASES[event_type](harness)
    link = _link(case.event)
    sent = await harness.publish(case.event)

    # Inbox rows and email rows are written in one transaction: once one is visible, all are.
    if case.inbox:
        for sub in case.inbox:
            item = await harness.wait_processed(sub, link)
            assert item["read"] is False
            assert item["title"] and item["body"]
    deliveries = await harness.wait_all_sent(sent.event_id, len(case.email))
    assert {d["recipient_address"] for d in deliveries} == case.email

    for sub in case.bystanders | {harness.committee_sub} - case.inbox:
        assert await harness.items_about(sub, link) == []

    mails = harness.mails_of(sent.event_id)
    assert sorted(str(m["To"]) for m in mails) == sorted(case.email)
    for mail in mails:
        assert f"https://intranet.departement.example{link}" in harness.text_part(mail)
        assert f'href="https://intranet.departement.example{link}"' in harness.html_part(mail)
        assert mail["From"] == "Construisons <construisons@departement.example>"
        assert mail["Reply-To"] == "innovation@departement.example"
