"""The checked-in JSON Schemas are the contract: a model change without them fails here."""

import uuid

import pytest
from pydantic import ValidationError

from construisons import events


@pytest.mark.parametrize("event", events.EVENTS, ids=lambda e: e.routing_key)
def test_checked_in_schema_matches_the_model(event: type[events.Event]) -> None:
    path = events.schema_file(event)
    assert path.exists(), f"{path.name} missing: run `make schemas`"
    assert path.read_text(encoding="utf-8") == events.render_schema(event), (
        f"{path.name} is stale: run `make schemas` and commit it with the model change"
    )


def test_no_schema_file_without_a_model() -> None:
    expected = {events.schema_file(e).name for e in events.EVENTS}
    assert {p.name for p in events.SCHEMA_DIR.glob("*.json")} == expected


def test_routing_keys_are_unique_and_dotted() -> None:
    keys = [e.routing_key for e in events.EVENTS]
    assert len(keys) == len(set(keys))
    assert all(k.count(".") == 1 and k == k.lower() for k in keys)


def test_envelope_round_trips_and_ignores_unknown_fields() -> None:
    payload = events.IdeaWithdrawn(
        idea_id=uuid.uuid4(), title="Idée", author=events.Person(sub="agent.a")
    )
    sent = events.envelope(payload, producer="intake", correlation_id=uuid.uuid4())
    body = sent.model_dump_json().replace('"producer"', '"added_later": 1, "producer"')
    received = events.parse(body)
    assert received == sent
    assert isinstance(received.payload, events.IdeaWithdrawn)


def test_unknown_event_type_or_version_is_refused() -> None:
    payload = events.IdeaWithdrawn(
        idea_id=uuid.uuid4(), title="Idée", author=events.Person(sub="a")
    )
    sent = events.envelope(payload, producer="intake", correlation_id=uuid.uuid4())
    with pytest.raises(events.UnknownEvent):
        events.parse(sent.model_dump_json().replace('"version":1', '"version":99'))
    with pytest.raises(events.UnknownEvent):
        events.parse(b'{"event_type": "idea.withdrawn"}')
    with pytest.raises(events.UnknownEvent):
        events.parse(b"[1, 2]")
    with pytest.raises(ValidationError):
        events.parse(b'{"event_type": "idea.withdrawn", "version": 1, "payload": {}}')
