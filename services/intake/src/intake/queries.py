"""The SQL the intake service runs (SQLAlchemy Core): board pages, one idea, similar ideas."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, UUID, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from construisons.db import DriverStatement, Sessions, events_written
from construisons.events import IdeaSubmitted, Person
from construisons.messaging import OUTBOX_INSERT, outbox_params
from intake.domain import InvalidCursor, decode_cursor, encode_cursor
from intake.tables import comments, idea_timeline, ideas, supports

EXCERPT_LENGTH = 280

Row: TypeAlias = sa.Row[*tuple[Any, ...]]

# Everything but the generated search columns, which only the database reads.
DETAIL_COLUMNS = [c for c in ideas.c if c.name not in ("search", "title_key")]


def _supported_by(viewer_sub: str) -> sa.ColumnElement[bool]:
    return (
        sa.exists()
        .where(supports.c.idea_id == ideas.c.id, supports.c.agent_sub == viewer_sub)
        .label("supported_by_me")
    )


def french_query(text: str) -> sa.ColumnElement[Any]:
    """A tsquery from what an agent typed: French stemming, accents ignored.

    The text goes into the statement as a literal (escaped), not as a parameter: each
    search is then planned knowing its words. A plan made for any words (PostgreSQL's
    generic plan, reused once a prepared statement has run five times) cannot tell rare
    words, best found through the full-text index, from common ones, best found walking
    the newest ideas, and the wrong choice grows with the board.
    """
    return sa.func.websearch_to_tsquery(
        sa.literal_column("'french'::regconfig"),
        sa.func.immutable_unaccent(sa.bindparam(None, text, type_=sa.Text, literal_execute=True)),
    )


def _timeline_of_idea() -> sa.ScalarSelect[Any]:
    entry = sa.func.json_build_object(
        "status",
        idea_timeline.c.status,
        "occurred_at",
        idea_timeline.c.occurred_at,
        "details",
        idea_timeline.c.details,
    )
    return (
        sa.select(
            sa.func.coalesce(
                sa.func.json_agg(
                    aggregate_order_by(entry, idea_timeline.c.occurred_at, idea_timeline.c.id)
                ),
                sa.literal_column("'[]'::json"),
            )
        )
        .where(idea_timeline.c.idea_id == ideas.c.id)
        .scalar_subquery()
    )


async def fetch_idea(
    session: AsyncSession, idea_id: uuid.UUID, viewer_sub: str, *, lock: bool = False
) -> Row | None:
    """One idea with whether the viewer supports it and its timeline entries, read in one
    statement so that both come from the same snapshot; `lock` holds the idea."""
    query = sa.select(
        *DETAIL_COLUMNS, _supported_by(viewer_sub), _timeline_of_idea().label("timeline")
    ).where(ideas.c.id == idea_id)
    if lock:
        query = query.with_for_update(of=ideas)
    return (await session.execute(query)).first()


async def fetch_timeline(session: AsyncSession, idea_id: uuid.UUID) -> list[dict[str, Any]]:
    """The idea's timeline entries, oldest first."""
    rows = await session.execute(
        sa.select(idea_timeline.c.status, idea_timeline.c.occurred_at, idea_timeline.c.details)
        .where(idea_timeline.c.idea_id == idea_id)
        .order_by(idea_timeline.c.occurred_at, idea_timeline.c.id)
    )
    return [dict(row) for row in rows.mappings()]


_SIMILAR_TERMS = """
    WITH terms AS MATERIALIZED (
        SELECT p.t, p.q_all, p.lexemes,
               -- tsquery::text is a valid tsquery: swapping its ANDs for ORs keeps it valid.
               CASE WHEN numnode(p.q_all) > 0
                    THEN replace(p.q_all::text, ' & ', ' | ')::tsquery
               END AS q_any
          FROM (SELECT lower(immutable_unaccent(:sim_text)) AS t,
                       plainto_tsquery('french'::regconfig, immutable_unaccent(:sim_text)) AS q_all,
                       ARRAY(SELECT DISTINCT lexeme
                               FROM unnest(to_tsvector('french'::regconfig,
                                                       immutable_unaccent(:sim_text))))
                           AS lexemes) AS p
    ),
    candidates AS (
        (SELECT i.id, i.title, i.status, i.created_at, i.title_key, i.search
           FROM ideas i, terms
          WHERE i.title_key = terms.t
          LIMIT 5)
        UNION ALL
        (SELECT r.id, r.title, r.status, r.created_at, r.title_key, r.search
           FROM (SELECT id, title, status, created_at, title_key, search
                   FROM ideas ORDER BY created_at DESC LIMIT :sim_window) AS r, terms
          WHERE r.search @@ terms.q_any)
"""
# Ideas holding every word: 50 of the 1,000 most recent when the words are that common,
# else 50 of any age through the full-text index. The index hands over every match before
# any LIMIT, so it is asked only when matches are rare: the cost stays flat as the board
# grows (at 100,000 ideas, common words made it read 15,000 matches for 50).
_ALL_WORDS_BRANCH = """
        UNION ALL
        (WITH recent AS (
             SELECT r.id, r.title, r.status, r.created_at, r.title_key, r.search
               FROM (SELECT id, title, status, created_at, title_key, search
                       FROM ideas ORDER BY created_at DESC LIMIT 1000) AS r, terms
              WHERE numnode(terms.q_all) > 0 AND r.search @@ terms.q_all
              LIMIT 50)
         SELECT * FROM recent
         UNION ALL
         (SELECT i.id, i.title, i.status, i.created_at, i.title_key, i.search
            FROM ideas i, terms
           WHERE numnode(terms.q_all) > 0 AND i.search @@ terms.q_all
             AND (SELECT count(*) FROM recent) < 50
           LIMIT 50))
"""
_SIMILAR_RANKING = """
    )
    SELECT c.id, c.title, c.status, c.created_at,
           0.5 * similarity(c.title_key, terms.t)
           -- the words found: the idea's lexemes less those left once the text's are deleted
           + 0.5 * (length(c.search) - length(ts_delete(c.search, terms.lexemes)))::float
                   / greatest(cardinality(terms.lexemes), 1) AS score
      FROM candidates c, terms
     ORDER BY score DESC, c.created_at DESC
     LIMIT :sim_limit
"""
_SIMILAR_THOROUGH = _SIMILAR_TERMS + _ALL_WORDS_BRANCH + _SIMILAR_RANKING


def _similar_select(sql: str) -> sa.TextualSelect:
    return sa.text(sql).columns(
        sa.column("id", UUID(as_uuid=True)),
        sa.column("title", sa.Text),
        sa.column("status", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("score", sa.Float),
    )


# Built once: a statement constructed on each request costs more CPU than running it.
_THOROUGH = _similar_select(_SIMILAR_THOROUGH)


def _similar_params(text: str, *, limit: int, window: int) -> dict[str, Any]:
    # Rows may repeat across the candidate branches: ask for more, keep the distinct best.
    return {"sim_text": text, "sim_window": window, "sim_limit": limit * 3}


def best_similar(rows: Iterable[Any], limit: int) -> list[dict[str, Any]]:
    """The first `limit` distinct ideas of ranked rows (mappings), with a rounded score."""
    seen: set[str] = set()
    found: list[dict[str, Any]] = []
    for row in rows:
        key = str(row["id"])
        if key in seen or row["score"] <= 0:
            continue
        seen.add(key)
        found.append(
            {
                "id": row["id"],
                "title": row["title"],
                "status": row["status"],
                "score": round(float(row["score"]), 3),
            }
        )
    return found[:limit]


async def find_similar(
    session: AsyncSession, text: str, *, limit: int, window: int
) -> list[dict[str, Any]]:
    """Likely duplicates of `text`, scored by title trigram similarity and by the share of
    the text's words (French stems, no accents) found in the idea; best first.

    Candidates: ideas of the same title (any age, by index); among the `window` most recent
    ideas, those holding any of the words; 50 ideas holding every word (of any age through
    the full-text index when such ideas are rare, else among the 1,000 most recent).
    """
    rows = await session.execute(_THOROUGH, _similar_params(text, limit=limit, window=window))
    return best_similar(rows.mappings(), limit)


INSERTED_COLUMNS = (
    "id",
    "title",
    "problem",
    "solution",
    "expected_benefits",
    "themes",
    "beneficiaries",
    "co_authors",
    "show_author",
    "author_sub",
    "author",
    "author_directorate",
    "manager",
    "correlation_id",
)
_INSERTED = (
    sa.insert(ideas)
    # Parameters named apart from any column: an INSERT also takes the parameters that bear
    # a column's name, and "id" would otherwise be given to the outbox row too.
    .values(
        {name: sa.bindparam(f"new_{name}", type_=ideas.c[name].type) for name in INSERTED_COLUMNS}
    )
    .returning(*DETAIL_COLUMNS)
    .cte("inserted")
)
_EMITTED = OUTBOX_INSERT.cte("emitted")
# The similar ideas, from a function of the database (migration 0005) so that PostgreSQL
# plans that part once per connection, not once per submission.
_SIMILAR_ON_SUBMIT = sa.func.similar_ideas_on_submit(
    sa.bindparam("sim_text", type_=sa.Text),
    sa.bindparam("sim_window", type_=sa.Integer),
    sa.bindparam("sim_limit", type_=sa.Integer),
    type_=JSON,
)
_SUBMIT = sa.select(_INSERTED, _SIMILAR_ON_SUBMIT.label("similar")).select_from(
    _INSERTED.join(_EMITTED, sa.true())
)


# The busiest statement, run by the driver itself on the route without Idempotency-Key.
SUBMIT = DriverStatement.compile(_SUBMIT)


def submit_params(
    idea_id: uuid.UUID,
    idea: dict[str, Any],
    *,
    author: Person,
    manager: Person | None,
    producer: str,
    similar_limit: int,
    similar_window: int,
) -> dict[str, Any]:
    """The parameters of the submission statement: the idea (`idea` holds what its author
    wrote, checked), its IdeaSubmitted event and the search of the existing ideas closest
    to its title."""
    submitted = IdeaSubmitted(idea_id=idea_id, **idea, author=author, manager=manager)
    _, outbox = outbox_params(submitted, producer=producer, correlation_id=idea_id)
    values = {
        **idea,
        "id": idea_id,
        "author_sub": author.sub,
        "author": author.model_dump(),
        "author_directorate": author.directorate,
        "manager": manager.model_dump() if manager else None,
        "correlation_id": idea_id,
    }
    return {
        **{f"new_{name}": value for name, value in values.items()},
        **outbox,
        # The function answers each idea once, best first: no more rows than shown.
        "sim_text": idea["title"],
        "sim_window": similar_window,
        "sim_limit": similar_limit,
    }


async def insert_idea(
    session: AsyncSession, params: dict[str, Any], similar_limit: int
) -> tuple[Row, list[dict[str, Any]]]:
    """Insert an idea with its event and find the existing ideas closest to its title, in
    one statement (parameters from `submit_params`) inside the session's transaction: the
    search reads the board as it was before the insert.

    The search is the quick form, in the database's similar_ideas_on_submit (migration
    0005): same title (any age, by index) and, among the `similar_window` most recent ideas,
    those holding any of the words; trigram similarity ranks only those sharing the most
    words. Its cost does not grow with the board, which keeps it affordable on each
    submission.
    """
    row = (await session.execute(_SUBMIT, params)).one()
    events_written(session)
    return row, best_similar(row.similar, similar_limit)


async def insert_idea_alone(
    sessions: Sessions, params: dict[str, Any], similar_limit: int
) -> tuple[Any, list[dict[str, Any]]]:
    """`insert_idea` as a statement of its own, committed as it runs (no transaction to
    open and commit: two round trips fewer), through the driver (see DriverStatement)."""
    async with sessions.driver(writes_events=True) as connection:
        record = await connection.fetchrow(SUBMIT.sql, *SUBMIT.args(params))
    row = SimpleNamespace(**record)
    return row, best_similar(row.similar, similar_limit)


@dataclass(frozen=True)
class BoardFilters:
    statuses: Sequence[str] = ()
    theme: str | None = None
    directorate: str | None = None
    author_sub: str | None = None
    q: str | None = None


_SORT_KEYS: dict[str, tuple[sa.Column[Any], ...]] = {
    "newest": (ideas.c.created_at, ideas.c.id),
    "most_supported": (ideas.c.support_count, ideas.c.created_at, ideas.c.id),
    "recently_changed": (ideas.c.updated_at, ideas.c.id),
}


def _cursor_values(sort: str, cursor: str) -> list[Any]:
    raw = decode_cursor(cursor, sort)
    columns = _SORT_KEYS[sort]
    if len(raw) != len(columns):
        raise InvalidCursor(cursor)
    values: list[Any] = []
    try:
        for column, value in zip(columns, raw, strict=True):
            if column is ideas.c.id:
                values.append(uuid.UUID(value))
            elif column is ideas.c.support_count:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InvalidCursor(cursor)
                values.append(value)
            else:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise InvalidCursor(cursor)
                values.append(parsed)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidCursor(cursor) from exc
    return values


async def board_page(
    session: AsyncSession,
    filters: BoardFilters,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
    viewer_sub: str,
) -> tuple[Sequence[Row], str | None]:
    """One page of the board and the cursor of the next one (keyset: O(page), stable)."""
    keys = _SORT_KEYS[sort]
    query = sa.select(
        ideas.c.id,
        ideas.c.title,
        sa.func.substr(ideas.c.problem, 1, EXCERPT_LENGTH).label("excerpt"),
        ideas.c.themes,
        ideas.c.beneficiaries,
        ideas.c.show_author,
        ideas.c.author_sub,
        ideas.c.author,
        ideas.c.co_authors,
        ideas.c.author_directorate,
        ideas.c.status,
        ideas.c.track,
        ideas.c.support_count,
        ideas.c.comment_count,
        ideas.c.created_at,
        ideas.c.updated_at,
        _supported_by(viewer_sub),
    )
    if filters.statuses:
        query = query.where(ideas.c.status.in_(list(filters.statuses)))
    if filters.theme:
        query = query.where(ideas.c.themes.contains([filters.theme]))
    if filters.directorate:
        query = query.where(ideas.c.author_directorate == filters.directorate)
    if filters.author_sub:
        query = query.where(
            sa.or_(
                ideas.c.author_sub == filters.author_sub,
                ideas.c.co_authors.contains([filters.author_sub]),
            )
        )
    if filters.q:
        query = query.where(ideas.c.search.bool_op("@@")(french_query(filters.q)))
    if cursor is not None:
        query = query.where(sa.tuple_(*keys) < sa.tuple_(*_cursor_values(sort, cursor)))
    query = query.order_by(*(key.desc() for key in keys)).limit(limit + 1)
    rows = (await session.execute(query)).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(sort, [getattr(last, key.name) for key in keys])


async def comment_page(
    session: AsyncSession,
    idea_id: uuid.UUID,
    *,
    include_hidden: bool,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Row], str | None]:
    """Comments oldest first, keyset-paginated on (created_at, id)."""
    query = sa.select(comments).where(comments.c.idea_id == idea_id)
    if not include_hidden:
        query = query.where(comments.c.hidden_at.is_(None))
    if cursor is not None:
        raw = decode_cursor(cursor, "comments")
        try:
            created_at, comment_id = datetime.fromisoformat(raw[0]), uuid.UUID(raw[1])
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise InvalidCursor(cursor) from exc
        if created_at.tzinfo is None:
            raise InvalidCursor(cursor)
        query = query.where(
            sa.tuple_(comments.c.created_at, comments.c.id) > sa.tuple_(created_at, comment_id)
        )
    query = query.order_by(comments.c.created_at, comments.c.id).limit(limit + 1)
    rows = (await session.execute(query)).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor("comments", [rows[-1].created_at, str(rows[-1].id)])
