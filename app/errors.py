"""One tree of domain errors. Services raise these; ``app/error_handlers.py`` maps them."""

from __future__ import annotations


class DomainError(Exception):
    """Something a user did that the platform refuses, with a message they can act on."""

    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    status_code = 404

    def __init__(self, message: str = "Page not found") -> None:
        super().__init__(message)


class NotPermitted(DomainError):
    status_code = 403

    def __init__(self, message: str = "You do not have permission to do that") -> None:
        super().__init__(message)


class NotSignedIn(DomainError):
    status_code = 401

    def __init__(self, message: str = "Sign in to continue") -> None:
        super().__init__(message)


class InvalidTransition(DomainError):
    status_code = 409


class DeadlinePassed(DomainError):
    status_code = 409


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    """Bad input: one message per field, keyed by the field's name (its HTML id)."""

    status_code = 400

    def __init__(self, field_errors: dict[str, str]) -> None:
        super().__init__("; ".join(field_errors.values()))
        self.field_errors = field_errors


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            f"There have been too many attempts to sign in. Wait {minutes} {unit} and try again."
        )
        self.retry_after = retry_after


class TooLarge(Invalid):
    """A file or form bigger than the platform accepts. An ``Invalid`` so that a form can
    show the message beside the field; 413 so that clients and logs see what happened."""

    status_code = 413
