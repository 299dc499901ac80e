"""Composition root of the review service."""

from construisons.service import create_service_app
from fastapi import FastAPI

from review import api
from review.config import Settings
from review.consumers import HANDLERS


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Construisons — qualification et comité",
        description="Qualification des idées avec leurs auteurs, séances du comité, notes et décisions.",
        routers=[api.router],
        handlers=HANDLERS,
    )
