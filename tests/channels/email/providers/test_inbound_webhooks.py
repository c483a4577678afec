"""Inbound mail posted by email providers (Brevo, Mailjet, SendGrid, Postmark, Mailgun) through
anymail's webhooks: a request opens a case routed like any email, a provider's retry creates
nothing more, a caller without the secret stores nothing, and mail for nobody is kept and
reported, never lost."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.test import Client

from guichet.cases.models import Case
from guichet.channels.email import providers
from guichet.conversations.models import Attachment, Direction, Message
from guichet.intake.models import InboundRecord, RecordStatus
from tests.channels.email.providers.conftest import (
    PDF,
    SUBJECT,
    basic_auth,
    brevo_payload,
    mailgun_fields,
    mailjet_payload,
    post_inbound,
    raw_email,
    sendgrid_fields,
)

pytestmark = [
    pytest.mark.django_db,
    # Anymail warns that it no longer supports SendGrid officially (see docs/email-providers.md).
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

PROVIDERS = ["brevo", "mailjet", "sendgrid", "postmark", "mailgun"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_posted_message_opens_a_routed_case(
    client, town, departments, brevo_api, mailoutbox, django_capture_on_commit_callbacks, provider
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_inbound(client, provider)

    assert response.status_code == 200
    case = Case.objects.get()
    assert case.organization == town
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    assert case.subject == SUBJECT
    record = InboundRecord.objects.get()
    assert (record.organization, record.channel, record.status, record.case) == (
        town,
        "email",
        RecordStatus.PROCESSED,
        case,
    )
    assert record.external_id == "CAFx8Zk1a2b3c4@mail.gmail.com"
    assert record.raw_file.name.endswith(".eml")
    inbound = Message.objects.get(case=case, direction=Direction.INBOUND)
    assert inbound.sender_address == "jeanne.dupont@example.org"
    assert inbound.text.startswith("Bonjour,\n\nJe voudrais un extrait d'acte de naissance")
    assert "Léo, né le 2 mars 2019 à Villebois" in inbound.text
    attachment = Attachment.objects.get(message=inbound)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "livret-famille.pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    # Acknowledged to the citizen with the reference, as for mail read from a mailbox.
    assert [m.to for m in mailoutbox] == [["jeanne.dupont@example.org"]]
    assert case.reference in mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["In-Reply-To"] == "<CAFx8Zk1a2b3c4@mail.gmail.com>"


def test_brevo_attachments_are_fetched_with_the_api_key(client, town, brevo_api):
    response = post_inbound(client, "brevo")

    assert response.status_code == 200
    assert brevo_api == [
        (
            "https://api.brevo.com/v3/inbound/attachments/eyJmb2xkZXIiOiIyMDI2MTEwMyJ9",
            {"api-key": "xkeysib-test-0123456789"},
        )
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_replayed_post_creates_nothing_more(
    client, town, brevo_api, mailoutbox, django_capture_on_commit_callbacks, provider
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_inbound(client, provider)
    with django_capture_on_commit_callbacks(execute=True):
        second = post_inbound(client, provider)

    assert (first.status_code, second.status_code) == (200, 200)
    assert InboundRecord.objects.count() == 1
    assert Case.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert Attachment.objects.filter(message__direction=Direction.INBOUND).count() == 1
    assert len(mailoutbox) == 1


def test_a_replayed_message_without_message_id_is_still_received_once(client, town):
    """Mailjet posts parsed fields: the bytes are rebuilt on each post, identically, so the
    identifier made from them (there is no Message-ID) is the same on the retry."""
    for _ in range(2):
        response = client.post(
            "/webhooks/email/mailjet/",
            data=json.dumps(mailjet_payload(message_id=None)),
            content_type="application/json",
            **basic_auth(),
        )
        assert response.status_code == 200

    record = InboundRecord.objects.get()
    assert record.external_id.startswith("sha256:")
    assert Case.objects.count() == 1


def test_a_citizen_reply_posted_by_the_provider_threads_into_the_case(
    client, town, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(client, "sendgrid")
    case = Case.objects.get()
    acknowledgement = mailoutbox[0]
    token_address = acknowledgement.reply_to[0]
    # The department's address, with the case token as a sub-address.
    assert token_address.startswith(f"etat-civil+c{case.pk}-")

    # The citizen answers the acknowledgement, to its token address, with another subject.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/email/sendgrid/",
            data=sendgrid_fields(
                to=token_address,
                message_id="<CAFx8Zk9z8y7x6@mail.gmail.com>",
                subject="Pièce manquante",
                text="Voici le livret de famille demandé.",
                extra_headers=(
                    f"In-Reply-To: {acknowledgement.extra_headers['Message-ID']}\r\n"
                    f"References: <CAFx8Zk1a2b3c4@mail.gmail.com> "
                    f"{acknowledgement.extra_headers['Message-ID']}\r\n"
                ),
            ),
            **basic_auth(),
        )

    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert list(
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .order_by("created_at", "pk")
        .values_list("email_message_id", flat=True)
    ) == ["CAFx8Zk1a2b3c4@mail.gmail.com", "CAFx8Zk9z8y7x6@mail.gmail.com"]


def test_a_message_to_two_organizations_reaches_each(client, town, other_town):
    response = client.post(
        "/webhooks/email/sendgrid/",
        data=sendgrid_fields(to="mairie@villebois.fr, mairie@montval.fr"),
        **basic_auth(),
    )

    assert response.status_code == 200
    assert sorted(Case.objects.values_list("organization__slug", flat=True)) == [
        "montval",
        "villebois",
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({}, id="missing"),
        pytest.param(basic_auth("guichet-webhooks:wrong-password"), id="wrong"),
    ],
)
def test_a_post_without_the_secret_is_refused_and_stores_nothing(
    client, town, brevo_api, unrouted_files, provider, auth
):
    response = post_inbound(client, provider, auth=auth)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Guichet email webhooks"'
    assert response.content == b"Missing or wrong credentials for this webhook.\n"
    assert InboundRecord.objects.count() == 0
    assert Case.objects.count() == 0
    assert unrouted_files() == []
    assert brevo_api == []


def test_a_mailgun_post_with_a_forged_signature_is_refused(client, town):
    fields = {**mailgun_fields(), "signature": "0" * 64}

    response = client.post("/webhooks/email/mailgun/mime/", data=fields, **basic_auth())

    assert response.status_code == 403
    assert InboundRecord.objects.count() == 0


def test_webhooks_are_closed_until_a_secret_is_configured(client, town, settings, caplog):
    settings.ANYMAIL = {}

    with caplog.at_level(logging.ERROR, logger="guichet.channels.email.webhooks"):
        response = post_inbound(client, "sendgrid", auth={})

    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert InboundRecord.objects.count() == 0
    assert "GUICHET_ANYMAIL_WEBHOOK_SECRET" in caplog.text


def test_an_unconfigured_provider_answers_503(client, town, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": settings.ANYMAIL["WEBHOOK_SECRET"]}  # no Brevo key

    response = post_inbound(client, "brevo")

    assert response.status_code == 503
    assert response.content == b"The brevo webhook is not configured on this server.\n"
    assert InboundRecord.objects.count() == 0


def test_mail_for_an_unknown_address_is_kept_reported_and_acknowledged(
    client, town, unrouted_files, caplog
):
    with caplog.at_level(logging.WARNING, logger="guichet.channels.email.providers"):
        response = post_inbound(client, "sendgrid", to="contact@inconnu.example")

    assert response.status_code == 200  # no retry can route it: the provider must not insist
    assert InboundRecord.objects.count() == 0
    assert Case.objects.count() == 0
    files = unrouted_files()
    assert [name.split(".", 1)[1] for name in files] == ["eml", "note.json"]
    with default_storage.open(files[0]) as kept:
        raw = kept.read()
    assert b"Message-ID: <CAFx8Zk1a2b3c4@mail.gmail.com>" in raw
    with default_storage.open(files[1]) as note_file:
        note = json.load(note_file)
    assert note["provider"] == "SendGrid"
    assert note["reason"] == "no organization receives mail at contact@inconnu.example"
    assert note["recipients"] == ["contact@inconnu.example"]
    assert note["sha256"] == hashlib.sha256(raw).hexdigest()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    # (the address itself is masked in the logs: the stored note keeps it, see above)
    assert "envelope recipient [EMAIL]" in caplog.text
    assert files[0] in caplog.text
    # The provider retries anyway: the message is kept once.
    post_inbound(client, "sendgrid", to="contact@inconnu.example")
    assert unrouted_files() == files


def test_an_unreadable_payload_is_refused_and_kept(client, town, unrouted_files):
    body = b'{"Sender": "jeanne.dupont@example.org", "Headers": '  # cut short

    response = client.post(
        "/webhooks/email/mailjet/", data=body, content_type="application/json", **basic_auth()
    )

    assert response.status_code == 400
    assert response.content.startswith(
        b"This is not a mailjet inbound payload that Guichet can read (JSONDecodeError:"
    )
    assert InboundRecord.objects.count() == 0
    digest = hashlib.sha256(body).hexdigest()
    assert unrouted_files() == [
        f"inbound/unrouted/mailjet/{digest}.json",
        f"inbound/unrouted/mailjet/{digest}.note.json",
    ]
    with default_storage.open(f"inbound/unrouted/mailjet/{digest}.json") as kept:
        assert kept.read() == body


def test_a_tracking_payload_on_the_inbound_url_says_so(client, town):
    response = client.post(
        "/webhooks/email/brevo/",
        data=json.dumps({"event": "delivered", "email": "jeanne.dupont@example.org"}),
        content_type="application/json",
        **basic_auth(),
    )

    assert response.status_code == 400
    assert b"You seem to have set Brevo's *tracking* webhook URL" in response.content
    assert InboundRecord.objects.count() == 0


def test_a_database_failure_asks_the_provider_to_retry(client, town, monkeypatch):
    def unavailable(*args, **kwargs):
        raise DatabaseError("could not connect to server")

    monkeypatch.setattr(providers, "receive", unavailable)
    response = post_inbound(client, "mailjet")

    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert InboundRecord.objects.count() == 0
    # The provider's retry, once the database is back, is received.
    monkeypatch.undo()
    assert post_inbound(client, "mailjet").status_code == 200
    assert Case.objects.count() == 1


def test_bytes_that_are_not_an_email_are_kept_aside_for_the_organization(client, town):
    """A SendGrid raw post whose `email` field holds no header: the envelope names the
    organization, which gets a held record with the reason."""
    fields = sendgrid_fields()
    fields["email"] = "\r\n"

    response = client.post("/webhooks/email/sendgrid/", data=fields, **basic_auth())

    assert response.status_code == 200
    record = InboundRecord.objects.get()
    assert (record.organization, record.status, record.failed_step) == (
        town,
        RecordStatus.HELD,
        "parse",
    )
    assert record.error == "not an email: the input is empty (received through SendGrid)"
    assert Case.objects.count() == 0


def test_the_webhook_accepts_only_post(client, town):
    assert client.get("/webhooks/email/mailjet/", **basic_auth()).status_code == 405
    # Some providers check the URL with HEAD when it is configured.
    assert client.head("/webhooks/email/mailjet/").status_code == 200


def test_message_bytes_are_the_same_on_every_post():
    from anymail.webhooks.mailjet import MailjetInboundWebhookView

    view = MailjetInboundWebhookView()
    first = view.esp_to_anymail_event(mailjet_payload()).message
    second = view.esp_to_anymail_event(mailjet_payload()).message

    assert providers.message_bytes(first) == providers.message_bytes(second)
    assert providers.message_bytes(first) == providers.message_bytes(first)
    assert b'boundary="=_guichet_' in providers.message_bytes(first)


def test_raw_mime_keeps_its_own_boundaries():
    from anymail.inbound import AnymailInboundMessage

    message = AnymailInboundMessage.parse_raw_mime(raw_email())

    assert b'boundary="000000000000b1c2d3e4"' in providers.message_bytes(message)


def test_brevo_batch_with_two_messages(client, town, brevo_api):
    payload = brevo_payload()
    second = json.loads(json.dumps(payload["items"][0]))
    second["Uuid"] = ["0b7c3a52-91de-4b0e-8f11-7d2c6a4b5e90"]
    second["Headers"]["Message-ID"] = second["MessageId"] = "<other-1@mail.gmail.com>"
    payload["items"].append(second)

    response = client.post(
        "/webhooks/email/brevo/",
        data=json.dumps(payload),
        content_type="application/json",
        **basic_auth(),
    )

    assert response.status_code == 200
    assert sorted(InboundRecord.objects.values_list("external_id", flat=True)) == [
        "CAFx8Zk1a2b3c4@mail.gmail.com",
        "other-1@mail.gmail.com",
    ]


def test_the_webhook_needs_no_csrf_token(town):
    """Providers post without a CSRF token: the webhook is exempt (its secret protects it)."""
    strict = Client(enforce_csrf_checks=True)

    response = post_inbound(strict, "mailjet")

    assert response.status_code == 200
    assert InboundRecord.objects.count() == 1


def test_a_provider_spam_verdict_is_noted_for_the_agent(town):
    from anymail.inbound import AnymailInboundMessage

    message = AnymailInboundMessage.parse_raw_mime(raw_email())
    message.spam_detected, message.spam_score = True, 7.5

    outcome = providers.handle_inbound_message(message, esp_name="Postmark")

    (reception,) = outcome.receptions
    reception.record.refresh_from_db()
    assert reception.record.payload["problems"] == ["marked as spam by Postmark (score 7.5)"]
