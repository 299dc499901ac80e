"""PostgreSQL's CPU per submission, one connection, nothing else running against it.

`uv run --frozen python tests/bench/submission_cost.py` creates a database of its own,
migrates it as intake does, fills the board with `--board` ideas through the submission
statement itself, then runs each statement below `--runs` times on one connection and
prints the CPU its server process spent per run (read from `/proc/<backend pid>/stat`, so
PostgreSQL must run on this machine; the kernel counts it in ticks of 10 ms, so take a
thousand runs or more for a figure). The database is dropped at the end.

The statements: the whole submission (`intake.queries.SUBMIT`: the idea, its event and
its similar ideas), the similar ideas alone (`similar_ideas_on_submit`), and `SELECT 1`,
the cost of a round trip that does nothing. The README's performance section quotes it.
"""

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from run import ROOT, idea_bodies, proc_cpu_seconds

from construisons.db import asyncpg_dsn
from construisons.events import Person
from intake.config import Settings
from intake.queries import SUBMIT, submit_params

BODIES = idea_bodies(400)
SETTINGS = Settings()


def submission(i: int) -> list[Any]:
    """The submission statement's arguments for the i-th idea, as intake builds them."""
    body = BODIES[i % len(BODIES)]
    idea_id = uuid.uuid4()
    author = Person(sub=f"bench.cost.{i % 50}", name="Agent", email="agent@d.example")
    idea: dict[str, Any] = {
        "title": body["title"],
        "problem": body["problem"],
        "solution": body["solution"],
        "expected_benefits": None,
        "themes": [],
        "beneficiaries": None,
        "co_authors": [],
        "show_author": True,
    }
    params = submit_params(
        idea_id,
        idea,
        author=author,
        manager=None,
        producer="intake",
        similar_limit=SETTINGS.similar_limit,
        similar_window=SETTINGS.similar_window_on_submit,
    )
    return SUBMIT.args(params)


STATEMENTS: dict[str, tuple[str, Callable[[int], list[Any]]]] = {
    "submission": (SUBMIT.sql, submission),
    "similar ideas alone": (
        "SELECT similar_ideas_on_submit($1, $2, $3)",
        lambda i: [
            BODIES[i % len(BODIES)]["title"],
            SETTINGS.similar_window_on_submit,
            SETTINGS.similar_limit,
        ],
    ),
    "SELECT 1": ("SELECT 1", lambda i: []),
}


async def measure(server_url: str, board: int, runs: int) -> None:
    database = f"bench_cost_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(f"{server_url}/postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        url = f"{server_url}/{database}"
        migrate = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "intake",
            "migrate",
            env={**os.environ, "DATABASE_URL": url},
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await migrate.communicate()
        if migrate.returncode:
            raise SystemExit(f"intake migrate failed:\n{output.decode()}")
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            pid = await connection.fetchval("SELECT pg_backend_pid()")
            for i in range(board):
                await connection.fetch(SUBMIT.sql, *submission(i))
            sys.stdout.write(f"{board} ideas on the board, {runs} runs each\n")
            for name, (sql, arguments) in STATEMENTS.items():
                prepared = [arguments(board + i) for i in range(runs)]
                before = proc_cpu_seconds(pid) or 0.0
                for args in prepared:
                    await connection.fetch(sql, *args)
                spent = (proc_cpu_seconds(pid) or 0.0) - before
                sys.stdout.write(f"{name:>20}: {1000 * spent / runs:.3f} ms of CPU per run\n")
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", type=int, default=2000, help="ideas submitted first")
    parser.add_argument("--runs", type=int, default=2000, help="runs of each statement")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
        help="PostgreSQL server URL, without a database name",
    )
    args = parser.parse_args()
    if not Path("/proc/self/stat").exists():
        raise SystemExit("needs /proc: PostgreSQL's CPU is read from its process")
    asyncio.run(measure(args.database_url.rstrip("/"), args.board, args.runs))


if __name__ == "__main__":
    main()
