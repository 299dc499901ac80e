"""The intranet inbox: a person sees and marks only their own notifications."""

import uuid
from typing import Any

import pytest

from construisons import events as ev


async def _told(h: Any, author: ev.Person, title: str) -> dict[str, Any]:
    event = ev.IdeaSentBack(
        idea_id=uuid.uuid4(), title=title, author=author, reason="Préciser le besoin."
    )
    await h.publish(event)
    return await h.wait_processed(author.sub, f"/ideas/{event.idea_id}")


async def test_inbox_lists_newest_first_filters_unread_and_marks_read(harness: Any) -> None:
    me = harness.person("agent")
    first = await _told(harness, me, "Première idée")
    second = await _told(harness, me, "Deuxième idée")

    inbox = await harness.inbox(me.sub)
    assert [n["id"] for n in inbox["items"]] == [second["id"], first["id"]]
    assert inbox["unread_count"] == 2
    assert second["category"] == "idea_progress"
    assert "Deuxième idée" in second["title"]

    read = await harness.client.post(
        f"/me/notifications/{first['id']}/read", headers=harness.auth(me.sub)
    )
    assert read.status_code == 200
    assert read.json()["read"] is True
    unread = await harness.inbox(me.sub, unread="true")
    assert [n["id"] for n in unread["items"]] == [second["id"]]
    assert unread["unread_count"] == 1

    # Marking twice is harmless.
    again = await harness.client.post(
        f"/me/notifications/{first['id']}/read", headers=harness.auth(me.sub)
    )
    assert again.status_code == 200

    all_read = await harness.client.post("/me/notifications/read-all", headers=harness.auth(me.sub))
    assert all_read.json() == {"marked": 1, "unread_count": 0}
    inbox = await harness.inbox(me.sub)
    assert inbox["unread_count"] == 0
    assert all(n["read"] for n in inbox["items"])
    assert (await harness.inbox(me.sub, unread="true"))["items"] == []


async def test_one_person_cannot_read_or_mark_another_persons_notifications(
    harness: Any,
) -> None:
    owner, other = harness.person("agent"), harness.person("agent")
    notification = await _told(harness, owner, "Idée personnelle")
    await _told(harness, other, "Idée de l'autre")

    assert notification["id"] not in [n["id"] for n in (await harness.inbox(other.sub))["items"]]
    marked = await harness.client.post(
        f"/me/notifications/{notification['id']}/read", headers=harness.auth(other.sub)
    )
    assert marked.status_code == 404
    assert marked.json()["detail"] == "Notification introuvable."
    # Someone else's "read all" leaves mine unread.
    await harness.client.post("/me/notifications/read-all", headers=harness.auth(other.sub))
    [mine] = [n for n in (await harness.inbox(owner.sub))["items"]]
    assert mine["read"] is False
    assert (await harness.inbox(owner.sub))["unread_count"] == 1


async def test_marking_an_unknown_or_malformed_notification_fails_cleanly(harness: Any) -> None:
    headers = harness.auth("agent.lost")
    unknown = await harness.client.post(f"/me/notifications/{uuid.uuid4()}/read", headers=headers)
    assert unknown.status_code == 404
    malformed = await harness.client.post("/me/notifications/pas-un-id/read", headers=headers)
    assert malformed.status_code == 422
    assert "UUID" in malformed.json()["detail"][0]["msg"]
    too_many = await harness.client.get("/me/notifications?limit=5000", headers=headers)
    assert too_many.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/me/notifications"),
        ("GET", "/me/notifications/stream"),
        ("POST", f"/me/notifications/{uuid.UUID(int=1)}/read"),
        ("POST", "/me/notifications/read-all"),
        ("GET", "/me/preferences"),
        ("PUT", "/me/preferences"),
    ],
)
async def test_personal_endpoints_need_a_valid_token(harness: Any, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await harness.client.request(method, path, headers=headers, json={"email": {}})
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Authentification requise")
