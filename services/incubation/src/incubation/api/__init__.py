"""Incubation HTTP API: projects, their team, workstreams, journal and time allocations."""

from fastapi import APIRouter

from incubation.api import projects, time, work

router = APIRouter()
router.include_router(projects.router)
router.include_router(work.router)
router.include_router(time.router)
