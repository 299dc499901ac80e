"""The benchmark of issue 7: `make bench` (full sizes) and `make bench-smoke` (tiny sizes).

Every service runs as a real process (`python -m <service> migrate`, then `serve`) against
the local PostgreSQL and RabbitMQ, each scenario with databases, an exchange and queue
names of its own (`bench_<run>_s<n>...`), all dropped at the end. Load comes from
`loadgen.py` in a separate process. Every timing is compared with a baseline measured in
the same run, because absolute times on a shared machine are not stable.

It prints one table (figure, ours, baseline, ratio, target, met) and writes the same as
JSON in `tests/bench/results/`. The exit status says whether every figure could be
produced, never whether a target was met: machines are noisy.

`BENCH_WRAP_<SERVICE>` (e.g. `BENCH_WRAP_INTAKE="py-spy record -o intake.svg --"`) prefixes
that service's `serve` command, to profile it under the benchmark's load.
"""

import argparse
import asyncio
import importlib
import json
import logging
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import asyncpg
import httpx
import loadgen
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from construisons.auth import INNOVATION_TEAM, mint_token
from construisons.db import asyncpg_dsn
from construisons.events import IdeaSubmitted, Person, envelope
from construisons.messaging import declare_topology, new_broker
from construisons.settings import ServiceSettings
from intake.config import Settings as IntakeSettings

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SERVICES = ("intake", "review", "notifications", "incubation")
# The databases each scenario uses: services', and the baselines'.
NEEDS: dict[int, tuple[str, ...]] = {
    1: ("baseline", "intake"),
    2: ("baseline", "review"),
    3: SERVICES,
    4: ("intake",),
}

SEARCH_WORD = "covoiturage"
# Posted ideas differ from one another, as real ones do (an identical body every time would
# make each submission a duplicate of all the previous ones for the similar-ideas lookup).
_VERBS = [
    "Mutualiser", "Simplifier", "Numériser", "Réorganiser", "Partager", "Réduire",
    "Mieux signaler", "Regrouper", "Ouvrir au public", "Entretenir autrement",
]  # fmt: skip
SIMILAR_TEXT = "Mieux gérer le covoiturage des agents"


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is; the issue's sizes, or tiny ones for the smoke run."""

    concurrency: int
    submit_warmup: float
    submit_seconds: float
    submit_rounds: int
    backlog: int
    journey_ideas: int
    steady_rate: float
    steady_seconds: float
    board_small: int
    board_large: int
    probe_warmup: int
    probe_iterations: int


FULL = Sizes(64, 3.0, 20.0, 2, 20_000, 10_000, 50.0, 60.0, 1_000, 100_000, 20, 200)
SMOKE = Sizes(64, 0.3, 1.0, 1, 200, 100, 20.0, 1.0, 600, 1_200, 2, 10)


@dataclass
class Figure:
    """One line of the table."""

    scenario: int
    name: str
    unit: str
    value: float | None
    baseline: float | None = None
    ratio: float | None = None
    target: str = "reported"
    met: bool | None = None
    note: str = ""


def at_least_times(
    scenario: int, name: str, unit: str, value: float | None, baseline: float | None, factor: float
) -> Figure:
    ratio = value / baseline if value is not None and baseline else None
    return Figure(
        scenario,
        name,
        unit,
        value,
        baseline,
        ratio,
        f">= {factor} x baseline",
        None if ratio is None else ratio >= factor,
    )


def at_most_times(
    scenario: int, name: str, unit: str, value: float | None, baseline: float | None, factor: float
) -> Figure:
    ratio = value / baseline if value is not None and baseline else None
    return Figure(
        scenario,
        name,
        unit,
        value,
        baseline,
        ratio,
        f"<= {factor} x baseline",
        None if ratio is None else ratio <= factor,
    )


def at_most(scenario: int, name: str, unit: str, value: float | None, limit: float) -> Figure:
    return Figure(
        scenario,
        name,
        unit,
        value,
        target=f"<= {limit:g} {unit}",
        met=None if value is None else value <= limit,
    )


def log(message: str) -> None:
    sys.stderr.write(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}\n")
    sys.stderr.flush()


# --- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine since boot (all cores)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def pids_named(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


class BackendClock:
    """CPU used by the PostgreSQL backends of some databases since `mark()`, including
    backends that have ended since (sampled while they lived)."""

    def __init__(self, conn: asyncpg.Connection, databases: dict[str, str]) -> None:
        self.conn = conn
        self.databases = databases
        self.last: dict[int, tuple[str, float]] = {}
        self.start: dict[int, float] = {}
        self.lock = asyncio.Lock()

    async def sample(self) -> None:
        async with self.lock:
            rows = await self.conn.fetch(
                "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                list(self.databases),
            )
        for row in rows:
            cpu = proc_cpu_seconds(row["pid"])
            if cpu is not None:
                self.last[row["pid"]] = (self.databases[row["datname"]], cpu)

    def mark(self) -> None:
        self.start = {pid: cpu for pid, (_, cpu) in self.last.items()}

    def used(self) -> dict[str, float]:
        totals = dict.fromkeys(self.databases.values(), 0.0)
        for pid, (name, cpu) in self.last.items():
            totals[name] += cpu - self.start.get(pid, 0.0)
        return totals


@dataclass
class Process:
    """A process this run started, in a session of its own so a wrapper goes with it."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    marker: str = ""

    @property
    def pid(self) -> int:
        """The Python process itself, even under a wrapper such as py-spy."""
        queue = [self.popen.pid]
        while queue:
            pid = queue.pop(0)
            if self.marker in " ".join(_cmdline(pid)) and "python" in _cmdline(pid)[0]:
                return pid
            queue += _children(pid)
        return self.popen.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def interrupt(self) -> None:
        """Ask for a graceful stop (SIGINT: uvicorn's shutdown, py-spy writes its profile)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def reap(self, timeout: float = 15.0) -> None:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=10)


async def wait_listening(process: Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", process.port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.name} does not listen on {process.port}")


async def wait_count(
    probe: Callable[[], Awaitable[int]],
    target: int,
    *,
    what: str,
    stall: float = 30.0,
    processes: tuple["Process", ...] = (),
) -> None:
    """Wait until `probe()` reaches `target`; give up when it stops moving for `stall` s."""
    last, moved = -1, time.monotonic()
    while True:
        for process in processes:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        count = await probe()
        if count >= target:
            return
        if count != last:
            last, moved = count, time.monotonic()
        elif time.monotonic() - moved > stall:
            raise RuntimeError(f"{what}: stuck at {count}/{target} for {stall:.0f} s")
        await asyncio.sleep(0.2)


# --- the run --------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.smoke: bool = args.smoke
        self.sizes = SMOKE if args.smoke else FULL
        self.pg: str = args.database_url.rstrip("/")
        self.amqp: str = args.rabbitmq_url
        self.run_id = f"{datetime.now(UTC):%m%d%H%M%S}_{uuid.uuid4().hex[:4]}"
        self.logs = Path(tempfile.mkdtemp(prefix=f"bench-{self.run_id}-"))
        self.databases: list[str] = []
        self.exchanges: list[str] = []
        self.queues: list[str] = []
        self.processes: list[Process] = []
        self.envs: dict[tuple[int, str], dict[str, str]] = {}
        self._connections: dict[str, asyncpg.Connection] = {}
        self.figures: list[Figure] = []
        self.details: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.settings = ServiceSettings()

    # names and environments

    def names(self, scenario: str) -> tuple[str, str]:
        """Exchange and queue prefix of one scenario."""
        exchange = f"bench_{self.run_id}_{scenario}"
        return exchange, f"{exchange}."

    def database(self, scenario: str, owner: str) -> str:
        name = f"bench_{self.run_id}_{scenario}_{owner}"
        self.databases.append(name)
        return f"{self.pg}/{name}"

    def env(self, database_url: str, exchange: str, prefix: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            RABBITMQ_URL=self.amqp,
            BUS_EXCHANGE=exchange,
            BUS_QUEUE_PREFIX=prefix,
            PYTHONUNBUFFERED="1",
        )
        return env

    # processes

    async def migrate(self, service: str, env: dict[str, str]) -> None:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            service,
            "migrate",
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(child.communicate(), 300)
        if child.returncode != 0:
            raise RuntimeError(f"{service} migrate failed:\n{out.decode()[-3000:]}")

    async def prepare(self, scenarios: list[int]) -> None:
        """Create every database the chosen scenarios use, before measuring: each service is
        migrated once into a template, which the scenarios' databases are copies of."""
        services = {o for n in scenarios for o in NEEDS[n] if o != "baseline"}
        templates = {service: self.database("template", service) for service in services}
        # Migrations wait on the database as much as they compute: all at once.
        limit = asyncio.Semaphore(len(services))

        async def migrate(service: str) -> None:
            async with limit:
                await self.migrate(service, self.env(templates[service], "unused", "unused."))

        await asyncio.gather(*(migrate(service) for service in services))
        for number in scenarios:
            exchange, prefix = self.names(f"s{number}")
            for owner in NEEDS[number]:
                url = self.database(f"s{number}", owner)
                self.envs[(number, owner)] = self.env(url, exchange, prefix)
                template = templates[owner].rsplit("/", 1)[1] if owner in templates else None
                await self.create_database(url, template=template)

    def spawn(self, name: str, command: list[str], env: dict[str, str], port: int) -> Process:
        log_path = self.logs / f"{name}-{port}.log"
        wrap = shlex.split(os.environ.get(f"BENCH_WRAP_{name.upper()}", ""))
        with log_path.open("wb") as out:
            popen = subprocess.Popen(
                [*wrap, *command],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        marker = command[2] if command[1] == "-m" else command[1]
        process = Process(name, popen, log_path, port, marker)
        self.processes.append(process)
        return process

    def serve(self, service: str, env: dict[str, str]) -> Process:
        port = free_port()
        command = [sys.executable, "-m", service, "serve", "--port", str(port)]
        return self.spawn(service, command, env, port)

    async def ready(self, process: Process, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}") as client:
            while time.monotonic() < deadline:
                if process.popen.poll() is not None:
                    raise RuntimeError(
                        f"{process.name} exited ({process.popen.returncode}):\n{process.log_tail()}"
                    )
                try:
                    if (await client.get("/ready", timeout=3)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{process.name} not ready after {timeout:.0f} s:\n{process.log_tail()}")

    def stop(self, *processes: Process) -> None:
        for process in processes:
            process.interrupt()
        for process in processes:
            process.reap()

    async def loadgen(self, config: dict[str, Any], timeout: float) -> dict[str, Any]:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BENCH / "loadgen.py"),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                child.communicate(json.dumps(config).encode()), timeout
            )
        except TimeoutError:
            child.kill()
            await child.wait()
            raise RuntimeError(f"load generator still running after {timeout:.0f} s") from None
        if child.returncode != 0:
            raise RuntimeError(f"load generator failed:\n{err.decode()[-3000:]}")
        return json.loads(out.decode().strip().splitlines()[-1])

    # databases and broker

    async def connection(self, database_url: str) -> asyncpg.Connection:
        """One connection per database for the whole run: the server's connection slots are
        shared with everyone else's tests, so the benchmark neither churns nor hoards them."""
        conn = self._connections.get(database_url)
        if conn is not None and not conn.is_closed():
            return conn
        for attempt in range(20):
            try:
                conn = await asyncpg.connect(asyncpg_dsn(database_url))
                break
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                if attempt == 19:
                    raise
                await asyncio.sleep(0.5)
        self._connections[database_url] = conn
        return conn

    async def scalar(self, database_url: str, query: str, *args: Any) -> Any:
        return await (await self.connection(database_url)).fetchval(query, *args)

    async def journey_cpu(
        self, processes: dict[str, Process], smtp: Process, backends: "BackendClock"
    ) -> dict[str, float]:
        """CPU seconds so far of each service, of its PostgreSQL backends (since `backends`
        was marked), of the SMTP sink, of RabbitMQ and of the whole machine."""
        cpu = {name: proc_cpu_seconds(p.pid) or 0.0 for name, p in processes.items()}
        await backends.sample()
        cpu.update({f"{name} postgres": used for name, used in backends.used().items()})
        cpu["smtp sink"] = proc_cpu_seconds(smtp.pid) or 0.0
        cpu["rabbitmq (everyone's)"] = sum(
            proc_cpu_seconds(pid) or 0.0 for pid in pids_named("beam.smp")
        )
        cpu["machine (everyone's)"] = machine_cpu_seconds()[0]
        return cpu

    async def backends_cpu_seconds(self, database: str) -> float:
        """CPU seconds used so far by the PostgreSQL backends connected to `database`."""
        conn = await self.connection(f"{self.pg}/postgres")
        pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
        return sum(proc_cpu_seconds(row["pid"]) or 0.0 for row in pids)

    async def create_database(self, database_url: str, template: str | None = None) -> None:
        name = database_url.rsplit("/", 1)[1]
        copy = f' TEMPLATE "{template}"' if template else ""
        await self.scalar(f"{self.pg}/postgres", f'CREATE DATABASE "{name}"{copy}')

    async def inbox_count(self, database_url: str) -> int:
        query = "SELECT count(*) FROM inbox WHERE event_type = 'idea.submitted'"
        return await self.scalar(database_url, query)

    async def inbox_span(self, database_url: str, table: str = "inbox") -> tuple[float, float]:
        row = await (await self.connection(database_url)).fetchrow(
            f"SELECT extract(epoch FROM min(received_at)) AS first,"
            f" extract(epoch FROM max(received_at)) AS last FROM {table}"
        )
        return float(row["first"]), float(row["last"])

    async def declare_queue(self, exchange: str, queue: str, key: str, **arguments: Any) -> None:
        connection = await aio_pika.connect(self.amqp)
        async with connection:
            channel = await connection.channel()
            ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            declared = await channel.declare_queue(queue, durable=True, arguments=arguments or None)
            await declared.bind(ex, routing_key=key)
        self.exchanges.append(exchange)
        self.queues.append(queue)

    async def publish_backlog(self, exchange: str, count: int) -> float:
        """Publish `count` IdeaSubmitted events as intake would; returns messages/s."""
        bodies = []
        for i in range(count):
            author = Person(
                sub=f"bench.author.{i % 64}",
                name=f"Agent banc d'essai {i % 64}",
                email=f"bench.author.{i % 64}@departement.example",
                directorate="DSI",
            )
            payload = IdeaSubmitted(
                idea_id=uuid.uuid4(),
                **IDEAS[i % len(IDEAS)],
                author=author,
                manager=Person(sub="bench.manager", email="bench.manager@departement.example"),
            )
            bodies.append(
                envelope(payload, producer="intake", correlation_id=uuid.uuid4())
                .model_dump_json()
                .encode()
            )
        started = time.perf_counter()
        connection = await aio_pika.connect(self.amqp)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            target = await channel.get_exchange(exchange)
            in_flight = 500
            for start in range(0, count, in_flight):
                await asyncio.gather(
                    *(
                        target.publish(
                            aio_pika.Message(
                                body,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                message_id=str(uuid.uuid4()),
                                content_type="application/json",
                                type=IdeaSubmitted.routing_key,
                            ),
                            routing_key=IdeaSubmitted.routing_key,
                        )
                        for body in bodies[start : start + in_flight]
                    )
                )
        return count / (time.perf_counter() - started)

    async def cleanup(self) -> None:
        self.stop(*self.processes)
        await self.close_connections()
        try:
            connection = await aio_pika.connect(self.amqp)
            async with connection:
                for name in sorted(set(self.queues)):
                    channel = await connection.channel()
                    try:
                        await channel.queue_delete(name)
                    except aio_pika.exceptions.AMQPError:
                        pass
                for name in sorted(set(self.exchanges)):
                    channel = await connection.channel()
                    try:
                        await channel.exchange_delete(name)
                    except aio_pika.exceptions.AMQPError:
                        pass
        except Exception as exc:
            log(f"cleanup of the broker failed: {exc}")
        for name in self.databases:
            try:
                await self.scalar(
                    f"{self.pg}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                )
            except Exception as exc:
                log(f"could not drop database {name}: {exc}")
        await self.close_connections()

    async def close_connections(self) -> None:
        for conn in self._connections.values():
            if not conn.is_closed():
                await conn.close(timeout=5)
        self._connections.clear()

    async def declare_service_topology(self, service: str, env: dict[str, str]) -> None:
        """Declare a service's queue and bindings as it does at startup, without running it:
        from the app its factory builds (the engine only connects when used)."""
        config = importlib.import_module(f"{service}.config")
        settings = config.Settings(
            database_url=env["DATABASE_URL"],
            rabbitmq_url=env["RABBITMQ_URL"],
            bus_exchange=env["BUS_EXCHANGE"],
            bus_queue_prefix=env["BUS_QUEUE_PREFIX"],
        )
        app = importlib.import_module(f"{service}.main").create_app(settings)
        # Building the app may set up logging: keep the benchmark's output quiet.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        broker = new_broker(settings)
        await broker.connect()
        try:
            await declare_topology(broker, app.state.topology, app.state.consumer.routing_keys)
        finally:
            await broker.stop()
            await app.state.engine.dispose()

    def forget_service_topology(self, prefix: str, exchange: str) -> None:
        """Queues and exchanges the services declare for themselves, to delete at the end."""
        self.exchanges.append(exchange)
        for service in SERVICES:
            self.queues += [f"{prefix}{service}.events", f"{prefix}{service}.dead-letter"]
            self.exchanges.append(f"{prefix}{service}.dlx")

    # --- scenario 1 -------------------------------------------------------------------

    async def scenario_submitting(self) -> None:
        s = self.sizes
        exchange, prefix = self.names("s1")
        self.forget_service_topology(prefix, exchange)
        # Intake's relay publishes what it writes: give it a queue that keeps little of it.
        await self.declare_queue(
            exchange, f"{prefix}sink", "#", **{"x-max-length": 1000, "x-overflow": "drop-head"}
        )
        config = {
            "mode": "closed",
            "host": "127.0.0.1",
            "path": "/ideas",
            "bodies": IDEAS,
            "concurrency": s.concurrency,
            "warmup": s.submit_warmup,
            "author_prefix": "bench.s1.",
            "raw": True,
        }
        timeout = s.submit_warmup + s.submit_seconds + 60
        port = free_port()
        # The baseline's pool is as large as intake's: the same kind of process.
        baseline_env = {
            "DATABASE_POOL_SIZE": str(IntakeSettings().database_pool_size),
            **self.envs[(1, "baseline")],
        }
        servers = {
            "baseline": self.spawn(
                "baseline_api",
                [sys.executable, str(BENCH / "baseline_api.py"), "--port", str(port)],
                baseline_env,
                port,
            ),
            "intake": self.serve("intake", self.envs[(1, "intake")]),
        }
        # Both start together (starting is most of a smoke run's time); each is then loaded
        # alone, the other idle.
        try:
            await asyncio.gather(*(self.ready(process) for process in servers.values()))
        except BaseException:
            self.stop(*servers.values())
            raise
        # Rounds in the order A B B A, each server loaded alone while the other idles:
        # a machine that gets faster or slower during the run moves both alike.
        order = [
            name
            for r in range(s.submit_rounds)
            for name in (list(servers) if r % 2 == 0 else list(servers)[::-1])
        ]
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        try:
            for name in order:
                process = servers[name]
                seconds = s.submit_seconds / s.submit_rounds
                log(f"s1: {name}: {s.concurrency} connections, {seconds:g} s")
                database = self.envs[(1, name)]["DATABASE_URL"].rsplit("/", 1)[1]
                cpu_before = proc_cpu_seconds(process.pid) or 0.0
                backends_before = await self.backends_cpu_seconds(database)
                machine_before = machine_cpu_seconds()
                result = await self.loadgen(
                    {**config, "port": process.port, "duration": seconds}, timeout
                )
                busy, total = (
                    b - a for a, b in zip(machine_before, machine_cpu_seconds(), strict=True)
                )
                result["server_cpu"] = (proc_cpu_seconds(process.pid) or 0.0) - cpu_before
                # The database's backends were all opened by this server during this run.
                result["postgres_cpu"] = await self.backends_cpu_seconds(database) - backends_before
                result["machine_busy"], result["machine_total"] = busy, total
                result["wall"] = s.submit_warmup + seconds
                if not result["ok"]:
                    raise RuntimeError(f"{name}: no 201 at all: {result['statuses']}")
                rounds[name].append(result)
        finally:
            self.stop(*servers.values())
        results = {name: merged_rounds(runs) for name, runs in rounds.items()}
        self.details["s1"] = results
        ours, base = results["intake"], results["baseline"]
        throughput = at_least_times(
            1, "POST /ideas throughput", "req/s", ours["throughput"], base["throughput"], 0.6
        )
        throughput.note = (
            f"CPU, ours vs baseline: server {ours['server_cpu_percent_of_one_core']:.0f}% vs "
            f"{base['server_cpu_percent_of_one_core']:.0f}% of a core, its PostgreSQL backends "
            f"{ours['postgres_cpu_percent_of_one_core']:.0f}% vs "
            f"{base['postgres_cpu_percent_of_one_core']:.0f}%; whole machine busy "
            f"{ours['machine_busy_percent'] or 0:.0f}% vs "
            f"{base['machine_busy_percent'] or 0:.0f}% of {os.cpu_count()} cores"
        )
        self.figures.append(throughput)
        p99 = Figure(1, "POST /ideas p99 latency", "ms", ours["p99_ms"], base["p99_ms"])
        p99.ratio = ours["p99_ms"] / base["p99_ms"] if base["p99_ms"] else None
        p99.note = f"p50 {ours['p50_ms']:.0f} ms vs {base['p50_ms']:.0f} ms"
        self.figures.append(p99)
        self.figures.append(
            Figure(
                1,
                "load generator CPU (its own)",
                "% core",
                ours["loadgen"]["cpu_percent_of_one_core"],
                base["loadgen"]["cpu_percent_of_one_core"],
            )
        )

    # --- scenario 2 -------------------------------------------------------------------

    async def scenario_consuming(self) -> None:
        count = self.sizes.backlog
        exchange, prefix = self.names("s2")
        self.forget_service_topology(prefix, exchange)
        review_env = self.envs[(2, "review")]
        # Review's queue and bindings, declared exactly as review declares them at startup,
        # so that the backlog builds while review is not running.
        await self.declare_service_topology("review", review_env)
        baseline_queue = f"{prefix}baseline.events"
        await self.declare_queue(
            exchange, baseline_queue, IdeaSubmitted.routing_key, **{"x-queue-type": "quorum"}
        )
        log(f"s2: publishing {count} IdeaSubmitted events (to review's and the baseline's queue)")
        publish_rate = await self.publish_backlog(exchange, count)
        baseline_env = self.envs[(2, "baseline")]
        baseline_url = baseline_env["DATABASE_URL"]
        baseline_env.update(
            BENCH_QUEUE=baseline_queue, BUS_PREFETCH=str(self.settings.bus_prefetch)
        )

        async def baseline_count() -> int:
            try:
                return await self.scalar(baseline_url, "SELECT count(*) FROM baseline_received")
            except asyncpg.UndefinedTableError:
                return 0

        rates: dict[str, float | None] = {}
        cpu_ms: dict[str, float] = {}
        for name in ("baseline", "review"):
            log(f"s2: {name} drains {count} events")
            if name == "baseline":
                process = self.spawn(
                    "baseline_consumer",
                    [sys.executable, str(BENCH / "baseline_consumer.py")],
                    baseline_env,
                    0,
                )
                probe, url, table = baseline_count, baseline_url, "baseline_received"
            else:
                process = self.serve("review", review_env)

                async def probe() -> int:
                    return await self.inbox_count(review_env["DATABASE_URL"])

                url, table = review_env["DATABASE_URL"], "inbox"
            try:
                await wait_count(probe, count, what=f"{name} draining", processes=(process,))
                cpu_seconds = proc_cpu_seconds(process.pid) or 0.0
            finally:
                self.stop(process)
            first, last = await self.inbox_span(url, table)
            rates[name] = (count - 1) / (last - first) if last > first else None
            cpu_ms[name] = 1000 * cpu_seconds / count
        self.details["s2"] = {"rates": rates, "cpu_ms": cpu_ms, "publish_rate": publish_rate}
        figure = at_least_times(
            2, f"drain {count} IdeaSubmitted", "msg/s", rates["review"], rates["baseline"], 0.6
        )
        figure.note = (
            f"consumer CPU {cpu_ms['review']:.1f} vs {cpu_ms['baseline']:.1f} ms/msg (incl."
            f" start-up); backlog published at {publish_rate:.0f} msg/s"
        )
        self.figures.append(figure)

    # --- scenario 3 and 5 -------------------------------------------------------------

    async def scenario_journey(self) -> None:
        s = self.sizes
        exchange, prefix = self.names("s3")
        self.forget_service_topology(prefix, exchange)
        envs = {service: self.envs[(3, service)] for service in SERVICES}
        smtp_port = free_port()
        smtp = self.spawn(
            "smtp_sink",
            [sys.executable, str(BENCH / "smtp_sink.py"), "--port", str(smtp_port)],
            envs["notifications"],
            smtp_port,
        )
        await wait_listening(smtp)
        envs["notifications"] = {
            **envs["notifications"],
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
        }
        processes = {service: self.serve(service, env) for service, env in envs.items()}
        peaks: dict[str, int] = {}
        sampling = asyncio.Event()

        backends = BackendClock(
            await self.connection(f"{self.pg}/postgres"),
            {env["DATABASE_URL"].rsplit("/", 1)[1]: name for name, env in envs.items()},
        )

        async def sample_memory() -> None:
            while not sampling.is_set():
                for service, process in processes.items():
                    rss = proc_status_kb(process.pid, "VmRSS") or 0
                    peaks[service] = max(peaks.get(service, 0), rss)
                # Pool connections come and go: follow them while they live.
                await backends.sample()
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample_memory())
        try:
            await asyncio.gather(*(self.ready(p) for p in processes.values()))
            intake = processes["intake"]
            review_url = envs["review"]["DATABASE_URL"]
            notifications_url = envs["notifications"]["DATABASE_URL"]

            log(f"s3: posting {s.journey_ideas} ideas at {s.concurrency} connections")
            await backends.sample()
            backends.mark()
            cpu_before = await self.journey_cpu(processes, smtp, backends)
            posting = asyncio.create_task(
                self.loadgen(
                    {
                        "mode": "closed",
                        "host": "127.0.0.1",
                        "port": intake.port,
                        "path": "/ideas",
                        "bodies": IDEAS,
                        "concurrency": s.concurrency,
                        "total": s.journey_ideas,
                        "author_prefix": "bench.s3.",
                    },
                    timeout=600,
                )
            )

            async def downstream() -> int:
                refused = 0
                if posting.done():
                    if posting.exception():
                        raise posting.exception()  # type: ignore[misc]
                    # An idea intake refused never travels: count it as arrived.
                    refused = s.journey_ideas - posting.result()["statuses"].get("201", 0)
                counts = await asyncio.gather(
                    self.inbox_count(review_url), self.inbox_count(notifications_url)
                )
                return min(counts) + refused

            await wait_count(
                downstream,
                s.journey_ideas,
                what="review and notifications",
                processes=tuple(processes.values()),
            )
            posted = await posting
            accepted = posted["statuses"].get("201", 0)
            if accepted < s.journey_ideas * 0.9:
                raise RuntimeError(f"intake refused too many ideas: {posted['statuses']}")
            cpu_after = await self.journey_cpu(processes, smtp, backends)
            # Mails are not part of the journey's end, but their sending shares the cores.
            mails_sent = await self.scalar(
                notifications_url, "SELECT count(*) FROM email_deliveries WHERE status = 'sent'"
            )
            mails_due = await self.scalar(
                notifications_url, "SELECT count(*) FROM email_deliveries"
            )
            cpu_per_idea = {
                name: round(1000 * (cpu_after[name] - cpu_before.get(name, 0.0)) / accepted, 2)
                for name in cpu_after
            }
            spans = [await self.inbox_span(url) for url in (review_url, notifications_url)]
            last = max(span[1] for span in spans)
            # Which consumer finished last, and how long after intake's last answer.
            drained_after = {
                service: round(span[1] - posted["last_response_wall"], 2)
                for service, span in zip(("review", "notifications"), spans, strict=True)
            }
            journey_rate = accepted / (last - posted["first_send_wall"])
            intake_rate = accepted / (posted["last_response_wall"] - posted["first_send_wall"])

            log(f"s3: steady {s.steady_rate:g} ideas/s for {s.steady_seconds:g} s")
            table, column = self.recipient_column()
            steady = await self.loadgen(
                {
                    "mode": "paced",
                    "host": "127.0.0.1",
                    "port": intake.port,
                    "bodies": IDEAS,
                    "rate": s.steady_rate,
                    "duration": s.steady_seconds,
                    "author_prefix": f"bench.s3.steady.{uuid.uuid4().hex[:6]}.",
                    "notifications_dsn": asyncpg_dsn(notifications_url),
                    "notifications_table": table,
                    "recipient_column": column,
                },
                timeout=s.steady_seconds + 120,
            )
            # The journey's mails, an idle minute later: all sent, and when the last left.
            mails_after = await (await self.connection(notifications_url)).fetchrow(
                "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) AS written,"
                " extract(epoch FROM max(sent_at)) AS last_sent"
                " FROM email_deliveries WHERE created_at <= to_timestamp($1)",
                last,
            )
            readable = await self.inbox_readable(
                processes["notifications"].port, steady["sample_authors"]
            )
            review_readable = await self.case_readable(processes["review"].port, intake.port)
        finally:
            sampling.set()
            await sampler
            hwm = {svc: proc_status_kb(p.pid, "VmHWM") or 0 for svc, p in processes.items()}
            self.stop(*processes.values(), smtp)
        last_mail_after = (
            round(float(mails_after["last_sent"]) - last, 1) if mails_after["last_sent"] else None
        )
        self.details["s3"] = {
            "posting": posted,
            "steady": steady,
            "seconds_after_intake_last_answer": drained_after,
            "cpu_ms_per_idea": cpu_per_idea,
            "mails_sent_by_then": mails_sent,
            "mails_written_by_then": mails_due,
            "journey_mails_sent_after_steady_phase": mails_after["sent"],
            "journey_mails_written": mails_after["written"],
            "last_journey_mail_s_after_journey_end": last_mail_after,
        }

        baseline = self.details.get("s1", {}).get("intake", {}).get("throughput")
        figure = at_least_times(
            3, "journey: ideas/s end to end", "ideas/s", journey_rate, baseline, 0.5
        )
        figure.target = ">= 0.5 x scenario 1"
        figure.note = (
            f"intake answered {intake_rate:.0f}/s meanwhile,"
            f" statuses {posted['statuses']}; last consumed, s after intake's last 201:"
            f" {drained_after}; CPU ms per idea while posting and draining: {cpu_per_idea};"
            f" mails sent by then: {mails_sent} of {mails_due},"
            f" by the end of the steady phase: {mails_after['sent']} of"
            f" {mails_after['written']}, the last {last_mail_after} s after the journey's end;"
            f" {review_readable}"
        )
        self.figures.append(figure)
        note = (
            f"achieved {steady['achieved_rate']:.1f}/s, statuses {steady['statuses']},"
            f" {steady['notified']} notified, {steady['missing']} never; {readable}"
        )
        for name, key, limit in (("p50", "p50_ms", 50), ("p99", "p99_ms", 250)):
            figure = at_most(3, f"POST -> notification {name}", "ms", steady[key], limit)
            figure.note = note if name == "p50" else f"max {steady['max_ms'] or 0:.0f} ms"
            self.figures.append(figure)
        self.figures.append(
            Figure(
                3,
                "load generator CPU (its own)",
                "% core",
                posted["loadgen"]["cpu_percent_of_one_core"],
                note=f"steady phase: {steady['loadgen']['cpu_percent_of_one_core']:.0f}%",
            )
        )
        for service in SERVICES:
            peak_mb = max(peaks.get(service, 0), hwm.get(service, 0)) * 1024 / 1e6
            self.figures.append(at_most(5, f"peak RSS {service}", "MB", peak_mb, 200))

    def recipient_column(self) -> tuple[str, str]:
        """Where notifications keeps who a notification is for (its table may evolve)."""
        from notifications.tables import metadata

        for table in metadata.tables.values():
            for column in ("recipient_sub", "recipient", "agent_sub"):
                if table.name.startswith("notification") and column in table.c:
                    return table.name, column
        raise RuntimeError("no notifications table with a recipient column")

    async def inbox_readable(self, port: int | None, authors: list[str]) -> str:
        """Check through the API that what the poller saw in the database is readable."""
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            seen = 0
            for sub in authors:
                token = mint_token(self.settings, sub=sub)
                response = await client.get(
                    "/me/notifications", headers={"Authorization": f"Bearer {token}"}
                )
                if response.status_code == 200 and response.json().get("items"):
                    seen += 1
        return f"{seen}/{len(authors)} inboxes readable via GET /me/notifications"

    async def case_readable(self, review_port: int | None, intake_port: int | None) -> str:
        token = mint_token(self.settings, sub="bench.team", roles=[INNOVATION_TEAM])
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient() as client:
            posted = await client.post(
                f"http://127.0.0.1:{intake_port}/ideas", json=IDEAS[0], headers=headers
            )
            idea_id = posted.json().get("id")
            for _ in range(100):
                case = await client.get(
                    f"http://127.0.0.1:{review_port}/cases/{idea_id}", headers=headers
                )
                if case.status_code == 200:
                    return "case readable via GET /cases/{id}"
                await asyncio.sleep(0.1)
        return f"case NOT readable via GET /cases/{{id}} ({case.status_code})"

    # --- scenario 4 -------------------------------------------------------------------

    async def scenario_scale(self) -> None:
        s = self.sizes
        exchange, prefix = self.names("s4")
        self.forget_service_topology(prefix, exchange)
        await self.declare_queue(
            exchange, f"{prefix}sink", "#", **{"x-max-length": 1000, "x-overflow": "drop-head"}
        )
        env = self.envs[(4, "intake")]
        intake = self.serve("intake", env)
        measured: dict[int, dict[str, Any]] = {}
        notes: dict[str, str] = {}
        seeded = 0
        try:
            await self.ready(intake)
            for size in (s.board_small, s.board_large):
                log(f"s4: seeding the board to {size} ideas")
                columns = await seed_ideas(env["DATABASE_URL"], seeded, size - seeded)
                seeded = size
                requests, notes[str(size)] = await self.board_requests(intake.port)
                available = {k: v for k, v in requests.items() if v is not None}
                result = (
                    await self.loadgen(
                        {
                            "mode": "probe",
                            "host": "127.0.0.1",
                            "port": intake.port,
                            "requests": available,
                            "warmup": s.probe_warmup,
                            "iterations": s.probe_iterations,
                        },
                        timeout=600,
                    )
                    if available
                    else {"requests": {}}
                )
                measured[size] = {name: result["requests"].get(name) for name in requests}
        finally:
            self.stop(intake)
        self.details["s4"] = {"measured": measured, "notes": notes, "seeded_columns": columns}
        small, large = measured[s.board_small], measured[s.board_large]
        for name in small:
            a, b = small[name] or {}, large[name] or {}
            unavailable = notes[str(s.board_large)] if not b.get("ok") else ""
            figure = at_most_times(
                4,
                f"{name}: p50 at {s.board_large:,} vs {s.board_small:,}",
                "ms",
                b.get("p50_ms"),
                a.get("p50_ms"),
                2,
            )
            figure.note = unavailable or f"p50 at {s.board_small:,} as baseline"
            self.figures.append(figure)
            figure = at_most(4, f"{name}: p99 at {s.board_large:,}", "ms", b.get("p99_ms"), 50)
            figure.note = unavailable
            self.figures.append(figure)

    async def board_requests(self, port: int | None) -> tuple[dict[str, str | None], str]:
        """The four board requests, found by following the API; None where unavailable."""
        token = mint_token(self.settings, sub="bench.reader")
        notes = []
        requests: dict[str, str | None] = {
            "GET /ideas first page": "/ideas",
            "page 500 ideas deep": None,
            "full-text search": f"/ideas?q={quote(SEARCH_WORD)}",
            "similar ideas": f"/ideas/similar?text={quote(SIMILAR_TEXT)}",
        }
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            for name in ("GET /ideas first page", "full-text search", "similar ideas"):
                response = await client.get(str(requests[name]))
                items, _ = page_of(response)
                if response.status_code != 200 or items is None:
                    notes.append(f"{name} unavailable ({response.status_code})")
                    requests[name] = None
                elif not items:
                    notes.append(f"{name} returned nothing")
            if requests["GET /ideas first page"] is not None:
                path: str | None = "/ideas"
                skipped, pages = 0, 0
                while skipped < 500 and path is not None:
                    items, next_path = page_of(await client.get(path))
                    skipped += len(items or [])
                    pages += 1
                    path = next_path
                if path is None:
                    notes.append(f"no cursor past {skipped} ideas ({pages} pages)")
                else:
                    requests["page 500 ideas deep"] = path
                    notes.append(f"{skipped} ideas deep after {pages} pages")
        return requests, "; ".join(notes)

    # --- all --------------------------------------------------------------------------

    async def run(self, scenarios: list[int]) -> None:
        steps = {
            1: ("submitting", self.scenario_submitting),
            2: ("consuming", self.scenario_consuming),
            3: ("journey and memory", self.scenario_journey),
            4: ("scale", self.scenario_scale),
        }
        started = time.monotonic()
        log("creating and migrating the databases")
        await self.prepare(scenarios)
        self.details["seconds_prepare"] = round(time.monotonic() - started, 1)
        for number in scenarios:
            name, step = steps[number]
            started = time.monotonic()
            log(f"scenario {number} ({name})")
            try:
                await step()
            except Exception as exc:
                log(f"scenario {number} failed: {exc}")
                traceback.print_exc()
                self.errors[str(number)] = str(exc)[:2000]
                lines = [line for line in str(exc).splitlines() if line.strip()] or [repr(exc)]
                summary = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1].strip()}"
                self.figures.append(
                    Figure(number, f"{name}: not measured", "", None, note=summary[:300])
                )
            self.details[f"seconds_s{number}"] = round(time.monotonic() - started, 1)


def page_of(response: httpx.Response) -> tuple[list[Any] | None, str | None]:
    """Items and the next page's path of a board page, whatever shape the API gives it."""
    if response.status_code != 200:
        return None, None
    try:
        data = response.json()
    except ValueError:
        return None, None
    if isinstance(data, list):
        items: Any = data
        data = {}
    else:
        items = next((data[k] for k in ("items", "ideas", "results", "data") if k in data), None)
    if not isinstance(items, list):
        return None, None
    cursor = next(
        (data[k] for k in ("next_cursor", "nextCursor", "cursor", "next") if data.get(k)), None
    )
    link = response.links.get("next", {}).get("url")
    if cursor is None and link:
        cursor = link
    if cursor is None:
        return items, None
    cursor = str(cursor)
    if cursor.startswith("http"):
        cursor = httpx.URL(cursor).raw_path.decode()
    if not cursor.startswith("/"):
        cursor = f"/ideas?cursor={quote(cursor)}"
    return items, cursor


# --- seeding the board ----------------------------------------------------------------

_OBJECTS = [
    "les colis", "le covoiturage", "la cantine", "les imprimantes", "le chauffage",
    "les vélos de service", "les dossiers papier", "le standard téléphonique", "les réunions",
    "les badges", "les salles", "les véhicules", "les archives", "le courrier", "les achats",
    "les congés", "les formations", "l'accueil du public", "les déchets", "l'éclairage",
]  # fmt: skip
_THEMES = [
    "mobilité", "restauration", "numérique", "accueil", "énergie", "déchets", "bâtiments",
    "logistique", "formation", "santé", "jeunesse", "routes", "collèges", "eau", "culture",
    "sport", "solidarités", "commande publique", "archives", "ressources humaines",
]  # fmt: skip
_ACTIONS = [
    "un outil partagé", "une permanence mensuelle", "un circuit court", "une application mobile",
    "un guichet unique", "une charte commune", "un tableau de bord", "une mutualisation",
    "un atelier participatif", "une expérimentation locale",
]  # fmt: skip


def idea_bodies(count: int) -> list[dict[str, Any]]:
    """`count` different valid bodies for POST /ideas, from the seeding vocabulary."""
    return [
        {
            "title": f"{_VERBS[i % 10]} {_OBJECTS[(i // 10) % 20]} ({_THEMES[(i * 7) % 20]})",
            "problem": (
                f"Les agents perdent du temps avec {_OBJECTS[(i * 3) % 20]} dans le domaine "
                f"{_THEMES[(i * 11) % 20]} ; la situation pèse sur le service rendu."
            ),
            "solution": (
                f"Proposer {_ACTIONS[(i * 13) % 10]} pour {_OBJECTS[(i * 17) % 20]}, "
                "en commençant par un site pilote."
            ),
        }
        for i in range(count)
    ]


IDEAS = idea_bodies(400)


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


_TITLE = f"'Mieux gérer ' || ({_array(_OBJECTS)})[1 + g % 20] || ' (piste ' || g || ')'"
_PROBLEM = (
    f"'Les agents perdent du temps avec ' || ({_array(_OBJECTS)})[1 + (g * 7) % 20]"
    f" || ' dans le domaine ' || ({_array(_THEMES)})[1 + (g * 3) % 20]"
    " || ' ; la situation dure depuis ' || (1 + g % 12) || ' mois et pèse sur le service.'"
)
_SOLUTION = (
    f"'Proposer ' || ({_array(_ACTIONS)})[1 + (g * 11) % 10] || ' pour '"
    f" || ({_array(_OBJECTS)})[1 + (g * 13) % 20] || ', en commençant par un site pilote.'"
)
_AUTHOR_SUB = "'bench.seed.' || (g % 997)"
# Spread over time so that the board's order is the order of `g`; other dates stay NULL.
_CLOCK = ("created_at", "updated_at", "submitted_at")
_TEXTS = {
    "title": _TITLE,
    "problem": _PROBLEM,
    "solution": _SOLUTION,
    "expected_benefits": "'Moins de déplacements et des agents plus disponibles.'",
}


def _seed_expression(column: sa.Column[Any]) -> str | None:
    """SQL computing `column` for the idea number `g`, or None to let the table decide."""
    name, kind = column.name, column.type
    if column.computed is not None or column.identity is not None:
        return None
    if name in _TEXTS:
        return _TEXTS[name]
    if isinstance(kind, sa.Uuid) and name in ("id", "idea_id", "correlation_id"):
        # The same expression for both, as intake sets correlation_id = id.
        return "md5('bench-idea-' || g)::uuid"
    if name == "author_sub":
        return _AUTHOR_SUB
    if name == "author":
        return (
            f"jsonb_build_object('sub', {_AUTHOR_SUB}, 'name', 'Agent ' || (g % 997),"
            " 'email', 'bench.seed.' || (g % 997) || '@departement.example',"
            " 'directorate', 'DSI')"
        )
    if isinstance(kind, sa.DateTime) and (name in _CLOCK or not column.nullable):
        return "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'"
    has_default = column.server_default is not None
    if column.default is not None and getattr(column.default, "is_scalar", False):
        literal = sa.literal(column.default.arg, type_=kind)  # type: ignore[attr-defined]
        return str(
            literal.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
    if has_default or column.nullable:
        return None
    if isinstance(kind, sa.Uuid):
        return "md5('bench-' || g || '-" + name + "')::uuid"
    if isinstance(kind, sa.Enum) and kind.enums:
        return f"'{kind.enums[0]}'"
    if isinstance(kind, sa.String):
        return f"left('{name} ' || g, {kind.length or 200})"
    if isinstance(kind, sa.Integer | sa.Numeric):
        return "g"
    if isinstance(kind, sa.Boolean):
        return "false"
    if isinstance(kind, sa.ARRAY):
        return "'{}'"
    if isinstance(kind, sa.JSON):
        return "'{}'::jsonb"
    if isinstance(kind, sa.Date):
        return "date '2026-01-01' + (g % 300)"
    raise RuntimeError(f"cannot seed ideas.{name} ({kind})")


async def seed_ideas(database_url: str, already: int, count: int) -> list[str]:
    """Add `count` ideas to intake's board in one INSERT ... SELECT generate_series, through
    the columns of intake's own table definition as it is today (it evolves)."""
    from intake.tables import metadata

    table = metadata.tables["ideas"]
    pairs = [(c.name, expr) for c in table.columns if (expr := _seed_expression(c)) is not None]
    columns = ", ".join(f'"{name}"' for name, _ in pairs)
    values = ", ".join(expr for _, expr in pairs)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(
            f"INSERT INTO ideas ({columns}) SELECT {values}"
            f" FROM generate_series({already + 1}, {already + count}) AS g"
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return [name for name, _ in pairs]


def merged_rounds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's scenario-1 rounds as one result: counts and CPU summed, percentiles
    of all the latencies together."""
    latencies = sorted(v for run in runs for v in run.pop("latencies_ms"))
    wall = sum(run["wall"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    machine_total = sum(run["machine_total"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    loadgen_cpu = sum(run["loadgen"].get("cpu_seconds", 0.0) for run in runs)
    loadgen_wall = sum(run["loadgen"].get("wall_seconds", 0.0) for run in runs)
    return {
        "rounds": runs,
        "ok": sum(run["ok"] for run in runs),
        "statuses": statuses,
        "seconds": seconds,
        "throughput": sum(run["ok"] for run in runs) / seconds,
        "p50_ms": loadgen.percentile(latencies, 0.50),
        "p99_ms": loadgen.percentile(latencies, 0.99),
        "server_cpu_percent_of_one_core": 100 * sum(run["server_cpu"] for run in runs) / wall,
        "postgres_cpu_percent_of_one_core": 100 * sum(run["postgres_cpu"] for run in runs) / wall,
        "machine_busy_percent": (
            100 * sum(run["machine_busy"] for run in runs) / machine_total
            if machine_total
            else None
        ),
        "loadgen": {
            "cpu_percent_of_one_core": 100 * loadgen_cpu / loadgen_wall if loadgen_wall else 0.0
        },
    }


# --- report ---------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"


def render(figures: list[Figure]) -> str:
    header = ("#", "figure", "ours", "baseline", "ratio", "target", "met", "note")
    rows = [
        (
            str(f.scenario),
            f.name + (f" ({f.unit})" if f.unit else ""),
            _fmt(f.value),
            _fmt(f.baseline),
            "n/a" if f.ratio is None else f"{f.ratio:.2f}",
            f.target,
            {True: "yes", False: "NO", None: "-"}[f.met],
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)]
        lines.append(" | ".join(cells) + " | " + row[-1])
        if row is header:
            lines.append("-+-".join("-" * w for w in widths) + "-+-----")
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, well under a minute")
    parser.add_argument("--scenarios", default="1,2,3,4", help="which ones, e.g. 1,3")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
        help="PostgreSQL server URL, without a database name",
    )
    parser.add_argument(
        "--rabbitmq-url",
        default=os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    args = parser.parse_args()
    scenarios = [int(n) for n in args.scenarios.split(",")]
    bench = Bench(args)
    started = datetime.now(UTC)
    log(f"run {bench.run_id} ({'smoke' if bench.smoke else 'full'}), logs in {bench.logs}")
    try:
        await bench.run(scenarios)
    finally:
        await bench.cleanup()
    bench.figures.sort(key=lambda figure: figure.scenario)
    table = render(bench.figures)
    sys.stdout.write(table + "\n")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started:%Y-%m-%dT%H-%M-%SZ}{'-smoke' if bench.smoke else ''}.json"
    report = {
        "run_id": bench.run_id,
        "mode": "smoke" if bench.smoke else "full",
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": os.getloadavg(),
        },
        "sizes": asdict(bench.sizes),
        "figures": [asdict(f) for f in bench.figures],
        "errors": bench.errors,
        "details": bench.details,
    }
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"results written to {path.relative_to(ROOT)}")
    if bench.errors:
        log(f"scenarios that could not be measured: {', '.join(bench.errors)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
