"""The demo's service levels: Villebois town hall's calendar (opening hours, summer closure), the
Marianne SLA preset, and a few callbacks booked in the coming days (docs/sla.md, docs/callbacks.md).
Demo seeding may write models directly; callbacks are booked through their action."""

from __future__ import annotations

from datetime import date, datetime, time

from guichet.callbacks.actions import CallbackError, do_book_callback
from guichet.callbacks.models import BookedVia
from guichet.callbacks.slots import free_slots
from guichet.cases.lifecycle import ACTIVE_STATUSES
from guichet.cases.models import Case
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.organizations.models import Organization
from guichet.sla.actions import do_apply_marianne_preset
from guichet.sla.models import Closure, OpeningHours, WorkCalendar

MORNING = (time(8, 30), time(12))
AFTERNOON = (time(13, 30), time(17, 30))
# Callbacks booked in the demo, spread over the first free slots.
DEMO_CALLBACKS = 4


def seed_service_levels(organization: Organization, now: datetime) -> WorkCalendar:
    """The town hall's hours (Saturday morning included) and its summer closure, and the
    Marianne preset (emails and forms in 5 working days, letters in 15, phone in 20 s)."""
    calendar = WorkCalendar.objects.create(organization=organization, name="Mairie de Villebois")
    hours = [
        OpeningHours(calendar=calendar, weekday=day, opens=opens, closes=closes)
        for day in range(5)
        for opens, closes in (MORNING, AFTERNOON)
    ]
    hours.append(OpeningHours(calendar=calendar, weekday=5, opens=time(9), closes=time(12)))
    OpeningHours.objects.bulk_create(hours)
    for year in (now.year, now.year + 1):
        Closure.objects.create(
            calendar=calendar,
            starts_on=date(year, 8, 10),
            ends_on=date(year, 8, 21),
            label="Fermeture estivale",
        )
    do_apply_marianne_preset(organization)
    return calendar


def seed_callbacks(organization: Organization) -> int:
    """Book callbacks for a few open requests of citizens who gave a phone number."""
    phones = dict(
        ContactPoint.objects.filter(organization=organization, kind=ContactKind.PHONE)
        .order_by("pk")
        .values_list("citizen_id", "value")
    )
    cases = (
        Case.objects.filter(
            organization=organization,
            status__in=ACTIVE_STATUSES,
            citizen_id__in=list(phones),
            department__isnull=False,
        )
        .select_related("organization", "department", "citizen")
        .order_by("pk")
    )
    booked = 0
    for case in cases:
        if booked >= DEMO_CALLBACKS or case.department is None:
            break
        slots = free_slots(case.department)
        if len(slots) <= booked * 3:
            continue
        try:
            do_book_callback(
                case,
                phone=phones[case.citizen_id],
                slot_start=slots[booked * 3].start,
                reason="Rappel demandé pour faire le point sur la demande.",
                via=BookedVia.PORTAL if booked % 2 == 0 else BookedVia.DESK,
            )
        except CallbackError:
            continue
        booked += 1
    return booked
