"""Statistics on a known data set: funnel, median and 90th percentile, on-time share."""

from datetime import UTC, date, datetime, timedelta

from review.domain.cases import Status
from review.domain.stats import CaseFacts, percentile, report

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
TODAY = date(2026, 12, 1)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9.1


def _case(status: Status, **facts: object) -> CaseFacts:
    return CaseFacts(status=status, submitted_at=T0, due_on=date(2026, 11, 9), **facts)  # type: ignore[arg-type]


def test_report_on_a_known_data_set() -> None:
    cases = [
        _case(
            Status.APPROVED,
            first_contact_at=T0 + timedelta(days=1),
            qualified_at=T0 + timedelta(days=5),
            decided_at=T0 + timedelta(days=10),
            decision="experiment",
            directorate="DSI",
            themes=("mobilité",),
        ),
        _case(
            Status.REDIRECTED,
            first_contact_at=T0 + timedelta(days=3),
            qualified_at=T0 + timedelta(days=6),
            decided_at=T0 + timedelta(days=20),
            decision="redirect",
            directorate="DSI",
            themes=("mobilité", "numérique"),
        ),
        _case(
            Status.IN_QUALIFICATION,
            first_contact_at=T0 + timedelta(days=9),
            directorate="DRH",
        ),
        _case(Status.SUBMITTED, directorate="DRH"),
    ]
    stats = report(cases, TODAY)
    assert stats["funnel"] == {
        "submitted": 4,
        "contacted": 3,
        "qualified": 2,
        "decided": {"experiment": 1, "study": 0, "redirect": 1},
        "sent_back": 0,
        "closed_as_duplicate": 0,
        "withdrawn": 0,
    }
    assert stats["delays"]["submission_to_first_contact"] == {
        "count": 3,
        "median_days": 3.0,
        "p90_days": 7.8,
    }
    assert stats["delays"]["submission_to_decision"] == {
        "count": 2,
        "median_days": 15.0,
        "p90_days": 19.0,
    }
    # Two contacted by 9 November, one late, one never contacted and past due.
    assert stats["contact_on_time"] == {"measured": 4, "on_time": 2, "share": 0.5}
    assert stats["by_directorate"]["DSI"]["contact_on_time"]["share"] == 1.0
    assert stats["by_directorate"]["DRH"]["funnel"]["contacted"] == 1
    assert stats["by_theme"]["mobilité"]["funnel"]["submitted"] == 2
    assert stats["by_theme"]["numérique"]["funnel"]["decided"]["redirect"] == 1
    assert stats["by_theme"]["Sans thème"]["funnel"]["submitted"] == 2


def test_a_case_not_yet_due_is_not_measured() -> None:
    fresh = CaseFacts(status=Status.SUBMITTED, submitted_at=T0, due_on=TODAY)
    assert report([fresh], TODAY)["contact_on_time"] == {
        "measured": 0,
        "on_time": 0,
        "share": None,
    }
