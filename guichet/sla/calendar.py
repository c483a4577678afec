"""Working time on a calendar: opening hours, public holidays, closures, a time zone. Pure Python.

No ORM here: `guichet.sla.policies` loads a `Calendar` from the database and these functions
answer "when is it due?" (`add_working_time`) and "how much working time lies between two
moments?" (`working_time_between`).

Rules (docs/sla.md):
- A day is a working day when it has opening hours, is not a public holiday of the calendar's
  territory and is not inside a closure.
- Working hours, minutes and seconds are counted only while the calendar is open; a start outside
  opening hours counts from the next opening.
- N working days from a moment inside opening hours end at the same time of day N working days
  later; from an opening (or from outside opening hours) they end at the closing of the N-th
  working day, the start day counting as the first one if it opens at that moment.
- Times are wall-clock times in the calendar's time zone (Europe/Paris by default); durations are
  measured in real elapsed time, so a day that loses an hour to daylight saving time has one hour
  less of opening when it is open around 2 a.m.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "ALL_DAY",
    "Calendar",
    "Delay",
    "DelayUnit",
    "add_working_time",
    "is_open",
    "next_opening",
    "open_intervals",
    "working_time_between",
]

# How far the search for the next working moment goes before giving up: a calendar with no opening
# at all (every day closed) would otherwise loop forever.
MAX_SEARCH_DAYS = 3 * 366

# One range covering the whole day (a calendar without opening hours is open all day on weekdays).
ALL_DAY: tuple[tuple[time, time | None], ...] = ((time(0), None),)
WEEKDAYS_ALL_DAY: Mapping[int, tuple[tuple[time, time | None], ...]] = MappingProxyType(
    dict.fromkeys(range(5), ALL_DAY)
)


class DelayUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    WORKING_MINUTES = "working_minutes"
    SECONDS = "seconds"


_UNIT_SECONDS = {
    DelayUnit.WORKING_HOURS: 3600,
    DelayUnit.WORKING_MINUTES: 60,
    DelayUnit.SECONDS: 1,
}


@dataclass(frozen=True)
class Delay:
    """An announced delay: a positive amount of working days, hours, minutes or seconds."""

    amount: int
    unit: DelayUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"a delay must be positive, not {self.amount}")

    @property
    def duration(self) -> timedelta:
        """The working time of an hour/minute/second delay (working days have no fixed length)."""
        if self.unit == DelayUnit.WORKING_DAYS:
            raise ValueError("working days have no fixed duration")
        return timedelta(seconds=self.amount * _UNIT_SECONDS[self.unit])


@dataclass(frozen=True)
class Calendar:
    """Opening hours per weekday (0 = Monday; a range ending at None ends at midnight), the public
    holidays of a country and subdivision (the `holidays` package: "FR", with "57"/"6AE" for
    Alsace-Moselle, "971"... for overseas departments), closures as inclusive date ranges."""

    time_zone: str = "Europe/Paris"
    opening: Mapping[int, tuple[tuple[time, time | None], ...]] = field(
        default_factory=lambda: WEEKDAYS_ALL_DAY
    )
    country: str = "FR"
    subdivision: str | None = None
    closures: tuple[tuple[date, date], ...] = ()
    extra_holidays: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        return day in self.extra_holidays or day in _holidays(
            self.country, self.subdivision, day.year
        )

    def is_closed(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.closures)

    def is_working_day(self, day: date) -> bool:
        return (
            bool(self.opening.get(day.weekday()))
            and not self.is_holiday(day)
            and not self.is_closed(day)
        )

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening ranges of `day` as aware datetimes (empty when it is not a working day)."""
        if not self.is_working_day(day):
            return []
        zone = self.zone
        intervals = []
        for opens, closes in sorted(self.opening[day.weekday()], key=lambda r: r[0]):
            start = datetime.combine(day, opens, tzinfo=zone)
            end = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                if closes is None
                else datetime.combine(day, closes, tzinfo=zone)
            )
            if _utc(end) > _utc(start):
                intervals.append((start, end))
        return intervals


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _local(moment: datetime, calendar: Calendar) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("working time needs aware datetimes")
    return moment.astimezone(calendar.zone)


def open_intervals(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """The opening intervals from `start` on, in order, the first one cut at `start`."""
    local = _local(start, calendar)
    day = local.date()
    for _index in range(MAX_SEARCH_DAYS):
        for opens, closes in calendar.day_intervals(day):
            if _utc(closes) <= _utc(start):
                continue
            yield (max(opens, local, key=_utc), closes)
        day += timedelta(days=1)


def is_open(moment: datetime, calendar: Calendar) -> bool:
    local = _local(moment, calendar)
    return any(
        _utc(opens) <= _utc(moment) < _utc(closes)
        for opens, closes in calendar.day_intervals(local.date())
    )


def next_opening(moment: datetime, calendar: Calendar) -> datetime:
    """`moment` if the calendar is open then, else when it next opens."""
    for opens, _closes in open_intervals(moment, calendar):
        return opens
    raise ValueError("this calendar never opens")


def add_working_time(start: datetime, delay: Delay | timedelta, calendar: Calendar) -> datetime:
    """When `delay` of working time after `start` ends (aware, in the calendar's time zone)."""
    if isinstance(delay, Delay) and delay.unit == DelayUnit.WORKING_DAYS:
        return _add_working_days(start, delay.amount, calendar)
    remaining = delay.duration if isinstance(delay, Delay) else delay
    if remaining <= timedelta(0):
        return _local(start, calendar)
    for opens, closes in open_intervals(start, calendar):
        available = _utc(closes) - _utc(opens)
        if remaining <= available:
            return (_utc(opens) + remaining).astimezone(calendar.zone)
        remaining -= available
    raise ValueError("this calendar never opens")


def _add_working_days(start: datetime, days: int, calendar: Calendar) -> datetime:
    moment = next_opening(start, calendar)
    day = moment.date()
    intervals = calendar.day_intervals(day)
    counted = 0
    if _utc(moment) == _utc(intervals[0][0]):
        # From an opening, the day itself is the first working day: due at a closing.
        counted = 1
        if days == 1:
            return _day_end(day, intervals, calendar)
    target = day
    for _index in range(MAX_SEARCH_DAYS):
        target += timedelta(days=1)
        if calendar.is_working_day(target) and calendar.day_intervals(target):
            counted += 1
            if counted == days:
                break
    else:  # pragma: no cover — a calendar open once then never again
        raise ValueError("this calendar never opens")
    target_intervals = calendar.day_intervals(target)
    if _utc(moment) == _utc(intervals[0][0]):
        return _day_end(target, target_intervals, calendar)
    due = datetime.combine(target, moment.timetz().replace(tzinfo=None), tzinfo=calendar.zone)
    first_open, last_close = target_intervals[0][0], target_intervals[-1][1]
    if _utc(due) < _utc(first_open):
        return first_open
    if _utc(due) > _utc(last_close):
        return last_close
    return due


def _day_end(day: date, intervals: list[tuple[datetime, datetime]], calendar: Calendar) -> datetime:
    """The last closing of `day`; a day open until midnight ends at 23:59:59, so that the due
    date shown is that day, not the next."""
    end = intervals[-1][1]
    if end.date() != day:
        return datetime.combine(day, time(23, 59, 59), tzinfo=calendar.zone)
    return end


def working_time_between(a: datetime, b: datetime, calendar: Calendar) -> timedelta:
    """The working time from `a` to `b` (negative when `b` is before `a`)."""
    if _utc(b) < _utc(a):
        return -working_time_between(b, a, calendar)
    total = timedelta(0)
    end = _utc(b)
    for opens, closes in open_intervals(a, calendar):
        if _utc(opens) >= end:
            break
        total += min(_utc(closes), end) - _utc(opens)
    return total
