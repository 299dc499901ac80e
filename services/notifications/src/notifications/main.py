"""Composition root of the notifications service."""

from construisons.service import create_service_app
from fastapi import FastAPI

from notifications import api
from notifications.config import Settings
from notifications.consumers import HANDLERS


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Construisons — notifications",
        description="Qui est prévenu de quoi : boîte de réception intranet et courriels.",
        routers=[api.router],
        handlers=HANDLERS,
    )
