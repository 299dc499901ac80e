"""Intake HTTP API: agents submit ideas, read the board, support and comment.

Every route states who may call it; each writes its change and its event in one transaction.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Header, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.dialects.postgresql import insert

from construisons.auth import INNOVATION_TEAM, CurrentAgent, InnovationTeam, Principal
from construisons.db import SessionDep
from construisons.events import IdeaSubmitted, IdeaUpdated, IdeaWithdrawn, Person
from construisons.http import Line
from construisons.messaging import emit
from intake import domain
from intake.config import Settings
from intake.queries import (
    DETAIL_COLUMNS,
    BoardFilters,
    board_page,
    comment_page,
    fetch_idea,
    fetch_timeline,
    find_similar,
    insert_idea,
)
from intake.schemas import (
    CleanLine,
    CommentIn,
    CommentOut,
    CommentPage,
    HideCommentIn,
    IdeaIn,
    IdeaOut,
    IdeaPatch,
    IdeaSummary,
    Page,
    SimilarIdea,
    SimilarPage,
    SubmittedIdea,
    SupportOut,
    ThemesOut,
    TimelineEntry,
    WithdrawIn,
    person,
)
from intake.tables import comments, idea_timeline, ideas, idempotency_keys, supports

router = APIRouter(tags=["ideas"])

NOT_FOUND = "Idée introuvable."
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Jeton absent, invalide ou expiré"},
}
IdempotencyKey = Annotated[
    Line | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Une même clé envoyée deux fois par le même agent ne crée qu'une idée.",
    ),
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _is_team(agent: Principal) -> bool:
    return agent.has_role(INNOVATION_TEAM)


def _field_error(loc: Sequence[str | int], message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *loc), "msg": message, "ctx": {"error": message}}]
    )


def _check_themes(themes: Sequence[str], allowed: Sequence[str]) -> list[str]:
    for index, theme in enumerate(themes):
        if theme not in allowed:
            raise _field_error(
                ("themes", index),
                f"Thème inconnu : « {theme} ». Thèmes possibles : {', '.join(allowed)}.",
            )
    return list(dict.fromkeys(themes))


def _co_authors(co_authors: Sequence[str], author_sub: str) -> list[str]:
    return [sub for sub in dict.fromkeys(co_authors) if sub != author_sub]


def _state(row: Any) -> domain.IdeaState:
    return domain.IdeaState(
        author_sub=row.author_sub,
        co_authors=row.co_authors,
        status=row.status,
        decided=row.decided_at is not None,
        revision=row.revision,
    )


def _refuse(violation: domain.RuleViolation) -> HTTPException:
    return HTTPException(violation.status, violation.message)


def _shown_author(row: Any, viewer: Principal) -> tuple[Person | None, list[str]]:
    if domain.may_see_author(
        show_author=row.show_author,
        author_sub=row.author_sub,
        co_authors=row.co_authors,
        viewer_sub=viewer.sub,
        viewer_is_team=_is_team(viewer),
    ):
        return person(row.author), list(row.co_authors)
    return None, []


def _timeline(row: Any, entries: Sequence[Any]) -> list[TimelineEntry]:
    timeline = [
        TimelineEntry(
            status="submitted",
            label=domain.status_label("submitted"),
            occurred_at=row.created_at,
        )
    ]
    for entry in entries:
        details = entry["details"] or {}
        timeline.append(
            TimelineEntry(
                status=entry["status"],
                label=domain.status_label(entry["status"], details),
                occurred_at=entry["occurred_at"],
                track=details.get("track"),
                directorates=details.get("directorates"),
                duplicate_of=details.get("duplicate_of"),
                reason=details.get("reason"),
            )
        )
    timeline.sort(key=lambda e: (e.occurred_at, domain.RANK.get(e.status, 0)))
    return timeline


def _status_details(row: Any) -> dict[str, Any]:
    return {"track": row.track, "directorates": row.redirected_to}


def _idea_out(
    row: Any, timeline: Sequence[Any], viewer: Principal, *, supported: bool = False
) -> IdeaOut:
    author, co_authors = _shown_author(row, viewer)
    state = _state(row)
    return IdeaOut(
        id=row.id,
        title=row.title,
        problem=row.problem,
        solution=row.solution,
        expected_benefits=row.expected_benefits,
        themes=row.themes,
        beneficiaries=row.beneficiaries,
        co_authors=co_authors,
        show_author=row.show_author,
        author=author,
        directorate=row.author_directorate if author is not None else None,
        status=row.status,
        status_label=domain.status_label(row.status, _status_details(row)),
        track=row.track,
        redirected_to=row.redirected_to,
        revision=row.revision,
        editable=domain.is_author(state, viewer.sub) and domain.is_open_for_changes(state),
        support_count=row.support_count,
        supported_by_me=supported,
        comment_count=row.comment_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        timeline=_timeline(row, timeline),
    )


def _summary(row: Any, viewer: Principal) -> IdeaSummary:
    author, _ = _shown_author(row, viewer)
    return IdeaSummary(
        id=row.id,
        title=row.title,
        excerpt=row.excerpt,
        themes=row.themes,
        beneficiaries=row.beneficiaries,
        show_author=row.show_author,
        author=author,
        directorate=row.author_directorate if author is not None else None,
        status=row.status,
        status_label=domain.status_label(row.status, {"track": row.track}),
        track=row.track,
        support_count=row.support_count,
        supported_by_me=row.supported_by_me,
        comment_count=row.comment_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _content(row: Any) -> dict[str, Any]:
    """What IdeaSubmitted and IdeaUpdated carry about the idea."""
    return {
        "idea_id": row.id,
        "title": row.title,
        "problem": row.problem,
        "solution": row.solution,
        "expected_benefits": row.expected_benefits,
        "themes": list(row.themes),
        "beneficiaries": row.beneficiaries,
        "co_authors": list(row.co_authors),
        "show_author": row.show_author,
        "author": Person.model_validate(row.author),
        "manager": person(row.manager),
    }


def _headers(idea_id: uuid.UUID, revision: int) -> dict[str, str]:
    return {"Location": f"/ideas/{idea_id}", "ETag": domain.etag(revision)}


# --- submitting ---------------------------------------------------------------------------


@router.get(
    "/themes", summary="Thèmes proposés pour les idées (tout agent)", responses=_AUTH_ERRORS
)
async def list_themes(agent: CurrentAgent, request: Request) -> ThemesOut:
    return ThemesOut(themes=_settings(request).themes)


@router.post(
    "/ideas",
    status_code=status.HTTP_201_CREATED,
    summary="Déposer une idée (tout agent)",
    response_model=SubmittedIdea,
    responses={
        **_AUTH_ERRORS,
        413: {"description": "Corps de requête trop volumineux"},
        422: {"description": "Données invalides, un message par champ"},
    },
)
async def submit_idea(
    body: IdeaIn,
    agent: CurrentAgent,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Returns the idea and the most similar existing ones; with an Idempotency-Key the
    same agent's repeated request returns the first answer and creates nothing."""
    settings = _settings(request)
    themes = _check_themes(body.themes, settings.themes)
    idea_id = uuid.uuid4()
    async with session.begin():
        if idempotency_key is not None:
            # The primary key serialises identical concurrent posts: the second waits for the
            # first to commit, then finds its answer. A key older than its time to live is
            # taken over as a new one.
            expired = idempotency_keys.c.created_at < sa.func.now() - sa.func.make_interval(
                0, 0, 0, 0, settings.idempotency_key_ttl_hours
            )
            claim = insert(idempotency_keys).values(agent_sub=agent.sub, key=idempotency_key)
            claimed = await session.execute(
                claim.on_conflict_do_update(
                    index_elements=[idempotency_keys.c.agent_sub, idempotency_keys.c.key],
                    set_={
                        "created_at": sa.func.now(),
                        "idea_id": None,
                        "status_code": None,
                        "response": None,
                    },
                    where=expired,
                ).returning(idempotency_keys.c.key)
            )
            await session.execute(
                sa.delete(idempotency_keys).where(
                    idempotency_keys.c.agent_sub == agent.sub,
                    idempotency_keys.c.key != idempotency_key,
                    expired,
                )
            )
            if claimed.first() is None:
                first = (
                    await session.execute(
                        sa.select(
                            idempotency_keys.c.idea_id,
                            idempotency_keys.c.status_code,
                            idempotency_keys.c.response,
                        ).where(
                            idempotency_keys.c.agent_sub == agent.sub,
                            idempotency_keys.c.key == idempotency_key,
                        )
                    )
                ).one()
                return JSONResponse(
                    first.response,
                    status_code=first.status_code,
                    headers={
                        **_headers(first.idea_id, first.response["revision"]),
                        "Idempotent-Replayed": "true",
                    },
                )
        row, similar = await insert_idea(
            session,
            {
                "id": idea_id,
                "title": body.title,
                "problem": body.problem,
                "solution": body.solution,
                "expected_benefits": body.expected_benefits,
                "themes": themes,
                "beneficiaries": body.beneficiaries,
                "co_authors": _co_authors(body.co_authors, agent.sub),
                "show_author": body.show_author,
                "author_sub": agent.sub,
                "author": agent.person.model_dump(),
                "author_directorate": agent.directorate,
                "manager": agent.manager.model_dump() if agent.manager else None,
                "correlation_id": idea_id,
            },
            similar_limit=settings.similar_limit,
            similar_window=settings.similar_window_on_submit,
        )
        await emit(session, IdeaSubmitted(**_content(row)), correlation_id=idea_id)
        # Serialised once, here: the same body answers a replay of the Idempotency-Key.
        answer = _idea_out(row, [], agent).model_dump(mode="json")
        answer["similar"] = [{**s, "id": str(s["id"])} for s in similar]
        if idempotency_key is not None:
            await session.execute(
                sa.update(idempotency_keys)
                .where(
                    idempotency_keys.c.agent_sub == agent.sub,
                    idempotency_keys.c.key == idempotency_key,
                )
                .values(idea_id=idea_id, status_code=status.HTTP_201_CREATED, response=answer)
            )
    return JSONResponse(answer, status_code=status.HTTP_201_CREATED, headers=_headers(idea_id, 1))


# --- the board ----------------------------------------------------------------------------


@router.get("/ideas", summary="Le tableau des idées (tout agent)", responses=_AUTH_ERRORS)
async def list_ideas(
    agent: CurrentAgent,
    session: SessionDep,
    request: Request,
    status_: Annotated[
        list[domain.Status] | None, Query(alias="status", description="Un ou plusieurs statuts.")
    ] = None,
    theme: Annotated[CleanLine | None, Query(max_length=100)] = None,
    directorate: Annotated[CleanLine | None, Query(max_length=200)] = None,
    author: Annotated[
        Literal["me"] | None, Query(description="`me` : mes idées (auteur ou co-auteur).")
    ] = None,
    mine: Annotated[bool, Query(description="Mes idées (auteur ou co-auteur).")] = False,
    q: Annotated[
        Line | None, Query(max_length=200, description="Recherche en français, sans accents.")
    ] = None,
    sort: domain.Sort = "newest",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Page:
    """Filters combine; `next_cursor` fetches the next page and stays correct while ideas are
    being added (keyset pagination)."""
    settings = _settings(request)
    filters = BoardFilters(
        statuses=status_ or (),
        theme=theme,
        directorate=directorate,
        author_sub=agent.sub if (mine or author == "me") else None,
        q=q.strip() if q and q.strip() else None,
    )
    try:
        async with session.begin():
            rows, next_cursor = await board_page(
                session,
                filters,
                sort=sort,
                cursor=cursor,
                limit=min(limit or settings.board_page_size, settings.board_max_page_size),
                viewer_sub=agent.sub,
            )
    except domain.InvalidCursor as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "Curseur de pagination invalide : reprenez depuis la première page.",
        ) from exc
    return Page(items=[_summary(row, agent) for row in rows], next_cursor=next_cursor)


@router.get(
    "/ideas/similar",
    summary="Idées probablement proches d'un texte (tout agent)",
    responses=_AUTH_ERRORS,
)
async def similar_ideas(
    agent: CurrentAgent,
    session: SessionDep,
    request: Request,
    text: Annotated[CleanLine, Query(min_length=3, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SimilarPage:
    """Best first, with a score between 0 and 1 (trigram similarity of titles, full text)."""
    async with session.begin():
        found = await find_similar(
            session, text, limit=limit, window=_settings(request).similar_window
        )
    return SimilarPage(items=[SimilarIdea(**s) for s in found])


@router.get(
    "/ideas/{idea_id}",
    summary="Consulter une idée et son historique (tout agent)",
    response_model=IdeaOut,
    responses={**_AUTH_ERRORS, 404: {"description": NOT_FOUND}},
)
async def get_idea(idea_id: uuid.UUID, agent: CurrentAgent, session: SessionDep) -> JSONResponse:
    async with session.begin():
        row = await fetch_idea(session, idea_id, agent.sub)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    out = _idea_out(row, row.timeline, agent, supported=row.supported_by_me)
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": domain.etag(row.revision)})


async def _supports(session: Any, idea_id: uuid.UUID, sub: str) -> bool:
    query = sa.select(sa.exists().where(supports.c.idea_id == idea_id, supports.c.agent_sub == sub))
    return bool(await session.scalar(query))


# --- living with an idea ------------------------------------------------------------------

_REQUIRED = ("title", "problem", "solution", "themes", "co_authors", "show_author")


@router.patch(
    "/ideas/{idea_id}",
    summary="Modifier son idée avant la décision du comité (auteur et co-auteurs)",
    response_model=IdeaOut,
    responses={
        **_AUTH_ERRORS,
        403: {"description": "L'appelant n'est ni l'auteur ni un co-auteur"},
        404: {"description": NOT_FOUND},
        409: {"description": "Le comité a décidé, ou l'idée est retirée"},
        412: {"description": "If-Match ne correspond plus à l'idée"},
        428: {"description": "If-Match absent"},
    },
)
async def edit_idea(
    idea_id: uuid.UUID,
    body: IdeaPatch,
    agent: CurrentAgent,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Optimistic concurrency: send the ETag read with the idea in If-Match."""
    changes = body.model_dump(exclude_unset=True)
    for name in _REQUIRED:
        if name in changes and changes[name] is None:
            raise _field_error((name,), "Ce champ ne peut pas être vidé.")
    if "themes" in changes:
        changes["themes"] = _check_themes(changes["themes"], _settings(request).themes)
    async with session.begin():
        row = await fetch_idea(session, idea_id, agent.sub, lock=True)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        try:
            domain.check_can_edit(_state(row), agent.sub, if_match)
        except domain.RuleViolation as violation:
            raise _refuse(violation) from violation
        if "co_authors" in changes:
            changes["co_authors"] = _co_authors(changes["co_authors"], row.author_sub)
        if changes:
            updated = (
                await session.execute(
                    sa.update(ideas)
                    .where(ideas.c.id == idea_id)
                    .values(**changes, revision=ideas.c.revision + 1, updated_at=sa.func.now())
                    .returning(*DETAIL_COLUMNS)
                )
            ).one()
            await emit(
                session,
                IdeaUpdated(**_content(updated), revision=updated.revision),
                correlation_id=updated.correlation_id,
            )
            row = updated
        timeline = await fetch_timeline(session, idea_id)
        supported = await _supports(session, idea_id, agent.sub)
    out = _idea_out(row, timeline, agent, supported=supported)
    return JSONResponse(out.model_dump(mode="json"), headers=_headers(idea_id, row.revision))


@router.post(
    "/ideas/{idea_id}/withdraw",
    summary="Retirer son idée avant la décision du comité (auteur)",
    response_model=IdeaOut,
    responses={
        **_AUTH_ERRORS,
        403: {"description": "L'appelant n'est pas l'auteur"},
        404: {"description": NOT_FOUND},
        409: {"description": "Le comité a décidé, ou l'idée est déjà retirée"},
    },
)
async def withdraw_idea(
    idea_id: uuid.UUID,
    agent: CurrentAgent,
    session: SessionDep,
    body: Annotated[WithdrawIn | None, Body()] = None,
) -> JSONResponse:
    reason = body.reason if body else None
    now = datetime.now(UTC)
    async with session.begin():
        row = await fetch_idea(session, idea_id, agent.sub, lock=True)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        try:
            domain.check_can_withdraw(_state(row), agent.sub)
        except domain.RuleViolation as violation:
            raise _refuse(violation) from violation
        row = (
            await session.execute(
                sa.update(ideas)
                .where(ideas.c.id == idea_id)
                .values(status="withdrawn", status_at=now, updated_at=now)
                .returning(*DETAIL_COLUMNS)
            )
        ).one()
        await session.execute(
            sa.insert(idea_timeline).values(
                idea_id=idea_id,
                status="withdrawn",
                occurred_at=now,
                details={"reason": reason} if reason else {},
            )
        )
        await emit(
            session,
            IdeaWithdrawn(
                idea_id=idea_id,
                title=row.title,
                author=Person.model_validate(row.author),
                co_authors=list(row.co_authors),
                reason=reason,
            ),
            correlation_id=row.correlation_id,
        )
        timeline = await fetch_timeline(session, idea_id)
        supported = await _supports(session, idea_id, agent.sub)
    out = _idea_out(row, timeline, agent, supported=supported)
    return JSONResponse(out.model_dump(mode="json"), headers=_headers(idea_id, row.revision))


# --- supports -----------------------------------------------------------------------------

_SUPPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **_AUTH_ERRORS,
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
        try:
            domain.check_can_support(_state(row), agent.sub)
        except domain.RuleViolation as violation:
            raise _refuse(violation) from violation
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
    responses={**_AUTH_ERRORS, 404: {"description": NOT_FOUND}},
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
    show_moderation = hidden and _is_team(viewer)
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
    responses={**_AUTH_ERRORS, 404: {"description": NOT_FOUND}},
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
                session, idea_id, include_hidden=_is_team(agent), cursor=cursor, limit=limit
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
    responses={**_AUTH_ERRORS, 404: {"description": NOT_FOUND}},
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
        **_AUTH_ERRORS,
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
