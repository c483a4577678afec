"""GET /cases, GET /cases/{reference}, POST /cases/{reference}/replies: content and scoping."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.audit.models import AuditEntry
from guichet.cases.actions import do_add_note
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.conversations.models import DeliveryStatus, Direction, Message
from tests.factories import CaseFactory, CitizenFactory


@pytest.fixture
def post_message(api, town_token, message_body):
    def post(**overrides):
        response = api.post("/api/v1/messages", message_body(**overrides), token=town_token)
        assert response.status_code == 201, response.content
        return Case.objects.get(reference=response.json()["reference"])

    return post


@pytest.fixture
def civil_case(post_message):
    return post_message()


@pytest.fixture
def roads_case(post_message):
    return post_message(
        external_id="crm-2001",
        sender="paul.martin@example.org",
        name="Paul Martin",
        subject="Trou dans la chaussée",
        text="Il y a un nid de poule rue des Lilas.",
    )


@pytest.fixture
def other_case(other_town):
    return CaseFactory(citizen=CitizenFactory(organization=other_town))


def references(response):
    return [item["reference"] for item in response.json()["items"]]


# ---------------------------------------------------------------------------------------------
# list


@pytest.mark.django_db
def test_token_lists_its_organization_cases_only(
    api, town_token, civil_case, roads_case, other_case
):
    response = api.get("/api/v1/cases", token=town_token)

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert data["limit"] == 50
    assert data["offset"] == 0
    assert sorted(references(response)) == sorted([civil_case.reference, roads_case.reference])


@pytest.mark.django_db
def test_other_town_token_never_sees_town_cases(api, other_token, civil_case, other_case):
    response = api.get("/api/v1/cases", token=other_token)

    assert references(response) == [other_case.reference]
    assert civil_case.reference not in response.content.decode()


@pytest.mark.django_db
def test_list_item_content(api, town_token, departments, civil_case):
    response = api.get("/api/v1/cases", token=town_token)

    item = response.json()["items"][0]
    civil_case.refresh_from_db()
    assert item == {
        "reference": civil_case.reference,
        "url": f"http://testserver/api/v1/cases/{civil_case.reference}",
        "subject": "Acte de naissance",
        "status": "new",
        "priority": "normal",
        "channel": "api",
        "topic": {"slug": "acte-naissance", "name": "Acte de naissance"},
        "department": {"slug": "etat-civil", "name": "État civil"},
        "assignee": None,
        "citizen_id": civil_case.citizen_id,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "due_at": item["due_at"],
        "is_overdue": False,
    }
    assert item["due_at"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("department=etat-civil", ["civil"]),
        ("department=voirie", ["roads"]),
        ("department=nowhere", []),
        ("topic=nid-de-poule", ["roads"]),
        ("status=new", ["civil", "roads"]),
        ("status=closed", []),
    ],
)
def test_list_filters(api, town_token, civil_case, roads_case, query, expected):
    names = {civil_case.reference: "civil", roads_case.reference: "roads"}

    response = api.get(f"/api/v1/cases?{query}", token=town_token)

    assert response.status_code == 200
    assert sorted(names[r] for r in references(response)) == expected


@pytest.mark.django_db
def test_list_updated_since(api, town_token, civil_case, roads_case):
    Case.objects.filter(pk=civil_case.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    response = api.get(f"/api/v1/cases?updated_since={since}", token=town_token)

    assert references(response) == [roads_case.reference]


@pytest.mark.django_db
def test_list_pagination(api, town_token, civil_case, roads_case):
    first = api.get("/api/v1/cases?limit=1", token=town_token).json()
    second = api.get("/api/v1/cases?limit=1&offset=1", token=town_token).json()

    assert first["count"] == second["count"] == 2
    assert len(first["items"]) == len(second["items"]) == 1
    assert {first["items"][0]["reference"], second["items"][0]["reference"]} == {
        civil_case.reference,
        roads_case.reference,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "status=finished",
            "status",
            "unknown status 'finished'; use one of new, open, waiting, resolved, closed",
        ),
        ("limit=0", "limit", "Input should be greater than or equal to 1"),
        ("limit=201", "limit", "Input should be less than or equal to 200"),
        ("offset=-1", "offset", "Input should be greater than or equal to 0"),
        (
            "offset=99999999999999999999",
            "offset",
            "Input should be less than or equal to 1000000000",
        ),
        ("updated_since=yesterday", "updated_since", None),
    ],
)
def test_list_bad_query_is_422(api, town_token, query, field, message):
    response = api.get(f"/api/v1/cases?{query}", token=town_token)

    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == message


@pytest.mark.django_db
def test_session_agent_lists_cases_of_their_department(client, roads_agent, civil_case, roads_case):
    client.force_login(roads_agent)

    response = client.get("/api/v1/cases")

    assert references(response) == [roads_case.reference]


# ---------------------------------------------------------------------------------------------
# read


@pytest.mark.django_db
def test_token_reads_a_case_with_its_exchange_but_no_notes(
    api, town_token, civil_case, civil_agent
):
    do_add_note(civil_case, "Vérifier le livret de famille.", actor=civil_agent)

    response = api.get(f"/api/v1/cases/{civil_case.reference}", token=town_token)

    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == civil_case.reference
    assert data["department"] == {"slug": "etat-civil", "name": "État civil"}
    assert data["citizen"]["id"] == civil_case.citizen_id
    assert data["citizen"]["display_name"] == "Jeanne Dupont"
    assert [(p["kind"], p["value"]) for p in data["citizen"]["contact_points"]] == [
        ("email", "jeanne.dupont@example.org")
    ]
    assert [(m["direction"], m["channel"]) for m in data["messages"]] == [
        ("inbound", "api"),
        (
            "outbound",
            "email",
        ),  # an integration's message from an email address is acknowledged by email
    ]
    assert data["messages"][0]["text"] == (
        "Bonjour, je voudrais un extrait d'acte de naissance pour mon fils."
    )
    assert data["notes"] is None
    assert "Vérifier le livret" not in response.content.decode()
    assert data["events"][0]["kind"] == "case.created"
    assert {e["kind"] for e in data["events"]} >= {
        "case.created",
        "message.received",
        "intake.step",
    }


@pytest.mark.django_db
def test_session_agent_reads_notes(client, civil_agent, civil_case):
    note = do_add_note(civil_case, "Vérifier le livret de famille.", actor=civil_agent)
    client.force_login(civil_agent)

    response = client.get(f"/api/v1/cases/{civil_case.reference}")

    assert response.status_code == 200
    notes = response.json()["notes"]
    assert [(n["id"], n["direction"], n["text"]) for n in notes] == [
        (note.pk, "note", "Vérifier le livret de famille.")
    ]


@pytest.mark.django_db
def test_reading_a_case_is_audited(api, town_token, client, civil_agent, civil_case):
    api.get(f"/api/v1/cases/{civil_case.reference}", token=town_token)
    client.force_login(civil_agent)
    client.get(f"/api/v1/cases/{civil_case.reference}")

    entries = AuditEntry.objects.filter(action="case.viewed", object_id=str(civil_case.pk))
    assert [(e.actor_id, e.actor_label) for e in entries.order_by("pk")] == [
        (None, "API token Passerelle SMS"),
        (civil_agent.pk, str(civil_agent)),
    ]


@pytest.mark.django_db
def test_other_town_token_gets_404_on_a_town_case(api, other_token, civil_case):
    response = api.get(f"/api/v1/cases/{civil_case.reference}", token=other_token)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such case."}
    assert not AuditEntry.objects.filter(action="case.viewed").exists()


@pytest.mark.django_db
def test_unknown_reference_is_the_same_404(api, town_token, town):
    response = api.get("/api/v1/cases/VIL-2020-999999", token=town_token)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such case."}


@pytest.mark.django_db
def test_roads_agent_cannot_read_a_civil_case(client, roads_agent, civil_case):
    client.force_login(roads_agent)

    response = client.get(f"/api/v1/cases/{civil_case.reference}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such case."}


# ---------------------------------------------------------------------------------------------
# reply


@pytest.mark.django_db
def test_token_replies_on_the_citizen_channel(api, town_token, civil_case):
    response = api.post(
        f"/api/v1/cases/{civil_case.reference}/replies",
        {"text": "Votre acte est prêt."},
        token=town_token,
    )

    assert response.status_code == 201
    reply = Message.objects.get(direction=Direction.OUTBOUND, is_automatic=False)
    assert response.json() == {
        "id": reply.pk,
        "case_reference": civil_case.reference,
        "channel": "api",
        "recipient_address": "jeanne.dupont@example.org",
        "delivery_status": "queued",
        "created_at": response.json()["created_at"],
    }
    assert reply.text == "Votre acte est prêt."
    assert reply.author is None
    assert reply.sender_name == "Passerelle SMS"
    event = CaseEvent.objects.get(case=civil_case, kind=EventKind.MESSAGE_SENT)
    assert event.actor_id is None
    assert event.actor_label == "Passerelle SMS"
    civil_case.refresh_from_db()
    assert civil_case.status == "open"
    assert civil_case.first_response_at is not None


@pytest.mark.django_db
def test_reply_on_an_integration_channel_lands_in_the_outbox(
    api, town_token, civil_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/cases/{civil_case.reference}/replies",
            {"text": "Votre acte est prêt."},
            token=town_token,
        )

    reply = Message.objects.get(pk=response.json()["id"])
    assert reply.delivery_status == DeliveryStatus.AWAITING_INTEGRATION
    outbox = api.get("/api/v1/outbox?channel=api", token=town_token).json()
    assert reply.pk in [item["id"] for item in outbox["items"]]


@pytest.mark.django_db
def test_session_agent_replies_by_email(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    response = client.post(
        f"/api/v1/cases/{civil_case.reference}/replies",
        data=json.dumps({"text": "Votre acte est prêt.", "channel": "email"}),
        content_type="application/json",
    )

    assert response.status_code == 201
    reply = Message.objects.get(pk=response.json()["id"])
    assert reply.channel == "email"
    assert reply.author == civil_agent
    assert reply.recipient_address == "jeanne.dupont@example.org"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"text": "   "}, "The reply is empty."),
        (
            {"text": "Bonjour", "channel": "whatsapp"},
            "The citizen cannot be reached on this channel.",
        ),
    ],
)
def test_reply_that_cannot_be_sent_is_422_without_side_effect(
    api, town_token, civil_case, body, detail
):
    before = Message.objects.count()

    response = api.post(f"/api/v1/cases/{civil_case.reference}/replies", body, token=town_token)

    assert response.status_code == 422
    assert response.json() == {"detail": detail}
    assert Message.objects.count() == before


@pytest.mark.django_db
def test_other_town_token_cannot_reply_to_a_town_case(api, other_token, civil_case):
    before = Message.objects.count()

    response = api.post(
        f"/api/v1/cases/{civil_case.reference}/replies", {"text": "Bonjour"}, token=other_token
    )

    assert response.status_code == 404
    assert Message.objects.count() == before


@pytest.mark.django_db
def test_roads_agent_cannot_reply_to_a_civil_case(client, roads_agent, civil_case):
    before = Message.objects.count()
    client.force_login(roads_agent)

    response = client.post(
        f"/api/v1/cases/{civil_case.reference}/replies",
        data=json.dumps({"text": "Bonjour"}),
        content_type="application/json",
    )

    assert response.status_code == 404
    assert Message.objects.count() == before
