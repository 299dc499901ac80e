"""Bearer tokens: who gets in, who is refused, through a real FastAPI app."""

import asyncio
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from construisons.auth import (
    INNOVATION_TEAM,
    CurrentAgent,
    InnovationTeam,
    TokenVerifier,
    mint_token,
)
from construisons.http import install_error_handlers
from construisons.settings import ServiceSettings


def app_with(settings: ServiceSettings) -> FastAPI:
    app = FastAPI()
    app.state.verifier = TokenVerifier(settings)
    install_error_handlers(app)

    @app.get("/me")
    async def me(agent: CurrentAgent) -> dict[str, object]:
        return {"sub": agent.sub, "directorate": agent.directorate, "manager": agent.manager_sub}

    @app.get("/team-only")
    async def team_only(agent: InnovationTeam) -> dict[str, str]:
        return {"sub": agent.sub}

    return app


async def call(app: FastAPI, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        return await client.get(path, headers=headers)


SETTINGS = ServiceSettings()


async def test_a_valid_token_gives_the_agent_and_their_claims() -> None:
    token = mint_token(SETTINGS, sub="agent.a", directorate="DRH", manager_sub="chef.b")
    response = await call(app_with(SETTINGS), "/me", token)
    assert response.status_code == 200
    assert response.json() == {"sub": "agent.a", "directorate": "DRH", "manager": "chef.b"}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        mint_token(SETTINGS, sub="a", lifetime=timedelta(seconds=-5)),
        mint_token(ServiceSettings(auth_audience="another-app"), sub="a"),
        mint_token(ServiceSettings(auth_issuer="someone-else"), sub="a"),
        mint_token(ServiceSettings(auth_jwt_secret="x" * 40), sub="a"),
    ],
    ids=["missing", "garbage", "expired", "wrong-audience", "wrong-issuer", "wrong-signature"],
)
async def test_missing_or_invalid_tokens_get_401_in_french(token: str | None) -> None:
    response = await call(app_with(SETTINGS), "/me", token)
    assert response.status_code == 401
    assert "jeton" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_wrong_role_gets_403_and_right_role_passes() -> None:
    app = app_with(SETTINGS)
    refused = await call(app, "/team-only", mint_token(SETTINGS, sub="a", roles=["committee"]))
    assert refused.status_code == 403
    assert "droits" in refused.json()["detail"]
    allowed = await call(app, "/team-only", mint_token(SETTINGS, sub="a", roles=[INNOVATION_TEAM]))
    assert allowed.status_code == 200


async def test_rs256_tokens_are_verified_against_the_configured_public_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = ServiceSettings(auth_public_key=public.decode())
    claims = {
        "sub": "agent.sso",
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "exp": 2**33,
    }
    good = jwt.encode(claims, key, algorithm="RS256")
    assert (await call(app_with(settings), "/me", good)).status_code == 200
    # An HS256 token signed with the development secret must not pass once a key is set.
    assert (await call(app_with(settings), "/me", mint_token(settings, sub="a"))).status_code == 401


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="AUTH_JWT_SECRET"):
        ServiceSettings(environment="production")


async def test_a_token_accepted_once_is_refused_after_it_expires() -> None:
    app = app_with(SETTINGS)
    token = mint_token(SETTINGS, sub="agent.short", lifetime=timedelta(seconds=1))
    assert (await call(app, "/me", token)).status_code == 200
    assert (await call(app, "/me", token)).status_code == 200
    await asyncio.sleep(1.2)
    assert (await call(app, "/me", token)).status_code == 401
