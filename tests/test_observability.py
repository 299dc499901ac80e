"""What operators see: traces across HTTP and the bus, metrics, structured logs."""

import io
import json
import logging

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from construisons.auth import INNOVATION_TEAM
from construisons.observability import configure_logging, log_context
from construisons.testing import TestBed, eventually, serve
from intake.config import Settings as IntakeSettings
from intake.main import create_app as create_intake
from review.config import Settings as ReviewSettings
from review.main import create_app as create_review

IDEA = {
    "title": "Tableau de bord des délais de paiement",
    "problem": "Les fournisseurs relancent sans cesse faute de visibilité sur leurs paiements.",
    "solution": "Un tableau de bord partagé des factures et de leur état, ouvert aux services.",
}


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_the_trace_of_a_posted_idea_continues_into_the_review_consumer(
    testbed: TestBed, spans: InMemorySpanExporter
) -> None:
    bed = testbed.sibling()
    await bed.migrate("intake")
    await bed.migrate("review")
    async with (
        serve(create_intake(bed.settings(IntakeSettings, tracing_enabled=True))) as intake,
        serve(create_review(bed.settings(ReviewSettings, tracing_enabled=True))) as review,
    ):
        posted = await intake.post("/ideas", json=IDEA, headers=bed.auth("agent.trace"))
        assert posted.status_code == 201
        idea_id = posted.json()["id"]
        team = bed.auth("team", roles=[INNOVATION_TEAM])

        async def case() -> bool:
            return (await review.get(f"/cases/{idea_id}", headers=team)).status_code == 200

        await eventually(case)

    finished = spans.get_finished_spans()
    [post] = [s for s in finished if s.kind == trace.SpanKind.SERVER and "POST /ideas" in s.name]
    consumers = [
        s for s in finished if s.kind == trace.SpanKind.CONSUMER and "idea.submitted" in s.name
    ]
    assert any(s.context.trace_id == post.context.trace_id for s in consumers), (
        "no review consumer span in the trace started by POST /ideas"
    )


async def test_metrics_count_requests_published_and_consumed_events(
    testbed: TestBed, intake: httpx.AsyncClient, review: httpx.AsyncClient
) -> None:
    posted = await intake.post("/ideas", json=IDEA, headers=testbed.auth("agent.metrics"))
    idea_id = posted.json()["id"]
    team = testbed.auth("team", roles=[INNOVATION_TEAM])

    async def case() -> bool:
        return (await review.get(f"/cases/{idea_id}", headers=team)).status_code == 200

    await eventually(case)

    async def published() -> str | None:
        text = (await intake.get("/metrics")).text
        return (
            text
            if 'construisons_messages_published_total{event_type="idea.submitted"}' in text
            else None
        )

    intake_metrics = await eventually(published)
    assert 'handler="/ideas"' in intake_metrics and 'status="201"' in intake_metrics
    assert "construisons_outbox_backlog" in intake_metrics
    assert "construisons_outbox_oldest_pending_age_seconds" in intake_metrics
    review_metrics = (await review.get("/metrics")).text
    assert (
        'construisons_messages_consumed_total{event_type="idea.submitted",outcome="consumed"}'
        in review_metrics
    )


def test_json_logs_carry_service_and_journey_identifiers() -> None:
    configure_logging(IntakeSettings(log_format="json"))
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "construisons", False)]
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        with log_context(correlation_id="c-1", event_id="e-1", idea_id="i-1"):
            logging.getLogger("intake.test").warning("idée reçue")
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
        configure_logging(IntakeSettings())
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["service"] == "intake"
    assert line["level"] == "WARNING"
    assert line["message"] == "idée reçue"
    assert (line["correlation_id"], line["event_id"], line["idea_id"]) == ("c-1", "e-1", "i-1")
