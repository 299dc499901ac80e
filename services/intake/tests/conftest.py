"""Fixtures of the intake tests; the helpers live in intake_support (a name of its own, so
the tests of other services never import it by mistake)."""

import sys
from pathlib import Path

import httpx
import pytest

from construisons.testing import TestBed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_support import Board


@pytest.fixture
async def board(testbed: TestBed, intake: httpx.AsyncClient) -> Board:
    return Board(intake, testbed)
