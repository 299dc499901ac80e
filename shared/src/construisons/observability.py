"""Logs, metrics and traces, set up the same way in every service.

- Logs: one JSON line per event in production (LOG_FORMAT=json), readable text in
  development; each line carries the service and, where known, the journey's
  correlation_id, the event_id and the idea_id.
- Metrics: Prometheus on /metrics, from a registry of the app's own.
- Traces: OpenTelemetry, off unless OTEL_TRACES_EXPORTER names an exporter (or
  TRACING_ENABLED is set); the context travels in the outbox rows and message headers.
"""

import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from opentelemetry import propagate, trace
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_fastapi_instrumentator import Instrumentator
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncEngine

from construisons.settings import ServiceSettings

LOG_FIELDS = ("correlation_id", "event_id", "idea_id")
_log_context: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add fields (correlation_id, event_id, idea_id) to every log line written inside."""
    token = _log_context.set({**_log_context.get(), **{k: str(v) for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _log_context.reset(token)


def bind_log_context(**fields: object) -> None:
    """Add fields to the current task's log context until it ends."""
    _log_context.set({**_log_context.get(), **{k: str(v) for k, v in fields.items() if v}})


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = getattr(record, "service", self.service)
        for name, value in _log_context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)}" for k in LOG_FIELDS if hasattr(record, k))
        return f"{line} {extras}" if extras else line


def configure_logging(settings: ServiceSettings) -> None:
    """Route every log record through one handler with the chosen format (idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "construisons", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.construisons = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.filters = [_ContextFilter(settings.service_name)]
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{service}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            _TextFormatter("%(asctime)s %(levelname)-7s %(service)s %(name)s: %(message)s")
        )
    root.setLevel(settings.log_level.upper())
    # FastStream logs every message at INFO: too costly on the hot path.
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("faststream.access").setLevel(logging.WARNING)


# --- metrics --------------------------------------------------------------------------

MetricsHook = Callable[[FastAPI], Awaitable[None]]


class Metrics:
    """The Prometheus metrics of one service instance."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.consumed = Counter(
            "construisons_messages_consumed",
            "Messages taken from the service's queue, by event type and outcome.",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.published = Counter(
            "construisons_messages_published",
            "Events published from the outbox, by event type.",
            ["event_type"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "construisons_outbox_backlog", "Outbox rows not yet published.", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "construisons_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none).",
            registry=self.registry,
        )
        self.hooks: list[MetricsHook] = []

    def count_consumed(self, event_type: str, outcome: str) -> None:
        self.consumed.labels(event_type, outcome).inc()

    def count_published(self, event_types: list[str]) -> None:
        for event_type in event_types:
            self.published.labels(event_type).inc()

    async def refresh_outbox(self, engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            backlog, oldest = (
                await conn.execute(
                    sa.text(
                        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                        "FROM outbox WHERE published_at IS NULL"
                    )
                )
            ).one()
        self.outbox_backlog.set(backlog)
        self.outbox_oldest_age.set(float(oldest))


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """HTTP metrics by route and status, and the /metrics endpoint."""
    Instrumentator(
        registry=metrics.registry,
        excluded_handlers=["/metrics", "/health", "/ready"],
        should_group_status_codes=False,
    ).instrument(app)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        try:
            await metrics.refresh_outbox(request.app.state.engine)
            for hook in metrics.hooks:
                await hook(request.app)
        except Exception:
            logging.getLogger(__name__).warning(
                "metrics: database figures unavailable", exc_info=True
            )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


# --- traces ---------------------------------------------------------------------------


def tracing_enabled(settings: ServiceSettings) -> bool:
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    return settings.tracing_enabled or exporter not in ("", "none")


def configure_tracing(settings: ServiceSettings) -> trace.TracerProvider | None:
    """The process's tracer provider, built from the standard OTEL_* variables when enabled."""
    if not tracing_enabled(settings):
        return None
    current = trace.get_tracer_provider()
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(
        resource=Resource.create(
            {SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", settings.service_name)}
        )
    )
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def instrument_app(app: FastAPI, provider: trace.TracerProvider) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="health,ready,metrics"
    )


def trace_headers() -> dict[str, str]:
    """The current trace context as message headers (empty when no span is recording)."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers
