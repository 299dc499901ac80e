"""Intake HTTP API: agents submit ideas and read the board."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from construisons.auth import CurrentAgent
from construisons.db import SessionDep
from construisons.events import IdeaSubmitted, Person
from construisons.http import Line, Text
from construisons.messaging import emit
from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from intake.tables import ideas

router = APIRouter(tags=["ideas"])


class IdeaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Line = Field(
        min_length=5, max_length=120, examples=["Relais-colis dans nos implantations"]
    )
    problem: Text = Field(min_length=20, max_length=5000)
    solution: Text = Field(min_length=20, max_length=5000)


class IdeaOut(BaseModel):
    id: uuid.UUID
    title: str
    problem: str
    solution: str
    author: Person
    status: str
    created_at: datetime


def _idea_out(row: Any) -> IdeaOut:
    return IdeaOut(
        id=row.id,
        title=row.title,
        problem=row.problem,
        solution=row.solution,
        author=Person.model_validate(row.author),
        status=row.status,
        created_at=row.created_at,
    )


@router.post("/ideas", status_code=status.HTTP_201_CREATED, summary="Déposer une idée")
async def submit_idea(
    body: IdeaIn, agent: CurrentAgent, session: SessionDep, response: Response
) -> IdeaOut:
    idea_id = uuid.uuid4()
    async with session.begin():
        row = (
            await session.execute(
                sa.insert(ideas)
                .values(
                    id=idea_id,
                    title=body.title,
                    problem=body.problem,
                    solution=body.solution,
                    author_sub=agent.sub,
                    author=agent.person.model_dump(),
                    correlation_id=idea_id,
                )
                .returning(ideas)
            )
        ).one()
        await emit(
            session,
            IdeaSubmitted(
                idea_id=idea_id,
                title=body.title,
                problem=body.problem,
                solution=body.solution,
                author=agent.person,
                manager=agent.manager,
            ),
            correlation_id=idea_id,
        )
    response.headers["Location"] = f"/ideas/{idea_id}"
    return _idea_out(row)


@router.get("/ideas/{idea_id}", summary="Consulter une idée")
async def get_idea(idea_id: uuid.UUID, agent: CurrentAgent, session: SessionDep) -> IdeaOut:
    row = (await session.execute(sa.select(ideas).where(ideas.c.id == idea_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Idée introuvable.")
    return _idea_out(row)
