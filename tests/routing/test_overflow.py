"""Overflow to another department: after a queue's delay, agents of its overflow department may
take its items; the request follows them to their department, with the reason on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guichet.cases.models import EventKind
from guichet.routing.actions import dispatch, do_accept_offer
from guichet.routing.assignment import AssignmentPolicy, Overflow, WorkItem, best_agent_for
from guichet.routing.context import load_context
from guichet.routing.models import ItemState, Queue, RoutingSettings
from tests.routing.conftest import present, reload, routing_events, skill

pytestmark = pytest.mark.django_db


@pytest.fixture
def civil_queue(town, departments):
    """État civil's written queue overflows to Voirie after 30 minutes."""
    return Queue.objects.create(
        organization=town,
        department=departments["etat-civil"],
        channel="email",
        name="État civil — écrit",
        overflow_department=departments["voirie"],
        overflow_after_minutes=30,
    )


@pytest.fixture
def marc(town, roads_agent):
    """A Voirie agent who knows birth certificates, available."""
    skill(roads_agent, town, "topic", "acte-naissance", 3)
    present(roads_agent, town)
    return roads_agent


def test_the_engine_takes_the_items_own_overflow_steps(town):
    from guichet.routing.assignment import AgentState, Presence

    now = timezone.now()
    overflow = (Overflow(30, 7, "Voirie"),)
    agent = AgentState(7 * 100, Presence.AVAILABLE, {}, {"email": 1}, departments=frozenset({7}))
    young = WorkItem(1, "email", now - timedelta(minutes=29), department=3, overflow=overflow)
    old = WorkItem(2, "email", now - timedelta(minutes=31), department=3, overflow=overflow)
    policy = AssignmentPolicy(min_proficiency={})

    assert best_agent_for(young, [agent], policy, now) is None
    decision = best_agent_for(old, [agent], policy, now)
    assert decision is not None
    assert decision.overflow_department_id == 7
    assert "after 30 min of waiting, agents of Voirie may take it too" in decision.reasons


def test_the_context_reads_the_queues_overflow_in_the_same_queries(
    town, departments, civil_queue, claire, make_routed_case, django_assert_num_queries
):
    make_routed_case(age_minutes=5)
    with django_assert_num_queries(8):
        context = load_context(town.pk, timezone.now())
    (work,) = context.items
    assert work.overflow == (Overflow(30, departments["voirie"].pk, "Voirie"),)


def test_before_the_delay_the_other_departments_agents_get_nothing(
    town, civil_queue, marc, make_routed_case
):
    RoutingSettings.objects.create(organization=town, push_mode="assign")
    case, item = make_routed_case(age_minutes=29)
    assert dispatch(town.pk) == []
    assert (reload(item).state, reload(case).department.slug) == (ItemState.WAITING, "etat-civil")


def test_after_the_delay_an_overflow_agent_gets_the_request_in_their_department(
    town, departments, civil_queue, marc, make_routed_case
):
    RoutingSettings.objects.create(organization=town, push_mode="assign")
    case, item = make_routed_case(age_minutes=31)

    assert [i.pk for i in dispatch(town.pk)] == [item.pk]

    case, item = reload(case), reload(item)
    assert (case.department, case.assignee) == (departments["voirie"], marc)
    assert (item.state, item.agent, item.department) == (
        ItemState.ASSIGNED,
        marc,
        departments["voirie"],
    )
    assigned = routing_events(case)[-1]
    assert "after 30 min of waiting, agents of Voirie may take it too" in assigned["reasons"]
    transfer = case.events.get(kind=EventKind.TRANSFERRED)
    assert transfer.data["to_name"] == "Voirie"
    assert transfer.data["reason"].startswith("overflow")


def test_the_home_departments_agent_comes_before_the_overflow_agent(
    town, departments, civil_queue, marc, claire, make_routed_case
):
    RoutingSettings.objects.create(organization=town, push_mode="assign")
    case, _item = make_routed_case(age_minutes=31)
    dispatch(town.pk)
    assert (reload(case).assignee, reload(case).department) == (claire, departments["etat-civil"])


def test_an_overflow_offer_accepted_moves_the_request(
    town, departments, civil_queue, marc, make_routed_case
):
    case, item = make_routed_case(age_minutes=31)
    dispatch(town.pk)
    assert (reload(item).state, reload(item).agent) == (ItemState.OFFERED, marc)

    do_accept_offer(item.pk, marc)

    assert (reload(case).department, reload(case).assignee) == (departments["voirie"], marc)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"overflow_after_minutes": 10}, "overflow_after_minutes"),
        ({"overflow_department": "voirie"}, "overflow_after_minutes"),
        ({"overflow_department": "etat-civil", "overflow_after_minutes": 5}, "overflow_department"),
        ({"overflow_department": "montval", "overflow_after_minutes": 5}, "overflow_department"),
    ],
)
def test_a_half_set_or_foreign_overflow_is_refused(town, other_town, departments, fields, field):
    values = dict(fields)
    if "overflow_department" in values:
        slug = values["overflow_department"]
        values["overflow_department"] = (
            other_town.departments.get() if slug == "montval" else departments[slug]
        )
    queue = Queue(organization=town, department=departments["etat-civil"], name="EC", **values)
    with pytest.raises(ValidationError) as error:
        queue.full_clean()
    assert field in error.value.message_dict


def test_the_admin_offers_only_the_organizations_departments_for_overflow(
    client, town, other_town, administrator, departments
):
    client.force_login(administrator)
    form = client.get("/admin/routing/queue/add/").content.decode()
    assert 'name="overflow_department"' in form
    assert 'name="overflow_after_minutes"' in form
    assert f'<option value="{departments["voirie"].pk}">' in form
    assert f'<option value="{other_town.departments.get().pk}">' not in form
