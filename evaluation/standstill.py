"""The standstill period (rule 13): a number of working days beginning with the day the
notices are issued (Procurement Act 2023 s51), skipping weekends and England and Wales bank
holidays. Pure: no I/O; the bank holidays come from the ``holidays`` calendar.

The last day is the last working day of the period; the award can be confirmed once it is
over, from the next day.
"""

from __future__ import annotations

from datetime import date, timedelta

from tenders.lifecycle import bank_holiday

#: The Act's default, and the tender's unless it says otherwise.
DEFAULT_DAYS = 8


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and bank_holiday(day) is None


def last_day(issued: date, days: int = DEFAULT_DAYS) -> date:
    """The last day of a standstill of ``days`` working days beginning with ``issued``
    (which counts when it is a working day itself). Raises ``ValueError`` for fewer than
    one day."""
    if days < 1:
        raise ValueError(f"A standstill lasts at least one working day, not {days}")
    day, counted = issued, 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == days:
                return day
        day += timedelta(days=1)


def confirmable_from(issued: date, days: int = DEFAULT_DAYS) -> date:
    """The first day the award can be confirmed: the day after the standstill's last."""
    return last_day(issued, days) + timedelta(days=1)
