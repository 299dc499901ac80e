"""Intake HTTP API, community: supporting ideas and commenting on them; the innovation team
moderates comments."""

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.dialects.postgresql import insert

from construisons.auth import CurrentAgent, InnovationTeam, Principal
from construisons.db import SessionDep
from construisons.events import Person
from intake import domain
from intake.presenting import AUTH_ERRORS, NOT_FOUND, idea_state, is_team
from intake.queries import comment_page
from intake.schemas import CommentIn, CommentOut, CommentPage, HideCommentIn, SupportOut, person
from intake.tables import comments, ideas, supports

router = APIRouter(tags=["community"])


# --- supports -----------------------------------------------------------------------------

_SUPPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    403: {"description": "On ne soutient pas sa propre idée"},
    404: {"description": NOT_FOUND},
    409: {"description": "Idée retirée"},
}


async def _idea_for_support(session: Any, idea_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            sa.select(
                ideas.c.author_sub,
                ideas.c.co_authors,
                ideas.c.status,
                ideas.c.decided_at,
                ideas.c.revision,
            ).where(ideas.c.id == idea_id)
        )
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return row


@router.put(
    "/ideas/{idea_id}/support",
    summary="Soutenir une idée, une fois (tout agent sauf ses auteurs)",
    responses=_SUPPORT_ERRORS,
)
async def support_idea(idea_id: uuid.UUID, agent: CurrentAgent, session: SessionDep) -> SupportOut:
    async with session.begin():
        row = await _idea_for_support(session, idea_id)
        domain.check_can_support(idea_state(row), agent.sub)
        added = await session.execute(
            insert(supports)
            .values(idea_id=idea_id, agent_sub=agent.sub)
            .on_conflict_do_nothing()
            .returning(supports.c.idea_id)
        )
        count = await _adjust_supports(session, idea_id, 1 if added.first() else 0)
    return SupportOut(idea_id=idea_id, supported=True, support_count=count)


@router.delete(
    "/ideas/{idea_id}/support",
    summary="Retirer son soutien (tout agent)",
    responses={**AUTH_ERRORS, 404: {"description": NOT_FOUND}},
)
async def withdraw_support(
    idea_id: uuid.UUID, agent: CurrentAgent, session: SessionDep
) -> SupportOut:
    async with session.begin():
        await _idea_for_support(session, idea_id)
        removed = await session.execute(
            sa.delete(supports)
            .where(supports.c.idea_id == idea_id, supports.c.agent_sub == agent.sub)
            .returning(supports.c.idea_id)
        )
        count = await _adjust_supports(session, idea_id, -1 if removed.first() else 0)
    return SupportOut(idea_id=idea_id, supported=False, support_count=count)


async def _adjust_supports(session: Any, idea_id: uuid.UUID, delta: int) -> int:
    if delta == 0:
        count = await session.scalar(sa.select(ideas.c.support_count).where(ideas.c.id == idea_id))
    else:
        count = await session.scalar(
            sa.update(ideas)
            .where(ideas.c.id == idea_id)
            .values(support_count=ideas.c.support_count + delta)
            .returning(ideas.c.support_count)
        )
    return int(count or 0)


# --- comments -----------------------------------------------------------------------------


def _comment_out(row: Any, viewer: Principal) -> CommentOut:
    hidden = row.hidden_at is not None
    show_moderation = hidden and is_team(viewer)
    return CommentOut(
        id=row.id,
        idea_id=row.idea_id,
        author=Person.model_validate(row.author),
        body=row.body,
        created_at=row.created_at,
        hidden=hidden,
        hidden_reason=row.hidden_reason if show_moderation else None,
        hidden_by=person(row.hidden_by) if show_moderation else None,
        hidden_at=row.hidden_at if show_moderation else None,
    )


async def _require_idea(session: Any, idea_id: uuid.UUID) -> None:
    found = await session.scalar(sa.select(ideas.c.id).where(ideas.c.id == idea_id))
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)


@router.get(
    "/ideas/{idea_id}/comments",
    summary="Lire les commentaires d'une idée (tout agent ; l'équipe voit aussi les masqués)",
    responses={**AUTH_ERRORS, 404: {"description": NOT_FOUND}},
)
async def list_comments(
    idea_id: uuid.UUID,
    agent: CurrentAgent,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CommentPage:
    try:
        async with session.begin():
            await _require_idea(session, idea_id)
            rows, next_cursor = await comment_page(
                session, idea_id, include_hidden=is_team(agent), cursor=cursor, limit=limit
            )
    except domain.InvalidCursor as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "Curseur de pagination invalide : reprenez depuis la première page.",
        ) from exc
    return CommentPage(items=[_comment_out(r, agent) for r in rows], next_cursor=next_cursor)


@router.post(
    "/ideas/{idea_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Commenter une idée (tout agent)",
    responses={**AUTH_ERRORS, 404: {"description": NOT_FOUND}},
)
async def add_comment(
    idea_id: uuid.UUID, body: CommentIn, agent: CurrentAgent, session: SessionDep
) -> CommentOut:
    async with session.begin():
        bumped = await session.scalar(
            sa.update(ideas)
            .where(ideas.c.id == idea_id)
            .values(comment_count=ideas.c.comment_count + 1)
            .returning(ideas.c.id)
        )
        if bumped is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        row = (
            await session.execute(
                sa.insert(comments)
                .values(
                    id=uuid.uuid4(),
                    idea_id=idea_id,
                    author_sub=agent.sub,
                    author=agent.person.model_dump(),
                    body=body.body,
                )
                .returning(comments)
            )
        ).one()
    return _comment_out(row, agent)


@router.post(
    "/ideas/{idea_id}/comments/{comment_id}/hide",
    summary="Masquer un commentaire, avec un motif conservé (équipe innovation)",
    responses={
        **AUTH_ERRORS,
        403: {"description": "Réservé à l'équipe innovation"},
        404: {"description": "Commentaire introuvable"},
        409: {"description": "Commentaire déjà masqué"},
    },
)
async def hide_comment(
    idea_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: HideCommentIn,
    agent: InnovationTeam,
    session: SessionDep,
) -> CommentOut:
    async with session.begin():
        current = (
            await session.execute(
                sa.select(comments.c.hidden_at)
                .where(comments.c.id == comment_id, comments.c.idea_id == idea_id)
                .with_for_update()
            )
        ).first()
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Commentaire introuvable.")
        if current.hidden_at is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, "Ce commentaire est déjà masqué.")
        row = (
            await session.execute(
                sa.update(comments)
                .where(comments.c.id == comment_id)
                .values(
                    hidden_at=sa.func.now(),
                    hidden_by=agent.person.model_dump(),
                    hidden_reason=body.reason,
                )
                .returning(comments)
            )
        ).one()
        await session.execute(
            sa.update(ideas)
            .where(ideas.c.id == idea_id)
            .values(comment_count=sa.func.greatest(ideas.c.comment_count - 1, 0))
        )
    return _comment_out(row, agent)
