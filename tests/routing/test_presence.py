"""Presence: chosen from the desk, kept alive by the heartbeat, timed out when the desk dies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.routing.actions import (
    RoutingError,
    dispatch,
    do_heartbeat,
    do_set_presence,
    time_out_presence,
)
from guichet.routing.models import AgentPresence, ItemState, PresenceState, RoutingItem
from tests.routing.conftest import present, reload, routing_events

pytestmark = pytest.mark.django_db


def test_an_agent_sets_their_presence_and_waiting_work_flows_on_commit(
    town, civil_agent, make_routed_case, django_capture_on_commit_callbacks
):
    from tests.routing.conftest import skill

    skill(civil_agent, town, "topic", "acte-naissance", 3)
    _case, item = make_routed_case()
    with django_capture_on_commit_callbacks(execute=True):
        presence = do_set_presence(civil_agent, town.pk, PresenceState.AVAILABLE)
    assert presence.state == PresenceState.AVAILABLE
    assert (reload(item).state, reload(item).agent) == (ItemState.OFFERED, civil_agent)


def test_going_on_a_break_withdraws_pending_offers(town, claire, paul, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    assert reload(item).agent == claire
    do_set_presence(claire, town.pk, PresenceState.ON_BREAK)
    item = reload(item)
    assert (item.state, item.agent, item.declined_by) == (ItemState.WAITING, None, [])
    dispatch(town.pk)
    assert reload(item).agent == paul
    assert [e["action"] for e in routing_events(case)] == ["offered", "offer_withdrawn", "offered"]


@pytest.mark.parametrize("state", ["asleep", "", "AVAILABLE"])
def test_an_unknown_state_is_refused_without_side_effect(town, claire, state):
    before = AgentPresence.objects.get(agent=claire).state
    with pytest.raises(RoutingError, match="Unknown presence state"):
        do_set_presence(claire, town.pk, state)
    assert AgentPresence.objects.get(agent=claire).state == before


def test_nobody_sets_a_presence_in_an_organization_they_do_not_work_in(town, other_town, claire):
    with pytest.raises(RoutingError, match="do not work in this organization"):
        do_set_presence(claire, other_town.pk, PresenceState.AVAILABLE)
    assert not AgentPresence.objects.filter(organization=other_town).exists()


def test_the_heartbeat_keeps_the_agent_present(town, claire):
    AgentPresence.objects.filter(agent=claire).update(
        last_seen_at=timezone.now() - timedelta(seconds=110)
    )
    do_heartbeat(claire, town.pk)
    assert time_out_presence() == 0
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.AVAILABLE


def test_a_desk_that_stopped_answering_times_out_to_offline(town, claire, paul):
    AgentPresence.objects.filter(agent=claire).update(
        last_seen_at=timezone.now() - timedelta(seconds=121)
    )
    assert time_out_presence() == 1
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.OFFLINE
    assert AgentPresence.objects.get(agent=paul).state == PresenceState.AVAILABLE
    # A late heartbeat does not bring her back: she chooses her state again.
    assert do_heartbeat(claire, town.pk).state == PresenceState.OFFLINE


def test_an_agent_closing_the_browser_mid_offer_loses_it_to_the_next_agent(
    town, claire, paul, make_routed_case
):
    """The offer expires (or the presence times out first): the next agent gets it, never lost."""
    case, item = make_routed_case()
    dispatch(town.pk)
    assert reload(item).agent == claire
    # Claire's browser is gone: no heartbeat, no answer.
    AgentPresence.objects.filter(agent=claire).update(
        last_seen_at=timezone.now() - timedelta(minutes=3)
    )
    assert time_out_presence() == 1
    dispatch(town.pk)
    item = reload(item)
    assert (item.state, item.agent) == (ItemState.OFFERED, paul)
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.OFFLINE
    assert [e["action"] for e in routing_events(case)] == ["offered", "offer_withdrawn", "offered"]


def test_a_silent_agent_gets_no_new_work_even_before_the_timeout_job(
    town, claire, make_routed_case
):
    present(claire, town, last_seen_at=timezone.now() - timedelta(minutes=3))
    _case, item = make_routed_case()
    assert dispatch(town.pk) == []
    assert RoutingItem.objects.get(pk=item.pk).state == ItemState.WAITING


def test_a_heartbeat_arriving_during_the_timeout_keeps_the_offers(
    town, claire, make_routed_case, monkeypatch
):
    """The job read a stale heartbeat; a fresh one lands before it locks the presence row."""
    from guichet.routing import actions

    _case, item = make_routed_case()
    dispatch(town.pk)
    AgentPresence.objects.filter(agent=claire).update(
        last_seen_at=timezone.now() - timedelta(minutes=3)
    )
    release = actions._release_offers

    def release_then_heartbeat(organization_id, agent_id):
        released = release(organization_id, agent_id)
        do_heartbeat(claire, town.pk)
        return released

    monkeypatch.setattr(actions, "_release_offers", release_then_heartbeat)
    assert time_out_presence() == 0
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.AVAILABLE
    assert (reload(item).state, reload(item).agent) == (ItemState.OFFERED, claire)
