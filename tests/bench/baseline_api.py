"""Scenario 1's baseline: a bare FastAPI endpoint doing the least a submission must do.

It validates the same body as intake's `POST /ideas` and inserts one row with SQLAlchemy
into PostgreSQL, served by uvicorn exactly as the services are (`construisons.service.run_cli`):
no authentication, no outbox, no event. `DATABASE_URL` names its (already created) database.
"""

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

from construisons.http import Line, Text

metadata = sa.MetaData()
ideas = sa.Table(
    "baseline_ideas",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("solution", sa.Text, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)


class IdeaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Line = Field(min_length=5, max_length=120)
    problem: Text = Field(min_length=20, max_length=5000)
    solution: Text = Field(min_length=20, max_length=5000)


def create_app() -> FastAPI:
    # Intake's pool (construisons.db.create_engine: no overflow, connections kept, no
    # pre-ping), of the size the benchmark gives it: intake's own.
    engine = create_async_engine(
        os.environ["DATABASE_URL"],
        pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "10")),
        max_overflow=0,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/ideas", status_code=status.HTTP_201_CREATED)
    async def submit(body: IdeaIn) -> dict[str, uuid.UUID]:
        idea_id = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(ideas).values(
                    id=idea_id, title=body.title, problem=body.problem, solution=body.solution
                )
            )
        return {"id": idea_id}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        "baseline_api:create_app", factory=True, host=args.host, port=args.port, log_level="warning"
    )
