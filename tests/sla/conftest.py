from __future__ import annotations

from datetime import time

import pytest

from guichet.sla.models import OpeningHours, WorkCalendar


@pytest.fixture
def office_calendar(town):
    """Villebois town hall: Monday to Friday, 8:30-12:00 and 13:30-17:30, Paris time."""
    calendar = WorkCalendar.objects.create(organization=town, name="Mairie")
    for weekday in range(5):
        OpeningHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(8, 30), closes=time(12)
        )
        OpeningHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(13, 30), closes=time(17, 30)
        )
    return calendar
