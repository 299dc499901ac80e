from typing import Literal

from pydantic import BaseModel, Field, field_validator

from construisons.settings import ServiceSettings
from review.domain.scoring import DEFAULT_CRITERIA, MANDATORY, Criterion


class CriterionSetting(BaseModel):
    """One scoring criterion as configured (SCORING_CRITERIA is a JSON list of these)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=120)
    axis: Literal["impact", "feasibility"]
    weight: float = Field(default=1.0, gt=0)

    def criterion(self) -> Criterion:
        return Criterion(self.key, self.label, self.axis, self.weight)


class Settings(ServiceSettings):
    """Review settings (environment variables)."""

    service_name: str = "review"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/construisons_review"
    # The programme's promise: a first contact within this many working days of submission.
    contact_target_working_days: int = Field(default=5, ge=0, le=60)
    # When true, French public holidays count as working days for that promise.
    contact_ignore_public_holidays: bool = False
    # How often the service looks for cases whose first contact is overdue.
    overdue_scan_interval_seconds: float = Field(default=600.0, gt=0)
    # Criteria the committee scores; strategic_impact and feasibility are always among them.
    scoring_criteria: list[CriterionSetting] = Field(
        default_factory=lambda: [
            CriterionSetting(key=c.key, label=c.label, axis=c.axis, weight=c.weight)
            for c in DEFAULT_CRITERIA
        ]
    )
    # Members expected to score a case not (yet) on a session with its attendance recorded.
    committee_size: int = Field(default=5, ge=1)

    @field_validator("scoring_criteria")
    @classmethod
    def _mandatory_criteria_present(cls, value: list[CriterionSetting]) -> list[CriterionSetting]:
        keys = [c.key for c in value]
        if len(set(keys)) != len(keys):
            raise ValueError("SCORING_CRITERIA: each criterion key must appear once")
        defaults = {c.key: c for c in DEFAULT_CRITERIA}
        missing = [
            CriterionSetting(
                key=key,
                label=defaults[key].label,
                axis=defaults[key].axis,
                weight=defaults[key].weight,
            )
            for key in MANDATORY
            if key not in keys
        ]
        return missing + value

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c.criterion() for c in self.scoring_criteria)
