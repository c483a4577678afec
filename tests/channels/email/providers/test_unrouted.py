"""Mail for no organization: listed for the platform operators only, routed again once its address
is given to an organization, and deleted after the retention period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from guichet.cases.models import Case
from guichet.channels.email.providers import reroute_unrouted
from guichet.channels.email.unrouted import purge_unrouted_mail
from guichet.channels.models import UnroutedMail
from guichet.organizations.models import Department
from tests.channels.email.providers.conftest import post_inbound
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]


def test_mail_for_nobody_is_listed_once_even_when_the_provider_retries(client, town):
    post_inbound(client, "sendgrid", to="contact@inconnu.example")
    post_inbound(client, "sendgrid", to="contact@inconnu.example")

    mail = UnroutedMail.objects.get()
    assert (mail.provider, mail.recipients) == ("SendGrid", ["contact@inconnu.example"])
    assert mail.reason == "no organization receives mail at contact@inconnu.example"
    assert mail.storage_name.endswith(".eml")
    assert default_storage.exists(mail.storage_name)


def test_routed_again_once_the_address_belongs_to_an_organization(client, town, departments):
    post_inbound(client, "sendgrid", to="etat-civil@villebois.example")
    mail = UnroutedMail.objects.get()
    assert reroute_unrouted(mail).receptions == ()  # still nobody's: nothing changes
    assert UnroutedMail.objects.count() == 1

    Department.objects.filter(pk=departments["etat-civil"].pk).update(
        email_address="etat-civil@villebois.example"
    )
    outcome = reroute_unrouted(UnroutedMail.objects.get())

    case = Case.objects.get()
    assert [r.case for r in outcome.receptions] == [case]
    assert (case.organization, case.department) == (town, departments["etat-civil"])
    assert UnroutedMail.objects.count() == 0
    assert not default_storage.exists(mail.storage_name)


def test_mail_older_than_the_retention_is_deleted_with_its_files(client, town, settings):
    settings.GUICHET_UNROUTED_RETENTION_DAYS = 30
    post_inbound(client, "sendgrid", to="a@inconnu.example")
    post_inbound(client, "mailgun", to="b@inconnu.example")
    old, recent = UnroutedMail.objects.order_by("pk")
    UnroutedMail.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))

    assert purge_unrouted_mail() == 1

    assert list(UnroutedMail.objects.all()) == [recent]
    assert not default_storage.exists(old.storage_name)
    assert not default_storage.exists(old.storage_name.replace(".eml", ".note.json"))
    assert default_storage.exists(recent.storage_name)


def test_only_platform_operators_see_mail_for_nobody(client, town, administrator):
    post_inbound(client, "sendgrid", to="contact@inconnu.example")
    url = "/admin/channels/unroutedmail/"

    client.force_login(administrator)  # an organization's administrator: may be anyone's mail
    assert client.get(url).status_code == 403

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(url)
    assert response.status_code == 200
    assert "contact@inconnu.example" in response.content.decode()
