"""Field checks shared by forms and the API; pure, with messages in Design System wording."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
#: CQC provider IDs look like 1-101234567: "1-" and 9 to 11 digits.
CQC_PROVIDER_ID = re.compile(r"^1-\d{9,11}$")
MAX_NAME = 200
MAX_EMAIL = 320


def clean(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def unstripped(value: object) -> str:
    """For passwords: every character counts, spaces at either end included."""
    return value if isinstance(value, str) else ""


def email_problem(email: str) -> str | None:
    if not email:
        return "Enter an email address"
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        return "Enter an email address in the correct format, like name@example.com"
    return None


def name_problem(value: str, what: str) -> str | None:
    """``what`` completes "Enter ...": "your full name", "the organisation's name"."""
    if not value:
        return f"Enter {what}"
    if len(value) > MAX_NAME:
        return f"{what[0].upper()}{what[1:]} must be {MAX_NAME} characters or fewer"
    return None


def cqc_provider_id_problem(value: str) -> str | None:
    if value and not CQC_PROVIDER_ID.match(value):
        return "Enter a CQC provider ID in the correct format, like 1-101234567"
    return None
