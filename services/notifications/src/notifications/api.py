"""Notifications HTTP API: each agent's intranet inbox and preferences; the team's view of
email deliveries.

Who may call what:
- `/me/...`: any authenticated agent, about themselves only (someone else's notification
  is answered 404, as if it did not exist);
- `/deliveries...` and `/digests/run`: the innovation team.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from pydantic import AfterValidator, BaseModel, Field, field_validator
from sse_starlette import EventSourceResponse, ServerSentEvent

from construisons.auth import CurrentAgent, InnovationTeam
from construisons.db import SessionDep
from notifications import domain
from notifications.deliveries import DeliveryWorker
from notifications.listener import DELIVERY_CHANNEL, InboxHub, notify
from notifications.routing import CATEGORIES
from notifications.tables import email_deliveries, notifications, preferences

inbox = APIRouter(tags=["inbox"])
settings_router = APIRouter(tags=["preferences"])
team = APIRouter(tags=["deliveries"])

NOT_FOUND = "Notification introuvable."

# Whatever the database session's time zone, the API speaks UTC.
UtcDatetime = Annotated[datetime, AfterValidator(lambda value: value.astimezone(UTC))]


class NotificationOut(BaseModel):
    id: uuid.UUID
    category: str
    title: str
    body: str
    link: str | None
    created_at: UtcDatetime
    read: bool

    @classmethod
    def of(cls, row: sa.Row) -> "NotificationOut":
        return cls(
            id=row.id,
            category=row.category,
            title=row.title,
            body=row.body,
            link=row.link,
            created_at=row.created_at,
            read=row.read_at is not None,
        )


class Inbox(BaseModel):
    items: list[NotificationOut]
    unread_count: int


class ReadAll(BaseModel):
    marked: int
    unread_count: int


async def _unread_count(session: SessionDep, sub: str) -> int:
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(notifications)
        .where(notifications.c.recipient_sub == sub, notifications.c.read_at.is_(None))
    )
    return count or 0


@inbox.get("/me/notifications", summary="Mes notifications, les plus récentes d'abord")
async def my_notifications(
    agent: CurrentAgent,
    session: SessionDep,
    unread: Annotated[bool, Query(description="Seulement les non lues")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Inbox:
    query = sa.select(notifications).where(notifications.c.recipient_sub == agent.sub)
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    rows = (
        await session.execute(
            query.order_by(notifications.c.created_at.desc(), notifications.c.id).limit(limit)
        )
    ).all()
    return Inbox(
        items=[NotificationOut.of(r) for r in rows],
        unread_count=await _unread_count(session, agent.sub),
    )


@inbox.post(
    "/me/notifications/read-all",
    summary="Marquer toutes mes notifications comme lues",
)
async def read_all(agent: CurrentAgent, session: SessionDep) -> ReadAll:
    async with session.begin():
        result = await session.execute(
            sa.update(notifications)
            .where(notifications.c.recipient_sub == agent.sub, notifications.c.read_at.is_(None))
            .values(read_at=sa.func.now())
        )
    return ReadAll(marked=result.rowcount or 0, unread_count=0)  # type: ignore[attr-defined]


@inbox.post(
    "/me/notifications/{notification_id}/read",
    summary="Marquer une de mes notifications comme lue",
    responses={404: {"description": NOT_FOUND}},
)
async def read_one(
    notification_id: uuid.UUID, agent: CurrentAgent, session: SessionDep
) -> NotificationOut:
    async with session.begin():
        row = (
            await session.execute(
                sa.update(notifications)
                .where(
                    notifications.c.id == notification_id,
                    notifications.c.recipient_sub == agent.sub,
                )
                .values(read_at=sa.func.coalesce(notifications.c.read_at, sa.func.now()))
                .returning(*notifications.c)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return NotificationOut.of(row)


@inbox.get(
    "/me/notifications/stream",
    summary="Flux temps réel (server-sent events) de mes nouvelles notifications",
    description=(
        "Envoie d'abord un événement `ready`, puis un événement `notification` (le JSON d'une "
        "notification) à chaque nouvelle notification. Reconnecté avec l'en-tête "
        "`Last-Event-ID`, le flux renvoie d'abord celles arrivées entre-temps."
    ),
    response_class=EventSourceResponse,
)
async def stream(
    agent: CurrentAgent,
    request: Request,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    hub: InboxHub = request.app.state.inbox_hub
    sessionmaker = request.app.state.sessionmaker
    sub = agent.sub

    async def fetch(query: sa.Select) -> list[sa.Row]:
        async with sessionmaker() as session:
            return list((await session.execute(query)).all())

    def pushed(row: sa.Row) -> ServerSentEvent:
        return ServerSentEvent(
            event="notification", id=str(row.id), data=NotificationOut.of(row).model_dump_json()
        )

    async def events() -> AsyncIterator[ServerSentEvent]:
        with hub.subscribe(sub) as queue:
            # Subscribed before catching up: nothing committed from here on is missed.
            yield ServerSentEvent(event="ready", data="{}")
            seen: set[uuid.UUID] = set()
            for row in await fetch(_missed_since(sub, last_event_id)):
                seen.add(row.id)
                yield pushed(row)
            while True:
                notification_id = uuid.UUID(await queue.get())
                if notification_id in seen:
                    continue
                rows = await fetch(
                    sa.select(notifications).where(
                        notifications.c.id == notification_id,
                        notifications.c.recipient_sub == sub,
                    )
                )
                for row in rows:
                    yield pushed(row)

    return EventSourceResponse(events(), ping=15)


def _missed_since(sub: str, last_event_id: str | None) -> sa.Select:
    """A person's notifications newer than the one their page saw last (none if unknown)."""
    try:
        last = uuid.UUID(last_event_id or "")
    except ValueError:
        return sa.select(notifications).where(sa.false())
    seen_at = (
        sa.select(notifications.c.created_at)
        .where(notifications.c.id == last, notifications.c.recipient_sub == sub)
        .scalar_subquery()
    )
    return (
        sa.select(notifications)
        .where(notifications.c.recipient_sub == sub, notifications.c.created_at > seen_at)
        .order_by(notifications.c.created_at, notifications.c.id)
        .limit(200)
    )


# --- preferences ----------------------------------------------------------------------


class CategoryPreference(BaseModel):
    category: str
    label: str
    email: domain.EmailMode


class Preferences(BaseModel):
    categories: list[CategoryPreference]


class PreferencesIn(BaseModel):
    """Email mode per category; a category left out goes back to `immediate`."""

    email: dict[str, domain.EmailMode] = Field(
        examples=[{"idea_progress": "immediate", "project": "digest", "committee_agenda": "none"}]
    )

    @field_validator("email")
    @classmethod
    def _known_categories(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(
                f"Catégorie(s) inconnue(s) : {', '.join(unknown)}. "
                f"Catégories possibles : {', '.join(CATEGORIES)}."
            )
        return value


async def _preferences(session: SessionDep, sub: str) -> Preferences:
    rows = await session.execute(
        sa.select(preferences.c.category, preferences.c.email).where(
            preferences.c.recipient_sub == sub
        )
    )
    chosen = {r.category: r.email for r in rows}
    return Preferences(
        categories=[
            CategoryPreference(
                category=category,
                label=label,
                email=chosen.get(category, domain.DEFAULT_EMAIL_MODE),
            )
            for category, label in CATEGORIES.items()
        ]
    )


@settings_router.get("/me/preferences", summary="Mes préférences de notification par courriel")
async def my_preferences(agent: CurrentAgent, session: SessionDep) -> Preferences:
    return await _preferences(session, agent.sub)


@settings_router.put(
    "/me/preferences",
    summary="Choisir, par catégorie, courriel immédiat, récapitulatif quotidien ou aucun",
    description="La boîte de réception de l'intranet reçoit toujours tout.",
)
async def set_my_preferences(
    body: PreferencesIn, agent: CurrentAgent, session: SessionDep
) -> Preferences:
    async with session.begin():
        await session.execute(
            sa.delete(preferences).where(preferences.c.recipient_sub == agent.sub)
        )
        chosen = [
            {"recipient_sub": agent.sub, "category": category, "email": mode}
            for category, mode in body.email.items()
            if mode != domain.DEFAULT_EMAIL_MODE
        ]
        if chosen:
            await session.execute(sa.insert(preferences), chosen)
    return await _preferences(session, agent.sub)


# --- deliveries (innovation team) -----------------------------------------------------


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID | None
    event_type: str | None
    recipient_address: str
    category: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDatetime
    created_at: UtcDatetime
    sent_at: UtcDatetime | None
    digest_id: uuid.UUID | None

    @classmethod
    def of(cls, row: sa.Row) -> "DeliveryOut":
        return cls.model_validate(row, from_attributes=True)


class Deliveries(BaseModel):
    items: list[DeliveryOut]


class DigestRunOut(BaseModel):
    digests: int
    notifications: int


DeliveryStatus = Literal["pending", "awaiting_digest", "in_digest", "sent", "failed"]


@team.get("/deliveries", summary="Courriels envoyés, en attente ou en échec (équipe innovation)")
async def list_deliveries(
    _: InnovationTeam,
    session: SessionDep,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    event_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Deliveries:
    query = sa.select(email_deliveries)
    if status_ is not None:
        query = query.where(email_deliveries.c.status == status_)
    if event_id is not None:
        query = query.where(email_deliveries.c.event_id == event_id)
    rows = (
        await session.execute(
            query.order_by(email_deliveries.c.created_at.desc(), email_deliveries.c.id).limit(limit)
        )
    ).all()
    return Deliveries(items=[DeliveryOut.of(r) for r in rows])


@team.post(
    "/deliveries/{delivery_id}/retry",
    summary="Relancer un courriel en échec (équipe innovation)",
    responses={404: {"description": "Envoi introuvable"}, 409: {"description": "Pas en échec"}},
)
async def retry_delivery(
    delivery_id: uuid.UUID, _: InnovationTeam, session: SessionDep
) -> DeliveryOut:
    async with session.begin():
        current = await session.scalar(
            sa.select(email_deliveries.c.status)
            .where(email_deliveries.c.id == delivery_id)
            .with_for_update()
        )
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Envoi de courriel introuvable.")
        if current != "failed":
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "Seul un envoi en échec peut être relancé (statut actuel : " + current + ").",
            )
        row = (
            await session.execute(
                sa.update(email_deliveries)
                .where(email_deliveries.c.id == delivery_id)
                .values(status="pending", attempts=0, next_attempt_at=sa.func.now())
                .returning(*email_deliveries.c)
            )
        ).one()
        await notify(session, DELIVERY_CHANNEL)
    return DeliveryOut.of(row)


@team.post(
    "/digests/run",
    summary="Préparer maintenant les récapitulatifs en attente (équipe innovation)",
    description="Le récapitulatif part aussi chaque jour à l'heure configurée (DIGEST_HOUR).",
)
async def run_digests(_: InnovationTeam, request: Request) -> DigestRunOut:
    worker: DeliveryWorker = request.app.state.delivery_worker
    result = await worker.run_digest_now()
    return DigestRunOut(digests=result.digests, notifications=result.notifications)


routers = (inbox, settings_router, team)
