"""The notifications service's own Prometheus figures: email deliveries by status."""

import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client import Gauge

from notifications.tables import email_deliveries

STATUSES = ("pending", "awaiting_digest", "in_digest", "sent", "failed")


def install_delivery_metrics(app: FastAPI) -> None:
    """Add the delivery gauges to the service's registry, refreshed on each scrape."""
    registry = app.state.metrics.registry
    by_status = Gauge(
        "construisons_notifications_email_deliveries",
        "Email deliveries by status (failed ones wait for the team's retry).",
        ["status"],
        registry=registry,
    )
    oldest_pending = Gauge(
        "construisons_notifications_oldest_pending_email_age_seconds",
        "Age of the oldest email still to send (0 when none): grows while SMTP is down.",
        registry=registry,
    )

    async def refresh(app: FastAPI) -> None:
        async with app.state.engine.connect() as conn:
            counts = dict(
                (
                    await conn.execute(
                        sa.select(email_deliveries.c.status, sa.func.count()).group_by(
                            email_deliveries.c.status
                        )
                    )
                ).all()
            )
            age = await conn.scalar(
                sa.select(
                    sa.func.coalesce(
                        sa.extract(
                            "epoch", sa.func.now() - sa.func.min(email_deliveries.c.created_at)
                        ),
                        0,
                    )
                ).where(email_deliveries.c.status == "pending")
            )
        for status in STATUSES:
            by_status.labels(status).set(counts.get(status, 0))
        oldest_pending.set(float(age or 0))

    app.state.metrics.hooks.append(refresh)
