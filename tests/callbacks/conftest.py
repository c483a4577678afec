from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from guichet.sla.models import OpeningHours, WorkCalendar
from tests.factories import CaseFactory, CitizenFactory


@pytest.fixture(autouse=True)
def _callback_settings(settings):
    settings.GUICHET_CALLBACK_SLOT_MINUTES = 30
    settings.GUICHET_CALLBACK_SLOT_CAPACITY = 2
    settings.GUICHET_CALLBACK_DAYS_AHEAD = 10
    settings.GUICHET_CALLBACK_MAX_ATTEMPTS = 3
    settings.GUICHET_CALLBACK_RETRY_MINUTES = 30


@pytest.fixture
def office(town):
    """Villebois town hall: Monday to Friday, 8:30-12:00 and 13:30-17:30."""
    calendar = WorkCalendar.objects.create(organization=town, name="Mairie")
    for weekday in range(5):
        OpeningHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(8, 30), closes=time(12)
        )
        OpeningHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(13, 30), closes=time(17, 30)
        )
    return calendar


@pytest.fixture
def civil_case(town, departments):
    return CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        due_at=timezone.now() + timedelta(days=5),
    )
