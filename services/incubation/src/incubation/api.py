"""Incubation HTTP API: projects, their team, workstreams and time allocations."""

import uuid

import sqlalchemy as sa
from construisons.auth import CurrentAgent
from construisons.db import SessionDep
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from incubation.tables import projects

router = APIRouter(tags=["projects"])


class ProjectPublic(BaseModel):
    id: uuid.UUID
    idea_id: uuid.UUID
    title: str
    phase: str
    track: str


@router.get("/projects/{project_id}", summary="Consulter un projet")
async def get_project(project_id: uuid.UUID, _: CurrentAgent, session: SessionDep) -> ProjectPublic:
    row = (await session.execute(sa.select(projects).where(projects.c.id == project_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Projet introuvable.")
    return ProjectPublic(
        id=row.id, idea_id=row.idea_id, title=row.title, phase=row.phase, track=row.track
    )
