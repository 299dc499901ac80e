"""Intake HTTP API, ideas: agents submit ideas, read the board, edit or withdraw their own.

Every route states who may call it; each writes its change and its event in one transaction.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Header, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.auth import CurrentAgent, Principal
from construisons.db import SessionDep, SessionsDep
from construisons.events import IdeaUpdated, IdeaWithdrawn, Person
from construisons.http import Line
from construisons.messaging import emit
from intake import domain
from intake.presenting import (
    AUTH_ERRORS,
    NOT_FOUND,
    check_themes,
    co_authors_of,
    content,
    field_error,
    headers_of,
    idea_out,
    idea_state,
    settings_of,
    summary,
)
from intake.queries import (
    DETAIL_COLUMNS,
    BoardFilters,
    board_page,
    fetch_idea,
    fetch_timeline,
    find_similar,
    insert_idea,
    insert_idea_alone,
    submit_params,
)
from intake.schemas import (
    CleanLine,
    IdeaIn,
    IdeaOut,
    IdeaPatch,
    Page,
    SimilarIdea,
    SimilarPage,
    SubmittedIdea,
    ThemesOut,
    WithdrawIn,
)
from intake.tables import idea_timeline, ideas, idempotency_keys, supports

router = APIRouter(tags=["ideas"])

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


# --- submitting ---------------------------------------------------------------------------


@router.get("/themes", summary="Thèmes proposés pour les idées (tout agent)", responses=AUTH_ERRORS)
async def list_themes(agent: CurrentAgent, request: Request) -> ThemesOut:
    return ThemesOut(themes=settings_of(request).themes)


@router.post(
    "/ideas",
    status_code=status.HTTP_201_CREATED,
    summary="Déposer une idée (tout agent)",
    response_model=SubmittedIdea,
    responses={
        **AUTH_ERRORS,
        413: {"description": "Corps de requête trop volumineux"},
        422: {"description": "Données invalides, un message par champ"},
    },
)
async def submit_idea(
    body: IdeaIn,
    agent: CurrentAgent,
    sessions: SessionsDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Returns the idea and the most similar existing ones; with an Idempotency-Key the
    same agent's repeated request returns the first answer and creates nothing."""
    settings = settings_of(request)
    themes = check_themes(body.themes, settings.themes)
    idea_id = uuid.uuid4()
    idea: dict[str, Any] = {
        "title": body.title,
        "problem": body.problem,
        "solution": body.solution,
        "expected_benefits": body.expected_benefits,
        "themes": themes,
        "beneficiaries": body.beneficiaries,
        "co_authors": co_authors_of(body.co_authors, agent.sub),
        "show_author": body.show_author,
    }
    params = submit_params(
        idea_id,
        idea,
        author=agent.person,
        manager=agent.manager,
        producer=sessions.producer,
        similar_limit=settings.similar_limit,
        similar_window=settings.similar_window_on_submit,
    )
    if idempotency_key is None:
        # One statement writes the idea and its event: atomic on its own.
        row, similar = await insert_idea_alone(sessions, params, settings.similar_limit)
        return Response(
            submitted_answer(row, similar, agent).model_dump_json(),
            status_code=status.HTTP_201_CREATED,
            headers=headers_of(idea_id, 1),
            media_type="application/json",
        )
    async with sessions.begin() as session:
        replayed = await claim_idempotency_key(
            session, agent.sub, idempotency_key, settings.idempotency_key_ttl_hours
        )
        if replayed is not None:
            return replayed
        row, similar = await insert_idea(session, params, settings.similar_limit)
        # Serialised once, here: the same body answers a replay of the Idempotency-Key.
        answer = submitted_answer(row, similar, agent).model_dump(mode="json")
        await session.execute(
            sa.update(idempotency_keys)
            .where(
                idempotency_keys.c.agent_sub == agent.sub,
                idempotency_keys.c.key == idempotency_key,
            )
            .values(idea_id=idea_id, status_code=status.HTTP_201_CREATED, response=answer)
        )
    return JSONResponse(answer, status_code=status.HTTP_201_CREATED, headers=headers_of(idea_id, 1))


def submitted_answer(row: Any, similar: list[dict[str, Any]], agent: Principal) -> SubmittedIdea:
    """The body answering a submission: the idea as its author sees it, and similar ones."""
    # Both parts are validated models already: assembled as they are.
    return SubmittedIdea.model_construct(
        **dict(idea_out(row, [], agent)), similar=[SimilarIdea(**s) for s in similar]
    )


async def claim_idempotency_key(
    session: AsyncSession, agent_sub: str, key: str, ttl_hours: int
) -> JSONResponse | None:
    """Claim an agent's Idempotency-Key in the caller's transaction; the first answer given
    with it if it was already used.

    The primary key serialises identical concurrent posts: the second waits for the first to
    commit, then finds its answer. A key older than its time to live is taken over as new.
    """
    expired = idempotency_keys.c.created_at < sa.func.now() - sa.func.make_interval(
        0, 0, 0, 0, ttl_hours
    )
    claim = insert(idempotency_keys).values(agent_sub=agent_sub, key=key)
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
            idempotency_keys.c.agent_sub == agent_sub, idempotency_keys.c.key != key, expired
        )
    )
    if claimed.first() is not None:
        return None
    first = (
        await session.execute(
            sa.select(
                idempotency_keys.c.idea_id,
                idempotency_keys.c.status_code,
                idempotency_keys.c.response,
            ).where(idempotency_keys.c.agent_sub == agent_sub, idempotency_keys.c.key == key)
        )
    ).one()
    return JSONResponse(
        first.response,
        status_code=first.status_code,
        headers={
            **headers_of(first.idea_id, first.response["revision"]),
            "Idempotent-Replayed": "true",
        },
    )


# --- the board ----------------------------------------------------------------------------


@router.get("/ideas", summary="Le tableau des idées (tout agent)", responses=AUTH_ERRORS)
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
    settings = settings_of(request)
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
    return Page(items=[summary(row, agent) for row in rows], next_cursor=next_cursor)


@router.get(
    "/ideas/similar",
    summary="Idées probablement proches d'un texte (tout agent)",
    responses=AUTH_ERRORS,
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
            session, text, limit=limit, window=settings_of(request).similar_window
        )
    return SimilarPage(items=[SimilarIdea(**s) for s in found])


@router.get(
    "/ideas/{idea_id}",
    summary="Consulter une idée et son historique (tout agent)",
    response_model=IdeaOut,
    responses={**AUTH_ERRORS, 404: {"description": NOT_FOUND}},
)
async def get_idea(idea_id: uuid.UUID, agent: CurrentAgent, session: SessionDep) -> JSONResponse:
    async with session.begin():
        row = await fetch_idea(session, idea_id, agent.sub)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    out = idea_out(row, row.timeline, agent, supported=row.supported_by_me)
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
        **AUTH_ERRORS,
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
            raise field_error((name,), "Ce champ ne peut pas être vidé.")
    if "themes" in changes:
        changes["themes"] = check_themes(changes["themes"], settings_of(request).themes)
    async with session.begin():
        row = await fetch_idea(session, idea_id, agent.sub, lock=True)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        domain.check_can_edit(idea_state(row), agent.sub, if_match)
        if "co_authors" in changes:
            changes["co_authors"] = co_authors_of(changes["co_authors"], row.author_sub)
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
                IdeaUpdated(**content(updated), revision=updated.revision),
                correlation_id=updated.correlation_id,
            )
            row = updated
        timeline = await fetch_timeline(session, idea_id)
        supported = await _supports(session, idea_id, agent.sub)
    out = idea_out(row, timeline, agent, supported=supported)
    return JSONResponse(out.model_dump(mode="json"), headers=headers_of(idea_id, row.revision))


@router.post(
    "/ideas/{idea_id}/withdraw",
    summary="Retirer son idée avant la décision du comité (auteur)",
    response_model=IdeaOut,
    responses={
        **AUTH_ERRORS,
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
        domain.check_can_withdraw(idea_state(row), agent.sub)
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
    out = idea_out(row, timeline, agent, supported=supported)
    return JSONResponse(out.model_dump(mode="json"), headers=headers_of(idea_id, row.revision))
