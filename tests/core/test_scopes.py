"""One queryset scope decides what each person sees; exercised here on cases, messages and citizens."""

import pytest

from guichet.cases.models import Case
from guichet.citizens.models import Citizen
from guichet.conversations.models import Message
from guichet.core.scopes import access_scope
from guichet.intake.pipeline import receive
from guichet.organizations.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(town, other_town, email_inbound):
    birth = receive(town, email_inbound()).case
    pothole = receive(
        town,
        email_inbound(
            external_id="p1",
            sender_address="paul@example.org",
            subject="Nid de poule rue des Tilleuls",
            text="Un nid de poule dangereux.",
        ),
    ).case
    elsewhere = receive(
        other_town, email_inbound(external_id="o1", sender_address="olga@example.org")
    ).case
    return {"birth": birth, "pothole": pothole, "elsewhere": elsewhere}


def visible(model, user):
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_agents_see_their_departments_only(cases, civil_agent, roads_agent):
    assert visible(Case, civil_agent) == {cases["birth"].pk}
    assert visible(Case, roads_agent) == {cases["pothole"].pk}
    assert visible(Message, civil_agent) == set(
        Message.objects.filter(case=cases["birth"]).values_list("pk", flat=True)
    )


def test_supervisors_see_their_organization_only(cases, supervisor):
    assert visible(Case, supervisor) == {cases["birth"].pk, cases["pothole"].pk}
    assert visible(Citizen, supervisor) == {cases["birth"].citizen_id, cases["pothole"].citizen_id}


def test_other_organization_sees_nothing_of_ours(cases, other_agent):
    assert visible(Case, other_agent) == {cases["elsewhere"].pk}
    assert visible(Citizen, other_agent) == {cases["elsewhere"].citizen_id}


def test_assignee_keeps_sight_of_assigned_case(cases, civil_agent):
    Case.objects.filter(pk=cases["pothole"].pk).update(assignee=civil_agent)
    fresh = User.objects.get(pk=civil_agent.pk)
    assert visible(Case, fresh) == {cases["birth"].pk, cases["pothole"].pk}


def test_people_without_membership_see_nothing(cases):
    stranger = UserFactory()
    assert visible(Case, stranger) == set()
    assert visible(Citizen, stranger) == set()
    assert access_scope(stranger).is_empty


def test_inactive_user_sees_nothing(cases, supervisor):
    supervisor.is_active = False
    supervisor.save()
    fresh = User.objects.get(pk=supervisor.pk)
    assert visible(Case, fresh) == set()
