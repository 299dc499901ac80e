"""Database plumbing shared by the services: engine, sessions, messaging tables, migrations."""

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> sa.MetaData:
    """A service's metadata, already holding the outbox and inbox tables."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default="{}"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Index("ix_outbox_pending", "id", postgresql_where=sa.text("published_at IS NULL")),
        # Room on each page for the relay's mark: the row's new version stays there and the
        # WAL holds only what changed (migrations: intake 0007, the others 0003).
        postgresql_with={"fillfactor": 50},
    )
    sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    return metadata


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """The service's async engine: at most `pool_size` connections, opened as needed, kept."""
    # No overflow: under load the pool hands back more connections than its waiting tasks
    # take at once, and every connection above pool_size would be closed on its return and
    # opened again (a backend started, types introspected, statements prepared anew).
    # No ping per checkout (a round trip per request or message): a connection found dead
    # invalidates the pool, and connections are recycled before servers drop idle ones.
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_recycle=1800)


class ServiceSession(Session):
    """A service's session: once a transaction that wrote outbox rows commits, it wakes
    the relay of its process (see `events_written`)."""


@sa.event.listens_for(ServiceSession, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop("events_written", False):
        session.info["outbox_written"].set()


def events_written(session: AsyncSession) -> None:
    """Note that the session's transaction wrote outbox rows: the relay of this process is
    woken once they are committed."""
    session.info["events_written"] = True


@dataclass(frozen=True)
class DriverStatement:
    """A constant statement compiled once by SQLAlchemy and run by asyncpg itself.

    For the busiest statements only (a submission, the outbox relay's, the consumers'
    one-statement handlers): SQLAlchemy's execution layers (execution context, result, the
    greenlet hops of its asyncio bridge) cost a submission about 0.5 ms of CPU, more than
    asyncpg's whole run of the statement. Parameters go through their types' bind
    processors, as SQLAlchemy would send them; rows come back as asyncpg records, JSON
    decoded by the codecs SQLAlchemy set on the connection.
    """

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    @classmethod
    def compile(cls, statement: sa.Executable) -> "DriverStatement":
        dialect = asyncpg_dialect()
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        fixed, processors = {}, {}
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if not bind.required:
                fixed[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        return cls(compiled.string, tuple(compiled.positiontup), fixed, processors)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for asyncpg, from named parameters."""
        values = {**self.fixed, **params}
        processors = self.processors
        return [
            processors[name](values[name]) if name in processors else values[name]
            for name in self.names
        ]


@dataclass
class Sessions:
    """The service's sessions, handed out in the order they are asked for, at most one fewer
    at once than the pool has connections (the one left is the outbox relay's).

    SQLAlchemy's asyncio pool gives a connection just given back to whichever task asks
    next, before the task woken for it has run: under load newcomers kept overtaking, and a
    few requests waited seconds for a connection while most waited none. The semaphore in
    front of the pool is first come, first served.
    """

    maker: async_sessionmaker[AsyncSession]
    gate: asyncio.Semaphore

    @property
    def producer(self) -> str:
        """The service whose events these sessions write (see messaging.emit)."""
        return self.maker.kw["info"]["producer"]  # type: ignore[no-any-return]

    @property
    def outbox_written(self) -> asyncio.Event:
        """Set when events this process wrote are committed; the outbox relay waits on it."""
        return self.maker.kw["info"]["outbox_written"]  # type: ignore[no-any-return]

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with self.gate, self.maker() as session:
            yield session

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed at the end of the block."""
        async with self.gate, self.maker.begin() as session:
            yield session

    @asynccontextmanager
    async def driver(self, *, writes_events: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """`driver_connection` of the sessions' engine, in turn with the sessions.

        `writes_events`: the block's statements write outbox rows (each commits as it runs,
        with no session to see it), so the relay is woken once the block is through."""
        async with self.gate, driver_connection(self.maker.kw["bind"]) as connection:
            yield connection
        if writes_events:
            self.outbox_written.set()


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection, for DriverStatements: outside any
    transaction, each statement commits on its own (or use its `transaction()`).

    Taken from the pool as a raw connection: an AsyncConnection around it would cost
    30 microseconds more, for nothing the driver uses."""
    pooled = await engine.raw_connection()
    try:
        driver: asyncpg.Connection = pooled.driver_connection
        if driver.is_in_transaction():
            # Its statements would be rolled back with that transaction when it returns to
            # the pool: a connection hook or a caller left one open.
            raise RuntimeError("pooled connection handed out inside a transaction")
        try:
            yield driver
        except DRIVER_CONNECTION_ERRORS:
            # SQLAlchemy sees no error of its own: discard the connection from the pool.
            await greenlet_spawn(pooled.invalidate)
            raise
    finally:
        # Back to the pool inside SQLAlchemy's bridge, which may await the driver.
        await greenlet_spawn(pooled.close)


# asyncpg's errors when the server is out of reach, restarting or gone mid-statement.
DRIVER_CONNECTION_ERRORS = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)


def create_sessionmaker(engine: AsyncEngine, *, producer: str) -> Sessions:
    """Sessions that know which service they write events for (see messaging.emit)."""
    maker = async_sessionmaker(
        engine,
        sync_session_class=ServiceSession,
        expire_on_commit=False,
        info={"producer": producer, "outbox_written": asyncio.Event()},
    )
    size: int = engine.pool.size()  # type: ignore[attr-defined]
    return Sessions(maker, asyncio.Semaphore(max(1, size - 1)))


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as a plain libpq DSN asyncpg understands."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(session_dependency)]


async def sessions_dependency(request: Request) -> Sessions:
    # A coroutine, though it awaits nothing: FastAPI runs a plain function in a thread.
    return request.app.state.sessionmaker  # type: ignore[no-any-return]


# For a route that needs the database for a moment only: it opens a session around its
# statements and holds no connection (nor a place in the queue) for the rest of the request.
SessionsDep = Annotated[Sessions, Depends(sessions_dependency)]


async def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist yet."""
    parsed = make_url(url)
    name = parsed.database
    admin = asyncpg_dsn(parsed.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = asyncpg_dsn(parsed.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.attributes["database_url"] = url
    return config


def migrate(service_dir: Path, url: str) -> None:
    """Create the database if needed and bring it to the latest migration."""
    asyncio.run(ensure_database(url))
    command.upgrade(alembic_config(service_dir, url), "head")


async def migrate_async(service_dir: Path, url: str) -> None:
    """`migrate` for callers already inside an event loop."""
    await ensure_database(url)
    await asyncio.to_thread(command.upgrade, alembic_config(service_dir, url), "head")


def run_migrations(config: Config, metadata: sa.MetaData, default_url: str) -> None:
    """Body of every service's migrations/env.py (async engine, online or offline)."""
    from alembic import context

    url = config.attributes.get("database_url") or default_url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=sa.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
