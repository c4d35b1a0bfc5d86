"""The working-day calendar and deadline arithmetic.

Which days are working days comes from the maintained `chinese_calendar` package (statutory
holidays and make-up working days as the State Council announces them), overridden date by date by
CalendarOverride rows that district administrators edit. For a year the package does not cover yet,
weekends-only is assumed, a warning is logged and `calendar_coverage_warning()` gives the interface a
message to show: a deadline is never refused for want of a calendar.

Deadlines are computed in Asia/Shanghai wall time and returned as aware UTC datetimes.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

log = logging.getLogger("jiceng.cases")

LOCAL = ZoneInfo("Asia/Shanghai")

# Office hours of a working day, in local time: the common schedule of Chinese government offices
# (morning 08:30-12:00, afternoon 14:00-17:30, seven hours). "Working hours" limits count only
# these periods; "working days" limits end when the last period of the day ends.
WORKING_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
END_OF_DAY = WORKING_PERIODS[-1][1]

UNITS = ("working_hours", "working_days", "natural_days", "natural_hours")

_warned_years: set[int] = set()


def package_covers(year: int) -> bool:
    """Whether the holiday package knows this year's holidays."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _package_answer(d: date) -> bool | None:
    """The package's answer for a day, None for a year it does not cover. Cached: the package validates
    every date it is asked about, which made deadline arithmetic over thousands of cases spend most of
    its time there; its answer for a date never changes within a process."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


def _package_is_working_day(d: date) -> bool:
    answer = _package_answer(d)
    if answer is not None:
        return answer
    if d.year not in _warned_years:
        _warned_years.add(d.year)
        log.warning("holiday calendar does not cover %s: assuming weekends only", d.year)
    return d.weekday() < 5


def calendar_coverage_warning(years: list[int] | None = None) -> str:
    """A message for the interface when any of `years` (default: this year and the next) falls
    back to weekends only; "" when all are covered."""
    if years is None:
        this = datetime.now(LOCAL).year
        years = [this, this + 1]
    missing = sorted(y for y in set(years) if not package_covers(y))
    if not missing:
        return ""
    listed = "、".join(str(y) for y in missing)
    return ngettext(
        "The holiday calendar does not cover %(years)s yet: weekends only are assumed. Add the "
        "announced holidays and make-up working days as overrides, or update the package.",
        "The holiday calendar does not cover %(years)s yet: weekends only are assumed. Add the "
        "announced holidays and make-up working days as overrides, or update the package.",
        len(missing),
    ) % {"years": listed}


class WorkingCalendar:
    """Working days with the overrides loaded a year at a time (one query per year touched), so
    deadline arithmetic over any span makes no query per day. Make one per request or computation:
    it does not see overrides saved after it loaded a year."""

    def __init__(self, overrides: dict[date, bool] | None = None) -> None:
        # With `overrides` given (tests, or a caller that already has them) the database is not read.
        self._fixed = overrides is not None
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._loaded: set[int] = set()

    def _load(self, year: int) -> None:
        if self._fixed or year in self._loaded:
            return
        from .models import CalendarOverride

        rows = CalendarOverride.objects.filter(date__year=year).values_list("date", "is_working_day")
        self._overrides.update(dict(rows))
        self._loaded.add(year)

    def is_working_day(self, d: date) -> bool:
        self._load(d.year)
        if d in self._overrides:
            return self._overrides[d]
        return _package_is_working_day(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def deadline_add(self, start: datetime, amount: int, unit: str) -> datetime:
        """`start` plus `amount` of `unit`, as an aware UTC datetime.

        - natural_hours / natural_days: plain elapsed time.
        - working_hours: only office hours (WORKING_PERIODS) of working days count; a start outside
          office hours counts from the next period's start. A limit used up exactly at a period's end
          ends there (12:00 or 17:30), not at the next period's start.
        - working_days: the deadline is the end of office hours (17:30) of the Nth working day after
          the start day; the start day itself never counts, whatever the hour.
        An amount of 0 gives `start` itself.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        if amount < 0:
            raise ValueError("amount must not be negative")
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}")
        if amount == 0:
            return start.astimezone(UTC)
        local = start.astimezone(LOCAL)
        if unit == "natural_hours":
            result = local + timedelta(hours=amount)
        elif unit == "natural_days":
            result = local + timedelta(days=amount)
        elif unit == "working_days":
            d = local.date()
            for _i in range(amount):
                d = self.next_working_day(d)
            result = datetime.combine(d, END_OF_DAY, LOCAL)
        else:
            result = self._add_working_minutes(local, amount * 60)
        return result.astimezone(UTC)

    def _add_working_minutes(self, local: datetime, minutes: int) -> datetime:
        # Exact arithmetic with timedeltas: a start at 11:00:00.5 must not run past 12:00.
        remaining = timedelta(minutes=minutes)
        d = local.date()
        now = local.replace(tzinfo=None)
        while True:
            if self.is_working_day(d):
                for begin, end in WORKING_PERIODS:
                    period_end = datetime.combine(d, end)
                    if now >= period_end:
                        continue
                    frm = max(now, datetime.combine(d, begin))
                    available = period_end - frm
                    if remaining <= available:
                        return (frm + remaining).replace(tzinfo=LOCAL)
                    remaining -= available
                    now = period_end
            # One iteration per day: even a limit of hundreds of hours is a few dozen days.
            d += timedelta(days=1)
            now = datetime.combine(d, time(0, 0))


def is_working_day(d: date) -> bool:
    """Whether `d` is a working day: an override if there is one, else the holiday package, else
    (a year the package lacks) Monday to Friday."""
    return WorkingCalendar().is_working_day(d)


def deadline_add(start: datetime, amount: int, unit: str, *, calendar: WorkingCalendar | None = None) -> datetime:
    """See WorkingCalendar.deadline_add; the deadline is the end of the Nth working day after the
    start day for working_days, and office hours only for working_hours."""
    return (calendar or WorkingCalendar()).deadline_add(start, amount, unit)


def year_days(year: int) -> list[dict]:
    """Every day of `year` with whether it is a working day, the package's holiday name, and the
    override that decided it (if any): one query."""
    from .models import CalendarOverride

    overrides = {o.date: o for o in CalendarOverride.objects.filter(date__year=year)}
    cal = WorkingCalendar({d: o.is_working_day for d, o in overrides.items()})
    covered = package_covers(year)
    days = []
    d = date(year, 1, 1)
    while d.year == year:
        holiday = ""
        if covered:
            is_holiday, name = chinese_calendar.get_holiday_detail(d)
            holiday = _holiday_label(name) if is_holiday and name else ""
        working = cal.is_working_day(d)
        days.append({
            "date": d,
            "working": working,
            "holiday": holiday,
            # A make-up working day (调休上班): a Saturday or Sunday worked in exchange for a holiday.
            "makeup": working and d.weekday() >= 5,
            "override": overrides.get(d),
        })
        d += timedelta(days=1)
    return days


def _holiday_label(name: str) -> str:
    labels = {
        "New Year's Day": _("New Year's Day"),
        "Spring Festival": _("Spring Festival"),
        "Tomb-sweeping Day": _("Tomb-sweeping Day"),
        "Labour Day": _("Labour Day"),
        "Dragon Boat Festival": _("Dragon Boat Festival"),
        "National Day": _("National Day"),
        "Mid-autumn Festival": _("Mid-autumn Festival"),
    }
    return str(labels.get(name, name))
