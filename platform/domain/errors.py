"""Domain errors. Services raise them; the API translates them to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain error; ``str(error)`` is the reason shown to the user."""

    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The request collides with the current state (e.g. a duplicate)."""

    status = 409


class NotYet(Conflict):
    """What the request refers to has not arrived yet (e.g. an alert whose evidence comes
    first): the client retries after ``retry_after`` seconds. A plain Conflict is final."""

    retry_after = 5


class InvalidTransition(Conflict):
    """The event is not allowed in the case's current state."""


class Forbidden(DomainError):
    """The actor's role or scope does not allow this."""

    status = 403


class Unauthorized(DomainError):
    status = 401


class InvalidInput(DomainError):
    """Well-formed but unacceptable input (HTTP 422)."""

    status = 422


class BadRequest(DomainError):
    status = 400


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedMediaType(DomainError):
    """The upload is a file type this endpoint does not take (HTTP 415)."""

    status = 415
