"""Booking callbacks: free slots within opening hours and staff, and a clear refusal for a slot
in the past, outside opening hours or full. Organizations never see each other's callbacks."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from guichet.callbacks.actions import (
    CallbackError,
    access_callback,
    check_slot,
    do_book_callback,
)
from guichet.callbacks.models import BookedVia, Callback, CallbackStatus
from guichet.callbacks.slots import free_slots, phone_staff
from guichet.cases.actions import CaseAccessDenied
from guichet.cases.models import CaseEvent
from guichet.routing.models import AgentSkill, SkillKind
from guichet.sla.calendar import is_open
from guichet.sla.policies import calendar_for
from tests.factories import CaseFactory, CitizenFactory

PHONE = "06 12 34 56 78"


def later_slot(department, days=2):
    """A free slot at least `days` days ahead (slots are computed from now)."""
    horizon = timezone.now() + timedelta(days=days)
    return next(s for s in free_slots(department) if s.start > horizon)


def test_free_slots_lie_in_opening_hours_and_in_the_future(town, departments, office):
    civil = departments["etat-civil"]
    slots = free_slots(civil)
    calendar = calendar_for(town.pk, civil.pk)
    now = timezone.now()
    assert slots
    for slot in slots:
        assert slot.start > now
        assert slot.end - slot.start == timedelta(minutes=30)
        assert is_open(slot.start, calendar)
        assert is_open(slot.end - timedelta(seconds=1), calendar)
        local = timezone.localtime(slot.start).time()
        assert time(8, 30) <= local < time(17, 30)
        assert not time(12) <= local < time(13, 30)
        assert (slot.capacity, slot.booked) == (2, 0)


def test_booking_records_the_callback_on_the_timeline(civil_case, departments, office):
    slot = later_slot(departments["etat-civil"])
    callback = do_book_callback(civil_case, phone=PHONE, slot_start=slot.start, reason="état civil")
    assert (callback.phone, callback.status, callback.attempts) == (
        "+33612345678",
        CallbackStatus.SCHEDULED,
        0,
    )
    assert (callback.slot_start, callback.slot_end, callback.next_attempt_at) == (
        slot.start,
        slot.end,
        slot.start,
    )
    assert callback.department == departments["etat-civil"]
    [event] = CaseEvent.objects.filter(case=civil_case, kind="callback.booked")
    assert event.data["callback"] == callback.pk
    assert event.data["via"] == BookedVia.PORTAL


def test_a_slot_in_the_past_is_refused(civil_case, departments, office):
    slot = later_slot(departments["etat-civil"])
    with pytest.raises(CallbackError) as error:
        do_book_callback(civil_case, phone=PHONE, slot_start=slot.start - timedelta(days=14))
    assert str(error.value) == "This time has already passed: choose a later slot."
    assert Callback.objects.count() == 0


@pytest.mark.parametrize(
    ("hour", "minute"),
    [(20, 0), (12, 0), (11, 45), (7, 0)],
    ids=["evening", "lunch", "overlaps", "early"],
)
def test_a_slot_outside_opening_hours_is_refused(civil_case, departments, office, hour, minute):
    day = timezone.localtime(later_slot(departments["etat-civil"]).start)
    start = day.replace(hour=hour, minute=minute)
    with pytest.raises(CallbackError) as error:
        do_book_callback(civil_case, phone=PHONE, slot_start=start)
    assert str(error.value) == (
        "État civil does not call back at this time: choose a slot within its opening hours."
    )
    assert Callback.objects.count() == 0


def test_a_slot_on_a_public_holiday_is_refused(civil_case, departments, office):
    christmas = datetime(
        timezone.now().year + 1, 12, 25, 10, tzinfo=timezone.get_current_timezone()
    )
    with pytest.raises(CallbackError, match="does not call back at this time"):
        check_slot(departments["etat-civil"], christmas)


def test_a_full_slot_is_refused(civil_case, town, departments, office):
    slot = later_slot(departments["etat-civil"])
    do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)
    do_book_callback(civil_case, phone="0698765432", slot_start=slot.start)
    assert slot.start not in [s.start for s in free_slots(departments["etat-civil"])]
    with pytest.raises(CallbackError) as error:
        do_book_callback(civil_case, phone="0611111111", slot_start=slot.start)
    assert str(error.value) == "This slot is full: choose another one."
    assert Callback.objects.count() == 2


def test_a_cancelled_callback_frees_its_place(civil_case, departments, office):
    slot = later_slot(departments["etat-civil"])
    first = do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)
    do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)
    Callback.objects.filter(pk=first.pk).update(status=CallbackStatus.CANCELLED)
    do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)
    assert Callback.objects.open().count() == 2


def test_capacity_is_the_departments_phone_agents_once_skills_exist(
    town, departments, civil_agent, roads_agent, office
):
    assert phone_staff(departments["etat-civil"]) == 2  # the setting: no phone skill given yet
    AgentSkill.objects.create(
        organization=town, agent=civil_agent, kind=SkillKind.CHANNEL, value="phone"
    )
    assert phone_staff(departments["etat-civil"]) == 1
    assert phone_staff(departments["voirie"]) == 0
    assert free_slots(departments["voirie"]) == []
    assert {s.capacity for s in free_slots(departments["etat-civil"])} == {1}


def test_a_wrong_phone_number_is_refused(civil_case, departments, office):
    slot = later_slot(departments["etat-civil"])
    with pytest.raises(CallbackError, match="Enter a valid phone number"):
        do_book_callback(civil_case, phone="12", slot_start=slot.start)
    assert Callback.objects.count() == 0


def test_a_closed_request_gets_no_callback(civil_case, departments, office):
    civil_case.status = "closed"
    civil_case.save()
    slot = later_slot(departments["etat-civil"])
    with pytest.raises(CallbackError, match="This request is closed"):
        do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)


def test_a_department_of_another_organization_is_refused(civil_case, other_town, office):
    with pytest.raises(CallbackError, match="Choose a department of this organization"):
        do_book_callback(
            civil_case,
            phone=PHONE,
            slot_start=timezone.now() + timedelta(days=3),
            department=other_town.departments.first(),
        )
    assert Callback.objects.count() == 0


def test_organizations_never_see_each_others_callbacks(
    civil_case, departments, office, civil_agent, other_agent, other_town
):
    slot = later_slot(departments["etat-civil"])
    callback = do_book_callback(civil_case, phone=PHONE, slot_start=slot.start)
    other_case = CaseFactory(
        citizen=CitizenFactory(organization=other_town), department=other_town.departments.first()
    )
    # Montval's bookings take nothing from Villebois' slots.
    other_slot = next(s for s in free_slots(other_case.department) if s.start == slot.start)
    assert other_slot.booked == 0
    assert access_callback(civil_agent, callback.pk) == callback
    with pytest.raises(CaseAccessDenied):
        access_callback(other_agent, callback.pk)
    assert list(Callback.objects.visible_to(other_agent)) == []
