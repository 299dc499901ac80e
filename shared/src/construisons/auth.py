"""Who is calling: JWT bearer verification and the FastAPI dependencies that use it.

Development and tests sign with HS256 and AUTH_JWT_SECRET; production verifies RS256
against AUTH_PUBLIC_KEY or the intranet SSO's AUTH_JWKS_URL. `python -m construisons.auth`
mints a development token.
"""

import argparse
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from construisons.events import Person
from construisons.settings import ServiceSettings

INNOVATION_TEAM = "innovation_team"
COMMITTEE = "committee"
ROLES = (INNOVATION_TEAM, COMMITTEE)


@dataclass(frozen=True)
class Principal:
    """The authenticated agent, as the intranet's single sign-on describes them."""

    sub: str
    name: str
    email: str | None = None
    directorate: str | None = None
    manager_sub: str | None = None
    manager_email: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def person(self) -> Person:
        return Person(sub=self.sub, name=self.name, email=self.email, directorate=self.directorate)

    @property
    def manager(self) -> Person | None:
        if self.manager_sub is None:
            return None
        return Person(sub=self.manager_sub, email=self.manager_email)


class TokenVerifier:
    """Checks a bearer token's signature, expiry, issuer and audience."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None
        self._public_key = settings.auth_public_key
        self._secret = settings.auth_jwt_secret
        # Decoding costs more than the rest of a small request; tokens are reused for hours.
        self._verified: dict[str, tuple[Principal, float]] = {}

    def _key(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key, ["RS256"]
        if self._public_key:
            return self._public_key, ["RS256"]
        return self._secret, ["HS256"]

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; a token seen before is not decoded again until it expires."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires = self._decode(token)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        key, algorithms = self._key(token)
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=self.issuer,
            audience=self.audience,
            options={"require": ["sub", "exp"]},
        )
        roles = claims.get("roles") or []
        if not isinstance(roles, list):
            raise jwt.InvalidTokenError("roles must be a list")
        principal = Principal(
            sub=str(claims["sub"]),
            name=str(claims.get("name") or claims["sub"]),
            email=claims.get("email"),
            directorate=claims.get("directorate"),
            manager_sub=claims.get("manager_sub"),
            manager_email=claims.get("manager_email"),
            roles=frozenset(str(role) for role in roles),
        )
        return principal, float(claims["exp"])


_CACHE_SIZE = 10_000
_bearer = HTTPBearer(auto_error=False)
_UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Authentification requise : jeton absent, invalide ou expiré.",
    headers={"WWW-Authenticate": "Bearer"},
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _UNAUTHENTICATED
    try:
        return request.app.state.verifier.verify(credentials.credentials)
    except (jwt.PyJWTError, ValueError) as exc:
        raise _UNAUTHENTICATED from exc


CurrentAgent = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency letting through only callers holding one of `roles`."""

    async def dependency(principal: CurrentAgent) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="Vous n'avez pas les droits nécessaires pour cette action.",
            )
        return principal

    return dependency


InnovationTeam = Annotated[Principal, Depends(require_roles(INNOVATION_TEAM))]
TeamOrCommittee = Annotated[Principal, Depends(require_roles(INNOVATION_TEAM, COMMITTEE))]
CommitteeMember = Annotated[Principal, Depends(require_roles(COMMITTEE))]


def mint_token(
    settings: ServiceSettings,
    *,
    sub: str,
    name: str | None = None,
    email: str | None = None,
    directorate: str | None = None,
    manager_sub: str | None = None,
    manager_email: str | None = None,
    roles: list[str] | None = None,
    lifetime: timedelta = timedelta(hours=8),
) -> str:
    """A development token signed with AUTH_JWT_SECRET (HS256)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name or sub,
        "email": email if email is not None else f"{sub}@departement.example",
        "directorate": directorate,
        "manager_sub": manager_sub,
        "manager_email": manager_email,
        "roles": roles or [],
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, settings.auth_jwt_secret, "HS256"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Mint a development token (HS256, AUTH_JWT_SECRET)."
    )
    parser.add_argument("--sub", default="agent.dupont")
    parser.add_argument("--name", default="Camille Dupont")
    parser.add_argument("--email")
    parser.add_argument("--directorate", default="DSI")
    parser.add_argument("--manager-sub", default="manager.martin")
    parser.add_argument("--manager-email", default="manager.martin@departement.example")
    parser.add_argument("--role", action="append", default=[], choices=ROLES)
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args(argv)
    token = mint_token(
        ServiceSettings(),
        sub=args.sub,
        name=args.name,
        email=args.email,
        directorate=args.directorate,
        manager_sub=args.manager_sub,
        manager_email=args.manager_email,
        roles=args.role,
        lifetime=timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")


if __name__ == "__main__":
    main()
