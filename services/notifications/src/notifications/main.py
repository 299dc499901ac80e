"""Composition root of the notifications service."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from construisons.listen import Listener
from construisons.service import create_service_app
from notifications import api
from notifications.config import Settings
from notifications.consumers import handlers
from notifications.deliveries import DeliveryWorker
from notifications.listener import DELIVERY_CHANNEL, INBOX_CHANNEL, InboxHub
from notifications.mail import MailRenderer, SmtpMailer
from notifications.metrics import install_delivery_metrics
from notifications.routing import Directory, Recipient


def directory_of(settings: Settings) -> Directory:
    """The configured recipients: team mailbox, committee members, directorates' mailboxes."""
    return Directory(
        innovation_team_mailbox=settings.innovation_team_mailbox,
        committee=tuple(
            Recipient(sub=m.sub, email=m.email, name=m.name) for m in settings.committee_members
        ),
        directorate_mailboxes=dict(settings.directorate_mailboxes),
    )


@asynccontextmanager
async def _listen_and_deliver(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    worker: DeliveryWorker = app.state.delivery_worker
    listener = Listener(
        settings.database_url,
        {INBOX_CHANNEL: app.state.inbox_hub.publish, DELIVERY_CHANNEL: worker.wake},
    )
    listener.start()
    # Streams opened once the app is up must not miss a NOTIFY: listen before serving.
    with suppress(TimeoutError):
        await asyncio.wait_for(listener.connected.wait(), timeout=10)
    if settings.delivery_worker_enabled:
        worker.start()
    try:
        yield
    finally:
        await worker.stop()
        await listener.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    renderer = MailRenderer(settings.intranet_base_url)
    app = create_service_app(
        settings,
        title="Construisons — notifications",
        description="Qui est prévenu de quoi : boîte de réception intranet et courriels.",
        routers=api.routers,
        handlers=handlers(directory_of(settings), renderer),
        background=[_listen_and_deliver],
        openapi_tags=[
            {"name": "inbox", "description": "La boîte de réception intranet de chaque agent."},
            {
                "name": "preferences",
                "description": "Par catégorie : courriel immédiat, récapitulatif ou aucun.",
            },
            {
                "name": "deliveries",
                "description": "Suivi et relance des courriels (équipe innovation).",
            },
        ],
    )
    install_delivery_metrics(app)
    app.state.inbox_hub = InboxHub()
    app.state.delivery_worker = DeliveryWorker(
        engine=app.state.engine,
        settings=settings,
        renderer=renderer,
        mailer=SmtpMailer(settings),
        events_waiting=app.state.consumer.had_backlog,
    )
    return app
