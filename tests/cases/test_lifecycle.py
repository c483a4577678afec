"""Every (status, transition) pair: allowed ones move the case and log it; forbidden ones raise and
change nothing."""

import itertools

import pytest

from guichet.cases.actions import do_transition_case
from guichet.cases.lifecycle import (
    TRANSITIONS,
    Status,
    Transition,
    TransitionNotAllowed,
    next_status,
)
from guichet.cases.models import CaseEvent, EventKind
from tests.factories import CaseFactory, CitizenFactory

EXPECTED = {
    ("new", "open"): "open",
    ("new", "wait"): "waiting",
    ("new", "resolve"): "resolved",
    ("new", "close"): "closed",
    ("open", "wait"): "waiting",
    ("open", "resolve"): "resolved",
    ("open", "close"): "closed",
    ("waiting", "open"): "open",
    ("waiting", "resolve"): "resolved",
    ("waiting", "close"): "closed",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "open",
    ("closed", "reopen"): "open",
}
ALL_PAIRS = list(itertools.product(Status.values, Transition.values))


def test_declared_table_is_the_expected_one():
    assert {(s.value, t.value): n.value for (s, t), n in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("status", "transition"), ALL_PAIRS)
def test_next_status_follows_the_table(status, transition):
    if (status, transition) in EXPECTED:
        assert next_status(status, transition) == EXPECTED[(status, transition)]
    else:
        with pytest.raises(TransitionNotAllowed):
            next_status(status, transition)


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "transition"), ALL_PAIRS)
def test_transition_on_a_case(status, transition, town, supervisor):
    case = CaseFactory(citizen=CitizenFactory(organization=town), status=status)
    before = CaseEvent.objects.filter(case=case).count()
    if (status, transition) in EXPECTED:
        do_transition_case(case, transition, actor=supervisor, reason="test")
        case.refresh_from_db()
        assert case.status == EXPECTED[(status, transition)]
        event = CaseEvent.objects.get(case=case, kind=EventKind.STATUS_CHANGED)
        assert event.data == {
            "from": status,
            "to": EXPECTED[(status, transition)],
            "transition": transition,
            "reason": "test",
        }
        assert event.actor == supervisor
    else:
        with pytest.raises(TransitionNotAllowed):
            do_transition_case(case, transition, actor=supervisor)
        case.refresh_from_db()
        assert case.status == status
        assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.django_db
def test_resolution_and_reopen_timestamps(town, supervisor):
    case = CaseFactory(citizen=CitizenFactory(organization=town), status="open")
    do_transition_case(case, "resolve", actor=supervisor)
    assert case.resolved_at is not None
    do_transition_case(case, "reopen", actor=supervisor)
    case.refresh_from_db()
    assert case.status == "open"
    assert case.resolved_at is None
