"""POST /api/v1/messages: intake through the API, idempotency, validation, acknowledgements."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from guichet.cases.models import Case
from guichet.citizens.identity import InvalidContactPoint, normalise_contact
from guichet.conversations.models import Attachment, DeliveryStatus, Direction, Message
from guichet.intake import pipeline
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.organizations.models import ApiToken

URL = "/api/v1/messages"


@pytest.mark.django_db
def test_message_opens_a_routed_case(api, town, departments, town_token, message_body):
    response = api.post(URL, message_body(), token=town_token)

    assert response.status_code == 201
    data = response.json()
    case = Case.objects.get()
    record = InboundRecord.objects.get()
    assert data == {
        "reference": case.reference,
        "case_url": f"http://testserver/api/v1/cases/{case.reference}",
        "status": "processed",
        "case_status": "new",
        "duplicate": False,
        "record_id": record.pk,
    }
    assert case.reference.startswith("VIL-")
    assert case.organization == town
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    assert case.channel == "api"
    inbound = case.messages.get(direction=Direction.INBOUND)
    assert inbound.sender_address == "jeanne.dupont@example.org"
    assert inbound.sender_name == "Jeanne Dupont"
    assert inbound.external_id == "crm-1001"
    assert case.citizen.display_name == "Jeanne Dupont"


@pytest.mark.django_db
def test_raw_body_is_kept_on_the_record_with_token_and_fingerprint(
    api, town, town_token, message_body
):
    body = json.dumps(message_body()).encode()

    response = api.post(URL, body, token=town_token, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 201
    record = InboundRecord.objects.get()
    assert record.raw_file.name.endswith("request.json")
    with record.raw_file.open("rb") as handle:
        assert handle.read() == body
    assert record.raw_size == len(body)
    assert record.api_token == ApiToken.objects.get(name="Passerelle SMS")
    assert record.idempotency_key == "key-1"
    canonical = json.dumps(
        {**message_body(), "attachments": [], "topic": ""}, sort_keys=True, separators=(",", ":")
    )
    assert record.request_fingerprint == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.django_db
def test_replay_with_same_key_returns_the_first_answer(api, town, town_token, message_body):
    first = api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="abc-123")

    again = api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="abc-123")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert Case.objects.count() == 1
    assert InboundRecord.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


@pytest.mark.django_db
def test_replay_of_same_channel_and_external_id_without_key_is_a_duplicate(
    api, town, town_token, message_body
):
    first = api.post(URL, message_body(), token=town_token)

    again = api.post(URL, message_body(text="Bonjour, je renvoie mon message."), token=town_token)

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["reference"] == first.json()["reference"]
    assert Case.objects.count() == 1
    assert InboundRecord.objects.count() == 1


@pytest.mark.django_db
def test_same_external_id_on_another_channel_is_another_message(
    api, town, town_token, message_body
):
    api.post(URL, message_body(), token=town_token)

    other = api.post(URL, message_body(channel="chat"), token=town_token)

    assert other.status_code == 201
    assert InboundRecord.objects.count() == 2


@pytest.mark.django_db
def test_key_reused_with_a_different_body_is_a_conflict(api, town, town_token, message_body):
    api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="abc-123")

    response = api.post(
        URL,
        message_body(external_id="crm-1002", text="Un autre message."),
        token=town_token,
        HTTP_IDEMPOTENCY_KEY="abc-123",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The Idempotency-Key 'abc-123' was already used for a different request;"
        " use a new key for a new message."
    }
    assert InboundRecord.objects.count() == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_idempotency_keys_are_per_organization(
    api, town, other_town, town_token, other_token, message_body
):
    api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="shared-key")

    response = api.post(URL, message_body(), token=other_token, HTTP_IDEMPOTENCY_KEY="shared-key")

    assert response.status_code == 201
    assert response.json()["reference"].startswith("MTV-")
    assert Case.objects.filter(organization=other_town).count() == 1
    assert Case.objects.filter(organization=town).count() == 1


@pytest.mark.django_db
def test_email_sender_gets_an_acknowledgement_email(
    api, town, town_token, message_body, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, message_body(channel="email"), token=town_token)

    reference = response.json()["reference"]
    assert response.status_code == 201
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["jeanne.dupont@example.org"]
    assert reference in email.subject
    assert reference in email.body
    acknowledgement = Message.objects.get(direction=Direction.OUTBOUND)
    assert acknowledgement.delivery_status == DeliveryStatus.SENT
    assert acknowledgement.is_automatic is True


@pytest.mark.django_db
def test_sms_acknowledgement_waits_in_the_outbox_until_the_receipt(
    api, town, town_token, message_body, django_capture_on_commit_callbacks, mailoutbox
):
    body = message_body(channel="sms", sender="06 12 34 56 78", external_id="sms-77")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, body, token=town_token)
    reference = response.json()["reference"]

    outbox = api.get("/api/v1/outbox?channel=sms", token=town_token)

    assert response.status_code == 201
    assert mailoutbox == []
    acknowledgement = Message.objects.get(direction=Direction.OUTBOUND)
    assert acknowledgement.delivery_status == DeliveryStatus.AWAITING_INTEGRATION
    assert outbox.status_code == 200
    data = outbox.json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["id"] == acknowledgement.pk
    assert item["channel"] == "sms"
    assert item["recipient"] == "+33612345678"
    assert item["case_reference"] == reference
    assert item["is_automatic"] is True
    assert reference in item["text"]

    receipt = api.post(
        f"/api/v1/outbox/{acknowledgement.pk}/receipt", {"status": "sent"}, token=town_token
    )

    assert receipt.status_code == 200
    acknowledgement.refresh_from_db()
    assert acknowledgement.delivery_status == DeliveryStatus.SENT
    assert acknowledgement.sent_at is not None
    assert receipt.json()["delivery_status"] == "sent"
    assert api.get("/api/v1/outbox", token=town_token).json() == {"count": 0, "items": []}


@pytest.mark.django_db
def test_attachments_are_stored_with_the_message(api, town, town_token, message_body):
    content = b"Justificatif de domicile\n"
    body = message_body(
        attachments=[
            {
                "filename": "justificatif.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(content).decode(),
            }
        ]
    )

    response = api.post(URL, body, token=town_token)

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.message == Message.objects.get(direction=Direction.INBOUND)
    assert attachment.filename == "justificatif.txt"
    assert attachment.size == len(content)
    assert attachment.refused_reason == ""
    with attachment.file.open("rb") as handle:
        assert handle.read() == content


@pytest.mark.django_db
def test_topic_chosen_by_the_integration_is_used(api, town, departments, town_token, message_body):
    body = message_body(text="Bonjour, une question.", subject="Question", topic="nid-de-poule")

    response = api.post(URL, body, token=town_token)

    case = Case.objects.get(reference=response.json()["reference"])
    assert case.topic.slug == "nid-de-poule"
    assert case.department == departments["voirie"]


@pytest.mark.django_db
def test_flagged_record_answers_202_and_a_replay_processes_it(
    api, town, town_token, message_body, monkeypatch
):
    def broken(run):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(pipeline, "STEPS", (("identify", broken),))

    response = api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="k-202")

    record = InboundRecord.objects.get()
    assert response.status_code == 202
    assert response.json() == {
        "reference": None,
        "status": "failed",
        "duplicate": False,
        "record_id": record.pk,
        "detail": "The message is stored but could not be processed (step: identify); it will be"
        " retried automatically. Nothing is lost: ask again with the same Idempotency-Key to know"
        " the outcome.",
    }
    assert record.status == RecordStatus.FAILED
    assert Case.objects.count() == 0

    monkeypatch.undo()
    again = api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="k-202")

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["reference"] == Case.objects.get().reference
    assert InboundRecord.objects.count() == 1


def _errors(response):
    return {item["field"]: item["message"] for item in response.json()["errors"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sender": "jeanne.dupont@"}, "sender", "not an email address: 'jeanne.dupont@'"),
        ({"sender": "01 23 45"}, "sender", "not a valid phone number: '01 23 45'"),
        ({"sender": "jeanne"}, "sender", "not an email address or a phone number: 'jeanne'"),
        (
            {"channel": "sms", "sender": "jeanne@example.org"},
            "sender",
            "a sms sender must be a phone number, not 'jeanne@example.org'",
        ),
        (
            {"channel": "email", "sender": "0612345678"},
            "sender",
            "an email sender must be an email address, not '0612345678'",
        ),
        (
            {"channel": "fax"},
            "channel",
            "unknown channel 'fax'; use one of email, api, sms, whatsapp, chat, phone, letter,"
            " counter, report",
        ),
        (
            {"channel": "portal"},
            "channel",
            "portal messages come from the portal form, not the API; use one of email, api, sms,"
            " whatsapp, chat, phone, letter, counter, report",
        ),
        ({"text": ""}, "text", "must not be empty"),
        ({"text": "   \n "}, "text", "must not be empty"),
        ({"text": None}, "text", "Field required"),
        ({"text": "x" * 100_001}, "text", "String should have at most 100000 characters"),
        ({"external_id": ""}, "external_id", "String should have at least 1 character"),
        ({"external_id": "x" * 301}, "external_id", "String should have at most 300 characters"),
        ({"text": "Bonjour\x00"}, "text", "must not contain NUL characters"),
        (
            {"topic": "inconnu"},
            "topic",
            "unknown topic 'inconnu'; known topics: acte-naissance, nid-de-poule",
        ),
        (
            {"attachments": [{"filename": "a.pdf", "content_base64": "not base64!"}]},
            "attachments[0].content_base64",
            "not valid base64",
        ),
    ],
)
def test_invalid_message_is_refused_with_a_clear_422(
    api, town, town_token, message_body, overrides, field, message
):
    response = api.post(URL, message_body(**overrides), token=town_token)

    assert response.status_code == 422
    assert _errors(response) == {field: message}
    assert response.json()["detail"] == f"{field}: {message}"
    assert InboundRecord.objects.count() == 0
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("sender", ["jeanne.dupont@", "01 23 45", "+33 6 12"])
def test_invalid_sender_gets_the_message_of_normalise_contact(
    api, town, town_token, message_body, sender
):
    with pytest.raises(InvalidContactPoint) as expected:
        normalise_contact(sender)

    response = api.post(URL, message_body(sender=sender), token=town_token)

    assert response.status_code == 422
    assert _errors(response) == {"sender": str(expected.value)}
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
def test_idempotency_key_longer_than_200_characters_is_refused(api, town, town_token, message_body):
    response = api.post(URL, message_body(), token=town_token, HTTP_IDEMPOTENCY_KEY="k" * 201)

    assert response.status_code == 422
    assert _errors(response) == {"Idempotency-Key": "String should have at most 200 characters"}
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
def test_desk_session_cannot_post_messages(client, town, civil_agent, message_body):
    client.force_login(civil_agent)

    response = client.post(URL, data=json.dumps(message_body()), content_type="application/json")

    assert response.status_code == 401
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
def test_null_and_missing_optional_fields_are_the_same_request(api, town, town_token, message_body):
    api.post(URL, message_body(subject=None), token=town_token, HTTP_IDEMPOTENCY_KEY="same")

    again = api.post(
        URL, {**message_body(), "subject": None}, token=town_token, HTTP_IDEMPOTENCY_KEY="same"
    )

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
