"""Field checks shared by forms and the API; pure, with messages in Design System wording."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from app.clock import LONDON

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


_TIME = re.compile(r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>am|pm)?$", re.I)


def london_datetime(
    form: Mapping[str, object], name: str, what: str
) -> tuple[datetime | None, str | None]:
    """An instant from a form: ISO 8601 in ``name`` (the API), or GOV.UK date parts
    ``name-day``, ``name-month``, ``name-year`` and ``name-time`` ("12:00pm", "17:30")
    read as Europe/London time. ``what`` names it in messages: "the submission deadline"."""
    if iso := clean(form.get(name)):
        try:
            value = datetime.fromisoformat(iso)
        except ValueError:
            return None, f"Enter {what} as a date and time, like 2026-12-04T12:00:00Z"
        if value.tzinfo is None:
            value = value.replace(tzinfo=LONDON)
        return value.astimezone(UTC), None
    parts = {part: clean(form.get(f"{name}-{part}")) for part in ("day", "month", "year", "time")}
    if not any(parts.values()):
        return None, None
    missing = [part for part in ("day", "month", "year", "time") if not parts[part]]
    if missing:
        return None, f"{what[0].upper()}{what[1:]} must include a {missing[0]}"
    match = _TIME.match(parts["time"])
    try:
        if not match:
            raise ValueError
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if match["half"]:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if match["half"].lower() == "pm" else 0)
        local = datetime(
            int(parts["year"]), int(parts["month"]), int(parts["day"]), hour, minute, tzinfo=LONDON
        )
    except ValueError:
        return (
            None,
            f"{what[0].upper()}{what[1:]} must be a real date and time, like 4 12 2026 at 12:00pm",
        )
    return local.astimezone(UTC), None


_MONEY = re.compile(r"^£?\s*(?P<pounds>\d{1,9}(?:,\d{3})*)(?:\.(?P<pence>\d{1,2}))?$")


def pence(value: str) -> int | None:
    """ "£14.72", "14.7", "1,250" as a whole number of pence; ``None`` if it is not money."""
    match = _MONEY.match(value.strip())
    if not match:
        return None
    pounds = int(match["pounds"].replace(",", ""))
    return pounds * 100 + int((match["pence"] or "0").ljust(2, "0"))


def whole_number(
    value: str, what: str, *, minimum: int = 0, maximum: int = 10**9
) -> tuple[int | None, str | None]:
    if not value:
        return None, None
    if not re.fullmatch(r"\d+", value.replace(",", "")):
        return None, f"{what[0].upper()}{what[1:]} must be a whole number"
    number = int(value.replace(",", ""))
    if not minimum <= number <= maximum:
        return None, f"{what[0].upper()}{what[1:]} must be between {minimum} and {maximum}"
    return number, None
