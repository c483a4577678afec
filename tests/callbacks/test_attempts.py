"""At its time a callback becomes a routed item for phone agents; each attempt's outcome is
recorded, unanswered ones are retried at intervals until the cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.callbacks.actions import (
    CallbackError,
    do_book_callback,
    do_record_outcome,
    start_due_callbacks,
)
from guichet.callbacks.models import Callback, CallbackStatus, Outcome
from guichet.callbacks.slots import free_slots
from guichet.callbacks.tasks import start_due_callbacks_task
from guichet.cases.models import CaseEvent
from guichet.routing.models import ItemKind, ItemState, RoutingItem
from guichet.sla.calendar import is_open
from guichet.sla.policies import calendar_for


@pytest.fixture
def booked(civil_case, departments, office):
    slot = free_slots(departments["etat-civil"])[0]
    callback = do_book_callback(civil_case, phone="0612345678", slot_start=slot.start)
    return callback


def make_due(callback):
    Callback.objects.filter(pk=callback.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )


def callback_items(callback):
    return list(RoutingItem.objects.filter(kind=ItemKind.CALLBACK, callback_id=callback.pk))


def test_a_callback_waits_until_its_time(booked):
    assert start_due_callbacks() == 0
    assert callback_items(booked) == []
    assert Callback.objects.get(pk=booked.pk).status == CallbackStatus.SCHEDULED


def test_at_its_time_it_becomes_a_routed_phone_item_once(
    booked, django_capture_on_commit_callbacks
):
    make_due(booked)
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_callbacks_task.enqueue().return_value == 1
    assert start_due_callbacks() == 0
    [item] = callback_items(booked)
    assert (item.kind, item.channel, item.skills, item.case_id) == (
        "callback",
        "phone",
        {"channel:phone": 0},
        None,
    )
    assert item.department_id == booked.department_id
    assert item.state in (ItemState.WAITING, ItemState.OFFERED, ItemState.ASSIGNED)
    assert Callback.objects.get(pk=booked.pk).status == CallbackStatus.QUEUED
    [event] = CaseEvent.objects.filter(case=booked.case, kind="callback.due")
    assert event.data == {"callback": booked.pk, "attempt": 1}


def test_no_answer_is_retried_later_within_opening_hours_then_given_up(booked, town):
    calendar = calendar_for(town.pk, booked.department_id)
    for attempt in (1, 2):
        make_due(booked)
        assert start_due_callbacks() == 1
        before = timezone.now()
        callback = do_record_outcome(booked, Outcome.NO_ANSWER)
        assert (callback.status, callback.attempts) == (CallbackStatus.SCHEDULED, attempt)
        assert callback.next_attempt_at >= before + timedelta(minutes=30)
        assert is_open(callback.next_attempt_at, calendar)
    make_due(booked)
    start_due_callbacks()
    callback = do_record_outcome(booked, Outcome.NO_ANSWER)
    assert (callback.status, callback.attempts) == (CallbackStatus.UNREACHED, 3)
    assert [i.state for i in callback_items(booked)] == [ItemState.DONE] * 3
    attempts = CaseEvent.objects.filter(case=booked.case, kind="callback.attempt").order_by("pk")
    assert [(e.data["attempt"], e.data["status"]) for e in attempts] == [
        (1, "scheduled"),
        (2, "scheduled"),
        (3, "unreached"),
    ]


@pytest.mark.parametrize(
    ("outcome", "status", "attempts", "item_state"),
    [
        (Outcome.REACHED, CallbackStatus.REACHED, 1, ItemState.DONE),
        (Outcome.WRONG_NUMBER, CallbackStatus.WRONG_NUMBER, 1, ItemState.DONE),
        (Outcome.CANCELLED, CallbackStatus.CANCELLED, 0, ItemState.CANCELLED),
    ],
)
def test_final_outcomes(booked, outcome, status, attempts, item_state):
    make_due(booked)
    start_due_callbacks()
    callback = do_record_outcome(booked, outcome, note="ok")
    assert (callback.status, callback.attempts, callback.last_outcome) == (
        status,
        attempts,
        outcome,
    )
    assert [i.state for i in callback_items(booked)] == [item_state]
    with pytest.raises(CallbackError, match="This callback is already finished"):
        do_record_outcome(booked, Outcome.NO_ANSWER)
    assert Callback.objects.get(pk=booked.pk).attempts == attempts


def test_an_unknown_outcome_is_refused_without_change(booked):
    with pytest.raises(CallbackError, match="Unknown outcome"):
        do_record_outcome(booked, "abandoned")
    callback = Callback.objects.get(pk=booked.pk)
    assert (callback.status, callback.attempts, callback.last_outcome) == ("scheduled", 0, "")
    assert not CaseEvent.objects.filter(case=booked.case, kind="callback.attempt").exists()


def test_a_callback_is_never_an_abandoned_call(booked):
    """A callback that nobody answers ends "not reached", its routing item "done": no item state
    or KPI counts it as an abandoned call (docs/callbacks.md)."""
    for _attempt in range(3):
        make_due(booked)
        start_due_callbacks()
        do_record_outcome(booked, Outcome.NO_ANSWER)
    assert {i.state for i in callback_items(booked)} == {ItemState.DONE}
    assert Callback.objects.get(pk=booked.pk).status == CallbackStatus.UNREACHED
