"""The first-contact promise counted in working days: weekends and French public holidays."""

from datetime import date

import pytest

from review.domain.calendar import contact_due_on, is_contact_overdue
from review.domain.cases import Status


@pytest.mark.parametrize(
    ("submitted_on", "working_days", "due_on"),
    [
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # Monday → next Monday
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Friday → next Friday
        (date(2026, 11, 28), 5, date(2026, 12, 4)),  # Saturday → the Friday after
        (date(2026, 11, 29), 1, date(2026, 11, 30)),  # Sunday, one day → Monday
        (date(2026, 12, 3), 2, date(2026, 12, 7)),  # Thursday, two days → over the weekend
        (date(2026, 12, 3), 0, date(2026, 12, 3)),  # no delay: the same day
    ],
)
def test_due_date_skips_weekends(submitted_on: date, working_days: int, due_on: date) -> None:
    assert contact_due_on(submitted_on, working_days) == due_on


def test_due_date_skips_french_public_holidays() -> None:
    # Thursday 30 April 2026: 1 May and 8 May (Fridays) are public holidays.
    assert contact_due_on(date(2026, 4, 30), 5) == date(2026, 5, 11)
    # Christmas Day 2026 is a Friday: one working day after Christmas Eve is Monday 28.
    assert contact_due_on(date(2026, 12, 24), 1) == date(2026, 12, 28)
    # Ascension Thursday 14 May 2026.
    assert contact_due_on(date(2026, 5, 13), 1) == date(2026, 5, 15)


def test_due_date_counts_public_holidays_when_told_to_ignore_them() -> None:
    assert contact_due_on(date(2026, 4, 30), 5, ignore_public_holidays=True) == date(2026, 5, 7)
    assert contact_due_on(date(2026, 12, 24), 1, ignore_public_holidays=True) == date(2026, 12, 25)


def test_holiday_falling_on_a_weekend_costs_nothing() -> None:
    # 11 November 2028 is a Saturday.
    assert contact_due_on(date(2028, 11, 10), 1) == date(2028, 11, 13)


def test_a_case_is_overdue_only_after_its_due_day_without_contact() -> None:
    due = date(2026, 12, 4)
    assert not is_contact_overdue(Status.SUBMITTED, due, date(2026, 12, 4))
    assert is_contact_overdue(Status.SUBMITTED, due, date(2026, 12, 5))
    assert not is_contact_overdue(Status.IN_QUALIFICATION, due, date(2026, 12, 10))
    assert not is_contact_overdue(Status.WITHDRAWN, due, date(2026, 12, 10))
