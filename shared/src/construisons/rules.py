"""Refusals of the domain rules, shared by every service.

A service's pure rules raise these with the French sentence the user reads; the app factory
turns each into its HTTP answer (`{"detail": message}` with the class's status), so routes
never translate them one by one.
"""

from typing import ClassVar


class RuleViolation(Exception):
    """A rule refused the request; `message` says why, in French."""

    status: ClassVar[int] = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(RuleViolation):
    """The request conflicts with the current state (409)."""


class Invalid(RuleViolation):
    """Well formed, but a value breaks a rule whatever the state (422)."""

    status = 422


class Forbidden(RuleViolation):
    """The caller may not do this here (403)."""

    status = 403


class NotFound(RuleViolation):
    """What the request names does not exist (404)."""

    status = 404


class StaleVersion(RuleViolation):
    """The resource changed since the caller read it (412)."""

    status = 412


class VersionRequired(RuleViolation):
    """The caller must say which version it read (428)."""

    status = 428
