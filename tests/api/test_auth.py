"""Authentication: API tokens (Bearer) and desk sessions (with CSRF)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.citizens.models import ContactKind, ContactPoint
from guichet.conversations.models import Direction, Message
from guichet.intake.models import InboundRecord
from guichet.organizations.models import ApiToken
from tests.api.conftest import bearer
from tests.factories import CaseFactory, CitizenFactory

MESSAGE = {
    "channel": "api",
    "external_id": "x-1",
    "sender": "jeanne@example.org",
    "text": "Bonjour",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "detail", "challenge"),
    [
        (
            None,
            "Authentication required: send an API token as 'Authorization: Bearer <token>'"
            " (desk sessions may use the read and reply endpoints).",
            'Bearer realm="guichet"',
        ),
        (
            "Bearer gch_0123456789ab_notthesecret",
            "Unknown or revoked API token.",
            'Bearer realm="guichet", error="invalid_token"',
        ),
        (
            "Bearer not-a-token",
            "Unknown or revoked API token.",
            'Bearer realm="guichet", error="invalid_token"',
        ),
        (
            "Bearer gch_é_ü",
            "Unknown or revoked API token.",
            'Bearer realm="guichet", error="invalid_token"',
        ),
        (
            "Bearer",
            "The Authorization header must read 'Bearer <token>'.",
            'Bearer realm="guichet", error="invalid_token"',
        ),
        (
            "Basic dXNlcjpwYXNz",
            "The Authorization header must read 'Bearer <token>'.",
            'Bearer realm="guichet", error="invalid_token"',
        ),
    ],
)
def test_missing_unknown_or_malformed_token_is_401(client, town, header, detail, challenge):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}

    response = client.post(
        "/api/v1/messages", data=json.dumps(MESSAGE), content_type="application/json", **extra
    )

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == challenge
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
def test_revoked_token_is_401(client, town):
    token, plain = ApiToken.issue(town, "old gateway")
    token.revoked_at = timezone.now()
    token.save()

    response = client.get("/api/v1/cases", **bearer(plain))

    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown or revoked API token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="guichet", error="invalid_token"'


@pytest.mark.django_db
def test_wrong_secret_for_a_real_key_id_is_401(client, town):
    token, _plain = ApiToken.issue(town, "gateway")

    response = client.get("/api/v1/cases", **bearer(f"gch_{token.key_id}_forged-secret"))

    assert response.status_code == 401


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(client, town):
    token, plain = ApiToken.issue(town, "gateway")
    assert token.last_used_at is None

    client.get("/api/v1/cases", **bearer(plain))
    token.refresh_from_db()
    first_use = token.last_used_at
    client.get("/api/v1/cases", **bearer(plain))
    token.refresh_from_db()

    assert first_use is not None
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/cases", **bearer(plain))
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


@pytest.mark.django_db
def test_invalid_token_wins_over_an_open_desk_session(client, town, supervisor):
    client.force_login(supervisor)

    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer nope")

    assert response.status_code == 401


@pytest.mark.django_db
def test_desk_session_reads_cases(client, town, supervisor):
    case = CaseFactory(citizen=CitizenFactory(organization=town))
    client.force_login(supervisor)

    response = client.get("/api/v1/cases")

    assert response.status_code == 200
    assert [item["reference"] for item in response.json()["items"]] == [case.reference]


@pytest.mark.django_db
def test_desk_session_cannot_use_integration_endpoints(client, town, supervisor):
    client.force_login(supervisor)

    assert client.get("/api/v1/outbox").status_code == 401


@pytest.mark.django_db
def test_desk_session_reply_needs_the_csrf_token(town, departments, supervisor):
    citizen = CitizenFactory(organization=town)
    ContactPoint.objects.create(
        organization=town, citizen=citizen, kind=ContactKind.EMAIL, value="jeanne@example.org"
    )
    case = CaseFactory(citizen=citizen, department=departments["etat-civil"], channel="email")
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    url = f"/api/v1/cases/{case.reference}/replies"
    body = json.dumps({"text": "Votre acte est prêt."})

    refused = client.post(url, data=body, content_type="application/json")

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "CSRF check failed: send the value of the csrftoken cookie in the X-CSRFToken"
        " header."
    }
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 0

    secret = "s3cr3t" * 5 + "ok"  # 32 characters, as Django's CSRF cookie
    client.cookies["csrftoken"] = secret
    accepted = client.post(url, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=secret)

    assert accepted.status_code == 201
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
