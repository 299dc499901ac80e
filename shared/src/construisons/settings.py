"""Settings every service shares, read from environment variables with working local defaults."""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "construisons-development-secret-change-me"


class ServiceSettings(BaseSettings):
    """Common settings; each service subclasses it and sets its own name and database."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    service_name: str = "construisons"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons"
    # Connections per process: four services stay well under PostgreSQL's default 100.
    database_pool_size: int = 10
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    bus_exchange: str = "construisons"
    bus_queue_prefix: str = ""
    bus_delivery_limit: int = 5
    bus_prefetch: int = 50
    bus_batch_size: int = 50
    bus_reconnect_interval: float = 2.0
    bus_retry_delay: float = 0.5
    outbox_relay_enabled: bool = True
    outbox_poll_interval: float = 1.0
    outbox_batch_size: int = 500
    outbox_retention_days: int = 7
    auth_jwt_secret: str = DEVELOPMENT_SECRET
    auth_public_key: str | None = None
    auth_jwks_url: str | None = None
    auth_issuer: str = "construisons-dev"
    auth_audience: str = "construisons"
    max_body_bytes: int = 64_000
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"
    tracing_enabled: bool = False
    intranet_base_url: str = "http://localhost:8080"

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> "ServiceSettings":
        if self.environment == "production" and not (self.auth_public_key or self.auth_jwks_url):
            if self.auth_jwt_secret == DEVELOPMENT_SECRET:
                raise ValueError(
                    "AUTH_JWT_SECRET still holds the development value: set AUTH_PUBLIC_KEY, "
                    "AUTH_JWKS_URL or a real secret in production"
                )
        return self
