"""Fixtures for every test of the repository: each service running in-process on the test bed.

The generic ones (test bed, event spy, helpers) come from the `construisons.testing` plugin.
"""

import importlib
from collections.abc import AsyncIterator

import httpx
import pytest
from construisons.testing import TestBed, serve


async def _running(testbed: TestBed, service: str) -> AsyncIterator[httpx.AsyncClient]:
    await testbed.migrate(service)
    config = importlib.import_module(f"{service}.config")
    main = importlib.import_module(f"{service}.main")
    async with serve(main.create_app(testbed.settings(config.Settings))) as client:
        yield client


@pytest.fixture(scope="session")
async def intake(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "intake"):
        yield client


@pytest.fixture(scope="session")
async def review(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "review"):
        yield client


@pytest.fixture(scope="session")
async def incubation(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "incubation"):
        yield client


@pytest.fixture(scope="session")
async def notifications(testbed: TestBed) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _running(testbed, "notifications"):
        yield client
