"""The routing context: loaded in a fixed number of queries, with only present agents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.routing.assignment import Presence
from guichet.routing.context import UNROUTED_DEPARTMENT, load_context
from guichet.routing.models import PresenceState, RoutingItem, RoutingSettings
from tests.factories import make_member
from tests.routing.conftest import capacity, present, skill

pytestmark = pytest.mark.django_db


def test_the_context_is_loaded_in_eight_queries_whatever_its_size(
    town, departments, claire, paul, make_routed_case, django_assert_num_queries
):
    make_routed_case()
    with django_assert_num_queries(8):
        small = load_context(town.pk, timezone.now())
    for number in range(5):
        agent = make_member(town, departments=[departments["voirie"]], username=f"v{number}")
        skill(agent, town, "language", "en", 4)
        capacity(agent, town, "chat", 2)
        present(agent, town)
        make_routed_case(department="voirie", topic=None)
    with django_assert_num_queries(8):
        large = load_context(town.pk, timezone.now())
    assert (len(small.agents), len(small.items)) == (2, 1)
    assert (len(large.agents), len(large.items)) == (7, 6)


def test_agents_carry_skills_capacity_load_and_departments(
    town, departments, claire, supervisor, make_routed_case
):
    capacity(claire, town, "email", 5)
    present(supervisor, town, PresenceState.BUSY)
    _case, item = make_routed_case()
    RoutingItem.objects.filter(pk=item.pk).update(state="assigned", agent=claire)
    context = load_context(town.pk, timezone.now())
    mine = context.agent(claire.pk)
    assert dict(mine.skills) == {"topic:acte-naissance": 4}
    assert dict(mine.capacity) == {"phone": 1, "chat": 3, "email": 5}
    assert dict(mine.load) == {"email": 1}
    assert mine.departments == frozenset({departments["etat-civil"].pk})
    boss = context.agent(supervisor.pk)
    assert boss.presence is Presence.BUSY
    assert boss.departments == frozenset({d.pk for d in departments.values()}) | {
        UNROUTED_DEPARTMENT
    }
    assert context.items == ()


def test_absent_and_silent_agents_are_left_out(town, claire, paul, roads_agent):
    present(paul, town, PresenceState.ON_BREAK)
    present(roads_agent, town, last_seen_at=timezone.now() - timedelta(minutes=5))
    context = load_context(town.pk, timezone.now())
    assert [agent.id for agent in context.agents] == [claire.pk]


def test_the_organizations_settings_shape_capacity_and_policy(town, claire):
    RoutingSettings.objects.create(
        organization=town, email_capacity=2, require_topic_skill=False, relax_after_minutes=15
    )
    context = load_context(town.pk, timezone.now())
    assert dict(context.agent(claire.pk).capacity) == {"phone": 1, "chat": 3, "email": 2}
    policy = context.policy.default
    assert "topic" not in policy.min_proficiency
    assert [step.after_minutes for step in policy.relaxation] == [15]


def test_declines_are_forgotten_after_a_while(town, claire, make_routed_case):
    _case, item = make_routed_case()
    RoutingItem.objects.filter(pk=item.pk).update(
        declined_by=[claire.pk], last_declined_at=timezone.now() - timedelta(minutes=2)
    )
    assert load_context(town.pk, timezone.now()).items[0].declined_by == {claire.pk}
    RoutingItem.objects.filter(pk=item.pk).update(
        last_declined_at=timezone.now() - timedelta(minutes=11)
    )
    assert load_context(town.pk, timezone.now()).items[0].declined_by == frozenset()


def test_another_organizations_agents_and_items_are_never_in_the_context(
    town, other_town, other_agent, claire, make_routed_case
):
    present(other_agent, other_town)
    make_routed_case()
    theirs = load_context(other_town.pk, timezone.now())
    assert ([a.id for a in theirs.agents], theirs.items) == ([other_agent.pk], ())
    ours = load_context(town.pk, timezone.now())
    assert [a.id for a in ours.agents] == [claire.pk]
