"""Composition root of the intake service."""

from construisons.service import create_service_app
from fastapi import FastAPI

from intake import api
from intake.config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Construisons — dépôt des idées",
        description="Dépôt des idées par les agents et tableau partagé des idées.",
        routers=[api.router],
        handlers={},
    )
