"""Intake settings (environment variables)."""

import json
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode

from construisons.settings import ServiceSettings

DEFAULT_THEMES = [
    "Relation aux usagers",
    "Conditions de travail",
    "Numérique",
    "Transition écologique",
    "Simplification administrative",
    "Solidarités",
    "Éducation et collèges",
    "Routes et mobilités",
    "Culture, sport et territoires",
    "Achats et finances",
    "Autre",
]


class Settings(ServiceSettings):
    """Intake settings (environment variables)."""

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons_intake"
    # Twice the other services' pool: under load a submission's connection is mostly held
    # while PostgreSQL waits for a CPU and for its commit to reach the disk, and ten of
    # them capped the submissions in flight (scenario 1 of the benchmark, within one hour:
    # 0.51-0.63 x the bare endpoint at ten connections each, 0.61-0.77 x at twenty each).
    database_pool_size: int = 20
    # THEMES: a JSON list or a comma-separated list of the themes an idea may carry.
    themes: Annotated[list[str], NoDecode] = DEFAULT_THEMES
    # How long an Idempotency-Key answers with its first result.
    idempotency_key_ttl_hours: int = 24
    board_page_size: int = 20
    board_max_page_size: int = 100
    similar_limit: int = 5
    # How many of the most recent ideas the similarity search reads besides full matches.
    similar_window: int = 200
    similar_window_on_submit: int = 50

    @field_validator("themes", mode="before")
    @classmethod
    def _split_themes(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [theme.strip() for theme in text.split(",") if theme.strip()]
        return value
