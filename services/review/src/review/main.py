"""Composition root of the review service."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from construisons.events import (
    CaseScheduled,
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
from review.domain.cases import Invalid, NotFound, Refused
from review.metrics import install_case_metrics
from review.overdue import watch_first_contacts

PUBLISHES = [
    IdeaQualificationStarted,
    IdeaQualified,
    IdeaSentBack,
    IdeaClosedAsDuplicate,
    FirstContactOverdue,
    CaseScheduled,
    IdeaApproved,
    IdeaRedirected,
]


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


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
    # The domain's refusals become HTTP answers here, so routes stay thin.
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(Invalid, _invalid)
    app.add_exception_handler(NotFound, _not_found)
    install_case_metrics(app)
    return app
