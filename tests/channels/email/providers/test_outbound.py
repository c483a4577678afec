"""Replies and acknowledgements sent through a provider with an anymail email backend keep the
headers that thread the citizen's answer back (Message-ID, In-Reply-To, References, the Reply-To
with the case token, X-Guichet-Reference) and carry our Message-ID in the provider's metadata."""

from __future__ import annotations

import json

import pytest
import requests
from anymail.exceptions import AnymailRequestsAPIError
from django.core import mail
from django.core.mail import EmailMessage

from guichet.cases.actions import do_reply_case
from guichet.channels.email.addresses import reply_address
from guichet.channels.email.providers import (
    add_tracking_metadata,
    is_transient_provider_error,
    text_as_html,
)
from guichet.intake.pipeline import receive

pytestmark = pytest.mark.django_db


def test_an_agent_reply_goes_out_through_an_anymail_backend_with_our_headers(
    town, civil_agent, email_inbound, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    case = receive(town, email_inbound()).case

    with django_capture_on_commit_callbacks(execute=True):
        reply = do_reply_case(case, "Votre acte est prêt, à retirer en mairie.", actor=civil_agent)

    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    sent = [m for m in mail.outbox if m.subject == reply.subject]
    assert len(sent) == 1
    params = sent[0].anymail_test_params
    assert params["extra_headers"] == {
        "Message-ID": f"<{reply.email_message_id}>",
        "In-Reply-To": "<msg-1@example.org>",
        "References": "<msg-1@example.org>",
        "X-Guichet-Reference": case.reference,
    }
    assert [a.addr_spec for a in params["reply_to"]] == [
        reply_address("etat-civil@villebois.fr", town.pk, case.pk)
    ]
    assert [a.addr_spec for a in params["to"]] == ["jeanne.dupont@example.org"]
    assert params["from"].addr_spec == "etat-civil@villebois.fr"
    assert params["subject"] == f"Re: Demande d'acte de naissance [{case.reference}]"
    assert params["text_body"].startswith("Votre acte est prêt, à retirer en mairie.\n\n-- \n")
    assert params["metadata"] == {"guichet_message_id": reply.email_message_id}
    assert sent[0].anymail_status.status == {"sent"}


class FakeBrevoApi:
    """Brevo's send API, answering like the real one; keeps what it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def request(self, method, url, **params) -> requests.Response:
        self.sent.append({"method": method, "url": url, **json.loads(params["data"])})
        response = requests.Response()
        response.status_code = 201
        response._content = b'{"messageId": "<202611030930.87654321@smtp-relay.mailin.fr>"}'
        response.headers["Content-Type"] = "application/json"
        return response


def test_an_acknowledgement_through_brevo_keeps_its_headers_and_gets_an_html_body(
    town, email_inbound, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    api = FakeBrevoApi()
    monkeypatch.setattr(requests.Session, "request", api.request)

    with django_capture_on_commit_callbacks(execute=True):
        case = receive(town, email_inbound()).case

    acknowledgement = case.messages.get(direction="outbound")
    assert acknowledgement.delivery_status == "sent"
    assert len(api.sent) == 1
    payload = api.sent[0]
    assert (payload["method"], payload["url"]) == ("POST", "https://api.brevo.com/v3/smtp/email")
    assert payload["headers"] == {
        "Message-ID": f"<{acknowledgement.email_message_id}>",
        "In-Reply-To": "<msg-1@example.org>",
        "References": "<msg-1@example.org>",
        "X-Guichet-Reference": case.reference,
        "Auto-Submitted": "auto-replied",
        "X-Mailin-custom": json.dumps({"guichet_message_id": acknowledgement.email_message_id}),
    }
    assert payload["replyTo"] == {
        "email": reply_address("etat-civil@villebois.fr", town.pk, case.pk)
    }
    assert payload["to"] == [{"email": "jeanne.dupont@example.org"}]
    assert payload["htmlContent"] == text_as_html(payload["textContent"])
    assert case.reference in payload["textContent"]


def test_brevo_gets_an_escaped_html_rendering_of_the_text():
    message = EmailMessage(
        body="Bonjour <Jeanne>,\n\nSuivez votre demande : https://villebois.fr/suivi/abc/",
        headers={"Message-ID": "<1a2b.VIL-2026-000001@guichet.localhost>"},
    )

    add_tracking_metadata(None, message, esp_name="Brevo")

    assert message.esp_extra == {
        "htmlContent": "<p>Bonjour &lt;Jeanne&gt;,</p>\n\n<p>Suivez votre demande : "
        '<a href="https://villebois.fr/suivi/abc/">'
        "https://villebois.fr/suivi/abc/</a></p>"
    }
    assert message.metadata == {"guichet_message_id": "1a2b.VIL-2026-000001@guichet.localhost"}


def test_other_providers_get_the_metadata_only():
    message = EmailMessage(body="Bonjour", headers={"message-id": "<1a2b@guichet.localhost>"})
    message.metadata = {"campaign": "x"}

    add_tracking_metadata(None, message, esp_name="Mailjet")

    assert message.metadata == {"campaign": "x", "guichet_message_id": "1a2b@guichet.localhost"}
    assert not hasattr(message, "esp_extra")


@pytest.mark.parametrize(
    ("status", "transient"),
    [(429, True), (500, True), (503, True), (400, False), (401, False), (422, False)],
)
def test_provider_api_errors_worth_retrying(status, transient):
    response = requests.Response()
    response.status_code = status
    response._content = b"{}"
    error = AnymailRequestsAPIError(f"Brevo API response {status}", response=response)

    assert is_transient_provider_error(error) is transient


def test_an_unreachable_provider_is_worth_retrying():
    assert is_transient_provider_error(requests.ConnectionError("connection refused")) is True
    assert is_transient_provider_error(ValueError("not an API error")) is False
