"""The Django admin is scoped: an organization's administrator configures their organization and
sees the inbound messages that need attention, never another organization's."""

import pytest
from django.test import Client

from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import receive
from guichet.organizations.models import Department, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(administrator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator)
    return client


def test_administrator_sees_only_their_organization(admin_client, town, other_town):
    page = admin_client.get("/admin/organizations/department/").content.decode()
    assert "État civil" in page
    assert Department.objects.filter(organization=other_town).count() == 1
    theirs = Department.objects.get(organization=other_town)
    assert (
        admin_client.get(f"/admin/organizations/department/{theirs.pk}/change/").status_code == 302
    )
    organizations = admin_client.get("/admin/organizations/organization/").content.decode()
    assert "Ville de Villebois" in organizations
    assert "Commune de Montval" not in organizations


def test_administrator_cannot_create_in_another_organization(admin_client, town, other_town):
    response = admin_client.post(
        "/admin/organizations/department/add/",
        {"organization": other_town.pk, "name": "Intrus", "slug": "intrus", "is_active": "on"},
    )
    assert response.status_code == 200  # the form is shown again with the error
    assert "Select a valid choice" in response.content.decode()
    assert not Department.objects.filter(slug="intrus").exists()


def test_agents_and_supervisors_have_no_admin(town, civil_agent, supervisor):
    for user in (civil_agent, supervisor):
        client = Client()
        client.force_login(user)
        assert client.get("/admin/organizations/department/").status_code == 302


def test_failed_inbound_messages_are_shown_and_retried(
    admin_client, town, other_town, email_inbound
):
    ours = receive(town, email_inbound(sender_address="not an address")).record
    theirs = receive(other_town, email_inbound(sender_address="nor this one")).record
    assert ours.status == theirs.status == RecordStatus.HELD
    page = admin_client.get("/admin/intake/inboundrecord/?attention=yes").content.decode()
    assert f"/admin/intake/inboundrecord/{ours.pk}/change/" in page
    assert f"/admin/intake/inboundrecord/{theirs.pk}/change/" not in page
    # The cause is fixed (here: the sender is corrected), then the administrator retries.
    payload = {**ours.payload, "sender_address": "jeanne@example.org"}
    InboundRecord.objects.filter(pk=ours.pk).update(payload=payload)
    response = admin_client.post(
        "/admin/intake/inboundrecord/",
        {"action": "retry", "_selected_action": [ours.pk, theirs.pk]},
        follow=True,
    )
    assert "Processed: 1. Still failing: 0." in response.content.decode()
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == RecordStatus.PROCESSED
    assert ours.case is not None
    assert theirs.status == RecordStatus.HELD


def test_organization_administrator_manages_people_of_their_organization(
    admin_client, town, other_town
):
    ours = make_member(town, role=Role.AGENT, username="nouvel.agent")
    theirs = make_member(other_town, role=Role.AGENT, username="agent.ailleurs")
    page = admin_client.get("/admin/organizations/user/").content.decode()
    assert "nouvel.agent" in page
    assert "agent.ailleurs" not in page
    assert admin_client.get(f"/admin/organizations/user/{theirs.pk}/change/").status_code == 302
    form = admin_client.get(f"/admin/organizations/user/{ours.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in form


def test_administrator_cannot_take_over_people_who_also_belong_elsewhere(
    admin_client, town, other_town
):
    from guichet.organizations.models import Membership, User

    # Bob administers Montval and is also an agent in Villebois; Root is a platform superuser.
    bob = make_member(other_town, role=Role.ADMINISTRATOR, username="bob")
    Membership.objects.create(user=bob, organization=town, role=Role.AGENT)
    root = make_member(town, role=Role.AGENT, username="root", is_superuser=True)
    for user in (bob, root):
        for path in ("change", "password", "delete"):
            response = admin_client.get(f"/admin/organizations/user/{user.pk}/{path}/")
            assert response.status_code in (302, 403, 404), (
                user.username,
                path,
                response.status_code,
            )
        response = admin_client.post(
            f"/admin/organizations/user/{user.pk}/password/",
            {"password1": "Pwned-by-alain-42", "password2": "Pwned-by-alain-42"},
        )
        assert response.status_code in (302, 403, 404)
        user.refresh_from_db()
        assert not user.check_password("Pwned-by-alain-42")
    listing = admin_client.get("/admin/organizations/user/").content.decode()
    assert ">bob<" not in listing
    assert ">root<" not in listing
    assert User.objects.filter(username__in=["bob", "root"]).count() == 2


def test_an_address_of_another_organization_cannot_be_claimed(town, other_town):
    from guichet.organizations.queries import RecipientDirectory

    montval_admin = make_member(
        other_town, role=Role.ADMINISTRATOR, username="admin.montval", is_staff=True
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(montval_admin)
    response = client.post(
        "/admin/organizations/department/add/",
        {
            "organization": other_town.pk,
            "name": "Détourné",
            "slug": "detourne",
            "email_address": "Etat-Civil@villebois.fr",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert (
        "This address already receives mail for another organization." in response.content.decode()
    )
    assert not Department.objects.filter(slug="detourne").exists()
    # Even if two organizations ended up with one address (written around validation), mail sent
    # to it goes to neither rather than to a guess.
    Department.objects.create(
        organization=other_town,
        name="Doublon",
        slug="doublon",
        email_address="etat-civil@villebois.fr",
    )
    directory = RecipientDirectory()
    assert directory.find(("etat-civil@villebois.fr",)) is None
    assert directory.find(("mairie+c12-abc@villebois.fr",)) == town
