"""Composition root of the intake service."""

from fastapi import FastAPI

from construisons.events import IdeaSubmitted, IdeaUpdated, IdeaWithdrawn
from construisons.service import create_service_app
from intake import api, community
from intake.config import Settings
from intake.consumers import HANDLERS


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
    return app
