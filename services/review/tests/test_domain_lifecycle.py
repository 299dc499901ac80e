"""Every step of a case's life, and every refusal, without a database."""

import uuid

import pytest

from construisons.rules import Invalid, Refused
from review.domain import cases as lifecycle
from review.domain.cases import Status

OPEN = [Status.SUBMITTED, Status.IN_QUALIFICATION, Status.SENT_BACK, Status.QUALIFIED]
FINISHED = [Status.APPROVED, Status.REDIRECTED, Status.CLOSED_AS_DUPLICATE, Status.WITHDRAWN]


def test_first_contact_starts_qualification() -> None:
    assert lifecycle.after_contact(Status.SUBMITTED) == Status.IN_QUALIFICATION
    assert lifecycle.after_contact(Status.IN_QUALIFICATION) == Status.IN_QUALIFICATION
    assert lifecycle.after_contact(Status.SENT_BACK) == Status.IN_QUALIFICATION
    assert lifecycle.after_contact(Status.QUALIFIED) == Status.QUALIFIED


@pytest.mark.parametrize("status", FINISHED)
def test_nothing_happens_to_a_finished_case(status: Status) -> None:
    for step in (
        lifecycle.assign,
        lifecycle.after_contact,
        lifecycle.after_qualification,
        lifecycle.after_send_back,
        lifecycle.schedule,
        lifecycle.score,
    ):
        with pytest.raises(Refused):
            step(status)
    with pytest.raises(Refused):
        lifecycle.after_duplicate(status, uuid.uuid4(), uuid.uuid4())
    with pytest.raises(Refused):
        lifecycle.decide(status, "experiment", [])


def test_a_second_decision_is_refused_with_a_french_reason() -> None:
    with pytest.raises(Refused, match="déjà rendu sa décision"):
        lifecycle.decide(Status.APPROVED, "study", [])


def test_qualification_needs_a_contact_first() -> None:
    with pytest.raises(Refused, match="contacté son auteur"):
        lifecycle.after_qualification(Status.SUBMITTED)
    with pytest.raises(Refused, match="compléments"):
        lifecycle.after_qualification(Status.SENT_BACK)
    with pytest.raises(Refused, match="déjà qualifiée"):
        lifecycle.after_qualification(Status.QUALIFIED)
    assert lifecycle.after_qualification(Status.IN_QUALIFICATION) == Status.QUALIFIED


def test_qualifying_requires_the_fit_to_be_confirmed() -> None:
    lifecycle.check_fit(True, True)
    with pytest.raises(Invalid):
        lifecycle.check_fit(True, False)
    with pytest.raises(Invalid):
        lifecycle.check_fit(False, True)


def test_sending_back() -> None:
    assert lifecycle.after_send_back(Status.IN_QUALIFICATION) == Status.SENT_BACK
    assert lifecycle.after_send_back(Status.QUALIFIED) == Status.SENT_BACK
    with pytest.raises(Refused):
        lifecycle.after_send_back(Status.SUBMITTED)
    with pytest.raises(Refused):
        lifecycle.after_send_back(Status.SENT_BACK)


@pytest.mark.parametrize("status", OPEN)
def test_any_open_case_can_be_closed_as_a_duplicate(status: Status) -> None:
    assert (
        lifecycle.after_duplicate(status, uuid.uuid4(), uuid.uuid4()) == Status.CLOSED_AS_DUPLICATE
    )


def test_an_idea_is_not_its_own_duplicate() -> None:
    idea = uuid.uuid4()
    with pytest.raises(Invalid):
        lifecycle.after_duplicate(Status.SUBMITTED, idea, idea)


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_QUALIFICATION, Status.SENT_BACK])
def test_only_a_qualified_case_is_scheduled_scored_or_decided(status: Status) -> None:
    with pytest.raises(Refused, match="pas encore qualifiée"):
        lifecycle.schedule(status)
    with pytest.raises(Refused, match="pas encore qualifiée"):
        lifecycle.score(status)
    with pytest.raises(Refused, match="pas encore qualifiée"):
        lifecycle.decide(status, "experiment", [])


def test_decisions() -> None:
    assert lifecycle.decide(Status.QUALIFIED, "experiment", []) == Status.APPROVED
    assert lifecycle.decide(Status.QUALIFIED, "study", []) == Status.APPROVED
    assert lifecycle.decide(Status.QUALIFIED, "redirect", ["DRH"]) == Status.REDIRECTED


def test_a_redirect_names_at_least_one_directorate() -> None:
    with pytest.raises(Invalid, match="au moins une direction"):
        lifecycle.decide(Status.QUALIFIED, "redirect", [])
    with pytest.raises(Invalid):
        lifecycle.decide(Status.QUALIFIED, "redirect", ["  "])


def test_an_update_refreshes_open_cases_and_answers_a_send_back() -> None:
    assert lifecycle.after_update(Status.SENT_BACK) == Status.IN_QUALIFICATION
    assert lifecycle.after_update(Status.QUALIFIED) == Status.QUALIFIED
    for status in FINISHED:
        assert lifecycle.after_update(status) is None


def test_withdrawal_closes_open_cases_only() -> None:
    for status in OPEN:
        assert lifecycle.after_withdrawal(status) == Status.WITHDRAWN
    for status in FINISHED:
        assert lifecycle.after_withdrawal(status) is None
