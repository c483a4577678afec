"""GET /citizens/{id}; the outbox and delivery receipts."""

from __future__ import annotations

import pytest

from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.conversations.models import DeliveryStatus, Direction, Message


@pytest.fixture
def sms_case(api, town_token, message_body, django_capture_on_commit_callbacks):
    """A case opened by SMS (about a birth certificate): its acknowledgement waits in the outbox."""
    body = message_body(channel="sms", sender="0612345678", external_id="sms-1", subject="")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/messages", body, token=town_token)
    return Case.objects.get(reference=response.json()["reference"])


@pytest.fixture
def acknowledgement(sms_case):
    return Message.objects.get(case=sms_case, direction=Direction.OUTBOUND)


# ---------------------------------------------------------------------------------------------
# citizens


@pytest.mark.django_db
def test_token_reads_a_citizen_with_contact_points_cases_and_conversations(
    api, town_token, sms_case
):
    citizen = sms_case.citizen

    response = api.get(f"/api/v1/citizens/{citizen.pk}", token=town_token)

    assert response.status_code == 200
    data = response.json()
    assert data["id"] == citizen.pk
    assert data["display_name"] == "Jeanne Dupont"
    assert data["merged_into"] is None
    assert [(p["kind"], p["value"]) for p in data["contact_points"]] == [("phone", "+33612345678")]
    assert [c["reference"] for c in data["cases"]] == [sms_case.reference]
    assert [(c["channel"], c["case_reference"]) for c in data["conversations"]] == [
        ("sms", sms_case.reference)
    ]


@pytest.mark.django_db
def test_other_town_token_gets_404_on_a_town_citizen(api, other_token, sms_case):
    response = api.get(f"/api/v1/citizens/{sms_case.citizen_id}", token=other_token)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such citizen."}


@pytest.mark.django_db
def test_agent_sees_no_citizen_outside_their_departments(
    client, roads_agent, civil_agent, sms_case
):
    # The citizen's only case is in État civil: a Voirie agent has no business with their record.
    client.force_login(roads_agent)
    assert client.get(f"/api/v1/citizens/{sms_case.citizen_id}").status_code == 404
    client.force_login(civil_agent)
    response = client.get(f"/api/v1/citizens/{sms_case.citizen_id}")
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()["cases"]] == [sms_case.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("citizen_id", ["0", "abc", "99999999999999999999999"])
def test_bad_citizen_id_is_422(api, town_token, town, citizen_id):
    response = api.get(f"/api/v1/citizens/{citizen_id}", token=town_token)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["citizen_id"]


# ---------------------------------------------------------------------------------------------
# outbox


@pytest.mark.django_db
def test_outbox_is_scoped_to_the_token_organization(api, other_token, acknowledgement):
    response = api.get("/api/v1/outbox", token=other_token)

    assert response.json() == {"count": 0, "items": []}


@pytest.mark.django_db
def test_outbox_channel_filter(api, town_token, acknowledgement):
    assert api.get("/api/v1/outbox?channel=whatsapp", token=town_token).json()["count"] == 0
    assert api.get("/api/v1/outbox?channel=sms", token=town_token).json()["count"] == 1
    bad = api.get("/api/v1/outbox?channel=pigeon", token=town_token)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "channel"


@pytest.mark.django_db
def test_outbox_item_content(api, town_token, sms_case, acknowledgement, settings):
    item = api.get("/api/v1/outbox", token=town_token).json()["items"][0]

    assert item == {
        "id": acknowledgement.pk,
        "channel": "sms",
        "recipient": "+33612345678",
        "recipient_name": "Jeanne Dupont",
        "subject": acknowledgement.subject,
        "text": acknowledgement.text,
        "case_reference": sms_case.reference,
        "tracking_url": f"{settings.SITE_URL}/portail/villebois/suivi/{sms_case.tracking_token}/",
        "is_automatic": True,
        "created_at": item["created_at"],
    }


@pytest.mark.django_db
def test_failed_receipt_is_recorded_on_the_message_and_the_timeline(
    api, town_token, acknowledgement
):
    response = api.post(
        f"/api/v1/outbox/{acknowledgement.pk}/receipt",
        {"status": "failed", "error": "number unreachable"},
        token=town_token,
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": acknowledgement.pk,
        "delivery_status": "failed",
        "sent_at": None,
        "delivery_error": "number unreachable",
    }
    acknowledgement.refresh_from_db()
    assert acknowledgement.delivery_status == DeliveryStatus.FAILED
    assert acknowledgement.delivery_error == "number unreachable"
    event = CaseEvent.objects.get(case=acknowledgement.case, kind=EventKind.DELIVERY_FAILED)
    assert event.message == acknowledgement
    assert event.data == {"error": "number unreachable", "channel": "sms"}


@pytest.mark.django_db
def test_same_receipt_twice_changes_nothing(api, town_token, acknowledgement):
    url = f"/api/v1/outbox/{acknowledgement.pk}/receipt"
    first = api.post(url, {"status": "sent"}, token=town_token)

    again = api.post(url, {"status": "sent"}, token=town_token)

    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.django_db
def test_contradicting_receipt_is_a_conflict(api, town_token, acknowledgement):
    url = f"/api/v1/outbox/{acknowledgement.pk}/receipt"
    api.post(url, {"status": "sent"}, token=town_token)

    response = api.post(url, {"status": "failed", "error": "late"}, token=town_token)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This message is not waiting for delivery (its status is 'sent')."
    }
    acknowledgement.refresh_from_db()
    assert acknowledgement.delivery_status == DeliveryStatus.SENT
    assert not CaseEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).exists()


@pytest.mark.django_db
def test_receipt_for_another_organization_message_is_404(api, other_token, acknowledgement):
    response = api.post(
        f"/api/v1/outbox/{acknowledgement.pk}/receipt", {"status": "sent"}, token=other_token
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "No such outbound message."}
    acknowledgement.refresh_from_db()
    assert acknowledgement.delivery_status == DeliveryStatus.AWAITING_INTEGRATION


@pytest.mark.django_db
def test_receipt_for_an_inbound_message_is_404(api, town_token, sms_case):
    inbound = Message.objects.get(case=sms_case, direction=Direction.INBOUND)

    response = api.post(
        f"/api/v1/outbox/{inbound.pk}/receipt", {"status": "sent"}, token=town_token
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_receipt_status_must_be_sent_or_failed(api, town_token, acknowledgement):
    response = api.post(
        f"/api/v1/outbox/{acknowledgement.pk}/receipt", {"status": "delivered"}, token=town_token
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "status", "message": "Input should be 'sent' or 'failed'"}
    ]
