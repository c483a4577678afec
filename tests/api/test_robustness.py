"""Bad input of every kind gets a JSON 4xx with a detail, never a 500; nothing is stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from guichet.cases.models import Case
from guichet.intake.models import InboundRecord
from tests.api.conftest import bearer

VALID = {
    "channel": "api",
    "external_id": "x-1",
    "sender": "jeanne@example.org",
    "text": "Bonjour",
}


def post_raw(client: Client, token: str, data: bytes | str, content_type="application/json"):
    return client.post("/api/v1/messages", data=data, content_type=content_type, **bearer(token))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b'{"channel": "api", "text": ', 400),  # truncated JSON
        (b"not json at all", 400),
        (b"\xff\xfe\xfa\x00garbage", 400),  # not UTF-8
        ('{"channel": "api", "text": "caf\xe9"}'.encode("latin-1"), 400),  # latin-1, not UTF-8
        (b"", 422),  # empty body: every required field is missing
        (b"[]", 422),
        (b'"a string"', 422),
        (b"null", 422),
        (b"12", 422),
        (json.dumps({**VALID, "text": 12}).encode(), 422),
        (json.dumps({**VALID, "text": ["a", "b"]}).encode(), 422),
        (json.dumps({**VALID, "external_id": {"a": 1}}).encode(), 422),
        (json.dumps({**VALID, "attachments": "file.pdf"}).encode(), 422),
        (json.dumps({**VALID, "attachments": [{"filename": "a"}]}).encode(), 422),
        (json.dumps({**VALID, "attachments": [{}] * 21}).encode(), 422),
        (json.dumps({**VALID, "channel": None}).encode(), 422),
        (json.dumps({**VALID, "sender": "x" * 400}).encode(), 422),
        (json.dumps({**VALID, "text": "\ud800 lone surrogate"}).encode(), 422),
        (json.dumps({**VALID, "name": "Jeanne\x00"}).encode(), 422),
        (json.dumps({**VALID, "attachments": [{"filename": "a", "content_base64": "é"}]}), 422),
    ],
)
def test_malformed_message_body_is_a_json_4xx(client, town, town_token, data, status):
    response = post_raw(client, town_token, data)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)
    assert response.json()["detail"]
    assert InboundRecord.objects.count() == 0
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_form_encoded_body_is_400(client, town, town_token):
    response = client.post("/api/v1/messages", data={"text": "Bonjour"}, **bearer(town_token))

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


@pytest.mark.django_db
def test_body_above_the_server_limit_is_413(client, town, town_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({**VALID, "text": "x" * 20_000})

    response = post_raw(client, town_token, body)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 10000 bytes, the limit of this server."
    }
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
def test_huge_attachment_list_is_refused(client, town, town_token):
    attachment = {"filename": "a.txt", "content_base64": "QQ=="}
    body = json.dumps({**VALID, "attachments": [attachment] * 21})

    response = post_raw(client, town_token, body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "attachments",
            "message": "List should have at most 20 items after validation, not 21",
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("put", "/api/v1/messages", 405),
        ("delete", "/api/v1/cases", 405),
        ("get", "/api/v1/nowhere", 404),
        ("get", "/api/v1/cases/", 404),
        ("get", "/api/v2/cases", 404),
        ("get", "/api/v1/outbox/1/receipt", 405),
    ],
)
def test_wrong_paths_and_methods_are_json(client, town, town_token, method, path, status):
    response = getattr(client, method)(path, **bearer(town_token))

    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)


@pytest.mark.django_db
def test_non_numeric_message_id_is_422(client, town, town_token):
    response = client.post(
        "/api/v1/outbox/abc/receipt",
        data=json.dumps({"status": "sent"}),
        content_type="application/json",
        **bearer(town_token),
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["message_id"]


@pytest.mark.django_db
def test_method_not_allowed_keeps_the_allow_header(client, town, town_token):
    response = client.put("/api/v1/messages", **bearer(town_token))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"detail": "Method PUT not allowed here; allowed: POST."}


@pytest.mark.django_db
def test_reply_body_errors_are_422(client, town, town_token):
    from tests.factories import CaseFactory, CitizenFactory

    case = CaseFactory(citizen=CitizenFactory(organization=town))
    url = f"/api/v1/cases/{case.reference}/replies"

    for data in (
        b"{}",
        b'{"text": null}',
        b'{"text": "a\\u0000b"}',
        b'{"text": "x", "channel": 5}',
    ):
        response = client.post(
            url, data=data, content_type="application/json", **bearer(town_token)
        )
        assert response.status_code == 422, data
        assert response.json()["detail"]


@pytest.mark.django_db
def test_nul_characters_never_reach_the_database(client, town, town_token):
    headers = bearer(town_token)

    case = client.get("/api/v1/cases/VIL-2026-%00", **headers)
    too_long = client.get("/api/v1/cases/" + "X" * 300, **headers)
    listing = client.get("/api/v1/cases?department=a%00b", **headers)
    keyed = client.post(
        "/api/v1/messages",
        data=json.dumps(VALID),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="a\x00b",
        **headers,
    )

    assert case.status_code == 404
    assert too_long.status_code == 404
    assert listing.status_code == 422
    assert listing.json()["errors"] == [
        {"field": "department", "message": "must not contain NUL characters"}
    ]
    assert keyed.status_code == 422
    assert keyed.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "must not contain NUL characters"}
    ]
    assert InboundRecord.objects.count() == 0
