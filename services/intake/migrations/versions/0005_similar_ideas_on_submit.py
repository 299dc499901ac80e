"""similar ideas on submission, planned once per connection

The similar-ideas part of each submission becomes a PL/pgSQL function. PL/pgSQL keeps the
function's plan for the whole connection. The statement used to be planned again on every
submission, and the planning cost a quarter of PostgreSQL's CPU per submission. A plan
that is kept must not depend on how big the board was when it was made: a plan made on an
empty board would scan every idea once the board has grown (14 ms at 20,000 ideas instead
of 0.5 ms). So the text's terms are computed first into variables, which leaves no join
order to choose, and sequential scans are ruled out inside the function.

Trigram similarity is the costly part of the ranking (about 7 microseconds per candidate).
It is computed only for the candidates that share the most words with the text, as many as
the answer asks for and five more. Each idea comes once, best first: the answer is the
function's whole result.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # STABLE: the function reads the board as the calling statement sees it, so the idea
    # that the same statement inserts is not among its own similar ideas.
    op.execute(
        """
        CREATE FUNCTION similar_ideas_on_submit(sim_text text, sim_window int, sim_limit int)
        RETURNS json
        LANGUAGE plpgsql STABLE
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
        AS $fn$
        DECLARE
            key text := lower(immutable_unaccent(sim_text));
            q_all tsquery := plainto_tsquery('french'::regconfig, immutable_unaccent(sim_text));
            -- tsquery::text is a valid tsquery: swapping its ANDs for ORs keeps it valid.
            q_any tsquery := CASE WHEN numnode(q_all) > 0
                                  THEN replace(q_all::text, ' & ', ' | ')::tsquery END;
            -- a tsvector holds each lexeme once
            lexemes text[] := tsvector_to_array(to_tsvector('french'::regconfig,
                                                            immutable_unaccent(sim_text)));
        BEGIN
            RETURN (
                WITH candidates AS (
                    (SELECT i.id, i.title, i.status, i.created_at, i.title_key, i.search
                       FROM ideas i
                      WHERE i.title_key = key
                      LIMIT 5)
                    UNION ALL
                    (SELECT r.id, r.title, r.status, r.created_at, r.title_key, r.search
                       FROM (SELECT id, title, status, created_at, title_key, search
                               FROM ideas ORDER BY created_at DESC LIMIT sim_window) AS r
                      WHERE r.search @@ q_any)
                ),
                most_words AS (
                    -- each idea once (both branches may find it), with the share of the
                    -- words found: the idea's lexemes less those left once the text's
                    -- are deleted
                    SELECT *
                      FROM (SELECT DISTINCT ON (c.id) c.*,
                                   (length(c.search)
                                    - length(ts_delete(c.search, lexemes)))::float
                                       / greatest(cardinality(lexemes), 1) AS share
                              FROM candidates c
                             ORDER BY c.id) AS d
                     ORDER BY share DESC, created_at DESC
                     LIMIT sim_limit + 5
                ),
                ranked AS (
                    SELECT m.id, m.title, m.status, m.created_at,
                           0.5 * similarity(m.title_key, key) + 0.5 * m.share AS score
                      FROM most_words m
                     ORDER BY score DESC, m.created_at DESC
                     LIMIT sim_limit
                )
                SELECT coalesce(json_agg(json_build_object('id', id, 'title', title,
                                                           'status', status, 'score', score)
                                         ORDER BY score DESC, created_at DESC),
                                '[]'::json)
                  FROM ranked
                 WHERE score > 0
            );
        END
        $fn$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION similar_ideas_on_submit(text, int, int)")
