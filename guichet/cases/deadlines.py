"""Announced response delays in working days (French public holidays, weekends excluded).

Issue #4 replaces this with SLA policies on calendars with opening hours; the interface stays:
given an organization, a topic and a start time, when is the answer due?
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
from django.utils import timezone

if TYPE_CHECKING:
    from guichet.organizations.models import Organization, Topic


@lru_cache(maxsize=32)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` working days, keeping the local time of day."""
    local = timezone.localtime(start)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def response_days(organization: Organization, topic: Topic | None) -> int:
    if topic is not None and topic.response_days:
        return topic.response_days
    return organization.response_days


def compute_due_at(organization: Organization, topic: Topic | None, start: datetime) -> datetime:
    return add_working_days(start, response_days(organization, topic))
