"""The working-day calendar and deadline arithmetic, against holidays the State Council announced."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.cases import calendar
from jiceng.cases.calendar import WorkingCalendar, calendar_coverage_warning, deadline_add, is_working_day
from jiceng.cases.models import CalendarOverride

SH = ZoneInfo("Asia/Shanghai")
PURE = WorkingCalendar({})  # the package alone, no database


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def local(dt: datetime) -> datetime:
    return dt.astimezone(SH)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2024 Spring Festival: 10-17 February off; Sunday 4 and Sunday 18 February made up.
        ("2024-02-04", True), ("2024-02-10", False), ("2024-02-17", False), ("2024-02-18", True),
        # 2024 National Day: 1-7 October off; Sunday 29 September and Saturday 12 October made up.
        ("2024-09-29", True), ("2024-10-07", False), ("2024-10-12", True),
        # 2025 National Day and Mid-autumn: 1-8 October off; 28 September and 11 October made up.
        ("2025-09-28", True), ("2025-10-01", False), ("2025-10-08", False), ("2025-10-09", True),
        ("2025-10-11", True), ("2025-10-12", False),
        # 2026 Spring Festival: 15-23 February off; Saturdays 14 and 28 February made up.
        ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-24", True),
        ("2026-02-28", True), ("2026-01-01", False),
        # Ordinary weeks.
        ("2025-06-03", True), ("2025-06-07", False),
    ],
)
def test_statutory_holidays_and_make_up_days(day, working):
    assert PURE.is_working_day(date.fromisoformat(day)) is working


@pytest.mark.django_db
def test_override_takes_precedence_both_ways():
    CalendarOverride.objects.create(date=date(2025, 10, 8), is_working_day=True, note="local")
    CalendarOverride.objects.create(date=date(2025, 6, 3), is_working_day=False, note="typhoon")
    assert is_working_day(date(2025, 10, 8)) is True
    assert is_working_day(date(2025, 6, 3)) is False
    assert is_working_day(date(2025, 6, 4)) is True


@pytest.mark.django_db
def test_overrides_load_once_per_year(django_assert_num_queries):
    cal = WorkingCalendar()
    with django_assert_num_queries(1):
        # Ninety working days from the start of 2025: dozens of days, one query.
        cal.deadline_add(at(2025, 1, 2, 9), 90, "working_days")
    with django_assert_num_queries(1):
        cal.deadline_add(at(2025, 12, 20, 9), 10, "working_days")  # reaches into 2026: one more year


def test_uncovered_year_falls_back_to_weekends_and_warns(caplog):
    year = 2099
    assert not calendar.package_covers(year)
    calendar._warned_years.discard(year)
    with caplog.at_level(logging.WARNING, logger="jiceng.cases"):
        assert PURE.is_working_day(date(year, 10, 1)) is True  # a Thursday: no holiday known
        assert PURE.is_working_day(date(year, 10, 3)) is False  # Saturday
    assert any(str(year) in r.getMessage() for r in caplog.records)
    assert str(year) in calendar_coverage_warning([year])
    assert calendar_coverage_warning([2025]) == ""
    # A deadline across the uncovered year is still computed.
    assert local(PURE.deadline_add(at(year, 10, 2, 9), 1, "working_days")) == at(year, 10, 5, 17, 30)


def test_working_days_end_of_nth_working_day_after_start_day():
    # Tuesday 30 September 2025, afternoon: the holiday runs to 8 October.
    start = at(2025, 9, 30, 16)
    assert local(PURE.deadline_add(start, 1, "working_days")) == at(2025, 10, 9, 17, 30)
    assert local(PURE.deadline_add(start, 2, "working_days")) == at(2025, 10, 10, 17, 30)
    assert local(PURE.deadline_add(start, 3, "working_days")) == at(2025, 10, 11, 17, 30)  # make-up Saturday
    # Friday: the weekend does not count; a start before office hours still does not count its day.
    assert local(PURE.deadline_add(at(2025, 6, 6, 7), 1, "working_days")) == at(2025, 6, 9, 17, 30)


def test_working_hours_skip_lunch_nights_weekends_and_holidays():
    assert local(PURE.deadline_add(at(2025, 6, 3, 9), 2, "working_hours")) == at(2025, 6, 3, 11)
    # Lunch break: 11:00 + 2 h = 12:00 then 14:00-15:00.
    assert local(PURE.deadline_add(at(2025, 6, 3, 11), 2, "working_hours")) == at(2025, 6, 3, 15)
    # Used up exactly at noon: due at 12:00, not 14:00.
    assert local(PURE.deadline_add(at(2025, 6, 3, 11), 1, "working_hours")) == at(2025, 6, 3, 12)
    # Started during lunch: counting begins at 14:00.
    assert local(PURE.deadline_add(at(2025, 6, 3, 12, 30), 1, "working_hours")) == at(2025, 6, 3, 15)
    # Evening of Friday 6 June 2025: next Monday morning.
    assert local(PURE.deadline_add(at(2025, 6, 6, 20), 1, "working_hours")) == at(2025, 6, 9, 9, 30)
    # Across National Day: 1.5 h on 30 September, the rest on 9 October.
    assert local(PURE.deadline_add(at(2025, 9, 30, 16), 3, "working_hours")) == at(2025, 10, 9, 10)
    # A whole working day is seven hours.
    assert local(PURE.deadline_add(at(2025, 6, 3, 8, 30), 7, "working_hours")) == at(2025, 6, 3, 17, 30)


def test_natural_units_and_result_in_utc():
    start = at(2025, 9, 30, 16)
    result = PURE.deadline_add(start, 2, "natural_days")
    assert result.utcoffset() == timedelta(0)
    assert local(result) == at(2025, 10, 2, 16)
    assert local(PURE.deadline_add(start, 5, "natural_hours")) == at(2025, 9, 30, 21)
    assert PURE.deadline_add(start, 0, "working_days") == start


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        PURE.deadline_add(datetime(2025, 1, 1, 9), 1, "working_days")  # naive
    with pytest.raises(ValueError):
        PURE.deadline_add(at(2025, 1, 1, 9), 1, "fortnights")
    with pytest.raises(ValueError):
        PURE.deadline_add(at(2025, 1, 1, 9), -1, "working_days")


@pytest.mark.django_db
def test_module_function_reads_overrides():
    CalendarOverride.objects.create(date=date(2025, 6, 4), is_working_day=False)
    assert local(deadline_add(at(2025, 6, 3, 9), 1, "working_days")) == at(2025, 6, 5, 17, 30)


starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 1)).map(
    lambda d: d.replace(tzinfo=SH)
)
units = st.sampled_from(calendar.UNITS)


@settings(max_examples=150, deadline=None)
@given(start=starts, amount=st.integers(0, 60), extra=st.integers(1, 30), unit=units)
def test_deadline_is_monotone_in_amount(start, amount, extra, unit):
    first = PURE.deadline_add(start, amount, unit)
    later = PURE.deadline_add(start, amount + extra, unit)
    assert first <= later
    assert later > start


@settings(max_examples=150, deadline=None)
@given(start=starts, amount=st.integers(1, 40))
def test_working_days_land_at_end_of_a_working_day(start, amount):
    due = local(PURE.deadline_add(start, amount, "working_days"))
    assert PURE.is_working_day(due.date())
    assert due.time() == calendar.END_OF_DAY
    assert due.date() > start.date()


@settings(max_examples=150, deadline=None)
@given(start=starts, amount=st.integers(1, 50))
def test_working_hours_land_inside_office_hours_of_a_working_day(start, amount):
    due = local(PURE.deadline_add(start, amount, "working_hours"))
    assert PURE.is_working_day(due.date())
    assert any(a < due.time() <= b for a, b in calendar.WORKING_PERIODS)
    # At least the working time asked for has passed (a working hour is never shorter than an hour).
    assert due - start >= timedelta(hours=amount)
