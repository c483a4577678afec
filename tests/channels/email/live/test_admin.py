"""A mailbox configured in the admin, as an organization's administrator would: the password is
write-only, the connection is tested and the mailbox polled against the real Dovecot."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.cases.models import Case
from guichet.channels.models import ChannelAccount
from tests.channels.email.live.conftest import PASSWORD, citizen_mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

CHANGELIST = "/admin/channels/channelaccount/"


@pytest.fixture
def admin_client(administrator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator)
    return client


def form_data(town, dovecot, mail_user, **overrides):
    data = {
        "organization": town.pk,
        "department": "",
        "name": "Mairie",
        "kind": "imap",
        "address": "mairie@villebois.fr",
        "host": dovecot.host,
        "port": dovecot.imap_port,
        "username": mail_user,
        "password": PASSWORD,
        "folder": "INBOX",
        "processed_folder": "Traité",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_configure_test_and_poll_a_mailbox_in_the_admin(
    admin_client, town, dovecot, mail_user, django_capture_on_commit_callbacks
):
    # The administrator adds the mailbox.
    response = admin_client.post(f"{CHANGELIST}add/", form_data(town, dovecot, mail_user))
    assert response.status_code == 302
    account = ChannelAccount.objects.get()
    assert account.password == PASSWORD

    # The password is never sent back to the browser, and leaving it empty keeps it.
    page = admin_client.get(f"{CHANGELIST}{account.pk}/change/").content.decode()
    assert PASSWORD not in page
    assert 'type="password"' in page
    response = admin_client.post(
        f"{CHANGELIST}{account.pk}/change/",
        form_data(town, dovecot, mail_user, password="", name="Mairie principale"),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.password) == ("Mairie principale", PASSWORD)

    # Testing the connection reports what the server says.
    response = admin_client.post(
        CHANGELIST, {"action": "test_connection", "_selected_action": [account.pk]}, follow=True
    )
    assert (
        f"Mairie principale &lt;mairie@villebois.fr&gt;: connected to 127.0.0.1:{dovecot.imap_port} "
        f"as {mail_user}: folder &#x27;INBOX&#x27; holds 0 messages (IDLE supported); the folder "
        "&#x27;Traité&#x27; will be created"
    ) in response.content.decode()

    # A citizen writes; "Poll now" brings the request in.
    dovecot.deliver(mail_user, citizen_mail("Acte de naissance", message_id="adm1@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "poll_now", "_selected_action": [account.pk]}, follow=True
        )
    assert (
        "Mairie principale &lt;mairie@villebois.fr&gt;: 1 fetched, 1 new requests, 0 added to "
        "requests, 0 already imported, 0 kept aside, 0 errors."
    ) in response.content.decode()
    assert Case.objects.get().subject == "Acte de naissance"
    page = admin_client.get(f"{CHANGELIST}{account.pk}/change/").content.decode()
    assert "Polling state" in page
    account.refresh_from_db()
    assert account.last_uid == 1


def test_a_wrong_password_is_shown_as_an_error(admin_client, town, dovecot, mail_user):
    account = ChannelAccount.objects.create(
        organization=town,
        name="Mairie",
        address="mairie@villebois.fr",
        host=dovecot.host,
        port=dovecot.imap_port,
        use_ssl=False,
        username=mail_user,
        password="faux-mot-de-passe",
    )
    for action in ("test_connection", "poll_now"):
        response = admin_client.post(
            CHANGELIST, {"action": action, "_selected_action": [account.pk]}, follow=True
        )
        page = response.content.decode()
        assert (
            f"Mairie &lt;mairie@villebois.fr&gt;: login refused by 127.0.0.1:{dovecot.imap_port}: "
            "[AUTHENTICATIONFAILED] Authentication failed."
        ) in page
        assert "faux-mot-de-passe" not in page
    listing = admin_client.get(CHANGELIST).content.decode()
    assert "Error: login refused by" in listing


def test_form_errors_and_isolation(admin_client, town, other_town, departments, dovecot, mail_user):
    # A new mailbox needs a password; TLS and STARTTLS exclude each other; processed mail goes
    # elsewhere than the folder read.
    response = admin_client.post(
        f"{CHANGELIST}add/",
        form_data(
            town,
            dovecot,
            mail_user,
            password="",
            use_ssl="on",
            use_starttls="on",
            processed_folder="INBOX",
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {
        "password": ["Enter the password of the mailbox."],
        "use_starttls": ["Choose TLS from the start or STARTTLS, not both."],
        "processed_folder": ["Processed mail must go to another folder than the one read."],
    }
    # Another organization is neither a choice nor visible.
    response = admin_client.post(
        f"{CHANGELIST}add/", form_data(other_town, dovecot, mail_user, name="Intrus")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ChannelAccount.objects.exists()
    theirs = ChannelAccount.objects.create(
        organization=other_town,
        name="Montval",
        address="mairie@montval.fr",
        host="imap.montval.fr",
        username="mairie",
        password="secret-de-montval",
    )
    assert "Montval" not in admin_client.get(CHANGELIST).content.decode()
    assert admin_client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 302
    # Polling a foreign account by forging the action's ids does nothing.
    admin_client.post(CHANGELIST, {"action": "poll_now", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.last_polled_at is None
