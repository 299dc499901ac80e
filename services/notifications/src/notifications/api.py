"""Notifications HTTP API: each agent's intranet inbox."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from construisons.auth import CurrentAgent
from construisons.db import SessionDep
from fastapi import APIRouter
from pydantic import BaseModel

from notifications.tables import notifications

router = APIRouter(tags=["inbox"])


class NotificationOut(BaseModel):
    id: uuid.UUID
    category: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


class Inbox(BaseModel):
    items: list[NotificationOut]
    unread_count: int


@router.get("/me/notifications", summary="Mes notifications")
async def my_notifications(agent: CurrentAgent, session: SessionDep) -> Inbox:
    rows = (
        await session.execute(
            sa.select(notifications)
            .where(notifications.c.recipient_sub == agent.sub)
            .order_by(notifications.c.created_at.desc())
            .limit(50)
        )
    ).all()
    unread = await session.scalar(
        sa.select(sa.func.count())
        .select_from(notifications)
        .where(notifications.c.recipient_sub == agent.sub, notifications.c.read_at.is_(None))
    )
    return Inbox(
        items=[
            NotificationOut(
                id=r.id,
                category=r.category,
                title=r.title,
                body=r.body,
                link=r.link,
                created_at=r.created_at,
                read=r.read_at is not None,
            )
            for r in rows
        ],
        unread_count=unread or 0,
    )
