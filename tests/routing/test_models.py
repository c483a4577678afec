"""Routing models: channels, skills' names, constraints that keep the data sound."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guichet.routing.models import (
    AgentSkill,
    ItemState,
    Queue,
    RoutingItem,
    RoutingSettings,
    SkillKind,
    work_channel,
)
from tests.factories import CaseFactory, CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("channel", "work"),
    [
        ("phone", "phone"),
        ("chat", "chat"),
        ("email", "email"),
        ("portal", "email"),
        ("sms", "email"),
        ("letter", "email"),
        ("unknown", "email"),
    ],
)
def test_case_channels_count_as_three_kinds_of_work(channel, work):
    assert work_channel(channel) == work


@pytest.mark.parametrize(
    ("kind", "value", "name"),
    [
        (SkillKind.TOPIC, "etat-civil", "topic:etat-civil"),
        (SkillKind.LANGUAGE, "en", "language:en"),
        (SkillKind.CHANNEL, "phone", "channel:phone"),
        (SkillKind.OTHER, "sign-language:lsf", "sign-language:lsf"),
    ],
)
def test_a_skill_is_named_as_the_engine_names_it(kind, value, name):
    assert AgentSkill(kind=kind, value=value).name == name


def test_proficiency_outside_one_to_five_is_refused(town, civil_agent):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentSkill.objects.create(
            organization=town, agent=civil_agent, kind="topic", value="x", proficiency=6
        )
    assert not AgentSkill.objects.exists()


def test_a_case_has_at_most_one_open_item(town):
    case = CaseFactory(citizen=CitizenFactory(organization=town))
    RoutingItem.objects.create(organization=town, kind="case", case=case, channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingItem.objects.create(organization=town, kind="case", case=case, channel="email")
    RoutingItem.objects.update(state=ItemState.DONE)
    RoutingItem.objects.create(organization=town, kind="case", case=case, channel="email")
    assert RoutingItem.objects.count() == 2


def test_an_item_needs_its_case_or_callback(town):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingItem.objects.create(organization=town, kind="callback", channel="phone")
    assert not RoutingItem.objects.exists()


def test_a_queue_takes_a_department_of_its_own_organization(town, other_town):
    queue = Queue(organization=town, department=other_town.departments.get(), name="x")
    with pytest.raises(ValidationError, match="Choose a department of this organization"):
        queue.clean()


def test_settings_defaults_match_a_contact_centre(town):
    assert RoutingSettings(organization=town).default_capacity() == {
        "phone": 1,
        "chat": 3,
        "email": 8,
    }


def test_the_default_configuration_lets_routing_work_out_of_the_box(
    town, departments, birth, civil_agent, supervisor, administrator
):
    from django.utils import timezone

    from guichet.routing.context import load_context
    from guichet.routing.setup import configure_default_routing

    given = configure_default_routing(town)
    assert configure_default_routing(town) == 0  # idempotent
    assert given == 3 + 4  # Claire: her topic, French, phone; Sophie: two topics, French, phone
    assert Queue.objects.filter(organization=town).count() == 3
    context = load_context(town.pk, timezone.now())
    assert {a.id: dict(a.skills) for a in context.agents} == {
        civil_agent.pk: {"topic:acte-naissance": 4, "language:fr": 5, "channel:phone": 3},
        supervisor.pk: {
            "topic:acte-naissance": 2,
            "topic:nid-de-poule": 2,
            "language:fr": 5,
            "channel:phone": 3,
        },
    }
