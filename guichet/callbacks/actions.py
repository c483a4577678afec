"""Writes on callbacks: book (from the portal, the desk or a phone menu), start the callbacks whose
time has come as routed items, record each attempt's outcome, retry, cancel.

Every change is written on the case timeline. A callback is never an abandoned call: it is an
appointment the administration keeps, routed as an item of kind "callback" (docs/callbacks.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.callbacks.models import BookedVia, Callback, CallbackStatus, Outcome
from guichet.callbacks.slots import booked_between, fits_opening, phone_staff, slot_length
from guichet.cases.actions import CaseAccessDenied, append_event
from guichet.cases.models import Case
from guichet.citizens.identity import InvalidContactPoint, normalise_phone
from guichet.organizations.models import Department
from guichet.sla.calendar import next_opening
from guichet.sla.policies import calendar_for

logger = logging.getLogger(__name__)

EVENT_BOOKED = "callback.booked"
EVENT_DUE = "callback.due"
EVENT_ATTEMPT = "callback.attempt"
EVENT_CANCELLED = "callback.cancelled"

# What an outcome makes of the callback (NO_ANSWER: retried while attempts remain).
FINAL_STATUS = {
    Outcome.REACHED: CallbackStatus.REACHED,
    Outcome.WRONG_NUMBER: CallbackStatus.WRONG_NUMBER,
    Outcome.CANCELLED: CallbackStatus.CANCELLED,
}


class CallbackError(ValueError):
    """A booking or an outcome that cannot be accepted; the message is shown as it is."""


@dataclass(frozen=True)
class SlotCheck:
    start: datetime
    end: datetime


def check_slot(
    department: Department, start: datetime, *, now: datetime | None = None
) -> SlotCheck:
    """The slot starting at `start` if it can still be booked; otherwise `CallbackError` saying
    why: in the past, outside opening hours, or full."""
    now = now or timezone.now()
    end = start + slot_length()
    if start <= now:
        raise CallbackError(_("This time has already passed: choose a later slot."))
    calendar = calendar_for(department.organization_id, department.pk)
    if not fits_opening(start, end, calendar):
        raise CallbackError(
            _(
                "%(department)s does not call back at this time: choose a slot within its opening hours."
            )
            % {"department": department.name}
        )
    capacity = phone_staff(department)
    bookings = list(
        Callback.objects.open()
        .filter(department=department, slot_start__lt=end, slot_end__gt=start)
        .only("slot_start", "slot_end")
    )
    if booked_between(bookings, start, end) >= capacity:
        raise CallbackError(_("This slot is full: choose another one."))
    return SlotCheck(start, end)


def _phone(value: str) -> str:
    try:
        return normalise_phone(value or "")
    except InvalidContactPoint:
        raise CallbackError(_("Enter a valid phone number, e.g. 06 12 34 56 78.")) from None


@transaction.atomic
def do_book_callback(
    case: Case,
    *,
    phone: str,
    slot_start: datetime,
    reason: str = "",
    department: Department | None = None,
    via: str = BookedVia.PORTAL,
    actor: Any = None,
    now: datetime | None = None,
) -> Callback:
    """Book a callback on `case` in its department (or `department`, of the same organization).
    Bookings of one department are serialised (a row lock), so a slot is never overbooked."""
    department = department or case.department or case.organization.default_department
    if department is None or department.organization_id != case.organization_id:
        raise CallbackError(_("Choose a department of this organization."))
    if not case.is_active:
        raise CallbackError(_("This request is closed: a callback cannot be booked on it."))
    number = _phone(phone)
    Department.objects.select_for_update().filter(pk=department.pk).first()
    slot = check_slot(department, slot_start, now=now)
    moment = timezone.now()
    callback = Callback(
        organization_id=case.organization_id,
        department=department,
        case=case,
        phone=number,
        reason=(reason or "").strip()[:2000],
        slot_start=slot.start,
        slot_end=slot.end,
        next_attempt_at=slot.start,
        booked_via=via,
        booked_by=actor if actor is not None and getattr(actor, "pk", None) else None,
        created_at=moment,
        updated_at=moment,
    )
    callback.save(force_insert=True)
    append_event(
        case,
        EVENT_BOOKED,
        actor=actor,
        actor_label="" if actor else (case.citizen.display_name or ""),
        data={
            "callback": callback.pk,
            "slot": slot.start.isoformat(),
            "via": via,
            "department": department.name,
        },
    )
    return callback


# ---------------------------------------------------------------------------------------------
# At its time


def _enqueue(callback: Callback) -> None:
    """Hand the callback to routing: an item of kind "callback" on the phone channel, for agents
    with the phone skill. The item carries the callback id, not the case: the case may have its
    own item, and routing keeps one open item per case."""
    from guichet.routing.actions import do_enqueue_item

    do_enqueue_item(
        organization=callback.organization,
        department=callback.department,
        kind="callback",
        channel="phone",
        callback_id=callback.pk,
        skills=("channel:phone",),
        priority=callback.case.priority,
        due_at=callback.slot_end,
    )


def start_due_callbacks(now: datetime | None = None) -> int:
    """Turn the callbacks whose time has come into routed items (periodic; idempotent)."""
    now = now or timezone.now()
    started = 0
    due = list(
        Callback.objects.filter(
            status=CallbackStatus.SCHEDULED, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    for callback_id in due:
        if _start(callback_id, now):
            started += 1
    return started


@transaction.atomic
def _start(callback_id: int, now: datetime) -> bool:
    callback = (
        Callback.objects.select_for_update()
        .select_related("organization", "department", "case")
        .filter(pk=callback_id, status=CallbackStatus.SCHEDULED, next_attempt_at__lte=now)
        .first()
    )
    if callback is None:
        return False
    callback.status = CallbackStatus.QUEUED
    callback.updated_at = now
    callback.save(update_fields=["status", "updated_at"])
    append_event(
        callback.case,
        EVENT_DUE,
        actor_label=_("Callbacks"),
        data={"callback": callback.pk, "attempt": callback.attempts + 1},
    )
    _enqueue(callback)
    return True


# ---------------------------------------------------------------------------------------------
# Agents


def access_callback(user: Any, callback_id: int) -> Callback:
    """A callback of a department the user works in (otherwise `CaseAccessDenied`)."""
    callback = (
        Callback.objects.visible_to(user)
        .select_related("organization", "department", "case")
        .filter(pk=callback_id)
        .first()
    )
    if callback is None:
        raise CaseAccessDenied(str(callback_id))
    return callback


def _close_routing_item(callback: Callback, *, actor: Any, outcome: str) -> None:
    from guichet.routing.actions import do_cancel_item, do_finish_item
    from guichet.routing.models import ItemKind, RoutingItem

    items = RoutingItem.objects.filter(
        organization_id=callback.organization_id, kind=ItemKind.CALLBACK, callback_id=callback.pk
    ).open()
    for item in items:
        if outcome == Outcome.CANCELLED:
            do_cancel_item(item, reason=_("callback cancelled"))
        else:
            do_finish_item(item, reason=outcome)


@transaction.atomic
def do_record_outcome(
    callback: Callback,
    outcome: str,
    *,
    actor: Any = None,
    note: str = "",
    now: datetime | None = None,
) -> Callback:
    """Record what happened: reached, no answer (retried after GUICHET_CALLBACK_RETRY_MINUTES,
    within opening hours, until GUICHET_CALLBACK_MAX_ATTEMPTS), wrong number, or cancelled."""
    if outcome not in Outcome.values:
        raise CallbackError(_("Unknown outcome."))
    now = now or timezone.now()
    locked = (
        Callback.objects.select_for_update()
        .select_related("case", "department")
        .get(pk=callback.pk)
    )
    if not locked.is_open:
        raise CallbackError(_("This callback is already finished."))
    if outcome != Outcome.CANCELLED:
        locked.attempts += 1
    locked.last_outcome = outcome
    retry_at = None
    if outcome == Outcome.NO_ANSWER:
        if locked.attempts >= settings.GUICHET_CALLBACK_MAX_ATTEMPTS:
            locked.status = CallbackStatus.UNREACHED
        else:
            calendar = calendar_for(locked.organization_id, locked.department_id)
            retry_at = next_opening(
                now + timedelta(minutes=settings.GUICHET_CALLBACK_RETRY_MINUTES), calendar
            )
            locked.status = CallbackStatus.SCHEDULED
            locked.next_attempt_at = retry_at
    else:
        locked.status = FINAL_STATUS[Outcome(outcome)]
    locked.updated_at = now
    locked.save(
        update_fields=[
            "attempts",
            "last_outcome",
            "status",
            "next_attempt_at",
            "updated_at",
        ]
    )
    append_event(
        locked.case,
        EVENT_CANCELLED if outcome == Outcome.CANCELLED else EVENT_ATTEMPT,
        actor=actor,
        actor_label="" if actor else _("Citizen"),
        data={
            "callback": locked.pk,
            "outcome": outcome,
            "attempt": locked.attempts,
            "status": locked.status,
            "retry_at": retry_at.isoformat() if retry_at else None,
            "note": note.strip()[:500],
        },
    )
    _close_routing_item(locked, actor=actor, outcome=outcome)
    return locked
