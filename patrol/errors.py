"""One error hierarchy for the whole package.

Every error raised on purpose by ``patrol`` derives from :class:`PatrolError`; classes that
refine a builtin meaning also subclass that builtin (``ValueError``, ``LookupError``), so a
caller may catch either.  Each class carries an ``exit_code`` for the CLI and a JSON body
(:meth:`PatrolError.to_dict`) shared by the CLI's ``--json`` output and the HTTP service.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "ConfigError",
    "DistrictError",
    "GeocodeError",
    "GraphValidationError",
    "IdempotencyError",
    "InfeasibleError",
    "InputError",
    "NotFoundError",
    "OutsideDistrictError",
    "PatrolError",
    "PlanError",
    "RecordError",
    "RecordUnavailableError",
    "SolverError",
    "TransitionError",
    "UsageError",
]


class PatrolError(Exception):
    """Root of every error raised on purpose by ``patrol``.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    field : str, optional
        The input field, key, column or argument at fault, when there is one.
    details : dict, optional
        Extra machine-readable facts (close matches, row numbers, ...).
    """

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body shared by the CLI and the HTTP service."""
        body: dict[str, Any] = {"type": type(self).__name__, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InputError(PatrolError, ValueError):
    """A bad argument or input file (unreadable, wrong format, out of range)."""

    exit_code = 2
    http_status = 422


class IdempotencyError(InputError):
    """An idempotency key used again with another request (another body, path or method)."""


class UsageError(InputError):
    """A command line that cannot be read (a missing, unknown or malformed argument)."""


class ConfigError(InputError):
    """A settings or scenario file with an unknown key or a bad value."""


class DistrictError(InputError):
    """A district folder or its data that cannot be loaded."""


class GraphValidationError(PatrolError, ValueError):
    """A street graph that breaks the normalized graph contract."""

    exit_code = 3

    def __init__(self, message: str, *, problems: list[str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.problems = list(problems or [])
        if self.problems:
            self.details.setdefault("problems", self.problems)


class GeocodeError(PatrolError, LookupError):
    """A location text that cannot be resolved (unknown street, streets that never meet, ...)."""

    exit_code = 4
    http_status = 422


class OutsideDistrictError(GeocodeError):
    """A point too far from the district's street network."""


class SolverError(PatrolError, RuntimeError):
    """A routing model that could not be solved."""

    exit_code = 5
    http_status = 500


class InfeasibleError(SolverError):
    """A problem that has no solution (for instance required blocks unreachable from the depot)."""

    exit_code = 5
    http_status = 422


class PlanError(PatrolError, ValueError):
    """A daily plan file that is malformed or inconsistent."""

    exit_code = 6
    http_status = 422


class RecordError(PatrolError):
    """A problem with the incident record (database)."""

    exit_code = 7
    http_status = 409


class RecordUnavailableError(RecordError):
    """The record cannot be read or written now (damaged, read-only, locked, disk full): nothing was stored."""

    http_status = 503


class NotFoundError(RecordError, LookupError):
    """A record (incident, ambassador, key) that does not exist."""

    http_status = 404


class TransitionError(RecordError, ValueError):
    """An illegal status transition in an incident's life cycle."""

    http_status = 409


class AuthError(PatrolError, PermissionError):
    """A missing or invalid API key, or a role without the right."""

    exit_code = 8
    http_status = 403
