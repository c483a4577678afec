"""The pure working-time calendar: table-driven, no database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.sla.calendar import (
    Calendar,
    Delay,
    DelayUnit,
    add_working_time,
    is_open,
    next_opening,
    working_time_between,
)

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
OFFICE_RANGES = ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
OFFICE = Calendar(opening=dict.fromkeys(range(5), OFFICE_RANGES))
WEEKDAYS = Calendar()
EVERY_DAY = Calendar(opening=dict.fromkeys(range(7), ((time(0), None),)))
SUMMER_CLOSED = Calendar(closures=((date(2026, 8, 3), date(2026, 8, 21)),))
ALSACE = Calendar(subdivision="6AE")
REUNION_CALENDAR = Calendar(subdivision="974", time_zone="Indian/Reunion")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


DAYS = DelayUnit.WORKING_DAYS
HOURS = DelayUnit.WORKING_HOURS
MINUTES = DelayUnit.WORKING_MINUTES
SECONDS = DelayUnit.SECONDS


@pytest.mark.parametrize(
    ("label", "calendar", "start", "delay", "expected"),
    [
        (
            "weekdays: same time 5 days on",
            WEEKDAYS,
            paris(2026, 11, 23, 10),
            Delay(5, DAYS),
            paris(2026, 11, 30, 10),
        ),
        (
            "weekend skipped",
            WEEKDAYS,
            paris(2026, 11, 27, 10),
            Delay(1, DAYS),
            paris(2026, 11, 30, 10),
        ),
        (
            "Saturday counts from Monday's opening",
            WEEKDAYS,
            paris(2026, 11, 28, 10),
            Delay(5, DAYS),
            paris(2026, 12, 4, 23, 59, 59),
        ),
        (
            "11 November skipped",
            WEEKDAYS,
            paris(2026, 11, 9, 10),
            Delay(5, DAYS),
            paris(2026, 11, 17, 10),
        ),
        (
            "from the opening: closing of the 5th day",
            OFFICE,
            paris(2026, 11, 23, 8, 30),
            Delay(5, DAYS),
            paris(2026, 11, 27, 17, 30),
        ),
        (
            "evening: closing of the next day",
            OFFICE,
            paris(2026, 11, 23, 20),
            Delay(1, DAYS),
            paris(2026, 11, 24, 17, 30),
        ),
        (
            "hours across the weekend",
            OFFICE,
            paris(2026, 11, 20, 17),
            Delay(2, HOURS),
            paris(2026, 11, 23, 10),
        ),
        (
            "hours from the evening",
            OFFICE,
            paris(2026, 11, 23, 20),
            Delay(1, HOURS),
            paris(2026, 11, 24, 9, 30),
        ),
        (
            "lunch break skipped",
            OFFICE,
            paris(2026, 11, 23, 11, 30),
            Delay(60, MINUTES),
            paris(2026, 11, 23, 14),
        ),
        (
            "ends exactly at closing",
            OFFICE,
            paris(2026, 11, 23, 17),
            Delay(30, MINUTES),
            paris(2026, 11, 23, 17, 30),
        ),
        (
            "seconds while open",
            OFFICE,
            paris(2026, 11, 23, 10),
            Delay(20, SECONDS),
            paris(2026, 11, 23, 10, 0, 20),
        ),
        (
            "seconds from a closed moment",
            OFFICE,
            paris(2026, 11, 23, 12, 30),
            Delay(20, SECONDS),
            paris(2026, 11, 23, 13, 30, 20),
        ),
        (
            "summer closure skipped",
            SUMMER_CLOSED,
            paris(2026, 7, 31, 10),
            Delay(1, DAYS),
            paris(2026, 8, 24, 10),
        ),
        (
            "mainland: Good Friday worked",
            WEEKDAYS,
            paris(2027, 3, 25, 10),
            Delay(1, DAYS),
            paris(2027, 3, 26, 10),
        ),
        (
            "Alsace-Moselle: Good Friday and Easter Monday off",
            ALSACE,
            paris(2027, 3, 25, 10),
            Delay(1, DAYS),
            paris(2027, 3, 30, 10),
        ),
        (
            "Alsace-Moselle: 26 December off",
            ALSACE,
            paris(2027, 12, 24, 10),
            Delay(1, DAYS),
            paris(2027, 12, 27, 10),
        ),
        (
            "La Réunion: 20 December off, local time",
            REUNION_CALENDAR,
            datetime(2027, 12, 17, 10, tzinfo=REUNION),
            Delay(1, DAYS),
            datetime(2027, 12, 21, 10, tzinfo=REUNION),
        ),
        (
            "UTC input, Paris office",
            OFFICE,
            datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("UTC")),
            Delay(1, HOURS),
            paris(2026, 11, 23, 11),
        ),
        (
            "spring forward: the Sunday has 23 hours",
            EVERY_DAY,
            paris(2026, 3, 28, 12),
            Delay(24, HOURS),
            paris(2026, 3, 29, 13),
        ),
        (
            "fall back: the Sunday has 25 hours",
            EVERY_DAY,
            paris(2026, 10, 24, 12),
            Delay(24, HOURS),
            paris(2026, 10, 25, 11),
        ),
        (
            "days keep the wall-clock time across DST",
            WEEKDAYS,
            paris(2026, 3, 27, 10),
            Delay(1, DAYS),
            paris(2026, 3, 30, 10),
        ),
    ],
)
def test_add_working_time(label, calendar, start, delay, expected):
    due = add_working_time(start, delay, calendar)
    assert due == expected, label
    assert due.tzinfo is not None


@pytest.mark.parametrize(
    ("label", "calendar", "a", "b", "expected"),
    [
        (
            "across the weekend",
            OFFICE,
            paris(2026, 11, 20, 17),
            paris(2026, 11, 23, 10),
            timedelta(hours=2),
        ),
        (
            "backwards is negative",
            OFFICE,
            paris(2026, 11, 23, 10),
            paris(2026, 11, 20, 17),
            -timedelta(hours=2),
        ),
        ("one office day", OFFICE, paris(2026, 11, 23), paris(2026, 11, 24), timedelta(hours=7.5)),
        (
            "evening to evening",
            OFFICE,
            paris(2026, 11, 23, 19),
            paris(2026, 11, 23, 23),
            timedelta(0),
        ),
        ("holiday week", WEEKDAYS, paris(2026, 11, 9), paris(2026, 11, 16), timedelta(days=4)),
        ("short DST day", EVERY_DAY, paris(2026, 3, 29), paris(2026, 3, 30), timedelta(hours=23)),
        ("long DST day", EVERY_DAY, paris(2026, 10, 25), paris(2026, 10, 26), timedelta(hours=25)),
        ("inside a closure", SUMMER_CLOSED, paris(2026, 8, 4), paris(2026, 8, 20), timedelta(0)),
    ],
)
def test_working_time_between(label, calendar, a, b, expected):
    assert working_time_between(a, b, calendar) == expected, label


@pytest.mark.parametrize(
    ("moment", "expected_open", "expected_next"),
    [
        (paris(2026, 11, 23, 10), True, paris(2026, 11, 23, 10)),
        (paris(2026, 11, 23, 12, 15), False, paris(2026, 11, 23, 13, 30)),
        (paris(2026, 11, 27, 18), False, paris(2026, 11, 30, 8, 30)),
        (paris(2026, 12, 25, 9), False, paris(2026, 12, 28, 8, 30)),
    ],
)
def test_is_open_and_next_opening(moment, expected_open, expected_next):
    assert is_open(moment, OFFICE) is expected_open
    assert next_opening(moment, OFFICE) == expected_next


def test_adding_then_measuring_gives_the_delay_back():
    start = paris(2026, 11, 20, 16)
    due = add_working_time(start, Delay(11, HOURS), OFFICE)
    assert working_time_between(start, due, OFFICE) == timedelta(hours=11)


@pytest.mark.parametrize("amount", [0, -1, -5])
def test_a_delay_must_be_positive(amount):
    with pytest.raises(ValueError, match="must be positive"):
        Delay(amount, DAYS)


def test_a_calendar_that_never_opens_is_an_error_not_a_loop():
    closed = Calendar(opening={})
    with pytest.raises(ValueError, match="never opens"):
        add_working_time(paris(2026, 11, 23), Delay(1, HOURS), closed)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_time(datetime(2026, 11, 23, 10), Delay(1, HOURS), OFFICE)
