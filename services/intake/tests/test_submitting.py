"""Submitting an idea: what the form gets back, what downstream services receive."""

import asyncio

from construisons.events import IdeaSubmitted
from construisons.testing import EventSpy

from intake_support import Board, idea_body, unique


async def test_submitted_idea_is_returned_with_its_location(board: Board) -> None:
    author = board.agent()
    idea = await board.submit(author)
    assert idea["status"] == "submitted"
