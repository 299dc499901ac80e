"""Fixtures of the review tests; the helpers live in review_support."""

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from construisons.testing import EventSpy, TestBed, serve

sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_support import Desk, Tuned


@pytest.fixture
async def desk(testbed: TestBed, review: httpx.AsyncClient) -> Desk:
    return Desk(review, testbed)


# Criteria of the tuned world: two more criteria, with weights, besides the mandatory ones.
TUNED_CRITERIA = [
    {"key": "strategic_impact", "label": "Impact stratégique", "axis": "impact", "weight": 2},
    {"key": "user_value", "label": "Valeur pour les usagers", "axis": "impact", "weight": 1},
    {"key": "feasibility", "label": "Faisabilité", "axis": "feasibility", "weight": 1},
    {"key": "cost", "label": "Coût maîtrisé", "axis": "feasibility", "weight": 3},
]


@pytest.fixture(scope="session")
async def tuned(database_admin_url: str, rabbitmq_url: str) -> AsyncIterator[Tuned]:
    """Review with custom criteria, a committee of three and a fast overdue watch.

    Its own test bed (databases, exchange, queues) keeps its events and background work
    away from the shared review service.
    """
    from review.config import Settings
    from review.main import create_app

    bed = TestBed(database_admin_url, rabbitmq_url)
    spy = EventSpy(rabbitmq_url, bed.exchange)
    await spy.start()
    try:
        await bed.migrate("review")
        settings = bed.settings(
            Settings,
            scoring_criteria=json.loads(json.dumps(TUNED_CRITERIA)),
            committee_size=3,
            overdue_scan_interval_seconds=0.3,
        )
        async with serve(create_app(settings)) as client:
            yield Tuned(Desk(client, bed), spy)
    finally:
        await spy.stop()
        await bed.cleanup()
