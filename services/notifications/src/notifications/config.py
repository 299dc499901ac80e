from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from construisons.settings import ServiceSettings


class CommitteeMember(BaseModel):
    """A committee member as configured: an intranet sub, an email address, or both."""

    sub: str | None = None
    email: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> "CommitteeMember":
        if not (self.sub or self.email):
            raise ValueError("a committee member needs a sub or an email")
        return self


class Settings(ServiceSettings):
    """Notifications settings (environment variables).

    Lists and mappings are JSON in the environment, e.g.
    `COMMITTEE_MEMBERS='[{"sub": "agent.x", "email": "x@departement.example"}]'` and
    `DIRECTORATE_MAILBOXES='{"DSI": "dsi@departement.example"}'`.
    """

    # DIGEST_HOUR=null switches the scheduled digest off.
    model_config = SettingsConfigDict(env_parse_none_str="null")

    service_name: str = "notifications"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons_notifications"

    # Who receives what besides the people named in events.
    innovation_team_mailbox: str = "innovation@departement.example"
    committee_members: list[CommitteeMember] = Field(default_factory=list)
    directorate_mailboxes: dict[str, str] = Field(default_factory=dict)

    # Outgoing mail.
    mail_sender: str = "Construisons <construisons@departement.example>"
    mail_reply_to: str | None = "innovation@departement.example"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 15.0

    # The delivery worker.
    delivery_worker_enabled: bool = True
    delivery_poll_interval: float = 5.0
    delivery_concurrency: int = Field(default=4, ge=1, le=32)
    # While events wait for the consumer, a due mail waits for them this long at most
    # (0: mails never give way).
    delivery_give_way_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Mails claimed at once by a sender, marked together once sent.
    delivery_batch_size: int = Field(default=20, ge=1, le=500)
    delivery_max_attempts: int = 10
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 3600.0

    # The daily digest: built once a day from this hour (local time of the Département);
    # None: no scheduled digest, the innovation team runs it with POST /digests/run.
    digest_hour: int | None = Field(default=17, ge=0, le=23)
    digest_timezone: str = "Europe/Paris"
