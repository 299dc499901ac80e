"""Composition root of the incubation service."""

from fastapi import FastAPI

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


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
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
