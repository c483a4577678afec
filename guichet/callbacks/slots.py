"""Reads: the callback slots a department offers, and how many bookings each one can take.

A slot is GUICHET_CALLBACK_SLOT_MINUTES long and lies inside one opening range of the department's
calendar (guichet.sla). Its capacity is the number of the department's agents with the phone skill
(routing's `AgentSkill` channel:phone, counted among the agents who work in the department); an
organization that has not given anyone that skill yet gets GUICHET_CALLBACK_SLOT_CAPACITY per slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from guichet.callbacks.models import Callback
from guichet.organizations.models import Department
from guichet.routing.models import AgentSkill, SkillKind
from guichet.sla.calendar import Calendar, open_intervals
from guichet.sla.policies import calendar_for

PHONE = "phone"


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def value(self) -> str:
        """How a form names the slot: its start, ISO 8601 in UTC."""
        return self.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_length() -> timedelta:
    return timedelta(minutes=settings.GUICHET_CALLBACK_SLOT_MINUTES)


def phone_staff(department: Department) -> int:
    """How many callbacks one slot of the department can take."""
    skills = AgentSkill.objects.filter(
        organization_id=department.organization_id, kind=SkillKind.CHANNEL, value=PHONE
    )
    if not skills.exists():
        return settings.GUICHET_CALLBACK_SLOT_CAPACITY
    return (
        skills.filter(
            agent__is_active=True,
            agent__memberships__organization_id=department.organization_id,
            agent__memberships__departments=department,
        )
        .values("agent_id")
        .distinct()
        .count()
    )


def _overlapping(department: Department, start: datetime, end: datetime) -> list[Callback]:
    return list(
        Callback.objects.open()
        .filter(department=department, slot_start__lt=end, slot_end__gt=start)
        .only("slot_start", "slot_end")
    )


def booked_between(bookings: list[Callback], start: datetime, end: datetime) -> int:
    return sum(1 for b in bookings if b.slot_start < end and b.slot_end > start)


def fits_opening(start: datetime, end: datetime, calendar: Calendar) -> bool:
    """True when [start, end) lies inside one opening range of the calendar."""
    for opens, closes in open_intervals(start, calendar):
        return opens == start and end <= closes
    return False


def free_slots(
    department: Department, *, now: datetime | None = None, days: int | None = None
) -> list[Slot]:
    """The slots of the coming days that still have room, in order."""
    now = now or timezone.now()
    horizon = now + timedelta(days=days or settings.GUICHET_CALLBACK_DAYS_AHEAD)
    calendar = calendar_for(department.organization_id, department.pk)
    capacity = phone_staff(department)
    if capacity <= 0:
        return []
    length = slot_length()
    bookings = _overlapping(department, now, horizon)
    slots = []
    for opens, closes in open_intervals(now, calendar):
        if opens >= horizon:
            break
        # Slots are aligned on the opening, not on `now` (the first range may be cut at now).
        day_opening = next(
            (o for o, c in calendar.day_intervals(opens.date()) if o <= opens < c), opens
        )
        start = day_opening
        while start + length <= closes:
            if start > now:
                booked = booked_between(bookings, start, start + length)
                if booked < capacity:
                    slots.append(Slot(start, start + length, capacity, booked))
            start += length
    return slots
