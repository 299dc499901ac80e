"""Composition root of the incubation service."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from construisons.events import (
    IncubationStarted,
    ProjectAbandoned,
    ProjectCompleted,
    ProjectPhaseChanged,
    TimeAllocationDecided,
    TimeAllocationRequested,
)
from construisons.service import create_service_app
from incubation import api
from incubation.config import Settings
from incubation.consumers import HANDLERS
from incubation.domain import DomainError, Forbidden, Invalid

_STATUS = {
    Forbidden: status.HTTP_403_FORBIDDEN,
    Invalid: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    """A refused rule is the caller's answer, in French, never a 500."""
    assert isinstance(exc, DomainError)
    code = _STATUS.get(type(exc), status.HTTP_409_CONFLICT)
    return JSONResponse({"detail": exc.message}, status_code=code)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        settings or Settings(),
        title="Construisons — incubation",
        description="Projets issus des idées retenues : équipe, chantiers, phases et temps de l'intrapreneur.",
        routers=[api.router],
        handlers=HANDLERS,
        publishes=[
            IncubationStarted,
            TimeAllocationRequested,
            TimeAllocationDecided,
            ProjectPhaseChanged,
            ProjectCompleted,
            ProjectAbandoned,
        ],
    )
    app.add_exception_handler(DomainError, _domain_error)
    return app
