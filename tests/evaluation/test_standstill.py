"""The standstill period: working days beginning with the day notices are issued, skipping
weekends and England and Wales bank holidays (Procurement Act 2023 s51)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.standstill import confirmable_from, is_working_day, last_day


def test_notices_issued_before_christmas_count_past_christmas_boxing_day_and_new_year() -> None:
    # Tuesday 22 December 2026: 22, 23, 24, then Christmas (Friday), the weekend, Boxing
    # Day observed on Monday 28, then 29, 30, 31, New Year's Day (Friday), the weekend,
    # then Monday 4 and Tuesday 5 January 2027: the eighth working day.
    assert last_day(date(2026, 12, 22)) == date(2027, 1, 5)
    assert confirmable_from(date(2026, 12, 22)) == date(2027, 1, 6)
    for holiday in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)):
        assert not is_working_day(holiday)


def test_the_day_of_issue_counts_when_it_is_a_working_day() -> None:
    # Monday 2 November 2026: eight working days run to Wednesday 11 November.
    assert last_day(date(2026, 11, 2)) == date(2026, 11, 11)
    assert last_day(date(2026, 11, 2), 1) == date(2026, 11, 2)


def test_notices_issued_at_a_weekend_start_counting_on_the_monday() -> None:
    assert last_day(date(2026, 11, 7)) == last_day(date(2026, 11, 9)) == date(2026, 11, 18)


def test_a_standstill_lasts_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least one working day, not 0"):
        last_day(date(2026, 11, 2), 0)


ENGLAND = holidays.country_holidays("GB", subdiv="ENG", years=range(2024, 2041))


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2039, 12, 31)),
    st.integers(min_value=1, max_value=30),
)
def test_the_last_day_is_the_nth_working_day_of_the_holidays_calendar(
    issued: date, days: int
) -> None:
    last = last_day(issued, days)
    span = [issued + timedelta(days=n) for n in range((last - issued).days + 1)]
    working = [d for d in span if d.weekday() < 5 and d not in ENGLAND]
    # Exactly ``days`` working days from the day of issue to the last, which is one.
    assert len(working) == days
    assert working[-1] == last
    assert confirmable_from(issued, days) == last + timedelta(days=1)
