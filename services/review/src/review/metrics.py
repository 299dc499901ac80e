"""Review's own Prometheus figures: cases by status and first contacts overdue."""

from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client import Gauge

from review.domain.cases import Status
from review.queries import case_filters
from review.tables import cases


def install_case_metrics(app: FastAPI) -> None:
    """Add the case gauges to the service's registry, refreshed on each scrape of /metrics."""
    registry = app.state.metrics.registry
    by_status = Gauge(
        "construisons_review_cases", "Cases by status.", ["status"], registry=registry
    )
    overdue = Gauge(
        "construisons_review_first_contacts_overdue",
        "Cases still waiting for their first contact after their due day.",
        registry=registry,
    )

    async def refresh(app: FastAPI) -> None:
        today = datetime.now(UTC).date()
        async with app.state.engine.connect() as conn:
            counts = dict(
                (
                    await conn.execute(
                        sa.select(cases.c.status, sa.func.count()).group_by(cases.c.status)
                    )
                ).all()
            )
            late = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(cases)
                .where(*case_filters(overdue=True, today=today))
            )
        for status in Status:
            by_status.labels(status.value).set(counts.get(status.value, 0))
        overdue.set(late or 0)

    app.state.metrics.hooks.append(refresh)
