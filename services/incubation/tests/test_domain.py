"""Unit tests of the pure rules: phases and their gate, time requests, decisions, ceiling."""

from datetime import date

import pytest

from construisons.auth import INNOVATION_TEAM, Principal
from incubation.domain import Forbidden, Invalid, Refused
from incubation.domain.phases import change_phase, close, start_phase
from incubation.domain.time_allocation import (
    Grant,
    GrantedAllocation,
    check_ceiling,
    decide,
    decided_on_behalf,
    renewal_period,
    requested_grant,
    share_from_days,
)
from incubation.domain.workstreams import Workstream, set_status

TODAY = date(2027, 1, 15)
TODO = Workstream("legal", "Juridique", "todo")
DONE = Workstream("financial", "Financier", "done")
NOT_APPLICABLE = Workstream("market_study", "Étude de marché", "not_applicable", "Interne")


def test_tracks_start_in_their_phase() -> None:
    assert start_phase("study") == "feasibility_study"
    assert start_phase("experiment") == "experimentation"


def test_gate_lets_a_settled_study_through_without_recording_an_override() -> None:
    change = change_phase("feasibility_study", "experimentation", [DONE, NOT_APPLICABLE], "x")
    assert change.gate_override_reason is None


def test_gate_stops_an_unsettled_study_unless_overridden() -> None:
    with pytest.raises(Refused, match="Juridique"):
        change_phase("feasibility_study", "implementation", [TODO, DONE])
    change = change_phase("feasibility_study", "implementation", [TODO], " Urgence ")
    assert change.gate_override_reason == "Urgence"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("implementation", "experimentation"),
        ("experimentation", "feasibility_study"),
        ("experimentation", "experimentation"),
        ("completed", "implementation"),
        ("implementation", "completed"),
    ],
)
def test_phases_only_move_forward_and_closed_projects_stay_closed(
    current: str, target: str
) -> None:
    with pytest.raises(Refused):
        change_phase(current, target, [])  # type: ignore[arg-type]


def test_only_a_project_in_implementation_completes_but_any_open_one_may_be_abandoned() -> None:
    with pytest.raises(Refused):
        close("experimentation", "completed")
    assert close("implementation", "completed").to_phase == "completed"
    assert close("feasibility_study", "abandoned").to_phase == "abandoned"
    with pytest.raises(Refused):
        close("abandoned", "abandoned")


def test_not_applicable_needs_a_reason_and_other_statuses_drop_it() -> None:
    with pytest.raises(Invalid):
        set_status("not_applicable", " ")
    assert set_status("done", "ancienne raison") == ("done", None)


@pytest.mark.parametrize(("days", "share"), [(1, 20.0), (2.5, 50.0), (5, 100.0), (0.5, 10.0)])
def test_days_per_week_are_a_share_of_a_five_day_week(days: float, share: float) -> None:
    assert share_from_days(days) == share


def test_a_request_gives_a_share_one_way_and_a_period_not_over() -> None:
    with pytest.raises(Invalid):
        requested_grant(20, 1, date(2027, 2, 1), date(2027, 3, 1), TODAY)
    with pytest.raises(Invalid):
        requested_grant(None, None, date(2027, 2, 1), date(2027, 3, 1), TODAY)
    with pytest.raises(Invalid):
        requested_grant(20, None, date(2027, 3, 1), date(2027, 2, 1), TODAY)
    with pytest.raises(Invalid):
        requested_grant(20, None, date(2026, 1, 1), date(2027, 1, 14), TODAY)
    grant = requested_grant(None, 1.5, date(2027, 1, 1), date(2027, 3, 1), TODAY)
    assert grant == Grant(30.0, date(2027, 1, 1), date(2027, 3, 1))


REQUESTED = Grant(50.0, date(2027, 1, 1), date(2027, 6, 30))


def test_changes_only_lower_the_share_or_shorten_the_period() -> None:
    with pytest.raises(Invalid):
        decide(REQUESTED, "approved_with_changes", share_percent=60)
    with pytest.raises(Invalid):
        decide(REQUESTED, "approved_with_changes", ends_on=date(2027, 7, 1))
    with pytest.raises(Invalid):
        decide(REQUESTED, "approved_with_changes", share_percent=50)
    with pytest.raises(Invalid):
        decide(
            REQUESTED,
            "approved_with_changes",
            starts_on=date(2027, 5, 1),
            ends_on=date(2027, 4, 1),
        )
    decision = decide(REQUESTED, "approved_with_changes", share_percent=30)
    assert decision.grant == Grant(30.0, REQUESTED.starts_on, REQUESTED.ends_on)


def test_a_decline_has_a_reason_and_no_grant() -> None:
    with pytest.raises(Invalid):
        decide(REQUESTED, "declined")
    decision = decide(REQUESTED, "declined", reason="Charge de fin d'année")
    assert decision.grant is None
    assert decision.reason == "Charge de fin d'année"


def test_the_ceiling_counts_only_days_where_allocations_overlap() -> None:
    approved = [
        GrantedAllocation("A", Grant(60, date(2027, 1, 1), date(2027, 3, 31))),
        GrantedAllocation("B", Grant(30, date(2027, 3, 1), date(2027, 4, 30))),
    ]
    check_ceiling(Grant(40, date(2027, 4, 1), date(2027, 6, 30)), approved)
    check_ceiling(Grant(10, date(2027, 1, 1), date(2027, 12, 31)), approved)
    with pytest.raises(Refused) as refused:
        check_ceiling(Grant(20, date(2027, 2, 1), date(2027, 5, 31)), approved)
    assert "du 01/03/2027 au 31/03/2027" in refused.value.message
    assert "« A »" in refused.value.message
    assert "« B »" in refused.value.message
    assert "110 %" in refused.value.message


def _principal(sub: str, *roles: str) -> Principal:
    return Principal(sub=sub, name=sub, roles=frozenset(roles))


def test_the_manager_decides_and_the_team_answers_on_their_behalf() -> None:
    assert decided_on_behalf(_principal("boss"), "boss", "agent") is False
    assert decided_on_behalf(_principal("lea", INNOVATION_TEAM), "boss", "agent") is True
    with pytest.raises(Forbidden):
        decided_on_behalf(_principal("other.boss"), "boss", "agent")
    with pytest.raises(Forbidden):
        decided_on_behalf(_principal("agent", INNOVATION_TEAM), "boss", "agent")


def test_renewal_starts_the_day_after_and_only_before_the_end() -> None:
    granted = Grant(30, date(2027, 1, 1), date(2027, 1, 31))
    renewal = renewal_period("approved", granted, date(2027, 6, 30), TODAY)
    assert renewal == Grant(30, date(2027, 2, 1), date(2027, 6, 30))
    with pytest.raises(Refused, match="31/01/2027"):
        renewal_period("approved", granted, date(2027, 6, 30), date(2027, 2, 1))
    with pytest.raises(Refused):
        renewal_period("declined", None, date(2027, 6, 30), TODAY)
    with pytest.raises(Invalid):
        renewal_period("approved", granted, date(2027, 1, 31), TODAY)
    with pytest.raises(Invalid):
        renewal_period("approved", granted, date.max, TODAY)
