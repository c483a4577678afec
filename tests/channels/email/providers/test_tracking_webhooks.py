"""Delivery events posted by providers: a bounce or a rejection of a message Guichet sent marks it
failed and tells the agent on the case timeline, once; other events change nothing."""

from __future__ import annotations

import json

import pytest

from guichet.cases.actions import do_reply_case
from guichet.cases.models import CaseEvent, EventKind
from guichet.intake.pipeline import receive
from tests.channels.email.providers.conftest import basic_auth

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

REASON = "550 5.1.1 <jeanne.dupont@example.org>: Recipient address rejected: User unknown"


@pytest.fixture
def sent_reply(town, civil_agent, email_inbound, django_capture_on_commit_callbacks):
    case = receive(town, email_inbound()).case
    with django_capture_on_commit_callbacks(execute=True):
        reply = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent)
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    return reply


def brevo_event(event: str, *, metadata: dict | None = None, message_id: str = "") -> dict:
    """Brevo transactional webhook: one event per post."""
    payload = {
        "event": event,
        "email": "jeanne.dupont@example.org",
        "id": 842615,
        "date": "2026-11-03 10:30:00",
        "ts": 1793698200,
        "message-id": message_id or "<202611030930.87654321@smtp-relay.mailin.fr>",
        "ts_event": 1793698200,
        "subject": "Re: Demande d'acte de naissance",
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1793698200123,
        "tag": "",
    }
    if event in ("hard_bounce", "soft_bounce", "blocked"):
        payload["reason"] = REASON
    if metadata is not None:
        payload["X-Mailin-custom"] = json.dumps(metadata)
    return payload


def post_json(client, url: str, payload, auth=None):
    return client.post(
        url,
        data=json.dumps(payload),
        content_type="application/json",
        **(basic_auth() if auth is None else auth),
    )


def failures(message):
    return list(
        CaseEvent.objects.filter(kind=EventKind.DELIVERY_FAILED, message=message).values_list(
            "data", flat=True
        )
    )


def test_a_brevo_bounce_marks_the_reply_failed_once(client, sent_reply):
    payload = brevo_event(
        "hard_bounce", metadata={"guichet_message_id": sent_reply.email_message_id}
    )

    first = post_json(client, "/webhooks/email/brevo/tracking/", payload)
    again = post_json(client, "/webhooks/email/brevo/tracking/", payload)

    assert (first.status_code, again.status_code) == (200, 200)
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "failed"
    assert sent_reply.delivery_error == f"Brevo: hard_bounce (bounced) {REASON}"
    assert failures(sent_reply) == [
        {
            "error": f"Brevo: hard_bounce (bounced) {REASON}",
            "channel": "email",
            "recipient": "jeanne.dupont@example.org",
            "provider": "Brevo",
            "event": "bounced",
        }
    ]


def test_a_mailjet_bounce_in_a_grouped_post(client, sent_reply):
    payload = [
        {
            "event": "open",
            "time": 1793698100,
            "MessageID": 19421777396190490,
            "email": "jeanne.dupont@example.org",
            "Payload": json.dumps({"guichet_message_id": sent_reply.email_message_id}),
        },
        {
            "event": "bounce",
            "time": 1793698200,
            "MessageID": 19421777396190490,
            "Message_GUID": "1ab23cd4-e567-8901-2f34-56789abcdef0",
            "email": "jeanne.dupont@example.org",
            "mj_campaign_id": 0,
            "mj_contact_id": 987654321,
            "customcampaign": "",
            "CustomID": "",
            "Payload": json.dumps({"guichet_message_id": sent_reply.email_message_id}),
            "blocked": False,
            "hard_bounce": True,
            "error_related_to": "recipient",
            "error": "user unknown",
        },
    ]

    response = post_json(client, "/webhooks/email/mailjet/tracking/", payload)

    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "failed"
    assert sent_reply.delivery_error == "Mailjet: bounce (bounced) user unknown"
    assert len(failures(sent_reply)) == 1


def test_a_sendgrid_bounce_finds_the_message_by_its_custom_args(client, sent_reply):
    payload = [
        {
            "email": "jeanne.dupont@example.org",
            "timestamp": 1793698200,
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": "bounce",
            "category": [],
            "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
            "reason": REASON,
            "status": "5.1.1",
            "type": "bounce",
            "guichet_message_id": sent_reply.email_message_id,
        }
    ]

    response = post_json(client, "/webhooks/email/sendgrid/tracking/", payload)

    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "failed"
    assert sent_reply.delivery_error == f"SendGrid: bounce {REASON}"


def test_a_provider_reporting_our_message_id_needs_no_metadata(client, sent_reply):
    payload = brevo_event("blocked", message_id=f"<{sent_reply.email_message_id}>")

    response = post_json(client, "/webhooks/email/brevo/tracking/", payload)

    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "failed"
    assert sent_reply.delivery_error == f"Brevo: blocked (blocked) {REASON}"


@pytest.mark.parametrize("event", ["delivered", "request", "unique_opened", "click", "deferred"])
def test_other_events_change_nothing(client, sent_reply, event):
    payload = brevo_event(event, metadata={"guichet_message_id": sent_reply.email_message_id})

    response = post_json(client, "/webhooks/email/brevo/tracking/", payload)

    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert (sent_reply.delivery_status, sent_reply.delivery_error) == ("sent", "")
    assert failures(sent_reply) == []


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(
            {"guichet_message_id": "0badc0de.VIL-2026-000009@guichet.localhost"}, id="gone"
        ),
        pytest.param({"newsletter": "42"}, id="another-application"),
    ],
)
def test_events_about_other_mail_are_acknowledged_and_ignored(client, sent_reply, metadata):
    response = post_json(
        client, "/webhooks/email/brevo/tracking/", brevo_event("hard_bounce", metadata=metadata)
    )

    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "sent"
    assert CaseEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).count() == 0


def test_an_event_faster_than_the_worker_is_asked_again_later(
    client, town, civil_agent, email_inbound, django_capture_on_commit_callbacks
):
    case = receive(town, email_inbound()).case
    reply = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent)  # not sent yet
    payload = brevo_event("hard_bounce", metadata={"guichet_message_id": reply.email_message_id})

    response = post_json(client, "/webhooks/email/brevo/tracking/", payload)

    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    reply.refresh_from_db()
    assert reply.delivery_status == "queued"
    assert failures(reply) == []


def test_a_tracking_post_without_the_secret_changes_nothing(client, sent_reply):
    payload = brevo_event(
        "hard_bounce", metadata={"guichet_message_id": sent_reply.email_message_id}
    )

    response = post_json(client, "/webhooks/email/brevo/tracking/", payload, auth={})

    assert response.status_code == 401
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == "sent"
    assert failures(sent_reply) == []


def test_an_inbound_payload_on_the_tracking_url_says_so(client, town):
    response = post_json(client, "/webhooks/email/brevo/tracking/", {"items": []})

    assert response.status_code == 400
    assert b"You seem to have set Brevo's *inbound* webhook URL" in response.content
