"""Review HTTP API: the innovation team's and the committee's work on cases."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from construisons.auth import TeamOrCommittee
from construisons.db import SessionDep
from construisons.events import Person
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from review.tables import cases

router = APIRouter(tags=["cases"])


class CaseOut(BaseModel):
    idea_id: uuid.UUID
    title: str
    problem: str
    solution: str
    author: Person
    status: str
    submitted_at: datetime


def _case_out(row: Any) -> CaseOut:
    return CaseOut(
        idea_id=row.idea_id,
        title=row.title,
        problem=row.problem,
        solution=row.solution,
        author=Person.model_validate(row.author),
        status=row.status,
        submitted_at=row.submitted_at,
    )


@router.get("/cases/{idea_id}", summary="Consulter un dossier")
async def get_case(idea_id: uuid.UUID, _: TeamOrCommittee, session: SessionDep) -> CaseOut:
    row = (await session.execute(sa.select(cases).where(cases.c.idea_id == idea_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Dossier introuvable.")
    return _case_out(row)
