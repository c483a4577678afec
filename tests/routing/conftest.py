"""Routing fixtures: the town's État civil with two agents present and skilled, and helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.models import Case
from guichet.organizations.models import Topic
from guichet.routing.actions import do_enqueue_item
from guichet.routing.models import (
    AgentCapacity,
    AgentPresence,
    AgentSkill,
    ItemKind,
    PresenceState,
    RoutingSettings,
    SkillKind,
)
from tests.factories import CaseFactory, CitizenFactory, make_member


def present(agent, organization, state=PresenceState.AVAILABLE, **fields):
    presence, _created = AgentPresence.objects.update_or_create(
        organization=organization,
        agent=agent,
        defaults={"state": state, "last_seen_at": timezone.now(), **fields},
    )
    return presence


def skill(agent, organization, kind, value, proficiency=3):
    return AgentSkill.objects.create(
        organization=organization, agent=agent, kind=kind, value=value, proficiency=proficiency
    )


def capacity(agent, organization, channel, value):
    return AgentCapacity.objects.create(
        organization=organization, agent=agent, channel=channel, capacity=value
    )


@pytest.fixture
def birth(town):
    return Topic.objects.get(organization=town, slug="acte-naissance")


@pytest.fixture
def claire(town, civil_agent):
    """État civil agent, available, birth certificates 4/5."""
    skill(civil_agent, town, SkillKind.TOPIC, "acte-naissance", 4)
    present(civil_agent, town)
    return civil_agent


@pytest.fixture
def paul(town, departments):
    """A second État civil agent, available, birth certificates 2/5."""
    agent = make_member(town, departments=[departments["etat-civil"]], username="paul")
    skill(agent, town, SkillKind.TOPIC, "acte-naissance", 2)
    present(agent, town)
    return agent


@pytest.fixture
def make_routed_case(town, departments, birth):
    """A new email request about a birth certificate in État civil, with its routing item."""

    def build(*, channel="email", priority=2, age_minutes=0, department="etat-civil", topic=birth):
        case = CaseFactory(
            citizen=CitizenFactory(organization=town),
            channel=channel,
            priority=priority,
            department=departments[department] if department else None,
            topic=topic,
        )
        item = do_enqueue_item(
            organization=town,
            department=case.department,
            kind=ItemKind.CASE,
            channel=case.channel,
            case=case,
            priority=case.priority,
        )
        if age_minutes:
            item.waiting_since = timezone.now() - timedelta(minutes=age_minutes)
            item.save(update_fields=["waiting_since"])
        return case, item

    return build


@pytest.fixture
def assign_mode(town):
    return RoutingSettings.objects.create(organization=town, push_mode="assign")


def reload(obj):
    obj.refresh_from_db()
    return obj


def routing_events(case: Case) -> list[dict]:
    return [
        e.data
        for e in case.events.filter(kind="intake.step").order_by("created_at", "pk")
        if e.data.get("step") == "routing"
    ]
