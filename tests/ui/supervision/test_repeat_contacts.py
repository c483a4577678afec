"""The repeat-contacts report: supervisors of the organization only, its own figures only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.cases.models import Case
from guichet.conversations.models import Conversation, Direction, Message
from tests.factories import CaseFactory, CitizenFactory

pytestmark = pytest.mark.django_db

URL = "/supervision/recontacts/"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def inbound(case: Case, days_ago: float) -> None:
    conversation, _created = Conversation.objects.get_or_create(
        organization=case.organization, citizen=case.citizen, case=case, channel="sms"
    )
    Message.objects.create(
        organization=case.organization,
        conversation=conversation,
        case=case,
        channel="sms",
        direction=Direction.INBOUND,
        text="?",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def repeated(town, departments):
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        subject="Toujours pas mon acte",
    )
    for days in (6, 3, 1):
        inbound(case, days)
    inbound(
        CaseFactory(citizen=CitizenFactory(organization=town), department=departments["voirie"]),
        2,
    )
    return case


def test_supervisor_sees_the_rate_and_the_flagged_requests(
    client, supervisor, repeated, other_town
):
    foreign = CaseFactory(
        citizen=CitizenFactory(organization=other_town),
        department=other_town.departments.get(),
        subject="Demande à Montval",
    )
    for days in (3, 2, 1):
        inbound(foreign, days)
    client.force_login(supervisor)

    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    # 4 contacts, 2 of them repeats
    assert '<p class="repeat-rate"><strong>50 %</strong>\n  of 4 contacts</p>' in body
    assert '<tr><th scope="row">État civil</th><td>3</td><td>67 %</td></tr>' in body
    assert '<tr><th scope="row">Voirie</th><td>1</td><td>0 %</td></tr>' in body
    assert reverse("desk:case", args=[repeated.reference]) in body
    assert foreign.reference not in body
    assert client.get(URL, {"organisation": other_town.pk}).status_code == 404


def test_agents_may_not_see_it(client, civil_agent, repeated):
    client.force_login(civil_agent)
    response = client.get(URL)
    assert response.status_code == 403
    assert repeated.reference not in response.content.decode()


def test_the_wallboard_links_to_it(client, supervisor, town):
    client.force_login(supervisor)
    body = client.get("/supervision/").content.decode()
    assert f'href="{URL}?organisation={town.pk}"' in body
