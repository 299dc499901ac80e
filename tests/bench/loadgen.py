"""Load generator of the benchmark: a separate process that talks HTTP/1.1 over loopback.

`python loadgen.py < config.json` prints one JSON result on stdout. It shares the cores
with the services it loads, so it reports its own CPU use; it speaks a minimal keep-alive
HTTP/1.1 over asyncio streams rather than through a full client library because a heavier
client would take CPU from the very services it measures.

Modes:
- `closed`: `concurrency` connections send the same request back to back, either for
  `warmup` + `duration` seconds (latencies and throughput of the measured window only) or
  until `total` requests have been sent.
- `paced`: one idea every 1/`rate` seconds for `duration` seconds, each by an author of
  its own; after each 201, the author's notification is awaited by polling the
  notifications database; latency is from the POST's response to the row being there.
- `probe`: named GET requests sent one after the other, `iterations` times each.
"""

import asyncio
import json
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from construisons.auth import mint_token
from construisons.settings import ServiceSettings


class HttpError(Exception):
    """The server broke the HTTP/1.1 exchange (closed, malformed)."""


@dataclass
class Connection:
    """One keep-alive HTTP/1.1 connection; requests on it are sent one after the other."""

    host: str
    port: int
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes]:
        reused = self._writer is not None
        try:
            return await self._exchange(method, path, headers, body)
        except HttpError:
            # The server may close a keep-alive connection left idle (uvicorn: after 5 s):
            # like any client, send again once on a fresh connection.
            if not reused:
                raise
            return await self._exchange(method, path, headers, body)

    async def _exchange(
        self, method: str, path: str, headers: bytes, body: bytes
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Length: {len(body)}\r\n"
        ).encode()
        self._writer.write(head + headers + b"\r\n" + body)
        try:
            raw = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise HttpError(repr(exc)) from exc
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            content = await self._read_chunked()
        else:
            content = await self._reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, content

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def _headers(token: str | None, *, json_body: bool) -> bytes:
    lines = []
    if token:
        lines.append(f"Authorization: Bearer {token}\r\n")
    if json_body:
        lines.append("Content-Type: application/json\r\n")
    return "".join(lines).encode()


def percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(latencies: Sequence[float]) -> dict[str, float | None]:
    ms = [v * 1000 for v in latencies]
    return {
        "p50_ms": percentile(ms, 0.50),
        "p90_ms": percentile(ms, 0.90),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms) if ms else None,
    }


@dataclass
class CpuClock:
    """This process's CPU seconds (user + system) between start and stop."""

    started_cpu: float = 0.0
    started_wall: float = 0.0
    result: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.started_cpu, self.started_wall = self._cpu(), time.perf_counter()

    def stop(self) -> dict[str, float]:
        cpu, wall = self._cpu() - self.started_cpu, time.perf_counter() - self.started_wall
        self.result = {
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "cpu_percent_of_one_core": 100 * cpu / wall if wall else 0.0,
        }
        return self.result


def _tokens(prefix: str, count: int) -> list[str]:
    settings = ServiceSettings()
    return [
        mint_token(settings, sub=f"{prefix}{i}", name=f"Agent banc d'essai {i}", directorate="DSI")
        for i in range(count)
    ]


async def closed(config: dict[str, Any]) -> dict[str, Any]:
    """Back-to-back requests from `concurrency` connections (closed loop)."""
    concurrency = config["concurrency"]
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in config.get("bodies", [])]
    tokens = _tokens(config.get("author_prefix", "bench.agent."), concurrency)
    headers = [_headers(t, json_body=bool(bodies)) for t in tokens]
    method, path = config.get("method", "POST"), config["path"]
    expected = config.get("expected_status", 201)
    total = config.get("total")
    warmup, duration = config.get("warmup", 0.0), config.get("duration", 0.0)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    ok_in_window = 0
    clock = CpuClock()
    started = time.perf_counter()
    window_start, window_end = started + warmup, started + warmup + duration
    first_send_wall = time.time()
    last_response_wall = first_send_wall

    async def worker(index: int) -> None:
        nonlocal sent, ok_in_window, last_response_wall
        connection = Connection(config["host"], config["port"])
        sent_by_me = 0
        try:
            while True:
                now = time.perf_counter()
                if total is not None:
                    if sent >= total:
                        return
                    sent += 1
                elif now >= window_end:
                    return
                if total is None and now >= window_start and not clock.started_wall:
                    clock.start()
                try:
                    body = (
                        bodies[(sent_by_me * concurrency + index) % len(bodies)] if bodies else b""
                    )
                    sent_by_me += 1
                    status, _ = await connection.request(method, path, headers[index], body)
                except (HttpError, OSError):
                    status = 0
                    await asyncio.sleep(0.05)
                done = time.perf_counter()
                last_response_wall = time.time()
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                in_window = total is not None or (now >= window_start and done <= window_end)
                if in_window and status == expected:
                    ok_in_window += 1
                    latencies.append(done - now)
        finally:
            connection.close()

    if total is not None:
        clock.start()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    cpu = clock.stop() if clock.started_wall else {}
    elapsed = duration if total is None else time.perf_counter() - started
    return {
        "mode": "closed",
        "ok": ok_in_window,
        "statuses": statuses,
        "seconds": elapsed,
        "throughput": ok_in_window / elapsed if elapsed else 0.0,
        "first_send_wall": first_send_wall,
        "last_response_wall": last_response_wall,
        **_summary(latencies),
        # Raw latencies on request, for a caller that merges several runs' percentiles.
        **({"latencies_ms": [v * 1000 for v in latencies]} if config.get("raw") else {}),
        "loadgen": cpu,
    }


async def paced(config: dict[str, Any]) -> dict[str, Any]:
    """Open-loop ideas at a steady rate; latency from the 201 to the notification row."""
    import asyncpg

    rate, duration = config["rate"], config["duration"]
    count = round(rate * duration)
    prefix = config["author_prefix"]
    tokens = _tokens(prefix, count)
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in config["bodies"]]
    table, column = config["notifications_table"], config["recipient_column"]
    query = f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" = ANY($1::text[])'
    database = await asyncpg.connect(config["notifications_dsn"])
    idle: list[Connection] = []
    pending: dict[str, float] = {}
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    posting_done = asyncio.Event()

    async def post(i: int) -> None:
        connection = idle.pop() if idle else Connection(config["host"], config["port"])
        try:
            status, _ = await connection.request(
                "POST", "/ideas", _headers(tokens[i], json_body=True), bodies[i % len(bodies)]
            )
        except (HttpError, OSError):
            status = 0
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 201:
            pending[f"{prefix}{i}"] = time.perf_counter()
        idle.append(connection)

    async def watch() -> None:
        interval = config.get("poll_interval", 0.005)
        deadline = None
        while True:
            if posting_done.is_set():
                deadline = deadline or time.perf_counter() + config.get("settle_timeout", 30.0)
                if not pending or time.perf_counter() > deadline:
                    return
            if pending:
                rows = await database.fetch(query, list(pending))
                seen = time.perf_counter()
                for row in rows:
                    latencies.append(seen - pending.pop(row[0]))
            await asyncio.sleep(interval)

    clock = CpuClock()
    clock.start()
    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    achieved_rate = count / (time.perf_counter() - started)
    posting_done.set()
    await watcher
    cpu = clock.stop()
    await database.close()
    for connection in idle:
        connection.close()
    return {
        "mode": "paced",
        "posted": count,
        "achieved_rate": achieved_rate,
        "statuses": statuses,
        "notified": len(latencies),
        "missing": len(pending),
        "sample_authors": [f"{prefix}{i}" for i in range(min(3, count))],
        **_summary(latencies),
        "loadgen": cpu,
    }


async def probe(config: dict[str, Any]) -> dict[str, Any]:
    """Sequential GETs, each named request `iterations` times after `warmup` unmeasured ones."""
    headers = _headers(_tokens(config.get("author_prefix", "bench.reader."), 1)[0], json_body=False)
    connection = Connection(config["host"], config["port"])
    results = {}
    clock = CpuClock()
    clock.start()
    for name, path in config["requests"].items():
        latencies = []
        statuses: dict[str, int] = {}
        for i in range(config.get("warmup", 0) + config["iterations"]):
            started = time.perf_counter()
            try:
                status, _ = await connection.request("GET", path, headers)
            except (HttpError, OSError):
                status = 0
            elapsed = time.perf_counter() - started
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if i >= config.get("warmup", 0) and status == 200:
                latencies.append(elapsed)
        results[name] = {"statuses": statuses, "ok": len(latencies), **_summary(latencies)}
    connection.close()
    return {"mode": "probe", "requests": results, "loadgen": clock.stop()}


MODES = {"closed": closed, "paced": paced, "probe": probe}


def main() -> None:
    config = json.loads(sys.stdin.read())
    result = asyncio.run(MODES[config["mode"]](config))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
