"""The promise made to authors: a first contact within a number of working days."""

from datetime import date, timedelta

import holidays

from review.domain.cases import Status

_FRENCH_HOLIDAYS = holidays.France()


def is_working_day(day: date, *, ignore_public_holidays: bool = False) -> bool:
    """Monday to Friday, and not a French public holiday unless those are ignored."""
    if day.weekday() >= 5:
        return False
    return ignore_public_holidays or day not in _FRENCH_HOLIDAYS


def contact_due_on(
    submitted_on: date, working_days: int, *, ignore_public_holidays: bool = False
) -> date:
    """The last day on which the first contact keeps the promise.

    Counting starts the working day after submission: an idea submitted on a Friday with a
    five-day target is due the next Friday; one submitted on a Saturday, the Friday after.
    """
    day = submitted_on
    remaining = max(working_days, 0)
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, ignore_public_holidays=ignore_public_holidays):
            remaining -= 1
    return day


def is_contact_overdue(status: Status, due_on: date, today: date) -> bool:
    """Still waiting for its first contact (status `submitted`) after the due day."""
    return status == Status.SUBMITTED and today > due_on
