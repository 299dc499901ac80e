"""Every endpoint of every service refuses a caller without a valid token (401)."""

import uuid

import httpx
import pytest

PUBLIC = {"/health", "/ready", "/metrics"}


async def _routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    spec = (await client.get("/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path not in PUBLIC
        for method in operations
    ]


@pytest.mark.parametrize("service", ["intake", "review", "incubation", "notifications"])
@pytest.mark.parametrize("token", [None, "garbage"], ids=["no-token", "bad-token"])
async def test_every_endpoint_requires_a_valid_token(
    intake: httpx.AsyncClient,
    review: httpx.AsyncClient,
    incubation: httpx.AsyncClient,
    notifications: httpx.AsyncClient,
    service: str,
    token: str | None,
) -> None:
    client = {"intake": intake, "review": review, "incubation": incubation}.get(
        service, notifications
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    routes = await _routes(client)
    assert routes, f"{service} exposes no endpoint"
    for method, path in routes:
        url = path.format_map(_AnyId())
        response = await client.request(method, url, headers=headers, json={})
        assert response.status_code == 401, f"{service} {method} {path}: {response.status_code}"
        assert "detail" in response.json()


class _AnyId(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return str(uuid.uuid4())
