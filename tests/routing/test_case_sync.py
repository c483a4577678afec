"""The case actions bring the request's routing item in step at once (on commit): capacity frees,
the next item flows, hand assignments and transfers re-route, priorities follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.actions import (
    do_assign_case,
    do_set_priority,
    do_transfer_case,
    do_transition_case,
)
from guichet.cases.models import Priority
from guichet.routing.actions import dispatch, reconcile
from guichet.routing.case_sync import sync_case_item
from guichet.routing.models import AgentPresence, ItemState, RoutingItem
from guichet.sla.actions import escalate_cases
from tests.routing.conftest import capacity, reload, routing_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of the block (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.parametrize(
    ("transitions", "state"),
    [(["resolve"], ItemState.DONE), (["close"], ItemState.DONE), (["wait"], ItemState.DONE)],
)
def test_resolving_closing_or_waiting_frees_the_slot_and_the_next_item_flows(
    town, claire, assign_mode, make_routed_case, on_commit, transitions, state
):
    capacity(claire, town, "email", 1)
    first_case, first = make_routed_case(age_minutes=2)
    _second_case, second = make_routed_case(age_minutes=1)
    dispatch(town.pk)
    assert (reload(first).state, reload(second).state) == (ItemState.ASSIGNED, ItemState.WAITING)

    with on_commit():
        for transition in transitions:
            do_transition_case(reload(first_case), transition, actor=claire)

    first = reload(first)
    assert (first.state, first.finished_at is not None) == (state, True)
    assert (reload(second).state, reload(second).agent) == (ItemState.ASSIGNED, claire)
    assert AgentPresence.objects.get(agent=claire).last_assignment_end is not None
    assert reconcile(town.pk) == {"finished": 0, "cancelled": 0, "moved": 0, "enqueued": 0}


def test_a_request_resolved_before_anyone_took_it_cancels_its_item(
    town, supervisor, make_routed_case, on_commit
):
    case, item = make_routed_case()
    with on_commit():
        do_transition_case(case, "resolve", actor=supervisor)
    assert reload(item).state == ItemState.CANCELLED
    assert routing_events(case)[-1]["action"] == "cancelled"


def test_assigning_by_hand_hands_the_item_over_and_frees_the_previous_agent(
    town, supervisor, claire, paul, assign_mode, make_routed_case, on_commit
):
    capacity(claire, town, "email", 1)
    case, item = make_routed_case(age_minutes=2)
    _next_case, waiting = make_routed_case(age_minutes=1)
    capacity(paul, town, "email", 0)  # paul takes nothing pushed: only what is handed to him
    dispatch(town.pk)
    assert reload(item).agent == claire

    with on_commit():
        do_assign_case(reload(case), paul, actor=supervisor)

    item = reload(item)
    assert (item.state, item.agent) == (ItemState.ASSIGNED, paul)
    assert [e["action"] for e in routing_events(case)] == ["assigned", "assigned_by_hand"]
    # claire's slot freed: the waiting item flowed to her at once
    assert (reload(waiting).state, reload(waiting).agent) == (ItemState.ASSIGNED, claire)
    assert reconcile(town.pk)["finished"] + reconcile(town.pk)["cancelled"] == 0


def test_a_waiting_item_assigned_by_hand_is_counted_in_the_agents_load(
    town, supervisor, paul, make_routed_case, on_commit
):
    case, item = make_routed_case()
    with on_commit():
        do_assign_case(case, paul, actor=supervisor)
    item = reload(item)
    assert (item.state, item.agent, item.assigned_at is not None) == (
        ItemState.ASSIGNED,
        paul,
        True,
    )


def test_unassigning_by_hand_puts_the_item_back_in_line(
    town, supervisor, claire, assign_mode, make_routed_case, on_commit
):
    case, item = make_routed_case()
    dispatch(town.pk)
    AgentPresence.objects.filter(agent=claire).update(state="on_break")
    with on_commit():
        do_assign_case(reload(case), None, actor=supervisor)
    item = reload(item)
    assert (item.state, item.agent) == (ItemState.WAITING, None)
    assert routing_events(case)[-1]["action"] == "requeued"


def test_a_transfer_reroutes_the_item_to_the_new_department_at_once(
    town, departments, claire, assign_mode, make_routed_case, on_commit
):
    case, item = make_routed_case()
    dispatch(town.pk)
    with on_commit():
        do_transfer_case(reload(case), departments["voirie"], actor=claire, reason="Trottoir")
    assert reload(item).state == ItemState.CANCELLED
    new = RoutingItem.objects.get(case=case, state=ItemState.WAITING)
    assert (new.department, new.agent) == (departments["voirie"], None)
    assert AgentPresence.objects.get(agent=claire).last_assignment_end is not None
    assert reconcile(town.pk) == {"finished": 0, "cancelled": 0, "moved": 0, "enqueued": 0}


def test_a_priority_change_by_hand_moves_the_item_up_the_line(
    town, supervisor, make_routed_case, on_commit
):
    case, item = make_routed_case()
    with on_commit():
        do_set_priority(case, Priority.URGENT, actor=supervisor)
    assert reload(item).priority == Priority.URGENT


def test_escalation_raises_the_open_items_priority_too(town, make_routed_case, on_commit):
    case, item = make_routed_case()
    now = timezone.now()
    case.created_at = now - timedelta(days=9)
    case.due_at = now - timedelta(hours=1)
    case.save(update_fields=["created_at", "due_at"])

    with on_commit():
        assert escalate_cases(now).breached == 1

    item = reload(item)
    assert (item.priority, item.due_at) == (Priority.URGENT, case.due_at)


def test_a_denied_action_leaves_the_item_untouched(
    town, roads_agent, claire, assign_mode, make_routed_case, on_commit
):
    from guichet.cases.actions import CaseAccessDenied

    case, item = make_routed_case()
    dispatch(town.pk)
    version = reload(item).version
    with on_commit(), pytest.raises(CaseAccessDenied):
        do_transition_case(reload(case), "resolve", actor=roads_agent)
    item = reload(item)
    assert (item.state, item.agent, item.version) == (ItemState.ASSIGNED, claire, version)


def test_syncing_a_request_already_in_step_changes_nothing(
    town, claire, assign_mode, make_routed_case
):
    case, item = make_routed_case()
    dispatch(town.pk)
    version = reload(item).version
    assert sync_case_item(case.pk) == ""
    assert reload(item).version == version


def test_a_request_reopened_with_its_agent_counts_in_their_load_again(
    town, supervisor, claire, assign_mode, make_routed_case, on_commit
):
    from guichet.cases.actions import reopen_or_resume_for_citizen

    capacity(claire, town, "email", 1)
    case, item = make_routed_case(age_minutes=2)
    dispatch(town.pk)
    assert reload(item).agent == claire
    with on_commit():
        do_transition_case(reload(case), "resolve", actor=claire)
    assert reload(item).state == ItemState.DONE
    _later_case, waiting = make_routed_case(age_minutes=1)

    # The citizen writes again: the request reopens, still Claire's.
    with on_commit():
        reopen_or_resume_for_citizen(reload(case), label="Jeanne Dupont")

    resumed = RoutingItem.objects.get(case=case, state=ItemState.ASSIGNED)
    assert (resumed.agent, resumed.assigned_at is not None) == (claire, True)
    assert routing_events(case)[-1]["action"] == "resumed"
    # Claire's one slot is taken again: the other request waits for someone else.
    dispatch(town.pk)
    assert reload(waiting).state == ItemState.WAITING
    assert sync_case_item(case.pk) == ""  # in step: syncing again changes nothing
    assert reconcile(town.pk) == {"finished": 0, "cancelled": 0, "moved": 0, "enqueued": 0}
    assert RoutingItem.objects.filter(case=case, state=ItemState.ASSIGNED).count() == 1
