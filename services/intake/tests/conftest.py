"""Fixtures of the intake tests; the helpers live in intake_support (a name of its own, so
the tests of other services never import it by mistake)."""

import sys
from pathlib import Path

import httpx
import pytest

from construisons.testing import EventSpy, TestBed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_support import Board


@pytest.fixture
async def board(testbed: TestBed, intake: httpx.AsyncClient, event_spy: EventSpy) -> Board:
    # The spy's queue takes every routing key, so intake's events are routable even when
    # no other service runs in this test session.
    return Board(intake, testbed)
