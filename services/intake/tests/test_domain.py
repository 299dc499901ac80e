"""The board's pure rules, without database or broker."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from construisons.rules import RuleViolation
from intake import domain

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _idea(**overrides: object) -> domain.IdeaState:
    values: dict[str, object] = {
        "author_sub": "agent.author",
        "co_authors": ["agent.co"],
        "status": "submitted",
        "decided": False,
        "revision": 3,
    }
    values.update(overrides)
    return domain.IdeaState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "new,new_at,current,current_at,expected",
    [
        ("qualified", T0 + timedelta(minutes=1), "in_qualification", T0, True),
        ("qualified", T0, "approved", T0 + timedelta(minutes=1), False),
        ("in_incubation", T0 + timedelta(minutes=1), "approved", T0, True),
        ("approved", T0, "in_incubation", T0 + timedelta(minutes=1), False),
        # The same instant: the later step of the journey wins.
        ("approved", T0, "qualified", T0, True),
        ("qualified", T0, "approved", T0, False),
        # A final status only gives way to a later step of the journey.
        ("in_qualification", T0 + timedelta(minutes=5), "withdrawn", T0, False),
        ("approved", T0 + timedelta(minutes=5), "withdrawn", T0, False),
        ("in_incubation", T0 + timedelta(minutes=5), "redirected", T0, True),
        ("in_incubation", T0 + timedelta(minutes=5), "implemented", T0, False),
        ("sent_back", T0 + timedelta(minutes=1), "in_qualification", T0, True),
        # Another service's clock may lag behind ours: the submission is still the first step.
        ("in_qualification", T0 - timedelta(seconds=2), "submitted", T0, True),
        ("in_qualification", T0 + timedelta(minutes=2), "sent_back", T0, True),
    ],
)
def test_only_a_newer_status_replaces_the_shown_one(
    new: str, new_at: datetime, current: str, current_at: datetime, expected: bool
) -> None:
    assert domain.supersedes(new, new_at, current, current_at) is expected


def test_labels_are_french_and_name_the_track_and_the_directorates() -> None:
    assert domain.status_label("in_incubation") == "En incubation"
    assert domain.status_label("approved", {"track": "study"}) == (
        "Retenue par le comité (parcours : étude de faisabilité)"
    )
    assert domain.status_label("redirected", {"directorates": ["DGA Routes", "DRH"]}) == (
        "Réorientée vers : DGA Routes, DRH"
    )
    assert all(domain.status_label(status) for status in domain.STATUSES)


def test_authors_edit_with_the_current_etag_until_the_decision() -> None:
    domain.check_can_edit(_idea(), "agent.author", '"3"')
    domain.check_can_edit(_idea(), "agent.co", 'W/"3", "7"')
    domain.check_can_edit(_idea(status="in_qualification"), "agent.author", "*")


@pytest.mark.parametrize(
    "idea,sub,if_match,status",
    [
        (_idea(), "agent.other", '"3"', 403),
        (_idea(decided=True), "agent.author", '"3"', 409),
        (_idea(status="withdrawn"), "agent.author", '"3"', 409),
        (_idea(status="closed_as_duplicate"), "agent.author", '"3"', 409),
        (_idea(), "agent.author", None, 428),
        (_idea(), "agent.author", '"2"', 412),
    ],
)
def test_edits_refused_with_the_right_status(
    idea: domain.IdeaState, sub: str, if_match: str | None, status: int
) -> None:
    with pytest.raises(RuleViolation) as refused:
        domain.check_can_edit(idea, sub, if_match)
    assert refused.value.status == status
    assert refused.value.message


def test_only_the_author_withdraws_and_only_before_the_decision() -> None:
    domain.check_can_withdraw(_idea(status="sent_back"), "agent.author")
    for idea, sub, status in (
        (_idea(), "agent.co", 403),
        (_idea(status="withdrawn"), "agent.author", 409),
        (_idea(status="approved", decided=True), "agent.author", 409),
    ):
        with pytest.raises(RuleViolation) as refused:
            domain.check_can_withdraw(idea, sub)
        assert refused.value.status == status


def test_authors_cannot_support_their_own_idea() -> None:
    domain.check_can_support(_idea(), "agent.reader")
    for sub in ("agent.author", "agent.co"):
        with pytest.raises(RuleViolation):
            domain.check_can_support(_idea(), sub)


def test_hidden_author_is_visible_to_the_team_and_the_authors_only() -> None:
    def sees(viewer: str, team: bool = False) -> bool:
        return domain.may_see_author(
            show_author=False,
            author_sub="agent.author",
            co_authors=["agent.co"],
            viewer_sub=viewer,
            viewer_is_team=team,
        )

    assert not sees("agent.reader")
    assert sees("agent.author") and sees("agent.co") and sees("team.lea", team=True)


def test_a_cursor_round_trips_and_is_bound_to_its_sort_order() -> None:
    key = [T0, uuid.UUID(int=7)]
    cursor = domain.encode_cursor("newest", key)
    assert domain.decode_cursor(cursor, "newest") == [T0.isoformat(), str(uuid.UUID(int=7))]
    with pytest.raises(domain.InvalidCursor):
        domain.decode_cursor(cursor, "most_supported")
    for garbage in ("", "%%%", "bm90IGpzb24", "WzFd"):
        with pytest.raises(domain.InvalidCursor):
            domain.decode_cursor(garbage, "newest")
