"""Routing reads: the desk's presence and offers, the items a user may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.routing.actions import dispatch
from guichet.routing.models import PresenceState, RoutingItem
from guichet.routing.queries import desk_routing, presence_state, waiting_items
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_the_desk_shows_presence_valid_offers_and_items_in_hand(
    town, claire, make_routed_case, django_assert_num_queries
):
    _a, first = make_routed_case()
    _b, second = make_routed_case()
    dispatch(town.pk)
    RoutingItem.objects.filter(pk=second.pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_assert_num_queries(3):
        desk = desk_routing(claire, town.pk)
    assert (desk.state, [o.pk for o in desk.offers], desk.assigned) == (
        PresenceState.AVAILABLE,
        [first.pk],
        0,
    )


def test_an_agent_who_never_chose_is_offline(town, roads_agent):
    assert presence_state(roads_agent, town.pk) == PresenceState.OFFLINE


def test_items_are_visible_by_department_and_never_across_organizations(
    town, other_town, departments, supervisor, claire, make_routed_case
):
    _a, civil = make_routed_case()
    _b, roads = make_routed_case(department="voirie", topic=None)
    roads_agent = make_member(town, departments=[departments["voirie"]], username="rita")
    outsider = make_member(other_town, username="otto")
    assert [i.pk for i in waiting_items(supervisor, town.pk)] == [civil.pk, roads.pk]
    assert [i.pk for i in waiting_items(claire, town.pk)] == [civil.pk]
    assert [i.pk for i in waiting_items(roads_agent, town.pk)] == [roads.pk]
    assert list(waiting_items(outsider, town.pk)) == []
