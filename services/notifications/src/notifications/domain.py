"""Pure rules of the notifications service: email modes, retries, the daily digest."""

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

EmailMode = Literal["immediate", "digest", "none"]
DEFAULT_EMAIL_MODE: EmailMode = "immediate"

DeliveryStatus = Literal["pending", "awaiting_digest", "in_digest", "sent", "failed"]


def initial_status(mode: EmailMode) -> DeliveryStatus | None:
    """The status an email delivery starts in for a person's mode; None: no email at all."""
    if mode == "none":
        return None
    return "awaiting_digest" if mode == "digest" else "pending"


def retry_delay(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential backoff after the `attempts`-th failure: base, 2×base, 4×base... ≤ cap."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def after_failure(
    attempts: int, now: datetime, *, max_attempts: int, base: float, cap: float
) -> tuple[DeliveryStatus, datetime]:
    """Status and next attempt time of a delivery that just failed its `attempts`-th try."""
    if attempts >= max_attempts:
        return "failed", now
    return "pending", now + retry_delay(attempts, base=base, cap=cap)


def digest_day_due(now: datetime, *, hour: int, timezone: str) -> date | None:
    """The local day whose digest is due at `now` (from `hour` on), or None before it."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.hour >= hour else None
