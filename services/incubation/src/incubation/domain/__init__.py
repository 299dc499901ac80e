"""Pure rules of incubation: phases, workstreams, who may do what, time allocation.

No I/O and no framework here: the API and the consumers load state, call these functions
and write what they return.
"""


class DomainError(Exception):
    """A rule refused an action; `message` is the French sentence shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(DomainError):
    """The action conflicts with the project's current state (HTTP 409)."""


class Invalid(DomainError):
    """The request is well formed but breaks a rule on its values (HTTP 422)."""


class Forbidden(DomainError):
    """The caller may not do this (HTTP 403)."""
