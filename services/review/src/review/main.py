"""Composition root of the review service."""

from fastapi import FastAPI

from construisons.events import (
    CaseScheduled,
    Event,
    FirstContactOverdue,
    IdeaApproved,
    IdeaClosedAsDuplicate,
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaRedirected,
    IdeaSentBack,
)
from construisons.service import create_service_app
from review.api import routers
from review.config import Settings
from review.consumers import handlers
from review.metrics import install_case_metrics
from review.overdue import watch_first_contacts

PUBLISHES: list[type[Event]] = [
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaSentBack,
    IdeaClosedAsDuplicate,
    FirstContactOverdue,
    CaseScheduled,
    IdeaApproved,
    IdeaRedirected,
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Construisons — qualification et comité",
        description="Qualification des idées avec leurs auteurs, séances du comité, notes et décisions.",
        routers=routers,
        handlers=handlers(settings),
        publishes=PUBLISHES,
        background=[watch_first_contacts],
    )
    install_case_metrics(app)
    return app
