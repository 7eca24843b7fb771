"""add_business_days: weekends, holidays, year ends, and a day off as the start."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from reviews.services import (
    add_business_days,
    business_days_between,
    is_business_day,
    review_holidays,
)

XMAS_2026 = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}


def test_counts_weekdays_within_one_week():
    monday = date(2026, 11, 16)
    assert add_business_days(monday, 3) == date(2026, 11, 19)  # Thursday


def test_skips_the_weekend():
    thursday = date(2026, 11, 19)
    assert add_business_days(thursday, 3) == date(2026, 11, 24)  # Tuesday


def test_five_business_days_from_monday_is_next_monday():
    assert add_business_days(date(2026, 11, 16), 5) == date(2026, 11, 23)


def test_five_business_days_from_friday_is_next_friday():
    assert add_business_days(date(2026, 11, 20), 5) == date(2026, 11, 27)


def test_saturday_start_counts_from_monday():
    saturday, monday = date(2026, 11, 21), date(2026, 11, 23)
    assert add_business_days(saturday, 3) == add_business_days(monday, 3) == date(2026, 11, 26)


def test_sunday_start_counts_from_monday():
    assert add_business_days(date(2026, 11, 22), 5) == date(2026, 11, 30)


def test_holiday_start_counts_from_next_business_day():
    # Friday 25 Dec 2026 is a holiday, so is Saturday 26th; counting starts Monday 28th.
    assert add_business_days(date(2026, 12, 25), 3, holidays=XMAS_2026) == date(2026, 12, 31)


def test_skips_a_holiday_in_the_middle():
    wednesday = date(2026, 12, 23)
    # Thu 24, (Fri 25 holiday, weekend), Mon 28, Tue 29
    assert add_business_days(wednesday, 3, holidays=XMAS_2026) == date(2026, 12, 29)


def test_crosses_the_year_end_and_new_year_holiday():
    monday = date(2026, 12, 28)
    # Tue 29, Wed 30, Thu 31, (Fri 1 Jan holiday, weekend), Mon 4, Tue 5
    assert add_business_days(monday, 5, holidays=XMAS_2026) == date(2027, 1, 5)


def test_crosses_the_year_end_without_holidays():
    assert add_business_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_skips_a_run_of_holidays_joined_to_a_weekend():
    # A whole holiday week (Mon 4 – Fri 8 Jan 2027) between two weekends.
    holiday_week = {date(2027, 1, 4) + timedelta(days=n) for n in range(5)}
    friday = date(2027, 1, 1)
    assert add_business_days(friday, 1, holidays=holiday_week) == date(2027, 1, 11)
    assert add_business_days(friday, 3, holidays=holiday_week) == date(2027, 1, 13)


def test_holiday_on_a_weekend_changes_nothing():
    saturday = {date(2026, 11, 21)}
    assert add_business_days(date(2026, 11, 20), 1, holidays=saturday) == date(2026, 11, 23)


def test_leap_day_is_an_ordinary_business_day():
    assert add_business_days(date(2028, 2, 28), 1) == date(2028, 2, 29)


def test_zero_days_on_a_business_day_is_that_day():
    assert add_business_days(date(2026, 11, 18), 0) == date(2026, 11, 18)


def test_zero_days_on_a_weekend_is_the_next_business_day():
    assert add_business_days(date(2026, 11, 21), 0) == date(2026, 11, 23)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_business_days(date(2026, 11, 18), -1)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    days=st.integers(min_value=0, max_value=40),
    holidays=st.sets(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 3, 1))),
)
def test_result_is_a_business_day_with_exactly_n_business_days_after_the_start(
    start, days, holidays
):
    due = add_business_days(start, days, holidays=holidays)
    assert is_business_day(due, holidays)
    first = start
    while not is_business_day(first, holidays):
        first += timedelta(days=1)
    between = sum(
        is_business_day(first + timedelta(days=n), holidays)
        for n in range(1, (due - first).days + 1)
    )
    assert between == days


def test_extra_closure_days_come_from_settings(settings):
    settings.REVIEW_HOLIDAYS = ["2026-11-19"]
    calendar = review_holidays()
    assert date(2026, 11, 19) in calendar  # the extra closure day
    assert date(2026, 12, 25) in calendar  # the calendar's holidays stay


def test_default_calendar_is_documented_and_has_every_year(settings):
    assert settings.REVIEW_HOLIDAY_CALENDAR == "GB"
    # The old hard-coded list stopped after 2027; the calendar doesn't.
    assert not is_business_day(date(2031, 12, 25), review_holidays())
    assert not is_business_day(date(2040, 1, 2), review_holidays())  # Mon, New Year observed


def test_christmas_on_a_weekend_moves_the_day_off_to_monday_and_tuesday():
    # Sat 25 and Sun 26 Dec 2027: the UK observes them on Mon 27 and Tue 28.
    calendar = review_holidays()
    friday = date(2027, 12, 24)
    assert not is_business_day(date(2027, 12, 27), calendar)
    assert not is_business_day(date(2027, 12, 28), calendar)
    assert add_business_days(friday, 1, holidays=calendar) == date(2027, 12, 29)


def test_crosses_the_year_end_with_new_year_on_a_saturday():
    # Sat 1 Jan 2028 is observed on Mon 3 Jan: Thu 30, Fri 31, (weekend, Mon 3 off), Tue 4.
    calendar = review_holidays()
    assert add_business_days(date(2027, 12, 29), 3, holidays=calendar) == date(2028, 1, 4)


def test_a_financial_market_calendar_is_a_setting(settings):
    independence_day = date(2028, 7, 4)  # a Tuesday: the NYSE is closed, the UK is not
    assert is_business_day(independence_day, review_holidays())
    settings.REVIEW_HOLIDAY_CALENDAR = "NYSE"
    assert not is_business_day(independence_day, review_holidays())


def test_an_unknown_calendar_fails_loudly(settings):
    settings.REVIEW_HOLIDAY_CALENDAR = "XX"
    with pytest.raises(ImproperlyConfigured, match="REVIEW_HOLIDAY_CALENDAR"):
        review_holidays()


def test_a_malformed_holiday_fails_loudly(settings):
    settings.REVIEW_HOLIDAYS = ["2026-12-32"]
    with pytest.raises(ImproperlyConfigured, match="REVIEW_HOLIDAYS"):
        review_holidays()


def test_system_check_reports_a_malformed_holiday(settings):
    from reviews.checks import review_holidays_are_dates

    settings.REVIEW_HOLIDAYS = ["25/12/2026"]
    assert [e.id for e in review_holidays_are_dates(None)] == ["reviews.E001"]


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    days=st.integers(min_value=0, max_value=40),
    holidays=st.sets(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 3, 1))),
)
def test_business_days_between_undoes_add_business_days(start, days, holidays):
    # What the dashboard counts for a decision is what the SLA clock counted for its due date.
    due = add_business_days(start, days, holidays=holidays)
    assert business_days_between(start, due, holidays=holidays) == days
