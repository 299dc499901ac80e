"""Composition root of the intake service."""

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from construisons.events import IdeaSubmitted, IdeaUpdated, IdeaWithdrawn
from construisons.service import create_service_app
from intake import api, community
from intake.config import Settings
from intake.consumers import HANDLERS


def _plan_each_search(dbapi_connection: Any, _record: Any) -> None:
    # A generic plan (reused after five runs of a prepared statement) cannot know how common
    # the searched words are; planning each search keeps the right index for each query.
    # Run on asyncpg itself: through a cursor it would open a transaction left pending.
    dbapi_connection.run_async(
        lambda connection: connection.execute("SET plan_cache_mode = force_custom_plan")
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The intake app: HTTP API, outbox relay and the status-event consumer."""
    app = create_service_app(
        settings or Settings(),
        title="Construisons — dépôt des idées",
        description="Dépôt des idées par les agents et tableau partagé des idées.",
        routers=[api.router, community.router],
        handlers=HANDLERS,
        publishes=[IdeaSubmitted, IdeaUpdated, IdeaWithdrawn],
    )
    sa.event.listen(app.state.engine.sync_engine, "connect", _plan_each_search)
    return app
