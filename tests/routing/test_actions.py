"""Routing actions: enqueue, push (offer, accept, decline, time out), pull, capacity, finishing,
supervisors' moves, the safety-net sweep and the inbound pipeline's hook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.actions import do_assign_case, do_transfer_case, do_transition_case
from guichet.cases.models import Case
from guichet.intake.pipeline import receive
from guichet.organizations.models import Role
from guichet.routing.actions import (
    ItemNotFound,
    RoutingError,
    StaleItem,
    dispatch,
    do_accept_offer,
    do_cancel_item,
    do_decline_offer,
    do_enqueue_item,
    do_finish_item,
    do_move_item,
    do_pull_next_item,
    expire_offers,
    reconcile,
)
from guichet.routing.assignment import best_agent_for
from guichet.routing.context import load_context
from guichet.routing.models import AgentPresence, ItemKind, ItemState, PresenceState, RoutingItem
from guichet.routing.models import Queue as RoutingQueue
from tests.factories import CaseFactory, CitizenFactory, make_member
from tests.routing.conftest import capacity, present, reload, routing_events

pytestmark = pytest.mark.django_db


# --- enqueue -----------------------------------------------------------------------------------


def test_a_routed_case_becomes_a_waiting_item_with_what_routing_needs(town, departments, birth):
    queue = RoutingQueue.objects.create(
        organization=town,
        department=departments["etat-civil"],
        name="État civil — écrit",
        channel="email",
    )
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        channel="portal",
        department=departments["etat-civil"],
        topic=birth,
        priority=3,
    )
    item = do_enqueue_item(
        organization=town,
        department=case.department,
        kind=ItemKind.CASE,
        channel=case.channel,
        case=case,
        priority=case.priority,
    )
    assert (item.state, item.kind, item.channel, item.topic, item.priority) == (
        ItemState.WAITING,
        ItemKind.CASE,
        "email",  # a portal form is written work
        "acte-naissance",
        3,
    )
    assert item.queue == queue
    assert item.agent is None


def test_enqueueing_twice_gives_back_the_same_open_item(make_routed_case, town):
    case, item = make_routed_case()
    again = do_enqueue_item(
        organization=town,
        department=case.department,
        kind=ItemKind.CASE,
        channel="email",
        case=case,
    )
    assert again.pk == item.pk
    assert RoutingItem.objects.count() == 1


def test_a_callback_becomes_a_phone_item_needing_the_phone_skill(town, departments):
    item = do_enqueue_item(
        organization=town,
        department=departments["etat-civil"],
        kind=ItemKind.CALLBACK,
        channel="phone",
        callback_id=41,
        skills=("channel:phone",),
        priority=3,
    )
    assert (item.kind, item.callback_id, item.channel, item.skills, item.case_id) == (
        ItemKind.CALLBACK,
        41,
        "phone",
        {"channel:phone": 0},
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "letter"}, "Unknown kind of routing item."),
        ({"kind": ItemKind.CALLBACK}, "A callback item needs its callback."),
        ({"case": None}, "A request item needs its request."),
        ({"priority": 9}, "Unknown priority."),
    ],
)
def test_bad_enqueue_requests_are_refused_without_side_effect(
    town, departments, overrides, message
):
    case = CaseFactory(citizen=CitizenFactory(organization=town))
    arguments = {
        "organization": town,
        "department": departments["etat-civil"],
        "kind": ItemKind.CASE,
        "channel": "email",
        "case": case,
        **overrides,
    }
    with pytest.raises(RoutingError, match=message):
        do_enqueue_item(**arguments)
    assert RoutingItem.objects.count() == 0


def test_another_organizations_department_or_case_is_refused(town, other_town, departments):
    theirs = CaseFactory(citizen=CitizenFactory(organization=other_town))
    with pytest.raises(RoutingError, match="belongs to another organization"):
        do_enqueue_item(
            organization=town, department=None, kind=ItemKind.CASE, channel="email", case=theirs
        )
    with pytest.raises(RoutingError, match="Choose a department of this organization"):
        do_enqueue_item(
            organization=other_town,
            department=departments["voirie"],
            kind=ItemKind.CALLBACK,
            channel="phone",
            callback_id=1,
        )
    assert RoutingItem.objects.count() == 0


# --- push mode: offers -------------------------------------------------------------------------


def test_push_offers_the_item_to_the_best_agent_with_the_reasons_on_the_timeline(
    town, claire, paul, make_routed_case
):
    case, item = make_routed_case()
    context = load_context(town.pk, timezone.now())
    expected = best_agent_for(context.items[0], context.agents, context.policy, context.now)
    offered = dispatch(town.pk)
    assert [i.pk for i in offered] == [item.pk]
    item = reload(item)
    assert (item.state, item.agent, item.attempts) == (ItemState.OFFERED, claire, 1)
    assert item.offer_expires_at > timezone.now()
    assert reload(case).assignee is None  # not before she accepts
    (event,) = routing_events(case)
    assert (event["action"], event["agent"], event["mode"]) == ("offered", claire.pk, "push")
    # The engine's own decision, stored as it was given: its rule and its reasons.
    assert (event["rule"], event["reasons"]) == (expected.rule, list(expected.reasons))
    assert any("acte-naissance" in reason for reason in event["reasons"])


def test_accepting_assigns_the_item_and_the_request(town, claire, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    accepted = do_accept_offer(item.pk, claire)
    assert accepted.state == ItemState.ASSIGNED
    case = reload(case)
    assert (case.assignee, case.status) == (claire, "open")
    assert [e["action"] for e in routing_events(case)] == ["offered", "accepted"]


def test_declining_sends_the_item_to_the_next_agent_never_back(
    town, claire, paul, make_routed_case
):
    case, item = make_routed_case()
    dispatch(town.pk)
    do_decline_offer(item.pk, claire)
    item = reload(item)
    assert (item.state, item.agent, item.declined_by) == (ItemState.WAITING, None, [claire.pk])
    dispatch(town.pk)
    assert (reload(item).state, reload(item).agent) == (ItemState.OFFERED, paul)
    assert [(e["action"], e["agent"]) for e in routing_events(case)] == [
        ("offered", claire.pk),
        ("declined", claire.pk),
        ("offered", paul.pk),
    ]


def test_an_offer_not_answered_in_time_goes_to_the_next_agent(town, claire, paul, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    RoutingItem.objects.filter(pk=item.pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert expire_offers() == 1
    item = reload(item)
    assert (item.state, item.agent, item.attempts) == (ItemState.OFFERED, paul, 2)
    assert [e["action"] for e in routing_events(case)] == ["offered", "offer_expired", "offered"]


def test_accepting_an_expired_offer_is_refused_and_the_item_goes_back_in_line(
    town, claire, make_routed_case
):
    case, item = make_routed_case()
    dispatch(town.pk)
    RoutingItem.objects.filter(pk=item.pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(RoutingError, match="This offer expired"):
        do_accept_offer(item.pk, claire)
    assert (reload(item).state, reload(item).agent) == (ItemState.WAITING, None)
    assert reload(case).assignee is None


def test_nobody_may_accept_or_decline_an_offer_made_to_someone_else(
    town, claire, paul, make_routed_case
):
    _case, item = make_routed_case()
    dispatch(town.pk)
    for act in (do_accept_offer, do_decline_offer):
        with pytest.raises(ItemNotFound, match="no longer yours"):
            act(item.pk, paul)
    assert (reload(item).state, reload(item).agent) == (ItemState.OFFERED, claire)


def test_an_agent_without_the_topic_skill_gets_nothing_and_the_item_waits(
    town, civil_agent, make_routed_case
):
    present(civil_agent, town)  # no skill
    _case, item = make_routed_case()
    assert dispatch(town.pk) == []
    assert reload(item).state == ItemState.WAITING


def test_agents_on_a_break_busy_or_offline_receive_no_pushed_work(town, claire, make_routed_case):
    _case, item = make_routed_case()
    for state in (PresenceState.BUSY, PresenceState.ON_BREAK, PresenceState.OFFLINE):
        present(claire, town, state)
        assert dispatch(town.pk) == []
    assert reload(item).state == ItemState.WAITING


def test_an_agent_of_another_department_gets_nothing(town, roads_agent, make_routed_case):
    from tests.routing.conftest import skill

    skill(roads_agent, town, "topic", "acte-naissance", 5)
    present(roads_agent, town)
    _case, item = make_routed_case()
    assert dispatch(town.pk) == []
    assert reload(item).state == ItemState.WAITING


def test_another_organizations_agents_never_receive_the_towns_items(
    town, other_town, other_agent, make_routed_case
):
    from tests.routing.conftest import skill

    skill(other_agent, other_town, "topic", "acte-naissance", 5)
    present(other_agent, other_town)
    _case, item = make_routed_case()
    assert dispatch(town.pk) == []
    assert dispatch(other_town.pk) == []
    assert reload(item).agent is None


# --- capacity and waiting in order -------------------------------------------------------------


def test_items_wait_in_order_when_everyone_is_full_and_flow_when_capacity_frees(
    town, claire, assign_mode, make_routed_case
):
    capacity(claire, town, "email", 1)
    first_case, first = make_routed_case(age_minutes=30)
    _normal, normal = make_routed_case(age_minutes=20)
    urgent_case, urgent = make_routed_case(priority=4, age_minutes=5)

    assert [i.pk for i in dispatch(town.pk)] == [urgent.pk]  # urgency first
    assert reload(urgent_case).assignee == claire
    assert dispatch(town.pk) == []  # she is full: the others wait
    assert [reload(i).state for i in (first, normal)] == [ItemState.WAITING] * 2

    do_finish_item(reload(urgent), actor=claire)
    assert [i.pk for i in dispatch(town.pk)] == [first.pk]  # then the longest waiting
    assert reload(first_case).assignee == claire
    assert AgentPresence.objects.get(agent=claire).last_assignment_end is not None


def test_finishing_flows_the_next_item_on_commit(
    town, claire, assign_mode, make_routed_case, django_capture_on_commit_callbacks
):
    capacity(claire, town, "email", 1)
    _a, first = make_routed_case(age_minutes=2)
    _b, second = make_routed_case(age_minutes=1)
    dispatch(town.pk)
    with django_capture_on_commit_callbacks(execute=True):
        do_finish_item(reload(first), actor=claire)
    assert (reload(second).state, reload(second).agent) == (ItemState.ASSIGNED, claire)


def test_capacity_is_counted_per_channel(town, claire, assign_mode, make_routed_case):
    capacity(claire, town, "email", 1)
    _e1, email_1 = make_routed_case(channel="email")
    _e2, email_2 = make_routed_case(channel="email")
    _c, chat = make_routed_case(channel="chat")
    claimed = {i.pk for i in dispatch(town.pk)}
    assert chat.pk in claimed
    assert len(claimed & {email_1.pk, email_2.pk}) == 1
    assert RoutingItem.objects.filter(agent=claire, state=ItemState.ASSIGNED).count() == 2


def test_finishing_is_idempotent_and_checks_who_asks(town, claire, paul, make_routed_case):
    _case, item = make_routed_case()
    dispatch(town.pk)
    do_accept_offer(item.pk, claire)
    with pytest.raises(ItemNotFound):
        do_finish_item(reload(item), actor=paul)
    assert reload(item).state == ItemState.ASSIGNED
    done = do_finish_item(reload(item), actor=claire)
    again = do_finish_item(reload(item), actor=claire)
    assert (done.state, again.state, again.version) == (ItemState.DONE, ItemState.DONE, 4)
    cancelled = do_cancel_item(reload(item))
    assert cancelled.state == ItemState.DONE  # a finished item stays finished


# --- pull mode ---------------------------------------------------------------------------------


def test_pull_assigns_the_next_best_item_even_when_busy(town, claire, make_routed_case):
    present(claire, town, PresenceState.BUSY)
    make_routed_case(priority=1, age_minutes=60)
    high_case, high = make_routed_case(priority=3)
    pulled = do_pull_next_item(claire, town.pk)
    assert pulled.pk == high.pk
    assert (reload(high).state, reload(high_case).assignee) == (ItemState.ASSIGNED, claire)
    (event,) = routing_events(high_case)
    assert (event["action"], event["mode"], event["rule"]) == ("assigned", "pull", "pull")
    assert event["reasons"][0].startswith("next in line: priority 3")


def test_pull_with_nothing_for_the_agent_returns_none(town, claire, make_routed_case):
    make_routed_case(topic=None, department=None)  # unrouted: supervisors only
    assert do_pull_next_item(claire, town.pk) is None


def test_pull_is_refused_on_a_break_without_side_effect(town, claire, make_routed_case):
    present(claire, town, PresenceState.ON_BREAK)
    _case, item = make_routed_case()
    with pytest.raises(RoutingError, match="Set yourself available or busy"):
        do_pull_next_item(claire, town.pk)
    assert reload(item).state == ItemState.WAITING


def test_an_unrouted_request_goes_to_a_supervisor(town, supervisor, make_routed_case):
    present(supervisor, town)
    case, item = make_routed_case(topic=None, department=None)
    assert do_pull_next_item(supervisor, town.pk).pk == item.pk
    assert reload(case).assignee == supervisor


# --- supervisors move items ----------------------------------------------------------------------


def test_a_supervisor_moves_an_item_to_an_agent_and_back_in_line(
    town, supervisor, claire, paul, make_routed_case
):
    case, item = make_routed_case()
    dispatch(town.pk)  # offered to Claire
    item = reload(item)
    moved = do_move_item(item.pk, actor=supervisor, version=item.version, to_agent=paul)
    assert (moved.state, moved.agent, reload(case).assignee) == (ItemState.ASSIGNED, paul, paul)
    back = do_move_item(item.pk, actor=supervisor, version=moved.version)
    assert (back.state, back.agent, reload(case).assignee) == (ItemState.WAITING, None, None)
    assert [e["action"] for e in routing_events(case)] == ["offered", "moved", "requeued"]


def test_the_second_of_two_supervisors_moving_the_same_item_gets_a_clear_message(
    town, supervisor, claire, paul, make_routed_case
):
    other_supervisor = make_member(town, role=Role.SUPERVISOR, username="sam")
    case, item = make_routed_case()
    seen = reload(item).version  # both supervisors see the same version
    do_move_item(item.pk, actor=supervisor, version=seen, to_agent=claire)
    with pytest.raises(StaleItem, match="Someone else changed this item meanwhile"):
        do_move_item(item.pk, actor=other_supervisor, version=seen, to_agent=paul)
    assert (reload(item).agent, reload(case).assignee) == (claire, claire)


def test_a_move_beyond_the_agents_capacity_is_refused(
    town, supervisor, claire, assign_mode, make_routed_case
):
    capacity(claire, town, "email", 1)
    make_routed_case()
    dispatch(town.pk)
    case, item = make_routed_case()
    with pytest.raises(RoutingError, match="has no free capacity"):
        do_move_item(item.pk, actor=supervisor, version=reload(item).version, to_agent=claire)
    assert (reload(item).state, reload(case).assignee) == (ItemState.WAITING, None)


def test_agents_and_other_organizations_may_not_move_items(
    town, claire, paul, other_town, make_routed_case
):
    outsider = make_member(other_town, role=Role.SUPERVISOR, username="olga")
    _case, item = make_routed_case()
    for actor in (paul, outsider):
        with pytest.raises(ItemNotFound):
            do_move_item(item.pk, actor=actor, version=reload(item).version, to_agent=claire)
    assert (reload(item).state, reload(item).agent) == (ItemState.WAITING, None)


# --- the sweep and the inbound hook ------------------------------------------------------------


def test_the_sweep_settles_items_whose_request_moved_on(
    town, departments, supervisor, claire, paul, assign_mode, make_routed_case
):
    resolved_case, resolved = make_routed_case()
    dispatch(town.pk)
    do_transition_case(resolved_case, "resolve", actor=claire)
    taken_case, taken = make_routed_case()
    do_assign_case(reload(taken_case), paul, actor=supervisor)
    _moved_case, moved = make_routed_case()
    RoutingItem.objects.filter(pk=moved.pk).update(department=departments["voirie"])

    counts = reconcile(town.pk)
    assert counts == {"finished": 1, "cancelled": 1, "moved": 1, "enqueued": 0}
    assert reload(resolved).state == ItemState.DONE
    assert reload(taken).state == ItemState.CANCELLED
    assert reload(moved).department == departments["etat-civil"]


def test_the_sweep_enqueues_routed_requests_without_an_item(town, departments, supervisor):
    case = CaseFactory(citizen=CitizenFactory(organization=town), department=departments["voirie"])
    assigned = CaseFactory(citizen=CitizenFactory(organization=town), assignee=supervisor)
    assert reconcile(town.pk)["enqueued"] == 1
    assert RoutingItem.objects.get().case == case
    assert not RoutingItem.objects.filter(case=assigned).exists()
    assert reconcile(town.pk)["enqueued"] == 0


def test_a_transferred_request_gets_a_new_item_in_its_new_department(
    town, departments, supervisor, claire, assign_mode, make_routed_case
):
    case, _item = make_routed_case()
    dispatch(town.pk)
    do_transfer_case(reload(case), departments["voirie"], actor=claire, reason="Trottoir")
    counts = reconcile(town.pk)
    assert (counts["finished"], counts["enqueued"]) == (1, 1)
    new = RoutingItem.objects.get(case=case, state=ItemState.WAITING)
    assert new.department == departments["voirie"]


def test_a_new_inbound_request_becomes_a_routing_item_and_is_offered(
    town, claire, email_inbound, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = receive(town, email_inbound()).case
    item = RoutingItem.objects.get(case=case)
    assert (item.kind, item.department_id, item.topic) == (
        ItemKind.CASE,
        case.department_id,
        "acte-naissance",
    )
    assert (item.state, item.agent) == (ItemState.OFFERED, claire)
    assert Case.objects.get(pk=case.pk).assignee is None


def test_pull_at_full_capacity_says_so_without_side_effect(town, claire, make_routed_case):
    for channel in ("phone", "chat", "email"):
        capacity(claire, town, channel, 0)
    _case, item = make_routed_case()
    with pytest.raises(RoutingError, match="You are at full capacity"):
        do_pull_next_item(claire, town.pk)
    assert reload(item).state == ItemState.WAITING
